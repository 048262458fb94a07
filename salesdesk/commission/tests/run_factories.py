"""Runs for the service, API, property and access tests: a 3 % plan on 回款 for the three
salespeople (sales1 and sales3 in team A, sales2 in team B), money collected in a month, the
month drafted, locked by finance and approved by the GM."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from salesdesk.commission import services
from salesdesk.commission.models import CommissionRun
from salesdesk.ledger.choices import FactKind
from salesdesk.ledger.periods import lock_period

from .factories import CustomerFactory, assign, fact, plan

SALESPEOPLE = ("sales1", "sales2", "sales3")
RATE = Decimal("0.0300")


def commission_plan(personas, usernames=SALESPEOPLE):
    """One flat 3 % plan on 回款 assigned to each of ``usernames``."""
    p = plan(rate=RATE)
    for username in usernames:
        assign(p, salesperson=personas[username])
    return p


def customers(personas, usernames=SALESPEOPLE) -> dict:
    return {u: CustomerFactory(salesperson=personas[u]) for u in usernames}


def collect(personas, customer, day: date, amount) -> list:
    """Money ``amount`` received from ``customer`` on ``day`` (credited to its salesperson)."""
    return fact(personas["clerk"], FactKind.RECEIVED, day, Decimal(amount), customer=customer)


def month_with_money(personas, period: str = "2026-10", amounts: dict | None = None) -> dict:
    """The plan, one customer per salesperson and their collections on the 15th of ``period``."""
    commission_plan(personas)
    custs = customers(personas)
    amounts = amounts or {"sales1": "10000.00", "sales2": "20000.00", "sales3": "5000.00"}
    day = services.month_start(period).replace(day=15)
    for username, amount in amounts.items():
        collect(personas, custs[username], day, amount)
    return custs


def draft(personas, period: str = "2026-10") -> CommissionRun:
    return services.compute_run(actor=personas["clerk"], period=period)


def lock(personas, period: str) -> None:
    lock_period(actor=personas["finance"], period=period)


def approved(personas, period: str = "2026-10") -> CommissionRun:
    run = draft(personas, period)
    lock(personas, period)
    return services.approve_run(actor=personas["gm"], run=run)


def line_of(run: CommissionRun, user, kind: str = "computed"):
    return run.lines.get(salesperson=user, kind=kind)
