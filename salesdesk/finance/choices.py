from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("银行转账")
    CASH = "cash", _("现金")
    BANK_ACCEPTANCE = "bank_acceptance", _("银行承兑汇票")
    COMMERCIAL_ACCEPTANCE = "commercial_acceptance", _("商业承兑汇票")
    WECHAT = "wechat", _("微信")
    ALIPAY = "alipay", _("支付宝")
    OTHER = "other", _("其他")


class PaymentKind(models.TextChoices):
    RECEIPT = "receipt", _("收款")  # money from the customer
    REFUND = "refund", _("退款")  # money paid back to the customer (a negative payment)


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("待财务确认")  # recorded by the clerk or a salesperson; the "has it arrived?" request
    CONFIRMED = "confirmed", _("已确认")  # finance has seen it in the bank: it counts from now on
    REJECTED = "rejected", _("已驳回")  # finance could not find it or it is not ours


PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.CONFIRMED, PaymentStatus.REJECTED}),
    PaymentStatus.CONFIRMED: frozenset(),
    PaymentStatus.REJECTED: frozenset(),
}


class ExceptionStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
