"""Demo customers: ~200 (``demo``) or 100k (``large``) with contacts, products used,
interactions and tickets, written through bulk paths that still record history.

``large`` does not call Faker or pypinyin per customer (that took minutes): names are drawn
without repetition from city × company word × trade × suffix, addresses and contact names from
small pools made once, and each search key is composed from the precomputed pinyin of the
name's head (city + company word, ~6,000 of them) and tail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from faker.providers.address.zh_CN import Provider as AddressProvider
from faker.providers.company.zh_CN import Provider as CompanyProvider
from simple_history.utils import bulk_create_with_history

from salesdesk.core.demo import BulkInserter, DemoContext, DemoNumbers, db_datetime, db_decimal
from salesdesk.core.lib.money import to_fen
from salesdesk.core.lib.names import normalize_company_name
from salesdesk.core.lib.pinyin import full_pinyin, initials, search_key
from salesdesk.core.models import NumberCounter

from .choices import CustomerLevel, CustomerStatus, InteractionKind, Settlement, Severity, TermAnchor, TicketCategory, TicketStatus
from .models import Contact, Customer, Interaction, ProductUsed, Ticket

REGIONS = ["华北", "华东", "华南", "华中", "西南", "西北", "东北"]
INDUSTRIES = ["制造业", "建筑工程", "商贸流通", "医疗卫生", "教育", "交通物流", "能源化工", "食品饮料"]
SUFFIXES = ["有限公司", "贸易有限公司", "科技有限公司", "实业有限公司", "机械设备有限公司", "建设集团有限公司"]
TRADES = ["机械", "化工", "物流", "建材", "电力", "汽车", "农业", "冶金", "环保", "能源", "食品", "纺织", "电子", "矿业",
          "港务", "水务"]
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


def _large_names(ctx: DemoContext, count: int) -> list[tuple[str, str]]:
    """``count`` distinct company names with their search keys, without a pinyin call per name."""
    cities = list(dict.fromkeys(AddressProvider.cities))  # Faker's lists repeat a few entries
    words = list(dict.fromkeys(CompanyProvider.company_prefixes))
    tails = [trade + suffix for trade in TRADES for suffix in SUFFIXES]
    tail_keys = [(full_pinyin(t), initials(t)) for t in tails]
    size = len(cities) * len(words) * len(tails)
    heads: dict[str, tuple[list[str], list[str]]] = {}
    names = []
    for n in ctx.rng.sample(range(size), min(count, size)):
        n, t = divmod(n, len(tails))
        c, w = divmod(n, len(words))
        head = cities[c] + words[w]
        if head not in heads:  # search_key(head) = head, its full pinyin(s), its initials
            short = initials(head)
            tokens = search_key(head).split(" ")[1:]
            heads[head] = ([k for k in tokens if len(k) != len(short)], [k for k in tokens if len(k) == len(short)])
        fulls, firsts = heads[head]
        name = head + tails[t]
        full_tail, first_tail = tail_keys[t]
        key = " ".join(dict.fromkeys([name, *(f + full_tail for f in fulls), *(f + first_tail for f in firsts)]))
        names.append((name, key[:500]))
    return names


CUSTOMER_FIELDS = ("id", "code", "name", "name_key", "short_name", "industry", "region", "address", "level", "status",
                   "salesperson_id", "created_by_id", "invoice_title", "search_text", "created_at", "settlement",
                   "deposit_rate", "credit_limit", "credit_days", "term_anchor")
CONTACT_FIELDS = ("id", "customer_id", "name", "title", "mobile", "is_primary", "email")


def _seed_large(ctx: DemoContext, salespeople, clerk) -> list[Customer]:
    """The bulk variant: the same kinds of rows as ``demo``, from pools instead of per-row Faker
    calls, inserted with ``executemany`` together with their history rows."""
    count = ctx.scaled(100_000, minimum=50)
    now = timezone.now()
    addresses = [ctx.fake.address() for _ in range(min(count, 2000))]
    people = list(dict.fromkeys(ctx.fake.name() for _ in range(min(count, 2000))))
    codes = DemoNumbers("KH", period_format="", width=6, taken=Customer.objects.values_list("code", flat=True))
    levels = [CustomerLevel.A, CustomerLevel.B, CustomerLevel.C, CustomerLevel.D]
    statuses = [CustomerStatus.ACTIVE, CustomerStatus.PROSPECT, CustomerStatus.DORMANT, CustomerStatus.LOST]
    taken = set(Customer.objects.values_list("name_key", flat=True))
    rows = BulkInserter(Customer, CUSTOMER_FIELDS, history=clerk, history_reason="演示数据")
    contacts = BulkInserter(Contact, CONTACT_FIELDS, history=clerk)
    created = [db_datetime(now - timedelta(days=d)) for d in range(900)]
    first_id = rows.ids(0).start
    for name, key in _large_names(ctx, count):
        name_key = normalize_company_name(name)
        if name_key in taken:
            continue
        taken.add(name_key)
        level = ctx.rng.choices(levels, [1, 3, 5, 2])[0]
        terms = _settlement(ctx, level)
        deposit = terms.get("deposit_rate")
        customer_id = rows.ids(1)[0]
        rows.add((customer_id, codes.take(now), name, name_key, name[:4], ctx.rng.choice(INDUSTRIES),
                  ctx.rng.choice(REGIONS), ctx.rng.choice(addresses), str(level),
                  str(ctx.rng.choices(statuses, [7, 2, 1, 0.3])[0]), ctx.rng.choice(salespeople).pk, clerk.pk, name, key,
                  ctx.rng.choice(created), str(terms["settlement"]),
                  None if deposit is None else db_decimal(Customer, "deposit_rate", deposit),
                  to_fen(terms.get("credit_limit", 0)), terms.get("credit_days", 0),
                  str(terms.get("term_anchor", TermAnchor.SHIPMENT))))
        for i in range(ctx.rng.choice([1, 1, 2, 3])):
            contacts.add((contacts.ids(1)[0], customer_id, ctx.rng.choice(people),
                          ctx.rng.choice(["采购经理", "总经理", "财务", "仓管"]),
                          f"+861{ctx.rng.choice('3578')}{ctx.rng.randrange(10**9):09d}", i == 0,
                          f"buyer{customer_id}-{i}@example.com" if ctx.rng.random() < 0.6 else ""))
    rows.finish()
    contacts.finish()
    codes.save()
    ctx.out.write(f"    {rows.written} customers, {contacts.written} contacts\n")
    return list(Customer.objects.filter(pk__gte=first_id).order_by("id").only("id", "salesperson_id"))


def seed(ctx: DemoContext) -> None:
    if not ctx.business:
        return
    if ctx.large:
        customers = _seed_large(ctx, ctx.shared["salespeople"], ctx.shared["users"]["clerk"])
        _extras(ctx, customers, ctx.shared["users"]["clerk"], timezone.now())
        ctx.shared["customers"] = customers
        return
    salespeople = ctx.shared["salespeople"]
    clerk = ctx.shared["users"]["clerk"]
    count = 200
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
    _contacts(ctx, customers, clerk)
    _extras(ctx, customers, clerk, now)
    ctx.shared["customers"] = customers


def _contacts(ctx: DemoContext, customers: list[Customer], clerk) -> None:
    contacts = []
    for c in customers:
        for i in range(ctx.rng.choice([1, 1, 2, 3])):
            contacts.append(Contact(
                customer_id=c.pk, name=ctx.fake.name(), title=ctx.rng.choice(["采购经理", "总经理", "财务", "仓管"]),
                mobile=f"+86{ctx.fake.phone_number()}", is_primary=i == 0,
                email=f"buyer{c.pk}-{i}@example.com" if ctx.rng.random() < 0.6 else "",
            ))
    bulk_create_with_history(contacts, Contact, batch_size=2000, default_user=clerk)


def _extras(ctx: DemoContext, customers: list[Customer], clerk, now) -> None:
    """Products used, interactions and tickets of the first customers."""
    batch = 2000
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
