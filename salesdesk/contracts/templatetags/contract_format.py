"""Number formats of the contract pages and prints: quantities without trailing zeros, unit
prices with two to six decimals, rates as percentages, money with thousands separators."""

from __future__ import annotations

from decimal import Decimal

from django import template

from salesdesk.catalog.tables import rate_text, unit_price_text

register = template.Library()


@register.filter
def qty(value) -> str:
    if value is None:
        return "—"
    value = Decimal(value)
    whole = value.to_integral()
    return f"{int(whole):,}" if value == whole else f"{value.normalize():,f}"


@register.filter
def price(value) -> str:
    return unit_price_text(value)


@register.filter
def money(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value):,.2f}"


@register.filter
def pct(value) -> str:
    if value is None:
        return "—"
    return f"{Decimal(value) * 100:.2f}%"


@register.filter
def rate_pct(value) -> str:
    """A tax rate as people write it: 13%, 9%, 0%."""
    if value is None:
        return "—"
    return rate_text(value)
