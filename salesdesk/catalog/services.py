"""Every write of the catalog: products (with history, level prices), categories; and the one
pricing rule the order and contract forms use, ``price_for(product, customer)``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from salesdesk.core.errors import InvalidInput
from salesdesk.core.lib.money import quantize_unit_price
from salesdesk.core.lib.pinyin import search_key
from salesdesk.customers.choices import PriceLevel

from . import permissions as perms
from .errors import CatalogErrorCode
from .models import TAX_RATES, Category, LevelPrice, Product

ALLOWED_TAX_RATES = frozenset(Decimal(r) for r in TAX_RATES)
PRODUCT_FIELDS = ("sku", "name", "specification", "unit", "category", "price", "tax_rate", "cost", "floor_price",
                  "active")
COST_FIELDS = ("cost", "floor_price")
LEVELS = tuple(level for level in PriceLevel.values if level != PriceLevel.LIST)  # list = the product's price
MAX_PRICE = Decimal(10) ** 12

MSG_TAX_RATE = "税率只能是 13%、9%、6%、5%、3%、1% 或 0 / The tax rate must be one of 0.13, 0.09, 0.06, 0.05, 0.03, 0.01, 0."
MSG_COST = "只有内勤、经理和财务可以查看或设置成本价与底价 / Only the clerk, managers and finance may set cost and floor prices."


def _search_text(product: Product) -> str:
    return f"{product.sku.lower()} {search_key(product.name)} {product.specification.lower()}"[:400]


def tax_rate_error(rate: Any) -> str | None:
    """The message for a tax rate that is not one of the VAT rates in use, else ``None``."""
    try:
        value = Decimal(str(rate))
    except ArithmeticError:
        return MSG_TAX_RATE
    return None if value.is_finite() and value in ALLOWED_TAX_RATES else MSG_TAX_RATE


def _price(errors: dict, field: str, value: Any, *, required: bool) -> Decimal | None:
    if value is None or value == "":
        if required:
            errors[field] = ["价格不能为空 / The price is required."]
        return None
    try:
        price = Decimal(str(value))
    except ArithmeticError:
        errors[field] = ["价格不是有效数字 / Not a number."]
        return None
    if not price.is_finite() or price < 0 or price >= MAX_PRICE:
        errors[field] = ["价格必须是非负数 / The price must not be negative."]
        return None
    if price != quantize_unit_price(price):
        errors[field] = ["单价最多六位小数 / At most six decimal places."]
        return None
    return price


def clean_product(data: Mapping[str, Any], *, partial: bool = False) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check product fields (all of them, or only those given when ``partial``); return the
    cleaned values and the errors by field, so imports can report every problem of a row."""
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    for field in ("sku", "name", "unit"):
        if field in data or not partial:
            value = " ".join(str(data.get(field) or "").split())
            limit = {"sku": 40, "name": 200, "unit": 20}[field]
            if not value:
                errors[field] = [{"sku": "产品编码不能为空 / The SKU is required.",
                                  "name": "品名不能为空 / The name is required.",
                                  "unit": "单位不能为空 / The unit is required."}[field]]
            elif len(value) > limit:
                errors[field] = [f"最多 {limit} 个字符 / At most {limit} characters."]
            out[field] = value
    if "specification" in data or not partial:
        spec = " ".join(str(data.get("specification") or "").split())
        if len(spec) > 100:
            errors["specification"] = ["最多 100 个字符 / At most 100 characters."]
        out["specification"] = spec
    if "price" in data or not partial:
        out["price"] = _price(errors, "price", data.get("price"), required=True)
    for field in COST_FIELDS:
        if field in data:
            out[field] = _price(errors, field, data.get(field), required=False)
    if "tax_rate" in data or not partial:
        message = tax_rate_error(data.get("tax_rate"))
        if message:
            errors["tax_rate"] = [message]
        else:
            out["tax_rate"] = Decimal(str(data.get("tax_rate")))
    if "category" in data:
        out["category"] = data["category"]
    if "active" in data and data["active"] is not None:
        out["active"] = bool(data["active"])
    return out, errors


def clean_level_prices(level_prices: Mapping[str, Any] | None) -> dict[str, Decimal | None]:
    """``{level: price or None}``; ``None`` removes the level's price (the list price applies)."""
    if not level_prices:
        return {}
    errors: dict[str, list[str]] = {}
    out: dict[str, Decimal | None] = {}
    for level, value in level_prices.items():
        key = f"level_prices.{level}"
        if level not in LEVELS:
            errors[key] = [f"未知的价格等级：{level} / Unknown price level."]
            continue
        out[level] = _price(errors, key, value, required=False)
    if errors:
        raise InvalidInput(errors, code=CatalogErrorCode.INVALID_LEVEL)
    return out


def _refuse_taken_sku(sku: str, exclude_pk: int | None = None) -> None:
    qs = Product.objects.filter(sku__iexact=sku)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise InvalidInput({"sku": [f"产品编码 {sku} 已存在 / The SKU {sku} is taken."]}, code=CatalogErrorCode.SKU_TAKEN)


