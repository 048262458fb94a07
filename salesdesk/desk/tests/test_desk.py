"""The desk (工作台): the clerk's duties with counts, links and actions in place; each role's own
figures on its home page; the admin's calendar warning; a fixed number of queries whatever the rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from salesdesk.core.jobs import beat
from salesdesk.core.models import CalendarDay
from salesdesk.core.testing.queries import query_budget
from salesdesk.logistics.models import CallTask
from salesdesk.orders.models import Order
from salesdesk.reports.deliveries import plan_deliveries
from salesdesk.reports.models import ReportSchedule

from . import factories

pytestmark = pytest.mark.django_db

# Per home page: session, user, groups (3), the page's own reads, then the frame: two permission
# lookups, the worker heartbeat and the unread count (4). The clerk's duties: two queries each
# (count, first rows) for ten duties, four for paid-not-shipped orders (money, shipments, the orders,
# the rows shown), six for the overdue
# receivables (finance.receivables' ledger and the customers shown; fewer while there are none);
# the scheduled reports: schedules, deliveries, the calendar, the missed days, the HR check (5); the
# clerk and the admin: the last invariant check (1).
# The warehouse: shipments to send off and to track (2 × 2).
HOME_QUERIES = {"clerk": 43, "sales1": 11, "manager": 15, "gm": 14, "finance": 25, "admin": 8, "hr": 7, "warehouse": 11}
# 16:05 with the daily report drafted: the preview (reports.queries.sales_report of the day, 6) on top.
DRAFT_QUERIES = 49
DUTIES = ("unseen_orders", "pending_payments", "answered_today", "released_orders", "planned_shipments", "shipments_to_track",
          "calls_to_make", "overdue_receivables", "promised_today", "invoice_requests", "overdue_tickets", "expiring_contracts")


@pytest.mark.parametrize("username", list(HOME_QUERIES))
def test_each_home_page_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas, username):
    beat()  # a running worker
    _old_daily_schedule()  # missed days to look for
    factories.duties(personas, "sales1")
    factories.planned(personas, "sales1")
    factories.month(personas, "sales1")
    factories.deliveries(personas)
    client = as_user(username)
    client.get("/")  # warm per-process caches (content types, permissions)
    with query_budget(HOME_QUERIES[username]):
        assert client.get("/").status_code == 200

    factories.duties(personas, "sales1", n=3)
    factories.duties(personas, "sales3", n=2)
    factories.duties(personas, "sales2", n=2)
    factories.planned(personas, "sales2", n=3)
    factories.month(personas, "sales3")
    factories.deliveries(personas, n=3)
    with query_budget(HOME_QUERIES[username]):
        assert client.get("/").status_code == 200


def _old_daily_schedule():
    daily = ReportSchedule.objects.get(code="daily_performance")
    ReportSchedule.objects.filter(pk=daily.pk).update(created_at=timezone.now() - timedelta(days=40))
    return daily


@time_machine.travel(timezone.make_aware(datetime(2026, 11, 27, 16, 5)), tick=False)
def test_the_desk_with_the_daily_report_drafted_runs_a_fixed_number_of_queries(as_user, personas):
    beat()
    daily = _old_daily_schedule()
    factories.duties(personas, "sales1")
    factories.month(personas, "sales1")
    plan_deliveries(daily, "2026-11-27")
    client = as_user("clerk")
    client.get("/")
    with query_budget(DRAFT_QUERIES):
        assert client.get("/").context["reports"].draft is not None

    factories.duties(personas, "sales2", n=2)
    factories.month(personas, "sales2")
    daily.recipients.add(personas["manager"], personas["sales2"])
    plan_deliveries(daily, "2026-11-27")  # four drafts now
    factories.deliveries(personas, n=2)
    with query_budget(DRAFT_QUERIES):
        assert len(client.get("/").context["reports"].draft.drafts) == 4


def test_the_clerks_desk_counts_every_duty_of_the_day(as_user, personas):
    factories.duties(personas, "sales1", n=2)
    factories.duties(personas, "sales2", n=1)

    duties = as_user("clerk").get("/").context["duties"]

    # each unit pays two orders today (one waiting to ship, one shipped): two answers of finance;
    # two shipments on their way (the paid one and the credit customer's); none planned and not sent off
    assert {key: duties[key].count for key in DUTIES} == {**dict.fromkeys(DUTIES, 3), "answered_today": 6,
                                                          "shipments_to_track": 6, "planned_shipments": 0}
    assert duties["overdue_receivables"].amount == Decimal("2400.00")


def test_a_duty_shows_its_first_rows_and_how_many_more(as_user, personas):
    factories.duties(personas, "sales1", n=10)

    duty = as_user("clerk").get("/").context["duties"]["unseen_orders"]

    assert (duty.count, len(duty.rows), duty.more) == (10, 8, 2)


def test_the_desk_links_each_duty_to_its_page(as_user, personas):
    factories.duties(personas, "sales1")

    html = as_user("clerk").get("/").content.decode()

    for url in ("/finance/payments/", "/logistics/shipments/new/?order=", "/logistics/calls/", "/service/tickets/",
                "/contracts/", "/finance/invoices/requests/", "/finance/receivables/overdue/"):
        assert url in html, url


def test_a_customer_to_call_has_a_tel_link_and_an_outcome_form_that_logs_in_place(as_user, personas):
    factories.duties(personas, "sales1")
    task = CallTask.objects.get(status="open")
    task.phone = "13800138000"
    task.save()
    client = as_user("clerk")

    html = client.get("/").content.decode()
    assert 'href="tel:13800138000"' in html and f'hx-post="/logistics/calls/{task.pk}/log/"' in html

    client.post(f"/logistics/calls/{task.pk}/log/", {f"call{task.pk}-status": "done",
                                                      f"call{task.pk}-outcome": "客户已知悉"}, HTTP_HX_REQUEST="true")
    assert client.get("/").context["duties"]["calls_to_make"].count == 0


def test_finance_marks_a_reported_order_seen_from_its_home_page_in_place(as_user, personas):
    factories.duties(personas, "sales1")
    order = Order.objects.filter(finance_seen_at__isnull=True, status="submitted").order_by("id").first()
    client = as_user("finance")
    assert f'hx-post="/desk/orders/{order.pk}/seen/"' in client.get("/").content.decode()

    response = client.post(f"/desk/orders/{order.pk}/seen/", HTTP_HX_REQUEST="true")

    order.refresh_from_db()
    assert response.status_code == 200 and "财务已阅" in response.content.decode()
    assert order.finance_seen_at is not None


def test_the_clerk_may_not_mark_an_order_seen(as_user, personas):
    factories.duties(personas, "sales1")
    order = Order.objects.filter(finance_seen_at__isnull=True).first()

    response = as_user("clerk").post(f"/desk/orders/{order.pk}/seen/", HTTP_HX_REQUEST="true")

    order.refresh_from_db()
    assert response.status_code == 403 and order.finance_seen_at is None


def test_the_clerk_sees_finances_answers_of_today(as_user, personas):
    factories.duties(personas, "sales1")

    html = as_user("clerk").get("/").content.decode()

    assert 'id="duty-answered_today"' in html and "已到账" in html


def test_a_salesperson_sees_their_own_month_against_their_target(as_user, personas):
    today = timezone.localdate()
    factories.month(personas, "sales1", today)
    factories.month(personas, "sales2", today)
    days = today.day
    booked = sum(Decimal(3000 + 100 * i) for i in range(days))

    figures = as_user("sales1").get("/").context["figures"]

    assert (figures.scope_label, figures.ordered, figures.received) == ("own", booked, Decimal(2000 * days))
    assert figures.target == Decimal("100000.00")


def test_the_manager_sees_the_team_and_ranks_its_salespeople_only(as_user, personas):
    factories.month(personas, "sales1")
    factories.month(personas, "sales2")

    context = as_user("manager").get("/").context

    ranked = [person.username for person, _ in context["ranking"]]
    assert context["figures"].scope_label == "team" and ranked[0] == "sales1" and "sales2" not in ranked


def test_the_gm_sees_the_company_with_a_chart(as_user, personas):
    factories.month(personas, "sales1")
    factories.month(personas, "sales2")

    response = as_user("gm").get("/")

    figures = response.context["figures"]
    assert figures.scope_label == "company" and figures.target == Decimal("200000.00")
    html = response.content.decode()
    assert 'id="desk-chart"' in html and "vendor/echarts/echarts.min.js" in html


def test_hr_gets_the_modules_and_no_figures_or_duties(as_user):
    response = as_user("hr").get("/")

    assert "figures" not in response.context and "duties" not in response.context
    assert "您可以使用的功能" in response.content.decode()


@time_machine.travel(timezone.make_aware(datetime(2026, 12, 3, 9)), tick=False)
def test_in_december_the_admin_is_warned_when_next_year_has_no_calendar(as_user):
    CalendarDay.objects.filter(day__year=2027).delete()

    html = as_user("admin").get("/").content.decode()

    assert 'id="calendar-warning"' in html and "2027" in html


@time_machine.travel(timezone.make_aware(datetime(2026, 12, 3, 9)), tick=False)
def test_no_warning_once_next_years_days_are_entered(as_user, personas):
    CalendarDay.objects.create(day=date(2027, 1, 1), is_workday=False, name="元旦")

    assert 'id="calendar-warning"' not in as_user("admin").get("/").content.decode()


@time_machine.travel(timezone.make_aware(datetime(2026, 11, 3, 9)), tick=False)
def test_no_calendar_warning_before_december(as_user):
    CalendarDay.objects.filter(day__year=2027).delete()

    assert 'id="calendar-warning"' not in as_user("admin").get("/").content.decode()


def test_a_released_order_on_a_planned_shipment_is_sent_off_from_the_desk_in_place(as_user, personas):
    shipment = factories.planned(personas, "sales1")[0]
    client = as_user("clerk")
    url = reverse("desk_shipment_dispatch", args=[shipment.pk])
    assert f'hx-post="{url}"' in client.get("/").content.decode()

    response = client.post(url, {f"ship{shipment.pk}-carrier": "SF", f"ship{shipment.pk}-waybill_no": "SF1234567890123"},
                           HTTP_HX_REQUEST="true")

    shipment.refresh_from_db()
    assert response.status_code == 200 and "toast" in response["HX-Trigger"]
    assert (shipment.status, shipment.waybill_no) == ("dispatched", "SF1234567890123")
    assert CallTask.objects.filter(shipment=shipment, status="open").count() == 1
    assert client.get("/").context["duties"]["planned_shipments"].count == 0


def test_a_salesperson_may_not_dispatch_from_the_desk(as_user, personas):
    shipment = factories.planned(personas, "sales1")[0]

    response = as_user("sales1").post(reverse("desk_shipment_dispatch", args=[shipment.pk]), HTTP_HX_REQUEST="true")

    shipment.refresh_from_db()
    assert response.status_code == 403 and shipment.status == "planned"
    assert not CallTask.objects.filter(shipment=shipment).exists()


def test_the_warehouse_sees_shipments_to_send_off_without_prices(as_user, personas):
    factories.planned(personas, "sales1")

    response = as_user("warehouse").get("/")

    assert response.context["duties"]["planned_shipments"].count == 1
    html = response.content.decode()
    assert 'id="duty-planned_shipments"' in html and "¥" not in html[html.index('id="duty-planned_shipments"'):]


def test_the_clerks_desk_shows_the_last_invariant_check_only_when_it_found_something(as_user, personas):
    from salesdesk.core.models import JobRun, JobStatus

    JobRun.objects.create(name="core.check_invariants", status=JobStatus.SUCCEEDED, output="0 violations")
    assert "invariant-alert" not in as_user("clerk").get("/").content.decode()

    JobRun.objects.create(name="core.check_invariants", status=JobStatus.SUCCEEDED, output="2 violations\nrollup …")
    html = as_user("clerk").get("/").content.decode()
    assert "invariant-alert" in html and "2 violations" in html
    assert "invariant-alert" not in as_user("sales1").get("/").content.decode()
