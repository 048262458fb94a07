"""Forms of the invoice pages: recording an issued (or red) invoice with optional lines, a
salesperson's invoice request, and finance's rejection reason. They parse and label; the rules
live in ``invoicing`` and come back as errors."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesdesk.catalog.models import Product
from salesdesk.core.forms import StyledFormMixin
from salesdesk.orders.models import Order

from . import invoicing
from .choices import InvoiceKind
from .forms import DATE, MAX_AMOUNT

RATES = [("0.13", "13%"), ("0.09", "9%"), ("0.06", "6%"), ("0.05", "5%"), ("0.03", "3%"), ("0.01", "1%"), ("0", "0%")]
AMOUNT = forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})
CHOICE_LIMIT = 100


def _amount_field(label, *, required=False, min_value=Decimal("0.00"), help_text=""):
    return forms.DecimalField(label=label, max_digits=14, decimal_places=2, min_value=min_value, max_value=MAX_AMOUNT,
                              required=required, widget=AMOUNT, help_text=help_text)


def order_choices(user, customer) -> tuple:
    """The customer's orders the user may see that can be invoiced, newest first, each labelled with
    its total and what is invoiced on it so far."""
    orders = list(Order.objects.visible_to(user).filter(customer=customer, status__in=invoicing.INVOICEABLE_STATUSES)
                  .order_by("-order_date", "-id")[:CHOICE_LIMIT])
    done = invoicing.invoiced_by_order([o.pk for o in orders])
    labels = [(o.pk, f"{o.number} · ¥{o.total:,.2f}（已开票 ¥{done.get(o.pk, Decimal(0)):,.2f}）") for o in orders]
    return Order.objects.filter(pk__in=[o.pk for o in orders]), labels


def _shipment_label(s) -> str:
    day = f" · {timezone.localtime(s.dispatched_at):%Y-%m-%d}" if s.dispatched_at else ""
    return f"{s.number} · {s.order.number} · ¥{s.value:,.2f}{day}"


def shipment_choices(user, customer, also=()) -> list[tuple[int, str]]:
    """The customer's dispatched shipments no invoice covers yet (and any already chosen)."""
    rows = list(invoicing.uninvoiced_shipments(user).filter(customer=customer).order_by("dispatched_at", "id")
                [:CHOICE_LIMIT])
    extra = set(also) - {s.pk for s in rows}
    if extra:
        rows += list(invoicing.shipment_model().objects.visible_to(user).filter(pk__in=extra, customer=customer)
                     .select_related("order"))
    return [(s.pk, _shipment_label(s)) for s in rows]


class InvoiceForm(StyledFormMixin, forms.Form):
    """The invoice as issued by the tax system; red-invoice mode (``original``) has no orders or
    shipments of its own: it reverses its original's."""

    kind = forms.ChoiceField(label=_("票种"), choices=InvoiceKind.choices, initial=InvoiceKind.SD_SPECIAL)
    code = forms.CharField(label=_("发票代码"), max_length=20, required=False,
                           help_text=_("旧版发票填写 10 位或 12 位代码；数电发票没有代码，留空。"))
    number = forms.CharField(label=_("发票号码"), max_length=40,
                             help_text=_("数电发票 20 位数字；旧版发票 8 位数字。"),
                             widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    issued_on = forms.DateField(label=_("开票日期"), widget=DATE)
    amount = _amount_field(_("价税合计"), min_value=Decimal("0.01"), help_text=_("填写明细时可留空，按明细合计。"))
    tax_amount = _amount_field(_("税额"), help_text=_("填写明细时可留空，按各行税额之和。"))
    orders = forms.ModelMultipleChoiceField(label=_("关联订单"), queryset=Order.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    shipments = forms.TypedMultipleChoiceField(label=_("关联发货单"), required=False, coerce=int,
                                               widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)

    def __init__(self, *args, user, customer, original=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].initial = timezone.localdate()
        if original is not None:
            del self.fields["orders"], self.fields["shipments"]
            self.fields["kind"].initial = original.kind
            return
        orders, labels = order_choices(user, customer)
        self.fields["orders"].queryset = orders
        self.fields["orders"].widget.choices = labels
        chosen = self.data.getlist("shipments") if self.is_bound else self.initial.get("shipments", [])
        self.fields["shipments"].choices = shipment_choices(
            user, customer, also=[int(v) for v in chosen if str(v).isdigit() and int(v) < 2**63])


class LineForm(StyledFormMixin, forms.Form):
    sku = forms.CharField(label=_("产品编码"), max_length=40, required=False)
    description = forms.CharField(label=_("货物或应税劳务名称"), max_length=200, required=False)
    quantity = forms.DecimalField(label=_("数量"), max_digits=15, decimal_places=3, min_value=Decimal("0.001"),
                                  required=False)
    amount = forms.DecimalField(label=_("价税合计"), max_digits=14, decimal_places=2, max_value=MAX_AMOUNT,
                                min_value=-MAX_AMOUNT, required=False, widget=AMOUNT)
    tax_rate = forms.ChoiceField(label=_("税率"), choices=RATES, initial="0.13")
    tax = forms.DecimalField(label=_("税额"), max_digits=14, decimal_places=2, max_value=MAX_AMOUNT,
                             min_value=-MAX_AMOUNT, required=False, widget=AMOUNT)

    def clean(self):
        data = super().clean()
        sku = (data.get("sku") or "").strip()
        data["product"] = None
        if sku:
            data["product"] = Product.objects.filter(sku__iexact=sku).first()
            if data["product"] is None:
                self.add_error("sku", _("没有这个产品编码。"))
        if (sku or data.get("description")) and data.get("amount") is None:
            self.add_error("amount", _("请填写金额。"))
        return data

    def line(self) -> invoicing.LineInput | None:
        data = self.cleaned_data
        if not data or data.get("amount") is None:
            return None
        return invoicing.LineInput(amount=data["amount"], tax_rate=Decimal(data["tax_rate"]), tax=data.get("tax"),
                                   product=data.get("product"), description=data.get("description") or "",
                                   quantity=data.get("quantity"))


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[invoicing.LineInput]:
        return [line for line in (f.line() for f in self.forms) if line is not None]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=3, max_num=50, absolute_max=50)


class RequestForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("票种"), choices=InvoiceKind.choices, initial=InvoiceKind.SD_SPECIAL)
    amount = _amount_field(_("申请开票金额"), required=True, min_value=Decimal("0.01"))
    orders = forms.ModelMultipleChoiceField(label=_("订单"), queryset=Order.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("说明"), max_length=300, required=False,
                           widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("如：客户月底报账，需专票")}))

    def __init__(self, *args, user, customer, **kwargs):
        super().__init__(*args, **kwargs)
        orders, labels = order_choices(user, customer)
        self.fields["orders"].queryset = orders
        self.fields["orders"].widget.choices = labels


class RejectForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("驳回原因"), max_length=300,
                             widget=forms.TextInput(attrs={"placeholder": _("如：金额与订单不符")}))
