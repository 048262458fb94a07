"""Correspondence register (收发文, M3): calls, letters, faxes, documents and makers' mail in and
out, and outgoing circulars (sales-policy notices, business letters) with who received what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.org.visibility import salesperson_scope

from .choices import Channel, CircularKind, CorrespondenceStatus, Direction


class CorrespondenceQuerySet(models.QuerySet):
    def visible_to(self, user) -> CorrespondenceQuerySet:
        """The register is the clerk's: those who see everything see all; others see items routed to
        them or about their customers."""
        scope = salesperson_scope(user)
        if scope is None:
            return self
        return self.filter(Q(routed_to=user) | Q(customer__salesperson_id__in=scope) | Q(created_by=user))


class Correspondence(models.Model):
    """One registered item of business correspondence, in or out (收文/发文登记)."""

    number = models.CharField(_("登记号"), max_length=30, unique=True)
    direction = models.CharField(_("方向"), max_length=3, choices=Direction.choices)
    channel = models.CharField(_("形式"), max_length=12, choices=Channel.choices)
    received_on = models.DateField(_("日期"))
    counterpart = models.CharField(_("来文/收文单位"), max_length=200)
    reference = models.CharField(_("来文字号"), max_length=100, blank=True)
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="correspondence",
        verbose_name=_("客户"),
    )
    subject = models.CharField(_("标题"), max_length=300)
    summary = models.TextField(_("摘要"), blank=True)
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("承办人"),
    )
    deadline = models.DateField(_("办理期限"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=6, choices=CorrespondenceStatus.choices, default=CorrespondenceStatus.OPEN
    )
    result = models.TextField(_("办理结果"), blank=True)
    archive_no = models.CharField(_("归档号"), max_length=50, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )

    objects = CorrespondenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("收发文登记")
        verbose_name_plural = _("收发文登记")
        ordering = ["-received_on", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class Circular(models.Model):
    """A sales-policy notice or business letter sent to one, several or a filtered set of customers."""

    number = models.CharField(_("发文字号"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=CircularKind.choices)
    subject = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("正文"))
    filters = models.JSONField(_("客户筛选条件"), default=dict, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("发文人")
    )

    class Meta:
        verbose_name = _("发文")
        verbose_name_plural = _("发文")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class CircularRecipient(models.Model):
    """What went to whom: one customer (and the address used) of a circular."""

    circular = models.ForeignKey(Circular, on_delete=models.CASCADE, related_name="recipients")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    email = models.EmailField(_("邮箱"), blank=True)
    delivered = models.BooleanField(_("已发送"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)  # e.g. "no e-mail: printed and posted"

    class Meta:
        verbose_name = _("发文对象")
        verbose_name_plural = _("发文对象")
        constraints = [models.UniqueConstraint(fields=["circular", "customer"], name="circular_customer_uniq")]

    def __str__(self) -> str:
        return f"{self.circular_id} → {self.customer_id}"
