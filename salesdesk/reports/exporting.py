"""The sales report as an Excel file: the same figures as the page and the API, a title naming the
company, period, measure and exporter, a frozen header, amounts as numbers in a two-decimal format
(含税), rates as percentages and a bold totals row. Written with XlsxWriter; text is formula-safe."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.utils import timezone

from salesdesk.core.exports import safe_cell

from .periods import REPORT_NAMES
from .queries import ReportRow, SalesReport

MEASURE_LABELS = {"ordered": "下单金额", "shipped": "发货金额", "received": "回款金额"}
HEADER_ROW = 3  # title, period line, blank, then the header


def report_title(report: SalesReport) -> str:
    return f"{REPORT_NAMES[report.period.kind]}（按{report.group_label}）"


def columns(report: SalesReport) -> list[tuple[str, str]]:
    """(header, kind) of each column; kind is text, int, money or rate."""
    cols = [("排名", "int"), (report.group_label, "text"), ("说明", "text"),
            ("下单金额(含税)", "money"), ("发货金额(含税)", "money"), ("开票金额(含税)", "money")]
    if report.money_applies:
        cols += [("回款金额(已确认)", "money"), ("待确认回款", "money"), ("新增客户", "int")]
    cols += [("目标(含税)", "money"), ("完成率", "rate"), ("时间进度", "rate"),
             ("上期业绩", "money"), ("环比", "rate"), ("去年同期业绩", "money"), ("同比", "rate")]
    return cols


def row_values(report: SalesReport, row: ReportRow) -> list[Any]:
    values: list[Any] = [row.rank, row.label, row.detail, row.ordered_amount, row.shipped_amount, row.invoiced_amount]
    if report.money_applies:
        values += [row.received_amount, row.pending_received, row.new_customers]
    values += [row.target, row.completion_rate, report.time_progress, row.previous_performance, row.previous_growth,
               row.last_year_performance, row.last_year_growth]
    return values


def workbook(report: SalesReport, *, company: str, exported_by: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet(REPORT_NAMES[report.period.kind])
    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1, "text_wrap": True, "valign": "vcenter"})
    fmt = {
        "text": book.add_format({"border": 1}),
        "int": book.add_format({"border": 1, "num_format": "0"}),
        "money": book.add_format({"border": 1, "num_format": "#,##0.00"}),
        "rate": book.add_format({"border": 1, "num_format": "0.00%"}),
    }
    bold = {k: book.add_format({**spec, "bold": True, "bg_color": "#F3F3F3"}) for k, spec in {
        "text": {"border": 1}, "int": {"border": 1, "num_format": "0"},
        "money": {"border": 1, "num_format": "#,##0.00"}, "rate": {"border": 1, "num_format": "0.00%"},
    }.items()}
    cols = columns(report)
    p = report.period
    sheet.write_string(0, 0, f"{company} {report_title(report)}", title)
    sheet.write_string(1, 0, (
        f"期间：{p.label}（{p.start:%Y-%m-%d} 至 {p.end:%Y-%m-%d}） · 业绩口径：{MEASURE_LABELS[report.measure]} · "
        f"金额单位：元（含税） · 时间进度 {report.time_progress * 100:.2f}% · 导出人：{exported_by} · "
        f"{timezone.localtime():%Y-%m-%d %H:%M}"))
    for c, (header, kind) in enumerate(cols):
        sheet.write_string(HEADER_ROW, c, header, head)
        sheet.set_column(c, c, 28 if c == 1 else 16 if kind == "money" else 10 if kind in {"int", "rate"} else 14)
    sheet.freeze_panes(HEADER_ROW + 1, 2)
    r = HEADER_ROW + 1
    for row in [*report.rows, report.totals]:
        formats = bold if row.is_total else fmt
        for c, (value, (_, kind)) in enumerate(zip(row_values(report, row), cols, strict=True)):
            _put(sheet, r, c, value, formats[kind], formats["text"])
        r += 1
    sheet.write_string(r + 1, 0, "说明：金额均含税；回款金额为财务已确认的回款（含退款冲减），待确认回款为已登记未确认的回款；"
                       "完成率 = 业绩 ÷ 目标；日报、五日报的目标按当月目标按天折算。")
    book.close()
    return buffer.getvalue()


def _put(sheet, r: int, c: int, value: Any, fmt, text_fmt) -> None:
    if value is None:
        sheet.write_blank(r, c, None, fmt)
    elif isinstance(value, Decimal):
        sheet.write_number(r, c, float(value), fmt)
    elif isinstance(value, int):
        sheet.write_number(r, c, value, fmt)
    else:
        sheet.write_string(r, c, str(safe_cell(str(value))), text_fmt)


def filename(report: SalesReport, exported_by: str, ext: str) -> str:
    return f"{REPORT_NAMES[report.period.kind]}-{report.group_label}-{report.period.start:%Y%m%d}-{exported_by}.{ext}"
