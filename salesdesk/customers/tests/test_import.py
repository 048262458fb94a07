"""Excel / CSV import of customers with contacts (issue 4 item 9): all or nothing, per-row errors
in Chinese naming the Excel row and column, the same rules as creating a customer, history rows
for every created customer and contact, and the upload → preview → confirm pages."""

from __future__ import annotations

import io
import time
import zipfile
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings

from salesdesk.core.lib.uscc import compute_check_char
from salesdesk.core.models import NumberCounter
from salesdesk.core.numbering import next_number
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.customers import importing
from salesdesk.customers.importing import ImportRefused, import_customers, next_numbers
from salesdesk.customers.models import Contact, Customer

from .factories import CustomerFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = ["客户名称", "统一社会信用代码", "负责业务员", "区域", "联系人", "联系电话", "职务"]
BIG = 10_000


def uscc(i: int, region: str = "330100") -> str:
    first = f"91{region}{i:09d}"
    return first + compute_check_char(first)


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def big_rows(*, broken: bool) -> list[list]:
    rows = [HEADER]
    for i in range(BIG):
        rows.append([f"杭州测试导入{i}号贸易有限公司", uscc(i), "sales1", "华东", f"联系人{i}", f"138{i:08d}", "采购"])
    if broken:
        rows[100][1] = rows[100][1][:-1] + ("0" if rows[100][1][-1] != "0" else "1")  # Excel row 101: check digit
        rows[5001][5] = "电话待定"  # Excel row 5002: not a phone number
        rows[9998][1] = rows[1][1]  # Excel row 9999: the USCC of row 2 under another name
    return rows


@cache
def big_file(broken: bool) -> bytes:
    return xlsx(big_rows(broken=broken))


def nothing_written():
    return (Customer.objects.count(), Contact.objects.count(), Customer.history.count(), Contact.history.count())


# --- the 10k file ------------------------------------------------------------------------------------


def test_10k_rows_with_three_bad_rows_are_refused_naming_the_rows_and_nothing_is_written(personas):
    result = import_customers(actor=personas["clerk"], source=big_file(True), filename="客户.xlsx", dry_run=False)

    assert result.rows == BIG
    assert result.error_rows == [101, 5002, 9999]
    assert [(e.row, e.column) for e in result.errors] == [
        (101, "统一社会信用代码"), (5002, "联系电话"), (9999, "统一社会信用代码"),
    ]
    assert "校验位" in result.errors[0].message
    assert "电话待定" in result.errors[1].message
    assert "第 2 行" in result.errors[2].message
    assert not result.written
    assert nothing_written() == (0, 0, 0, 0)
    assert not NumberCounter.objects.filter(kind="KH").exclude(last=0).exists()


def test_corrected_10k_file_imports_every_customer_with_contacts_and_history(personas, capsys):
    clerk = personas["clerk"]
    started, cpu = time.perf_counter(), time.process_time()
    result = import_customers(actor=clerk, source=big_file(False), filename="客户.xlsx", dry_run=False)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu

    assert result.ok and result.written
    assert (result.customers, result.contacts) == (BIG, BIG)
    assert Customer.objects.count() == BIG and Contact.objects.count() == BIG
    assert Customer.history.filter(history_type="+", history_user=clerk).count() == BIG
    assert Contact.history.filter(history_type="+", history_user=clerk).count() == BIG
    assert result.codes == ("KH-000001", "KH-010000")
    first = Customer.objects.get(code="KH-000001")
    assert (first.name, first.uscc, first.salesperson.username, first.created_by, first.province) == (
        "杭州测试导入0号贸易有限公司", uscc(0), "sales1", clerk, "浙江省")
    assert first.contacts.get().mobile == "+8613800000000" and first.contacts.get().is_primary
    assert Customer.objects.search("hzcsdr").count() == BIG  # pinyin initials, as services compute them
    with capsys.disabled():
        print(f"\n[import] {BIG} rows written in {elapsed:.1f} s wall ({BIG / elapsed:.0f} rows/s), "
              f"{cpu:.1f} s CPU ({BIG / cpu:.0f} rows/s)")


def test_a_dry_run_of_a_valid_file_checks_and_writes_nothing(personas):
    result = import_customers(actor=personas["clerk"], source=xlsx(big_rows(broken=False)[:51]), filename="a.xlsx")

    assert result.ok and result.dry_run and not result.written
    assert (result.rows, result.customers, result.contacts) == (50, 50, 50)
    assert len(result.preview) == importing.PREVIEW_ROWS
    assert nothing_written() == (0, 0, 0, 0)


