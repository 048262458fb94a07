"""The sales reports in the API (API.md, "Sales reports"): ``GET /reports/sales`` as JSON and
``GET /reports/sales.xlsx`` as the same figures in an Excel file. Rows are those the caller may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import orjson
from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import AfterValidator

from salesdesk.api.auth import requires
from salesdesk.api.schemas import COMMON_ERRORS
from salesdesk.api.types import Money
from salesdesk.core.exports import XLSX_MIME, log_export, xlsx_response
from salesdesk.core.lib.collection import collection_paused
from salesdesk.core.lib.money import from_fen
from salesdesk.org.models import CompanyProfile

from . import exporting
from .periods import EARLIEST, LATEST, growth_text, rate
from .permissions import EXPORT_REPORTS, VIEW_REPORTS
from .queries import EMPTY, EMPTY_GOODS, FEN, Figures, ReportRow, SalesReport, sales_report

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


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.4f}"


def _money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return f"{value:.2f}" if value else "0.00"


def _yuan(fen: int | None) -> str | None:
    """Integer fen as the API's Money text (``_money`` of the same amount in yuan)."""
    if not fen:
        return None if fen is None else "0.00"
    if fen < 0:
        return f"-{-fen // 100}.{-fen % 100:02d}"
    return f"{fen // 100}.{fen % 100:02d}"


_EMPTY_FIGURES: dict[tuple[int, str], dict[str, Any]] = {}


def _figures(f: Figures, measure: str) -> dict[str, Any]:
    if f is EMPTY or f is EMPTY_GOODS:  # most rows have no figures in one of the periods: one shared dict
        key = (id(f), measure)
        if key not in _EMPTY_FIGURES:
            _EMPTY_FIGURES[key] = _figures_of(f, measure)
        return _EMPTY_FIGURES[key]
    return _figures_of(f, measure)


def _figures_of(f: Figures, measure: str) -> dict[str, Any]:
    return {"ordered_amount": _yuan(f.ordered_fen), "shipped_amount": _yuan(f.shipped_fen),
            "invoiced_amount": _yuan(f.invoiced_fen), "received_amount": _yuan(f.received_fen),
            "performance_amount": _yuan(FEN[measure](f))}


def row_out(row: ReportRow) -> dict[str, Any]:
    """One row with money already as text (the API's Money format), from the integer fen the report holds:
    serialising tens of thousands of rows then needs no Decimal and no per-value callback."""
    current, previous, last_year, measure, target = row.current, row.previous, row.last_year, row.measure, row.target
    fen = FEN[measure]
    performance, before, year_before = fen(current), fen(previous), fen(last_year)  # each read once
    completion = None
    if target is not None and performance is not None:
        completion = _text(rate(from_fen(performance), target))
    return {
        "key": row.key, "label": row.label, "detail": row.detail, "ordered_amount": _yuan(current.ordered_fen),
        "shipped_amount": _yuan(current.shipped_fen), "invoiced_amount": _yuan(current.invoiced_fen),
        "received_amount": _yuan(current.received_fen), "pending_received_amount": _money(row.pending_received),
        "new_customers": row.new_customers, "target_amount": _money(target),
        "performance_amount": _yuan(performance), "completion_rate": completion,
        "rank": row.rank, "previous": _figures(previous, measure), "last_year": _figures(last_year, measure),
        "previous_growth_rate": growth_text(performance, before),
        "last_year_growth_rate": growth_text(performance, year_before),
    }


def report_out(report: SalesReport) -> dict[str, Any]:
    p = report.period
    return {
        "period": {"kind": p.kind, "start": p.start, "end": p.end, "label": p.label, "days": p.days,
                   "time_progress": _text(report.time_progress),
                   "previous": {"start": report.previous_period.start, "end": report.previous_period.end},
                   "last_year": {"start": report.last_year_period.start, "end": report.last_year_period.end}},
        "group_by": report.group_by, "measure": report.measure, "amounts_include_tax": True, "source": report.source,
        "rows": [row_out(r) for r in report.rows], "totals": row_out(report.totals),
    }


def report_json(report: SalesReport) -> bytes:
    """``report_out`` as JSON, written directly by orjson: validating a thousand rows through the response
    schema costs more than the query (the bench's P1). A test holds it equal to the schema's serialisation."""
    with collection_paused():
        return orjson.dumps(report_out(report))


def _report(request, query: ReportQuery) -> SalesReport:
    return sales_report(request.user, query.period, query.date or timezone.localdate(), query.group_by)


@router.get("/reports/sales", response={200: ReportOut, **COMMON_ERRORS}, auth=requires(VIEW_REPORTS),
            summary="销售报表（日/五日/月/季/年） / Sales report for a period")
def sales(request, query: Query[ReportQuery]):
    """Ordered, shipped, invoiced and received amounts (含税), pending money, new customers, target and
    completion per row, with the previous period and the same period last year. Grouped by salesperson,
    every visible salesperson has a row; the rows and totals are those the caller may see."""
    return HttpResponse(report_json(_report(request, query)), content_type="application/json; charset=utf-8")


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
