"""Fixed-point model fields: exact money, unit prices and quantities on SQLite and PostgreSQL.

Values are ``Decimal`` in Python and scaled integers in the database (fen, millionths of a yuan,
thousandths), because SQLite stores ``DecimalField`` as floating point and sums would drift.
Rule: SQL only sums stored integers; products, tax splits and rounding happen in Python when a
row is written (``salesdesk.core.lib.money``), and the results are stored.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core import checks, exceptions
from django.db import models
from django.utils.translation import gettext_lazy as _

from .lib import money


class _ScaledDecimalField(models.BigIntegerField):
    """A ``Decimal`` stored as ``round_half_up(value × 10^places)`` in a BIGINT column."""

    places = 2
    max_digits = 18
    description = _("定点小数")
    _to_int = staticmethod(money.to_fen)
    _from_int = staticmethod(money.from_fen)

    def from_db_value(self, value, expression, connection):
        return None if value is None else self._from_int(int(value))

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            raise exceptions.ValidationError(_("金额不能是浮点数。"), code="invalid")
        try:
            return self._from_int(self._to_int(value))
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise exceptions.ValidationError(_("请输入有效的数字。"), code="invalid") from exc

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, models.expressions.Combinable | models.Expression):
            return value
        return self._to_int(value)

    def get_db_prep_value(self, value, connection, prepared=False):
        return value if prepared else self.get_prep_value(value)

    def value_to_string(self, obj) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else str(value)

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.DecimalField,
            "max_digits": self.max_digits,
            "decimal_places": self.places,
        }
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)

    def get_internal_type(self) -> str:
        return "BigIntegerField"

    def check(self, **kwargs):
        return [*super().check(**kwargs), *self._check_no_float_default()]

    def _check_no_float_default(self):
        if isinstance(self.default, float):
            return [checks.Error("fixed-point fields take Decimal or str defaults, not float", obj=self)]
        return []


class MoneyField(_ScaledDecimalField):
    """Money in yuan with two decimals, stored as integer fen (分)."""

    description = _("金额（分）")
    places = 2


class UnitPriceField(_ScaledDecimalField):
    """A unit price in yuan with up to six decimals, stored as integer millionths."""

    description = _("单价")
    places = 6
    max_digits = 19
    _to_int = staticmethod(money.to_micros)
    _from_int = staticmethod(money.from_micros)


class QuantityField(_ScaledDecimalField):
    """A quantity with up to three decimals, stored as integer thousandths."""

    description = _("数量")
    places = 3
    _to_int = staticmethod(money.to_milli)
    _from_int = staticmethod(money.from_milli)


class RateField(models.DecimalField):
    """A rate such as a tax rate or a credit share (``0.1300``): DecimalField(7, 4), never summed."""

    description = _("比率")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 7)
        kwargs.setdefault("decimal_places", 4)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_digits") == 7:
            del kwargs["max_digits"]
        if kwargs.get("decimal_places") == 4:
            del kwargs["decimal_places"]
        return name, path, args, kwargs