def _level_change_note(product: Product, levels: dict[str, Decimal | None]) -> str:
    """Write the level prices and return a note of what changed (kept as the history reason)."""
    if not levels:
        return ""
    current = {lp.price_level: lp for lp in LevelPrice.objects.filter(product=product)}
    labels = dict(PriceLevel.choices)
    notes = []
    for level in sorted(levels):
        price, row = levels[level], current.get(level)
        old = row.price if row else None
        if price == old:
            continue
        if price is None:
            row.delete()
        elif row is None:
            LevelPrice.objects.create(product=product, price_level=level, price=price)
        else:
            row.price = price
            row.save(update_fields=["price"])
        notes.append(f"{labels[level]} {_fmt(old)}→{_fmt(price)}")
    return ("等级价格：" + "，".join(notes))[:100] if notes else ""


def _fmt(price: Decimal | None) -> str:
    if price is None:
        return "—"
    return format(price.normalize(), "f") if price != price.to_integral() else format(price.quantize(Decimal(1)), "f")


def check_write(actor, *, adding: bool, fields: Iterable[str]) -> None:
    """Role rules of a product write, before anything is looked up (403 before 404 and 422)."""
    if not actor.has_perm(perms.ADD_PRODUCT if adding else perms.CHANGE_PRODUCT):
        raise PermissionDenied
    if any(f in COST_FIELDS for f in fields) and not actor.has_perm(perms.VIEW_COST):
        raise PermissionDenied(MSG_COST)


@transaction.atomic
def create_product(
    *, actor, data: Mapping[str, Any], level_prices: Mapping[str, Any] | None = None, reason: str = ""
) -> Product:
    given = [f for f, v in data.items() if v is not None]
    check_write(actor, adding=True, fields=given)
    values, errors = clean_product(data)
    if errors:
        raise InvalidInput(errors, code=CatalogErrorCode.INVALID_PRODUCT)
    levels = clean_level_prices(level_prices)
    _refuse_taken_sku(values["sku"])
    product = Product(**values)
    product.search_text = _search_text(product)
    product._history_user = actor
    product._change_reason = reason[:100] or None
    try:
        with transaction.atomic():
            product.save()
    except IntegrityError:  # a concurrent request took the SKU first
        _refuse_taken_sku(values["sku"])
        raise
    if levels:
        _level_change_note(product, {k: v for k, v in levels.items() if v is not None})
    return product


@transaction.atomic
def update_product(
    *, actor, product: Product, changes: Mapping[str, Any], level_prices: Mapping[str, Any] | None = None,
    reason: str = "",
) -> Product:
    check_write(actor, adding=False, fields=[f for f in changes if f in PRODUCT_FIELDS])
    values, errors = clean_product({k: v for k, v in changes.items() if k in PRODUCT_FIELDS}, partial=True)
    if errors:
        raise InvalidInput(errors, code=CatalogErrorCode.INVALID_PRODUCT)
    levels = clean_level_prices(level_prices)
    product = Product.objects.select_for_update().get(pk=product.pk)
    if "sku" in values and values["sku"] != product.sku:
        _refuse_taken_sku(values["sku"], exclude_pk=product.pk)
    changed = {f: v for f, v in values.items() if getattr(product, f) != v}
    note = _level_change_note(product, levels)
    if not changed and not note:
        return product
    for field, value in changed.items():
        setattr(product, field, value)
    product.search_text = _search_text(product)
    product._history_user = actor
    product._change_reason = "；".join(r for r in (reason, note) if r)[:100] or None
    product.save()
    return product


@transaction.atomic
def create_category(*, actor, code: str, name: str, parent: Category | None = None) -> Category:
    if not actor.has_perm(perms.ADD_CATEGORY):
        raise PermissionDenied
    code, name = " ".join((code or "").split()), " ".join((name or "").split())
    errors = {}
    if not code or len(code) > 20:
        errors["code"] = ["类别编码为 1–20 个字符 / The code takes 1–20 characters."]
    if not name or len(name) > 100:
        errors["name"] = ["类别名称为 1–100 个字符 / The name takes 1–100 characters."]
    if errors:
        raise InvalidInput(errors)
    if Category.objects.filter(code__iexact=code).exists():
        raise InvalidInput({"code": [f"类别编码 {code} 已存在 / The code is taken."]}, code=CatalogErrorCode.CATEGORY_TAKEN)
    return Category.objects.create(code=code, name=name, parent=parent)


# --- pricing ----------------------------------------------------------------------------------


def _level_of(customer) -> str:
    return getattr(customer, "price_level", None) or PriceLevel.LIST


def price_for(product: Product, customer=None) -> Decimal:
    """The price incl. tax a customer pays by default: the price of the customer's price level
    (经销价, 大客户价 …) when the product has one, else the list price."""
    level = _level_of(customer)
    if level == PriceLevel.LIST:
        return product.price
    cache = getattr(product, "_prefetched_objects_cache", {}).get("level_prices")
    if cache is not None:
        return next((lp.price for lp in cache if lp.price_level == level), product.price)
    price = LevelPrice.objects.filter(product=product, price_level=level).values_list("price", flat=True).first()
    return product.price if price is None else price


def prices_for(products: Iterable[Product], customer=None) -> dict[int, Decimal]:
    """``price_for`` of many products in one query: ``{product_id: price}``."""
    products = list(products)
    prices = {p.pk: p.price for p in products}
    level = _level_of(customer)
    if level != PriceLevel.LIST and products:
        prices.update(LevelPrice.objects.filter(product__in=products, price_level=level)
                      .values_list("product_id", "price"))
    return prices
