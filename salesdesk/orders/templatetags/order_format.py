"""Figures on order pages and prints, the same in every language: money with thousands separators
and two decimals, unit prices with at least two decimals, quantities without trailing zeros,
rates as percentages."""

from __future__ import annotations

from decimal import Decimal

from django import template

from salesdesk.core.lib.money import quantize_money

register = template.Library()


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{quantize_money(Decimal(str(value))):,.2f}"


@register.filter
def price(value) -> str:
    if value is None or value == "":
        return "—"
    value = Decimal(str(value))
    return f"{value:,.2f}" if value == quantize_money(value) else f"{value.normalize():,f}"


@register.filter
def qty(value) -> str:
    if value is None or value == "":
        return "—"
    value = Decimal(str(value)).normalize()
    return f"{value.quantize(Decimal(1)):f}" if value == value.to_integral() else f"{value:f}"


@register.filter
def percent(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{(Decimal(str(value)) * 100).normalize():f}%"
