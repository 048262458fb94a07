"""Read queries of the catalog pages and endpoints: the search (SKU, name, pinyin), the list
with its category in the same query, one product with its level prices."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from .models import Category, LevelPrice, Product


def search(qs: QuerySet[Product], term: str) -> QuerySet[Product]:
    """SKU, name, specification, full pinyin or initials (``hyy`` finds 液压油)."""
    term = " ".join((term or "").split())
    if not term:
        return qs
    return qs.filter(Q(sku__icontains=term) | Q(search_text__icontains=term.lower()) | Q(name__icontains=term))


def product_list(user) -> QuerySet[Product]:
    return Product.objects.visible_to(user).select_related("category")


def product_detail(user=None) -> QuerySet[Product]:
    qs = Product.objects.select_related("category").prefetch_related(
        Prefetch("level_prices", queryset=LevelPrice.objects.order_by("price_level"))
    )
    return qs if user is None else qs.visible_to(user)


def categories(user) -> QuerySet[Category]:
    return Category.objects.visible_to(user).select_related("parent")
