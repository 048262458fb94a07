"""The scheduled report kinds besides the sales report: the HR total, the contract summary and the
waybill notice render each recipient's figures under that recipient's visibility — the same figures
the API answers — and a waybill recipient with nothing that day gets no delivery."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from salesdesk.contracts.tests.factories import make_contract
from salesdesk.customers.models import Customer
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.services import FactInput, Share, record
from salesdesk.reports import deliveries, renderers
from salesdesk.reports.models import ReportDelivery, ReportSchedule
from salesdesk.reports.schedules import period_from_key

from .factories import CustomerFactory, ProductFactory, fact, target

pytestmark = pytest.mark.django_db

OCTOBER = period_from_key("2026-10")


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def sheet_rows(content: bytes, header_row: int, first: str) -> dict[str, list]:
    """{first cell: the row's cells} of the table under ``header_row`` (1-based) up to 合计."""
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = {}
    for cells in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if cells[0] is None and cells[1] is None:
            break
        rows[cells[first]] = list(cells)
    return rows


@pytest.fixture
def october(personas):
    """Facts of three salespeople in October 2026 and sales1's target."""
    product = ProductFactory()
    for owner, amount in (("sales1", "1000.00"), ("sales2", "2500.00"), ("sales3", "400.00")):
        c = CustomerFactory(salesperson=personas[owner])
        fact(personas["clerk"], FactKind.BOOKED, date(2026, 10, 9), amount, customer=c, product=product)
        fact(personas["clerk"], FactKind.SHIPPED, date(2026, 10, 20), amount, customer=c, product=product)
        fact(personas["clerk"], FactKind.RECEIVED, date(2026, 10, 21), "300.00", customer=c)
    target(personas, date(2026, 10, 1), "5000.00", salesperson=personas["sales1"])
    return ReportSchedule.objects.get(code="hr_monthly_total")


def test_hr_total_figures_equal_the_monthly_report_api(october, personas, api):
    out = renderers.render_hr_total(october, OCTOBER, personas["hr"])

    report = api("clerk").get("/api/v1/reports/sales?period=month&date=2026-10-15&group_by=salesperson").json()
    [(_name, content, _)] = out["attachments"]
    excel = sheet_rows(content, renderers.HR_HEADER_ROW + 1, first=1)
    expected = {r["label"]: r for r in report["rows"] if r["key"] is not None}
    assert set(excel) - {"合计"} == set(expected)
    for label, row in expected.items():
        cells = excel[label]
        assert [money(c) for c in cells[3:6]] == [money(row["ordered_amount"]), money(row["shipped_amount"]),
                                                 money(row["received_amount"])]
        assert (cells[7] is None) == (row["target_amount"] is None)
        if row["target_amount"] is not None:
            assert money(cells[7]) == money(row["target_amount"])
    assert personas["sales2"].display_name in out["html"] and "2,500.00" in out["html"]


def test_hr_total_names_no_customers(october, personas):
    out = renderers.render_hr_total(october, OCTOBER, personas["hr"])

    customer_names = list(Customer.objects.values_list("name", flat=True))
    assert customer_names and not any(n in out["html"] or n in out["text"] for n in customer_names)


def test_hr_total_for_a_salesperson_recipient_lists_only_their_own_row(october, personas):
    out = renderers.render_hr_total(october, OCTOBER, personas["sales1"])

    [(_, content, _)] = out["attachments"]
    assert set(sheet_rows(content, renderers.HR_HEADER_ROW + 1, first=1)) == {personas["sales1"].display_name, "合计"}
    assert personas["sales2"].display_name not in out["html"]


def _contracts(personas):
    mine = make_contract(personas, "sales1", activate=True, signed_on=date(2026, 10, 8))
    theirs = make_contract(personas, "sales2", activate=True, signed_on=date(2026, 10, 9))
    record([FactInput(kind=FactKind.RECEIVED, business_date=date(2026, 10, 30), amount=Decimal("5650.00"),
                      customer_id=mine.customer_id, source_kind="t", source_id=1, contract_id=mine.pk,
                      shares=[Share(personas["sales1"].pk, Decimal(1))])], actor=None)
    return mine, theirs


@pytest.mark.parametrize("username", ["gm", "sales1"])
def test_contract_summary_figures_equal_the_api_for_the_recipient(personas, api, username):
    _contracts(personas)
    schedule = ReportSchedule.objects.get(code="contract_summary_monthly")

    out = renderers.render_contract_summary(schedule, OCTOBER, personas[username])

    data = api(username).get("/api/v1/contracts/summary?period=month&date=2026-10-15&group_by=customer").json()
    [(_, content, _)] = out["attachments"]
    ws = openpyxl.load_workbook(io.BytesIO(content)).active
    table = [list(r) for r in ws.iter_rows(values_only=True) if r[0] is not None and r[1] is not None]
    header = next(i for i, r in enumerate(table) if r[0] == "客户")
    excel = {r[0]: r for r in table[header + 1:]}
    expected = {r["label"]: r for r in data["rows"]}
    assert set(excel) - {"合计"} == set(expected)
    for label, row in expected.items():
        assert [excel[label][1], money(excel[label][2]), money(excel[label][4])] == [
            row["contracts"], money(row["value"]), money(row["received_amount"])]


def test_contract_summary_for_a_salesperson_lists_only_their_contracts(personas):
    mine, theirs = _contracts(personas)
    schedule = ReportSchedule.objects.get(code="contract_summary_monthly")

    out = renderers.render_contract_summary(schedule, OCTOBER, personas["sales1"])

    assert mine.customer.name in out["html"] and theirs.customer.name not in out["html"]


def test_waybill_with_no_shipments_makes_no_delivery(personas):
    schedule = ReportSchedule.objects.get(code="waybill_daily")

    made = deliveries.plan_deliveries(schedule, "2026-11-27", now=timezone.make_aware(datetime(2026, 11, 27, 17, 0)))

    assert made == [] and not ReportDelivery.objects.exists()


def test_waybill_recipients_drop_people_without_waybills(personas):
    schedule = ReportSchedule.objects.get(code="waybill_daily")
    everyone = deliveries.recipients(schedule)

    kept = renderers.waybill_recipients(schedule, period_from_key("2026-11-27"), everyone)

    assert {u.username for u in everyone} >= {"sales1", "manager", "warehouse"} and kept == []


# --- overdue receivables ------------------------------------------------------------------------------------

NOV_27 = timezone.make_aware(datetime(2026, 11, 27, 9, 0))


@pytest.fixture
def overdue(personas):
    from salesdesk.commission.tests.factories import receivable

    mine = CustomerFactory(salesperson=personas["sales1"], name="逾期甲公司")
    theirs = CustomerFactory(salesperson=personas["sales2"], name="逾期乙公司")
    receivable(mine, "1200.00", date(2026, 9, 1))  # due 10-01: 57 days past due on 11-27
    receivable(theirs, "800.00", date(2026, 10, 1))  # due 10-31
    receivable(mine, "500.00", date(2026, 11, 20))  # not yet due
    return mine, theirs


def test_overdue_reminder_goes_only_to_people_who_see_an_overdue_receivable(overdue, personas):
    schedule = ReportSchedule.objects.get(code="overdue_receivables")

    made = deliveries.plan_deliveries(schedule, "2026-11-27", now=NOV_27)

    assert {d.recipient.username for d in made} == {"sales1", "sales2", "manager", "clerk"}  # not sales3


def test_overdue_reminder_for_a_salesperson_lists_only_their_overdue_items(overdue, personas):
    schedule = ReportSchedule.objects.get(code="overdue_receivables")

    out = renderers.render_overdue(schedule, period_from_key("2026-11-27"), personas["sales1"])

    sheet = openpyxl.load_workbook(io.BytesIO(out["attachments"][0][1])).active
    rows = [list(r) for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert [(r[0], r[6], money(r[8])) for r in rows] == [("逾期甲公司", 57, money("1200.00"))]
    assert "逾期乙公司" not in out["html"] and "1 笔" in out["subject"]


def test_overdue_reminder_for_the_clerk_totals_every_overdue_item(overdue, personas):
    schedule = ReportSchedule.objects.get(code="overdue_receivables")

    out = renderers.render_overdue(schedule, period_from_key("2026-11-27"), personas["clerk"])

    assert "2 笔" in out["subject"] and "¥2,000.00" in out["subject"]


def test_no_overdue_receivable_means_no_reminder(personas):
    schedule = ReportSchedule.objects.get(code="overdue_receivables")

    assert deliveries.plan_deliveries(schedule, "2026-11-27", now=NOV_27) == []


def test_the_overdue_recipients_are_looked_up_once_the_day_not_every_minute(overdue, personas, monkeypatch):
    schedule = ReportSchedule.objects.get(code="overdue_receivables")
    ReportSchedule.objects.filter(pk=schedule.pk).update(created_at=timezone.make_aware(datetime(2026, 11, 1)))
    calls = []
    real = renderers.overdue_recipients
    monkeypatch.setitem(deliveries.RECIPIENT_FILTERS, "overdue",
                        lambda *a: calls.append(1) or real(*a))

    for minute in (0, 1, 2):  # inside the half hour after 09:00: planned (idempotent)
        deliveries.run_due(timezone.make_aware(datetime(2026, 11, 27, 9, minute)))
    looked_up = len(calls)
    for hour in (10, 11, 15):  # later ticks: the deliveries exist, the ledger is not read again
        deliveries.run_due(timezone.make_aware(datetime(2026, 11, 27, hour, 0)))

    assert looked_up >= 1 and len(calls) == looked_up
    assert ReportDelivery.objects.filter(schedule=schedule, period="2026-11-27").count() == 4
