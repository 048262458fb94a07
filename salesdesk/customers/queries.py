"""Read queries of the customer pages and of the reports built on customers: each page's
``select_related``/annotations live here, and the development figures (新客户开发情况) are one
``GROUP BY`` in the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import CharField, Count, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from .models import Contact, Customer


def _primary_contact(field):
    """The value of ``field`` on the customer's first contact (primary first), as a subquery."""
    return Subquery(
        Contact.objects.filter(customer=OuterRef("pk")).order_by("-is_primary", "id").values(field)[:1]
    )


def customer_list(user) -> QuerySet[Customer]:
    """The customer list and its export: the rows ``user`` may see, with the owner and the primary
    contact's name and number in the same query (the row count never changes the query count)."""
    phone = Subquery(
        Contact.objects.filter(customer=OuterRef("pk"))
        .order_by("-is_primary", "id")
        .annotate(number=Coalesce(NullIf("mobile", Value("")), NullIf("phone", Value("")), "phone_raw",
                                  output_field=CharField()))
        .values("number")[:1]
    )
    return (
        Customer.objects.visible_to(user)
        .select_related("salesperson")
        .annotate(
            contact_name=_primary_contact("name"),
            contact_phone=phone,
            contact_extension=_primary_contact("extension"),
        )
    )


def customer_detail() -> QuerySet[Customer]:
    """One customer's page: owner, who filed it, and the contacts for the overview."""
    return Customer.objects.select_related("salesperson", "created_by").prefetch_related(
        Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "id"))
    )


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def new_customers(
    start: dt.date, end: dt.date, salesperson_ids: Iterable[int] | None = None
) -> dict[int, int]:
    """New customers filed (建档) from ``start`` to ``end`` inclusive (local dates), per owner
    salesperson: ``{salesperson_id: count}``; salespeople without new customers are absent.

    One ``GROUP BY`` query; the reports (new customers per salesperson, 市场开发) read this."""
    qs = Customer.objects.filter(
        created_at__gte=_day_start(start), created_at__lt=_day_start(end + dt.timedelta(days=1))
    )
    if salesperson_ids is not None:
        qs = qs.filter(salesperson_id__in=list(salesperson_ids))
    rows = qs.order_by().values("salesperson_id").annotate(n=Count("id")).values_list("salesperson_id", "n")
    return dict(rows)
