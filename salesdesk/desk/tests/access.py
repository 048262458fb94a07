"""Access-matrix rows of the desk: the home page (every role; its row is org's ``home``), finance's
"seen" action on a reported order, sending a planned shipment off (clerk and warehouse), and the
clerk's report actions (send the checked drafts, resend an uncertain delivery). See
``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from salesdesk.core.testing.access import OWNERSHIP, Case, Ctx, Redirect, page_expect


def populate(world) -> None:
    from salesdesk.logistics.tests.factories import customer, product, submitted_order

    people = world.personas
    prod = product("100.00")
    for variant in OWNERSHIP:
        owner = world.owner(variant).username
        cust = customer(people, owner)
        world.add("desk_unseen_order", submitted_order(people, cust, [(prod, "1", "100.00")], owner=owner),
                  variant=variant)


def _order(ctx: Ctx) -> dict:
    return {"pk": ctx.world.get("desk_unseen_order", ctx.variant).pk}


def _seen_only_by_finance(ctx: Ctx, response) -> None:
    from salesdesk.orders.models import Order

    order = Order.objects.get(pk=ctx.world.get("desk_unseen_order", ctx.variant).pk)
    assert (order.finance_seen_at is not None) == (ctx.role == "finance"), f"seen={order.finance_seen_at}"


def _planned_shipment(ctx: Ctx) -> dict:
    from salesdesk.logistics.models import Shipment

    from .factories import planned

    pk = planned(ctx.world.personas, ctx.world.owner(ctx.variant).username)[0].pk
    Shipment.objects.filter(pk=pk).update(note="desk-access")
    return {"pk": pk}


def _dispatched_only_by_shippers(ctx: Ctx, response) -> None:
    from salesdesk.logistics.models import Shipment

    status = Shipment.objects.get(note="desk-access").status
    assert status == ("dispatched" if ctx.role in ("clerk", "warehouse") else "planned"), status


def _daily_today(ctx: Ctx) -> dict:
    from django.utils import timezone

    from salesdesk.reports.deliveries import plan_deliveries
    from salesdesk.reports.models import ReportSchedule

    daily = ReportSchedule.objects.get(code="daily_performance")
    key = timezone.localdate().isoformat()
    plan_deliveries(daily, key)
    return {"pk": daily.pk, "key": key}


def _drafts_sent_only_by_the_clerk(ctx: Ctx, response) -> None:
    from salesdesk.reports.models import ReportDelivery

    statuses = set(ReportDelivery.objects.filter(schedule__code="daily_performance").values_list("status", flat=True))
    assert statuses == ({"sent"} if ctx.role == "clerk" else {"pending"}), statuses


def _uncertain(ctx: Ctx) -> dict:
    from salesdesk.reports.models import ReportDelivery, ReportSchedule

    schedule = ReportSchedule.objects.get(code="monthly")
    d = ReportDelivery.objects.create(schedule=schedule, period="2026-10", recipient=ctx.world.user("gm"),
                                      message_id="<desk-access@test>", status="uncertain", manual=True)
    return {"pk": d.pk}


def _resent_only_by_the_clerk(ctx: Ctx, response) -> None:
    from salesdesk.reports.models import ReportDelivery

    status = ReportDelivery.objects.get(message_id="<desk-access@test>").status
    assert status == ("sent" if ctx.role == "clerk" else "uncertain"), status


CLERK_ONLY = dict(clerk=Redirect("home"))

CASES: list[Case] = [
    Case("desk_order_seen", method="POST", args=_order, variants=OWNERSHIP, check=_seen_only_by_finance,
         expect=page_expect(403, finance=Redirect("home"))),
    Case("desk_shipment_dispatch", method="POST", args=_planned_shipment, variants=OWNERSHIP,
         check=_dispatched_only_by_shippers, expect=page_expect(403, clerk=Redirect("home"), warehouse=Redirect("home"))),
    Case("desk_send_drafts", method="POST", args=_daily_today, check=_drafts_sent_only_by_the_clerk,
         expect=page_expect(403, **CLERK_ONLY)),
    Case("desk_send_drafts", label="bad period", method="POST", args=lambda c: {"pk": 1, "key": "yesterday"},
         expect=page_expect(403, clerk=404)),
    Case("desk_delivery_resend", method="POST", args=_uncertain, check=_resent_only_by_the_clerk,
         expect=page_expect(403, **CLERK_ONLY)),
    Case("desk_delivery_resend", label="unknown", method="POST", args={"pk": 999999},
         expect=page_expect(403, clerk=404)),
]
