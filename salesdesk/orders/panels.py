"""Tabs the order app adds to lower apps' pages through the core registry (no upward imports):
the customer's orders (with "copy last order") and a contract's coordination requests."""

from __future__ import annotations

from django.http import HttpRequest

from salesdesk.catalog.models import Product
from salesdesk.contracts.choices import ContractStatus

from . import permissions as perms
from . import services
from .choices import OrderStatus
from .forms import CoordinationForm, reply_forms
from .models import CoordinationRequest, Order

CUSTOMER_ORDERS_TEMPLATE = "orders/_customer_orders.html"
CONTRACT_COORDINATION_TEMPLATE = "orders/_contract_coordination.html"
RECENT = 20


def customer_orders(request: HttpRequest, customer) -> dict:
    """The customer's latest orders the user may see, and the buttons to enter or copy one."""
    user = request.user
    orders = list(Order.objects.visible_to(user).filter(customer=customer).select_related("salesperson", "contract")
                  .order_by("-order_date", "-id")[:RECENT])
    return {
        "customer": customer,
        "orders": orders,
        "show_prices": user.has_perm(perms.VIEW_PRICES),
        "can_add": user.has_perm(perms.ADD_ORDER),
        "can_copy": user.has_perm(perms.ADD_ORDER) and any(o.status != OrderStatus.CANCELLED for o in orders),
    }


def contract_coordination(request: HttpRequest, contract) -> dict:
    user = request.user
    requests = list(CoordinationRequest.objects.filter(contract=contract).select_related("product", "replied_by")
                    .order_by("-created_at", "-id"))
    can_request = (user.has_perm(perms.ADD_COORDINATION) and services.may_act_on_contract(user, contract)
                   and contract.status in (ContractStatus.DRAFT, ContractStatus.ACTIVE))
    products = Product.objects.filter(pk__in=contract.lines.values("product_id")).order_by("sku")
    replies = reply_forms(user, requests)
    return {
        "contract": contract,
        "rows": [(r, replies.get(r.pk)) for r in requests],
        "form": CoordinationForm(products=products) if can_request else None,
        "next": f"{request.path}?tab=panel-coordination",
    }
