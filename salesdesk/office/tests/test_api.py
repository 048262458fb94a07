"""The register and circulars through the API: shapes, 201/200/403/404/409/422 as API.md orders
them, visibility with every persona, and pinned query counts of the list endpoints."""

from __future__ import annotations

import pytest
from django.utils import timezone

from salesdesk.core.models import Notification, OutboxMessage
from salesdesk.core.testing.queries import query_budget
from salesdesk.office import services
from salesdesk.office.models import Circular, Correspondence

from .factories import CorrespondenceFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def item_of(personas, customer=None, **over):
    """A register item the clerk registered (about ``customer``, if given)."""
    return CorrespondenceFactory(created_by=personas["clerk"], customer=customer, **over)


# --- shapes ---------------------------------------------------------------------------------


def test_registering_answers_201_with_the_item(api, personas, customer_of):
    customer = customer_of("sales1")

    response = api("clerk").post("/api/v1/correspondence", {
        "direction": "in", "channel": "maker_mail", "received_on": "2026-03-02", "reference": "厂销〔2026〕12号",
        "customer_id": customer.pk, "subject": "厂家二季度返利政策", "summary": "请业务部门传达",
        "routed_to_id": personas["manager"].pk, "deadline": "2026-03-09",
    })

    assert response.status_code == 201, response.content
    data = response.json()
    assert data == {
        "id": data["id"], "number": f"RW{TODAY:%Y%m%d}-0001", "direction": "in", "channel": "maker_mail",
        "received_on": "2026-03-02", "counterpart": customer.name, "reference": "厂销〔2026〕12号",
        "customer_id": customer.pk, "customer": customer.name, "subject": "厂家二季度返利政策",
        "summary": "请业务部门传达", "routed_to_id": personas["manager"].pk, "routed_to": "陈静",
        "deadline": "2026-03-09", "overdue": TODAY > timezone.datetime(2026, 3, 9).date(), "status": "open",
        "result": "", "archive_no": "", "created_at": data["created_at"], "created_by_id": personas["clerk"].pk,
        "created_by": "王丽",
    }
    assert data["created_at"].endswith("+08:00")
    assert Notification.objects.filter(recipient=personas["manager"]).count() == 1


def test_complete_and_file_move_the_item_along(api, personas):
    item = item_of(personas)

    done = api("clerk").post(f"/api/v1/correspondence/{item.pk}/complete", {"result": "已电话回复"})
    filed = api("clerk").post(f"/api/v1/correspondence/{item.pk}/file", {"archive_no": "2026-收-007"})

    assert (done.status_code, done.json()["status"], done.json()["result"]) == (200, "done", "已电话回复")
    assert (filed.status_code, filed.json()["status"], filed.json()["archive_no"]) == (200, "filed", "2026-收-007")


def test_filing_an_open_item_is_409(api, personas):
    item = item_of(personas)

    response = api("clerk").post(f"/api/v1/correspondence/{item.pk}/file", {"archive_no": "A-1"})

    assert response.status_code == 409
    assert response.json()["code"] == "correspondence_state"
    assert Correspondence.objects.get().status == "open"


def test_patch_edits_and_reroutes_with_a_notification(api, personas):
    item = item_of(personas)

    response = api("clerk").patch(f"/api/v1/correspondence/{item.pk}", {
        "subject": "更正后的标题", "routed_to_id": personas["finance"].pk, "deadline": "2026-12-31",
    })

    assert response.status_code == 200
    assert (response.json()["subject"], response.json()["routed_to"], response.json()["deadline"]) == (
        "更正后的标题", "孙敏", "2026-12-31")
    assert Notification.objects.get().recipient == personas["finance"]


def test_patch_with_null_customer_unlinks_it(api, personas, customer_of):
    item = item_of(personas, customer=customer_of("sales1"))

    response = api("clerk").patch(f"/api/v1/correspondence/{item.pk}", {"customer_id": None})

    assert response.status_code == 200 and response.json()["customer_id"] is None


def test_history_lists_the_changes(api, personas):
    item = services.register_correspondence(actor=personas["clerk"], direction="in", channel="fax",
                                            counterpart="某单位", subject="旧标题")
    services.edit_correspondence(actor=personas["clerk"], item=item, changes={"subject": "新标题"})

    body = api("clerk").get(f"/api/v1/correspondence/{item.pk}/history").json()

    assert body["count"] == 2
    assert body["items"][0]["changes"] == {"subject": ["旧标题", "新标题"]}


