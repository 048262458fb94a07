"""Read queries of the order pages, the API and the services: each page's ``select_related`` /
``prefetch_related`` lives here, and the figures the rules need (what is left on a contract, what
an order booked, at which price a customer buys) come from the ledger facts and the catalog in a
fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum

from salesdesk.catalog.models import LevelPrice, Product
from salesdesk.ledger.choices import MEASURES
from salesdesk.ledger.models import Fact

from .choices import OrderStatus
from .models import CoordinationRequest, CreditShare, Order, OrderLine

ZERO = Decimal(0)
SOURCE_KIND = "order"  # Fact.source_kind of the facts an order writes


def order_base() -> QuerySet[Order]:
    return Order.objects.select_related("customer", "contract", "salesperson", "created_by", "price_approved_by")


def orders_for(user) -> QuerySet[Order]:
    """The rows of the order list (page, export and API list) ``user`` may see, with the customer,
    contract and salesperson joined (the row count never changes the query count)."""
    return Order.objects.visible_to(user).select_related("customer", "contract", "salesperson")


def order_detail() -> QuerySet[Order]:
    """One order with everything its page, PDF and API object show."""
    return order_base().prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("product", "contract_line").order_by("line_no")),
        Prefetch("credit_shares", queryset=CreditShare.objects.select_related("salesperson", "team").order_by("-share",
                                                                                                            "id")),
        Prefetch("coordination_requests",
                 queryset=CoordinationRequest.objects.select_related("product", "replied_by", "created_by")
                 .order_by("-created_at", "-id")),
    )


def unseen_by_finance(user) -> QuerySet[Order]:
    """Submitted orders finance has not looked at yet (the desk's "orders to report" list)."""
    return orders_for(user).filter(status__in=[OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED],
                                   finance_seen_at__isnull=True)


def last_order(user, customer) -> Order | None:
    """The customer's most recent order the user may see (for "copy last order")."""
    return (Order.objects.visible_to(user).filter(customer=customer).exclude(status=OrderStatus.CANCELLED)
            .order_by("-order_date", "-id").first())


def coordination_for(user) -> QuerySet[CoordinationRequest]:
    return CoordinationRequest.objects.visible_to(user).select_related(
        "order", "order__customer", "contract", "contract__customer", "product", "replied_by", "created_by"
    )


# --- prices -----------------------------------------------------------------------------------


def customer_prices(customer, product_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    """The price (incl. tax) ``customer`` buys each product at: the catalog's price for the
    customer's price level (经销价, 大客户价 …) where one exists, else the list price."""
    products = Product.objects.all() if product_ids is None else Product.objects.filter(pk__in=list(product_ids))
    prices = dict(products.values_list("pk", "price"))
    if prices and customer.price_level:
        levels = LevelPrice.objects.filter(price_level=customer.price_level, product_id__in=list(prices))
        prices.update(dict(levels.values_list("product_id", "price")))
    return prices


def contract_prices(contract) -> dict[int, Decimal]:
    """The contract price of each product on the contract (the first line of a product wins)."""
    prices: dict[int, Decimal] = {}
    for product_id, price in contract.lines.order_by("line_no").values_list("product_id", "unit_price"):
        prices.setdefault(product_id, price)
    return prices


# --- figures from the ledger ------------------------------------------------------------------


def contract_ordered_quantities(contract_id: int, *, exclude_order_id: int | None = None) -> dict[int, Decimal]:
    """Quantity ordered against each contract line: booked quantities of submitted orders net of
    their unbooked facts (cancelled orders net to zero; a closed order keeps only what was shipped
    before closing). Two queries: the facts by order line, then the order lines' contract lines."""
    facts = Fact.objects.filter(contract_id=contract_id, source_kind=SOURCE_KIND, kind__in=MEASURES["ordered"])
    if exclude_order_id is not None:
        facts = facts.exclude(order_id=exclude_order_id)
    by_order_line = dict(
        facts.order_by().values("source_line_id").annotate(q=Sum("quantity")).values_list("source_line_id", "q")
    )
    if not by_order_line:
        return {}
    mapping = dict(OrderLine.objects.filter(pk__in=list(by_order_line)).values_list("pk", "contract_line_id"))
    ordered: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for order_line_id, quantity in by_order_line.items():
        contract_line_id = mapping.get(order_line_id)
        if contract_line_id is not None:
            ordered[contract_line_id] += quantity or ZERO
    return dict(ordered)


def contract_remaining(contract, *, exclude_order_id: int | None = None) -> dict[int, Decimal]:
    """What is left on each contract line: its quantity less what submitted orders booked."""
    ordered = contract_ordered_quantities(contract.pk, exclude_order_id=exclude_order_id)
    return {pk: quantity - ordered.get(pk, ZERO) for pk, quantity in contract.lines.values_list("pk", "quantity")}


@dataclass(frozen=True)
class Booked:
    """What an order line has booked in the ledger, net of unbooked facts (all credit shares)."""

    quantity: Decimal
    amount: Decimal
    tax: Decimal


def booked_by_line(order) -> dict[int, Booked]:
    rows = (
        Fact.objects.filter(order_id=order.pk, source_kind=SOURCE_KIND, kind__in=MEASURES["ordered"])
        .order_by().values("source_line_id")
        .annotate(q=Sum("quantity"), a=Sum("amount"), t=Sum("tax"))
        .values_list("source_line_id", "q", "a", "t")
    )
    return {line_id: Booked(q or ZERO, a or ZERO, t or ZERO) for line_id, q, a, t in rows}


def shipped_by_product(order) -> dict[int, Decimal]:
    """Quantity shipped on the order per product, from the logistics facts (shipped − returned).
    Zero everywhere until the Shipments issue writes such facts."""
    rows = (
        Fact.objects.filter(order_id=order.pk, kind__in=MEASURES["shipped"], product_id__isnull=False)
        .order_by().values("product_id").annotate(q=Sum("quantity")).values_list("product_id", "q")
    )
    return {product_id: q or ZERO for product_id, q in rows}
