"""Products through the API: who may create and edit, tax rates, who sees which prices, filters,
history and level prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from salesdesk.catalog.models import LevelPrice, Product
from salesdesk.catalog.services import price_for, prices_for
from salesdesk.customers.tests.factories import CustomerFactory

from .factories import CategoryFactory, LevelPriceFactory, ProductFactory

pytestmark = pytest.mark.django_db


def body(**over):
    data = {"sku": "HM46-200", "name": "抗磨液压油", "unit": "桶", "price": "1130.00", "tax_rate": "0.13",
            "spec": "HM46 200L", "cost": "800.50", "floor_price": "1000"}
    data.update(over)
    return data


def test_clerk_creates_a_product_with_prices_as_strings(api):
    CategoryFactory(code="OIL", name="润滑油")

    response = api("clerk").post("/api/v1/products", body(category="OIL", level_prices={"dealer": "1050"}))

    assert response.status_code == 201, response.content
    data = response.json()
    assert {k: data[k] for k in ("sku", "name", "unit", "price", "tax_rate", "cost", "floor_price", "spec",
                                 "category", "active")} == {
        "sku": "HM46-200", "name": "抗磨液压油", "unit": "桶", "price": "1130", "tax_rate": "0.13", "cost": "800.5",
        "floor_price": "1000", "spec": "HM46 200L", "category": "OIL", "active": True,
    }
    assert data["level_prices"] == {"dealer": "1050"}


@pytest.mark.parametrize("rate", ["0.17", "0.10", "0.125", "1"])
def test_a_tax_rate_not_in_use_is_refused_and_nothing_is_written(api, rate):
    response = api("clerk").post("/api/v1/products", body(tax_rate=rate))

    assert response.status_code == 422
    assert "tax_rate" in response.json()["errors"]
    assert not Product.objects.exists()


@pytest.mark.parametrize("rate", ["0.13", "0.09", "0.06", "0.05", "0.03", "0.01", "0"])
def test_every_vat_rate_in_use_is_accepted(api, rate):
    assert api("manager").post("/api/v1/products", body(tax_rate=rate)).status_code == 201


@pytest.mark.parametrize("username", ["sales1", "gm", "finance", "hr", "warehouse", "planner", "admin"])
def test_only_clerk_and_manager_create_products(api, username):
    assert api(username).post("/api/v1/products", body()).status_code == 403
    assert not Product.objects.exists()


def test_a_duplicate_sku_is_invalid_input(api):
    ProductFactory(sku="HM46-200")

    response = api("clerk").post("/api/v1/products", body(sku="hm46-200"))

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["sku"]


@pytest.mark.parametrize(("username", "price", "cost"), [
    ("clerk", "1130", "800"), ("manager", "1130", "800"), ("gm", "1130", "800"), ("finance", "1130", "800"),
    ("sales1", "1130", None), ("hr", "1130", None), ("warehouse", None, None), ("planner", None, None),
    ("admin", None, None),
])
def test_each_role_sees_the_prices_it_may(api, username, price, cost):
    product = ProductFactory()
    LevelPriceFactory(product=product)

    data = api(username).get(f"/api/v1/products/{product.pk}").json()
    listed = api(username).get("/api/v1/products").json()["items"][0]

    assert (data["price"], data["cost"], data["floor_price"] is not None) == (price, cost, cost is not None)
    assert (data["level_prices"] is None) == (price is None)
    assert (listed["price"], listed["cost"]) == (price, cost)


def test_a_salesperson_cannot_see_cost_changes_in_the_history(api):
    product = ProductFactory()
    api("clerk").patch(f"/api/v1/products/{product.pk}", {"cost": "700", "name": "新品名"})

    seen_by_sales = api("sales1").get(f"/api/v1/products/{product.pk}/history").json()["items"][0]["changes"]
    seen_by_clerk = api("clerk").get(f"/api/v1/products/{product.pk}/history").json()["items"][0]["changes"]

    assert "cost" not in seen_by_sales and "name" in seen_by_sales
    assert seen_by_clerk["cost"] == ["800.00", "700.00"]


def test_a_manager_edits_a_product_and_the_change_is_in_its_history(api, personas):
    product = ProductFactory(price=Decimal("100"))

    response = api("manager").patch(f"/api/v1/products/{product.pk}", {"price": "120.5", "active": False,
                                                                       "level_prices": {"dealer": "110"}})

    assert response.status_code == 200, response.content
    assert (response.json()["price"], response.json()["active"]) == ("120.5", False)
    entry = api("manager").get(f"/api/v1/products/{product.pk}/history").json()["items"][0]
    assert entry["user"] == personas["manager"].display_name
    assert entry["changes"]["price"] == ["100.00", "120.50"]
    assert "经销价" in entry["reason"]


def test_a_salesperson_may_not_set_a_cost_price(api):
    product = ProductFactory()

    assert api("sales1").patch(f"/api/v1/products/{product.pk}", {"cost": "1"}).status_code == 403
    product.refresh_from_db()
    assert product.cost == Decimal("800.00")


def test_the_list_filters_by_pinyin_category_and_active(api):
    oil = CategoryFactory(code="OIL")
    hydraulic = ProductFactory(name="液压油", sku="A1", category=oil, search_text="a1 液压油 yeyayou yyy")
    ProductFactory(name="齿轮油", sku="B1", search_text="b1 齿轮油 chilunyou cly", active=False)

    def skus(query):
        return [p["sku"] for p in api("sales1").get(f"/api/v1/products?{query}").json()["items"]]

    assert skus("q=yyy") == ["A1"]
    assert skus("q=b1") == ["B1"]
    assert skus("category=OIL") == ["A1"] and skus(f"category_id={oil.pk}") == ["A1"]
    assert skus("active=false") == ["B1"]
    assert hydraulic.pk


def test_search_text_is_written_with_pinyin(api):
    api("clerk").post("/api/v1/products", body(name="齿轮油"))

    assert [p["sku"] for p in api("clerk").get("/api/v1/products?q=clyou").json()["items"]] == []
    assert [p["sku"] for p in api("clerk").get("/api/v1/products?q=cly").json()["items"]] == ["HM46-200"]


def test_price_for_takes_the_level_price_else_the_list_price(personas):
    product = ProductFactory(price=Decimal("100"))
    LevelPriceFactory(product=product, price_level="dealer", price=Decimal("90"))
    dealer = CustomerFactory(salesperson=personas["sales1"], price_level="dealer")
    key = CustomerFactory(salesperson=personas["sales1"], price_level="key_account")

    assert price_for(product, dealer) == Decimal("90")
    assert price_for(product, key) == Decimal("100")
    assert price_for(product, None) == Decimal("100")
    assert prices_for([product], dealer) == {product.pk: Decimal("90")}


def test_removing_a_level_price_with_null(api):
    product = ProductFactory()
    LevelPriceFactory(product=product, price_level="dealer")

    api("clerk").patch(f"/api/v1/products/{product.pk}", {"level_prices": {"dealer": None}})

    assert not LevelPrice.objects.exists()


def test_categories_are_listed_and_created_by_the_clerk(api):
    created = api("clerk").post("/api/v1/product-categories", {"code": "OIL", "name": "润滑油"})
    refused = api("sales1").post("/api/v1/product-categories", {"code": "X", "name": "X"})

    assert created.status_code == 201
    assert refused.status_code == 403
    assert [c["code"] for c in api("warehouse").get("/api/v1/product-categories").json()["items"]] == ["OIL"]


# token with its user, permissions (user + groups), rows with categories, level prices, groups (price roles), count
PRODUCT_LIST_API_QUERIES = 7


def test_the_list_endpoint_runs_a_fixed_number_of_queries_whatever_the_rows(api):
    from salesdesk.core.testing.queries import query_budget

    ProductFactory()
    client = api("sales1")
    client.get("/api/v1/products")
    with query_budget(PRODUCT_LIST_API_QUERIES):
        client.get("/api/v1/products")
    for _ in range(10):
        LevelPriceFactory(product=ProductFactory(category=CategoryFactory()))
    with query_budget(PRODUCT_LIST_API_QUERIES):
        response = client.get("/api/v1/products")
    assert response.json()["count"] == 11
