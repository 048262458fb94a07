"""R1 Concurrency, the cases the app suites do not cover: payment re-allocation racing
confirmations, the month lock racing late writes, and commission approval racing recomputation.

Real threads through the HTTP API on the file SQLite test database or PostgreSQL (the PG pass of
``.ci/run``). Every answer must be one a client can act on: the success code, ``409`` (a rule or a
concurrent change — deadlocks and serialization failures included) or ``503`` with
``Retry-After`` (SQLite busy); never ``500`` (an unhandled exception is re-raised by the test
client and counted as one). Each test prints its figures (threads, attempts, outcomes, seconds)
for docs/reliability.md (run with ``-s`` to see them)."""

from __future__ import annotations

import threading
import time
import traceback
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from salesdesk.commission.models import CommissionRun, RunStatus
from salesdesk.commission.tests import run_factories
from salesdesk.core.invariants import check_invariants
from salesdesk.core.testing.clients import ApiClient
from salesdesk.finance.models import Allocation, Invoice, Payment
from salesdesk.finance.tests.factories import customer, order, payment
from salesdesk.ledger.models import Period, PeriodStatus
from salesdesk.ledger.periods import current_period, lock_period, month_bounds, previous_month

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ANSWERS = {200, 201, 409, 503}


def client_for(api, username: str) -> ApiClient:
    """A fresh client per thread (the Django test client keeps per-instance state) with the
    persona's token."""
    fresh = ApiClient(None)
    fresh.headers = dict(api(username).headers)
    return fresh


