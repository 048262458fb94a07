"""Commission (提成) and performance pay (绩效工资), M10 — DOMAIN.md §6 is the specification.

Plans are data, versioned by validity period and assigned to salespeople or teams
(:class:`CommissionPlan`, its :class:`PlanTier`, :class:`PlanCategoryRate` and :class:`PlanAgeRule`
rows, :class:`PlanAssignment`). A monthly :class:`CommissionRun` holds one computed
:class:`CommissionLine` per salesperson with a plan, manual adjustment lines with a reason, and lines
carrying changes to already approved months; every line's :class:`CommissionItem` rows trace it to
the ledger facts and the rule that priced them. Approval by the general manager locks the run.

Performance pay is computed beside it: :class:`KpiSet` (weights per KPI, versioned),
:class:`PerformanceBase` (绩效基数 per salesperson) and one :class:`PerformanceResult` per run and
salesperson, ``pay = base × score / 100``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from salesdesk.core.fields import MoneyField, RateField


class Base(models.TextChoices):
    RECEIVED = "received", _("回款")
    SHIPPED = "shipped", _("发货额")
    INVOICED = "invoiced", _("开票额")
    MARGIN = "margin", _("毛利")


class TaxBasis(models.TextChoices):
    GROSS = "gross", _("含税")
    NET = "net", _("不含税")


class DateBasis(models.TextChoices):
    """Which date puts an amount into a month."""

    RECEIPT = "receipt", _("回款日期")
    SHIPMENT = "shipment", _("发货日期")
    INVOICE = "invoice", _("开票日期")


class TierOn(models.TextChoices):
    NONE = "none", _("不分档")
    BASE = "base", _("按当月累计基数分档")
    COMPLETION = "completion", _("按目标完成率分档")


class TierMethod(models.TextChoices):
    MARGINAL = "marginal", _("超额累进")
    WHOLE = "whole", _("全额累进")


class CommissionPlan(models.Model):
    """One version of a commission plan. Versions of the same plan share ``code`` and differ in
    validity; the version valid on a month's first day prices that month."""

    code = models.SlugField(_("方案代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    base = models.CharField(_("提成基数"), max_length=12, choices=Base.choices, default=Base.RECEIVED)
    tax_basis = models.CharField(_("含税口径"), max_length=8, choices=TaxBasis.choices, default=TaxBasis.GROSS)
    date_basis = models.CharField(_("计入月份依据"), max_length=10, choices=DateBasis.choices, default=DateBasis.RECEIPT)
    rate = RateField(_("基本提成比例"), default=0)
    tier_on = models.CharField(_("分档依据"), max_length=12, choices=TierOn.choices, default=TierOn.NONE)
    tier_method = models.CharField(_("累进方式"), max_length=10, choices=TierMethod.choices, default=TierMethod.MARGINAL)
    gate_completion = RateField(_("目标完成率门槛"), null=True, blank=True)  # e.g. 0.6000: below → nothing
    below_floor_factor = RateField(_("低于底价的比例系数"), default=1)  # 0.5000 → half the normal rate
    override_rate = RateField(_("经理团队提成比例"), default=0)  # manager override on the team's base
    overdue_days = models.PositiveIntegerField(_("逾期扣减天数"), null=True, blank=True)
    overdue_rate = RateField(_("逾期应收扣减比例"), default=0)
    interest_rate_monthly = RateField(_("迟回款月息"), default=0)
    interest_from_months = models.PositiveSmallIntegerField(_("计息起始（销售后第几月）"), null=True, blank=True)
    interest_from_day = models.PositiveSmallIntegerField(_("计息起始日"), null=True, blank=True)
    clawback = models.BooleanField(_("退货、退款、坏账追回提成"), default=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code", "-valid_from"]
        verbose_name = _("提成方案")
        verbose_name_plural = _("提成方案")
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="commission_plan_version"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                                   name="commission_plan_valid_range"),
        ]
        permissions = [("manage_plan", _("维护提成方案与考核指标"))]

    def __str__(self) -> str:
        return f"{self.name}（{self.valid_from:%Y-%m-%d}起）"


class PlanTier(models.Model):
    """A tier starting at ``threshold`` (money on the month's base, or a completion ratio such as
    ``1.0000`` for 100 %) with its rate. The first tier's threshold is 0."""

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="tiers")
    threshold = models.DecimalField(_("起点"), max_digits=18, decimal_places=4)
    rate = RateField(_("比例"))

    class Meta:
        ordering = ["plan", "threshold"]
        constraints = [models.UniqueConstraint(fields=["plan", "threshold"], name="commission_tier_once")]

    def __str__(self) -> str:
        return f"≥{self.threshold}: {self.rate}"


