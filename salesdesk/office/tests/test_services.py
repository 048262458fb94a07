"""The register's services: numbers, routing with notification, the open → done → filed life,
and circulars that record who got what and mail each address once, through the outbox."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.models import Notification, OutboxMessage
from salesdesk.office import services
from salesdesk.office.models import Circular, CircularRecipient, Correspondence

pytestmark = pytest.mark.django_db


def register(actor, **over):
    data = {"direction": "in", "channel": "letter", "counterpart": "华远集团", "subject": "关于调整供货价格的函"}
    data.update(over)
    return services.register_correspondence(actor=actor, **data)


def mails():
    return list(OutboxMessage.objects.filter(kind="mail").order_by("id"))


# --- numbers --------------------------------------------------------------------------------


def test_incoming_and_outgoing_items_take_rw_and_fw_numbers_of_the_day(personas):
    today = timezone.localdate().strftime("%Y%m%d")

    first_in = register(personas["clerk"])
    second_in = register(personas["clerk"])
    first_out = register(personas["clerk"], direction="out")

    assert (first_in.number, second_in.number, first_out.number) == (
        f"RW{today}-0001", f"RW{today}-0002", f"FW{today}-0001"
    )


def test_circular_number_is_prefix_year_in_hexagonal_brackets_and_plain_sequence(personas, customer_of, settings):
    settings.OUTGOING_DOC_PREFIX = "华远销"
    customer_of("sales1")
    year = timezone.localdate().year

    numbers = [services.send_circular(actor=personas["clerk"], kind="policy", subject=f"通知{i}", body="正文",
                                      filters={}).circular.number for i in range(2)]

    assert numbers == [f"华远销〔{year}〕1号", f"华远销〔{year}〕2号"]


def test_circular_number_prefix_defaults_to_xiao():
    assert services.circular_number(5, 2026) == "销〔2026〕5号"


# --- routing --------------------------------------------------------------------------------


def test_routing_notifies_the_handler_in_the_app_and_by_mail(personas):
    item = register(personas["clerk"])
    deadline = timezone.localdate() + timezone.timedelta(days=3)

    services.route_correspondence(actor=personas["clerk"], item=item, routed_to=personas["gm"], deadline=deadline)

    note = Notification.objects.get()
    assert note.recipient == personas["gm"]
    assert note.title == f"收发文待办 {item.number}：关于调整供货价格的函"
    assert f"办理期限 {deadline:%Y-%m-%d}" in note.body
    assert note.url == f"/office/correspondence/{item.pk}/"
    assert [m.payload["to"] for m in mails()] == [["gm@example.com"]]
    item.refresh_from_db()
    assert (item.routed_to, item.deadline) == (personas["gm"], deadline)


def test_registering_with_a_handler_notifies_them(personas):
    register(personas["clerk"], routed_to=personas["finance"])

    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["finance"]


def test_routing_to_oneself_notifies_nobody(personas):
    register(personas["clerk"], routed_to=personas["clerk"])

    assert not Notification.objects.exists()
    assert not mails()


def test_routing_to_someone_outside_the_register_is_refused_and_writes_nothing(personas):
    with pytest.raises(InvalidInput) as refused:
        register(personas["clerk"], routed_to=personas["warehouse"])

    assert refused.value.code == "invalid_routee"
    assert not Correspondence.objects.exists()
    assert not Notification.objects.exists()


# --- who may register -----------------------------------------------------------------------


def test_salesperson_registers_items_about_their_own_customers(personas, customer_of):
    own = customer_of("sales1")

    item = register(personas["sales1"], customer=own, counterpart="")

    assert (item.customer, item.counterpart, item.created_by) == (own, own.name, personas["sales1"])


def test_salesperson_may_not_register_about_another_salespersons_customer(personas, customer_of):
    theirs = customer_of("sales3")

    with pytest.raises(Http404):
        register(personas["sales1"], customer=theirs)

    assert not Correspondence.objects.exists()


def test_finance_may_not_register(personas):
    with pytest.raises(PermissionDenied):
        register(personas["finance"])

    assert not Correspondence.objects.exists()


# --- open → done → filed --------------------------------------------------------------------


def test_the_handler_records_the_result_and_the_registrar_is_told(personas):
    item = register(personas["clerk"], routed_to=personas["manager"])

    services.complete_correspondence(actor=personas["manager"], item=item, result="已回函同意调价")

    item.refresh_from_db()
    assert (item.status, item.result) == ("done", "已回函同意调价")
    told = Notification.objects.get(recipient=personas["clerk"])
    assert told.title.startswith(f"已办结 {item.number}")
    assert item.history.first().history_user == personas["manager"]


def test_someone_else_may_not_complete_an_item(personas):
    item = register(personas["clerk"], routed_to=personas["manager"])

    with pytest.raises(PermissionDenied):
        services.complete_correspondence(actor=personas["finance"], item=item, result="看过了")

    item.refresh_from_db()
    assert (item.status, item.result) == ("open", "")


def test_completing_needs_a_result(personas):
    item = register(personas["clerk"])

    with pytest.raises(InvalidInput):
        services.complete_correspondence(actor=personas["clerk"], item=item, result="  ")

    assert Correspondence.objects.get().status == "open"


def test_an_open_item_cannot_be_filed(personas):
    item = register(personas["clerk"])

    with pytest.raises(DomainError) as refused:
        services.file_correspondence(actor=personas["clerk"], item=item, archive_no="2026-收-001")

    assert refused.value.code == "correspondence_state"
    assert Correspondence.objects.get().archive_no == ""


def test_a_filed_item_keeps_its_archive_number_and_no_longer_changes(personas):
    item = register(personas["clerk"])
    services.complete_correspondence(actor=personas["clerk"], item=item, result="已阅")
    services.file_correspondence(actor=personas["clerk"], item=item, archive_no="2026-收-001")
    versions = item.history.count()

    with pytest.raises(DomainError):
        services.edit_correspondence(actor=personas["clerk"], item=item, changes={"subject": "改标题"})

    item.refresh_from_db()
    assert (item.status, item.archive_no, item.subject) == ("filed", "2026-收-001", "关于调整供货价格的函")
    assert item.history.count() == versions


def test_editing_records_who_changed_what(personas):
    item = register(personas["clerk"])

    services.edit_correspondence(actor=personas["clerk"], item=item, changes={"subject": "关于供货价格的复函"})

    latest = item.history.first()
    assert latest.history_user == personas["clerk"]
    assert latest.subject == "关于供货价格的复函"


def test_rerouting_by_edit_notifies_the_new_handler(personas):
    item = register(personas["clerk"], routed_to=personas["gm"])
    Notification.objects.all().delete()

    services.edit_correspondence(actor=personas["clerk"], item=item, changes={"routed_to": personas["finance"]})

    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["finance"]


# --- circulars ------------------------------------------------------------------------------


def test_circular_to_a_filtered_set_mails_each_address_once_and_marks_the_rest_for_post(personas, customer_of):
    a = customer_of("sales1", email="a@buyer.cn", region="华东")
    b = customer_of("sales1", email="b@buyer.cn", region="华东")
    c = customer_of("sales1", email="", region="华东")
    customer_of("sales1", email="elsewhere@buyer.cn", region="华北")
    customer_of("sales2", email="other@buyer.cn", region="华东")

    sent = services.send_circular(
        actor=personas["clerk"], kind="policy", subject="2026年第三季度价格政策", body="自7月1日起执行新价格。",
        filters={"salesperson_id": personas["sales1"].pk, "region": "华东"},
    )

    assert (sent.recipients, sent.emailed, sent.to_post) == (3, 2, 1)
    rows = {r.customer_id: (r.email, r.delivered, r.note) for r in CircularRecipient.objects.all()}
    assert rows == {
        a.pk: ("a@buyer.cn", True, ""), b.pk: ("b@buyer.cn", True, ""), c.pk: ("", False, "无电子邮箱，需打印邮寄"),
    }
    queued = mails()
    assert sorted(m.payload["to"][0] for m in queued) == ["a@buyer.cn", "b@buyer.cn"]
    assert all(m.payload["subject"] == f"2026年第三季度价格政策（{sent.circular.number}）" for m in queued)
    assert f"尊敬的{a.name}" in next(m for m in queued if m.payload["to"] == ["a@buyer.cn"]).payload["body"]
    assert sent.circular.filters == {"salesperson_id": personas["sales1"].pk, "region": "华东"}


def test_circular_sends_nothing_when_the_transaction_rolls_back(personas, customer_of):
    customer_of("sales1")
    customer_of("sales3")

    with pytest.raises(RuntimeError), transaction.atomic():
        services.send_circular(actor=personas["clerk"], kind="letter", subject="函", body="正文", filters={})
        raise RuntimeError("the request failed after the service")

    assert not mails()
    assert not Circular.objects.exists()
    assert not CircularRecipient.objects.exists()


def test_circular_goes_to_the_primary_contact(personas, customer_of):
    from salesdesk.customers.tests.factories import ContactFactory

    customer = customer_of("sales1", email=None)
    ContactFactory(customer=customer, name="出纳", email="cashier@buyer.cn")
    ContactFactory(customer=customer, name="采购经理", email="buyer@buyer.cn", is_primary=True)

    services.send_circular(actor=personas["clerk"], kind="letter", subject="函", body="正文", customers=[customer])

    recipient = CircularRecipient.objects.get()
    assert (recipient.contact_name, recipient.email) == ("采购经理", "buyer@buyer.cn")
    assert [m.payload["to"] for m in mails()] == [["buyer@buyer.cn"]]


def test_salesperson_may_not_include_another_salespersons_customer(personas, customer_of):
    own = customer_of("sales1")
    team_mates = customer_of("sales3")

    with pytest.raises(Http404):
        services.send_circular(actor=personas["sales1"], kind="letter", subject="函", body="正文",
                               customers=[own, team_mates])

    assert not Circular.objects.exists()
    assert not mails()


def test_salesperson_filter_reaches_only_their_own_customers(personas, customer_of):
    own = customer_of("sales1")
    customer_of("sales3")
    customer_of("sales2")

    sent = services.send_circular(actor=personas["sales1"], kind="notice", subject="通知", body="正文", filters={})

    assert list(CircularRecipient.objects.values_list("customer_id", flat=True)) == [own.pk]
    assert sent.circular.created_by == personas["sales1"]


def test_archived_customers_are_left_out_of_a_filter(personas, customer_of):
    kept = customer_of("sales1")
    customer_of("sales1", archived=True)

    services.send_circular(actor=personas["clerk"], kind="notice", subject="通知", body="正文", filters={})

    assert list(CircularRecipient.objects.values_list("customer_id", flat=True)) == [kept.pk]


def test_a_circular_that_reaches_nobody_is_refused(personas):
    with pytest.raises(InvalidInput) as refused:
        services.send_circular(actor=personas["clerk"], kind="notice", subject="通知", body="正文",
                               filters={"region": "火星"})

    assert refused.value.code == "no_recipients"
    assert not Circular.objects.exists()


def test_a_circular_beyond_the_recipient_limit_is_refused(personas, customer_of, settings):
    settings.CIRCULAR_MAX_RECIPIENTS = 1
    customer_of("sales1")
    customer_of("sales2")

    with pytest.raises(InvalidInput) as refused:
        services.send_circular(actor=personas["clerk"], kind="notice", subject="通知", body="正文", filters={})

    assert refused.value.code == "too_many_recipients"
    assert not mails()


def test_finance_may_not_send_circulars(personas, customer_of):
    customer_of("sales1")

    with pytest.raises(PermissionDenied):
        services.send_circular(actor=personas["finance"], kind="notice", subject="通知", body="正文", filters={})

    assert not Circular.objects.exists()
