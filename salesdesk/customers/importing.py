"""Excel / CSV import of customers with their contacts (客户导入, issue 4 item 9).

One pass reads the file (``.xlsx`` with openpyxl in read-only mode behind a zip-bomb check and
defusedxml, legacy ``.xls`` with xlrd, CSV in UTF-8 or GBK/GB18030), maps the header row from
Chinese or English column names, and checks every row with the same rules as
``services.create_customer`` (USCC, phones, names, who may set credit terms, 撞单 against the
database and within the file). Errors name the row as Excel shows it (the header is row 1) and
the column, in Chinese.

All or nothing: any error refuses the whole file. A dry run stops after the checks. A real run
computes everything (codes aside) outside the transaction, then writes every customer, contact
and their history rows in one short transaction with ``bulk_create`` — history through
simple-history's ``bulk_create_with_history`` with the importing user, so 动态管理 shows the
creation.

Several contacts of one customer are either repeated rows with the same customer name (the
customer columns left empty or repeated unchanged) or numbered columns (联系人2, 电话2, ...).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import IO, Any, NamedTuple

import openpyxl
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from salesdesk.core.errors import InvalidInput
from salesdesk.core.lib.names import normalize_company_name
from salesdesk.core.models import NumberCounter
from salesdesk.org.models import User
from salesdesk.org.roles import Role
from salesdesk.org.visibility import salesperson_scope

from . import permissions as perms
from . import services
from .choices import CustomerLevel, CustomerStatus, PriceLevel, Settlement, TermAnchor
from .errors import CustomerErrorCode
from .models import Contact, Customer

# openpyxl parses with defusedxml when it is installed (it is a locked dependency); refuse to run
# without it rather than parse untrusted XML with entity expansion.
if not openpyxl.DEFUSEDXML:  # pragma: no cover - a broken install
    raise ImportError("defusedxml must be installed: xlsx imports parse untrusted XML")

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # declared size of all members of an xlsx
MAX_RATIO = 100  # uncompressed / compressed, over the whole package
MAX_ROWS = 20_000  # data rows of one file: a confirmation must finish well within the web timeout
MAX_COLUMNS = 100
ROW_SLACK = 50  # title rows above a header (bank statements, ledgers) and blank rows
PREVIEW_ROWS = 20
BATCH_SIZE = 500
CHANGE_REASON = "Excel 导入"

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_EXECUTABLE = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
               b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_HTML = re.compile(r"^\s*<(?:!doctype|html|table|\?xml)", re.I)


class ImportErrorCode(StrEnum):
    EMPTY_FILE = "empty_file"
    TOO_LARGE = "file_too_large"
    UNSUPPORTED = "unsupported_file"
    EXECUTABLE = "executable"
    ZIP_BOMB = "zip_bomb"
    UNREADABLE = "unreadable_file"
    ENCODING = "unknown_encoding"
    NO_HEADER = "no_header"
    DUPLICATE_COLUMN = "duplicate_column"
    TOO_MANY_ROWS = "too_many_rows"
    NO_ROWS = "no_rows"


class ImportRefused(InvalidInput):
    """The file as a whole cannot be read (not a table, empty, a zip bomb, no header): nothing
    is checked row by row. Shown on the upload form's file field."""

    def __init__(self, message: str, code: ImportErrorCode):
        super().__init__({"file": [message]}, field="file", code=code)


class RowError(NamedTuple):
    """One problem: the row as Excel numbers it (header = 1; 0 for the file as a whole), the
    column as written in the file's header, and what is wrong, in the user's language."""

    row: int
    column: str
    message: str


@dataclass
class PreviewRow:
    row: int
    name: str
    uscc: str
    owner: str
    settlement: str
    credit_limit: str
    credit_days: str
    contact: str
    phone: str
    continuation: bool  # another contact of the customer above
    has_error: bool


@dataclass
class ImportResult:
    """What a run found (and, unless ``dry_run``, wrote)."""

    rows: int = 0  # data rows read (blank rows skipped)
    customers: int = 0  # customers in the file (written when ``written``)
    contacts: int = 0
    errors: list[RowError] = field(default_factory=list)
    preview: list[PreviewRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = True
    written: bool = False
    codes: tuple[str, str] | None = None  # first and last customer code written

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors})


# --- columns ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # the header of the template (Chinese)
    aliases: tuple[str, ...] = ()
    example: str = ""


