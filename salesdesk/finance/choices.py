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


class ReceivableSource(models.TextChoices):
    SHIPMENT = "shipment", _("发货")  # a dispatched shipment
    OPENING = "opening", _("期初")  # an opening balance imported before go-live


class InvoiceKind(models.TextChoices):
    """票种 (DOMAIN.md §3): 数电 invoices have a 20-digit number and no code; legacy ones a code + number."""

    SD_SPECIAL = "sd_special", _("数电专票")  # 81
    SD_ORDINARY = "sd_ordinary", _("数电普票")  # 82
    PAPER_SPECIAL = "paper_special", _("纸质专票")  # 01 (legacy, code + number)
    PAPER_ORDINARY = "paper_ordinary", _("纸质普票")  # 04 (legacy, code + number)
    E_ORDINARY = "e_ordinary", _("电子普票(旧版)")  # 10 (legacy, code + number)


DIGITAL_INVOICE_KINDS = frozenset({InvoiceKind.SD_SPECIAL, InvoiceKind.SD_ORDINARY})


class InvoiceRequestStatus(models.TextChoices):
    REQUESTED = "requested", _("待开票")
    ISSUED = "issued", _("已开票")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")


class WriteOffStatus(models.TextChoices):
    REQUESTED = "requested", _("待总经理审批")  # the clerk or finance asks
    APPROVED = "approved", _("已批准待入账")  # the GM approved; finance records it
    RECORDED = "recorded", _("已核销")  # finance recorded it: written_off facts
    REJECTED = "rejected", _("已驳回")


class OpeningKind(models.TextChoices):
    RECEIVABLE = "receivable", _("期初应收")
    ADVANCE = "advance", _("期初预收")


class CollectionChannel(models.TextChoices):
    PHONE = "phone", _("电话")
    VISIT = "visit", _("上门")
    WECHAT = "wechat", _("微信")
    EMAIL = "email", _("邮件")
    LETTER = "letter", _("催款函")


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SENT = "sent", _("已发送")
    CONFIRMED = "confirmed", _("客户已确认")  # the stamped scan is uploaded
    DISPUTED = "disputed", _("有差异")  # the customer listed differences


STATEMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    StatementStatus.DRAFT: frozenset({StatementStatus.SENT}),
    StatementStatus.SENT: frozenset({StatementStatus.CONFIRMED, StatementStatus.DISPUTED}),
    StatementStatus.DISPUTED: frozenset({StatementStatus.SENT, StatementStatus.CONFIRMED}),
    StatementStatus.CONFIRMED: frozenset(),
}
