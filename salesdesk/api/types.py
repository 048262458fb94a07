"""Fixed-point values in the API: money as strings with exactly two decimals (never a JSON float),
unit prices up to six decimals, quantities up to three, rates as strings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema


def _decimal(places: int, limit: Decimal, *, allow_negative: bool):
    def parse(value):
        if isinstance(value, bool) or isinstance(value, float):
            raise ValueError("use a string such as \"12.50\", not a JSON number with a fraction")
        if isinstance(value, int):
            value = Decimal(value)
        if isinstance(value, str):
            try:
                value = Decimal(value.strip())
            except InvalidOperation:
                raise ValueError("not a decimal number") from None
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError("not a decimal number")
        if value.as_tuple().exponent < -places and value != value.quantize(Decimal(1).scaleb(-places)):
            raise ValueError(f"at most {places} decimal places")
        if abs(value) >= limit:
            raise ValueError("too large")
        if not allow_negative and value < 0:
            raise ValueError("must not be negative")
        return value.quantize(Decimal(1).scaleb(-places))

    return parse


def _money_text(v) -> str:
    return f"{Decimal(str(v)):.2f}"


def _schema(pattern: str, example: str) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "example": example})


Money = Annotated[
    Decimal,
    BeforeValidator(_decimal(2, Decimal(10) ** 13, allow_negative=True)),
    PlainSerializer(_money_text, return_type=str),
    _schema(r"^-?\d+(\.\d{1,2})?$", "12345.60"),
]
PositiveMoney = Annotated[
    Decimal,
    BeforeValidator(_decimal(2, Decimal(10) ** 13, allow_negative=False)),
    PlainSerializer(_money_text, return_type=str),
    _schema(r"^\d+(\.\d{1,2})?$", "12345.60"),
]
UnitPrice = Annotated[
    Decimal,
    BeforeValidator(_decimal(6, Decimal(10) ** 12, allow_negative=False)),
    PlainSerializer(lambda v: format(v.normalize() if v != v.to_integral() else v.quantize(Decimal(1)), "f"),
                    return_type=str),
    _schema(r"^\d+(\.\d{1,6})?$", "12.5"),
]
Quantity = Annotated[
    Decimal,
    BeforeValidator(_decimal(3, Decimal(10) ** 12, allow_negative=False)),
    PlainSerializer(lambda v: format(v.normalize() if v != v.to_integral() else v.quantize(Decimal(1)), "f"),
                    return_type=str),
    _schema(r"^\d+(\.\d{1,3})?$", "10"),
]
def _rate_text(v: Decimal) -> str:
    return f"{v:.2f}" if v == v.quantize(Decimal("0.01")) else format(v.normalize(), "f")


Rate = Annotated[
    Decimal,
    BeforeValidator(_decimal(4, Decimal(1000), allow_negative=False)),
    PlainSerializer(_rate_text, return_type=str),
    _schema(r"^\d+(\.\d{1,4})?$", "0.13"),
]


def _aware(value):
    """A time sent without an offset is Beijing time; years far off are refused (no overflow later)."""
    from django.utils import timezone

    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if not 1990 <= value.year <= 2100:
        raise ValueError("year out of range (1990–2100)")
    return value


def _local_iso(value) -> str:
    from django.utils import timezone

    return timezone.localtime(value).isoformat()


# A timestamp in and out: Beijing time with its offset (API.md: "+08:00").
Timestamp = Annotated[
    datetime,
    AfterValidator(_aware),
    PlainSerializer(_local_iso, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2026-03-02T09:30:00+08:00"}),
]