# --- formats -----------------------------------------------------------------------------------------


def test_a_gbk_csv_imports(personas):
    text = "客户名称,负责业务员,联系人,联系电话,职务\n北京华远贸易有限公司,张伟,李经理,010-62345678转8001,采购经理\n"
    data = text.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    result = import_customers(actor=personas["clerk"], source=data, filename="客户.csv", dry_run=False)

    assert result.written, result.errors
    customer = Customer.objects.get()
    assert (customer.name, customer.salesperson.username) == ("北京华远贸易有限公司", "sales1")
    assert [(c.name, c.phone, c.extension, c.title) for c in customer.contacts.all()] == [
        ("李经理", "+861062345678", "8001", "采购经理")]


def test_a_utf8_csv_with_bom_imports(personas):
    data = "\ufeff客户名称,负责业务员\n成都天府食品有限公司,sales2\n".encode()

    result = import_customers(actor=personas["clerk"], source=data, filename="c.csv", dry_run=False)

    assert result.written and Customer.objects.get().name == "成都天府食品有限公司"


def test_english_header_aliases_are_understood(personas):
    data = xlsx([
        ["Customer Name", "USCC", "Salesperson", "Region", "Credit Limit", "Contact", "Phone", "Title", "Email"],
        ["Suzhou Acme Ltd", uscc(7, "320500"), "sales3", "华东", "", "Anna", "+86 139 1234 5678", "Buyer", "a@x.cn"],
    ])

    result = import_customers(actor=personas["clerk"], source=data, filename="en.xlsx", dry_run=False)

    assert result.written, result.errors
    customer = Customer.objects.get()
    assert (customer.name, customer.uscc, customer.salesperson.username, customer.region) == (
        "Suzhou Acme Ltd", uscc(7, "320500"), "sales3", "华东")
    assert customer.contacts.values_list("name", "mobile", "title", "email").get() == (
        "Anna", "+8613912345678", "Buyer", "a@x.cn")


def test_a_legacy_xls_file_imports(personas):
    """Fixture made once with xlwt 1.3.0 (numbers stored as floats, a date column the import ignores)."""
    data = (FIXTURES / "customers_legacy.xls").read_bytes()

    result = import_customers(actor=personas["clerk"], source=data, filename="旧表.xls", dry_run=False)

    assert result.written, result.errors
    assert result.ignored_columns == ["建档日期"]
    shanghai = Customer.objects.get(name="上海旧表贸易有限公司")
    assert shanghai.uscc == "91310000MA1FL0X1X6" and shanghai.salesperson.username == "sales1"
    assert [(c.name, c.mobile or c.phone, c.extension, c.is_primary) for c in shanghai.contacts.all()] == [
        ("周敏", "+8613912345678", "", True), ("吴刚", "+862162345678", "801", False)]
    nanjing = Customer.objects.get(name="南京老格式机械有限公司")
    assert nanjing.salesperson.username == "sales1"  # by the name 张伟
    assert nanjing.contacts.get().mobile == "+8613700001111"


def test_an_exe_renamed_xlsx_is_refused_in_chinese(personas):
    with pytest.raises(ImportRefused) as refused:
        import_customers(actor=personas["clerk"], source=b"MZ\x90\x00" + b"\x00" * 200, filename="客户.xlsx")

    assert refused.value.code == "executable"
    assert "不是表格文件" in refused.value.errors["file"][0]


def test_an_empty_file_is_refused_in_chinese(personas):
    with pytest.raises(ImportRefused) as refused:
        import_customers(actor=personas["clerk"], source=b"", filename="客户.xlsx")

    assert refused.value.errors["file"] == ["文件为空，请选择填好数据的 Excel 或 CSV 文件"]


def test_a_header_without_rows_is_refused(personas):
    with pytest.raises(ImportRefused) as refused:
        import_customers(actor=personas["clerk"], source=xlsx([HEADER]), filename="a.xlsx")

    assert "只有表头" in refused.value.message


def test_a_file_without_a_name_column_is_refused(personas):
    with pytest.raises(ImportRefused) as refused:
        import_customers(actor=personas["clerk"], source=xlsx([["公司", "电话"], ["x", "y"]]), filename="a.xlsx")

    assert "找不到“客户名称”列" in refused.value.message


