"""The sales detail ledger (销售明细账): rows, running balance against a naive oracle, visibility per
persona, filters, document links, pinned query counts, and the API."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.core.lib.money import from_fen, to_fen
from salesdesk.core.testing.queries import query_budget
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.ledger.choices import MONEY_KINDS, FactKind
from salesdesk.ledger.models import Fact
from salesdesk.ledger.services import FactInput, Share, record
from salesdesk.reports import detail_ledger as ledger
from salesdesk.reports.detail_ledger import LedgerFilter

pytestmark = pytest.mark.django_db

SOURCES = {
    FactKind.BOOKED: "order", FactKind.UNBOOKED: "order", FactKind.SHIPPED: "shipment", FactKind.RETURNED: "return",
    FactKind.INVOICED: "invoice", FactKind.CREDITED: "invoice", FactKind.RECEIVED: "payment",
    FactKind.REFUNDED: "payment", FactKind.WRITTEN_OFF: "write_off", FactKind.OPENING: "opening",
}
SIGN = {FactKind.SHIPPED: 1, FactKind.RETURNED: 1, FactKind.OPENING: 1,
        FactKind.RECEIVED: -1, FactKind.REFUNDED: -1, FactKind.WRITTEN_OFF: -1}


def fact(actor, *, kind, day: date, amount: str, customer, salesperson, product=None, quantity: str | None = None,
         tax: str = "0", source_id: int = 1, negative: bool = False, shares=None):
    """One event recorded as documents record it (one fact per credit share)."""
    money = kind in MONEY_KINDS
    return record([FactInput(
        kind=kind, business_date=day, amount=Decimal(amount), tax=Decimal(tax), customer_id=customer.pk,
        source_kind=SOURCES[kind], source_id=source_id,
        shares=shares or [Share(salesperson.pk, Decimal(1), salesperson.team_id)],
        product_id=None if money else (product.pk if product else None),
        quantity=None if money or quantity is None else Decimal(quantity), negative=negative,
    )], actor=actor)


def naive_balances(facts) -> dict[int, Decimal]:
    """Fact id → the customer's balance after it: a plain loop over the facts in ledger order."""
    running: dict[int, int] = defaultdict(int)
    out = {}
    for f in sorted(facts, key=lambda f: (f.business_date, f.pk)):
        running[f.customer_id] += SIGN.get(f.kind, 0) * to_fen(f.amount)
        out[f.pk] = from_fen(running[f.customer_id])
    return out


def _history(personas):
    """Two customers (sales1's, sales2's), goods out and back, money in and out, an opening."""
    clerk, s1, s2 = personas["clerk"], personas["sales1"], personas["sales2"]
    a, b = CustomerFactory(salesperson=s1), CustomerFactory(salesperson=s2)
    p = ProductFactory()
    d = date(2026, 10, 1)
    fact(clerk, kind=FactKind.OPENING, day=d, amount="500.00", customer=a, salesperson=s1)
    fact(clerk, kind=FactKind.BOOKED, day=d, amount="1130.00", tax="130.00", quantity="10", customer=a,
         salesperson=s1, product=p)
    fact(clerk, kind=FactKind.SHIPPED, day=d + timedelta(days=2), amount="1130.00", tax="130.00", quantity="10",
         customer=a, salesperson=s1, product=p)
    fact(clerk, kind=FactKind.RETURNED, day=d + timedelta(days=3), amount="113.00", tax="13.00", quantity="1",
         customer=a, salesperson=s1, product=p)
    fact(clerk, kind=FactKind.RECEIVED, day=d + timedelta(days=4), amount="600.00", customer=a, salesperson=s1)
    fact(clerk, kind=FactKind.REFUNDED, day=d + timedelta(days=5), amount="50.00", customer=a, salesperson=s1)
    fact(clerk, kind=FactKind.WRITTEN_OFF, day=d + timedelta(days=6), amount="17.00", customer=a, salesperson=s1)
    fact(clerk, kind=FactKind.SHIPPED, day=d + timedelta(days=2), amount="226.00", tax="26.00", quantity="3",
         customer=b, salesperson=s2, product=p)
    return a, b, p


def test_each_row_carries_the_fact_and_its_customers_balance(personas):
    a, _, p = _history(personas)

    rows = ledger.ledger_page(personas["clerk"], LedgerFilter(customer_id=a.pk)).rows

    assert [(r.kind, r.debit, r.credit, r.balance) for r in rows] == [
        ("opening", Decimal("500.00"), Decimal("0.00"), Decimal("500.00")),
        ("booked", Decimal("0.00"), Decimal("0.00"), Decimal("500.00")),
        ("shipped", Decimal("1130.00"), Decimal("0.00"), Decimal("1630.00")),
        ("returned", Decimal("0.00"), Decimal("113.00"), Decimal("1517.00")),
        ("received", Decimal("0.00"), Decimal("600.00"), Decimal("917.00")),
        ("refunded", Decimal("50.00"), Decimal("0.00"), Decimal("967.00")),
        ("written_off", Decimal("0.00"), Decimal("17.00"), Decimal("950.00")),
    ]
    shipped = rows[2]
    assert (shipped.quantity, shipped.unit_price, shipped.tax, shipped.product_sku) == (
        Decimal("10.000"), Decimal("113.000000"), Decimal("130.00"), p.sku)
    assert shipped.customer == a.name and shipped.salesperson == personas["sales1"].display_name


