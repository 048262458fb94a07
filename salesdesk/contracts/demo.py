"""Demo contracts over the last two years with the demo customers, activated, completed,
terminated or expired like real ones.

``demo``: ~60 contracts written through the services (numbers, totals, tax split and history as
in use). ``large``: 20,000 contracts (in proportion to ``ctx.lines``) written in bulk with the
same arithmetic (line amount = round_half_up(quantity × price), tax split per line, instalments
summing exactly to the total), numbers in ``next_number``'s format with the counters moved past
them, and one history row per contract."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from salesdesk.core.demo import DemoContext, DemoNumbers
from salesdesk.core.history import acting_as
from salesdesk.core.lib.money import quantize_money, split_tax

from . import services
from .choices import ContractKind, ContractStatus
from .models import Contract, ContractLine, Instalment

TERMS = ["款到发货", "预付30%，余款发货前付清", "月结30天", "货到验收合格后60天内付款", "季度结算"]
DELIVERY = ["送货上门，运费由供方承担", "需方自提", "物流发货，运费由需方承担", "分批交货，按订单执行"]
PLACES = ["档案柜A-1", "档案柜A-2", "档案柜B-1", "财务室保险柜"]


def seed(ctx: DemoContext) -> None:
    if not ctx.business or "customers" not in ctx.shared or "products" not in ctx.shared:
        return
    if ctx.large:
        _seed_large(ctx)
        return
    clerk = ctx.shared["users"]["clerk"]
    customers = ctx.shared["customers"]
    products = [p for p in ctx.shared["products"] if p.active][:200]
    count = 60
    today = timezone.localdate()
    made = []
    with acting_as(clerk):
        for n in range(count):
            customer = ctx.rng.choice(customers)
            signed = today - timedelta(days=ctx.rng.randrange(10, 730))
            starts = signed + timedelta(days=ctx.rng.randrange(0, 10))
            months = ctx.rng.choice([6, 12, 12, 12, 24])
            ends = starts + timedelta(days=int(months * 30.4) - 1)
            lines = [
                services.LineInput(p, Decimal(ctx.rng.choice([10, 20, 50, 100, 200, 500])),
                                   (p.price * Decimal(ctx.rng.randrange(90, 101)) / 100).quantize(Decimal("0.01")))
                for p in ctx.rng.sample(products, ctx.rng.choice([1, 2, 2, 3, 4]))
            ]
            total = sum((quantize_money(line.quantity * line.unit_price) for line in lines), Decimal(0))
            instalments = []
            parts = ctx.rng.choice([0, 1, 2, 3])
            if parts:
                share = (total / parts).quantize(Decimal("0.01"))
                for k in range(parts):
                    amount = share if k < parts - 1 else total - share * (parts - 1)
                    instalments.append(services.InstalmentInput(starts + timedelta(days=30 + 90 * k), amount,
                                                                f"第{k + 1}期"))
            filed = ctx.rng.random() < 0.6
            contract = services.create_contract(
                actor=clerk, customer=customer, salesperson=customer.salesperson, lines=lines, instalments=instalments,
                data={
                    "kind": ctx.rng.choice([ContractKind.SALES, ContractKind.SALES, ContractKind.DISTRIBUTION,
                                            ContractKind.FRAMEWORK]),
                    "signed_on": signed, "starts_on": starts, "ends_on": ends,
                    "payment_terms": ctx.rng.choice(TERMS), "delivery_terms": ctx.rng.choice(DELIVERY),
                    "credit_days": ctx.rng.choice([None, 30, 60]),
                    "archive_no": f"GD-{signed:%Y}-{n + 1:03d}" if filed else "",
                    "paper_location": ctx.rng.choice(PLACES) if filed else "",
                },
            )
            made.append(contract)
        for contract in made:
            roll = ctx.rng.random()
            if roll < 0.1:
                continue  # stays a draft
            contract = services.activate_contract(actor=clerk, contract=contract)
            if contract.ends_on < today and roll < 0.5:
                services.complete_contract(actor=clerk, contract=contract, reason="货款两清")
            elif roll > 0.96:
                services.terminate_contract(actor=clerk, contract=contract, reason="客户经营调整，双方协商终止")
    services.expire_contracts(today)  # what the nightly job would have done
    ctx.shared["contracts"] = made
    signed = Contract.objects.exclude(status=ContractStatus.DRAFT).count()
    ctx.out.write(f"    {len(made)} contracts, {signed} signed\n")


def _seed_large(ctx: DemoContext) -> None:
    """The bulk variant of the loop above: same kinds, terms, statuses and arithmetic, no services."""
    clerk = ctx.shared["users"]["clerk"]
    customers = ctx.shared["customers"]
    products = [p for p in ctx.shared["products"] if p.active][:1000]
    count = ctx.scaled(20_000, minimum=20)
    today, now = timezone.localdate(), timezone.now()
    planned = []
    for _ in range(count):
        customer = ctx.rng.choice(customers)
        signed = today - timedelta(days=ctx.rng.randrange(10, 730))
        starts = signed + timedelta(days=ctx.rng.randrange(0, 10))
        ends = starts + timedelta(days=int(ctx.rng.choice([6, 12, 12, 12, 24]) * 30.4) - 1)
        lines = []
        for n, p in enumerate(ctx.rng.sample(products, ctx.rng.choice([1, 2, 2, 3, 4])), start=1):
            quantity = Decimal(ctx.rng.choice([10, 20, 50, 100, 200, 500]))
            price = (p.price * Decimal(ctx.rng.randrange(90, 101)) / 100).quantize(Decimal("0.01"))
            amount = quantize_money(quantity * price)
            lines.append(ContractLine(line_no=n, product=p, quantity=quantity, unit_price=price, tax_rate=p.tax_rate,
                                      amount=amount, tax=split_tax(amount, p.tax_rate)[1]))
        total = sum((line.amount for line in lines), Decimal(0))
        parts = ctx.rng.choice([0, 1, 2, 3])
        instalments = []
        if parts:
            share = (total / parts).quantize(Decimal("0.01"))
            instalments = [Instalment(seq=k + 1, due_on=starts + timedelta(days=30 + 90 * k), note=f"第{k + 1}期",
                                      amount=share if k < parts - 1 else total - share * (parts - 1))
                           for k in range(parts)]
        roll = ctx.rng.random()
        status = ContractStatus.DRAFT if roll < 0.1 else ContractStatus.ACTIVE
        if status == ContractStatus.ACTIVE:
            if ends < today and roll < 0.5:
                status = ContractStatus.COMPLETED
            elif roll > 0.96:
                status = ContractStatus.TERMINATED
            elif ends < today:
                status = ContractStatus.EXPIRED  # what the nightly job would have done
        filed = ctx.rng.random() < 0.6
        contract = Contract(
            customer_id=customer.pk, salesperson_id=customer.salesperson_id, status=status,
            kind=ctx.rng.choice([ContractKind.SALES, ContractKind.SALES, ContractKind.DISTRIBUTION, ContractKind.FRAMEWORK]),
            signed_on=signed, starts_on=starts, ends_on=ends, total=total,
            tax_total=sum((line.tax for line in lines), Decimal(0)), payment_terms=ctx.rng.choice(TERMS),
            delivery_terms=ctx.rng.choice(DELIVERY), credit_days=ctx.rng.choice([None, 30, 60]),
            paper_location=ctx.rng.choice(PLACES) if filed else "", created_by=clerk,
            activated_at=timezone.make_aware(datetime.combine(starts, time(9))) if status != ContractStatus.DRAFT
            else None,
        )
        planned.append((contract, lines, instalments, filed))
    planned.sort(key=lambda row: row[0].signed_on)
    numbers = DemoNumbers(services.NUMBER_KIND, period_format=services.NUMBER_PERIOD,
                          taken=Contract.objects.values_list("number", flat=True))
    for n, (contract, _lines, _instalments, filed) in enumerate(planned, start=1):
        contract.number = numbers.take(contract.signed_on)
        contract.archive_no = f"GD-{contract.signed_on:%Y}-{n:05d}" if filed else ""
        contract.activated_at = min(contract.activated_at, now) if contract.activated_at else None
    made = [contract for contract, _, _, _ in planned]
    bulk_create_with_history(made, Contract, batch_size=2000, default_user=clerk, default_change_reason="演示数据")
    numbers.save()
    for contract, lines, instalments, _filed in planned:
        for row in (*lines, *instalments):
            row.contract_id = contract.pk
    ContractLine.objects.bulk_create([line for _, lines, _, _ in planned for line in lines], batch_size=2000)
    Instalment.objects.bulk_create([i for _, _, instalments, _ in planned for i in instalments], batch_size=2000)
    ctx.shared["contracts"] = made
    signed = sum(1 for c in made if c.status != ContractStatus.DRAFT)
    ctx.out.write(f"    {len(made)} contracts, {signed} signed\n")
