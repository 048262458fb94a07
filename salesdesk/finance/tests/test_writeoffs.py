"""Bad-debt write-offs (坏账核销): the clerk or finance requests up to what is still open, the GM
approves or rejects (never their own request), finance records it today (not in a locked month)
with ``written_off`` facts; notifications on request and decision; the API and the pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.models import Notification
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.finance import adjustments
from salesdesk.finance.choices import ReceivableSource, WriteOffStatus
from salesdesk.finance.models import Receivable, WriteOff
from salesdesk.finance.receivables import customer_balance, open_items
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.models import Fact
from salesdesk.ledger.periods import lock_period, month_of
from salesdesk.org.roles import Role

from .factories import customer, order, payment

pytestmark = pytest.mark.django_db

_seq = {"n": 0}


def receivable(personas, amount="1000.00", *, owner="sales1", with_order=True) -> Receivable:
    """A dispatched shipment's receivable (or an opening one, without an order), 40 days old."""
    _seq["n"] += 1
    cust = customer(personas, owner, settlement="credit", credit_days=30, credit_limit=Decimal("100000"))
    o = order(personas, cust, amount, owner=owner) if with_order else None
    shipped = timezone.localdate() - timedelta(days=40)
    return Receivable.objects.create(
        source_kind=ReceivableSource.SHIPMENT if with_order else ReceivableSource.OPENING, source_id=_seq["n"],
        number=f"FH-WO{_seq['n']:04d}", customer=cust, order=o, salesperson=personas[owner], amount=Decimal(amount),
        shipped_on=shipped, arises_on=shipped, due_on=shipped + timedelta(days=30), period=month_of(shipped))


def ask(personas, rec, amount="400.00", by="clerk") -> WriteOff:
    return adjustments.request_write_off(actor=personas[by], data=adjustments.WriteOffRequest(
        receivable=rec, amount=Decimal(amount), reason="客户破产清算"))


def approved(personas, rec, amount="400.00") -> WriteOff:
    return adjustments.decide_write_off(actor=personas["gm"], write_off=ask(personas, rec, amount), approve=True)


def written_off_facts():
    return Fact.objects.filter(kind=FactKind.WRITTEN_OFF)


# --- requesting ---------------------------------------------------------------------------------------


def test_a_request_waits_for_the_gm_who_is_notified(personas):
    w = ask(personas, receivable(personas))

    assert w.status == WriteOffStatus.REQUESTED and w.number.startswith("HX")
    assert Notification.objects.filter(recipient=personas["gm"], kind="writeoff_pending").count() == 1
    assert not written_off_facts().exists()


def test_finance_may_request_too(personas):
    assert ask(personas, receivable(personas), by="finance").requested_by == personas["finance"]


def test_a_request_above_the_open_amount_is_refused_and_writes_nothing(personas):
    rec = receivable(personas, "1000.00")
    payment(personas, rec.customer, "400.00", order=rec.order, confirm=True)  # 600.00 still open

    with pytest.raises(InvalidInput) as refused:
        ask(personas, rec, "600.01")

    assert refused.value.code == "writeoff_over_open"
    assert not WriteOff.objects.exists()
    assert not Notification.objects.filter(kind="writeoff_pending").exists()


def test_pending_requests_count_against_the_open_amount(personas):
    rec = receivable(personas, "1000.00")
    ask(personas, rec, "600.00")

    with pytest.raises(InvalidInput):
        ask(personas, rec, "400.01")

    assert ask(personas, rec, "400.00").amount == Decimal("400.00")


def test_a_rejected_request_no_longer_counts_against_the_open_amount(personas):
    rec = receivable(personas, "1000.00")
    adjustments.decide_write_off(actor=personas["gm"], write_off=ask(personas, rec, "1000.00"), approve=False)

    assert ask(personas, rec, "1000.00").status == WriteOffStatus.REQUESTED


def test_a_request_needs_a_positive_amount_and_a_reason(personas):
    rec = receivable(personas)

    with pytest.raises(InvalidInput) as refused:
        adjustments.request_write_off(actor=personas["clerk"], data=adjustments.WriteOffRequest(
            receivable=rec, amount=Decimal(0), reason=" "))

    assert set(refused.value.errors) == {"amount", "reason"}
    assert not WriteOff.objects.exists()


