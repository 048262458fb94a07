"""Demo contracts: ~60 (``demo``) or 600 (``large``) contracts over the last two years with the
demo customers, written through the services (numbers, totals, tax split and history as in use),
then activated, completed, terminated or expired like real ones."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from salesdesk.core.demo import DemoContext
from salesdesk.core.history import acting_as
from salesdesk.core.lib.money import quantize_money

from . import services
from .choices import ContractKind, ContractStatus
from .models import Contract

TERMS = ["款到发货", "预付30%，余款发货前付清", "月结30天", "货到验收合格后60天内付款", "季度结算"]
DELIVERY = ["送货上门，运费由供方承担", "需方自提", "物流发货，运费由需方承担", "分批交货，按订单执行"]
PLACES = ["档案柜A-1", "档案柜A-2", "档案柜B-1", "财务室保险柜"]


def seed(ctx: DemoContext) -> None:
    if not ctx.business or "customers" not in ctx.shared or "products" not in ctx.shared:
        return
    clerk = ctx.shared["users"]["clerk"]
    customers = ctx.shared["customers"]
    products = [p for p in ctx.shared["products"] if p.active][:200]
    count = 60 if ctx.scale == "demo" else 600
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