CUSTOMER_COLUMNS: tuple[Column, ...] = (
    Column("name", "客户名称", ("客户名", "客户全称", "公司名称", "单位名称", "企业名称", "name", "customer", "customername",
                              "company", "companyname"), "杭州宏达机电设备有限公司"),
    Column("short_name", "简称", ("客户简称", "shortname", "abbreviation"), "宏达机电"),
    Column("uscc", "统一社会信用代码", ("社会信用代码", "信用代码", "uscc", "creditcode", "unifiedsocialcreditcode"),
           "91110000600037341L"),
    Column("uscc_override_reason", "校验位例外原因", ("usccoverridereason",)),
    Column("industry", "行业", ("所属行业", "industry"), "制造业"),
    Column("region", "区域", ("地区", "销售区域", "region", "area"), "华东"),
    Column("address", "地址", ("公司地址", "详细地址", "address"), "杭州市西湖区文三路 100 号"),
    Column("level", "客户等级", ("等级", "level", "grade"), "B"),
    Column("status", "状态", ("客户状态", "status"), "合作中"),
    Column("salesperson", "负责业务员", ("业务员", "负责人", "销售员", "salesperson", "owner", "salesrep")),
    Column("settlement", "结算方式", ("付款方式", "settlement", "paymentterms"), "款到发货"),
    Column("deposit_rate", "定金比例", ("depositrate",)),
    Column("credit_limit", "信用额度", ("授信额度", "creditlimit"), "0"),
    Column("credit_days", "账期天数", ("账期", "信用期", "creditdays", "paymentdays"), "0"),
    Column("term_anchor", "账期起算", ("termanchor",)),
    Column("price_level", "价格等级", ("pricelevel",)),
    Column("invoice_title", "开票抬头", ("发票抬头", "invoicetitle"), "杭州宏达机电设备有限公司"),
    Column("invoice_tax_id", "纳税人识别号", ("税号", "taxid", "taxpayerid"), "91110000600037341L"),
    Column("invoice_address_phone", "开票地址电话", ("地址电话", "invoiceaddressphone")),
    Column("invoice_bank_account", "开户行及账号", ("开户行", "银行账号", "bankaccount", "invoicebankaccount")),
    Column("source", "客户来源", ("来源", "source")),
    Column("notes", "备注", ("说明", "notes", "note", "remarks", "remark", "memo"), "展会认识"),
)
CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("name", "联系人", ("联系人姓名", "contact", "contactname", "contactperson"), "王建国"),
    Column("phone", "联系电话", ("电话", "手机", "手机号", "联系方式", "phone", "mobile", "tel", "telephone",
                             "contactphone"), "138-0013-8000"),
    Column("title", "职务", ("职位", "title", "position", "jobtitle"), "采购经理"),
    Column("email", "邮箱", ("电子邮箱", "email", "mail"), ""),
)
TEMPLATE_COLUMNS: tuple[Column, ...] = CUSTOMER_COLUMNS + CONTACT_COLUMNS

# Customer columns a continuation row (another contact of the customer above) must leave empty
# or repeat unchanged.
_CUSTOMER_KEYS = tuple(c.key for c in CUSTOMER_COLUMNS if c.key != "name")
_TERMS_KEYS = ("settlement", "credit_limit", "credit_days", "deposit_rate")


def _header_key(text: Any) -> str:
    """客户名称（必填）, "Credit Limit", "credit_limit *" → one comparable key."""
    t = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    t = re.sub(r"\(.*?\)|\[.*?\]|【.*?】", "", t)
    return re.sub(r"[\s*_\-:./#]+", "", t)


def _alias_index(columns: tuple[Column, ...]) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in columns:
        for alias in (column.label, column.key, *column.aliases):
            index[_header_key(alias)] = column.key
    return index


_CUSTOMER_ALIASES = _alias_index(CUSTOMER_COLUMNS)
_CONTACT_ALIASES = _alias_index(CONTACT_COLUMNS)
_NUMBERED = re.compile(r"^(?P<base>.*?\D)(?P<slot>[1-9])$")


@dataclass
class Header:
    row: int
    customer: dict[str, int]  # key → column index
    contacts: dict[int, dict[str, int]]  # slot (1..) → key → column index
    labels: dict[int, str]  # column index → header text as written
    ignored: list[str]

    def sort_key(self, error: RowError) -> tuple[int, int]:
        """Errors by row, then left to right as the columns stand in the file."""
        position = next((i for i, text in self.labels.items() if text == error.column), len(self.labels))
        return error.row, position

    def label(self, key: str, slot: int | None = None) -> str:
        index = self.customer.get(key) if slot is None else self.contacts.get(slot, {}).get(key)
        if index is not None:
            return self.labels[index]
        columns = CUSTOMER_COLUMNS if slot is None else CONTACT_COLUMNS
        base = next(c.label for c in columns if c.key == key)
        return base if not slot or slot == 1 else f"{base}{slot}"


def map_header(cells: list[str], row: int) -> Header:
    header = Header(row=row, customer={}, contacts={}, labels={}, ignored=[])
    for index, text in enumerate(cells):
        if not text:
            continue
        key = _header_key(text)
        header.labels[index] = text
        target: tuple[str, int | None] | None = None
        if key in _CUSTOMER_ALIASES:
            target = (_CUSTOMER_ALIASES[key], None)
        elif key in _CONTACT_ALIASES:
            target = (_CONTACT_ALIASES[key], 1)
        else:
            numbered = _NUMBERED.match(key)
            if numbered and numbered["base"] in _CONTACT_ALIASES:
                target = (_CONTACT_ALIASES[numbered["base"]], int(numbered["slot"]))
        if target is None:
            header.ignored.append(text)
            continue
        name, slot = target
        place = header.customer if slot is None else header.contacts.setdefault(slot, {})
        if name in place:
            raise ImportRefused(
                _("表头中“%(first)s”和“%(second)s”指同一列，请删除其中一列")
                % {"first": header.labels[place[name]], "second": text},
                ImportErrorCode.DUPLICATE_COLUMN,
            )
        place[name] = index
    if "name" not in header.customer:
        raise ImportRefused(
            _("第 %(row)d 行表头中找不到“客户名称”列。第一行应为表头（可下载导入模板对照）") % {"row": row},
            ImportErrorCode.NO_HEADER,
        )
    return header