def test_list_filters_by_direction_status_dates_and_search(api, personas):
    CorrespondenceFactory(created_by=personas["clerk"], direction="in", subject="来函甲", received_on="2026-01-05")
    CorrespondenceFactory(created_by=personas["clerk"], direction="out", subject="去函乙", received_on="2026-01-06")
    CorrespondenceFactory(created_by=personas["clerk"], direction="in", subject="来函丙", received_on="2026-02-01",
                          status="done")
    client = api("clerk")

    def subjects(query):
        return [i["subject"] for i in client.get(f"/api/v1/correspondence?{query}").json()["items"]]

    assert subjects("direction=in") == ["来函丙", "来函甲"]
    assert subjects("status=open") == ["去函乙", "来函甲"]
    assert subjects("date_from=2026-01-06&date_to=2026-01-31") == ["去函乙"]
    assert subjects("q=丙") == ["来函丙"]


def test_list_filters_by_overdue_and_handler(api, personas):
    yesterday = TODAY - timezone.timedelta(days=1)
    late = CorrespondenceFactory(created_by=personas["clerk"], routed_to=personas["gm"], deadline=yesterday)
    CorrespondenceFactory(created_by=personas["clerk"], routed_to=personas["gm"], deadline=yesterday, status="done")
    CorrespondenceFactory(created_by=personas["clerk"], routed_to=personas["finance"])

    overdue = api("clerk").get("/api/v1/correspondence?overdue=true").json()
    by_gm = api("clerk").get(f"/api/v1/correspondence?routed_to_id={personas['gm'].pk}").json()

    assert [i["id"] for i in overdue["items"]] == [late.pk]
    assert overdue["items"][0]["overdue"] is True
    assert by_gm["count"] == 2


def test_list_by_a_customer_the_salesperson_may_not_see_is_404(api, personas, customer_of):
    theirs = customer_of("sales2")

    response = api("sales1").get(f"/api/v1/correspondence?customer_id={theirs.pk}")

    assert response.status_code == 404


# --- who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["manager", "gm", "finance"])
def test_readers_may_not_register(api, personas, username):
    response = api(username).post("/api/v1/correspondence", {"direction": "in", "channel": "call", "subject": "x",
                                                             "counterpart": "y"})

    assert response.status_code == 403
    assert not Correspondence.objects.exists()


@pytest.mark.parametrize("username", ["hr", "warehouse", "planner", "admin"])
def test_roles_outside_the_register_may_not_read_it(api, username):
    assert api(username).get("/api/v1/correspondence").status_code == 403
    assert api(username).get("/api/v1/circulars").status_code == 403


def test_role_is_checked_before_the_body(api):
    assert api("finance").post("/api/v1/correspondence", {"nonsense": True}).status_code == 403


def test_salesperson_registering_about_another_customer_is_404(api, personas, customer_of):
    theirs = customer_of("sales3")

    response = api("sales1").post("/api/v1/correspondence", {
        "direction": "in", "channel": "call", "customer_id": theirs.pk, "subject": "来电咨询"})

    assert response.status_code == 404
    assert not Correspondence.objects.exists()


def test_routing_to_a_person_outside_the_register_is_422(api, personas):
    response = api("clerk").post("/api/v1/correspondence", {
        "direction": "in", "channel": "call", "counterpart": "某客户", "subject": "来电",
        "routed_to_id": personas["hr"].pk})

    assert response.status_code == 422
    assert "routed_to_id" in response.json()["errors"]
    assert not Correspondence.objects.exists()


def test_the_handler_completes_an_item_routed_to_them(api, personas):
    item = item_of(personas, routed_to=personas["finance"])

    response = api("finance").post(f"/api/v1/correspondence/{item.pk}/complete", {"result": "款项已核实"})

    assert response.status_code == 200 and response.json()["status"] == "done"


def test_a_reader_who_is_not_the_handler_may_not_complete(api, personas):
    item = item_of(personas, routed_to=personas["gm"])

    response = api("finance").post(f"/api/v1/correspondence/{item.pk}/complete", {"result": "看过了"})

    assert response.status_code == 403
    assert Correspondence.objects.get().status == "open"


