"""The register and circular pages: lists with pinned query counts, the export, the forms, the
detail page's actions and tabs, the live reach of a circular, the customer page's tab."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from salesdesk.core.models import ExportLog, Notification, OutboxMessage
from salesdesk.core.registries import panels_for
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers.models import Customer
from salesdesk.office import services
from salesdesk.office.models import Circular, Correspondence

from .factories import CorrespondenceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


def item(personas, **over):
    return CorrespondenceFactory(created_by=personas["clerk"], **over)


# --- the register list ----------------------------------------------------------------------

# session, user, the user's and the groups' permissions, the user's groups (roles), count,
# heartbeat, unread notifications, handlers (the filter's choices), rows with their customer,
# handler and registrar joined
REGISTER_PAGE_QUERIES = 10


def test_register_list_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas, customer_of):
    from salesdesk.core.jobs import beat

    beat()
    client = as_user("clerk")
    item(personas, customer=customer_of("sales1"), routed_to=personas["gm"])
    client.get("/office/correspondence/")

    with query_budget(REGISTER_PAGE_QUERIES):
        client.get("/office/correspondence/")
    for _ in range(20):
        item(personas, customer=customer_of("sales2"), routed_to=personas["finance"])
    with query_budget(REGISTER_PAGE_QUERIES):
        response = client.get("/office/correspondence/")
    assert response.status_code == 200
    assert response.context["table"].paginator.count == 21


def test_register_list_answers_the_htmx_partial_filtered(as_user, personas):
    item(personas, subject="厂家来函", channel="maker_mail")
    item(personas, subject="客户来电", channel="call")

    html = as_user("clerk").get("/office/correspondence/?channel=maker_mail", HTTP_HX_REQUEST="true").content.decode()

    assert 'id="correspondence-table"' in html and "<nav" not in html
    assert "厂家来函" in html and "客户来电" not in html


def test_register_list_shows_a_salesperson_only_what_they_may_see(as_user, personas, customer_of):
    item(personas, subject="自己的客户", customer=customer_of("sales1"))
    item(personas, subject="同组的客户", customer=customer_of("sales3"))

    html = as_user("sales1").get("/office/correspondence/").content.decode()

    assert "自己的客户" in html and "同组的客户" not in html


def test_register_list_searches_by_customer_code(as_user, personas, customer_of):
    customer = customer_of("sales1")
    item(personas, subject="有客户", customer=customer)
    item(personas, subject="无客户")

    html = as_user("clerk").get(f"/office/correspondence/?q={customer.code}", HTTP_HX_REQUEST="true").content.decode()

    assert "有客户" in html and "无客户" not in html


def test_clerk_exports_the_filtered_register_and_the_export_is_logged(as_user, personas):
    item(personas, subject="来函一", direction="in")
    item(personas, subject="去函二", direction="out")

    response = as_user("clerk").get("/office/correspondence/?direction=out&export=xlsx")

    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert "王丽" in sheet["A1"].value
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert [r[6] for r in rows] == ["去函二"]
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows) == (personas["clerk"], "office.correspondence", 1)


def test_salesperson_may_not_export_and_nothing_is_logged(as_user, personas):
    response = as_user("sales1").get("/office/correspondence/?export=xlsx")

    assert response.status_code == 403
    assert not ExportLog.objects.exists()


def test_hr_may_not_open_the_register(as_user):
    assert as_user("hr").get("/office/correspondence/").status_code == 403


# --- the form -------------------------------------------------------------------------------


def test_register_form_registers_and_routes(as_user, personas, customer_of):
    customer = customer_of("sales1")

    response = as_user("clerk").post("/office/correspondence/new/", {
        "direction": "in", "channel": "fax", "received_on": "2026-03-02", "customer": customer.pk,
        "counterpart": "", "reference": "", "subject": "传真订货意向", "summary": "",
        "routed_to": personas["sales1"].pk, "deadline": "2026-03-05",
    })

    created = Correspondence.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/office/correspondence/{created.pk}/"
    assert (created.customer, created.counterpart, created.routed_to) == (customer, customer.name, personas["sales1"])
    assert Notification.objects.get().recipient == personas["sales1"]


def test_register_form_shows_errors_in_chinese_and_writes_nothing(as_user):
    response = as_user("clerk").post("/office/correspondence/new/", {"direction": "in", "channel": "call",
                                                                      "received_on": "2026-03-02"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "这个字段是必填项。" in html  # the subject
    assert "请填写来文/收文单位或选择客户" not in html  # the service is not reached with an invalid form
    assert not Correspondence.objects.exists()


def test_register_form_without_counterpart_or_customer_shows_the_services_refusal(as_user):
    response = as_user("clerk").post("/office/correspondence/new/", {
        "direction": "in", "channel": "call", "received_on": "2026-03-02", "subject": "来电"})

    assert "请填写来文/收文单位或选择客户" in response.content.decode()
    assert not Correspondence.objects.exists()


def test_register_form_preselects_the_customer_and_lists_only_it(as_user, personas, customer_of):
    chosen = customer_of("sales1")
    other = customer_of("sales1")

    html = as_user("clerk").get(f"/office/correspondence/new/?customer={chosen.pk}").content.decode()

    assert f'<option value="{chosen.pk}" selected>' in html
    assert other.name not in html  # the whole customer file is never rendered


def test_customer_picker_offers_only_visible_customers(as_user, personas, customer_of):
    own = customer_of("sales1", name="北京华远贸易有限公司")
    customer_of("sales2", name="北京华远机械有限公司")
    from salesdesk.core.lib.pinyin import search_key

    Customer.objects.update(search_text=search_key("北京华远"))

    html = as_user("sales1").get("/office/correspondence/customers/?customer_q=华远").content.decode()

    assert own.name in html and "机械" not in html


def test_edit_form_corrects_an_item(as_user, personas):
    target = services.register_correspondence(actor=personas["clerk"], direction="in", channel="call",
                                              counterpart="某公司", subject="来电")

    response = as_user("clerk").post(f"/office/correspondence/{target.pk}/edit/", {
        "channel": "call", "received_on": target.received_on.isoformat(), "counterpart": "某公司",
        "subject": "来电咨询价格", "routed_to": "", "deadline": "",
    })

    assert response.status_code == 302
    assert Correspondence.objects.get().subject == "来电咨询价格"


def test_salesperson_may_not_edit_an_item_only_routed_to_them(as_user, personas, customer_of):
    target = item(personas, customer=customer_of("sales2"), routed_to=personas["sales1"])

    assert as_user("sales1").get(f"/office/correspondence/{target.pk}/edit/").status_code == 403


# --- the detail page ------------------------------------------------------------------------


def test_detail_offers_the_clerk_routing_and_completing(as_user, personas):
    target = item(personas)

    html = as_user("clerk").get(f"/office/correspondence/{target.pk}/").content.decode()

    assert 'id="route-form"' in html and 'id="complete-form"' in html and 'id="file-form"' not in html
    assert "附件" in html and "变更记录" in html


def test_detail_offers_the_handler_only_completing(as_user, personas):
    target = item(personas, routed_to=personas["gm"])

    html = as_user("gm").get(f"/office/correspondence/{target.pk}/").content.decode()

    assert 'id="complete-form"' in html and 'id="route-form"' not in html


def test_detail_of_an_item_the_salesperson_may_not_see_is_404(as_user, personas, customer_of):
    target = item(personas, customer=customer_of("sales3"))

    assert as_user("sales1").get(f"/office/correspondence/{target.pk}/").status_code == 404


def test_route_complete_and_file_from_the_detail_page(as_user, personas):
    target = item(personas)
    client = as_user("clerk")
    url = f"/office/correspondence/{target.pk}/"

    client.post(url + "route/", {"routed_to": personas["gm"].pk, "deadline": "2026-12-01"})
    client.post(url + "complete/", {"result": "总经理批示：同意"})
    response = client.post(url + "file/", {"archive_no": "2026-收-031"})

    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.routed_to, target.status, target.result, target.archive_no) == (
        personas["gm"], "filed", "总经理批示：同意", "2026-收-031")
    assert Notification.objects.filter(recipient=personas["gm"]).count() == 1


def test_a_refused_action_comes_back_as_a_message(as_user, personas):
    target = item(personas)

    response = as_user("clerk").post(f"/office/correspondence/{target.pk}/file/", {"archive_no": "X"}, follow=True)

    assert "不能变为" in response.content.decode()
    assert Correspondence.objects.get().status == "open"


def test_history_tab_shows_who_changed_what(as_user, personas):
    target = services.register_correspondence(actor=personas["clerk"], direction="in", channel="letter",
                                              counterpart="某公司", subject="旧标题")
    services.edit_correspondence(actor=personas["clerk"], item=target, changes={"subject": "新标题"})

    html = as_user("clerk").get(f"/office/correspondence/{target.pk}/?tab=history",
                                HTTP_HX_REQUEST="true").content.decode()

    assert "旧标题" in html and "新标题" in html and "王丽" in html


def test_the_handler_may_attach_a_scan(as_user, personas):
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.uploadedfile import SimpleUploadedFile

    target = item(personas, routed_to=personas["gm"])
    ct = ContentType.objects.get_for_model(Correspondence)
    scan = SimpleUploadedFile("回函.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")

    response = as_user("gm").post(f"/core/attachments/{ct.pk}/{target.pk}/upload/", {"file": scan})

    assert response.status_code == 302
    from salesdesk.core.models import Attachment

    assert Attachment.objects.get().original_name == "回函.pdf"


# --- circulars ------------------------------------------------------------------------------

# session, user, permissions (2), roles, count, heartbeat, unread notifications, rows with their
# sender and recipient counts (subqueries)
CIRCULAR_PAGE_QUERIES = 9


def test_circular_list_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas, customer_of):
    from salesdesk.core.jobs import beat

    beat()
    client = as_user("clerk")
    services.send_circular(actor=personas["clerk"], kind="letter", subject="x", body="x",
                           customers=[customer_of("sales1")])
    client.get("/office/circulars/")

    with query_budget(CIRCULAR_PAGE_QUERIES):
        client.get("/office/circulars/")
    for _ in range(5):
        services.send_circular(actor=personas["clerk"], kind="policy", subject="y", body="y",
                               customers=[customer_of("sales1"), customer_of("sales2")])
    with query_budget(CIRCULAR_PAGE_QUERIES):
        response = client.get("/office/circulars/")
    assert response.context["table"].paginator.count == 6


def test_circular_form_shows_the_reach_of_all_visible_customers(as_user, personas, customer_of):
    customer_of("sales1", email="a@buyer.cn")
    customer_of("sales1", email="")
    customer_of("sales2")

    response = as_user("sales1").get("/office/circulars/new/")

    assert (response.context["reach_total"], response.context["reach_emailed"], response.context["reach_to_post"]) == (
        2, 1, 1)
    assert "发送给 2 家客户" in response.content.decode()


def test_circular_preview_counts_the_filtered_customers_live(as_user, personas, customer_of):
    customer_of("sales1", level="A")
    customer_of("sales2", level="A")
    customer_of("sales2", level="B")

    response = as_user("clerk").get("/office/circulars/preview/?level=A", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.context["reach_total"] == 2
    assert 'id="send-label" hx-swap-oob="true"' in html and "发送给 2 家客户" in html


def test_circular_form_sends_to_a_customer_given_from_its_page(as_user, personas, customer_of):
    customer = customer_of("sales1", email="boss@buyer.cn")
    customer_of("sales1")
    client = as_user("sales1")

    page = client.get(f"/office/circulars/new/?customers={customer.pk}")
    response = client.post("/office/circulars/new/", {
        "kind": "letter", "subject": "业务联系函", "body": "请确认对账单。", "customers": [customer.pk]})

    assert page.context["reach_total"] == 1
    circular = Circular.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/office/circulars/{circular.pk}/"
    assert list(circular.recipients.values_list("customer_id", flat=True)) == [customer.pk]
    assert [m.payload["to"] for m in OutboxMessage.objects.filter(kind="mail")] == [["boss@buyer.cn"]]


def test_circular_form_sends_to_a_filter(as_user, personas, customer_of):
    customer_of("sales1", region="华东")
    customer_of("sales2", region="华北")

    as_user("clerk").post("/office/circulars/new/", {
        "kind": "policy", "subject": "华东区政策", "body": "正文", "region": "华东"})

    circular = Circular.objects.get()
    assert circular.filters == {"region": "华东"}
    assert circular.recipients.count() == 1


def test_circular_form_may_not_name_another_salespersons_customer(as_user, personas, customer_of):
    theirs = customer_of("sales2")

    response = as_user("sales1").post("/office/circulars/new/", {
        "kind": "letter", "subject": "函", "body": "正文", "customers": [theirs.pk]})

    assert response.status_code == 200  # the form again, with the error
    assert not Circular.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_circular_detail_lists_who_received_what(as_user, personas, customer_of):
    emailed = customer_of("sales1", email="a@buyer.cn")
    posted = customer_of("sales1", email="")
    sent = services.send_circular(actor=personas["clerk"], kind="policy", subject="调价通知", body="正文",
                                  customers=[emailed, posted])

    html = as_user("clerk").get(f"/office/circulars/{sent.circular.pk}/").content.decode()

    assert "调价通知" in html and "a@buyer.cn" in html and "无电子邮箱，需打印邮寄" in html
    assert emailed.name in html and posted.name in html


def test_print_page_holds_one_letter_per_customer_without_email(as_user, personas, customer_of):
    emailed = customer_of("sales1", email="a@buyer.cn")
    posted = customer_of("sales1", email="", address="上海市浦东新区世纪大道100号")
    sent = services.send_circular(actor=personas["clerk"], kind="letter", subject="对账函", body="请核对附表。",
                                  customers=[emailed, posted])

    html = as_user("clerk").get(f"/office/circulars/{sent.circular.pk}/print/").content.decode()

    assert html.count('class="letter"') == 1
    assert f"尊敬的{posted.name}" in html and "上海市浦东新区世纪大道100号" in html
    assert emailed.name not in html
    assert f"发文字号：{sent.circular.number}" in html


def test_finance_sees_circulars_but_may_not_send(as_user):
    client = as_user("finance")

    assert client.get("/office/circulars/").status_code == 200
    assert client.get("/office/circulars/new/").status_code == 403


# --- menu and the customer page's tab ---------------------------------------------------------


def test_menu_offers_the_register_and_circulars_to_the_clerk_not_to_hr(personas):
    from salesdesk.core.navigation import menu_for

    assert {"correspondence", "circulars"} <= {i.key for i in menu_for(personas["clerk"])}
    assert not {"correspondence", "circulars"} & {i.key for i in menu_for(personas["hr"])}


def test_customer_tab_lists_its_correspondence_and_circulars(personas, customer_of):
    customer = customer_of("sales1")
    item(personas, customer=customer, subject="客户来函")
    item(personas, subject="别的来函")
    services.send_circular(actor=personas["clerk"], kind="policy", subject="价格政策", body="x", customers=[customer])
    request = RequestFactory().get("/")
    request.user = personas["sales1"]

    panel = next(p for p in panels_for(Customer, personas["sales1"], customer) if p.key == "correspondence")
    html = render_to_string(panel.template, {"object": customer, **panel.context(request, customer)}, request=request)

    assert str(panel.label) == "往来函件"
    assert "客户来函" in html and "别的来函" not in html and "价格政策" in html
    assert f"/office/circulars/new/?customers={customer.pk}" in html


def test_customer_tab_is_hidden_from_roles_outside_the_register(personas, customer_of):
    customer = customer_of("sales1")

    assert "correspondence" not in {p.key for p in panels_for(Customer, personas["warehouse"], customer)}


def test_overdue_items_are_marked_on_the_list(as_user, personas):
    item(personas, deadline=timezone.localdate() - timezone.timedelta(days=2), subject="超期件")

    html = as_user("clerk").get("/office/correspondence/?overdue=true", HTTP_HX_REQUEST="true").content.decode()

    assert "超期件" in html and "text-danger" in html
