"""Demo customers: ~200 (``demo``) or 100k (``large``) with contacts, products used,
interactions and tickets, written through bulk paths that still record history."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from salesdesk.core.demo import DemoContext
from salesdesk.core.lib.names import normalize_company_name
from salesdesk.core.lib.pinyin import search_key
from salesdesk.core.models import NumberCounter

from .choices import CustomerLevel, CustomerStatus, InteractionKind, Settlement, Severity, TicketCategory, TicketStatus
from .models import Contact, Customer, Interaction, ProductUsed, Ticket

REGIONS = ["华北", "华东", "华南", "华中", "西南", "西北", "东北"]
INDUSTRIES = ["制造业", "建筑工程", "商贸流通", "医疗卫生", "教育", "交通物流", "能源化工", "食品饮料"]
SUFFIXES = ["有限公司", "贸易有限公司", "科技有限公司", "实业有限公司", "机械设备有限公司", "建设集团有限公司"]
PRODUCTS = [("工业润滑油", "L-CKC 220", "桶"), ("液压油", "HM46", "桶"), ("防冻液", "-35℃", "箱"),
            ("齿轮油", "85W-90", "桶"), ("柴油机油", "CI-4 15W-40", "桶"), ("润滑脂", "锂基2#", "箱")]


def _settlement(ctx: DemoContext, level: str) -> dict:
    if level == "A" and ctx.rng.random() < 0.7:
        return {"settlement": Settlement.CREDIT, "credit_limit": Decimal(ctx.rng.choice([100000, 200000, 500000])),
                "credit_days": ctx.rng.choice([30, 45, 60])}
    if level == "B" and ctx.rng.random() < 0.4:
        return {"settlement": Settlement.MONTHLY, "credit_limit": Decimal(ctx.rng.choice([50000, 100000])),
                "credit_days": 30, "term_anchor": "month_end"}
    if ctx.rng.random() < 0.15:
        return {"settlement": Settlement.DEPOSIT, "deposit_rate": Decimal("0.30")}
    return {"settlement": Settlement.PREPAID}


def seed(ctx: DemoContext) -> None:
    if not ctx.business:
        return
    salespeople = ctx.shared["salespeople"]
    clerk = ctx.shared["users"]["clerk"]
    count = 200 if ctx.scale == "demo" else 100_000
    now = timezone.now()
    seen: set[str] = set()
    customers: list[Customer] = []
    while len(customers) < count:
        name = ctx.fake.city_name() + ctx.fake.company_prefix() + ctx.rng.choice(SUFFIXES)
        key = normalize_company_name(name)
        if key in seen:
            name = f"{name[:-4]}{len(customers)}{name[-4:]}"
            key = normalize_company_name(name)
        seen.add(key)
        level = ctx.rng.choices([CustomerLevel.A, CustomerLevel.B, CustomerLevel.C, CustomerLevel.D],
                                [1, 3, 5, 2])[0]
        status = ctx.rng.choices([CustomerStatus.ACTIVE, CustomerStatus.PROSPECT, CustomerStatus.DORMANT,
                                  CustomerStatus.LOST], [7, 2, 1, 0.3])[0]
        customers.append(Customer(
            code=f"KH-{len(customers) + 1:06d}", name=name, name_key=key, short_name=name[:4],
            industry=ctx.rng.choice(INDUSTRIES), region=ctx.rng.choice(REGIONS), address=ctx.fake.address(),
            level=level, status=status, salesperson=ctx.rng.choice(salespeople), created_by=clerk,
            invoice_title=name, search_text=search_key(name)[:500],
            created_at=now - timedelta(days=ctx.rng.randrange(0, 900)),
            **_settlement(ctx, level),
        ))
    batch = 2000
    bulk_create_with_history(customers, Customer, batch_size=batch, default_user=clerk,
                             default_change_reason="演示数据")
    NumberCounter.objects.update_or_create(kind="KH", period="", defaults={"last": count})
    customers = list(Customer.objects.order_by("id").only("id", "salesperson_id"))
    contacts = []
    for c in customers:
        for i in range(ctx.rng.choice([1, 1, 2, 3])):
            contacts.append(Contact(
                customer_id=c.pk, name=ctx.fake.name(), title=ctx.rng.choice(["采购经理", "总经理", "财务", "仓管"]),
                mobile=f"+86{ctx.fake.phone_number()}", is_primary=i == 0,
                email=f"buyer{c.pk}-{i}@example.com" if ctx.rng.random() < 0.6 else "",
            ))
    bulk_create_with_history(contacts, Contact, batch_size=batch, default_user=clerk)
    ProductUsed.objects.bulk_create([
        ProductUsed(customer_id=c.pk, product_name=p[0], specification=p[1], unit=p[2],
                    usual_quantity=Decimal(ctx.rng.randrange(1, 50)), period="每月",
                    agreed_price=Decimal(ctx.rng.randrange(300, 3000)))
        for c in customers[: min(len(customers), 20_000)]
        for p in ctx.rng.sample(PRODUCTS, ctx.rng.choice([1, 2]))
    ], batch_size=batch)
    sample = customers[: min(len(customers), 5_000)]
    Interaction.objects.bulk_create([
        Interaction(customer_id=c.pk, kind=ctx.rng.choice(list(InteractionKind.values)), subject="询价/跟进",
                    content="客户询问近期价格与到货时间。", occurred_at=now - timedelta(hours=ctx.rng.randrange(1, 2000)),
                    user_id=c.salesperson_id)
        for c in sample for _ in range(ctx.rng.choice([0, 1, 2]))
    ], batch_size=batch)
    tickets = []
    for n, c in enumerate(ctx.rng.sample(sample, min(len(sample), 30 if ctx.scale == "demo" else 500)), start=1):
        status = ctx.rng.choice(list(TicketStatus.values))
        tickets.append(Ticket(
            number=f"TK-DEMO-{n:05d}", customer_id=c.pk, category=ctx.rng.choice(list(TicketCategory.values)),
            severity=ctx.rng.choice(list(Severity.values)), subject=ctx.rng.choice(
                ["到货外包装破损", "发票抬头错误", "送货延迟", "产品粘度异常", "希望调整账期"]),
            assignee_id=c.salesperson_id, created_by=clerk, status=status,
            due_on=(now + timedelta(days=ctx.rng.randrange(-10, 10))).date(),
            resolution="已补发并致歉" if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else "",
        ))
    bulk_create_with_history(tickets, Ticket, default_user=clerk)
    ctx.shared["customers"] = customers