def test_the_balance_ignores_the_date_kind_and_product_filters(personas):
    _history(personas)

    rows = ledger.ledger_page(personas["clerk"], LedgerFilter(start=date(2026, 10, 5), kind="received")).rows

    assert [(r.kind, r.balance) for r in rows] == [("received", Decimal("917.00"))]


def test_a_salesperson_sees_only_their_facts_and_a_manager_their_teams(personas):
    _history(personas)
    s1, s2 = personas["sales1"].pk, personas["sales2"].pk

    def seen(username):
        return {r.salesperson_id for r in ledger.ledger_page(personas[username], LedgerFilter(), limit=500).rows}

    assert seen("sales1") == {s1}
    assert seen("sales3") == set()
    assert seen("manager") == {s1}
    assert seen("clerk") == seen("gm") == seen("finance") == {s1, s2}
    assert seen("hr") == seen("warehouse") == set()


def test_a_shared_document_shows_only_the_users_share_and_balance(personas):
    clerk, s1, s2 = personas["clerk"], personas["sales1"], personas["sales2"]
    c = CustomerFactory(salesperson=s1)
    shares = [Share(s1.pk, Decimal("0.6"), s1.team_id), Share(s2.pk, Decimal("0.4"), s2.team_id)]
    fact(clerk, kind=FactKind.SHIPPED, day=date(2026, 10, 9), amount="1000.00", customer=c, salesperson=s1,
         shares=shares)

    mine = ledger.ledger_page(s1, LedgerFilter()).rows
    everything = ledger.ledger_page(clerk, LedgerFilter()).rows

    assert [(r.amount, r.balance) for r in mine] == [(Decimal("600.00"), Decimal("600.00"))]
    assert [r.balance for r in everything] == [Decimal("600.00"), Decimal("1000.00")]


KIND = st.sampled_from([FactKind.BOOKED, FactKind.UNBOOKED, FactKind.SHIPPED, FactKind.RETURNED, FactKind.INVOICED,
                        FactKind.RECEIVED, FactKind.REFUNDED, FactKind.WRITTEN_OFF, FactKind.OPENING])
EVENT = st.tuples(KIND, st.integers(0, 40), st.integers(1, 10**7), st.integers(0, 2), st.integers(0, 1),
                  st.booleans())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(EVENT, min_size=1, max_size=25), start=st.integers(0, 40), span=st.integers(0, 40),
       kind=st.one_of(st.none(), KIND), limit=st.integers(1, 30))
def test_running_balances_equal_naive_sums_on_every_page_and_in_the_export(personas, events, start, span, kind,
                                                                           limit):
    from django.db import transaction

    with transaction.atomic():
        people = [personas["sales1"], personas["sales3"], personas["sales2"]]
        customers = [CustomerFactory(salesperson=people[0]), CustomerFactory(salesperson=people[2])]
        product = ProductFactory()
        day0 = date(2026, 9, 1)
        for i, (k, day, fen, who, cust, neg) in enumerate(events):
            fact(personas["clerk"], kind=k, day=day0 + timedelta(days=day), amount=str(from_fen(fen)),
                 customer=customers[cust], salesperson=people[who], product=product, quantity="3", source_id=i + 1,
                 negative=neg and k == FactKind.OPENING)
        f = LedgerFilter(start=day0 + timedelta(days=start), end=day0 + timedelta(days=start + span), kind=kind)
        for username in ("clerk", "sales1", "manager"):
            user = personas[username]
            visible = list(Fact.objects.visible_to(user))
            oracle = naive_balances(visible)
            expected = [x.pk for x in sorted(visible, key=lambda x: (x.business_date, x.pk))
                        if f.start <= x.business_date <= f.end and (kind is None or x.kind == kind)]
            paged = []
            offset = 0
            while True:
                page = ledger.ledger_page(user, f, limit=limit, offset=offset)
                paged += page.rows
                offset += limit
                if offset >= page.count:
                    break
            assert [r.id for r in paged] == expected
            assert all(r.balance == oracle[r.id] for r in paged)
            exported = list(ledger.iter_rows(user, f))
            assert [(r.id, r.balance) for r in exported] == [(r.id, r.balance) for r in paged]
        transaction.set_rollback(True)


def test_document_links_come_from_the_source_kind_and_unknown_kinds_have_none():
    assert ledger.source_url("order", 7) == "/orders/7/"
    assert ledger.source_url("payment", 3) == "/finance/payments/3/"
    assert ledger.source_url("opening", 3) == "/finance/adjust/opening/"
    assert ledger.source_url("carrier_pigeon", 3) is None


