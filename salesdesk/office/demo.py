"""Demo register items and a circular, written through the services (numbers, history, routing)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from salesdesk.core.demo import DemoContext

from . import services
from .choices import Channel, CircularKind, Direction

SUBJECTS = {
    Direction.INCOMING: ["关于调整供货价格的函", "厂家二季度返利政策", "对账确认函", "到货异议函", "年度框架协议续签意向",
                         "来电询问交货期"],
    Direction.OUTGOING: ["发货通知", "催款函", "价格调整告知函", "对账单", "新品推介函"],
}


def seed(ctx: DemoContext) -> None:
    if not ctx.business or not ctx.shared.get("customers"):
        return
    users = ctx.shared["users"]
    clerk = users["clerk"]
    handlers = [users["manager"], users["gm"], users["finance"], *ctx.shared["salespeople"][:3]]
    customers = ctx.shared["customers"]
    today = timezone.localdate()
    count = 40 if ctx.scale == "demo" else 400
    for _ in range(count):
        direction = ctx.rng.choice([Direction.INCOMING, Direction.INCOMING, Direction.OUTGOING])
        customer = ctx.rng.choice(customers) if ctx.rng.random() < 0.8 else None
        item = services.register_correspondence(
            actor=clerk, direction=direction, channel=ctx.rng.choice(list(Channel.values)),
            subject=ctx.rng.choice(SUBJECTS[direction]), counterpart="" if customer else ctx.fake.company(),
            customer=customer, received_on=today - timedelta(days=ctx.rng.randrange(0, 60)),
            routed_to=ctx.rng.choice(handlers) if direction == Direction.INCOMING else None,
            deadline=today + timedelta(days=ctx.rng.randrange(-5, 10)) if direction == Direction.INCOMING else None,
        )
        roll = ctx.rng.random()
        if roll < 0.6:
            services.complete_correspondence(actor=clerk, item=item, result="已处理并回复")
        if roll < 0.3:
            services.file_correspondence(actor=clerk, item=item, archive_no=f"{today.year}-档-{item.pk:04d}")
    services.send_circular(
        actor=clerk, kind=CircularKind.POLICY, subject=f"{today.year}年销售政策调整通知",
        body="各位客户：\n\n自下月1日起，部分产品价格及返利政策调整，详见附表。\n\n特此通知。",
        customers=ctx.rng.sample(customers, min(len(customers), 20)),
    )
