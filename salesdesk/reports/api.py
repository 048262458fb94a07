"""The sales reports in the API (API.md, "Sales reports"): ``GET /reports/sales`` as JSON and
``GET /reports/sales.xlsx`` as the same figures in an Excel file. Rows are those the caller may see."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import AfterValidator

from salesdesk.api.auth import requires
from salesdesk.api.schemas import COMMON_ERRORS
from salesdesk.api.types import Money
from salesdesk.core.exports import XLSX_MIME, log_export, xlsx_response
from salesdesk.org.models import CompanyProfile
from salesdesk.org.visibility import salesperson_scope

from . import exporting, row_writer
from .json_out import report_json
from .periods import EARLIEST, LATEST
from .permissions import EXPORT_REPORTS, VIEW_REPORTS
from .queries import SalesReport, performance_measure, sales_report

router = Router(tags=["reports"])


def _sane(value: dt.date) -> dt.date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"date out of range ({EARLIEST.year}–{LATEST.year})")
    return value


Day = Annotated[dt.date, AfterValidator(_sane)]


class ReportQuery(Schema):
    period: Literal["day", "five_day", "month", "quarter", "year"] = Field(
        "month", description="日报 / 五日报 (1–5, 6–10, 11–15, 16–20, 21–25, 26–月末) / 月报 / 季报 / 年报")
    date: Day | None = Field(None, description="期间内任一日期（默认今天） / any day of the period (default today)")
    group_by: Literal["salesperson", "customer", "product", "category", "region", "team"] = Field(
        "salesperson", description="汇总方式 / grouping; by product or category money (received, pending) is null")


class RangeOut(Schema):
    start: dt.date
    end: dt.date


class ReportPeriodOut(RangeOut):
    kind: str
    label: str
    days: int
    time_progress: str = Field(..., description="时间进度: elapsed days ÷ days in the period as of today, 4 decimals")
    previous: RangeOut
    last_year: RangeOut


class FiguresOut(Schema):
    ordered_amount: Money
    shipped_amount: Money
    invoiced_amount: Money
    received_amount: Money | None
    performance_amount: Money | None


class RowOut(Schema):
    key: int | str | None = Field(..., description="id of the grouped object (region: its name); null for none")
    label: str
    detail: str = Field("", description="team of a salesperson, code of a customer, SKU of a product")
    ordered_amount: Money
    shipped_amount: Money
    invoiced_amount: Money
    received_amount: Money | None = Field(..., description="confirmed money less refunds; null by product/category")
    pending_received_amount: Money | None = Field(..., description="recorded, not yet confirmed; null by product")
    new_customers: int | None
    target_amount: Money | None
    performance_amount: Money | None = Field(..., description="业绩 in the company's measure")
    completion_rate: str | None = Field(..., description="performance ÷ target, 4 decimals; null without a target")
    rank: int | None
    previous: FiguresOut
    last_year: FiguresOut
    previous_growth_rate: str | None = Field(..., description="环比: performance vs the previous period")
    last_year_growth_rate: str | None = Field(..., description="同比: performance vs the same period last year")


class ReportOut(Schema):
    period: ReportPeriodOut
    group_by: str
    measure: str = Field(..., description="业绩口径: ordered, shipped or received (company setting)")
    amounts_include_tax: bool
    source: str = Field(..., description="facts (day, five-day) or rollups (month, quarter, year)")
    rows: list[RowOut]
    totals: RowOut


def sales_json(user, kind: str, day: dt.date, group_by: str) -> bytes:
    """The report as the API's JSON. Grouped by customer (up to one row per customer), product or category
    the rows are written from the query's tuples (``row_writer``); the other groupings have at most a few
    hundred rows and are written from ``sales_report``."""
    if group_by in row_writer.GROUPINGS and salesperson_scope(user) != frozenset():
        return row_writer.rows_report_json(user, kind, day, group_by, performance_measure(), timezone.localdate())
    return report_json(sales_report(user, kind, day, group_by))


def _report(request, query: ReportQuery) -> SalesReport:
    return sales_report(request.user, query.period, query.date or timezone.localdate(), query.group_by)


@router.get("/reports/sales", response={200: ReportOut, **COMMON_ERRORS}, auth=requires(VIEW_REPORTS),
            summary="销售报表（日/五日/月/季/年） / Sales report for a period")
def sales(request, query: Query[ReportQuery]):
    """Ordered, shipped, invoiced and received amounts (含税), pending money, new customers, target and
    completion per row, with the previous period and the same period last year. Grouped by salesperson,
    every visible salesperson has a row; the rows and totals are those the caller may see."""
    return HttpResponse(sales_json(request.user, query.period, query.date or timezone.localdate(), query.group_by),
                        content_type="application/json; charset=utf-8")


XLSX_RESPONSE = {"responses": {"200": {"description": "The report as an Excel file (.xlsx)", "content": {
    XLSX_MIME: {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/reports/sales.xlsx", response={200: None, **COMMON_ERRORS}, auth=requires(EXPORT_REPORTS),
            summary="销售报表 Excel / The sales report as an Excel file", openapi_extra=XLSX_RESPONSE)
def sales_xlsx(request, query: Query[ReportQuery]):
    """The same figures as ``GET /reports/sales`` with the same query: frozen header, totals row,
    amounts incl. tax as numbers with two decimals. Logged as an export."""
    report = _report(request, query)
    user = request.user
    content = exporting.workbook(report, company=CompanyProfile.current().name, exported_by=user.display_name)
    log_export(user, "reports.sales", len(report.rows), query.model_dump(mode="json"))
    return xlsx_response(content, exporting.filename(report, user.display_name, "xlsx"))
