"""Excel import and export of the product list (产品导入/导出).

The export writes the columns the import reads, so a list can be exported, edited in Excel or
WPS and imported back. The import reads the first sheet with openpyxl in read-only mode (behind
a size and zip-bomb check; openpyxl parses with defusedxml), maps the header row from Chinese
or English column names, and checks every row with the service's rules. All or nothing: any
error refuses the whole file, naming the row as Excel numbers it and the column, in Chinese.
A row whose SKU exists updates that product (history records the import); others create one."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any, NamedTuple

import openpyxl
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.functions import Lower

from salesdesk.core.errors import InvalidInput
from salesdesk.customers.importing import ImportRefused as FileRefused
from salesdesk.customers.importing import xlsx_sheet_rows

from . import permissions as perms
from . import services
from .errors import CatalogErrorCode
from .models import Category, LevelPrice, Product
from .tables import rate_text

if not openpyxl.DEFUSEDXML:  # pragma: no cover - a broken install
    raise ImportError("defusedxml must be installed: xlsx imports parse untrusted XML")

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
CHANGE_REASON = "Excel 导入"


class Column(NamedTuple):
    key: str
    header: str  # as exported and in the template
    aliases: tuple[str, ...]


COLUMNS = (
    Column("sku", "产品编码", ("sku", "编码", "产品编号", "物料编码")),
    Column("name", "品名", ("name", "名称", "产品名称")),
    Column("specification", "规格型号", ("spec", "specification", "规格", "型号")),
    Column("unit", "单位", ("unit", "计量单位")),
    Column("category", "类别编码", ("category", "类别", "分类")),
    Column("price", "标准价(含税)", ("price", "标准价", "价格", "含税价", "单价")),
    Column("tax_rate", "税率", ("tax_rate", "税率%")),
    Column("cost", "成本价", ("cost",)),
    Column("floor_price", "底价", ("floor_price", "最低价")),
    Column("active", "在售", ("active", "状态", "是否在售")),
    Column("level:dealer", "经销价", ("dealer",)),
    Column("level:key_account", "大客户价", ("key_account",)),
    Column("level:special", "特价", ("special",)),
)
COST_KEYS = {"cost", "floor_price"}
TRUE_WORDS = {"是", "在售", "y", "yes", "true", "1", "启用", "√"}
FALSE_WORDS = {"否", "停售", "n", "no", "false", "0", "停用", "×"}


def _key(text: Any) -> str:
    return "".join(str(text or "").split()).lower().replace("（", "(").replace("）", ")")


_ALIASES = {_key(alias): c.key for c in COLUMNS for alias in (c.header, *c.aliases)}


class RowError(NamedTuple):
    row: int  # as Excel numbers it; the header is row 1
    column: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


class ImportRefused(InvalidInput):
    """The file as a whole cannot be used; shown on the upload field."""

    def __init__(self, message: str):
        super().__init__({"file": [message]}, field="file", code=CatalogErrorCode.IMPORT_ROWS)


def _rows(data: bytes) -> Iterator[list[Any]]:
    """The first sheet's rows through the customer import's guarded reader (zip-bomb ratio, row
    cap from the sheet's dimension, formulas without a computed value given as their text)."""
    if not data.strip():
        raise ImportRefused("文件为空，请选择填好数据的 .xlsx 文件 / The file is empty.")
    if len(data) > MAX_BYTES:
        raise ImportRefused("文件超过 10 MB / The file is larger than 10 MB.")
    if not data.startswith(b"PK\x03\x04"):
        raise ImportRefused("无法读取文件，请上传 .xlsx 格式的 Excel 文件（不支持 .xls、CSV 或其他文件） / "
                            "Not a readable .xlsx file.")
    rows = xlsx_sheet_rows(data, "file.xlsx", MAX_ROWS + 1)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except FileRefused as exc:
            raise ImportRefused(f"{_first_message(exc)} / The file was refused ({exc.code}).") from None
        except Exception:  # a corrupt sheet discovered while reading
            raise ImportRefused("文件内容已损坏，无法读取 / The sheet is corrupt.") from None
        yield row


def _first_message(exc: InvalidInput) -> str:
    return next((str(m) for messages in exc.errors.values() for m in messages), str(exc.message))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _decimal(value: Any) -> Decimal | None:
    text = _text(value).replace(",", "").replace("¥", "").replace("￥", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("不是有效数字") from None
    if not number.is_finite():
        raise ValueError("不是有效数字")
    return number


def _rate(value: Any) -> Decimal | None:
    text = _text(value)
    percent = text.endswith("%")
    number = _decimal(text.rstrip("%"))
    if number is None:
        return None
    if percent or number > 1:
        number = number / 100
    return number.normalize() if number else Decimal(0)


def _active(value: Any) -> bool | None:
    text = _text(value).lower()
    if not text:
        return None
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError("请填写“是”或“否”")


@dataclass
class _Planned:
    row: int
    product: Product | None  # None: a new product
    data: dict[str, Any]
    levels: dict[str, Decimal | None]


def check_file(*, actor, data: bytes) -> tuple[list[_Planned], ImportResult]:
    """Read and check every row; nothing is written. Refuses the whole file when it cannot be read."""
    if not (actor.has_perm(perms.ADD_PRODUCT) and actor.has_perm(perms.CHANGE_PRODUCT)):
        raise PermissionDenied
    rows = _rows(data)
    header = next(rows, None)
    if not header or not any(_text(c) for c in header):
        raise ImportRefused("第 1 行应为表头（产品编码、品名、单位、标准价(含税)、税率…） / Row 1 must be the header.")
    columns: dict[str, int] = {}
    names: dict[str, str] = {}
    for index, cell in enumerate(header):
        key = _ALIASES.get(_key(cell))
        if key is None:
            continue
        if key in columns:
            raise ImportRefused(f"表头“{_text(cell)}”重复 / Column {_text(cell)} appears twice.")
        columns[key], names[key] = index, _text(cell)
    missing = [c.header for c in COLUMNS if c.key == "sku" and c.key not in columns]
    if missing:
        raise ImportRefused("缺少“产品编码”列 / The SKU column is missing.")
    if COST_KEYS & set(columns) and not actor.has_perm(perms.VIEW_COST):
        raise ImportRefused("您无权导入成本价或底价，请删除这两列 / You may not import cost or floor prices.")

    result = ImportResult()
    planned: list[_Planned] = []
    raw: list[tuple[int, dict[str, Any]]] = []
    for number, row in enumerate(rows, start=2):
        values = {key: row[i] if i < len(row) else None for key, i in columns.items()}
        if not any(_text(v) for v in values.values()):
            continue
        raw.append((number, values))
        if len(raw) > MAX_ROWS:
            raise ImportRefused(f"一次最多导入 {MAX_ROWS} 行 / At most {MAX_ROWS} rows.")
    if not raw:
        raise ImportRefused("文件中没有数据行 / The file has no rows.")
    skus = [_text(v.get("sku")) for _, v in raw]
    lowered = list({s.lower() for s in skus if s})
    existing = {
        p.sku.lower(): p
        for p in Product.objects.annotate(sku_key=Lower("sku")).filter(sku_key__in=lowered).select_related("category")
    }
    categories = {c.code.lower(): c for c in Category.objects.all()}
    seen: dict[str, int] = {}

    def error(row: int, key: str, message: str) -> None:
        result.errors.append(RowError(row, names.get(key, key), message))

    for number, values in raw:
        sku = _text(values.get("sku"))
        product = existing.get(sku.lower())
        if sku.lower() in seen:
            error(number, "sku", f"产品编码与第 {seen[sku.lower()]} 行重复")
            continue
        seen[sku.lower()] = number
        data: dict[str, Any] = {}
        bad = False
        for key in ("sku", "name", "specification", "unit"):
            if key in columns:
                data[key] = _text(values.get(key))
        for key in ("price", "cost", "floor_price"):
            if key in columns:
                try:
                    data[key] = _decimal(values.get(key))
                except ValueError as exc:
                    error(number, key, str(exc))
                    bad = True
        if "tax_rate" in columns:
            try:
                data["tax_rate"] = _rate(values.get("tax_rate"))
            except ValueError as exc:
                error(number, "tax_rate", str(exc))
                bad = True
        if "active" in columns:
            try:
                active = _active(values.get("active"))
            except ValueError as exc:
                error(number, "active", str(exc))
                bad = True
            else:
                if active is not None:
                    data["active"] = active
        if "category" in columns:
            code = _text(values.get("category"))
            if code and code.lower() not in categories:
                error(number, "category", f"没有编码为“{code}”的类别")
                bad = True
            data["category"] = categories.get(code.lower()) if code else None
        levels: dict[str, Decimal | None] = {}
        for key in [k for k in columns if k.startswith("level:")]:
            try:
                price = _decimal(values.get(key))
            except ValueError as exc:
                error(number, key, str(exc))
                bad = True
                continue
            if price is not None:
                levels[key.split(":", 1)[1]] = price
        if product is not None:
            # blank cells of an existing product keep its values
            data = {k: v for k, v in data.items() if v not in (None, "") or k in ("category", "specification")}
        cleaned, problems = services.clean_product(data, partial=product is not None)
        for key, messages in problems.items():
            error(number, key, _chinese(messages[0]))
            bad = True
        try:
            services.clean_level_prices(levels)
        except InvalidInput as exc:
            for key, messages in exc.errors.items():
                error(number, "level:" + key.split(".")[-1], _chinese(messages[0]))
            bad = True
        if not bad:
            planned.append(_Planned(number, product, cleaned, levels))
    result.errors.sort()
    return planned, result


def _chinese(message: str) -> str:
    return message.split(" / ", 1)[0]


def import_products(*, actor, source: bytes | IO[bytes]) -> ImportResult:
    """Check the whole file, then write every row in one transaction — or nothing."""
    data = source if isinstance(source, bytes) else source.read(MAX_BYTES + 1)
    planned, result = check_file(actor=actor, data=data)
    if result.errors:
        return result
    with transaction.atomic():
        for item in planned:
            if item.product is None:
                services.create_product(actor=actor, data=item.data, level_prices=item.levels, reason=CHANGE_REASON)
                result.created += 1
                continue
            before = item.product.history.count()
            services.update_product(actor=actor, product=item.product, changes=item.data, level_prices=item.levels,
                                    reason=CHANGE_REASON)
            if item.product.history.count() > before:
                result.updated += 1
            else:
                result.unchanged += 1
    return result


# --- export and template ---------------------------------------------------------------------------


def export_columns(user) -> list[Column]:
    show_cost = perms.sees_cost(user) and perms.sees_prices(user)
    show_prices = perms.sees_prices(user)
    return [c for c in COLUMNS
            if (show_cost or c.key not in COST_KEYS)
            and (show_prices or c.key not in {"price", "level:dealer", "level:key_account", "level:special"})]


def export_rows(user, products) -> Iterator[list[Any]]:
    """Rows in the import's columns; level prices fetched in one query per 2,000 products."""
    columns = export_columns(user)
    wanted_levels = [c.key.split(":", 1)[1] for c in columns if c.key.startswith("level:")]
    batch: list[Product] = []

    def flush() -> Iterator[list[Any]]:
        levels: dict[tuple[int, str], Decimal] = {}
        if wanted_levels:
            for pid, level, price in LevelPrice.objects.filter(product__in=[p.pk for p in batch],
                                                               price_level__in=wanted_levels) \
                    .values_list("product_id", "price_level", "price"):
                levels[(pid, level)] = price
        for p in batch:
            out = []
            for c in columns:
                if c.key.startswith("level:"):
                    out.append(levels.get((p.pk, c.key.split(":", 1)[1])))
                elif c.key == "category":
                    out.append(p.category.code if p.category_id else "")
                elif c.key == "active":
                    out.append("是" if p.active else "否")
                elif c.key == "tax_rate":
                    out.append(rate_text(p.tax_rate))
                else:
                    out.append(getattr(p, c.key))
            yield out

    for product in products.iterator(chunk_size=2000) if hasattr(products, "iterator") else products:
        batch.append(product)
        if len(batch) == 2000:
            yield from flush()
            batch = []
    if batch:
        yield from flush()


def template_workbook(user) -> bytes:
    """An empty import file with the header and one example row."""
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "产品"
    columns = export_columns(user)
    sheet.append([c.header for c in columns])
    example = {"sku": "HM46-200", "name": "抗磨液压油", "specification": "HM46 200L", "unit": "桶",
               "category": "", "price": 1130, "tax_rate": "13%", "cost": 800, "floor_price": 1000, "active": "是",
               "level:dealer": 1050, "level:key_account": "", "level:special": ""}
    sheet.append([example[c.key] for c in columns])
    book.save(buffer)
    return buffer.getvalue()
