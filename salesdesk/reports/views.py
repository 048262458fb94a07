"""The sales report pages: one page for every period (day, five-day, month, quarter, year) and
grouping, with its table (sortable, totals row, 万元 display), an ECharts chart, and the Excel and PDF
downloads of the same figures. Thin: the figures come from ``reports.queries``."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from salesdesk.core.exports import log_export, xlsx_response
from salesdesk.core.forms import StyledFormMixin
from salesdesk.org.models import CompanyProfile

from . import exporting, printing
from .periods import EARLIEST, LATEST, REPORT_NAMES
from .permissions import EXPORT_REPORTS, VIEW_REPORTS
from .queries import GROUPINGS, SalesReport, sales_report

PERIOD_CHOICES = [("day", _("日报")), ("five_day", _("五日报")), ("month", _("月报")), ("quarter", _("季报")),
                  ("year", _("年报"))]
GROUP_CHOICES = [("salesperson", _("按业务员")), ("customer", _("按客户")), ("product", _("按产品")),
                 ("category", _("按产品类别")), ("region", _("按区域")), ("team", _("按团队"))]
CHART_ROWS = 15  # the chart shows the first rows by rank; the table shows all


class ReportForm(StyledFormMixin, forms.Form):
    """The pickers; anything invalid falls back to the default (this month, by salesperson)."""

    period = forms.ChoiceField(label=_("报表"), choices=PERIOD_CHOICES, required=False)
    date = forms.DateField(label=_("日期（取所在期间）"), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    group_by = forms.ChoiceField(label=_("汇总方式"), choices=GROUP_CHOICES, required=False)

    def values(self) -> tuple[str, date, str]:
        self.is_valid()
        data = self.cleaned_data  # the fields that are valid
        day = data.get("date") or timezone.localdate()
        if not EARLIEST <= day <= LATEST:
            day = timezone.localdate()
        return data.get("period") or "month", day, data.get("group_by") or "salesperson"


def _report(request: HttpRequest) -> tuple[ReportForm, SalesReport]:
    data = {"period": "month", "date": timezone.localdate().isoformat(), "group_by": "salesperson"}
    data.update({k: v for k, v in request.GET.items() if k in data and v})
    form = ReportForm(data)
    kind, day, group_by = form.values()
    return form, sales_report(request.user, kind, day, group_by)


def _chart(report: SalesReport) -> dict:
    rows = report.rows[:CHART_ROWS]
    series = [{"name": "下单金额", "data": [str(r.ordered_amount) for r in rows]},
              {"name": "发货金额", "data": [str(r.shipped_amount) for r in rows]}]
    if report.money_applies:
        series.append({"name": "回款金额", "data": [str(r.received_amount) for r in rows]})
    targets = [None if r.target is None else str(r.target) for r in rows]
    return {"labels": [r.label for r in rows], "series": series,
            "target": targets if any(t is not None for t in targets) else None}


def _query(report: SalesReport) -> str:
    from urllib.parse import urlencode

    return urlencode({"period": report.period.kind, "date": report.period.start.isoformat(),
                      "group_by": report.group_by})


@login_required
@permission_required(VIEW_REPORTS, raise_exception=True)
@require_safe
def sales_report_page(request: HttpRequest) -> HttpResponse:
    """销售报表: pick the period and grouping; the table, the chart and the downloads follow."""
    form, report = _report(request)
    p = report.period
    context = {
        "form": form, "report": report, "title": exporting.report_title(report),
        "report_name": REPORT_NAMES[p.kind], "group_label": GROUPINGS[report.group_by],
        "measure_label": exporting.MEASURE_LABELS[report.measure], "chart": _chart(report),
        "querystring": _query(report), "can_export": request.user.has_perm(EXPORT_REPORTS),
        "previous_date": report.previous_period.start.isoformat(), "next_date": p.next().start.isoformat(),
        "periods": PERIOD_CHOICES, "groups": GROUP_CHOICES,
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "reports/_sales_body.html", context)
    return render(request, "reports/sales.html", context)


def _export_report(request: HttpRequest) -> SalesReport:
    from django.core.exceptions import PermissionDenied

    if not request.user.has_perm(EXPORT_REPORTS):
        raise PermissionDenied
    return _report(request)[1]


@login_required
@require_safe
def sales_report_xlsx(request: HttpRequest) -> HttpResponse:
    report = _export_report(request)
    user = request.user
    content = exporting.workbook(report, company=CompanyProfile.current().name, exported_by=user.display_name)
    log_export(user, "reports.sales", len(report.rows), {k: v for k, v in request.GET.items()})
    return xlsx_response(content, exporting.filename(report, user.display_name, "xlsx"))


@login_required
@require_safe
def sales_report_pdf(request: HttpRequest) -> HttpResponse:
    report = _export_report(request)
    log_export(request.user, "reports.sales.pdf", len(report.rows), {k: v for k, v in request.GET.items()})
    return printing.report_pdf(report, request.user)
