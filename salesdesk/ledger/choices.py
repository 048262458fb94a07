from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FactKind(models.TextChoices):
    """What happened. Facts are signed: reversing kinds are stored negative, so a measure is the
    plain SUM over its kinds (e.g. ordered = booked + unbooked)."""

    BOOKED = "booked", _("下单")  # an order was submitted (+)
    UNBOOKED = "unbooked", _("撤单")  # a submitted order was cancelled or its remainder closed (−)
    SHIPPED = "shipped", _("发货")  # a shipment was dispatched (+)
    RETURNED = "returned", _("退货")  # goods came back (−, on the shipped measure)
    INVOICED = "invoiced", _("开票")  # an invoice was issued (+)
    CREDITED = "credited", _("红冲")  # a credit note / red invoice (−, on the invoiced measure)
    RECEIVED = "received", _("回款")  # confirmed money, allocated or advance (+)
    REFUNDED = "refunded", _("退款")  # money paid back (−, on the received measure)
    WRITTEN_OFF = "written_off", _("坏账核销")  # bad debt written off (+, reduces receivables)
    OPENING = "opening", _("期初")  # opening receivable (+) or advance (−) at go-live


NEGATIVE_KINDS = frozenset({FactKind.UNBOOKED, FactKind.RETURNED, FactKind.CREDITED, FactKind.REFUNDED})
MONEY_KINDS = frozenset({FactKind.RECEIVED, FactKind.REFUNDED, FactKind.WRITTEN_OFF, FactKind.OPENING})

# The measures reports read, as the kinds they sum.
MEASURES: dict[str, frozenset[str]] = {
    "ordered": frozenset({FactKind.BOOKED, FactKind.UNBOOKED}),
    "shipped": frozenset({FactKind.SHIPPED, FactKind.RETURNED}),
    "invoiced": frozenset({FactKind.INVOICED, FactKind.CREDITED}),
    "received": frozenset({FactKind.RECEIVED, FactKind.REFUNDED}),
    "written_off": frozenset({FactKind.WRITTEN_OFF}),
    "opening": frozenset({FactKind.OPENING}),
}