class PlanCategoryRate(models.Model):
    """A product category priced by its own base and rate (e.g. project goods: 10 % of gross margin;
    standard goods: 1 % of revenue)."""

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="category_rates")
    category = models.ForeignKey("catalog.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("类别"))
    base = models.CharField(_("基数"), max_length=12, choices=Base.choices)
    rate = RateField(_("比例"))

    class Meta:
        ordering = ["plan", "category"]
        constraints = [models.UniqueConstraint(fields=["plan", "category"], name="commission_category_once")]

    def __str__(self) -> str:
        return f"{self.category_id}: {self.base} {self.rate}"


class PlanAgeRule(models.Model):
    """Rate by how late money comes relative to its sale: money collected by day ``until_day`` of the
    ``months_after``-th month after the sale's month (``until_day`` empty = that month's end) earns
    ``rate``; the first matching rule (earliest deadline) wins; later money earns nothing."""

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="age_rules")
    months_after = models.PositiveSmallIntegerField(_("销售后第几月"))
    until_day = models.PositiveSmallIntegerField(_("截至日"), null=True, blank=True)
    rate = RateField(_("比例"))

    class Meta:
        ordering = ["plan", "months_after", models.F("until_day").asc(nulls_last=True)]

    def __str__(self) -> str:
        return f"+{self.months_after}/{self.until_day or '月末'}: {self.rate}"


