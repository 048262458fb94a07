"""Monthly sales and collection targets (销售目标/回款目标) per salesperson, team and company (M8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.core.fields import MoneyField


class TargetScope(models.TextChoices):
    SALESPERSON = "salesperson", _("业务员")
    TEAM = "team", _("团队")
    COMPANY = "company", _("公司")


class TargetQuerySet(models.QuerySet):
    def visible_to(self, user) -> TargetQuerySet:
        from salesdesk.org.visibility import salesperson_scope

        if user is None or not user.is_authenticated:
            return self.none()
        scope = salesperson_scope(user)
        if scope is None:
            return self
        team_ids = [t for t in [getattr(user, "team_id", None)] if t]
        return self.filter(
            Q(scope=TargetScope.SALESPERSON, salesperson_id__in=scope)
            | Q(scope=TargetScope.TEAM, team_id__in=team_ids)
            | Q(scope=TargetScope.COMPANY)
        )


class SalesTarget(models.Model):
    """The month's target of one salesperson, one team or the company: sales (in the company's 业绩
    measure, incl. tax) and collection (回款). A team's or the company's own target may differ from the
    sum of its members'; reports show both."""

    month = models.DateField(_("月份"))  # first day of the month
    scope = models.CharField(_("范围"), max_length=12, choices=TargetScope.choices)
    salesperson = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="sales_targets",
        verbose_name=_("业务员"),
    )
    team = models.ForeignKey(
        "org.SalesTeam", null=True, blank=True, on_delete=models.PROTECT, related_name="targets", verbose_name=_("团队")
    )
    sales_target = MoneyField(_("销售目标(含税)"), default=0)
    collection_target = MoneyField(_("回款目标"), default=0)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = TargetQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("销售目标")
        verbose_name_plural = _("销售目标")
        ordering = ["-month", "scope", "id"]
        constraints = [
            models.UniqueConstraint(fields=["month", "salesperson"], condition=Q(scope="salesperson"),
                                    name="target_salesperson_uniq"),
            models.UniqueConstraint(fields=["month", "team"], condition=Q(scope="team"), name="target_team_uniq"),
            models.UniqueConstraint(fields=["month"], condition=Q(scope="company"), name="target_company_uniq"),
            models.CheckConstraint(
                condition=(Q(scope="salesperson", salesperson__isnull=False, team__isnull=True)
                           | Q(scope="team", team__isnull=False, salesperson__isnull=True)
                           | Q(scope="company", team__isnull=True, salesperson__isnull=True)),
                name="target_scope_consistent",
            ),
        ]
        permissions = [("import_target", _("导入销售目标"))]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.scope}"
