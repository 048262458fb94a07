"""Excel files of the contract domain: the fulfilment overview of one contract and the contract
summary. Written with XlsxWriter; text is formula-safe; the exporting user is named in the file."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.utils import timezone

from salesdesk.core.exports import safe_cell

from .models import Contract
from .queries import Fulfilment, Summary, SummaryRow


class _Sheet:
    def __init__(self, book, title: str):
        self.book = book
        self.sheet = book.add_worksheet(title[:31])
        self.row = 0
        self.bold = book.add_format({"bold": True})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.head = book.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1})
        self.money = book.add_format({"num_format": "#,##0.00", "border": 1})
        self.qty = book.add_format({"num_format": "#,##0.###", "border": 1})
        self.pct = book.add_format({"num_format": "0.00%", "border": 1})
        self.cell = book.add_format({"border": 1})
        self.day = book.add_format({"num_format": "yyyy-mm-dd", "border": 1})

    def line(self, *values: Any, fmt=None) -> None:
        for col, value in enumerate(values):
            self.put(col, value, fmt)
        self.row += 1

    def put(self, col: int, value: Any, fmt=None) -> None:
        if value is None:
            self.sheet.write_blank(self.row, col, None, fmt or self.cell)
        elif isinstance(value, Decimal):
            self.sheet.write_number(self.row, col, float(value), fmt or self.money)
        elif isinstance(value, bool):
            self.sheet.write_string(self.row, col, "是" if value else "否", fmt or self.cell)
        elif isinstance(value, int | float):
            self.sheet.write_number(self.row, col, value, fmt or self.cell)
        elif hasattr(value, "isoformat"):
            self.sheet.write_string(self.row, col, value.isoformat(), fmt or self.cell)
        else:
            self.sheet.write_string(self.row, col, str(safe_cell(str(value))), fmt or self.cell)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], formats: Sequence[Any]) -> None:
        self.line(*headers, fmt=self.head)
        for values in rows:
            for col, value in enumerate(values):
                self.put(col, value, formats[col] if value is not None and not isinstance(value, str) else None)
            self.row += 1
        self.row += 1


def _rate(value: Decimal | None) -> Any:
    return None if value is None else float(value)


def fulfilment_workbook(contract: Contract, result: Fulfilment, *, company: str, exported_by: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    s = _Sheet(book, "合同履行一览表")
    s.sheet.set_column(0, 0, 14)
    s.sheet.set_column(1, 1, 28)
    s.sheet.set_column(2, 12, 14)
    s.line(f"{company} 合同履行一览表", fmt=s.title)
    s.line(f"导出人：{exported_by} · {timezone.localtime():%Y-%m-%d %H:%M} · 统计截至 {result.as_of:%Y-%m-%d}")
    s.row += 1
    facts = [("合同编号", contract.number), ("客户", contract.customer.name),
             ("业务员", contract.salesperson.display_name), ("状态", str(contract.get_status_display())),
             ("签订日期", contract.signed_on), ("合同期限", f"{contract.starts_on:%Y-%m-%d} 至 {contract.ends_on:%Y-%m-%d}")]
    for label, value in facts:
        s.line(label, value, fmt=None)
    s.row += 1
    s.table(
        ["合同金额", "已下单", "已发货", "已开票", "已回款", "应收余额(发货−回款)", "未回款(合同−回款)", "履约率", "回款率"],
        [[result.total, result.ordered_amount, result.shipped_amount, result.invoiced_amount, result.received_amount,
          result.receivable_amount, result.outstanding_amount, _rate(result.fulfilment_rate),
          _rate(result.collection_rate)]],
        [s.money] * 7 + [s.pct, s.pct],
    )
    s.table(
        ["行号", "产品编码", "品名", "规格型号", "单位", "合同数量", "单价(含税)", "合同金额", "已下单数量", "已下单金额",
         "已发货数量", "已发货金额", "剩余可下单数量"],
        [[line.line_no, line.sku, line.name, line.specification, line.unit, line.quantity, line.unit_price, line.amount,
          line.ordered_quantity, line.ordered_amount, line.shipped_quantity, line.shipped_amount,
          line.remaining_quantity] for line in result.lines],
        [s.cell, s.cell, s.cell, s.cell, s.cell, s.qty, s.qty, s.money, s.qty, s.money, s.qty, s.money, s.qty],
    )
    s.table(
        ["期次", "应收日期", "计划金额", "已回款", "未回款", "是否逾期", "说明"],
        [[i.seq, i.due_on, i.amount, i.received_amount, i.outstanding_amount, "逾期" if i.overdue else "", i.note]
         for i in result.instalments],
        [s.cell, s.day, s.money, s.money, s.money, s.cell, s.cell],
    )
    book.close()
    return buffer.getvalue()


GROUP_LABELS = {"salesperson": "业务员", "customer": "客户", "product": "产品"}
PERIOD_LABELS = {"month": "月度", "quarter": "季度"}


def summary_rows(result: Summary) -> list[SummaryRow]:
    return [*result.rows, result.totals]


def summary_workbook(result: Summary, *, company: str, exported_by: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    s = _Sheet(book, f"{PERIOD_LABELS[result.period_kind]}合同汇总")
    s.sheet.set_column(0, 0, 30)
    s.sheet.set_column(1, 6, 16)
    s.line(f"{company} {PERIOD_LABELS[result.period_kind]}合同汇总（按{GROUP_LABELS[result.group_by]}）", fmt=s.title)
    s.line(f"期间：{result.start:%Y-%m-%d} 至 {result.end:%Y-%m-%d} · 导出人：{exported_by} · "
           f"{timezone.localtime():%Y-%m-%d %H:%M}")
    s.row += 1
    s.table(
        [GROUP_LABELS[result.group_by], "签订合同数", "合同金额", "已发货金额", "已回款金额", "履约率", "资金回笼率"],
        [[r.label, r.contracts, r.value, r.shipped_amount, r.received_amount, _rate(r.fulfilment_rate),
          _rate(r.collection_rate)] for r in summary_rows(result)],
        [s.cell, s.cell, s.money, s.money, s.money, s.pct, s.pct],
    )
    book.close()
    return buffer.getvalue()