def test_unit_price_is_amount_over_quantity_only_with_a_quantity():
    assert ledger.unit_price(Decimal("100.00"), Decimal("3.000")) == Decimal("33.333333")
    assert ledger.unit_price(Decimal("100.00"), None) is None
    assert ledger.unit_price(Decimal("100.00"), Decimal("0")) is None


# --- pages and API -------------------------------------------------------------------------------------------


def _many(personas, n, customer, day=date(2026, 10, 10)):
    s1 = personas["sales1"]
    for i in range(n):
        fact(personas["clerk"], kind=FactKind.SHIPPED, day=day, amount="100.00", customer=customer, salesperson=s1,
             source_id=1000 + i)
        fact(personas["clerk"], kind=FactKind.RECEIVED, day=day, amount="40.00", customer=customer, salesperson=s1,
             source_id=1000 + i)
        fact(personas["clerk"], kind=FactKind.BOOKED, day=day, amount="100.00", customer=customer, salesperson=s1,
             source_id=1000 + i)


# session, user, groups, permission check ×2 (view, export), heartbeat, unread count, salespeople (filter),
# count, rows, balances, document numbers: orders, shipments (receivables), payments
LEDGER_PAGE_QUERIES = 14


def test_the_ledger_page_runs_a_fixed_number_of_queries_whatever_the_rows(client, personas):
    from salesdesk.core.jobs import beat

    beat()
    c = CustomerFactory(salesperson=personas["sales1"])
    _many(personas, 2, c)
    client.force_login(personas["clerk"])
    url = "/reports/ledger/?start=2026-10-01&end=2026-10-31"
    client.get(url)
    with query_budget(LEDGER_PAGE_QUERIES):
        assert client.get(url).status_code == 200
    _many(personas, 40, c)
    with query_budget(LEDGER_PAGE_QUERIES):
        response = client.get(url)
    assert response.content.decode().count("data-fact=") == ledger.PAGE_SIZE


def test_the_page_filters_by_customer_code_and_shows_the_balance(client, personas):
    a, b, _ = _history(personas)
    client.force_login(personas["clerk"])

    html = client.get(f"/reports/ledger/?customer={a.code}", HTTP_HX_REQUEST="true").content.decode()

    assert html.count("data-fact=") == 7 and b.name not in html
    assert "950.00" in html and 'href="/orders/1/"' in html


def test_a_salespersons_page_lists_only_their_rows(client, personas):
    a, b, _ = _history(personas)
    client.force_login(personas["sales2"])

    html = client.get("/reports/ledger/?start=2026-10-01&end=2026-10-31").content.decode()

    assert b.name in html and a.name not in html


# token (with its user), the user's and the groups' permissions, the user's groups (visibility), count, rows,
# balances, document numbers: orders, shipments (receivables), payments
LEDGER_API_QUERIES = 10


def test_the_ledger_api_is_paged_with_a_fixed_number_of_queries(api, personas):
    c = CustomerFactory(salesperson=personas["sales1"])
    _many(personas, 2, c)
    clerk = api("clerk")
    clerk.get("/api/v1/reports/ledger?limit=3")
    with query_budget(LEDGER_API_QUERIES):
        first = clerk.get("/api/v1/reports/ledger?limit=3")
    _many(personas, 30, c)
    with query_budget(LEDGER_API_QUERIES):
        body = clerk.get("/api/v1/reports/ledger?limit=3&offset=3").json()

    assert first.json()["count"] == 6 and body["count"] == 96
    item = body["items"][0]
    assert set(item) >= {"date", "customer_id", "salesperson_id", "product_id", "quantity", "unit_price", "amount",
                         "tax", "kind", "source_kind", "source_id", "document", "debit", "credit", "balance"}
    assert isinstance(item["amount"], str) and item["balance"].count(".") == 1


def test_the_ledger_api_answers_a_salesperson_with_their_rows_only(api, personas):
    _history(personas)

    items = api("sales2").get("/api/v1/reports/ledger?limit=500").json()["items"]

    assert {i["salesperson_id"] for i in items} == {personas["sales2"].pk}
    assert [i["balance"] for i in items] == ["226.00"]


def test_the_ledger_api_filters_and_refuses_bad_input(api, personas):
    a, b, _ = _history(personas)
    clerk = api("clerk")

    body = clerk.get(f"/api/v1/reports/ledger?customer_id={a.pk}&kind=received&start=2026-10-01").json()
    assert [(i["kind"], i["credit"], i["balance"]) for i in body["items"]] == [("received", "600.00", "917.00")]
    assert clerk.get("/api/v1/reports/ledger?kind=nonsense").status_code == 422
    assert clerk.get("/api/v1/reports/ledger?start=2026-10-09&end=2026-10-01").status_code == 422
    assert api("sales1").get(f"/api/v1/reports/ledger?customer_id={b.pk}").status_code == 404
    assert api("hr").get("/api/v1/reports/ledger").status_code == 403