@pytest.mark.parametrize("username", ["sales1", "manager", "gm", "warehouse"])
def test_only_the_clerk_and_finance_request_write_offs(personas, username):
    with pytest.raises(PermissionDenied):
        ask(personas, receivable(personas), by=username)

    assert not WriteOff.objects.exists()


# --- deciding ----------------------------------------------------------------------------------------


def test_the_gm_approves_and_the_requester_and_finance_are_told(personas):
    w = approved(personas, receivable(personas))

    assert (w.status, w.approved_by) == (WriteOffStatus.APPROVED, personas["gm"])
    assert Notification.objects.filter(recipient=personas["clerk"], kind="writeoff_decided").count() == 1
    assert Notification.objects.filter(recipient=personas["finance"], kind="writeoff_approved").count() == 1
    assert not written_off_facts().exists()


def test_the_gm_rejects_with_a_note_and_the_requester_is_told(personas):
    w = adjustments.decide_write_off(actor=personas["gm"], write_off=ask(personas, receivable(personas)),
                                     approve=False, note="继续催收")

    assert (w.status, w.decision_note) == (WriteOffStatus.REJECTED, "继续催收")
    assert Notification.objects.filter(recipient=personas["clerk"], kind="writeoff_decided").count() == 1


def test_nobody_approves_their_own_request(personas):
    boss = personas["gm"]
    boss.groups.add(Group.objects.get(name=Role.CLERK))
    boss = type(boss).objects.get(pk=boss.pk)  # fresh role cache
    w = adjustments.request_write_off(actor=boss, data=adjustments.WriteOffRequest(
        receivable=receivable(personas), amount=Decimal("100.00"), reason="坏账"))

    with pytest.raises(DomainError) as refused:
        adjustments.decide_write_off(actor=boss, write_off=w, approve=True)

    assert refused.value.code == "self_approval"
    w.refresh_from_db()
    assert w.status == WriteOffStatus.REQUESTED


@pytest.mark.parametrize("username", ["clerk", "finance", "manager"])
def test_only_the_gm_decides(personas, username):
    w = ask(personas, receivable(personas), by="finance" if username == "clerk" else "clerk")

    with pytest.raises(PermissionDenied):
        adjustments.decide_write_off(actor=personas[username], write_off=w, approve=True)

    w.refresh_from_db()
    assert w.status == WriteOffStatus.REQUESTED


def test_a_decided_request_cannot_be_decided_again(personas):
    w = approved(personas, receivable(personas))

    with pytest.raises(DomainError) as refused:
        adjustments.decide_write_off(actor=personas["gm"], write_off=w, approve=False)

    assert refused.value.code == "writeoff_not_requested"


# --- recording ---------------------------------------------------------------------------------------


def test_finance_records_an_approved_write_off_today_with_a_written_off_fact(personas):
    rec = receivable(personas, "1000.00")
    w = adjustments.record_write_off(actor=personas["finance"], write_off=approved(personas, rec, "400.00"))

    assert (w.status, w.recorded_by, w.recorded_on) == (WriteOffStatus.RECORDED, personas["finance"],
                                                        timezone.localdate())
    fact = written_off_facts().get()
    assert (fact.amount, fact.product_id, fact.order_id, fact.salesperson_id, fact.source_kind, fact.source_id) == (
        Decimal("400.00"), None, rec.order_id, personas["sales1"].pk, "write_off", w.pk)
    assert [i.open_amount for i in open_items([rec.customer_id])] == [Decimal("600.00")]
    assert customer_balance(rec.customer_id) == Decimal("600.00")


def test_an_opening_receivables_write_off_is_credited_to_the_customers_owner(personas):
    rec = receivable(personas, "500.00", owner="sales3", with_order=False)

    adjustments.record_write_off(actor=personas["finance"], write_off=approved(personas, rec, "500.00"))

    fact = written_off_facts().get()
    assert (fact.order_id, fact.salesperson_id, fact.team_id) == (None, personas["sales3"].pk,
                                                                  personas["sales3"].team_id)
    assert open_items([rec.customer_id]) == []


