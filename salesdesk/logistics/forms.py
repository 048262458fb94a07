"""Forms of the logistics pages: a shipment planned from an order (one quantity per order line,
prefilled with what is left to ship), dispatch, tracking notes, delivery, the returned 送货单 scan,
cancellation and the outcome of a customer call. They parse and label; the rules (what is left,
the payment gate, the transitions) live in ``services`` and come back as errors."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesdesk.core.forms import StyledFormMixin
from salesdesk.orders.models import Order, OrderLine

from .choices import CallStatus, Carrier
from .services import LineRequest

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CARRIERS = [("", "---------"), *Carrier.choices]
MAX_FREIGHT = Decimal("99999999.99")


def plain(quantity: Decimal) -> str:
    """A quantity as people type it: 10, 2.5 — never 1E+1 or 10.000."""
    value = quantity.normalize()
    return f"{value.quantize(Decimal(1)):f}" if value == value.to_integral() else f"{value:f}"


def _quantity_input(remaining: Decimal) -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": "any", "min": "0", "max": plain(remaining), "inputmode": "decimal",
                                    "class": "text-end"})


@dataclass
class LineRow:
    """One order line on the shipment form: ordered, already on shipments, left, and its input."""

    line: OrderLine
    taken: Decimal
    remaining: Decimal
    field_name: str


class ShipmentForm(StyledFormMixin, forms.Form):
    """发货单: how much of each order line goes now, from where, by whom."""

    warehouse = forms.CharField(label=_("发货仓库"), max_length=50, required=False)
    carrier = forms.ChoiceField(label=_("承运商"), choices=CARRIERS, required=False)
    waybill_no = forms.CharField(label=_("运单号"), max_length=40, required=False,
                                 help_text=_("可发货时再填；空格、小写会自动规范。"))
    planned_on = forms.DateField(label=_("计划发货日"), widget=DATE, required=False)
    freight = forms.DecimalField(label=_("运费（元）"), max_digits=10, decimal_places=2, min_value=Decimal(0),
                                 max_value=MAX_FREIGHT, required=False,
                                 widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}))
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args, order: Order, remaining: dict[int, Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.fields["planned_on"].initial = timezone.localdate()
        self.rows: list[LineRow] = []
        for line in order.lines.all():
            left = remaining.get(line.pk, Decimal(0))
            name = f"qty_{line.pk}"
            self.rows.append(LineRow(line=line, taken=line.quantity - left, remaining=left, field_name=name))
            if left > 0:
                self.fields[name] = forms.DecimalField(
                    label=line.product.name, min_value=Decimal(0), max_digits=15, decimal_places=3, required=False,
                    initial=plain(left), widget=_quantity_input(left),
                )
                # added after StyledFormMixin styled the fixed fields
                self.fields[name].widget.attrs["class"] += " form-control form-control-sm"

    @property
    def line_rows(self):
        """(row, bound field or None) for the template."""
        return [(row, self[row.field_name] if row.field_name in self.fields else None) for row in self.rows]

    @property
    def header_fields(self):
        """The fields of the shipment itself (the line quantities are shown in the table)."""
        return [self[name] for name in self.fields if not name.startswith("qty_")]

    @property
    def shippable(self) -> bool:
        return any(row.remaining > 0 for row in self.rows)

    def clean(self):
        data = super().clean()
        if not any(data.get(row.field_name) for row in self.rows):
            raise forms.ValidationError(_("请至少填写一行发货数量。"))
        return data

    def line_requests(self) -> list[LineRequest]:
        """The quantities per product (an order may list a product twice; the service fills the
        earliest lines first)."""
        per_product: dict[int, Decimal] = {}
        for row in self.rows:
            qty = self.cleaned_data.get(row.field_name)
            if qty:
                per_product[row.line.product_id] = per_product.get(row.line.product_id, Decimal(0)) + qty
        return [LineRequest(product_id, qty) for product_id, qty in per_product.items()]


class DispatchForm(StyledFormMixin, forms.Form):
    carrier = forms.ChoiceField(label=_("承运商"), choices=CARRIERS, required=False)
    waybill_no = forms.CharField(label=_("运单号"), max_length=40, required=False)


class TrackForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("物流跟踪"), max_length=300,
                           widget=forms.TextInput(attrs={"placeholder": _("如：已到达郑州转运中心")}))


class DeliverForm(StyledFormMixin, forms.Form):
    signer = forms.CharField(label=_("签收人"), max_length=50)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)


class PodForm(StyledFormMixin, forms.Form):
    scan = forms.FileField(
        label=_("签收回单（送货单）扫描件"),
        help_text=_("客户签字盖章的送货单，拍照或扫描上传；支持图片或 PDF。"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.pdf"}),
    )
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def clean_scan(self):
        scan = self.cleaned_data["scan"]
        if scan.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(_("文件超过大小上限 %(mb)d MB") % {"mb": settings.MAX_UPLOAD_SIZE // (1024 * 1024)})
        return scan


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=300, required=False,
                             widget=forms.TextInput(attrs={"placeholder": _("如：客户改期")}))


class CallForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("结果"), choices=[(CallStatus.DONE, CallStatus.DONE.label),
                                                       (CallStatus.UNREACHABLE, CallStatus.UNREACHABLE.label)],
                              initial=CallStatus.DONE, widget=forms.RadioSelect)
    outcome = forms.CharField(label=_("通话记录"), max_length=300,
                              widget=forms.TextInput(attrs={"placeholder": _("如：客户已知悉，明天上午收货")}))