def test_a_file_over_the_row_limit_is_refused(personas, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 5)

    with pytest.raises(ImportRefused) as refused:
        import_customers(actor=personas["clerk"], source=xlsx(big_rows(broken=False)[:7]), filename="a.xlsx")

    assert refused.value.message == "文件超过 5 行数据，请分批导入"


def test_an_html_table_saved_as_xls_is_refused_with_advice(personas):
    with pytest.raises(ImportRefused) as refused:
        import_customers(actor=personas["clerk"], source="<html><table><tr><td>客户名称</td></tr></table>".encode(),
                         filename="导出.xls")

    assert "网页（HTML）格式" in refused.value.message


def _bomb(size: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_by_its_compression_ratio(personas):
    with pytest.raises(ImportRefused) as refused:
        import_customers(actor=personas["clerk"], source=_bomb(20 * 1024 * 1024), filename="bomb.xlsx")

    assert refused.value.code == "zip_bomb"
    assert "疑为恶意文件" in refused.value.message


def test_a_package_declaring_more_than_the_size_cap_is_refused(personas, monkeypatch):
    monkeypatch.setattr(importing, "MAX_RATIO", 10**9)  # only the size cap speaks
    monkeypatch.setattr(importing, "MAX_UNCOMPRESSED", 2 * 1024 * 1024)

    with pytest.raises(ImportRefused) as refused:
        import_customers(actor=personas["clerk"], source=_bomb(3 * 1024 * 1024), filename="big.xlsx")

    assert refused.value.code == "zip_bomb"


def test_a_real_10k_xlsx_is_far_below_both_caps():
    with zipfile.ZipFile(io.BytesIO(big_file(False))) as zf:
        infos = zf.infolist()
    uncompressed, compressed = sum(i.file_size for i in infos), sum(i.compress_size for i in infos)

    assert uncompressed < importing.MAX_UNCOMPRESSED / 20
    assert uncompressed < compressed * importing.MAX_RATIO / 5


# --- rules --------------------------------------------------------------------------------------------


def test_clerk_may_not_import_credit_terms_and_is_told_per_row(personas):
    data = xlsx([
        ["客户名称", "负责业务员", "结算方式", "信用额度", "账期天数"],
        ["甲公司", "sales1", "", "", ""],
        ["乙公司", "sales1", "信用账期", "50000", "30"],
        ["丙公司", "sales1", "", "1万", ""],
    ])

    result = import_customers(actor=personas["clerk"], source=data, filename="a.xlsx", dry_run=False)

    assert [(e.row, e.column) for e in result.errors] == [(3, "结算方式"), (4, "信用额度")]
    assert all("无权设置" in e.message for e in result.errors)
    assert nothing_written() == (0, 0, 0, 0)


def test_a_manager_may_import_credit_terms_for_their_team(personas):
    data = xlsx([
        ["客户名称", "负责业务员", "结算方式", "信用额度", "账期天数", "定金比例"],
        ["乙公司", "sales1", "信用账期", "50,000.00", "30天", ""],
        ["丁公司", "", "定金", "", "", "30%"],
    ])

    result = import_customers(actor=personas["manager"], source=data, filename="a.xlsx", dry_run=False)

    assert result.written, result.errors
    b = Customer.objects.get(name="乙公司")
    assert (b.settlement, str(b.credit_limit), b.credit_days) == ("credit", "50000.00", 30)
    d = Customer.objects.get(name="丁公司")
    assert (d.settlement, str(d.deposit_rate), d.salesperson) == ("deposit", "0.3000", personas["manager"])


def test_a_manager_may_not_file_customers_for_another_team(personas):
    data = xlsx([["客户名称", "负责业务员"], ["乙公司", "sales2"]])

    result = import_customers(actor=personas["manager"], source=data, filename="a.xlsx")

    assert result.errors == [(2, "负责业务员", "找不到业务员“sales2”（请填写业务员的用户名或姓名）")]


def test_repeated_rows_and_numbered_columns_add_contacts(personas):
    data = xlsx([
        ["客户名称", "负责业务员", "区域", "联系人", "联系电话", "联系人2", "电话2"],
        ["华远（集团）有限公司", "sales1", "华北", "李一", "13800000001", "李二", "13800000002"],
        ["华远(集团)有限公司", "", "华北", "李三", "13800000003", "", ""],
        ["华远（集团）有限公司", "", "", "李四", "13800000004", "", ""],
    ])

    result = import_customers(actor=personas["clerk"], source=data, filename="a.xlsx", dry_run=False)

    assert result.written, result.errors
    assert (result.customers, result.contacts) == (1, 4)
    customer = Customer.objects.get()
    assert [(c.name, c.is_primary) for c in customer.contacts.order_by("id")] == [
        ("李一", True), ("李二", False), ("李三", False), ("李四", False)]
    assert Contact.history.filter(history_user=personas["clerk"]).count() == 4


def test_a_repeated_name_with_different_customer_data_is_a_duplicate_in_the_file(personas):
    data = xlsx([
        ["客户名称", "统一社会信用代码", "负责业务员"],
        ["华远有限公司", uscc(1), "sales1"],
        ["华远有限公司", uscc(2), "sales1"],
    ])

    result = import_customers(actor=personas["clerk"], source=data, filename="a.xlsx")

    assert [(e.row, e.column) for e in result.errors] == [(3, "统一社会信用代码")]
    assert "第 2 行" in result.errors[0].message and "重复" in result.errors[0].message


def test_a_customer_already_filed_is_named_with_its_owner(personas):
    CustomerFactory(name="北京华远（集团）有限公司", salesperson=personas["sales2"], code="KH-000777")
    CustomerFactory(name="另一家", uscc=uscc(5), salesperson=personas["sales3"], code="KH-000778")
    data = xlsx([
        ["客户名称", "统一社会信用代码", "负责业务员"],
        ["北京华远(集团)有限公司", "", "sales1"],
        ["新名字有限公司", uscc(5), "sales1"],
    ])

    result = import_customers(actor=personas["clerk"], source=data, filename="a.xlsx", dry_run=False)

    assert result.errors == [
        (2, "客户名称", "客户已存在：北京华远（集团）有限公司（KH-000777），负责业务员：李娜"),
        (3, "统一社会信用代码", "客户已存在：另一家（KH-000778），负责业务员：刘洋"),
    ]
    assert Customer.objects.count() == 2


def test_unknown_choices_owner_and_email_are_reported_with_their_columns(personas):
    data = xlsx([
        ["客户名称", "负责业务员", "客户等级", "状态", "联系人", "邮箱", "联系电话"],
        ["甲公司", "nobody", "Z", "合作中", "王", "not-an-email", ""],
        ["乙公司", "sales1", "A", "瞎写", "", "", "13800000000"],
    ])

    result = import_customers(actor=personas["clerk"], source=data, filename="a.xlsx")

    assert [(e.row, e.column) for e in result.errors] == [
        (2, "负责业务员"), (2, "客户等级"), (2, "邮箱"), (3, "状态"), (3, "联系人")]
    assert "找不到业务员“nobody”" in result.errors[0].message


def test_a_clerk_may_not_override_a_failed_check_digit(personas):
    bad = uscc(3)[:-1] + ("0" if uscc(3)[-1] != "0" else "1")
    data = xlsx([["客户名称", "统一社会信用代码", "负责业务员", "校验位例外原因"], ["甲公司", bad, "sales1", "执照核对无误"]])

    clerk = import_customers(actor=personas["clerk"], source=data, filename="a.xlsx")
    manager = import_customers(actor=personas["manager"], source=data, filename="a.xlsx", dry_run=False)

    assert [(e.row, e.column) for e in clerk.errors] == [(2, "校验位例外原因")]
    assert manager.written
    assert Customer.objects.get().uscc_override_reason == "执照核对无误"


def test_only_importers_may_import(personas):
    from django.core.exceptions import PermissionDenied

    for username in ("sales1", "finance", "hr"):
        with pytest.raises(PermissionDenied):
            import_customers(actor=personas[username], source=xlsx([HEADER]), filename="a.xlsx")


def test_next_numbers_takes_a_block_from_the_shared_counter(db):
    first = next_number("KH", period_format="", width=6)
    block = next_numbers("KH", 3, period_format="", width=6)
    after = next_number("KH", period_format="", width=6)

    assert (first, block, after) == ("KH-000001", ["KH-000002", "KH-000003", "KH-000004"], "KH-000005")


def test_next_numbers_skips_numbers_already_taken(db):
    block = next_numbers("KH", 3, period_format="", width=6, taken=lambda c: {"KH-000002"})

    assert block == ["KH-000001", "KH-000003", "KH-000004"]


# --- pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


def _upload(client, data: bytes, name: str = "客户.xlsx", dry_run: bool = True):
    file = io.BytesIO(data)
    file.name = name
    return client.post("/customers/import/", {"file": file, **({"dry_run": "on"} if dry_run else {})})


def _stored() -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "imports"
    return list(folder.iterdir()) if folder.exists() else []


def test_the_import_pages_are_403_for_a_salesperson(as_user):
    client = as_user("sales1")

    assert client.get("/customers/import/").status_code == 403
    assert client.get("/customers/import/template.xlsx").status_code == 403
    assert _upload(client, xlsx([HEADER, ["甲公司", "", "sales1"]])).status_code == 403
    assert not Customer.objects.exists() and not _stored()


def test_upload_preview_confirm_imports_and_deletes_the_upload(as_user, personas):
    client = as_user("clerk")
    rows = big_rows(broken=False)[:31]

    response = _upload(client, xlsx(rows))
    assert response.status_code == 302
    preview = client.get(response["Location"])
    html = preview.content.decode()
    assert "校验通过：将新建 30 个客户、30 个联系人。" in html
    assert html.count("<tr class=\"\">") == importing.PREVIEW_ROWS  # the first 20 rows, none in error
    assert not Customer.objects.exists() and len(_stored()) == 1

    done = client.post(response["Location"] + "confirm/")

    assert done.status_code == 302 and done["Location"] == "/customers/import/done/"
    assert Customer.objects.count() == 30 and Customer.history.filter(history_user=personas["clerk"]).count() == 30
    assert not _stored()
    assert "已从“客户.xlsx”导入 30 个客户、30 个联系人。" in client.get(done["Location"]).content.decode()


def test_a_file_with_errors_lists_them_in_chinese_and_writes_nothing(as_user):
    client = as_user("clerk")
    rows = [HEADER, ["甲公司", "123", "sales1", "", "王", "13800000000", ""], ["乙公司", "", "sales1", "", "", "x", ""]]

    response = client.get(_upload(client, xlsx(rows))["Location"])

    html = response.content.decode()
    assert "有 2 行存在错误，整个文件未导入" in html
    assert "第 2 行" in html and "统一社会信用代码格式不正确" in html
    assert "第 3 行" in html and "填写了联系电话或职务，但联系人姓名为空" in html
    assert "import-confirm" not in html
    assert not Customer.objects.exists() and not _stored()


def test_an_upload_without_dry_run_imports_at_once(as_user):
    client = as_user("clerk")

    response = _upload(client, xlsx([HEADER, ["甲公司", "", "sales1", "", "", "", ""]]), dry_run=False)

    assert response.status_code == 302 and response["Location"] == "/customers/import/done/"
    assert Customer.objects.get().name == "甲公司" and not _stored()


def test_an_unreadable_upload_is_shown_on_the_form(as_user):
    client = as_user("clerk")

    response = client.get(_upload(client, b"MZ" + b"\x00" * 64, name="客户.xlsx")["Location"])

    assert "不是表格文件" in response.content.decode()
    assert not _stored()


def test_another_session_cannot_confirm_an_upload(as_user, client, personas):
    location = _upload(as_user("clerk"), xlsx([HEADER, ["甲公司", "", "sales1", "", "", "", ""]]))["Location"]
    client.logout()
    other = as_user("manager")

    response = other.post(location + "confirm/")

    assert response.status_code == 302 and response["Location"] == "/customers/import/"
    assert not Customer.objects.exists()


def test_cancel_deletes_the_upload(as_user):
    client = as_user("clerk")
    location = _upload(client, xlsx([HEADER, ["甲公司", "", "sales1", "", "", "", ""]]))["Location"]

    client.post(location + "cancel/")

    assert not _stored()
    assert client.post(location + "confirm/")["Location"] == "/customers/import/"
    assert not Customer.objects.exists()


def test_the_template_has_the_headers_and_an_example_row_that_imports(as_user, personas):
    response = as_user("clerk").get("/customers/import/template.xlsx")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    header, example = list(book.worksheets[0].iter_rows(max_row=2, values_only=True))
    assert header[:3] == ("客户名称", "简称", "统一社会信用代码")
    assert "负责业务员" in header and "联系人" in header and "联系电话" in header
    assert example[0] == "杭州宏达机电设备有限公司"
    result = import_customers(actor=personas["clerk"], source=response.content, filename="t.xlsx", dry_run=False)
    assert result.written, result.errors
