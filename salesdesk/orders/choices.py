from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")  # being entered; editable
    SUBMITTED = "submitted", _("已提交")  # booked and reported to finance (立即上报财务部)
    PARTIALLY_SHIPPED = "partially_shipped", _("部分发货")
    SHIPPED = "shipped", _("已发货")  # everything dispatched, not yet fully paid
    COMPLETED = "completed", _("已完成")  # shipped and fully paid
    CLOSED = "closed", _("已关闭")  # the unshipped remainder was closed by a manager
    CANCELLED = "cancelled", _("已取消")  # cancelled from draft or submitted


ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.SUBMITTED, OrderStatus.CANCELLED}),
    OrderStatus.SUBMITTED: frozenset({OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED, OrderStatus.CANCELLED,
                                      OrderStatus.CLOSED}),
    OrderStatus.PARTIALLY_SHIPPED: frozenset({OrderStatus.SHIPPED, OrderStatus.CLOSED, OrderStatus.SUBMITTED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.COMPLETED, OrderStatus.PARTIALLY_SHIPPED}),
    OrderStatus.COMPLETED: frozenset({OrderStatus.SHIPPED}),  # a refund or return reopens it
    OrderStatus.CLOSED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class PriceCheck(models.TextChoices):
    """An independent axis: prices that differ from the contract or list price need a manager."""

    OK = "ok", _("价格正常")
    PENDING = "pending", _("待经理批准")
    APPROVED = "approved", _("经理已批准")
    REJECTED = "rejected", _("经理已驳回")


class CoordinationKind(models.TextChoices):
    PRODUCTION = "production", _("生产部")
    SUPPLY = "supply", _("计划供应部")


class CoordinationStatus(models.TextChoices):
    REQUESTED = "requested", _("已提出")  # waiting for the reply of production / supply
    CONFIRMED = "confirmed", _("已确认")  # the whole quantity promised by a date
    PARTIAL = "partial", _("部分确认")  # part of it promised
    CANNOT = "cannot", _("无法满足")  # refused
    CANCELLED = "cancelled", _("已撤销")
