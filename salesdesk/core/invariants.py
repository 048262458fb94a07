"""The books agree with themselves (R5): a read-only check of live data, run nightly and on demand
(``manage.py check_invariants``).

Each check compares two records of the same truth that different code paths write:

- ``shipped_facts``: the shipped facts of each shipment sum to its value once it left (none before,
  none for a cancelled one);
- ``received_facts``: the received (or refunded) facts of each payment sum to its amount once
  finance confirmed it (none while pending or after rejection);
- ``rollups``: the roll-up tables equal the facts (``ledger.rollups.differences``);
- ``allocations``: what is allocated from a payment lies between zero and its amount, and only
  confirmed receipts are allocated;
- ``statement_chain``: each issued statement ties (opening + debits − credits = closing) and its
  opening is the closing of the customer's statement for the period just before it;
- ``commission``: each computed or carried line of an approved run is the sum of its items.

Core sits below the business apps, so the checks reach their models through the app registry and
import the ledger only inside the roll-up check; nothing here writes business rows. The checks do
a few grouped queries each (no per-row queries), so a nightly run stays cheap on large data."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.apps import apps
from django.db.models import Max, Min, Sum

ZERO = Decimal("0.00")
SHIPPED_STATES = ("dispatched", "in_transit", "delivered", "pod_returned")


@dataclass(frozen=True)
class Violation:
    """One disagreement: which check, about what (a document number or table key), and how."""

    check: str
    subject: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.subject}: {self.detail}"


CHECKS: dict[str, Callable[[], list[Violation]]] = {}


def check(name: str):
    def register(fn: Callable[[], list[Violation]]):
        CHECKS[name] = fn
        return fn

    return register


def _facts_by_source(source_kind: str, kinds: list[str]) -> dict[int, Decimal]:
    Fact = apps.get_model("ledger", "Fact")
    rows = (Fact.objects.filter(source_kind=source_kind, kind__in=kinds)
            .values("source_id").annotate(total=Sum("amount")).order_by())
    return {r["source_id"]: r["total"] or ZERO for r in rows}


@check("shipped_facts")
def shipped_facts() -> list[Violation]:
    Shipment = apps.get_model("logistics", "Shipment")
    facts = _facts_by_source("shipment", ["shipped"])
    out = []
    for pk, number, status, value in Shipment.objects.values_list("pk", "number", "status", "value").order_by("pk"):
        expected = value if status in SHIPPED_STATES else ZERO
        got = facts.pop(pk, ZERO)
        if got != expected:
            out.append(Violation("shipped_facts", number, f"发货事实 {got} ≠ 发货单 {expected}（{status}）"))
    out += [Violation("shipped_facts", f"shipment#{pk}", f"发货事实 {got} 无对应发货单") for pk, got in sorted(facts.items())]
    return out


@check("received_facts")
def received_facts() -> list[Violation]:
    Payment = apps.get_model("finance", "Payment")
    facts = _facts_by_source("payment", ["received", "refunded"])
    out = []
    rows = Payment.objects.values_list("pk", "number", "status", "kind", "amount").order_by("pk")
    for pk, number, status, kind, amount in rows:
        expected = ZERO if status != "confirmed" else (-amount if kind == "refund" else amount)
        got = facts.pop(pk, ZERO)
        if got != expected:
            out.append(Violation("received_facts", number, f"回款事实 {got} ≠ 回款 {expected}（{status}）"))
    out += [Violation("received_facts", f"payment#{pk}", f"回款事实 {got} 无对应回款") for pk, got in sorted(facts.items())]
    return out


@check("rollups")
def rollups_equal_facts() -> list[Violation]:
    from salesdesk.ledger import rollups

    Fact = apps.get_model("ledger", "Fact")
    RollupDay = apps.get_model("ledger", "RollupDay")
    RollupMonthCustomer = apps.get_model("ledger", "RollupMonthCustomer")
    spans = [Fact.objects.aggregate(lo=Min("business_date"), hi=Max("business_date")),
             RollupDay.objects.aggregate(lo=Min("day"), hi=Max("day")),
             RollupMonthCustomer.objects.aggregate(lo=Min("month"), hi=Max("month"))]
    lows = [s["lo"] for s in spans if s["lo"] is not None]
    highs = [s["hi"] for s in spans if s["hi"] is not None]
    if not lows:
        return []
    hi = max(highs)
    hi = (hi.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)  # month tables: whole months
    return [Violation("rollups", p.split(":", 1)[0], p.split(":", 1)[-1].strip()) for p in rollups.differences(min(lows), hi)]


@check("allocations")
def allocations_within_payments() -> list[Violation]:
    Payment = apps.get_model("finance", "Payment")
    Allocation = apps.get_model("finance", "Allocation")
    allocated = {r["payment_id"]: r["total"] or ZERO for r in
                 Allocation.objects.values("payment_id").annotate(total=Sum("amount")).order_by()}
    out = []
    rows = Payment.objects.filter(pk__in=list(allocated)).values_list("pk", "number", "status", "kind", "amount")
    for pk, number, status, kind, amount in rows.order_by("pk"):
        total = allocated[pk]
        if total > amount:
            out.append(Violation("allocations", number, f"已分配 {total} > 回款金额 {amount}"))
        elif total < 0:
            out.append(Violation("allocations", number, f"已分配 {total} < 0"))
        elif total and (status != "confirmed" or kind != "receipt"):
            out.append(Violation("allocations", number, f"未确认或退款却已分配 {total}（{status}/{kind}）"))
    negative = (Allocation.objects.values("payment__number", "order_id").annotate(total=Sum("amount"))
                .filter(total__lt=0).order_by("payment__number", "order_id"))
    out += [Violation("allocations", r["payment__number"], f"订单 #{r['order_id']} 上的分配合计 {r['total']} < 0")
            for r in negative]
    return out


@check("statement_chain")
def statements_chain() -> list[Violation]:
    Statement = apps.get_model("finance", "Statement")
    latest: dict[tuple[int, date, date], tuple] = {}
    rows = Statement.objects.values_list("customer_id", "start", "end", "number", "opening_balance", "debits",
                                         "credits", "closing_balance").order_by("id")
    for row in rows:  # a statement issued again for the same period replaces the earlier one
        latest[(row[0], row[1], row[2])] = row
    out = []
    closing_on: dict[tuple[int, date], tuple[str, Decimal]] = {}
    for customer_id, _start, end, number, _opening, _debits, _credits, closing in latest.values():
        closing_on[(customer_id, end)] = (number, closing)
    by_customer: dict[int, list[tuple]] = defaultdict(list)
    for row in latest.values():
        by_customer[row[0]].append(row)
    for customer_id in sorted(by_customer):
        for _c, start, _end, number, opening, debits, credits, closing in sorted(by_customer[customer_id], key=lambda r: r[1]):
            problems = []
            if opening + debits - credits != closing:
                problems.append(f"期初 {opening} + 借方 {debits} − 贷方 {credits} ≠ 期末 {closing}")
            before = closing_on.get((customer_id, start - timedelta(days=1)))
            if before is not None and before[1] != opening:
                problems.append(f"期初 {opening} ≠ 上期 {before[0]} 期末 {before[1]}")
            if problems:
                out.append(Violation("statement_chain", number, "；".join(problems)))
    return out


@check("commission")
def approved_commission_lines() -> list[Violation]:
    CommissionLine = apps.get_model("commission", "CommissionLine")
    CommissionItem = apps.get_model("commission", "CommissionItem")
    lines = CommissionLine.objects.filter(run__status="approved", kind__in=["computed", "carried"])
    items = {r["line_id"]: r["total"] or ZERO for r in
             CommissionItem.objects.filter(line__in=lines).values("line_id").annotate(total=Sum("amount")).order_by()}
    out = []
    for pk, period, salesperson, amount in lines.values_list("pk", "run__period", "salesperson__username",
                                                             "commission_amount").order_by("run__period", "pk"):
        if items.get(pk, ZERO) != amount:
            out.append(Violation("commission", f"{period}/{salesperson}",
                                 f"已批准提成明细 #{pk} 金额 {amount} ≠ 计算项合计 {items.get(pk, ZERO)}"))
    return out


def check_invariants(only: list[str] | None = None) -> list[Violation]:
    """Run every check (or those named in ``only``); an empty list means the books agree."""
    out: list[Violation] = []
    for name, fn in CHECKS.items():
        if only is None or name in only:
            out += fn()
    return out


def alert(violations: list[Violation], today: date) -> int:
    """Tell the clerks and admins, once a day, that the books disagree. Returns people notified."""
    from django.contrib.auth import get_user_model

    from .notifications import notify

    if not violations:
        return 0
    people = get_user_model().objects.filter(is_active=True, groups__name__in=["admin", "clerk"]).distinct()
    counts = defaultdict(int)
    for v in violations:
        counts[v.check] += 1
    title = f"数据一致性检查发现 {len(violations)} 处问题 / {len(violations)} invariant violations"
    body = "；".join(f"{k} {n}" for k, n in sorted(counts.items())) + "\n" + "\n".join(str(v) for v in violations[:50])
    sent = notify(people, title, body, kind="invariant_violation",
                  dedupe_key=f"invariants:{today:%Y-%m-%d}")
    return len(sent)


def latest_result():
    """The last nightly run (a ``JobRun`` or None), for the desk's one-line status."""
    JobRun = apps.get_model("core", "JobRun")
    return JobRun.objects.filter(name="core.check_invariants").order_by("-id").first()
