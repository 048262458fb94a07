"""Reads of the correspondence register: the visibility of circulars, the querysets each page and
endpoint starts from (``select_related`` and counts live here), the customers a circular
filter reaches, and the customer page's 往来函件 panel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from salesdesk.customers.models import Contact, Customer
from salesdesk.org.models import User
from salesdesk.org.visibility import salesperson_scope

from . import permissions as perms
from .choices import CorrespondenceStatus
from .models import Circular, CircularRecipient, Correspondence

# The customer fields a circular may be addressed by (API.md-style ``filters`` object).
CUSTOMER_FILTERS = ("salesperson_id", "status", "region", "industry", "level")


# --- correspondence ---------------------------------------------------------------------------


def correspondence_base():
    """Register rows with what every page and endpoint shows beside them (no visibility yet)."""
    return Correspondence.objects.select_related("customer", "routed_to", "created_by")


def correspondence_for(user):
    return correspondence_base().visible_to(user)


def overdue_q(as_of=None) -> Q:
    """Open items past their deadline (办理超期)."""
    return Q(status=CorrespondenceStatus.OPEN, deadline__lt=as_of or timezone.localdate())


def handlers():
    """People an item may be routed to (承办人): active users whose role reads the register."""
    app_label, codename = perms.VIEW_CORRESPONDENCE.split(".")
    holders = User.objects.filter(
        groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label
    )
    return User.objects.filter(is_active=True, pk__in=holders.values("pk")).order_by("username")


# --- circulars --------------------------------------------------------------------------------


def _recipients_in_scope(scope) -> models.QuerySet:
    return CircularRecipient.objects.filter(customer__salesperson_id__in=scope)


class CircularQuerySet(models.QuerySet):
    """``Circular.objects`` has no ``visible_to``; this queryset adds it without a model change."""

    def visible_to(self, user) -> CircularQuerySet:
        """Clerk, GM and finance see every circular; others those they sent or that went to a
        customer of a salesperson they may see."""
        scope = salesperson_scope(user)
        if scope is None:
            return self
        went_to_theirs = Exists(_recipients_in_scope(scope).filter(circular=OuterRef("pk")))
        return self.filter(Q(created_by=user) | went_to_theirs)

    def with_counts(self, user) -> CircularQuerySet:
        """Recipients the user may see: all, e-mailed, and those to print and post, as subqueries."""

        def count(**conditions):
            rows = visible_recipients(user).filter(circular=OuterRef("pk"), **conditions)
            sub = rows.order_by().values("circular").annotate(n=Count("pk")).values("n")
            return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))

        return self.annotate(
            recipient_count=count(), emailed_count=count(delivered=True), to_print_count=count(delivered=False)
        )


def circulars() -> CircularQuerySet:
    return CircularQuerySet(model=Circular)


def circulars_for(user) -> CircularQuerySet:
    return circulars().visible_to(user).select_related("created_by").with_counts(user)


def visible_recipients(user, circular: Circular | None = None) -> models.QuerySet:
    """The recipients of circulars whose customer the user may see. The sender of a circular sees
    all its recipients (they chose them), also after a customer moved to someone else."""
    qs = CircularRecipient.objects.all()
    if circular is not None:
        qs = qs.filter(circular=circular)
    scope = salesperson_scope(user)
    if scope is None or (circular is not None and circular.created_by_id == user.pk):
        return qs
    return qs.filter(Q(customer__salesperson_id__in=scope) | Q(circular__created_by=user))


def recipients_for(user, circular: Circular) -> models.QuerySet:
    return visible_recipients(user, circular).select_related("customer").order_by("customer__code", "pk")


# --- who a circular reaches -------------------------------------------------------------------


def primary_contact(field: str) -> Subquery:
    """A customer's primary contact's ``field`` (the first contact when none is marked primary)."""
    first = Contact.objects.filter(customer=OuterRef("pk")).order_by("-is_primary", "id").values(field)[:1]
    return Subquery(first, output_field=models.CharField())


def with_primary_contact(qs) -> models.QuerySet:
    return qs.annotate(primary_name=primary_contact("name"), primary_email=primary_contact("email"))


def customers_matching(user, filters: Mapping[str, Any]) -> models.QuerySet:
    """The customers a filter reaches among those the user may see; archived ones are left out.
    ``filters`` holds already checked values of ``CUSTOMER_FILTERS`` (empty ones are ignored)."""
    qs = Customer.objects.visible_to(user).filter(archived=False)
    for key in CUSTOMER_FILTERS:
        value = filters.get(key)
        if value not in (None, ""):
            qs = qs.filter(**{key: value})
    return qs


def reach(qs) -> tuple[int, int]:
    """(customers, of which with an e-mail address) for a set of customers, in two counts."""
    emailed = with_primary_contact(qs).exclude(primary_email__isnull=True).exclude(primary_email="")
    return qs.count(), emailed.count()


# --- the customer page's tab ------------------------------------------------------------------

PANEL_ROWS = 20


def customer_panel(user, customer: Customer) -> dict:
    """The latest register items and circulars of one customer, as the user may see them."""
    items = correspondence_for(user).filter(customer=customer)
    received = (
        visible_recipients(user).filter(customer=customer).select_related("circular").order_by("-circular__created_at")
    )
    return {
        "correspondence": list(items[:PANEL_ROWS]),
        "correspondence_count": items.count(),
        "circular_recipients": list(received[:PANEL_ROWS]),
        "can_register": user.has_perm(perms.ADD_CORRESPONDENCE),
        "can_send": user.has_perm(perms.SEND_CIRCULAR),
    }
