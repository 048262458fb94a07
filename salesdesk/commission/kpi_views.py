"""Appraisal pages (绩效考核): KPI sets with their weights (list, detail, new, edit, new version) and
each salesperson's performance base (绩效基数). The clerk and the GM keep them (``MANAGE_PLAN``);
everyone who may read plans sees the KPI sets; bases are pay, so only those who see every
commission line (clerk, GM, finance, HR) read them. Views are thin: parse, check, call
``performance``, render. The run page shows the results with ``commission/kpi/_results.html``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_safe

from salesdesk.core.errors import DomainError
from salesdesk.core.forms import StyledFormMixin, add_domain_error
from salesdesk.core.navigation import MenuItem, register
from salesdesk.org.models import User
from salesdesk.org.roles import Role

from . import performance
from . import permissions as perms
from .models import Kpi, KpiSet, PerformanceBase

register(MenuItem("kpi_sets", _lazy("考核指标"), "kpi_set_list", "bi-clipboard-data",
                  roles=frozenset({Role.CLERK, Role.GENERAL_MANAGER, Role.FINANCE, Role.HR, Role.SALES_MANAGER}),
                  order=620, description=_lazy("绩效考核指标与权重，按生效日期分版本")))
register(MenuItem("performance_bases", _lazy("绩效基数"), "kpi_base_list", "bi-person-badge",
                  roles=frozenset({Role.CLERK, Role.GENERAL_MANAGER, Role.FINANCE, Role.HR}),
                  order=625, description=_lazy("每位业务员的绩效基数，绩效工资 = 基数 × 得分 / 100")))

WEIGHT = {"max_digits": 5, "decimal_places": 2, "min_value": Decimal(0), "max_value": Decimal(100), "required": False}
TARGET = {"max_digits": 18, "decimal_places": 4, "min_value": Decimal(0), "required": False}
NOT_YET_NOTE = _lazy("暂无数据（待费用、考勤模块上线），其权重按比例分给其他指标")
KPI_NOTES = {
    Kpi.COLLECTION_COMPLETION: _lazy("回款 ÷ 当月回款目标"),
    Kpi.SALES_COMPLETION: _lazy("公司业绩口径金额 ÷ 当月销售目标"),
    Kpi.NEW_CUSTOMERS: _lazy("当月新建档客户数 ÷ 此处填写的目标值"),
}


def _may_read_sets(user) -> bool:
    return user.has_perm(perms.VIEW_PLAN)


def _may_manage(user) -> bool:
    return user.has_perm(perms.MANAGE_PLAN)


def _may_read_bases(user) -> bool:
    return user.has_perm(perms.VIEW_ALL)


# --- forms ----------------------------------------------------------------------------------------------


class WeightsForm(StyledFormMixin, forms.Form):
    """A weight (%) and a target per KPI, named ``w_<kpi>`` / ``t_<kpi>``; the rules (total 100 %)
    are ``performance.check_weights``."""

    name = forms.CharField(label=_lazy("名称"), max_length=100)

    def __init__(self, *args, kpi_set: KpiSet | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        current = {w.kpi: w for w in kpi_set.weights.all()} if kpi_set is not None else {}
        if kpi_set is not None:
            self.fields["name"].initial = kpi_set.name
        for kpi, label in Kpi.choices:
            w = current.get(kpi)
            attrs = {"class": "form-control-sm text-end", "inputmode": "decimal"}
            self.fields[f"w_{kpi}"] = forms.DecimalField(label=label, initial=w.weight if w else None,
                                                         widget=forms.NumberInput(attrs={**attrs, "step": "0.01"}),
                                                         **WEIGHT)
            self.fields[f"t_{kpi}"] = forms.DecimalField(label=_lazy("目标值"), initial=w.target if w else None,
                                                         widget=forms.NumberInput(attrs={**attrs, "step": "any"}),
                                                         **TARGET)

    def head_fields(self):
        return [f for f in self.visible_fields() if not f.name.startswith(("w_", "t_"))]

    def kpi_rows(self):
        return [(label, self[f"w_{kpi}"], self[f"t_{kpi}"],
                 NOT_YET_NOTE if kpi in performance.NOT_YET else KPI_NOTES.get(kpi, ""))
                for kpi, label in Kpi.choices]

    def entries(self) -> list[performance.WeightEntry]:
        data = self.cleaned_data
        return [performance.WeightEntry(kpi, data.get(f"w_{kpi}") or Decimal(0), data.get(f"t_{kpi}"))
                for kpi in Kpi.values]


class NewSetForm(WeightsForm):
    code = forms.SlugField(label=_lazy("代码"), max_length=40, help_text=_lazy("英文字母、数字或连字符，各版本共用"))
    valid_from = forms.DateField(label=_lazy("生效日期"), widget=forms.DateInput(attrs={"type": "date"}))

    field_order = ["code", "name", "valid_from"]


class VersionForm(WeightsForm):
    valid_from = forms.DateField(label=_lazy("生效日期"), widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_lazy("须晚于最新版本的生效日期；上一版本在前一天失效"))

    field_order = ["name", "valid_from"]


class BaseForm(StyledFormMixin, forms.Form):
    salesperson = forms.ModelChoiceField(label=_lazy("业务员"), queryset=User.objects.none())
    amount = forms.DecimalField(label=_lazy("绩效基数"), max_digits=15, decimal_places=2, min_value=Decimal(0))
    valid_from = forms.DateField(label=_lazy("生效日期"), widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_lazy("当月最后一天之前生效的最新基数用于该月"))
    kpi_set_code = forms.ChoiceField(label=_lazy("考核指标"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = (User.objects.filter(groups__name=Role.SALESPERSON)
                                               .select_related("team").order_by("username").distinct())
        self.fields["salesperson"].label_from_instance = lambda u: u.display_name
        codes = KpiSet.objects.order_by("code").values_list("code", "name").distinct()
        seen: dict[str, str] = {}
        for code, name in codes:
            seen.setdefault(code, name)
        self.fields["kpi_set_code"].choices = [("", _("当月唯一生效的指标"))] + [(c, f"{n}（{c}）") for c, n in seen.items()]


# --- KPI sets -------------------------------------------------------------------------------------------


def _get_set(pk: int) -> KpiSet:
    kpi_set = KpiSet.objects.prefetch_related("weights").filter(pk=pk).first()
    if kpi_set is None:
        raise Http404
    return kpi_set


@login_required
@require_safe
def kpi_set_list(request: HttpRequest) -> HttpResponse:
    """Every version of every KPI set with its weights; the versions in force today marked. Three
    queries whatever the number of sets (session, user, sets; weights prefetched: four)."""
    if not _may_read_sets(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    sets = list(KpiSet.objects.prefetch_related("weights").order_by("code", "-valid_from"))
    in_force = {s.pk for s in performance.sets_in_force_from(sets, today)}
    return render(request, "commission/kpi/set_list.html", {
        "sets": sets, "in_force": in_force, "can_manage": _may_manage(request.user),
        "can_read_bases": _may_read_bases(request.user)})


@login_required
@require_safe
def kpi_set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_read_sets(request.user):
        raise PermissionDenied
    kpi_set = _get_set(pk)
    versions = list(KpiSet.objects.filter(code=kpi_set.code).order_by("-valid_from"))
    weights = list(kpi_set.weights.all())
    return render(request, "commission/kpi/set_detail.html", {
        "kpi_set": kpi_set, "weights": weights, "versions": versions, "can_manage": _may_manage(request.user),
        "not_yet": set(performance.NOT_YET), "total": sum((w.weight for w in weights), Decimal(0)),
        "cap": performance.POINTS_CAP})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def kpi_set_create(request: HttpRequest) -> HttpResponse:
    if not _may_manage(request.user):
        raise PermissionDenied
    form = NewSetForm(request.POST or None, initial={"valid_from": timezone.localdate().replace(day=1)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            kpi_set = performance.create_kpi_set(actor=request.user, code=data["code"], name=data["name"],
                                                 valid_from=data["valid_from"], weights=form.entries())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("考核指标已创建。"))
            return redirect("kpi_set_detail", pk=kpi_set.pk)
    return render(request, "commission/kpi/set_form.html", {"form": form, "title": _("新建考核指标")})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def kpi_set_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not _may_manage(request.user):
        raise PermissionDenied
    kpi_set = _get_set(pk)
    form = WeightsForm(request.POST or None, kpi_set=kpi_set)
    if request.method == "POST" and form.is_valid():
        try:
            performance.update_kpi_set(actor=request.user, kpi_set=kpi_set, name=form.cleaned_data["name"],
                                       weights=form.entries())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("考核指标已保存。"))
            return redirect("kpi_set_detail", pk=kpi_set.pk)
    return render(request, "commission/kpi/set_form.html", {
        "form": form, "kpi_set": kpi_set, "title": _("修改考核指标 %(name)s") % {"name": kpi_set}})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def kpi_set_version(request: HttpRequest, pk: int) -> HttpResponse:
    """A new version of the set's code, the weights of this one filled in."""
    if not _may_manage(request.user):
        raise PermissionDenied
    kpi_set = _get_set(pk)
    form = VersionForm(request.POST or None, kpi_set=kpi_set, initial={"valid_from": _next_month_start()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = performance.add_kpi_version(actor=request.user, kpi_set=kpi_set, valid_from=data["valid_from"],
                                              name=data["name"], weights=form.entries())
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("新版本已创建。"))
            return redirect("kpi_set_detail", pk=new.pk)
    return render(request, "commission/kpi/set_form.html", {
        "form": form, "kpi_set": kpi_set, "title": _("新建版本：%(name)s") % {"name": kpi_set.name}})


def _next_month_start() -> date:
    today = timezone.localdate()
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


# --- performance bases ------------------------------------------------------------------------------------


@login_required
@require_safe
def kpi_base_list(request: HttpRequest) -> HttpResponse:
    """Every salesperson with their base in force this month, its earlier versions, and a warning
    for those who will not be scored (no base, or no KPI set to score them with)."""
    if not _may_read_bases(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    first, last = today.replace(day=1), performance.month_bounds(f"{today:%Y-%m}")[1]
    people = list(User.objects.filter(groups__name=Role.SALESPERSON).select_related("team")
                  .order_by("team__code", "username").distinct())
    versions: dict[int, list[PerformanceBase]] = {}
    for b in PerformanceBase.objects.order_by("salesperson_id", "-valid_from"):
        versions.setdefault(b.salesperson_id, []).append(b)
    in_force = {s.code: s for s in performance.sets_in_force_from(
        list(KpiSet.objects.filter(valid_from__lte=first)), first)}
    rows = []
    for u in people:
        mine = versions.get(u.pk, [])
        current = next((b for b in mine if b.valid_from <= last), None)
        kpi_set = performance.set_for(current.kpi_set_code, in_force) if current else None
        rows.append({"user": u, "current": current, "versions": mine, "kpi_set": kpi_set,
                     "upcoming": [b for b in mine if b.valid_from > last]})
    return render(request, "commission/kpi/base_list.html", {
        "rows": rows, "month": first, "can_manage": _may_manage(request.user)})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def kpi_base_edit(request: HttpRequest) -> HttpResponse:
    """Set a salesperson's base from a date (``?salesperson=<id>`` preselects one)."""
    if not _may_manage(request.user):
        raise PermissionDenied
    initial = {"valid_from": timezone.localdate().replace(day=1)}
    if request.GET.get("salesperson", "").isdigit():
        initial["salesperson"] = int(request.GET["salesperson"])
    form = BaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            performance.set_base(actor=request.user, salesperson=data["salesperson"], amount=data["amount"],
                                 valid_from=data["valid_from"], kpi_set_code=data["kpi_set_code"])
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("绩效基数已保存。"))
            return redirect("kpi_base_list")
    return render(request, "commission/kpi/base_form.html", {"form": form})
