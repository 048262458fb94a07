"""Products in the API (API.md, "Products"): create, list, get, patch, history; categories.

Prices include tax (含税) and are strings. Roles that see no prices (warehouse, planner — API.md
"without prices" — and the administrator) get ``null`` for every price field; cost and floor
price (底价) are ``null`` except for the clerk, managers, the general manager and finance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404
from ninja import Field, Path, Query, Router, Schema, Status

from salesdesk.api.auth import requires
from salesdesk.api.pagination import PageParams
from salesdesk.api.schemas import COMMON_ERRORS, MAX_ID, WRITE_ERRORS, HistoryOut, ListOut, history_response
from salesdesk.api.types import Rate, UnitPrice
from salesdesk.core.access import get_for_user
from salesdesk.core.errors import InvalidInput

from . import permissions as perms
from . import queries, services
from .models import Category, Product

router = Router(tags=["products"])

LevelCode = str  # dealer | key_account | special (customers' price levels other than list)


class ProductIn(Schema):
    sku: str = Field(..., min_length=1, max_length=40)
    name: str = Field(..., min_length=1, max_length=200)
    unit: str = Field(..., min_length=1, max_length=20)
    price: UnitPrice
    tax_rate: Rate
    category: str | None = Field(None, max_length=20, description="类别编码 / category code")
    cost: UnitPrice | None = None
    floor_price: UnitPrice | None = None
    spec: str | None = Field(None, max_length=100, description="规格型号 / specification")
    active: bool = True
    level_prices: dict[str, UnitPrice | None] | None = Field(
        None, description="等级价格（含税）：dealer、key_account、special / prices per customer price level"
    )


class ProductPatch(Schema):
    sku: str | None = Field(None, min_length=1, max_length=40)
    name: str | None = Field(None, min_length=1, max_length=200)
    unit: str | None = Field(None, min_length=1, max_length=20)
    price: UnitPrice | None = None
    tax_rate: Rate | None = None
    category: str | None = Field(None, max_length=20, description="类别编码；空字符串清除 / code, \"\" clears")
    cost: UnitPrice | None = None
    floor_price: UnitPrice | None = None
    spec: str | None = Field(None, max_length=100)
    active: bool | None = None
    level_prices: dict[str, UnitPrice | None] | None = None


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    spec: str
    unit: str
    category: str | None
    category_id: int | None
    category_name: str | None
    price: UnitPrice | None = Field(None, description="null for roles that see no prices (warehouse, planner)")
    tax_rate: Rate
    cost: UnitPrice | None = Field(None, description="null unless the role may see cost prices")
    floor_price: UnitPrice | None = Field(None, description="null unless the role may see cost prices")
    level_prices: dict[str, UnitPrice] | None = None
    active: bool
    created_at: datetime
    updated_at: datetime


class ProductFilter(Schema):
    q: str | None = Field(None, max_length=100, description="编码、品名、拼音 / SKU, name, pinyin or initials")
    category: str | None = Field(None, max_length=20, description="类别编码 / category code")
    category_id: int | None = Field(None, ge=1, le=MAX_ID)
    active: bool | None = None


class CategoryIn(Schema):
    code: str = Field(..., min_length=1, max_length=20)
    name: str = Field(..., min_length=1, max_length=100)
    parent_id: int | None = Field(None, ge=1, le=MAX_ID)


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None


def product_out(product: Product, user) -> dict[str, Any]:
    prices, cost = perms.sees_prices(user), perms.sees_prices(user) and perms.sees_cost(user)
    levels = None
    if prices:
        levels = {lp.price_level: lp.price for lp in product.level_prices.all()}
    category = product.category
    return {
        "id": product.pk, "sku": product.sku, "name": product.name, "spec": product.specification,
        "unit": product.unit, "category": category.code if category else None, "category_id": product.category_id,
        "category_name": category.name if category else None, "price": product.price if prices else None,
        "tax_rate": product.tax_rate, "cost": product.cost if cost else None,
        "floor_price": product.floor_price if cost else None, "level_prices": levels, "active": product.active,
        "created_at": product.created_at, "updated_at": product.updated_at,
    }


def _category(code: str | None) -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code__iexact=code.strip()).first()
    if category is None:
        raise InvalidInput({"category": [f"没有编码为 {code} 的类别 / Unknown category {code}."]})
    return category


def _data(payload: dict) -> dict:
    if "spec" in payload:
        payload["specification"] = payload.pop("spec")
    payload.pop("level_prices", None)
    return payload


def _one(user, pk: int) -> dict:
    return product_out(queries.product_detail(user).get(pk=pk), user)


@router.post("/products", response={201: ProductOut, **WRITE_ERRORS}, auth=requires(perms.ADD_PRODUCT),
             summary="新建产品 / Create a product")
def create_product(request, payload: ProductIn):
    data = payload.dict()
    levels = data.get("level_prices")
    services.check_write(request.user, adding=True, fields=[f for f in ("cost", "floor_price") if data.get(f) is not None])
    data = _data(data)
    data["category"] = _category(data.get("category"))
    product = services.create_product(actor=request.user, data=data, level_prices=levels)
    return Status(201, _one(request.user, product.pk))


@router.get("/products", response={200: ListOut[ProductOut], **COMMON_ERRORS}, auth=requires(perms.VIEW_PRODUCT),
            summary="产品列表 / Products")
def list_products(request, filters: Query[ProductFilter], page: Query[PageParams]):
    qs = queries.product_detail(request.user).order_by("sku")
    if filters.q:
        qs = queries.search(qs, filters.q)
    if filters.category:
        qs = qs.filter(category__code__iexact=filters.category)
    if filters.category_id:
        qs = qs.filter(category_id=filters.category_id)
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    items = [product_out(p, request.user) for p in qs[page.offset : page.offset + page.limit]]
    return {"count": qs.count(), "items": items}


@router.get("/products/{product_id}", response={200: ProductOut, **COMMON_ERRORS}, auth=requires(perms.VIEW_PRODUCT),
            summary="产品 / One product")
def get_product(request, product_id: int = Path(..., ge=1, le=MAX_ID)):
    return product_out(get_for_user(queries.product_detail(), product_id, request.user), request.user)


@router.patch("/products/{product_id}", response={200: ProductOut, **WRITE_ERRORS},
              auth=requires(perms.CHANGE_PRODUCT), summary="修改产品 / Edit a product")
def patch_product(request, payload: ProductPatch, product_id: int = Path(..., ge=1, le=MAX_ID)):
    changes = payload.dict(exclude_unset=True)
    levels = changes.get("level_prices")
    services.check_write(request.user, adding=False, fields=list(changes))
    product = get_for_user(Product, product_id, request.user)
    changes = _data(changes)
    for field in ("sku", "name", "unit", "price", "tax_rate", "active"):
        if field in changes and changes[field] is None:
            raise InvalidInput({field: ["不能为空 / Must not be null."]})
    if "category" in changes:
        changes["category"] = _category(changes["category"])
    services.update_product(actor=request.user, product=product, changes=changes, level_prices=levels)
    return _one(request.user, product.pk)


HIDDEN_FOR_NO_COST = {"cost", "floor_price"}
HIDDEN_FOR_NO_PRICE = {"price", "cost", "floor_price"}


def visible_history(user, data: dict) -> dict:
    """Hide price changes from roles that may not see them (and the level-price notes)."""
    hidden = set()
    if not perms.sees_cost(user):
        hidden |= HIDDEN_FOR_NO_COST
    if not perms.sees_prices(user):
        hidden |= HIDDEN_FOR_NO_PRICE
    if hidden:
        for item in data["items"]:
            item["changes"] = {k: v for k, v in item["changes"].items() if k not in hidden}
            if not perms.sees_prices(user):
                item["reason"] = ""
    return data


@router.get("/products/{product_id}/history", response={200: HistoryOut, **COMMON_ERRORS},
            auth=requires(perms.VIEW_PRODUCT), summary="产品变更记录 / Change history")
def product_history(request, page: Query[PageParams], product_id: int = Path(..., ge=1, le=MAX_ID)):
    product = get_for_user(Product, product_id, request.user)
    return visible_history(request.user, history_response(product, page.limit, page.offset))


@router.get("/product-categories", response={200: ListOut[CategoryOut], **COMMON_ERRORS},
            auth=requires(perms.VIEW_CATEGORY), summary="产品类别 / Product categories")
def list_categories(request, page: Query[PageParams]):
    qs = queries.categories(request.user).order_by("code")
    return {"count": qs.count(), "items": list(qs[page.offset : page.offset + page.limit])}


@router.post("/product-categories", response={201: CategoryOut, **WRITE_ERRORS}, auth=requires(perms.ADD_CATEGORY),
             summary="新建产品类别 / Create a category")
def create_category(request, payload: CategoryIn):
    parent = None
    if payload.parent_id is not None:
        parent = Category.objects.visible_to(request.user).filter(pk=payload.parent_id).first()
        if parent is None:
            raise Http404
    category = services.create_category(actor=request.user, code=payload.code, name=payload.name, parent=parent)
    return Status(201, category)
