"""Figures logistics adds to orders in the API (API.md, Orders): paid, shipped, releasable."""

from __future__ import annotations

from decimal import Decimal

from salesdesk.finance.balances import ZERO, allocated_to_orders

from .choices import DISPATCHED_STATES
from .gate import releasable_amount, shipment_values


def order_figures(orders: list, user) -> dict[int, dict[str, Decimal]]:
    ids = [o.pk for o in orders]
    paid = allocated_to_orders(ids)
    shipped = shipment_values(ids, DISPATCHED_STATES)
    out = {}
    for order in orders:
        out[order.pk] = {
            "paid_amount": paid.get(order.pk, ZERO),
            "shipped_amount": shipped.get(order.pk, ZERO),
            # per order by nature (it depends on the customer's credit and advance); lists omit it
            "releasable_amount": releasable_amount(order.customer, order) if len(orders) == 1 else None,
        }
    return out
