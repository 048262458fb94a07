"""Customer service through the API: the interaction log and complaint/feedback tickets — happy
paths, refusals (404 for what one may not see, 403 by role, 409 illegal transitions, 422 input),
the full lifecycle with history and notes, notifications, the overdue filter, pinned query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from salesdesk.core.models import Notification
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers.models import Interaction, Ticket, TicketNote

from .factories import ContactFactory, CustomerFactory, TicketFactory

pytestmark = pytest.mark.django_db


def customer_of(personas, owner="sales1", **over):
    return CustomerFactory(salesperson=personas[owner], **over)


def ticket_for(personas, owner="sales1", **over):
    customer = over.pop("customer", None) or customer_of(personas, owner)
    over.setdefault("assignee", customer.salesperson)
    return TicketFactory(customer=customer, created_by=personas["clerk"], **over)


def days(n: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=n)).isoformat()


# --- interactions ----------------------------------------------------------------------------


def test_clerk_logs_a_call_with_the_contact_and_beijing_time(api, personas):
    customer = customer_of(personas)
    contact = ContactFactory(customer=customer, name="李经理")

    response = api("clerk").post("/api/v1/interactions", {
        "customer_id": customer.pk, "contact_id": contact.pk, "kind": "call_in", "subject": "咨询报价",
        "occurred_at": "2026-03-02T09:30:00", "content": "询问A型号价格", "outcome": "已报价", "follow_up_on": "2026-03-05",
    })

    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["customer_id"], data["contact"], data["kind"], data["user"]) == (customer.pk, "李经理", "call_in", "王丽")
    assert data["occurred_at"] == "2026-03-02T09:30:00+08:00"
    assert data["follow_up_on"] == "2026-03-05"
    assert Interaction.objects.get().user == personas["clerk"]


def test_a_reception_records_its_guests_and_defaults_to_now(api, personas):
    customer = customer_of(personas)

    data = api("sales1").post("/api/v1/interactions", {
        "customer_id": customer.pk, "kind": "reception", "subject": "客户来厂参观并用餐", "guests": 4,
    }).json()

    assert data["guests"] == 4
    occurred = dt.datetime.fromisoformat(data["occurred_at"])
    assert abs((timezone.now() - occurred).total_seconds()) < 60
    assert data["occurred_at"].endswith("+08:00")


def test_salesperson_cannot_log_for_another_salespersons_customer(api, personas):
    customer = customer_of(personas, "sales3")  # same team, still not theirs

    response = api("sales1").post("/api/v1/interactions", {"customer_id": customer.pk, "kind": "visit", "subject": "拜访"})

    assert response.status_code == 404
    assert not Interaction.objects.exists()


def test_contact_of_another_customer_is_422(api, personas):
    customer = customer_of(personas)
    foreign = ContactFactory(customer=customer_of(personas))

    response = api("clerk").post("/api/v1/interactions", {
        "customer_id": customer.pk, "contact_id": foreign.pk, "kind": "call_out", "subject": "回访",
    })

    assert response.status_code == 422
    assert "contact_id" in response.json()["errors"]
    assert not Interaction.objects.exists()


def test_blank_subject_and_far_dates_are_422(api, personas):
    customer = customer_of(personas)
    client = api("clerk")

    blank = client.post("/api/v1/interactions", {"customer_id": customer.pk, "kind": "visit", "subject": "  "})
    ancient = client.post("/api/v1/interactions", {"customer_id": customer.pk, "kind": "visit", "subject": "拜访",
                                                   "occurred_at": "0001-01-01T00:00:00"})

    assert (blank.status_code, ancient.status_code) == (422, 422)
    assert "subject" in blank.json()["errors"]
    assert not Interaction.objects.exists()


def test_hr_may_not_read_or_log_interactions(api, personas):
    customer = customer_of(personas)

    listed = api("hr").get("/api/v1/interactions")
    created = api("hr").post("/api/v1/interactions", {"customer_id": customer.pk})  # invalid body: 403 first

    assert (listed.status_code, created.status_code) == (403, 403)
    assert not Interaction.objects.exists()


def test_interaction_of_another_salespersons_customer_is_404(api, personas):
    other = Interaction.objects.create(customer=customer_of(personas, "sales2"), kind="visit", subject="拜访",
                                       occurred_at=timezone.now(), user=personas["sales2"])

    assert api("sales1").get(f"/api/v1/interactions/{other.pk}").status_code == 404
    assert api("manager").get(f"/api/v1/interactions/{other.pk}").status_code == 404  # team B
    assert api("gm").get(f"/api/v1/interactions/{other.pk}").status_code == 200


def _log(customer, user, kind="call_in", subject="来电", at=None, content=""):
    return Interaction.objects.create(customer=customer, kind=kind, subject=subject, content=content, user=user,
                                      occurred_at=at or timezone.now())


def test_interaction_list_filters(api, personas):
    mine, theirs = customer_of(personas, name="北京华远贸易有限公司"), customer_of(personas, "sales2")
    march = timezone.make_aware(dt.datetime(2026, 3, 2, 10))
    call = _log(mine, personas["clerk"], at=march, content="问发票")
    visit = _log(mine, personas["sales1"], kind="visit", subject="拜访", at=march + dt.timedelta(days=10))
    other = _log(theirs, personas["sales2"], kind="visit", at=march)
    client = api("clerk")

    def ids(query):
        return [i["id"] for i in client.get(f"/api/v1/interactions?{query}").json()["items"]]

    assert ids("") == [visit.pk, other.pk, call.pk]  # newest first, then the latest logged
    assert ids(f"customer_id={mine.pk}") == [visit.pk, call.pk]
    assert ids("kind=visit") == [visit.pk, other.pk]
    assert ids(f"user_id={personas['sales1'].pk}") == [visit.pk]
    assert ids("date_from=2026-03-01&date_to=2026-03-05") == [other.pk, call.pk]
    assert ids("q=bjhy") == [visit.pk, call.pk]  # pinyin initials of the customer
    assert ids("q=发票") == [call.pk]


def test_salesperson_lists_only_their_customers_interactions(api, personas):
    own = _log(customer_of(personas), personas["sales1"])
    _log(customer_of(personas, "sales3"), personas["sales3"])

    body = api("sales1").get("/api/v1/interactions").json()

    assert (body["count"], [i["id"] for i in body["items"]]) == (1, [own.pk])


# token with its user, the two permission lookups, the user's groups, the manager's team, count,
# rows (customer, contact and user joined)
INTERACTION_LIST_QUERIES = 7


def test_interaction_list_runs_a_fixed_number_of_queries(api, personas):
    client = api("manager")
    customer = customer_of(personas)
    _log(customer, personas["sales1"])
    client.get("/api/v1/interactions")  # warm per-process caches
    with query_budget(INTERACTION_LIST_QUERIES):
        assert client.get("/api/v1/interactions").json()["count"] == 1

    for i in range(20):
        _log(customer_of(personas, "sales3"), personas["sales3"], subject=f"来电{i}")
    with query_budget(INTERACTION_LIST_QUERIES):
        assert client.get("/api/v1/interactions").json()["count"] == 21


# --- tickets: opening ------------------------------------------------------------------------


def test_clerk_opens_a_ticket_assigned_to_the_owner_who_is_notified(api, personas):
    customer = customer_of(personas)

    response = api("clerk").post("/api/v1/tickets", {
        "customer_id": customer.pk, "category": "quality", "severity": "high", "subject": "到货破损",
        "description": "三箱外包装破损", "order_ref": "SO20260302-0001", "due_on": days(3),
    })

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("TK")
    assert (data["status"], data["assignee_id"], data["created_by"]) == ("open", personas["sales1"].pk, "王丽")
    assert (data["order_ref"], data["overdue"], data["notes"]) == ("SO20260302-0001", False, [])
    note = Notification.objects.get()
    assert note.recipient == personas["sales1"]
    assert note.url == f"/service/tickets/{data['id']}/"
    assert data["number"] in note.title


def test_no_notification_when_the_assignee_opens_the_ticket(api, personas):
    customer = customer_of(personas)

    response = api("sales1").post("/api/v1/tickets", {"customer_id": customer.pk, "category": "feedback",
                                                      "subject": "建议增加规格"})

    assert response.status_code == 201
    assert not Notification.objects.exists()


def test_an_assignee_who_cannot_handle_tickets_is_422(api, personas):
    customer = customer_of(personas)

    response = api("clerk").post("/api/v1/tickets", {"customer_id": customer.pk, "category": "complaint",
                                                     "subject": "投诉", "assignee_id": personas["hr"].pk})

    assert response.status_code == 422
    assert "assignee_id" in response.json()["errors"]
    assert not Ticket.objects.exists() and not Notification.objects.exists()


def test_unknown_assignee_and_hidden_customer_are_404(api, personas):
    hidden = customer_of(personas, "sales2")
    own = customer_of(personas)
    client = api("sales1")

    unknown = client.post("/api/v1/tickets", {"customer_id": own.pk, "category": "complaint", "subject": "投诉",
                                              "assignee_id": 999999})
    not_theirs = client.post("/api/v1/tickets", {"customer_id": hidden.pk, "category": "complaint", "subject": "投诉"})

    assert (unknown.status_code, not_theirs.status_code) == (404, 404)
    assert not Ticket.objects.exists()


def test_finance_logs_interactions_but_may_not_open_tickets(api, personas):
    customer = customer_of(personas)

    response = api("finance").post("/api/v1/tickets", {"customer_id": customer.pk, "category": "billing",
                                                       "subject": "发票抬头错误"})

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_hr_gets_403_on_tickets_before_the_body_is_checked(api, personas):
    ticket = ticket_for(personas)
    client = api("hr")

    assert client.get("/api/v1/tickets").status_code == 403
    assert client.get(f"/api/v1/tickets/{ticket.pk}").status_code == 403
    assert client.post(f"/api/v1/tickets/{ticket.pk}/resolve", {}).status_code == 403
    assert client.post(f"/api/v1/tickets/{ticket.pk}/notes", {"body": ""}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.status == "open" and not TicketNote.objects.exists()


# --- tickets: the lifecycle ------------------------------------------------------------------


def test_full_lifecycle_with_history_and_notes(api, personas):
    customer = customer_of(personas)
    client = api("sales1")
    ticket_id = api("clerk").post("/api/v1/tickets", {
        "customer_id": customer.pk, "category": "delivery", "subject": "延迟到货", "due_on": days(2),
    }).json()["id"]

    started = client.post(f"/api/v1/tickets/{ticket_id}/start")
    noted = client.post(f"/api/v1/tickets/{ticket_id}/notes", {"body": "已联系物流，明天补发"})
    resolved = client.post(f"/api/v1/tickets/{ticket_id}/resolve", {"resolution": "已补发，客户签收"})
    closed = client.post(f"/api/v1/tickets/{ticket_id}/close", {"confirmation": "客户电话确认满意"})

    assert [r.status_code for r in (started, noted, resolved, closed)] == [200, 201, 200, 200]
    assert [r.json()["status"] for r in (started, resolved, closed)] == ["in_progress", "resolved", "closed"]
    assert noted.json()["author"] == "张伟"
    data = client.get(f"/api/v1/tickets/{ticket_id}").json()
    assert data["resolution"] == "已补发，客户签收"
    assert data["customer_confirmation"] == "客户电话确认满意"
    assert data["customer_confirmed_at"].endswith("+08:00") and data["resolved_at"].endswith("+08:00")
    assert [n["body"] for n in data["notes"]] == ["已联系物流，明天补发", "客户电话确认满意"]
    history = Ticket.objects.get(pk=ticket_id).history.order_by("history_date", "history_id")
    assert [(h.status, h.history_user.username) for h in history] == [
        ("open", "clerk"), ("in_progress", "sales1"), ("resolved", "sales1"), ("closed", "sales1"),
    ]
    changes = client.get(f"/api/v1/tickets/{ticket_id}/history").json()
    assert changes["count"] == 4
    assert changes["items"][0]["changes"]["status"] == ["resolved", "closed"]


def test_reopen_sends_a_resolved_ticket_back_to_in_progress(api, personas):
    ticket = ticket_for(personas, status="resolved", resolution="已换货")

    response = api("sales1").post(f"/api/v1/tickets/{ticket.pk}/reopen")

    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"


@pytest.mark.parametrize(("status", "action", "body"), [
    ("in_progress", "close", {"confirmation": "确认"}),  # in progress must be resolved first
    ("open", "reopen", None),  # only a resolved ticket is reopened
    ("resolved", "start", None),
    ("closed", "resolve", {"resolution": "再处理"}),  # closed is final
])
def test_illegal_transition_is_409_and_changes_nothing(api, personas, status, action, body):
    ticket = ticket_for(personas, status=status)
    before = ticket.history.count()

    response = api("clerk").post(f"/api/v1/tickets/{ticket.pk}/{action}", body)

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_transition"
    ticket.refresh_from_db()
    assert ticket.status == status
    assert ticket.history.count() == before
    assert not TicketNote.objects.exists()


@pytest.mark.parametrize("body", [{}, {"resolution": ""}, {"resolution": "   "}])
def test_resolving_without_a_resolution_is_422(api, personas, body):
    ticket = ticket_for(personas, status="in_progress")

    response = api("sales1").post(f"/api/v1/tickets/{ticket.pk}/resolve", body)

    assert response.status_code == 422
    assert "resolution" in response.json()["errors"]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution, ticket.resolved_at) == ("in_progress", "", None)


def test_salesperson_cannot_see_or_act_on_another_salespersons_ticket(api, personas):
    ticket = ticket_for(personas, "sales3")  # team mate's customer
    client = api("sales1")

    responses = [
        client.get(f"/api/v1/tickets/{ticket.pk}"),
        client.post(f"/api/v1/tickets/{ticket.pk}/start"),
        client.post(f"/api/v1/tickets/{ticket.pk}/notes", {"body": "看看"}),
        client.patch(f"/api/v1/tickets/{ticket.pk}", {"severity": "urgent"}),
        client.get(f"/api/v1/tickets/{ticket.pk}/history"),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    ticket.refresh_from_db()
    assert (ticket.status, ticket.severity) == ("open", "normal")
    assert not TicketNote.objects.exists()
    assert client.get("/api/v1/tickets").json()["count"] == 0


def test_a_ticket_assigned_to_a_salesperson_is_theirs_to_handle(api, personas):
    ticket = ticket_for(personas, "sales2", assignee=personas["sales1"])

    response = api("sales1").post(f"/api/v1/tickets/{ticket.pk}/start")

    assert response.status_code == 200


def test_note_must_not_be_empty(api, personas):
    ticket = ticket_for(personas)

    response = api("sales1").post(f"/api/v1/tickets/{ticket.pk}/notes", {"body": "   "})

    assert response.status_code == 422
    assert not TicketNote.objects.exists()


# --- tickets: editing -----------------------------------------------------------------------


def test_patch_reassigns_and_the_new_assignee_is_notified(api, personas):
    ticket = ticket_for(personas)

    response = api("manager").patch(f"/api/v1/tickets/{ticket.pk}", {
        "assignee_id": personas["sales3"].pk, "due_on": days(1), "severity": "urgent",
    })

    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["assignee_id"], data["severity"], data["due_on"]) == (personas["sales3"].pk, "urgent", days(1))
    assert Notification.objects.get().recipient == personas["sales3"]
    latest = ticket.history.latest()
    assert latest.history_user == personas["manager"] and latest.assignee_id == personas["sales3"].pk


def test_patch_may_clear_the_due_date_but_not_the_assignee(api, personas):
    ticket = ticket_for(personas, due_on=timezone.localdate())
    client = api("clerk")

    cleared = client.patch(f"/api/v1/tickets/{ticket.pk}", {"due_on": None})
    unassigned = client.patch(f"/api/v1/tickets/{ticket.pk}", {"assignee_id": None})
    no_category = client.patch(f"/api/v1/tickets/{ticket.pk}", {"category": None})

    assert cleared.status_code == 200 and cleared.json()["due_on"] is None
    assert (unassigned.status_code, no_category.status_code) == (422, 422)
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.category) == (personas["sales1"], "complaint")


def test_a_closed_ticket_cannot_be_edited(api, personas):
    ticket = ticket_for(personas, status="closed")

    response = api("clerk").patch(f"/api/v1/tickets/{ticket.pk}", {"severity": "low"})

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"
    ticket.refresh_from_db()
    assert ticket.severity == "normal"


# --- tickets: the list ----------------------------------------------------------------------


def test_list_puts_open_tickets_first_by_due_date(api, personas):
    customer = customer_of(personas)
    later = ticket_for(personas, customer=customer, due_on=timezone.localdate() + dt.timedelta(days=5))
    closed = ticket_for(personas, customer=customer, status="closed", due_on=timezone.localdate())
    undated = ticket_for(personas, customer=customer)
    sooner = ticket_for(personas, customer=customer, status="in_progress", due_on=timezone.localdate())

    items = api("clerk").get("/api/v1/tickets").json()["items"]

    assert [i["id"] for i in items] == [sooner.pk, later.pk, undated.pk, closed.pk]


def test_manager_sees_their_teams_overdue_tickets(api, personas):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    sales1_late = ticket_for(personas, "sales1", due_on=yesterday)
    sales3_late = ticket_for(personas, "sales3", due_on=yesterday, status="in_progress")
    ticket_for(personas, "sales2", due_on=yesterday)  # team B
    ticket_for(personas, "sales1", due_on=timezone.localdate())  # due today: not late yet
    ticket_for(personas, "sales1", due_on=yesterday, status="resolved")  # handled

    body = api("manager").get("/api/v1/tickets?overdue=true").json()

    assert sorted(i["id"] for i in body["items"]) == sorted([sales1_late.pk, sales3_late.pk])
    assert all(i["overdue"] for i in body["items"])
    assert api("manager").get("/api/v1/tickets?overdue=false").json()["count"] == 2


def test_ticket_list_filters(api, personas):
    mine = customer_of(personas, name="北京华远贸易有限公司")
    a = ticket_for(personas, customer=mine, category="quality", severity="high", subject="包装破损")
    b = ticket_for(personas, "sales3", status="in_progress")
    client = api("clerk")

    def ids(query):
        return [i["id"] for i in client.get(f"/api/v1/tickets?{query}").json()["items"]]

    assert ids(f"customer_id={mine.pk}") == [a.pk]
    assert ids("status=in_progress") == [b.pk]
    assert ids(f"assignee_id={personas['sales3'].pk}") == [b.pk]
    assert ids("category=quality&severity=high") == [a.pk]
    assert ids("q=bjhy") == [a.pk]
    assert ids(f"q={a.number}") == [a.pk]
    assert client.get("/api/v1/tickets?status=bogus").status_code == 422


# token with its user, the two permission lookups, the user's groups, the manager's team, count,
# rows (customer, contact, assignee and creator joined)
TICKET_LIST_QUERIES = 7


def test_ticket_list_runs_a_fixed_number_of_queries(api, personas):
    client = api("manager")
    ticket_for(personas)
    client.get("/api/v1/tickets")  # warm per-process caches
    with query_budget(TICKET_LIST_QUERIES):
        assert client.get("/api/v1/tickets").json()["count"] == 1

    for _ in range(20):
        ticket_for(personas, "sales3", contact=None)
    with query_budget(TICKET_LIST_QUERIES):
        assert client.get("/api/v1/tickets").json()["count"] == 21
