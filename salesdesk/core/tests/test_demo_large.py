"""``seed_demo --scale large`` at a few thousand order lines (``SALESDESK_DEMO_LINES``): the bulk
path (``BulkInserter``, ``FactWriter``, ``DemoNumbers``) writes what the services would — totals
booked per credit share, roll-ups that agree with the facts, history rows, numbers the counters
have moved past — and every later seeder (finance, logistics, office) still runs on top of it.
The ``demo`` scale is loaded by org/tests/test_seed.py."""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from salesdesk.contracts.models import Contract
from salesdesk.core.demo import DemoContext, DemoNumbers
from salesdesk.core.lib.pinyin import search_key
from salesdesk.core.models import NumberCounter
from salesdesk.core.numbering import next_number
from salesdesk.customers.demo import _large_names
from salesdesk.customers.models import Customer
from salesdesk.ledger import rollups
from salesdesk.ledger.models import Fact
from salesdesk.orders.models import CreditShare, Order, OrderLine
from salesdesk.orders.queries import contract_remaining

LINES = 1500

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def large(django_db_setup, django_db_blocker):
    """The large scale at ``LINES`` order lines, loaded once for this module and rolled back after it."""
    from huey.contrib.djhuey import HUEY

    was, HUEY.immediate = HUEY.immediate, True
    with django_db_blocker.unblock(), transaction.atomic():
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SALESDESK_DEMO_LINES", str(LINES))
            call_command("seed_demo", "--scale", "large", "--password", "x", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)
    HUEY.immediate = was


def test_large_scale_writes_exactly_the_asked_order_lines_and_sizes_the_rest_in_proportion(large):
    assert OrderLine.objects.count() == LINES
    assert Customer.objects.count() == 100_000 * LINES // 2_000_000
    assert Contract.objects.count() == 20
    assert Order.objects.count() > LINES // 7


def test_large_scale_books_each_submitted_order_per_credit_share(large):
    submitted = Order.objects.filter(status="submitted")
    booked = dict(Fact.objects.filter(kind="booked", order_id__in=submitted.values("id")).values_list("order_id")
                  .annotate(s=Sum("amount")))
    split = submitted.annotate(n=Count("credit_shares")).filter(n=2)

    assert booked == {o.pk: o.total for o in submitted}
    assert split.exists()
    for order in split[:20]:
        shares = {cs.salesperson_id: cs.share for cs in CreditShare.objects.filter(order=order)}
        by_person = dict(Fact.objects.filter(order_id=order.pk, kind="booked").values_list("salesperson_id")
                         .annotate(s=Sum("amount")))
        assert set(by_person) == set(shares) and sum(by_person.values()) == order.total


def test_large_scale_unbooks_cancelled_and_closed_orders_and_books_no_draft(large):
    gone = Order.objects.filter(status__in=["cancelled", "closed"])
    drafts = Order.objects.filter(status="draft")

    assert Fact.objects.filter(order_id__in=gone.values("id")).aggregate(s=Sum("amount"))["s"] in (None, 0)
    assert not Fact.objects.filter(order_id__in=drafts.values("id")).exists()


def test_large_scale_roll_ups_agree_with_the_facts(large):
    today = timezone.localdate()

    assert rollups.differences(today - timedelta(days=800), today) == []


def test_large_scale_orders_stay_within_their_contracts(large):
    for contract in Contract.objects.filter(orders__isnull=False).distinct():
        assert min(contract_remaining(contract).values()) >= 0


def test_large_scale_writes_one_history_row_per_order_and_customer(large):
    assert Order.history.filter(history_type="+").count() == Order.objects.count()
    assert Customer.history.filter(history_type="+").count() == Customer.objects.count()


def test_large_scale_numbers_are_unique_and_the_counters_moved_past_them(large):
    busiest = Order.objects.values("order_date").annotate(n=Count("id")).order_by("-n").first()["order_date"]
    numbers = set(Order.objects.values_list("number", flat=True))

    assert len(numbers) == Order.objects.count()
    assert next_number("SO", busiest) not in numbers
    assert next_number("HT", date.today(), period_format="%Y") not in set(Contract.objects.values_list("number", flat=True))
    assert next_number("KH", period_format="", width=6) not in set(Customer.objects.values_list("code", flat=True))


def test_demo_numbers_continue_after_the_counter_and_move_it_on():
    day = date(2026, 3, 9)
    NumberCounter.objects.create(kind="ZZ", period="20260309", last=5)
    numbers = DemoNumbers("ZZ")

    taken = [numbers.take(day), numbers.take(day), numbers.take(day + timedelta(days=1))]
    numbers.save()

    assert taken == ["ZZ20260309-0006", "ZZ20260309-0007", "ZZ20260310-0001"]
    assert next_number("ZZ", day) == "ZZ20260309-0008"
    assert next_number("ZZ", day + timedelta(days=1)) == "ZZ20260310-0002"


def test_large_customer_names_are_distinct_and_their_search_keys_are_what_search_key_gives():
    ctx = DemoContext(scale="large", password="x", seed=3, out=io.StringIO(), lines=LINES)
    names = _large_names(ctx, 2000)

    assert len({name for name, _key in names}) == 2000
    for name, key in random.Random(1).sample(names, 100):
        assert key == search_key(name)[:500]
