"""Forms of the commission pages: a plan version with its inline tier, category-rate and age-rule
rows, an assignment, a run's month, a manual adjustment and a dispute.

Saving a plan version is :func:`save_plan` (keyword-only ``actor``, one transaction, history through
django-simple-history): services.py holds the runs; plans are configuration kept by the clerk and
the general manager."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salesdesk.catalog.models import Category
from salesdesk.core.errors import DomainError
from salesdesk.core.forms import StyledFormMixin
from salesdesk.org.models import SalesTeam, User
from salesdesk.org.roles import Role

from . import permissions as perms
from .models import (
    CommissionLine,
    CommissionPlan,
    PlanAgeRule,
    PlanAssignment,
    PlanCategoryRate,
    PlanTier,
    RunStatus,
    TierOn,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
RATE_HELP = _("小数，如 0.03 表示 3%")
MONEY_MAX = Decimal("9999999999.99")


def _rate_field(label, *, required=True):
    return forms.DecimalField(label=label, required=required, max_digits=7, decimal_places=4,
                              min_value=Decimal("0"), max_value=Decimal("1"),
                              error_messages={"max_value": _("比例不能超过 1。"),
                                              "min_value": _("比例不能为负数。"),
                                              "invalid": _("请输入小数形式的比例，如 0.03。")})


class PlanForm(StyledFormMixin, forms.ModelForm):
    """The plan's own fields. ``code`` is fixed once the plan exists (versions share it)."""

    class Meta:
        model = CommissionPlan
        fields = ["code", "name", "description", "valid_from", "valid_to", "base", "tax_basis", "date_basis", "rate",
                  "tier_on", "tier_method", "gate_completion", "below_floor_factor", "override_rate", "overdue_days",
                  "overdue_rate", "interest_rate_monthly", "interest_from_months", "interest_from_day", "clawback",
                  "active"]
        widgets = {"valid_from": DATE, "valid_to": DATE, "description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"rate": RATE_HELP, "gate_completion": _("如 0.6 表示完成率低于 60% 不计提成；留空表示不设门槛"),
                      "below_floor_factor": _("低于底价成交时按正常比例的多少计提，如 0.5"),
                      "override_rate": _("经理按团队基数计提的比例"),
                      "overdue_days": _("应收逾期超过此天数按比例扣减，收回后返还"),
                      "interest_from_day": _("例如 11 表示从该月 11 日起计息")}
        error_messages = {"code": {"invalid": _("方案代码只能包含字母、数字、连字符和下划线。")}}

    def __init__(self, *args, fixed_code: str | None = None, previous: CommissionPlan | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_code = fixed_code
        self.previous = previous
        if fixed_code:
            self.fields["code"].disabled = True
            self.fields["code"].initial = fixed_code
        for name in ("rate", "gate_completion", "below_floor_factor", "override_rate", "overdue_rate",
                     "interest_rate_monthly"):
            field = self.fields[name]
            field.min_value = Decimal("0")
            field.validators.append(_rate_validator)
        self.fields["interest_from_day"].validators.append(_day_validator)

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("失效日期不能早于生效日期。"))
        if data.get("overdue_rate") and not data.get("overdue_days"):
            self.add_error("overdue_days", _("设置了逾期扣减比例时必须填写逾期天数。"))
        if data.get("interest_rate_monthly") and not data.get("interest_from_months"):
            self.add_error("interest_from_months", _("设置了迟回款月息时必须填写计息起始月。"))
        code = self.fixed_code or data.get("code")
        if code and start:
            clash = CommissionPlan.objects.filter(code=code, valid_from=start)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error("valid_from", _("该方案已有从这一天生效的版本。"))
        if self.previous is not None and start and start <= self.previous.valid_from:
            self.add_error("valid_from", _("新版本的生效日期必须晚于 %(day)s。") % {"day": f"{self.previous.valid_from:%Y-%m-%d}"})
        return data


def _rate_validator(value):
    if value is not None and value > 1:
        raise ValidationError(_("比例不能超过 1。"))


def _day_validator(value):
    if value is not None and not 1 <= value <= 31:
        raise ValidationError(_("日期须在 1 到 31 之间。"))


class TierForm(StyledFormMixin, forms.Form):
    threshold = forms.DecimalField(label=_("起点"), max_digits=18, decimal_places=4, min_value=Decimal("0"),
                                   error_messages={"min_value": _("起点不能为负数。"), "required": _("请填写起点。")})
    rate = _rate_field(_("比例"))


