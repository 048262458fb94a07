"""Statuses and codes of the customer domain, each with its allowed transitions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerStatus(models.TextChoices):
    PROSPECT = "prospect", _("潜在客户")  # being developed, no order yet
    ACTIVE = "active", _("合作中")  # has ordered; the normal state
    DORMANT = "dormant", _("休眠")  # no business for a long time, still reachable
    LOST = "lost", _("流失")  # gone to a competitor or closed; kept for history (never deleted)


class CustomerLevel(models.TextChoices):
    A = "A", _("A 重点客户")
    B = "B", _("B 主要客户")
    C = "C", _("C 普通客户")
    D = "D", _("D 小客户")


class Settlement(models.TextChoices):
    PREPAID = "prepaid", _("款到发货")  # 100 % before shipment (default for new customers)
    DEPOSIT = "deposit", _("定金+尾款")  # a deposit share at order, the balance before shipment
    CREDIT = "credit", _("信用账期")  # credit limit and credit days
    MONTHLY = "monthly", _("月结")  # credit, counted from month end


class TermAnchor(models.TextChoices):
    SHIPMENT = "shipment", _("发货日")
    DELIVERY = "delivery", _("签收日")
    INVOICE = "invoice", _("开票日")
    MONTH_END = "month_end", _("月末")


class PriceLevel(models.TextChoices):
    LIST = "list", _("标准价")
    DEALER = "dealer", _("经销价")
    KEY_ACCOUNT = "key_account", _("大客户价")
    SPECIAL = "special", _("特价")


class ContactRole(models.TextChoices):
    DECISION = "decision", _("决策人")
    PURCHASING = "purchasing", _("采购")
    FINANCE = "finance", _("财务")
    TECHNICAL = "technical", _("技术")
    LOGISTICS = "logistics", _("收货")
    OTHER = "other", _("其他")


class InteractionKind(models.TextChoices):
    CALL_IN = "call_in", _("来电")  # 咨询电话的接听
    CALL_OUT = "call_out", _("去电")
    VISIT = "visit", _("拜访")
    RECEPTION = "reception", _("来访接待/客饭")  # 客饭安排
    MESSAGE = "message", _("微信/短信")
    EMAIL = "email", _("邮件")
    OTHER = "other", _("其他")


class TicketCategory(models.TextChoices):
    COMPLAINT = "complaint", _("投诉")
    FEEDBACK = "feedback", _("意见反馈")
    QUALITY = "quality", _("质量问题")
    DELIVERY = "delivery", _("交付/物流")
    BILLING = "billing", _("账款/发票")
    ENQUIRY = "enquiry", _("咨询")


class Severity(models.TextChoices):
    LOW = "low", _("低")
    NORMAL = "normal", _("一般")
    HIGH = "high", _("高")
    URGENT = "urgent", _("紧急")


class TicketStatus(models.TextChoices):
    OPEN = "open", _("待处理")  # logged, nobody working on it yet
    IN_PROGRESS = "in_progress", _("处理中")  # the assignee is handling it
    RESOLVED = "resolved", _("已解决")  # handled; waiting for the customer's confirmation
    CLOSED = "closed", _("已关闭")  # confirmed by the customer (or closed by a manager)


TICKET_TRANSITIONS: dict[str, frozenset[str]] = {
    TicketStatus.OPEN: frozenset({TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED}),
    TicketStatus.IN_PROGRESS: frozenset({TicketStatus.RESOLVED, TicketStatus.OPEN}),
    TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED, TicketStatus.IN_PROGRESS}),
    TicketStatus.CLOSED: frozenset(),
}
