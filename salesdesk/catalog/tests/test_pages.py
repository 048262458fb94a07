"""Product pages: the list (pinned queries, prices per role), the form, the history, and the Excel
import and export (all or nothing, per-row Chinese errors, round trip)."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from salesdesk.catalog.models import LevelPrice, Product
from salesdesk.core.models import ExportLog
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget

from .factories import CategoryFactory, LevelPriceFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


def xlsx(rows) -> SimpleUploadedFile:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("产品.xlsx", buffer.getvalue())


# session, user, user and group permissions, groups (menu), row count, heartbeat, unread notifications,
# categories (filter), rows with their category
PRODUCT_LIST_QUERIES = 10


def test_the_list_runs_a_fixed_number_of_queries_whatever_the_rows(as_user):
    from salesdesk.core.jobs import beat

    beat()
    ProductFactory(category=CategoryFactory())
    client = as_user("clerk")
    client.get("/catalog/")
    with query_budget(PRODUCT_LIST_QUERIES):
        client.get("/catalog/")
    for _ in range(20):
        ProductFactory(category=CategoryFactory())
    with query_budget(PRODUCT_LIST_QUERIES):
        response = client.get("/catalog/")
    assert response.status_code == 200


@pytest.mark.parametrize(("username", "price", "cost"), [("clerk", True, True), ("sales1", True, False),
                                                         ("warehouse", False, False)])
def test_the_list_shows_price_columns_only_to_roles_that_may_see_them(as_user, username, price, cost):
    ProductFactory(price=Decimal("1234.5"), cost=Decimal("987.65"))

    html = as_user(username).get("/catalog/").content.decode()

    assert ("1,234.50" in html) == price
    assert ("987.65" in html) == cost


def test_the_clerk_creates_a_product_with_a_level_price_in_the_form(as_user):
    response = as_user("clerk").post("/catalog/new/", {
        "sku": "GL5-18", "name": "齿轮油", "unit": "桶", "price": "386.5", "tax_rate": "0.13", "active": "on",
        "level_dealer": "360",
    })

    product = Product.objects.get()
    assert response.status_code == 302
    assert (product.sku, product.price, product.level_prices.get().price) == ("GL5-18", Decimal("386.5"),
                                                                            Decimal("360"))


def test_the_form_refuses_a_duplicate_sku_on_the_field(as_user):
    ProductFactory(sku="GL5-18")

    response = as_user("clerk").post("/catalog/new/", {"sku": "GL5-18", "name": "齿轮油", "unit": "桶",
                                                       "price": "1", "tax_rate": "0.13"})

    assert "已存在" in response.content.decode()
    assert Product.objects.count() == 1


def test_a_salesperson_may_not_open_the_form(as_user):
    assert as_user("sales1").get("/catalog/new/").status_code == 403


def test_the_history_tab_hides_cost_changes_from_a_salesperson(as_user, personas):
    from salesdesk.catalog.services import update_product

    product = ProductFactory()
    update_product(actor=personas["clerk"], product=product, changes={"cost": Decimal("1.23"), "name": "新名称"})

    html = as_user("sales1").get(f"/catalog/{product.pk}/?tab=history", HTTP_HX_REQUEST="true").content.decode()

    assert "新名称" in html and "1.23" not in html


# --- import and export -----------------------------------------------------------------------------------

HEADER = ["产品编码", "品名", "规格型号", "单位", "类别编码", "标准价(含税)", "税率", "成本价", "底价", "在售", "经销价"]


def test_an_import_creates_and_updates_products_in_one_go(as_user, personas):
    CategoryFactory(code="OIL")
    existing = ProductFactory(sku="HM46", name="旧名称", price=Decimal("100"))
    upload = xlsx([HEADER, ["HM46", "抗磨液压油", "HM46 200L", "桶", "OIL", 1130, "13%", 800, 1000, "是", 1050],
                   ["GL5", "齿轮油", "", "桶", "", "386.5", 0.13, None, None, "否", None]])

    response = as_user("clerk").post("/catalog/import/", {"file": upload})

    assert response.status_code == 302
    existing.refresh_from_db()
    assert (existing.name, existing.price, existing.category.code) == ("抗磨液压油", Decimal("1130"), "OIL")
    assert LevelPrice.objects.get(product=existing).price == Decimal("1050")
    assert existing.history.latest().history_change_reason == "Excel 导入；等级价格：经销价 —→1050"
    new = Product.objects.get(sku="GL5")
    assert (new.tax_rate, new.active, new.price) == (Decimal("0.13"), False, Decimal("386.5"))


def test_one_bad_row_refuses_the_whole_file_with_row_and_column_in_chinese(as_user):
    upload = xlsx([HEADER, ["A1", "好产品", "", "桶", "", 10, "13%", "", "", "是", ""],
                   ["A2", "坏税率", "", "桶", "", 10, "17%", "", "", "是", ""],
                   ["A3", "", "", "桶", "", "abc", "9%", "", "", "也许", ""]])

    response = as_user("clerk").post("/catalog/import/", {"file": upload})

    html = response.content.decode()
    assert response.status_code == 200
    assert "第 3 行" in html and "税率只能是 13%" in html
    assert "第 4 行" in html and "品名不能为空" in html and "请填写“是”或“否”" in html and "不是有效数字" in html
    assert not Product.objects.exists()


def test_a_file_that_is_not_excel_is_refused(as_user):
    response = as_user("clerk").post("/catalog/import/", {"file": SimpleUploadedFile("x.xlsx", b"not a zip")})

    assert "无法读取文件" in response.content.decode()


def test_a_salesperson_may_not_import(as_user):
    upload = xlsx([HEADER, ["A1", "好产品", "", "桶", "", 10, "13%", "", "", "是", ""]])

    assert as_user("sales1").post("/catalog/import/", {"file": upload}).status_code == 403
    assert not Product.objects.exists()


def test_export_then_import_changes_nothing(as_user):
    product = ProductFactory(sku="HM46", price=Decimal("1130.5"), category=CategoryFactory(code="OIL"))
    LevelPriceFactory(product=product, price_level="dealer", price=Decimal("1000"))
    client = as_user("clerk")

    exported = client.get("/catalog/?export=xlsx")
    book = openpyxl.load_workbook(io.BytesIO(exported.content))
    rows = list(book.active.iter_rows(values_only=True))[1:]  # drop the "exported by" title line
    assert rows[0][:7] == ("产品编码", "品名", "规格型号", "单位", "类别编码", "标准价(含税)", "税率")
    response = client.post("/catalog/import/", {"file": xlsx(rows)})

    assert response.status_code == 302
    assert product.history.count() == 1  # no change recorded
    assert ExportLog.objects.get().what == "catalog.products"


def test_the_template_has_the_import_header(as_user):
    response = as_user("clerk").get("/catalog/import/template/")

    header = next(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert header[:3] == ("产品编码", "品名", "规格型号")