class CategoryRateForm(StyledFormMixin, forms.Form):
    category = forms.ModelChoiceField(label=_("类别"), queryset=Category.objects.order_by("code"),
                                      error_messages={"required": _("请选择类别。")})
    base = forms.ChoiceField(label=_("基数"), choices=CommissionPlan._meta.get_field("base").choices)
    rate = _rate_field(_("比例"))


class AgeRuleForm(StyledFormMixin, forms.Form):
    months_after = forms.IntegerField(label=_("销售后第几月"), min_value=0, max_value=36,
                                      error_messages={"min_value": _("月数不能为负数。"),
                                                      "max_value": _("月数不能超过 36。")})
    until_day = forms.IntegerField(label=_("截至日"), min_value=1, max_value=31, required=False,
                                   error_messages={"min_value": _("日期须在 1 到 31 之间。"),
                                                   "max_value": _("日期须在 1 到 31 之间。")})
    rate = _rate_field(_("比例"))


class _RowsFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        return [f.cleaned_data for f in self.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")]


class TierRows(_RowsFormSet):
    def clean(self):
        if any(self.errors):
            return
        thresholds = [r["threshold"] for r in self.rows()]
        if len(set(thresholds)) != len(thresholds):
            raise ValidationError(_("各档起点不能重复。"))
        if thresholds and min(thresholds) != 0:
            raise ValidationError(_("第一档的起点必须是 0。"))


class CategoryRows(_RowsFormSet):
    def clean(self):
        if any(self.errors):
            return
        ids = [r["category"].pk for r in self.rows()]
        if len(set(ids)) != len(ids):
            raise ValidationError(_("同一类别只能设置一个比例。"))


class AgeRows(_RowsFormSet):
    def clean(self):
        if any(self.errors):
            return
        keys = [(r["months_after"], r["until_day"]) for r in self.rows()]
        if len(set(keys)) != len(keys):
            raise ValidationError(_("回款时限规则不能重复。"))


TierFormSet = forms.formset_factory(TierForm, formset=TierRows, extra=0, can_delete=True, max_num=20, absolute_max=20)
CategoryFormSet = forms.formset_factory(CategoryRateForm, formset=CategoryRows, extra=0, can_delete=True, max_num=50,
                                        absolute_max=50)
AgeFormSet = forms.formset_factory(AgeRuleForm, formset=AgeRows, extra=0, can_delete=True, max_num=20, absolute_max=20)


@dataclass
class PlanForms:
    """The plan form and its three grids, bound or not, validated together."""

    plan: PlanForm
    tiers: forms.BaseFormSet
    categories: forms.BaseFormSet
    age_rules: forms.BaseFormSet

    @classmethod
    def build(cls, data=None, *, instance: CommissionPlan | None = None, source: CommissionPlan | None = None,
              fixed_code: str | None = None, previous: CommissionPlan | None = None) -> PlanForms:
        """``source``: the version whose rows fill the grids (the plan itself when editing, the
        previous version for a new one)."""
        rows_from = source or instance
        initial = {}
        if data is None and source is not None and instance is None:
            initial = {f: getattr(source, f) for f in PlanForm.Meta.fields if f not in ("valid_from", "valid_to")}
        tiers = cats = ages = None
        if data is None and rows_from is not None and rows_from.pk:
            tiers = [{"threshold": t.threshold, "rate": t.rate} for t in rows_from.tiers.all()]
            cats = [{"category": c.category_id, "base": c.base, "rate": c.rate} for c in rows_from.category_rates.all()]
            ages = [{"months_after": a.months_after, "until_day": a.until_day, "rate": a.rate}
                    for a in rows_from.age_rules.all()]
        return cls(
            plan=PlanForm(data, instance=instance, initial=initial or None, fixed_code=fixed_code, previous=previous),
            tiers=TierFormSet(data, prefix="tiers", initial=tiers),
            categories=CategoryFormSet(data, prefix="cats", initial=cats),
            age_rules=AgeFormSet(data, prefix="ages", initial=ages),
        )

    def is_valid(self) -> bool:
        valid = all([self.plan.is_valid(), self.tiers.is_valid(), self.categories.is_valid(),
                     self.age_rules.is_valid()])
        if valid and self.plan.cleaned_data.get("tier_on") != TierOn.NONE and not self.tiers.rows():
            self.plan.add_error("tier_on", _("分档计提时至少要有一档。"))
            valid = False
        return valid


def can_edit_plan(plan: CommissionPlan) -> bool:
    """A version that priced an approved run is history: change it by a new version instead."""
    return not CommissionLine.objects.filter(plan=plan, run__status=RunStatus.APPROVED).exists()


def save_plan(*, actor, forms_: PlanForms, instance: CommissionPlan | None = None,
              previous: CommissionPlan | None = None) -> CommissionPlan:
    """Create or update a plan version with its rows (all replaced), in one transaction. A new
    version closes the previous open one the day before it starts."""
    if not actor.has_perm(perms.MANAGE_PLAN):
        raise PermissionDenied
    with transaction.atomic():
        if instance is not None and not can_edit_plan(instance):
            raise DomainError("该版本已用于已批准的提成，不能修改，请新建版本 / This version priced an approved run; "
                              "add a new version instead.", code="plan_in_use")
        plan = forms_.plan.save(commit=False)
        if previous is not None:
            plan.code = previous.code
            if previous.valid_to is None or previous.valid_to >= plan.valid_from:
                previous.valid_to = plan.valid_from - timedelta(days=1)
                previous._history_user = actor
                previous.save(update_fields=["valid_to"])
        plan._history_user = actor
        plan.save()
        plan.tiers.all().delete()
        plan.category_rates.all().delete()
        plan.age_rules.all().delete()
        PlanTier.objects.bulk_create(PlanTier(plan=plan, threshold=r["threshold"], rate=r["rate"])
                                     for r in forms_.tiers.rows())
        PlanCategoryRate.objects.bulk_create(PlanCategoryRate(plan=plan, category=r["category"], base=r["base"],
                                                              rate=r["rate"]) for r in forms_.categories.rows())
        PlanAgeRule.objects.bulk_create(PlanAgeRule(plan=plan, months_after=r["months_after"],
                                                    until_day=r["until_day"], rate=r["rate"])
                                        for r in forms_.age_rules.rows())
    return plan


def salespeople():
    return (User.objects.filter(is_active=True, groups__name__in=[Role.SALESPERSON, Role.SALES_MANAGER])
            .distinct().order_by("username"))


class AssignmentForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = PlanAssignment
        fields = ["salesperson", "team", "valid_from", "valid_to"]
        widgets = {"valid_from": DATE, "valid_to": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = salespeople()
        self.fields["salesperson"].label_from_instance = lambda u: u.display_name
        self.fields["team"].queryset = SalesTeam.objects.order_by("name")

    def clean(self):
        data = super().clean()
        if bool(data.get("salesperson")) == bool(data.get("team")):
            raise ValidationError(_("请选择一个业务员或一个团队（二选一）。"))
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("失效日期不能早于生效日期。"))
        return data


def save_assignment(*, actor, form: AssignmentForm, plan_code: str) -> PlanAssignment:
    if not actor.has_perm(perms.MANAGE_PLAN):
        raise PermissionDenied
    with transaction.atomic():
        assignment = form.save(commit=False)
        assignment.plan_code = plan_code
        data = form.cleaned_data
        who = Q(salesperson=data["salesperson"]) if data.get("salesperson") else Q(team=data["team"])
        overlap = PlanAssignment.objects.filter(who).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=assignment.valid_from))
        if assignment.valid_to:
            overlap = overlap.filter(valid_from__lte=assignment.valid_to)
        if assignment.pk:
            overlap = overlap.exclude(pk=assignment.pk)
        if overlap.exists():
            raise DomainError("该业务员或团队在这段时间已有提成方案 / An assignment already covers this period.",
                              code="assignment_overlap", field="valid_from")
        assignment._history_user = actor
        assignment.save()
    return assignment