VISIBLE = {
    # persona: which of (own=sales1's customer, team=sales3's, other=sales2's, routed to sales1, none) they see
    "clerk": {"own", "team", "other", "routed", "none"},
    "gm": {"own", "team", "other", "routed", "none"},
    "finance": {"own", "team", "other", "routed", "none"},
    "manager": {"own", "team"},
    "sales1": {"own", "routed"},
    "sales3": {"team"},
    "sales2": {"other"},
}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_register_visibility_per_persona(api, personas, customer_of, username):
    items = {
        "own": item_of(personas, customer=customer_of("sales1"), subject="own"),
        "team": item_of(personas, customer=customer_of("sales3"), subject="team"),
        "other": item_of(personas, customer=customer_of("sales2"), subject="other"),
        "routed": item_of(personas, routed_to=personas["sales1"], subject="routed"),
        "none": item_of(personas, subject="none"),
    }
    client = api(username)

    listed = {i["subject"] for i in client.get("/api/v1/correspondence?limit=500").json()["items"]}
    one_by_one = {k for k, item in items.items() if client.get(f"/api/v1/correspondence/{item.pk}").status_code == 200}

    assert listed == VISIBLE[username]
    assert one_by_one == VISIBLE[username]


# --- circulars ------------------------------------------------------------------------------


def test_sending_a_circular_answers_201_with_who_got_it(api, personas, customer_of):
    a = customer_of("sales1", email="a@buyer.cn")
    b = customer_of("sales1", email="")

    response = api("clerk").post("/api/v1/circulars", {
        "kind": "policy", "subject": "价格政策", "body": "新价格见附件。", "customer_ids": [a.pk, b.pk]})

    assert response.status_code == 201, response.content
    data = response.json()
    year = TODAY.year
    assert {k: v for k, v in data.items() if k not in {"id", "sent_at", "created_at", "recipients"}} == {
        "number": f"销〔{year}〕1号", "kind": "policy", "subject": "价格政策", "body": "新价格见附件。",
        "filters": {"customer_ids": [a.pk, b.pk]}, "created_by_id": personas["clerk"].pk, "created_by": "王丽",
        "recipient_count": 2, "emailed_count": 1, "to_print_count": 1,
    }
    assert sorted(data["recipients"], key=lambda r: r["customer_id"]) == [
        {"customer_id": a.pk, "customer": a.name, "contact_name": a.contacts.get().name, "email": "a@buyer.cn",
         "delivered": True, "note": ""},
        {"customer_id": b.pk, "customer": b.name, "contact_name": b.contacts.get().name, "email": "",
         "delivered": False, "note": "无电子邮箱，需打印邮寄"},
    ]
    assert OutboxMessage.objects.filter(kind="mail").count() == 1


def test_sending_by_filters(api, personas, customer_of):
    customer_of("sales1", level="A")
    customer_of("sales1", level="B")

    response = api("manager").post("/api/v1/circulars", {
        "kind": "notice", "subject": "重点客户通知", "body": "正文", "filters": {"level": "A"}})

    assert response.status_code == 201
    assert (response.json()["recipient_count"], response.json()["filters"]) == (1, {"level": "A"})


def test_salesperson_including_another_salespersons_customer_gets_404_and_nothing_is_sent(api, personas, customer_of):
    own = customer_of("sales1")
    team_mates = customer_of("sales3")

    response = api("sales1").post("/api/v1/circulars", {
        "kind": "letter", "subject": "函", "body": "正文", "customer_ids": [own.pk, team_mates.pk]})

    assert response.status_code == 404
    assert not Circular.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_both_customers_and_filters_is_422(api, personas, customer_of):
    own = customer_of("sales1")

    response = api("clerk").post("/api/v1/circulars", {
        "kind": "letter", "subject": "函", "body": "正文", "customer_ids": [own.pk], "filters": {"level": "A"}})

    assert response.status_code == 422
    assert not Circular.objects.exists()


def test_finance_may_read_but_not_send_circulars(api, personas, customer_of):
    customer_of("sales1")

    assert api("finance").post("/api/v1/circulars", {"kind": "letter", "subject": "函", "body": "x"}).status_code == 403
    assert api("finance").get("/api/v1/circulars").status_code == 200
    assert not Circular.objects.exists()


