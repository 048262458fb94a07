"""The customer page's customer-service tabs (沟通记录, 客诉/反馈), registered with the core
panel registry: the customer's latest interactions and tickets, with "new" buttons."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from salesdesk.core.registries import Panel, register_panel

from . import permissions as perms
from .models import Customer, Interaction, Ticket
from .service_views import OPEN_STATUSES, is_overdue, queue_order

RECENT = 10


def _sees_customers(user, customer) -> bool:
    return user.has_perm(perms.VIEW_CUSTOMER)


def interactions_panel(request, customer: Customer) -> dict:
    rows = Interaction.objects.filter(customer=customer).select_related("contact", "user").order_by(
        "-occurred_at", "-id"
    )
    return {
        "interactions": list(rows[:RECENT]),
        "total": rows.count(),
        "can_add": request.user.has_perm(perms.ADD_INTERACTION),
    }


def tickets_panel(request, customer: Customer) -> dict:
    rows = list(queue_order(Ticket.objects.filter(customer=customer).select_related("assignee"))[:RECENT])
    for ticket in rows:
        ticket.overdue = is_overdue(ticket)
    counts = Ticket.objects.filter(customer=customer).aggregate(
        total=Count("id"), open=Count("id", filter=Q(status__in=OPEN_STATUSES))
    )
    return {
        "tickets": rows,
        "total": counts["total"],
        "open_count": counts["open"],
        "can_add": request.user.has_perm(perms.ADD_TICKET),
    }


register_panel(Customer, Panel(
    key="interactions", label=_("沟通记录"), template="customers/interactions/panel.html",
    context=interactions_panel, order=40, visible=_sees_customers,
))
register_panel(Customer, Panel(
    key="tickets", label=_("客诉/反馈"), template="customers/tickets/panel.html",
    context=tickets_panel, order=50, visible=_sees_customers,
))