def run_threads(n: int, work) -> tuple[list, float]:
    """Start ``n`` threads at one barrier; ``work(i)`` returns a list of outcomes. Returns every
    outcome (an exception counts as ``500``) and the wall time."""
    barrier = threading.Barrier(n)
    results: list[list] = [[] for _ in range(n)]

    def runner(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # the test client re-raises what the API did not answer: a 500
            results[i] = [("500", repr(exc), traceback.format_exc(limit=-14))]
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [o for r in results for o in r], time.monotonic() - started


def answer(response) -> tuple:
    """(status, code) of a response; a 503 must carry Retry-After."""
    code = ""
    if response.status_code >= 400:
        code = response.json().get("code", "")
    if response.status_code == 503:
        assert response.has_header("Retry-After")
    return response.status_code, code


class Progress:
    """Counts finished requests so a thread can act part-way through the others' work (timing-free)."""

    def __init__(self):
        self.done = 0
        self._lock = threading.Lock()

    def tick(self) -> None:
        with self._lock:
            self.done += 1

    def wait_for(self, n: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while self.done < n and time.monotonic() < deadline:
            time.sleep(0.001)


def figures(name: str, threads: int, outcomes: list, seconds: float, **extra) -> None:
    counts = Counter(f"{status}{' ' + code if code else ''}" for status, code, *_ in outcomes)
    more = "".join(f" {k}={v}" for k, v in extra.items())
    print(f"\nR1 {name}: threads={threads} attempts={len(outcomes)} outcomes={dict(sorted(counts.items()))}"
          f" seconds={seconds:.2f}{more}")


def assert_no_500(outcomes: list) -> None:
    bad = [o for o in outcomes if o[0] not in ANSWERS]
    assert bad == []


# --- payments: re-allocation against confirmation ------------------------------------------------


def test_reallocations_racing_confirmations_never_over_allocate_a_payment(personas, api):
    cust = customer(personas)
    a, b = order(personas, cust, "1000.00"), order(personas, cust, "1000.00")
    moved = payment(personas, cust, "1000.00", order=a, confirm=True)  # sits on A, finance moves it around
    pending = [payment(personas, cust, "300.00", order=a if i % 2 else b) for i in range(8)]
    api("finance")  # tokens are made before the threads start
    splits = [[(a, "1000.00")], [(b, "1000.00")], [(a, "400.00"), (b, "600.00")], [], [(b, "250.00")]]

    def work(i: int) -> list:
        client = client_for(api, "finance")
        if i < len(pending):  # one confirmation per pending payment
            r = client.post(f"/api/v1/payments/{pending[i].pk}/confirm")
            return [answer(r)]
        out = []
        for k in range(5):  # the others re-allocate the first payment again and again
            split = splits[(i + k) % len(splits)]
            body = {"allocations": [{"order_id": o.pk, "amount": amt} for o, amt in split]}
            out.append(answer(client.post(f"/api/v1/payments/{moved.pk}/allocate", body)))
        return out

    threads = len(pending) + 6
    outcomes, seconds = run_threads(threads, work)
    figures("payments re-allocate vs confirm", threads, outcomes, seconds)

    assert_no_500(outcomes)
    assert Payment.objects.filter(pk__in=[p.pk for p in pending], status="confirmed").count() == len(pending)
    assert check_invariants(["allocations", "received_facts"]) == []
    per_payment = Allocation.objects.values("payment_id").annotate(s=Sum("amount"))
    amounts = dict(Payment.objects.values_list("pk", "amount"))
    assert all(Decimal(0) <= row["s"] <= amounts[row["payment_id"]] for row in per_payment)


# --- the month lock against late writes ----------------------------------------------------------


def _invoice_body(cust, n: int, day: date) -> dict:
    return {"customer_id": cust.pk, "order_ids": [], "kind": "sd_ordinary", "number": f"2611800000{n:010d}",
            "issued_on": day.isoformat(), "amount": "113.00", "tax_amount": "13.00"}


def test_a_month_lock_racing_late_writes_lets_each_land_before_it_or_refuses_it(personas, api):
    cust = customer(personas)
    finance = personas["finance"]
    rounds, writers = 3, 12
    api("finance")  # tokens are made before the threads start
    month = current_period()
    all_outcomes: list = []
    late_total = 0
    total_seconds = 0.0
    for r in range(rounds):
        _first, last = month_bounds(month)
        day = min(last, timezone.localdate())
        snapshot: dict = {}
        progress = Progress()

        def work(i: int, day=day, month=month, r=r, snapshot=snapshot, progress=progress) -> list:
            if i == writers:  # finance locks the month a quarter, half or three quarters into the writes
                progress.wait_for(writers * 4 * (r + 1) // 4)
                started = time.monotonic()
                with transaction.atomic():
                    lock_period(actor=finance, period=month)
                    snapshot["lock_waited"] = time.monotonic() - started
                    # what the lock froze: read inside the locking transaction
                    snapshot["invoices"] = Invoice.objects.filter(issued_on__gte=month_bounds(month)[0],
                                                                  issued_on__lte=month_bounds(month)[1]).count()
                return []
            client = client_for(api, "finance")
            out = []
            for k in range(4):
                n = r * 1000 + i * 10 + k
                out.append(answer(client.post("/api/v1/invoices", _invoice_body(cust, n, day))))
                progress.tick()
            return out

        outcomes, seconds = run_threads(writers + 1, work)
        total_seconds += seconds
        landed = Invoice.objects.filter(issued_on__gte=month_bounds(month)[0], issued_on__lte=month_bounds(month)[1]).count()
        late = landed - snapshot["invoices"]
        late_total += late
        print(f"\n  round {r} {month}: landed before the lock={snapshot['invoices']} after it={late} "
              f"refused={sum(1 for o in outcomes if o[1] == 'period_locked')} lock_took={snapshot['lock_waited']:.2f}s")
        all_outcomes += outcomes
        assert Period.objects.get(period=month).status == PeriodStatus.LOCKED
        month = previous_month(month)
    figures("month lock vs late writes", writers + 1, all_outcomes, total_seconds, rounds=rounds, late=late_total)

    assert_no_500(all_outcomes)
    assert late_total == 0
    assert {o for o in all_outcomes if o[0] == 409} <= {(409, "period_locked"), (409, "concurrent_change")}


def test_a_month_lock_racing_confirmations_and_dispatches_never_changes_the_locked_months_facts(personas, api):
    from salesdesk.ledger.models import Fact
    from salesdesk.logistics.services import LineRequest, create_shipment
    from salesdesk.logistics.tests.factories import paid, product, submitted_order

    month = current_period()
    today = timezone.localdate()
    prod = product("100.00")
    cust = customer(personas)
    orders = [submitted_order(personas, cust, [(prod, 10, "100.00")]) for _ in range(6)]
    paid(personas, cust, "6000.00", received_on=today)  # an advance the gate takes from
    planned = [create_shipment(actor=personas["clerk"], order=o, lines=[LineRequest(prod.pk, Decimal(2))])
               for o in orders for _ in range(2)]
    pending = [payment(personas, cust, "100.00", received_on=today) for _ in range(12)]
    api("finance"), api("clerk")  # tokens are made before the threads start
    writers = 12
    snapshot: dict = {}
    progress = Progress()

    def work(i: int) -> list:
        if i == writers:  # finance locks the month half-way through the writes
            progress.wait_for(len(pending + planned) // 2)
            started = time.monotonic()
            with transaction.atomic():
                lock_period(actor=personas["finance"], period=month)
                snapshot["lock_waited"] = round(time.monotonic() - started, 2)
                snapshot["facts"] = Fact.objects.filter(period=month).count()
            return []
        out = []
        if i % 2:
            client = client_for(api, "finance")
            for p in pending[i // 2::6]:
                out.append(answer(client.post(f"/api/v1/payments/{p.pk}/confirm")))
                progress.tick()
            return out
        client = client_for(api, "clerk")
        for s in planned[i // 2::6]:
            out.append(answer(client.post(f"/api/v1/shipments/{s.pk}/dispatch", {})))
            progress.tick()
        return out

    outcomes, seconds = run_threads(writers + 1, work)
    in_month = Fact.objects.filter(period=month).count()
    booked_past = Fact.objects.filter(period__gt=month).count()
    figures("month lock vs confirmations and dispatches", writers + 1, outcomes, seconds,
            facts_in_locked_month=snapshot["facts"], late=in_month - snapshot["facts"], booked_into_next_month=booked_past,
            lock_took=snapshot["lock_waited"])

    assert_no_500(outcomes)
    assert in_month == snapshot["facts"]
    assert Payment.objects.filter(status="confirmed").count() == len(pending) + 1
    assert check_invariants(["received_facts", "shipped_facts", "rollups"]) == []


# --- commission: approval against recomputation ---------------------------------------------------


def _line_state(run_id: int) -> list[tuple]:
    run = CommissionRun.objects.get(pk=run_id)
    return sorted(run.lines.values_list("pk", "salesperson_id", "kind", "commission_amount"))


def test_commission_approval_racing_recomputation_freezes_the_approved_run(personas, api):
    period = "2026-10"
    run_factories.month_with_money(personas, period)
    run = run_factories.draft(personas, period)
    run_factories.lock(personas, period)
    recomputers = 8
    api("gm"), api("clerk")  # tokens are made before the threads start
    approved_state: dict = {}
    progress = Progress()

    def work(i: int) -> list:
        if i == recomputers:  # the GM tries until the run is a draft they may approve
            client = client_for(api, "gm")
            out = []
            progress.wait_for(recomputers // 2)  # approve while the recomputations are under way
            for _ in range(200):
                r = client.post(f"/api/v1/commission/runs/{run.pk}/approve")
                out.append(answer(r))
                if r.status_code == 200:
                    approved_state["lines"] = sorted(
                        (line["id"], line["commission_amount"]) for line in r.json()["lines"])
                    break
                time.sleep(0.005)
            return out
        client = client_for(api, "clerk")
        out = []
        for _ in range(4):
            out.append(answer(client.post("/api/v1/commission/runs", {"period": period})))
            progress.tick()
        return out

    outcomes, seconds = run_threads(recomputers + 1, work)
    approvals = sum(1 for o in outcomes if o == (200, ""))
    figures("commission approve vs recompute", recomputers + 1, outcomes, seconds, approvals=approvals)

    assert_no_500(outcomes)
    run.refresh_from_db()
    assert run.status == RunStatus.APPROVED
    assert approvals == 1
    final = sorted((pk, f"{amount:.2f}") for pk, _sp, _kind, amount in _line_state(run.pk))
    assert final == approved_state["lines"]  # nothing changed the run after its approval
    assert {o for o in outcomes if o[0] == 409} <= {
        (409, "run_approved"), (409, "run_not_draft"), (409, "concurrent_change")}
    assert check_invariants(["commission"]) == []
    after = client_for(api, "clerk").post("/api/v1/commission/runs", {"period": period})
    assert answer(after) == (409, "run_approved")


# --- SQLite: a writer holding the database past the busy timeout --------------------------------


def test_a_busy_sqlite_database_answers_503_with_retry_after_and_writes_nothing(personas, api, monkeypatch):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's single writer only")
    cust = customer(personas)
    pending = [payment(personas, cust, "100.00") for _ in range(6)]
    api("finance")  # the token exists before the database gets busy
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "timeout", 0.2)  # new connections: 0.2 s busy timeout
    holding = threading.Event()
    progress = Progress()

    def work(i: int) -> list:
        if i == len(pending):  # a long write transaction (a big import, a backup) holds the database
            with transaction.atomic():
                Payment.objects.filter(pk=pending[0].pk).update(note="held")
                holding.set()
                progress.wait_for(len(pending), timeout=60)
                transaction.set_rollback(True)
            return []
        holding.wait(30)
        try:
            r = client_for(api, "finance").post(f"/api/v1/payments/{pending[i].pk}/confirm")
        finally:
            progress.tick()
        return [answer(r)]

    outcomes, seconds = run_threads(len(pending) + 1, work)
    figures("busy SQLite", len(pending) + 1, outcomes, seconds)

    assert [o[:2] for o in outcomes] == [(503, "database_busy")] * len(pending), outcomes[0]
    assert Payment.objects.filter(status="pending").count() == len(pending)