@pytest.mark.parametrize("username", ["clerk", "gm"])
def test_only_finance_records(personas, username):
    w = approved(personas, receivable(personas))

    with pytest.raises(PermissionDenied):
        adjustments.record_write_off(actor=personas[username], write_off=w)

    assert not written_off_facts().exists()


def test_a_request_the_gm_has_not_approved_cannot_be_recorded(personas):
    w = ask(personas, receivable(personas))

    with pytest.raises(DomainError) as refused:
        adjustments.record_write_off(actor=personas["finance"], write_off=w)

    assert refused.value.code == "writeoff_not_approved"
    assert not written_off_facts().exists()


def test_recording_twice_is_refused(personas):
    w = adjustments.record_write_off(actor=personas["finance"], write_off=approved(personas, receivable(personas)))

    with pytest.raises(DomainError):
        adjustments.record_write_off(actor=personas["finance"], write_off=w)

    assert written_off_facts().count() == 1


def test_recording_in_a_locked_month_is_refused(personas):
    w = approved(personas, receivable(personas))
    lock_period(actor=personas["finance"], period=month_of(timezone.localdate()))

    with pytest.raises(DomainError) as refused:
        adjustments.record_write_off(actor=personas["finance"], write_off=w)

    assert refused.value.code == "period_locked"
    w.refresh_from_db()
    assert w.status == WriteOffStatus.APPROVED
    assert not written_off_facts().exists()


def test_money_that_came_in_after_the_approval_stops_the_write_off(personas):
    rec = receivable(personas, "1000.00")
    w = approved(personas, rec, "1000.00")
    payment(personas, rec.customer, "300.00", order=rec.order, confirm=True)

    with pytest.raises(DomainError) as refused:
        adjustments.record_write_off(actor=personas["finance"], write_off=w)

    assert refused.value.code == "writeoff_over_open"
    assert not written_off_facts().exists()


# --- API -----------------------------------------------------------------------------------------


def test_api_request_approve_record(api, personas):
    rec = receivable(personas, "800.00")

    created = api("clerk").post("/api/v1/write-offs", {"receivable_id": rec.pk, "amount": "800.00",
                                                       "reason": "诉讼终结无财产可执行"})
    assert created.status_code == 201 and created.json()["status"] == "requested"
    wid = created.json()["id"]
    approved_ = api("gm").post(f"/api/v1/write-offs/{wid}/approve", {"note": "同意"})
    assert approved_.status_code == 200 and approved_.json()["status"] == "approved"
    recorded = api("finance").post(f"/api/v1/write-offs/{wid}/record")

    assert recorded.status_code == 200
    assert (recorded.json()["status"], recorded.json()["amount"]) == ("recorded", "800.00")
    assert recorded.json()["recorded_on"] == timezone.localdate().isoformat()


def test_api_roles_are_checked_before_the_body(api, personas):
    assert api("sales1").post("/api/v1/write-offs", {"bad": 1}).status_code == 403
    assert api("finance").post("/api/v1/write-offs/1/approve", {"note": 5}).status_code == 403
    assert api("gm").post("/api/v1/write-offs/1/record").status_code == 403


def test_api_over_the_open_amount_is_422(api, personas):
    rec = receivable(personas, "800.00")

    refused = api("finance").post("/api/v1/write-offs", {"receivable_id": rec.pk, "amount": "800.01", "reason": "x"})

    assert refused.status_code == 422 and "amount" in refused.json()["errors"]
    assert not WriteOff.objects.exists()


def test_api_salesperson_sees_only_their_customers_write_offs(api, personas):
    mine = ask(personas, receivable(personas, owner="sales1"))
    theirs = ask(personas, receivable(personas, owner="sales2"))

    listed = api("sales1").get("/api/v1/write-offs").json()

    assert [i["id"] for i in listed["items"]] == [mine.pk]
    assert api("sales1").get(f"/api/v1/write-offs/{theirs.pk}").status_code == 404


def test_api_self_approval_is_409(api, personas):
    boss = personas["gm"]
    boss.groups.add(Group.objects.get(name=Role.FINANCE))
    rec = receivable(personas)
    wid = api("gm").post("/api/v1/write-offs", {"receivable_id": rec.pk, "amount": "1.00", "reason": "x"}).json()["id"]

    refused = api("gm").post(f"/api/v1/write-offs/{wid}/approve")

    assert refused.status_code == 409 and refused.json()["code"] == "self_approval"