def test_salesperson_sees_circulars_they_sent_or_that_reached_their_customers(api, personas, customer_of):
    own, team_mates, other = customer_of("sales1"), customer_of("sales3"), customer_of("sales2")
    to_all = services.send_circular(actor=personas["clerk"], kind="policy", subject="全体", body="x", filters={})
    to_team_mate = services.send_circular(actor=personas["clerk"], kind="letter", subject="单发", body="x",
                                          customers=[team_mates])
    by_self = services.send_circular(actor=personas["sales1"], kind="letter", subject="自发", body="x",
                                     customers=[own])
    services.send_circular(actor=personas["clerk"], kind="letter", subject="二组", body="x", customers=[other])

    listed = api("sales1").get("/api/v1/circulars").json()
    detail = api("sales1").get(f"/api/v1/circulars/{to_all.circular.pk}").json()

    assert {i["subject"] for i in listed["items"]} == {"全体", "自发"}
    assert api("sales1").get(f"/api/v1/circulars/{to_team_mate.circular.pk}").status_code == 404
    assert [r["customer_id"] for r in detail["recipients"]] == [own.pk]  # only their own customers
    assert detail["recipient_count"] == 1
    assert api("sales1").get(f"/api/v1/circulars/{by_self.circular.pk}").status_code == 200


def test_circular_list_filters_by_customer(api, personas, customer_of):
    a, b = customer_of("sales1"), customer_of("sales1")
    services.send_circular(actor=personas["clerk"], kind="letter", subject="给甲", body="x", customers=[a])
    services.send_circular(actor=personas["clerk"], kind="letter", subject="给乙", body="x", customers=[b])

    items = api("clerk").get(f"/api/v1/circulars?customer_id={a.pk}").json()["items"]

    assert [i["subject"] for i in items] == ["给甲"]


# --- pinned query counts ----------------------------------------------------------------------

# token (with its user), the user's and the groups' permissions, the user's groups (roles), count,
# rows with customer, handler and registrar joined; a manager adds one for their teams' members.
REGISTER_LIST_QUERIES = {"clerk": 6, "sales1": 6, "manager": 7}
# the same four for the caller, count, rows with their recipient counts as subqueries
CIRCULAR_LIST_QUERIES = {"clerk": 6, "sales1": 6, "manager": 7}


@pytest.mark.parametrize("username", sorted(REGISTER_LIST_QUERIES))
def test_register_list_runs_a_fixed_number_of_queries(api, personas, customer_of, username):
    client = api(username)
    item_of(personas, customer=customer_of("sales1"), routed_to=personas["sales1"])
    client.get("/api/v1/correspondence")  # warm per-process caches

    with query_budget(REGISTER_LIST_QUERIES[username]):
        client.get("/api/v1/correspondence")
    for _ in range(10):
        item_of(personas, customer=customer_of("sales1"), routed_to=personas["gm"])
    with query_budget(REGISTER_LIST_QUERIES[username]):
        response = client.get("/api/v1/correspondence")
    assert response.json()["count"] == 11


@pytest.mark.parametrize("username", sorted(CIRCULAR_LIST_QUERIES))
def test_circular_list_runs_a_fixed_number_of_queries(api, personas, customer_of, username):
    client = api(username)
    services.send_circular(actor=personas["clerk"], kind="letter", subject="x", body="x",
                           customers=[customer_of("sales1")])
    client.get("/api/v1/circulars")

    with query_budget(CIRCULAR_LIST_QUERIES[username]):
        client.get("/api/v1/circulars")
    for _ in range(5):
        services.send_circular(actor=personas["clerk"], kind="letter", subject="x", body="x",
                               customers=[customer_of("sales1"), customer_of("sales1")])
    with query_budget(CIRCULAR_LIST_QUERIES[username]):
        response = client.get("/api/v1/circulars")
    assert response.json()["count"] == 6


def test_a_customer_id_beyond_the_integer_range_is_invalid_input_not_a_server_error(api):
    response = api("clerk").post("/api/v1/circulars", {"kind": "policy", "subject": "价格调整通知", "body": "正文",
                                                       "customer_ids": [-13518941302935895302423445504]})

    assert response.status_code == 422
