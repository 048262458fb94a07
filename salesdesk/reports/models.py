"""Report schedules and their deliveries (DESIGN.md, "Schedules"; API.md, "Report schedules and
deliveries").

A :class:`ReportSchedule` is a row an admin or the clerk edits: which report, grouped how, for which
period rule, drafted and sent when, to whom (users and/or roles — each recipient gets the report under
their own visibility) and in which formats. A :class:`ReportDelivery` is one send of one period to one
recipient, moving ``pending → sending → sent | failed | uncertain``. Automatic deliveries are unique per
(schedule, period, recipient); manual ones ("send now") are not."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ReportKind(models.TextChoices):
    SALES = "sales", _("销售报表")
    HR_TOTAL = "hr_total", _("月度业绩汇总（人事）")
    CONTRACT_SUMMARY = "contract_summary", _("合同汇总")
    WAYBILL = "waybill", _("运单通知")
    OVERDUE = "overdue", _("逾期应收提醒")


class PeriodRule(models.TextChoices):
    """Which period a run covers and when it is due (schedules.py)."""

    DAILY = "daily", _("每个工作日（当天）")
    FIVE_DAY = "five_day", _("五日（上一期，期后首个工作日）")
    MONTHLY = "monthly", _("每月（上月，月初首个工作日）")
    QUARTERLY = "quarterly", _("每季（上季，季初首个工作日）")
    ANNUAL = "annual", _("每年（上年，年初首个工作日）")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")
    UNCERTAIN = "uncertain", _("状态不明")


class ReportSchedule(models.Model):
    code = models.SlugField(_("代码"), max_length=60, unique=True)
    name = models.CharField(_("名称"), max_length=120)
    report_kind = models.CharField(_("报表"), max_length=30, choices=ReportKind.choices, default=ReportKind.SALES)
    group_by = models.CharField(_("汇总方式"), max_length=20, default="salesperson")
    period_rule = models.CharField(_("周期"), max_length=20, choices=PeriodRule.choices)
    draft_at = models.TimeField(_("起草时间"), null=True, blank=True)
    send_at = models.TimeField(_("发送时间"))
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="report_schedules",
                                        verbose_name=_("收件人"))
    recipient_roles = models.JSONField(_("收件角色"), default=list, blank=True)
    send_html = models.BooleanField(_("正文（HTML）"), default=True)
    attach_excel = models.BooleanField(_("附 Excel"), default=True)
    attach_pdf = models.BooleanField(_("附 PDF"), default=False)
    active = models.BooleanField(_("启用"), default=True)
    needs_check = models.BooleanField(_("发送前需内勤核对"), default=False)
    builtin = models.BooleanField(_("内置"), default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["id"]
        verbose_name = _("报表计划")
        verbose_name_plural = _("报表计划")

    def __str__(self) -> str:
        return self.name


class ReportDelivery(models.Model):
    schedule = models.ForeignKey(ReportSchedule, on_delete=models.PROTECT, related_name="deliveries")
    period = models.CharField(_("期间"), max_length=20)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    manual = models.BooleanField(_("手动"), default=False)
    late = models.BooleanField(_("迟发"), default=False)
    attempts = models.PositiveIntegerField(default=0)
    available_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200)
    subject = models.CharField(max_length=200, blank=True)
    body_html = models.TextField(blank=True)
    attachment = models.FileField(upload_to="reports/deliveries/%Y/%m/", blank=True, max_length=200)
    attachment_name = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("报表投递")
        verbose_name_plural = _("报表投递")
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period", "recipient"], condition=Q(manual=False),
                                    name="report_delivery_once_per_recipient"),
        ]
        indexes = [
            models.Index(fields=["schedule", "period"], name="report_delivery_period"),
            models.Index(fields=["status", "claimed_at"], name="report_delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule.code} {self.period} → {self.recipient_id}"


class ReportCheck(models.Model):
    """The clerk checked (核对) one period of a schedule against the ledger and finance's figures:
    until this row exists a schedule that needs a check drafts its deliveries but does not send them."""

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.PROTECT, related_name="checks")
    period = models.CharField(_("期间"), max_length=20)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("核对人"))
    checked_at = models.DateTimeField(_("核对时间"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-checked_at", "-id"]
        verbose_name = _("报表核对")
        verbose_name_plural = _("报表核对")
        constraints = [models.UniqueConstraint(fields=["schedule", "period"], name="report_check_once_per_period")]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.period}"