class RunStartForm(StyledFormMixin, forms.Form):
    period = forms.RegexField(label=_("月份"), regex=r"^\d{4}-(0[1-9]|1[0-2])$",
                              widget=forms.TextInput(attrs={"type": "month"}),
                              error_messages={"invalid": _("月份格式应为 YYYY-MM。"), "required": _("请选择月份。")})


class AdjustmentForm(StyledFormMixin, forms.Form):
    salesperson = forms.ModelChoiceField(label=_("业务员"), queryset=User.objects.none(),
                                         error_messages={"required": _("请选择业务员。")})
    amount = forms.DecimalField(label=_("调整金额"), max_digits=14, decimal_places=2, max_value=MONEY_MAX,
                                min_value=-MONEY_MAX, help_text=_("正数为增加，负数为扣减"),
                                error_messages={"required": _("请填写调整金额。"), "invalid": _("请输入金额。"),
                                                "max_decimal_places": _("金额最多两位小数。")})
    reason = forms.CharField(label=_("调整原因"), max_length=200, error_messages={"required": _("请填写调整原因。")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = salespeople()
        self.fields["salesperson"].label_from_instance = lambda u: u.display_name

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount == 0:
            raise ValidationError(_("调整金额不能为零。"))
        return amount

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("请填写调整原因。"))
        return reason


class DisputeForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("异议说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("请说明异议。")})