API_LIST_QUERIES = 6  # the token, the roles (groups), the permissions (user, groups), the page of write-offs with their joins, the count


def test_api_list_runs_a_fixed_number_of_queries_whatever_the_rows(api, personas):
    client = api("finance")
    client.get("/api/v1/write-offs")
    ask(personas, receivable(personas))
    with query_budget(API_LIST_QUERIES):
        client.get("/api/v1/write-offs")
    for _ in range(4):
        ask(personas, receivable(personas))

    with query_budget(API_LIST_QUERIES):
        assert client.get("/api/v1/write-offs").json()["count"] == 5


# --- pages -------------------------------------------------------------------------------------------


@pytest.fixture
def login(personas):
    def make(username) -> Client:
        client = Client()
        assert client.login(username=username, password=PASSWORD)
        return client

    return make


@pytest.fixture
def warm_worker():
    from salesdesk.core.jobs import beat

    beat()


def test_the_request_form_asks_from_a_receivable(personas, login):
    rec = receivable(personas, "900.00")
    client = login("clerk")

    form = client.get(f"/finance/adjust/write-offs/new/?receivable={rec.pk}")
    response = client.post("/finance/adjust/write-offs/new/", {"receivable": rec.pk, "amount": "900.00",
                                                               "reason": "客户失联"})

    assert "900.00" in form.content.decode()
    w = WriteOff.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/finance/adjust/write-offs/{w.pk}/"


def test_the_request_form_shows_the_open_amount_refusal(personas, login):
    rec = receivable(personas, "900.00")

    response = login("clerk").post("/finance/adjust/write-offs/new/", {"receivable": rec.pk, "amount": "900.01",
                                                                       "reason": "客户失联"})

    assert response.status_code == 422 and "尚未收回" in response.content.decode()
    assert not WriteOff.objects.exists()


def test_the_request_form_without_a_receivable_lists_receivables_to_pick(personas, login):
    rec = receivable(personas)

    page = login("clerk").get("/finance/adjust/write-offs/new/", {"q": rec.number})

    assert f"?receivable={rec.pk}" in page.content.decode()


def test_the_detail_page_offers_each_role_its_button(personas, login):
    w = ask(personas, receivable(personas))
    url = f"/finance/adjust/write-offs/{w.pk}/"

    assert 'id="writeoff-approve"' in login("gm").get(url).content.decode()
    assert 'id="writeoff-approve"' not in login("finance").get(url).content.decode()
    adjustments.decide_write_off(actor=personas["gm"], write_off=w, approve=True)
    assert 'id="writeoff-record"' in login("finance").get(url).content.decode()
    assert 'id="writeoff-record"' not in login("clerk").get(url).content.decode()


def test_the_gm_approves_and_finance_records_on_the_page(personas, login):
    w = ask(personas, receivable(personas))

    login("gm").post(f"/finance/adjust/write-offs/{w.pk}/approve/", {"note": "同意"})
    login("finance").post(f"/finance/adjust/write-offs/{w.pk}/record/")

    w.refresh_from_db()
    assert (w.status, w.decision_note) == (WriteOffStatus.RECORDED, "同意")
    assert written_off_facts().count() == 1


LIST_QUERIES = 9  # + the permission lookups (user, groups), once per request


def test_the_write_off_list_runs_a_fixed_number_of_queries_whatever_the_rows(personas, login, warm_worker):
    client = login("finance")
    ask(personas, receivable(personas))
    client.get("/finance/adjust/write-offs/")
    with query_budget(LIST_QUERIES):
        client.get("/finance/adjust/write-offs/")
    for _ in range(4):
        ask(personas, receivable(personas))

    with query_budget(LIST_QUERIES):
        assert client.get("/finance/adjust/write-offs/").status_code == 200


def test_api_recording_in_a_locked_month_is_409_and_writes_nothing(api, personas):
    w = approved(personas, receivable(personas))
    lock_period(actor=personas["finance"], period=month_of(timezone.localdate()))

    refused = api("finance").post(f"/api/v1/write-offs/{w.pk}/record")

    assert refused.status_code == 409 and refused.json()["code"] == "period_locked"
    assert not written_off_facts().exists()
