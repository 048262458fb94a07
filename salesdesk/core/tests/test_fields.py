"""Fixed-point fields round-trip, filter, order and sum exactly on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection, models
from django.db.models import Max, Sum
from django.test.utils import isolate_apps
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from salesdesk.core.fields import MoneyField, QuantityField, RateField, UnitPriceField

with isolate_apps("salesdesk.core"):

    class Amounts(models.Model):  # noqa: DJ008
        money = MoneyField(null=True)
        price = UnitPriceField(null=True)
        qty = QuantityField(null=True)
        rate = RateField(null=True)

        class Meta:
            app_label = "core"


MAX_YUAN = 10**12
money = st.decimals(min_value=-MAX_YUAN, max_value=MAX_YUAN, places=2, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=0, max_value=10**9, places=6, allow_nan=False, allow_infinity=False)
qtys = st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False, allow_infinity=False)


class FixedPointFieldTests(TestCase):
    # The table is created outside the class-wide transaction (SQLite cannot alter schema inside one).
    @classmethod
    def setUpClass(cls):
        with connection.schema_editor() as editor:
            editor.create_model(Amounts)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        with connection.schema_editor() as editor:
            editor.delete_model(Amounts)

    @given(values=st.lists(money, min_size=1, max_size=20))
    def test_money_round_trips_and_sums_exactly(self, values):
        Amounts.objects.all().delete()
        Amounts.objects.bulk_create([Amounts(money=v) for v in values])

        stored = sorted(Amounts.objects.values_list("money", flat=True))
        total = Amounts.objects.aggregate(s=Sum("money"))["s"]

        assert stored == sorted(values)
        assert total == sum(values)
        assert all(isinstance(v, Decimal) for v in stored)

    @given(price=prices, qty=qtys)
    def test_unit_price_and_quantity_round_trip(self, price, qty):
        row = Amounts.objects.create(price=price, qty=qty)
        row.refresh_from_db()

        assert (row.price, row.qty) == (price, qty)

    def test_lookups_filter_and_order_by_value(self):
        Amounts.objects.bulk_create([Amounts(money=Decimal(v)) for v in ("10.00", "9.99", "-0.01", "100.50")])

        assert list(Amounts.objects.filter(money__gte=Decimal("9.99")).order_by("money").values_list(
            "money", flat=True)) == [Decimal("9.99"), Decimal("10.00"), Decimal("100.50")]
        assert Amounts.objects.filter(money="10").count() == 1
        assert Amounts.objects.aggregate(m=Max("money"))["m"] == Decimal("100.50")

    def test_money_is_stored_as_integer_fen(self):
        row = Amounts.objects.create(money=Decimal("12345.67"))
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT money FROM {Amounts._meta.db_table} WHERE id = %s", [row.pk])  # noqa: S608
            assert cursor.fetchone()[0] == 1234567

    def test_rounding_on_save_is_half_up(self):
        row = Amounts.objects.create(money=Decimal("2.675"), qty=Decimal("0.0005"))
        row.refresh_from_db()

        assert (row.money, row.qty) == (Decimal("2.68"), Decimal("0.001"))

    def test_rate_keeps_four_decimals(self):
        row = Amounts.objects.create(rate=Decimal("0.13"))
        row.refresh_from_db()

        assert row.rate == Decimal("0.1300")

    def test_float_is_refused(self):
        with pytest.raises(TypeError):
            Amounts.objects.create(money=0.1)