# --- reading the file -----------------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Excel stores every number as a float: 13800138000.0 is the phone 13800138000.
        return str(int(value)) if value.is_integer() and abs(value) < 1e17 else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip()


def _sniff(data: bytes, filename: str) -> str:
    """'xlsx' | 'xls' | 'csv' from the content; the name's extension is not trusted."""
    if not data.strip():
        raise ImportRefused(_("文件为空，请选择填好数据的 Excel 或 CSV 文件"), ImportErrorCode.EMPTY_FILE)
    if data.startswith(_EXECUTABLE):
        raise ImportRefused(
            _("文件“%(name)s”不是表格文件（内容是可执行程序）。请上传 .xlsx、.xls 或 .csv 文件") % {"name": filename},
            ImportErrorCode.EXECUTABLE,
        )
    if data.startswith(_ZIP):
        return "xlsx"
    if data.startswith(_OLE):
        return "xls"
    return "csv"


def _unsupported(filename: str) -> ImportRefused:
    return ImportRefused(
        _("无法识别文件“%(name)s”的格式。请上传 Excel（.xlsx、.xls）或 CSV 文件") % {"name": filename},
        ImportErrorCode.UNSUPPORTED,
    )


def check_zip(data: bytes, filename: str) -> None:
    """Refuse a package that would expand beyond the caps (a zip bomb) before anything opens it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise _unsupported(filename) from None
    uncompressed = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos)
    if uncompressed > MAX_UNCOMPRESSED or uncompressed > MAX_RATIO * max(compressed, 1) or len(infos) > 10_000:
        raise ImportRefused(
            _("文件解压后过大（%(mb)d MB），疑为恶意文件，已拒绝") % {"mb": uncompressed // (1024 * 1024)},
            ImportErrorCode.ZIP_BOMB,
        )
    if "xl/workbook.xml" not in {i.filename for i in infos}:
        raise _unsupported(filename)


def _too_many_rows(limit: int) -> ImportRefused:
    return ImportRefused(_("文件超过 %(n)d 行数据，请分批导入") % {"n": limit}, ImportErrorCode.TOO_MANY_ROWS)


def check_size(data: bytes, filename: str) -> None:
    """Refuse a file over the upload limit before anything reads it (the views check the upload
    too; services called otherwise — the API, jobs, tests — get the same answer)."""
    limit = settings.MAX_UPLOAD_SIZE
    if len(data) > limit:
        raise ImportRefused(
            _("文件“%(name)s”过大（%(size).1f MB），上限 %(limit)d MB，请分批导入")
            % {"name": filename, "size": len(data) / (1024 * 1024), "limit": limit // (1024 * 1024)},
            ImportErrorCode.TOO_LARGE,
        )


def xlsx_sheet_rows(data: bytes, filename: str, max_rows: int = MAX_ROWS + ROW_SLACK) -> Iterator[list[Any]]:
    """The raw values of the first sheet's rows, blank rows included (so the count is Excel's row
    number). Behind the zip-bomb check; a sheet declaring more than ``max_rows`` rows is refused
    before it is read. A formula cell gives its cached value, or — in a file saved by a program
    that did not compute it — its formula text (``=1/0``), which no column accepts, so the row is
    named instead of the cell being read as empty."""
    from defusedxml import DefusedXmlException

    check_zip(data, filename)
    books = []
    try:
        for data_only in (True, False):
            books.append(openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only))
    except DefusedXmlException:
        raise ImportRefused(_("文件包含不安全的 XML 内容，已拒绝"), ImportErrorCode.UNREADABLE) from None
    except Exception:  # openpyxl raises many kinds on broken packages
        for book in books:
            book.close()
        raise ImportRefused(
            _("无法读取 Excel 文件“%(name)s”，文件可能已损坏或加密") % {"name": filename}, ImportErrorCode.UNREADABLE
        ) from None
    values_book, formula_book = books
    try:
        if not values_book.worksheets:
            raise _unsupported(filename)
        sheet, formulas = values_book.worksheets[0], formula_book.worksheets[0]
        try:
            declared = sheet.max_row or 0
        except Exception:  # a malformed dimension
            declared = 0
        if declared > max_rows:
            raise _too_many_rows(max_rows - ROW_SLACK)
        # The stored dimension may be wrong (some generators write "A1"): read every row there is.
        # Read-only worksheets yield missing rows as empty ones, so the count is Excel's row number.
        sheet.reset_dimensions()
        formulas.reset_dimensions()
        for number, (values, raw) in enumerate(zip(sheet.iter_rows(values_only=True),
                                                   formulas.iter_rows(values_only=True), strict=False), start=1):
            if number > max_rows:
                raise _too_many_rows(max_rows - ROW_SLACK)
            row = list(values[:MAX_COLUMNS])
            for i, value in enumerate(row):
                if value is None and i < len(raw) and isinstance(raw[i], str) and raw[i].startswith("="):
                    row[i] = raw[i]
            yield row
    except (DefusedXmlException, zipfile.BadZipFile, KeyError, ValueError, EOFError) as exc:
        if isinstance(exc, DefusedXmlException):
            raise ImportRefused(_("文件包含不安全的 XML 内容，已拒绝"), ImportErrorCode.UNREADABLE) from None
        raise ImportRefused(
            _("无法读取 Excel 文件“%(name)s”，文件可能已损坏") % {"name": filename}, ImportErrorCode.UNREADABLE
        ) from None
    finally:
        for book in books:
            book.close()


def _xlsx_rows(data: bytes, filename: str) -> Iterator[list[Any]]:
    return xlsx_sheet_rows(data, filename)


def _xls_rows(data: bytes, filename: str) -> Iterator[list[Any]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True)
    except Exception:  # xlrd raises XLRDError, CompDocError, struct errors... on foreign OLE files
        raise ImportRefused(
            _("无法读取 Excel 文件“%(name)s”：文件可能设置了打开密码或已损坏。请在 Excel 中取消密码并另存为 .xlsx 后再导入")
            % {"name": filename},
            ImportErrorCode.UNREADABLE,
        ) from None
    try:
        sheet = book.sheet_by_index(0)
        if sheet.nrows > MAX_ROWS + ROW_SLACK:
            raise _too_many_rows(MAX_ROWS)
        for r in range(sheet.nrows):
            values: list[Any] = []
            for ctype, value in zip(sheet.row_types(r, 0, MAX_COLUMNS), sheet.row_values(r, 0, MAX_COLUMNS),
                                    strict=True):
                if ctype == xlrd.XL_CELL_DATE:
                    try:
                        value = xlrd.xldate_as_datetime(value, book.datemode)
                    except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                        pass
                elif ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(value)
                elif ctype in (xlrd.XL_CELL_ERROR, xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    value = None
                values.append(value)
            yield values
    finally:
        book.release_resources()


def decode_text(data: bytes, filename: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else GBK/GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text):
            raise _unsupported(filename)
        if _HTML.search(text[:200]):
            raise ImportRefused(
                _("文件“%(name)s”实际是网页（HTML）格式，不是表格。请用 Excel 打开后另存为 .xlsx 再导入") % {"name": filename},
                ImportErrorCode.UNSUPPORTED,
            )
        return text
    raise ImportRefused(
        _("无法识别文件“%(name)s”的文字编码，请另存为 UTF-8 或 GBK 编码的 CSV") % {"name": filename},
        ImportErrorCode.ENCODING,
    )


def _csv_rows(data: bytes, filename: str) -> Iterator[list[Any]]:
    text = decode_text(data, filename)
    if text.count("\n") > MAX_ROWS + ROW_SLACK:
        raise _too_many_rows(MAX_ROWS)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;", key=first_line.count) if any(d in first_line for d in ",\t;") else ","
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            yield record[:MAX_COLUMNS]
    except csv.Error:
        raise ImportRefused(_("CSV 文件格式有误，无法读取"), ImportErrorCode.UNREADABLE) from None


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    """(Excel row number, cell texts) of every non-blank row of the first sheet."""
    check_size(data, filename)
    kind = _sniff(data, filename)
    rows = {"xlsx": _xlsx_rows, "xls": _xls_rows, "csv": _csv_rows}[kind](data, filename)
    for number, raw in enumerate(rows, start=1):
        cells = [_cell_text(v) for v in raw]
        if any(cells):
            yield number, cells


# --- values ---------------------------------------------------------------------------------------


def _value_key(text: str) -> str:
    return re.sub(r"[\s+＋/]+", "", unicodedata.normalize("NFKC", text).lower())


def _choices(choices: type, extra: dict[str, tuple[str, ...]]) -> dict[str, str]:
    from django.utils import translation

    index: dict[str, str] = {}
    for value, label in choices.choices:
        index[_value_key(value)] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                index[_value_key(str(label))] = value
        for alias in extra.get(value, ()):
            index[_value_key(alias)] = value
    return index


_CHOICE_ALIASES: dict[str, tuple[type, dict[str, tuple[str, ...]]]] = {
    "level": (CustomerLevel, {"A": ("重点客户", "重点"), "B": ("主要客户", "主要"), "C": ("普通客户", "普通"),
                              "D": ("小客户",)}),
    "status": (CustomerStatus, {"prospect": ("潜在", "意向客户", "意向", "新客户"), "active": ("合作", "正常", "活跃"),
                                "dormant": ("休眠客户", "沉睡"), "lost": ("流失客户", "已流失")}),
    "settlement": (Settlement, {"prepaid": ("款到发货", "预付", "预付款", "现款", "先款后货", "现结"),
                                "deposit": ("定金", "订金", "定金尾款"), "credit": ("账期", "赊销", "信用", "挂账"),
                                "monthly": ("月结", "月结算")}),
    "term_anchor": (TermAnchor, {"shipment": ("发货", "发货日期"), "delivery": ("签收", "到货"),
                                 "invoice": ("开票", "发票日"), "month_end": ("月末", "月底", "monthend")}),
    "price_level": (PriceLevel, {"list": ("标准", "目录价"), "dealer": ("经销",), "key_account": ("大客户", "keyaccount"),
                                 "special": ("特殊价",)}),
}
_choice_cache: dict[str, dict[str, str]] = {}


def parse_choice(key: str, text: str) -> str:
    if key not in _choice_cache:
        choices, extra = _CHOICE_ALIASES[key]
        _choice_cache[key] = _choices(choices, extra)
    value = _choice_cache[key].get(_value_key(text))
    if value is None:
        choices = _CHOICE_ALIASES[key][0]
        allowed = "、".join(str(label) for _v, label in choices.choices)
        raise ValueError(_("无法识别“%(value)s”，可填：%(allowed)s") % {"value": text, "allowed": allowed})
    return value


_MONEY_NOISE = re.compile(r"[\s,，¥￥元]")
MAX_MONEY = Decimal("999999999999.99")


def parse_money(text: str) -> Decimal:
    t = _MONEY_NOISE.sub("", unicodedata.normalize("NFKC", text))
    factor = Decimal(1)
    if t.endswith("万"):
        t, factor = t[:-1], Decimal(10000)
    try:
        amount = Decimal(t) * factor
    except InvalidOperation:
        raise ValueError(_("“%(value)s”不是金额") % {"value": text}) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(_("金额不能为负数"))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("金额最多两位小数"))
    if amount > MAX_MONEY:
        raise ValueError(_("金额过大"))
    return amount.quantize(Decimal("0.01"))


def parse_days(text: str) -> int:
    t = unicodedata.normalize("NFKC", text).strip().removesuffix("天").strip()
    if not re.fullmatch(r"\d{1,4}", t):
        raise ValueError(_("“%(value)s”不是天数（0–3650 的整数）") % {"value": text})
    return int(t)


def parse_rate(text: str) -> Decimal:
    t = unicodedata.normalize("NFKC", text).strip()
    percent = t.endswith("%")
    try:
        rate = Decimal(t.removesuffix("%").strip())
    except InvalidOperation:
        raise ValueError(_("“%(value)s”不是比例，请填 0 到 1 之间的小数或百分比（如 30%%）") % {"value": text}) from None
    if percent:
        rate /= 100
    if not rate.is_finite() or not (0 < rate < 1):
        raise ValueError(_("定金比例必须在 0 和 1 之间（如 0.3 或 30%）"))
    if rate != rate.quantize(Decimal("0.0001")):
        raise ValueError(_("定金比例最多四位小数"))
    return rate


# --- numbering ------------------------------------------------------------------------------------


def next_numbers(
    kind: str,
    count: int,
    on: date | None = None,
    *,
    period_format: str = "%Y%m%d",
    width: int = 4,
    taken: Callable[[list[str]], set[str]] | None = None,
) -> list[str]:
    """Take ``count`` consecutive numbers of ``kind`` with one UPDATE of the counter row (the same
    counter as ``core.numbering.next_number``, so the two never hand out one number twice).

    ``taken(candidates)`` returns those that already exist; they are skipped and replaced."""
    from salesdesk.core.numbering import _period

    if count <= 0:
        return []
    period = _period(on, period_format)
    numbers: list[str] = []
    with transaction.atomic():
        NumberCounter.objects.bulk_create([NumberCounter(kind=kind, period=period)], ignore_conflicts=True)
        while len(numbers) < count:
            need = count - len(numbers)
            counter = NumberCounter.objects.filter(kind=kind, period=period)
            counter.update(last=F("last") + need)
            last = counter.values_list("last", flat=True).get()
            block = [f"{kind}{period}-{n:0{width}d}" for n in range(last - need + 1, last + 1)]
            used = taken(block) if taken is not None else set()
            numbers += [n for n in block if n not in used]
    return numbers


def _codes_taken(candidates: list[str]) -> set[str]:
    return set(Customer.objects.filter(code__in=candidates).values_list("code", flat=True))


# --- checking rows ---------------------------------------------------------------------------------


@dataclass
class _Planned:
    """A customer of the file, ready to be written once every row has passed."""

    row: int
    values: dict[str, str]  # raw customer cells by key
    fields: dict[str, Any]
    owner: User | None
    name_key: str
    uscc: str | None
    contacts: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (row, contact fields)


def _chinese(message: str) -> str:
    """The Chinese half of a service's "中文 / English" message."""
    return message.split(" / ", 1)[0]