class PlanAssignment(models.Model):
    """Who a plan applies to: one salesperson, or every member of a team; a salesperson's own
    assignment beats their team's."""

    plan_code = models.SlugField(_("方案代码"), max_length=40)
    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="commission_assignments", verbose_name=_("业务员"))
    team = models.ForeignKey("org.SalesTeam", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("团队"))
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-valid_from", "id"]
        verbose_name = _("提成方案适用范围")
        verbose_name_plural = _("提成方案适用范围")
        constraints = [
            models.CheckConstraint(condition=Q(salesperson__isnull=False, team__isnull=True)
                                   | Q(salesperson__isnull=True, team__isnull=False),
                                   name="commission_assignment_one_target"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_code} → {self.salesperson_id or self.team_id}"


class RunStatus(models.TextChoices):
    COMPUTING = "computing", _("计算中")
    FAILED = "failed", _("计算失败")
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已批准")


class CommissionRun(models.Model):
    """One month's commission. Recomputing a draft replaces its lines; approval locks it."""

    period = models.CharField(_("月份"), max_length=7, unique=True)  # "2026-10"
    status = models.CharField(_("状态"), max_length=10, choices=RunStatus.choices, default=RunStatus.COMPUTING)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period"]
        verbose_name = _("提成计算")
        verbose_name_plural = _("提成计算")
        permissions = [
            ("compute_run", _("计算提成")),
            ("approve_run", _("批准提成")),
            ("adjust_line", _("调整提成")),
            ("confirm_own_line", _("确认本人提成")),
            ("confirm_team_lines", _("确认团队提成")),
            ("view_all_lines", _("查看全部提成")),
            ("export_run", _("导出提成")),
        ]

    def __str__(self) -> str:
        return self.period


class LineKind(models.TextChoices):
    COMPUTED = "computed", _("计算")
    ADJUSTMENT = "adjustment", _("手工调整")
    CARRIED = "carried", _("以前月份变动")


class LineStatus(models.TextChoices):
    OPEN = "open", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    DISPUTED = "disputed", _("有异议")


class CommissionLine(models.Model):
    run = models.ForeignKey(CommissionRun, on_delete=models.CASCADE, related_name="lines")
    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commission_lines",
                                    verbose_name=_("业务员"))
    plan = models.ForeignKey(CommissionPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("类型"), max_length=12, choices=LineKind.choices, default=LineKind.COMPUTED)
    base_amount = MoneyField(_("提成基数"), default=0)
    commission_amount = MoneyField(_("提成金额"), default=0)
    reason = models.CharField(_("调整原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    status = models.CharField(_("确认状态"), max_length=10, choices=LineStatus.choices, default=LineStatus.OPEN)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.CharField(_("异议"), max_length=500, blank=True)
    team_confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")
    team_confirmed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["run", "salesperson", "id"]
        verbose_name = _("提成明细")
        verbose_name_plural = _("提成明细")
        constraints = [
            models.UniqueConstraint(fields=["run", "salesperson"], condition=Q(kind="computed"),
                                    name="commission_line_once_per_salesperson"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.salesperson_id} {self.commission_amount}"


class ItemKind(models.TextChoices):
    COMMISSION = "commission", _("提成")
    OVERRIDE = "override", _("经理团队提成")
    DEDUCTION = "deduction", _("逾期应收扣减")
    RETURNED = "returned", _("逾期扣减返还")
    INTEREST = "interest", _("迟回款利息")
    CLAWBACK = "clawback", _("追回")
    GATE = "gate", _("未达门槛")
    CARRIED = "carried", _("以前月份变动")
    ADJUSTMENT = "adjustment", _("手工调整")


class CommissionItem(models.Model):
    """How one part of a line was priced: from which fact(s), by which rule, at which rate."""

    line = models.ForeignKey(CommissionLine, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(_("类型"), max_length=12, choices=ItemKind.choices, default=ItemKind.COMMISSION)
    rule = models.CharField(_("规则"), max_length=200)
    fact = models.ForeignKey("ledger.Fact", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    source_kind = models.CharField(max_length=30, blank=True)
    source_id = models.BigIntegerField(null=True, blank=True)
    business_date = models.DateField(null=True, blank=True)
    for_period = models.CharField(max_length=7, blank=True)  # a carried change: the approved month it belongs to
    base = MoneyField(_("基数"), default=0)
    rate = RateField(_("比例"), null=True, blank=True)
    amount = MoneyField(_("金额"), default=0)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        ordering = ["line", "id"]

    def __str__(self) -> str:
        return f"{self.rule} {self.amount}"


class Kpi(models.TextChoices):
    COLLECTION_COMPLETION = "collection_completion", _("回款完成率")
    SALES_COMPLETION = "sales_completion", _("销售额完成率")
    NEW_CUSTOMERS = "new_customers", _("新客户数")
    EXPENSE_RATIO = "expense_ratio", _("费用率")
    ATTENDANCE = "attendance", _("考勤")
    REPORT_PUNCTUALITY = "report_punctuality", _("报告及时率")


class KpiSet(models.Model):
    """One version of the appraisal (绩效考核): KPIs with weights, valid from a date."""

    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code", "-valid_from"]
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        constraints = [models.UniqueConstraint(fields=["code", "valid_from"], name="kpi_set_version")]

    def __str__(self) -> str:
        return f"{self.name}（{self.valid_from:%Y-%m-%d}起）"


class KpiWeight(models.Model):
    kpi_set = models.ForeignKey(KpiSet, on_delete=models.CASCADE, related_name="weights")
    kpi = models.CharField(_("指标"), max_length=30, choices=Kpi.choices)
    weight = models.DecimalField(_("权重(%)"), max_digits=5, decimal_places=2)
    target = models.DecimalField(_("目标值"), max_digits=18, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["kpi_set", "id"]
        constraints = [models.UniqueConstraint(fields=["kpi_set", "kpi"], name="kpi_weight_once")]

    def __str__(self) -> str:
        return f"{self.kpi} {self.weight}%"


class PerformanceBase(models.Model):
    """绩效基数: a salesperson's performance-pay base from a date on."""

    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("业务员"))
    amount = MoneyField(_("绩效基数"))
    valid_from = models.DateField(_("生效日期"))
    kpi_set_code = models.SlugField(_("考核指标"), max_length=40, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["salesperson", "-valid_from"]
        constraints = [models.UniqueConstraint(fields=["salesperson", "valid_from"], name="performance_base_once")]

    def __str__(self) -> str:
        return f"{self.salesperson_id} {self.amount}"


class PerformanceResult(models.Model):
    """One salesperson's appraisal for a run's month: score (0–100+) and pay = base × score / 100.
    ``details`` holds per KPI: value, target, weight, effective weight (after reweighting the KPIs
    not available) and points."""

    run = models.ForeignKey(CommissionRun, on_delete=models.CASCADE, related_name="performance")
    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("业务员"))
    kpi_set = models.ForeignKey(KpiSet, on_delete=models.PROTECT, related_name="+")
    base = MoneyField(_("绩效基数"), default=0)
    score = models.DecimalField(_("考核得分"), max_digits=7, decimal_places=2, default=0)
    pay = MoneyField(_("绩效工资"), default=0)
    details = models.JSONField(default=list)

    class Meta:
        ordering = ["run", "salesperson"]
        constraints = [models.UniqueConstraint(fields=["run", "salesperson"], name="performance_result_once")]

    def __str__(self) -> str:
        return f"{self.salesperson_id} {self.score}"
