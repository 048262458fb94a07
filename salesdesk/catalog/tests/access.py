"""Access-matrix rows of the catalog: product pages, import/export, categories, the API.

Every signed-in employee looks products up; the clerk and sales managers create and edit them.
See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import Case, Ctx, Redirect, api_expect, page_expect


def populate(world) -> None:
    from salesdesk.catalog.tests.factories import CategoryFactory, ProductFactory

    world.add("catalog_product", ProductFactory(sku="ACCESS-P1", category=CategoryFactory(code="ACC")))


def _product(ctx: Ctx) -> int:
    return ctx.world.get("catalog_product").pk


EDITORS = dict(clerk=200, sales_manager=200)
EXPORTERS = dict(clerk=200, sales_manager=200, general_manager=200, finance=200)


def _upload(ctx: Ctx) -> dict:
    import io

    import openpyxl
    from django.core.files.uploadedfile import SimpleUploadedFile

    book = openpyxl.Workbook()
    book.active.append(["产品编码", "品名", "单位", "标准价(含税)", "税率"])
    book.active.append(["ACCESS-NEW", "导入产品", "桶", 100, "13%"])
    buffer = io.BytesIO()
    book.save(buffer)
    return {"file": SimpleUploadedFile("products.xlsx", buffer.getvalue())}


CASES: list[Case] = [
    Case("product_list", expect=page_expect(200)),
    Case("product_list", label="search and filters", query={"q": "access", "active": "1"}, expect=page_expect(200)),
    Case("product_list", label="Excel export", query={"export": "xlsx"}, expect=page_expect(403, **EXPORTERS)),
    Case("product_create", expect=page_expect(403, **EDITORS)),
    Case("product_create", method="POST", label="empty form", body={}, expect=page_expect(403, **EDITORS)),
    Case("product_detail", args=lambda c: {"pk": _product(c)}, expect=page_expect(200)),
    Case("product_detail", label="history tab", args=lambda c: {"pk": _product(c)}, query={"tab": "history"},
         expect=page_expect(200)),
    Case("product_detail", label="unknown id", args={"pk": 2**31}, expect=page_expect(404)),
    Case("product_edit", args=lambda c: {"pk": _product(c)}, expect=page_expect(403, **EDITORS)),
    Case("product_edit", method="POST", label="rename", args=lambda c: {"pk": _product(c)},
         body={"sku": "ACCESS-P1", "name": "改名", "unit": "桶", "price": "10", "tax_rate": "0.13"},
         expect=page_expect(403, clerk=Redirect("/catalog/"), sales_manager=Redirect("/catalog/"))),
    Case("product_import", expect=page_expect(403, **EDITORS)),
    Case("product_import", method="POST", label="a good file", body=_upload,
         expect=page_expect(403, clerk=Redirect("/catalog/"), sales_manager=Redirect("/catalog/"))),
    Case("product_import_template", expect=page_expect(403, **EDITORS)),
    Case("category_list", expect=page_expect(200)),
    Case("category_list", method="POST", label="add", body={"code": "NEW", "name": "新类别"},
         expect=page_expect(403, clerk=Redirect("/catalog/categories/"),
                            sales_manager=Redirect("/catalog/categories/"))),
    # --- API ---
    Case("GET /api/v1/products", expect=api_expect(200)),
    Case("GET /api/v1/products", label="filtered", query={"q": "access", "category": "ACC", "active": "true"},
         expect=api_expect(200)),
    Case("POST /api/v1/products", body={"sku": "ACCESS-NEW", "name": "新产品", "unit": "桶", "price": "10",
                                        "tax_rate": "0.13"},
         expect=api_expect(403, clerk=201, sales_manager=201)),
    Case("GET /api/v1/products/{product_id}", args=lambda c: {"product_id": _product(c)}, expect=api_expect(200)),
    Case("GET /api/v1/products/{product_id}", label="unknown id", args={"product_id": 2**31},
         expect=api_expect(404)),
    Case("PATCH /api/v1/products/{product_id}", args=lambda c: {"product_id": _product(c)}, body={"name": "改名"},
         expect=api_expect(403, clerk=200, sales_manager=200)),
    Case("PATCH /api/v1/products/{product_id}", label="cost price", args=lambda c: {"product_id": _product(c)},
         body={"cost": "1.00"}, expect=api_expect(403, clerk=200, sales_manager=200)),
    Case("GET /api/v1/products/{product_id}/history", args=lambda c: {"product_id": _product(c)},
         expect=api_expect(200)),
    Case("GET /api/v1/product-categories", expect=api_expect(200)),
    Case("POST /api/v1/product-categories", body={"code": "NEW", "name": "新类别"},
         expect=api_expect(403, clerk=201, sales_manager=201)),
]
