"""Lines pasted from Excel or WPS into the contract (or order) grid: one row per line, cells
separated by tabs (what a spreadsheet puts on the clipboard): ``sku  quantity  [unit price]``.
Parsed on the server so the same rules apply to every browser."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_PASTED_LINES = 500


@dataclass(frozen=True)
class PastedLine:
    row: int  # the line of the pasted text, from 1
    sku: str
    quantity: Decimal
    unit_price: Decimal | None


def _number(text: str) -> Decimal | None:
    cleaned = text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace("元", "").strip()
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def parse_pasted(text: str) -> tuple[list[PastedLine], list[str]]:
    """The lines and the problems (in Chinese, naming the pasted row). A first row whose
    quantity is not a number is taken for a header and skipped."""
    lines: list[PastedLine] = []
    errors: list[str] = []
    first = True
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        cells = [c.strip() for c in raw.split("\t")] if "\t" in raw else raw.split()
        sku = cells[0] if cells else ""
        qty_text = cells[1] if len(cells) > 1 else ""
        price_text = cells[2] if len(cells) > 2 else ""
        try:
            quantity = _number(qty_text)
        except ValueError:
            if first:
                first = False
                continue  # a header row (产品编码 / 数量 / 单价)
            errors.append(f"第 {number} 行：数量“{qty_text}”不是数字")
            continue
        first = False
        if not sku:
            errors.append(f"第 {number} 行：缺少产品编码")
            continue
        if quantity is None or quantity <= 0:
            errors.append(f"第 {number} 行：数量必须大于 0")
            continue
        try:
            price = _number(price_text)
        except ValueError:
            errors.append(f"第 {number} 行：单价“{price_text}”不是数字")
            continue
        if price is not None and price < 0:
            errors.append(f"第 {number} 行：单价不能为负")
            continue
        lines.append(PastedLine(number, sku, quantity, price))
        if len(lines) > MAX_PASTED_LINES:
            errors.append(f"一次最多粘贴 {MAX_PASTED_LINES} 行")
            break
    return lines, errors
