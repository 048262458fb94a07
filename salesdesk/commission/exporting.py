"""The run's Excel file for HR and finance: one sheet of lines (one per salesperson and kind, with
the performance pay beside the commission), one sheet of the items that priced them. Written with
XlsxWriter; text is formula-safe; the exporting user is named in the file and the export logged."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.utils import timezone

from salesdesk.core.exports import safe_cell

LINE_HEADERS = ["月份", "业务员", "团队", "方案", "类型", "提成基数", "提成金额", "考核得分", "绩效工资", "确认状态",
                "经理确认", "调整原因", "异议"]
ITEM_HEADERS = ["月份", "业务员", "明细类型", "项目", "规则", "单据", "业务日期", "所属月份", "基数", "比例", "金额", "说明"]


class _Sheet:
    def __init__(self, book, title: str, headers: Sequence[str], caption: str):
        self.sheet = book.add_worksheet(title)
        self.money = book.add_format({"num_format": "#,##0.00"})
        self.rate = book.add_format({"num_format": "0.00%"})
        head = book.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1})
        self.sheet.write_string(0, 0, caption)
        for col, header in enumerate(headers):
            self.sheet.write_string(1, col, header, head)
            self.sheet.set_column(col, col, max(10, min(40, len(header) * 2 + 4)))
        self.sheet.freeze_panes(2, 0)
        self.row = 2

    def put(self, values: Sequence[Any], *, rate_cols: frozenset[int] = frozenset()) -> None:
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, Decimal):
                self.sheet.write_number(self.row, col, float(value), self.rate if col in rate_cols else self.money)
            elif isinstance(value, int | float):
                self.sheet.write_number(self.row, col, value)
            elif hasattr(value, "isoformat"):
                self.sheet.write_string(self.row, col, value.isoformat())
            else:
                self.sheet.write_string(self.row, col, str(safe_cell(str(value))))
        self.row += 1


def run_workbook(run, rows, items, *, company: str, exported_by: str) -> bytes:
    """``rows``: the views' ``LineRow`` list (line + performance); ``items``: (line, item, document)
    triples in line order."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    caption = f"{company} {run.period} 提成 · {run.get_status_display()} · 导出人 / exported by: {exported_by} · {stamp}"
    lines = _Sheet(book, "提成明细", LINE_HEADERS, caption)
    total = Decimal("0")
    for row in rows:
        line = row.line
        perf = row.performance
        total += line.commission_amount
        lines.put([run.period, line.salesperson.display_name, line.salesperson.team.name if line.salesperson.team else "",
                   line.plan.name if line.plan else "", str(line.get_kind_display()), line.base_amount,
                   line.commission_amount, perf.score if perf else None, perf.pay if perf else None,
                   str(line.get_status_display()), line.team_confirmed_by.display_name if line.team_confirmed_by else "",
                   line.reason, line.dispute_reason])
    lines.put(["合计", "", "", "", "", None, total])
    sheet = _Sheet(book, "计算依据", ITEM_HEADERS, caption)
    for line, item, document in items:
        sheet.put([run.period, line.salesperson.display_name, str(line.get_kind_display()), str(item.get_kind_display()),
                   item.rule, document or "", item.business_date, item.for_period, item.base, item.rate, item.amount,
                   item.note], rate_cols=frozenset({9}))
    book.close()
    return buffer.getvalue()
