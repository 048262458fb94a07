"""Factories for the catalog (tests and benchmarks)."""

from __future__ import annotations

from decimal import Decimal

import factory

from salesdesk.catalog.models import Category, LevelPrice, Product


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"类别{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"P-{n:05d}")
    name = factory.Sequence(lambda n: f"液压油{n}号")
    specification = "HM46 200L"
    unit = "桶"
    price = Decimal("1130.00")
    tax_rate = Decimal("0.13")
    cost = Decimal("800.00")
    floor_price = Decimal("1000.00")
    search_text = factory.LazyAttribute(lambda o: f"{o.sku.lower()} {o.name}")


class LevelPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LevelPrice

    product = factory.SubFactory(ProductFactory)
    price_level = "dealer"
    price = Decimal("1000.00")