class _Owners:
    """Salespeople the importing user may file customers for, by username and by name."""

    def __init__(self, actor: User):
        qs = User.objects.filter(is_active=True, groups__name__in=[Role.SALESPERSON, Role.SALES_MANAGER]).distinct()
        scope = salesperson_scope(actor)
        if scope is not None:
            qs = qs.filter(pk__in=scope)
        self.by_username: dict[str, User] = {}
        self.by_name: dict[str, list[User]] = {}
        for user in qs:
            self.by_username[user.username.lower()] = user
            self.by_name.setdefault(_value_key(user.display_name), []).append(user)
        self.default = actor if actor.pk in {u.pk for u in self.by_username.values()} else None

    def resolve(self, text: str) -> User:
        if not text:
            if self.default is not None:
                return self.default
            raise ValueError(_("请填写负责业务员（用户名或姓名）"))
        user = self.by_username.get(text.strip().lower())
        if user is not None:
            return user
        named = self.by_name.get(_value_key(text), [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise ValueError(_("有 %(n)d 位业务员叫“%(name)s”，请填写用户名") % {"n": len(named), "name": text})
        raise ValueError(_("找不到业务员“%(name)s”（请填写业务员的用户名或姓名）") % {"name": text})


_MAX_LENGTHS = {f.name: f.max_length for f in Customer._meta.get_fields() if getattr(f, "max_length", None)}
_CONTACT_MAX_LENGTHS = {f.name: f.max_length for f in Contact._meta.get_fields() if getattr(f, "max_length", None)}


class _Checker:
    def __init__(self, actor: User, header: Header):
        self.actor = actor
        self.header = header
        self.owners = _Owners(actor)
        self.errors: list[RowError] = []
        self.planned: list[_Planned] = []
        self.by_name_key: dict[str, _Planned] = {}
        self.by_uscc: dict[str, _Planned] = {}
        self.preview: list[PreviewRow] = []
        self.rows = 0
        self.contacts = 0

    def error(self, row: int, key: str, message: str, slot: int | None = None) -> None:
        self.errors.append(RowError(row, self.header.label(key, slot), message))

    # one row

    def check(self, row: int, cells: list[str]) -> None:
        self.rows += 1
        errors_before = len(self.errors)

        def cell(index: int | None) -> str:
            return cells[index] if index is not None and index < len(cells) else ""

        values = {key: cell(i) for key, i in self.header.customer.items()}
        name = values.get("name", "")
        contacts = self._contacts(row, {slot: {k: cell(i) for k, i in cols.items()}
                                        for slot, cols in sorted(self.header.contacts.items())})
        planned: _Planned | None = None
        continuation = False
        if not name:
            self.error(row, "name", _("客户名称不能为空"))
        elif len(name) > _MAX_LENGTHS["name"]:
            self.error(row, "name", _("客户名称过长（最多 %(n)d 个字）") % {"n": _MAX_LENGTHS["name"]})
        else:
            name_key = normalize_company_name(name)
            first = self.by_name_key.get(name_key)
            if first is not None:
                continuation = True
                planned = first if self._same_customer(row, values, first) else None
            else:
                planned = self._customer(row, values, name_key)
        if planned is not None:
            planned.contacts += contacts
        self.contacts += len(contacts)
        if len(self.preview) < PREVIEW_ROWS:
            self._add_preview(row, values, planned, contacts, continuation, len(self.errors) > errors_before)

    def _same_customer(self, row: int, values: dict[str, str], first: _Planned) -> bool:
        """A repeated name adds contacts to the customer above; any customer column that differs
        makes it a second customer of the same name (撞单 within the file)."""
        same = True
        for key in _CUSTOMER_KEYS:
            value = values.get(key, "")
            if value and _value_key(value) != _value_key(first.values.get(key, "")):
                self.error(row, key, _("与第 %(row)d 行客户同名，但“%(column)s”不同：同名客户在文件中重复（同一客户的多行只能"
                                      "补充联系人，客户信息请留空或与该行一致）")
                           % {"row": first.row, "column": self.header.label(key)})
                same = False
        return same

    def _customer(self, row: int, values: dict[str, str], name_key: str) -> _Planned | None:
        ok = True
        fields: dict[str, Any] = {"name": values["name"].strip()}
        for key in ("short_name", "industry", "region", "address", "invoice_title", "invoice_tax_id",
                    "invoice_address_phone", "invoice_bank_account", "source", "notes"):
            value = values.get(key, "")
            limit = _MAX_LENGTHS.get(key)
            if limit and len(value) > limit:
                self.error(row, key, _("内容过长（最多 %(n)d 个字）") % {"n": limit})
                ok = False
            elif value:
                fields[key] = value
        for key in ("level", "status", "price_level", "term_anchor", "settlement"):
            if values.get(key):
                try:
                    fields[key] = parse_choice(key, values[key])
                except ValueError as exc:
                    self.error(row, key, str(exc))
                    ok = False
        for key, parse in (("credit_limit", parse_money), ("credit_days", parse_days), ("deposit_rate", parse_rate)):
            if values.get(key):
                try:
                    fields[key] = parse(values[key])
                except ValueError as exc:
                    self.error(row, key, str(exc))
                    ok = False
        owner: User | None = None
        try:
            owner = self.owners.resolve(values.get("salesperson", ""))
        except ValueError as exc:
            self.error(row, "salesperson", str(exc))
            ok = False
        # The same rules as services.create_customer: USCC, who may set credit terms, terms.
        reason = values.get("uscc_override_reason", "")
        uscc = None
        try:
            uscc = services.clean_uscc(self.actor, values.get("uscc"), override=bool(reason))
        except InvalidInput as exc:
            if exc.code == CustomerErrorCode.USCC_CHECKSUM:
                message = _("统一社会信用代码校验位不正确；如确为登记代码，请由销售经理在“校验位例外原因”列填写原因后导入")
            elif exc.code == CustomerErrorCode.USCC_MALFORMED:
                message = _("统一社会信用代码格式不正确（应为 18 位）：%(value)s") % {"value": values.get("uscc")}
            else:
                message = _chinese(exc.message)
            self.error(row, "uscc", message)
            ok = False
        except PermissionDenied:
            self.error(row, "uscc_override_reason", _("只有销售经理或总经理可以批准统一社会信用代码校验位例外"))
            ok = False
        if uscc is not None:
            fields.update(uscc=uscc.value, uscc_override=uscc.override, entity_type=uscc.entity_type,
                          province=uscc.province, uscc_override_reason=reason[:200] if uscc.override else "")
        terms = {k: fields[k] for k in _TERMS_KEYS if k in fields}
        try:
            services.check_create_permissions(self.actor, {**terms, "salesperson_id": owner.pk if owner else None})
        except PermissionDenied:
            key = next((k for k in _TERMS_KEYS if values.get(k)), "salesperson")
            self.error(row, key, _("您无权设置结算方式、信用额度或账期（只有财务、销售经理和总经理可以设置）；"
                                   "请留空，默认为款到发货"))
            ok = False
        else:
            try:
                services._check_terms(terms)
            except InvalidInput as exc:
                for key, messages in exc.errors.items():
                    self.error(row, key if key in _TERMS_KEYS else "settlement", _chinese(messages[0]))
                ok = False
        planned = _Planned(row=row, values=values, fields=fields, owner=owner, name_key=name_key,
                           uscc=uscc.value if uscc else None)
        self.by_name_key[name_key] = planned  # later rows of the same name are its contacts
        if planned.uscc:
            other = self.by_uscc.get(planned.uscc)
            if other is not None:
                self.error(row, "uscc", _("统一社会信用代码与第 %(row)d 行的客户“%(name)s”重复")
                           % {"row": other.row, "name": other.fields["name"]})
                ok = False
            else:
                self.by_uscc[planned.uscc] = planned
        if ok:
            self.planned.append(planned)
        return planned

    def _contacts(self, row: int, slots: dict[int, dict[str, str]]) -> list[tuple[int, dict[str, Any]]]:
        out: list[tuple[int, dict[str, Any]]] = []
        for slot, raw in slots.items():
            if not any(raw.values()):
                continue
            label_slot = slot
            try:
                data = services._contact_fields({"name": raw.get("name", ""), "phone": raw.get("phone", ""),
                                                 "title": raw.get("title", ""), "email": raw.get("email", "")})
            except InvalidInput as exc:
                key = "phone" if exc.code == CustomerErrorCode.INVALID_PHONE else "name"
                message = (_("联系电话无法识别：%(value)s") % {"value": raw.get("phone", "")}
                           if key == "phone" else _("填写了联系电话或职务，但联系人姓名为空"))
                self.error(row, key, message, label_slot)
                continue
            bad = False
            for key in ("name", "title", "email"):
                limit = _CONTACT_MAX_LENGTHS[key]
                if len(data[key]) > limit:
                    self.error(row, key, _("内容过长（最多 %(n)d 个字）") % {"n": limit}, label_slot)
                    bad = True
            if data["email"]:
                try:
                    validate_email(data["email"])
                except ValidationError:
                    self.error(row, "email", _("邮箱格式不正确：%(value)s") % {"value": data["email"]}, label_slot)
                    bad = True
            if not bad:
                out.append((row, data))
        return out

    def _add_preview(self, row, values, planned, contacts, continuation, has_error) -> None:
        fields = planned.fields if planned is not None and not continuation else {}
        settlement = fields.get("settlement") or (Settlement.PREPAID if fields else "")
        first_contact = contacts[0][1] if contacts else {}
        self.preview.append(PreviewRow(
            row=row, name=values.get("name", ""), uscc=fields.get("uscc") or values.get("uscc", ""),
            owner=planned.owner.display_name if planned is not None and planned.owner else values.get("salesperson", ""),
            settlement=str(Settlement(settlement).label) if settlement else "",
            credit_limit=f"{fields['credit_limit']:.2f}" if "credit_limit" in fields else "",
            credit_days=str(fields.get("credit_days", "")),
            contact="、".join(c["name"] for _r, c in contacts),
            phone=(first_contact.get("mobile") or first_contact.get("phone") or first_contact.get("phone_raw") or "")
            + (f" 转{first_contact['extension']}" if first_contact.get("extension") else ""),
            continuation=continuation, has_error=has_error,
        ))

    # the whole file

    def database_duplicates(self, planned: list[_Planned]) -> list[RowError]:
        """撞单 against customers already filed, naming their owner (even one the importer cannot see)."""
        errors: list[RowError] = []
        usccs = [p.uscc for p in planned if p.uscc]
        keys = [p.name_key for p in planned]
        by_uscc: dict[str, Customer] = {}
        by_key: dict[str, Customer] = {}
        for i in range(0, max(len(usccs), len(keys)), BATCH_SIZE):
            for c in Customer.objects.filter(uscc__in=usccs[i:i + BATCH_SIZE]).select_related("salesperson"):
                by_uscc[c.uscc] = c
            for c in Customer.objects.filter(name_key__in=keys[i:i + BATCH_SIZE]).select_related("salesperson"):
                by_key[c.name_key] = c
        for p in planned:
            hit, key = (by_uscc.get(p.uscc), "uscc") if p.uscc and p.uscc in by_uscc else (by_key.get(p.name_key), "name")
            if hit is not None:
                errors.append(RowError(p.row, self.header.label(key), _(
                    "客户已存在：%(name)s（%(code)s），负责业务员：%(owner)s"
                ) % {"name": hit.name, "code": hit.code, "owner": hit.salesperson.display_name}))
        return errors


# --- the service ------------------------------------------------------------------------------------


def _read(source: bytes | IO[bytes]) -> bytes:
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    source.seek(0)
    return source.read()


def check_file(*, actor, source: bytes | IO[bytes], filename: str = "") -> tuple[_Checker, ImportResult]:
    data = _read(source)
    result = ImportResult()
    checker: _Checker | None = None
    seen_rows: dict[tuple[str, ...], int] = {}
    for number, cells in read_rows(data, filename or "file"):
        if checker is None:
            header = map_header(cells, number)
            checker = _Checker(actor, header)
            result.ignored_columns = header.ignored
            continue
        if checker.rows >= MAX_ROWS:
            raise _too_many_rows(MAX_ROWS)
        signature = tuple(cells)
        if signature in seen_rows:  # a row pasted twice would add the same contact twice
            checker.rows += 1
            checker.errors.append(RowError(number, header.label("name"), _("与第 %(row)d 行完全相同（重复行），请删除")
                                           % {"row": seen_rows[signature]}))
            continue
        seen_rows[signature] = number
        checker.check(number, cells)
    if checker is None:
        raise ImportRefused(_("文件为空，请选择填好数据的 Excel 或 CSV 文件"), ImportErrorCode.EMPTY_FILE)
    if checker.rows == 0:
        raise ImportRefused(_("文件只有表头，没有客户数据"), ImportErrorCode.NO_ROWS)
    checker.errors += checker.database_duplicates(list(checker.by_name_key.values()))
    checker.errors.sort(key=checker.header.sort_key)
    result.rows, result.contacts = checker.rows, checker.contacts
    result.customers = len(checker.by_name_key)
    result.errors, result.preview = checker.errors, checker.preview
    error_rows = set(result.error_rows)
    for p in checker.preview:
        p.has_error = p.has_error or p.row in error_rows
    return checker, result


def import_customers(
    *, actor, source: bytes | IO[bytes], filename: str = "", dry_run: bool = True
) -> ImportResult:
    """Check (and unless ``dry_run`` write) a file of customers with their contacts, all or nothing.

    Raises ``PermissionDenied`` for a user without the import permission and ``ImportRefused``
    for a file that cannot be read as a table; row problems come back in ``result.errors`` and
    then nothing is written."""
    if not (actor.has_perm(perms.IMPORT_CUSTOMER) and actor.has_perm(perms.ADD_CUSTOMER)):
        raise PermissionDenied
    checker, result = check_file(actor=actor, source=source, filename=filename)
    result.dry_run = dry_run
    if dry_run or not result.ok:
        return result
    customers = _build(actor, checker.planned)  # pinyin keys: the slow part, outside the transaction
    try:
        with transaction.atomic():
            # Re-check 撞单 under the write lock: someone may have filed one of them since the check.
            late = checker.database_duplicates(checker.planned)
            if late:
                result.errors = sorted(late, key=checker.header.sort_key)
                return result
            codes = next_numbers("KH", len(customers), period_format="", width=6, taken=_codes_taken)
            for customer, code in zip(customers, codes, strict=True):
                customer.code = code
            bulk_create_with_history(customers, Customer, batch_size=BATCH_SIZE, default_user=actor,
                                     default_change_reason=CHANGE_REASON)
            contacts = []
            for planned, customer in zip(checker.planned, customers, strict=True):
                for i, (_row, data) in enumerate(planned.contacts):
                    contacts.append(Contact(customer_id=customer.pk, **{**data, "is_primary": i == 0}))
            bulk_create_with_history(contacts, Contact, batch_size=BATCH_SIZE, default_user=actor,
                                     default_change_reason=CHANGE_REASON)
    except IntegrityError:
        # A concurrent request filed one of these companies between the re-check and the insert.
        result.errors = sorted(checker.database_duplicates(checker.planned), key=checker.header.sort_key) or [
            RowError(0, "", _("导入时有其他人同时新建了客户，请重新导入"))
        ]
        return result
    result.written = True
    result.codes = (codes[0], codes[-1]) if codes else None
    return result


def _build(actor, planned: list[_Planned]) -> list[Customer]:
    customers = []
    for p in planned:
        customer = Customer(name_key=p.name_key, salesperson=p.owner, created_by=actor, **p.fields)
        customer.search_text = services._search_text(customer)
        customers.append(customer)
    return customers


# --- the template -----------------------------------------------------------------------------------


def template_workbook(example_owner: str = "") -> bytes:
    """The downloadable template: the headers, one example row, and a sheet of notes."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    sheet = book.add_worksheet("客户")
    bold = book.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1})
    required = book.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    text = book.add_format({"num_format": "@"})
    for col, column in enumerate(TEMPLATE_COLUMNS):
        sheet.write_string(0, col, column.label, required if column.key in {"name", "salesperson"} else bold)
        sheet.set_column(col, col, max(12, min(30, len(column.example) + 4)), text)
        example = example_owner if column.key == "salesperson" else column.example
        if example:
            sheet.write_string(1, col, example)
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet("填写说明")
    lines = [
        "第一行为表头，请勿修改；从第二行起每行一个客户。只读取第一个工作表。",
        "必填：客户名称、负责业务员（填写业务员的登录用户名或姓名）。",
        "同一客户有多个联系人：另起一行，填写相同的客户名称和联系人信息，其余客户列留空；或增加“联系人2”“联系电话2”“职务2”列。",
        "统一社会信用代码：18 位，自动去除空格和横线；校验位不符时由销售经理填写“校验位例外原因”。",
        "客户等级：A、B、C、D；状态：潜在客户、合作中、休眠、流失。",
        "结算方式：款到发货、定金+尾款、信用账期、月结。只有财务、销售经理和总经理可以设置款到发货以外的结算方式、"
        "信用额度和账期；销售内勤导入时请留空。",
        "整个文件一起校验：任何一行有错误，整个文件都不会导入；请按提示的行号和列修改后重新上传。",
        "已存在的客户（统一社会信用代码或名称相同）不会重复导入，并会提示其负责业务员。",
        "支持 .xlsx、.xls 以及 UTF-8 或 GBK 编码的 .csv 文件。",
    ]
    notes.set_column(0, 0, 120)
    for i, line in enumerate(lines):
        notes.write_string(i, 0, line)
    book.close()
    return buffer.getvalue()
