"""Customer service pages: the ticket queue (overdue highlighted, the manager's team), a ticket's
page with htmx transitions and notes, the new-ticket and interaction forms from a customer, the
interaction log, the customer-page tabs and the menu; pinned query counts for both lists."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from salesdesk.core.models import ExportLog, Notification
from salesdesk.core.navigation import menu_for
from salesdesk.core.registries import panels_for
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers import service_navigation  # noqa: F401  (menu, panels; also imported by ready())
from salesdesk.customers.models import Customer, Interaction, Ticket, TicketNote

from .factories import ContactFactory, CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


def customer_of(personas, owner="sales1", **over):
    return CustomerFactory(salesperson=personas[owner], **over)


def ticket_for(personas, owner="sales1", **over):
    customer = over.pop("customer", None) or customer_of(personas, owner)
    over.setdefault("assignee", customer.salesperson)
    return TicketFactory(customer=customer, created_by=personas["clerk"], **over)


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def _row(html: str, text: str) -> str:
    """The table row that contains ``text``."""
    return next(row for row in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if text in row)


# --- the ticket queue ------------------------------------------------------------------------

# session, user, the two permission lookups, the user's groups, row count, heartbeat, unread count,
# the assignee choices, rows (customer, contact, assignee, creator joined)
TICKET_LIST_QUERIES = 10


def test_ticket_list_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas):
    from salesdesk.core.jobs import beat

    beat()
    client = as_user("clerk")
    ticket_for(personas)
    client.get("/service/tickets/")  # warm per-process caches
    with query_budget(TICKET_LIST_QUERIES):
        client.get("/service/tickets/")

    for i in range(30):
        customer = customer_of(personas, "sales2" if i % 2 else "sales3")
        ticket_for(personas, customer=customer, due_on=yesterday(), contact=ContactFactory(customer=customer))
    with query_budget(TICKET_LIST_QUERIES):
        response = client.get("/service/tickets/")
    assert response.status_code == 200
    assert response.content.decode().count('data-overdue="1"') == 25  # one page


def test_overdue_rows_are_highlighted(as_user, personas):
    late = ticket_for(personas, subject="迟迟未处理", due_on=yesterday())
    ticket_for(personas, subject="刚登记", due_on=timezone.localdate())

    html = as_user("clerk").get("/service/tickets/").content.decode()

    assert "table-danger" in _row(html, late.number)
    assert "table-danger" not in _row(html, "刚登记")


def test_manager_sees_their_teams_overdue_tickets_and_not_other_teams(as_user, personas):
    team = ticket_for(personas, "sales3", due_on=yesterday())
    other = ticket_for(personas, "sales2", due_on=yesterday())

    html = as_user("manager").get("/service/tickets/?overdue=true", HTTP_HX_REQUEST="true").content.decode()

    assert team.number in html and other.number not in html
    assert "<nav" not in html  # the htmx partial: only the table


def test_queue_puts_open_tickets_first_by_due_date(as_user, personas):
    customer = customer_of(personas)
    closed = ticket_for(personas, customer=customer, status="closed", due_on=yesterday())
    later = ticket_for(personas, customer=customer, due_on=timezone.localdate() + dt.timedelta(days=3))
    sooner = ticket_for(personas, customer=customer, due_on=timezone.localdate())

    html = as_user("sales1").get("/service/tickets/").content.decode()

    assert html.index(sooner.number) < html.index(later.number) < html.index(closed.number)


def test_ticket_list_filters_by_status_and_assignee(as_user, personas):
    mine = ticket_for(personas, status="in_progress")
    other = ticket_for(personas, "sales3")
    client = as_user("clerk")

    by_status = client.get("/service/tickets/?status=in_progress", HTTP_HX_REQUEST="true").content.decode()
    by_assignee = client.get(f"/service/tickets/?assignee_id={personas['sales3'].pk}",
                             HTTP_HX_REQUEST="true").content.decode()

    assert mine.number in by_status and other.number not in by_status
    assert other.number in by_assignee and mine.number not in by_assignee


def test_a_salesperson_sees_only_their_customers_tickets(as_user, personas):
    own = ticket_for(personas)
    team_mate = ticket_for(personas, "sales3")

    html = as_user("sales1").get("/service/tickets/").content.decode()

    assert own.number in html and team_mate.number not in html


def test_people_without_customers_get_403_and_strangers_sign_in(client, as_user, personas):
    assert client.get("/service/tickets/").status_code == 302
    hr = as_user("hr")
    assert hr.get("/service/tickets/").status_code == 403
    assert hr.get("/service/interactions/").status_code == 403
    assert hr.get("/service/tickets/new/").status_code == 403


def test_export_of_the_queue_is_logged(as_user, personas):
    ticket_for(personas)

    response = as_user("clerk").get("/service/tickets/?export=xlsx")

    assert response.status_code == 200
    assert ExportLog.objects.get().what == "customers.tickets"


def test_filtering_by_customer_offers_a_new_ticket_for_that_customer(as_user, personas):
    customer = customer_of(personas, name="北京华远贸易有限公司")

    html = as_user("sales1").get(f"/service/tickets/?customer_id={customer.pk}").content.decode()

    assert "北京华远贸易有限公司" in html
    assert f'href="/service/tickets/new/?customer={customer.pk}"' in html


# --- a ticket --------------------------------------------------------------------------------


def test_ticket_page_shows_notes_and_the_actions_of_its_status(as_user, personas):
    ticket = ticket_for(personas, status="resolved", resolution="已换货")
    TicketNote.objects.create(ticket=ticket, author=personas["sales1"], body="客户同意换货")

    html = as_user("sales1").get(f"/service/tickets/{ticket.pk}/").content.decode()

    assert "客户同意换货" in html and "已换货" in html
    assert f"/service/tickets/{ticket.pk}/close/" in html and f"/service/tickets/{ticket.pk}/reopen/" in html
    assert f"/service/tickets/{ticket.pk}/start/" not in html
    assert "hx-confirm" in html


def test_ticket_page_dials_the_contact_with_one_tap(as_user, personas):
    customer = customer_of(personas)
    ticket = ticket_for(personas, customer=customer, contact=ContactFactory(customer=customer, mobile="+8613800138000"))

    html = as_user("sales1").get(f"/service/tickets/{ticket.pk}/").content.decode()

    assert '<a href="tel:+8613800138000">138 0013 8000</a>' in html


def test_another_salespersons_ticket_page_is_404(as_user, personas):
    ticket = ticket_for(personas, "sales2")
    client = as_user("sales1")

    assert client.get(f"/service/tickets/{ticket.pk}/").status_code == 404
    assert client.post(f"/service/tickets/{ticket.pk}/start/").status_code == 404
    assert client.post(f"/service/tickets/{ticket.pk}/notes/", {"body": "看看"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "open" and not TicketNote.objects.exists()


def test_starting_with_htmx_answers_the_ticket_block_and_writes_history(as_user, personas):
    ticket = ticket_for(personas)

    response = as_user("sales1").post(f"/service/tickets/{ticket.pk}/start/", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="ticket-main"' in html and "<nav" not in html
    assert 'data-status="in_progress"' in html
    assert "toast" in response["HX-Trigger"]
    ticket.refresh_from_db()
    assert ticket.status == "in_progress"
    assert ticket.history.latest().history_user == personas["sales1"]


def test_resolving_without_a_resolution_shows_the_error_and_changes_nothing(as_user, personas):
    ticket = ticket_for(personas, status="in_progress")

    response = as_user("sales1").post(f"/service/tickets/{ticket.pk}/resolve/", {"resolution": " "},
                                      HTTP_HX_REQUEST="true")

    assert 'id="ticket-error"' in response.content.decode()
    assert "请填写处理结果" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.resolved_at is None


def test_an_illegal_transition_from_a_plain_form_redirects_with_the_error(as_user, personas):
    ticket = ticket_for(personas, status="in_progress")

    response = as_user("sales1").post(f"/service/tickets/{ticket.pk}/close/", {"confirmation": "确认"}, follow=True)

    assert "不能" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.customer_confirmed_at is None


def test_closing_records_the_customers_confirmation(as_user, personas):
    ticket = ticket_for(personas, status="resolved", resolution="已换货")

    html = as_user("clerk").post(f"/service/tickets/{ticket.pk}/close/", {"confirmation": "客户电话确认满意"},
                                 HTTP_HX_REQUEST="true").content.decode()

    assert 'id="ticket-confirmation"' in html and "客户电话确认满意" in html
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.customer_confirmation == "客户电话确认满意"
    assert 'id="ticket-actions"' not in html  # closed is final


def test_adding_a_note_with_htmx(as_user, personas):
    ticket = ticket_for(personas)

    html = as_user("sales1").post(f"/service/tickets/{ticket.pk}/notes/", {"body": "已电话联系客户"},
                                  HTTP_HX_REQUEST="true").content.decode()

    assert "已电话联系客户" in html
    assert TicketNote.objects.get().author == personas["sales1"]


def test_ticket_history_tab_lists_the_status_changes(as_user, personas):
    ticket = ticket_for(personas)
    client = as_user("sales1")
    client.post(f"/service/tickets/{ticket.pk}/start/")

    html = client.get(f"/service/tickets/{ticket.pk}/?tab=history", HTTP_HX_REQUEST="true").content.decode()

    assert "张伟" in html and "处理中" in html


def test_unknown_action_is_404(as_user, personas):
    ticket = ticket_for(personas)

    assert as_user("clerk").post(f"/service/tickets/{ticket.pk}/explode/").status_code == 404


def test_editing_a_ticket_reassigns_and_notifies(as_user, personas):
    ticket = ticket_for(personas)

    response = as_user("manager").post(f"/service/tickets/{ticket.pk}/edit/", {
        "subject": ticket.subject, "category": "quality", "severity": "urgent", "assignee": personas["sales3"].pk,
        "due_on": timezone.localdate().isoformat(),
    })

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.severity, ticket.category) == (personas["sales3"], "urgent", "quality")
    assert Notification.objects.get().recipient == personas["sales3"]


# --- new ticket / new interaction ------------------------------------------------------------


def test_new_ticket_from_a_customer_offers_its_contacts_and_its_owner(as_user, personas):
    customer = customer_of(personas)
    ContactFactory(customer=customer, name="李经理")
    ContactFactory(customer=customer_of(personas), name="别家的人")

    html = as_user("clerk").get(f"/service/tickets/new/?customer={customer.pk}").content.decode()

    assert "李经理" in html and "别家的人" not in html
    assert re.search(rf'<option value="{personas["sales1"].pk}" selected>', html)


def test_new_ticket_is_filed_and_opens_its_page(as_user, personas):
    customer = customer_of(personas)

    response = as_user("clerk").post(f"/service/tickets/new/?customer={customer.pk}", {
        "subject": "到货破损", "category": "quality", "severity": "high", "assignee": personas["sales1"].pk,
        "due_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(), "description": "三箱破损",
    })

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/service/tickets/{ticket.pk}/"
    assert (ticket.customer, ticket.created_by, ticket.severity) == (customer, personas["clerk"], "high")
    assert Notification.objects.get().recipient == personas["sales1"]


def test_new_ticket_form_errors_write_nothing(as_user, personas):
    customer = customer_of(personas)

    response = as_user("clerk").post(f"/service/tickets/new/?customer={customer.pk}", {
        "subject": "", "category": "quality", "severity": "normal", "assignee": personas["hr"].pk,
    })

    assert response.status_code == 200
    assert "这个字段是必填项。" in response.content.decode()
    assert not Ticket.objects.exists()


def test_new_ticket_without_a_customer_starts_with_a_search(as_user, personas):
    customer_of(personas, name="北京华远贸易有限公司")
    customer_of(personas, "sales2", name="北京华远建材有限公司")
    client = as_user("sales1")

    page = client.get("/service/tickets/new/")
    results = client.get("/service/tickets/new/?q=bjhy", HTTP_HX_REQUEST="true").content.decode()

    assert page.status_code == 200 and 'id="pick-q"' in page.content.decode()
    assert "北京华远贸易有限公司" in results and "北京华远建材有限公司" not in results


def test_new_ticket_for_a_hidden_customer_is_404(as_user, personas):
    hidden = customer_of(personas, "sales2")

    assert as_user("sales1").get(f"/service/tickets/new/?customer={hidden.pk}").status_code == 404


def test_interaction_form_defaults_to_now_and_logs_a_reception(as_user, personas):
    customer = customer_of(personas)
    contact = ContactFactory(customer=customer)
    client = as_user("sales1")

    form = client.get(f"/service/interactions/new/?customer={customer.pk}").content.decode()
    response = client.post(f"/service/interactions/new/?customer={customer.pk}", {
        "kind": "reception", "occurred_at": "2026-03-02T12:00", "contact": contact.pk, "subject": "客户来访用餐",
        "guests": "3", "outcome": "确认下季度订单",
    })

    assert timezone.localtime().strftime("%Y-%m-%dT") in form
    assert response.status_code == 302
    logged = Interaction.objects.get()
    assert (logged.kind, logged.guests, logged.contact, logged.user) == ("reception", 3, contact, personas["sales1"])
    assert timezone.localtime(logged.occurred_at).strftime("%Y-%m-%d %H:%M") == "2026-03-02 12:00"


def test_interaction_form_refuses_another_customers_contact(as_user, personas):
    customer = customer_of(personas)
    foreign = ContactFactory(customer=customer_of(personas))

    response = as_user("clerk").post(f"/service/interactions/new/?customer={customer.pk}", {
        "kind": "call_in", "occurred_at": "2026-03-02T12:00", "contact": foreign.pk, "subject": "来电",
    })

    assert response.status_code == 200
    assert not Interaction.objects.exists()


# --- the interaction log ---------------------------------------------------------------------

# session, user, the two permission lookups, the user's groups, the manager's team, row count,
# heartbeat, unread count, the recorder choices, rows (customer, contact, user joined)
INTERACTION_LIST_QUERIES = 11


def _log(customer, user, **over):
    data = {"kind": "call_in", "subject": "来电咨询", "occurred_at": timezone.now(), **over}
    return Interaction.objects.create(customer=customer, user=user, **data)


def test_interaction_list_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas):
    from salesdesk.core.jobs import beat

    beat()
    client = as_user("manager")
    _log(customer_of(personas), personas["sales1"])
    client.get("/service/interactions/")
    with query_budget(INTERACTION_LIST_QUERIES):
        client.get("/service/interactions/")

    for i in range(30):
        customer = customer_of(personas, "sales3")
        _log(customer, personas["sales3"], subject=f"拜访{i}", contact=ContactFactory(customer=customer))
    with query_budget(INTERACTION_LIST_QUERIES):
        response = client.get("/service/interactions/")
    assert response.status_code == 200


def test_interaction_list_filters_by_kind_and_shows_only_visible_customers(as_user, personas):
    _log(customer_of(personas), personas["sales1"], kind="reception", subject="客饭安排")
    _log(customer_of(personas), personas["sales1"], kind="call_in", subject="来电问价")
    _log(customer_of(personas, "sales2"), personas["sales2"], kind="reception", subject="别组的客饭")

    html = as_user("sales1").get("/service/interactions/?kind=reception").content.decode()

    assert "客饭安排" in html
    assert "来电问价" not in html and "别组的客饭" not in html


def test_interaction_detail_of_a_hidden_customer_is_404(as_user, personas):
    own = _log(customer_of(personas), personas["sales1"], content="问A型号价格")
    hidden = _log(customer_of(personas, "sales2"), personas["sales2"])
    client = as_user("sales1")

    assert "问A型号价格" in client.get(f"/service/interactions/{own.pk}/").content.decode()
    assert client.get(f"/service/interactions/{hidden.pk}/").status_code == 404


# --- customer-page tabs and the menu ---------------------------------------------------------


def _render_panel(user, customer: Customer, key: str) -> str:
    request = RequestFactory().get("/")
    request.user = user
    panel = next(p for p in panels_for(Customer, user, customer) if p.key == key)
    return render_to_string(panel.template, {"object": customer, **panel.context(request, customer)}, request)


def test_customer_page_tabs_show_recent_interactions_and_tickets_with_new_buttons(personas):
    customer = customer_of(personas)
    _log(customer, personas["sales1"], subject="回访满意度")
    late = ticket_for(personas, customer=customer, due_on=yesterday())
    clerk = personas["clerk"]

    interactions = _render_panel(clerk, customer, "interactions")
    tickets = _render_panel(clerk, customer, "tickets")

    assert "回访满意度" in interactions
    assert f"/service/interactions/new/?customer={customer.pk}" in interactions
    assert late.number in tickets and "table-danger" in tickets
    assert f"/service/tickets/new/?customer={customer.pk}" in tickets


def test_the_customer_page_has_the_two_tabs_as_htmx_partials(as_user, personas):
    customer = customer_of(personas)
    ticket = ticket_for(personas, customer=customer)
    client = as_user("sales1")

    page = client.get(f"/customers/{customer.pk}/").content.decode()
    tab = client.get(f"/customers/{customer.pk}/?tab=panel-tickets", HTTP_HX_REQUEST="true").content.decode()

    assert "?tab=panel-interactions" in page and "?tab=panel-tickets" in page
    assert ticket.number in tab and "<nav" not in tab


def test_finance_sees_the_tabs_without_the_new_ticket_button(personas):
    customer = customer_of(personas)

    html = _render_panel(personas["finance"], customer, "tickets")

    assert "/service/tickets/new/" not in html


def test_menu_entries_for_roles_that_see_customers(personas):
    def keys(username):
        return {item.key for item in menu_for(personas[username])}

    assert {"tickets", "interactions"} <= keys("clerk")
    assert {"tickets", "interactions"} <= keys("sales1")
    assert {"tickets", "interactions"} <= keys("finance")
    assert not {"tickets", "interactions"} & keys("hr")
    assert not {"tickets", "interactions"} & keys("warehouse")
