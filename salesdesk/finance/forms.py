"""Forms of the finance pages: recording a payment (phone-sized, with the bank slip), finance's
rejection reason, one-step re-allocation rows, gate-exception requests and decisions, and the bank
statement upload. They parse and label; the rules live in ``services`` and come back as errors."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesdesk.core.forms import StyledFormMixin
from salesdesk.core.lib.names import normalize_company_name
from salesdesk.customers.models import Customer
from salesdesk.orders.choices import OrderStatus
from salesdesk.orders.models import Order

from .balances import ZERO, allocated_to_orders
from .choices import PaymentMethod

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"})
EMPTY = ("", "---------")
ACCEPTANCE_METHODS = frozenset({PaymentMethod.BANK_ACCEPTANCE, PaymentMethod.COMMERCIAL_ACCEPTANCE})
# Orders money may still be paid against: booked and not finished (a shipped order on credit too).
PAYABLE_STATUSES = (OrderStatus.SUBMITTED, OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED)
# Up to this many visible customers the select lists them all (a salesperson's own book); above
# it the select holds only the chosen one and is filled by searching.
CUSTOMER_PRELOAD = 200
MAX_AMOUNT = Decimal("999999999999.99")


def customer_label(customer: Customer) -> str:
    return f"{customer.name}（{customer.code}）"


def payer_differs(payer_name: str, customer: Customer) -> bool:
    """三流一致: the payer should be the customer itself; another payer needs a third-party payment
    letter (第三方代付委托书). Names are compared normalised (full-width brackets, spaces)."""
    payer = normalize_company_name(payer_name)
    if not payer:
        return False
    return payer not in {normalize_company_name(customer.name), normalize_company_name(customer.short_name)}


def payable_orders(user, customer) -> list[tuple[Order, Decimal]]:
    """The customer's orders the user may see that still take money, with what each still needs."""
    orders = list(Order.objects.visible_to(user).filter(customer=customer, status__in=PAYABLE_STATUSES)
                  .order_by("-order_date", "-id")[:100])
    paid = allocated_to_orders([o.pk for o in orders])
    return [(o, max(ZERO, o.total - paid.get(o.pk, ZERO))) for o in orders]


def order_label(order: Order, need: Decimal) -> str:
    return f"{order.number} · ¥{order.total:,.2f}（未收 ¥{need:,.2f}）"


class PaymentForm(StyledFormMixin, forms.Form):
    """回款登记: what the clerk or the salesperson knows when the customer says it has paid."""

    customer = forms.ModelChoiceField(label=_("客户"), queryset=Customer.objects.none())
    order = forms.ModelChoiceField(
        label=_("对应订单"), queryset=Order.objects.none(), required=False,
        help_text=_("选择订单即向财务查询该订单货款是否到账（款到发货）；不选则作为客户预收款。"),
    )
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
                                max_value=MAX_AMOUNT, widget=MONEY)
    received_on = forms.DateField(label=_("付款日期"), widget=DATE)
    method = forms.ChoiceField(label=_("付款方式"), choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)
    bill_maturity = forms.DateField(label=_("汇票到期日"), widget=DATE, required=False,
                                    help_text=_("银行承兑汇票、商业承兑汇票必填。"))
    payer_name = forms.CharField(label=_("付款人"), max_length=200, required=False,
                                 help_text=_("水单上的付款户名；与客户名称不同时需第三方代付委托书（三流一致）。"))
    payer_account = forms.CharField(label=_("付款账号"), max_length=50, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    reference = forms.CharField(label=_("银行流水号/票号"), max_length=100, required=False)
    note = forms.CharField(label=_("备注"), max_length=300, required=False)
    slip = forms.FileField(
        label=_("水单照片"), required=False,
        help_text=_("可直接拍照上传银行回单（水单）；支持图片或 PDF。"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,.pdf"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        visible = Customer.objects.visible_to(user)
        self.fields["customer"].queryset = visible
        self.fields["order"].queryset = Order.objects.visible_to(user).filter(status__in=PAYABLE_STATUSES)
        self.fields["received_on"].initial = timezone.localdate()
        chosen = self._chosen_customer(visible)
        preload = list(visible.order_by("name")[: CUSTOMER_PRELOAD + 1])
        self.searchable = len(preload) > CUSTOMER_PRELOAD
        customers = [chosen] if self.searchable and chosen else ([] if self.searchable else preload)
        self.fields["customer"].widget.choices = [EMPTY] + [(c.pk, customer_label(c)) for c in customers]
        self.customer_choice = chosen
        orders = payable_orders(user, chosen) if chosen else []
        self.fields["order"].widget.choices = [EMPTY] + [(o.pk, order_label(o, need)) for o, need in orders]
        self.fields["slip"].widget.attrs["data-max-size"] = str(settings.MAX_UPLOAD_SIZE)

    def _chosen_customer(self, visible):
        raw = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        if hasattr(raw, "pk"):
            return raw
        try:
            return visible.filter(pk=int(raw)).first() if raw else None
        except (TypeError, ValueError):
            return None

    def clean(self):
        data = super().clean()
        customer, order = data.get("customer"), data.get("order")
        if customer and order and order.customer_id != customer.pk:
            self.add_error("order", _("该订单不属于所选客户。"))
        if data.get("method") in ACCEPTANCE_METHODS:
            maturity = data.get("bill_maturity")
            if maturity is None:
                self.add_error("bill_maturity", _("承兑汇票请填写到期日。"))
            elif data.get("received_on") and maturity < data["received_on"]:
                self.add_error("bill_maturity", _("到期日不能早于收票日期。"))
        elif data.get("bill_maturity"):
            data["bill_maturity"] = None  # only bills mature
        return data

    @property
    def payer_warning(self) -> bool:
        data = getattr(self, "cleaned_data", None) or {}
        customer = data.get("customer") or self.customer_choice
        payer = data.get("payer_name") if data else self.data.get("payer_name", "")
        return bool(customer) and payer_differs(payer or "", customer)


class RejectForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("驳回原因"), max_length=300,
                             widget=forms.TextInput(attrs={"placeholder": _("如：银行未查到该笔款项")}))


class AllocationRowForm(StyledFormMixin, forms.Form):
    order = forms.ModelChoiceField(label=_("订单"), queryset=Order.objects.none(), required=False)
    amount = forms.DecimalField(label=_("金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.00"),
                                max_value=MAX_AMOUNT, required=False, widget=MONEY)

    def __init__(self, *args, orders=None, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if orders is not None:
            self.fields["order"].queryset = orders
            self.fields["order"].widget.choices = choices

    def clean(self):
        data = super().clean()
        if data.get("order") and data.get("amount") is None:
            self.add_error("amount", _("请填写金额。"))
        if data.get("amount") and not data.get("order"):
            self.add_error("order", _("请选择订单。"))
        return data


class BaseAllocationFormSet(forms.BaseFormSet):
    def __init__(self, *args, orders, choices, **kwargs):
        self.orders, self.choices = orders, choices
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"orders": self.orders, "choices": self.choices}

    @property
    def empty_form(self):
        form = self.form(auto_id=self.auto_id, prefix=self.add_prefix("__prefix__"), empty_permitted=True,
                         use_required_attribute=False, orders=self.orders, choices=self.choices)
        self.add_fields(form, None)
        return form

    def rows(self) -> list[tuple[Order, Decimal]]:
        return [(f.cleaned_data["order"], f.cleaned_data["amount"]) for f in self.forms
                if f.cleaned_data.get("order") and f.cleaned_data.get("amount")]


AllocationFormSet = forms.formset_factory(AllocationRowForm, formset=BaseAllocationFormSet, extra=2, max_num=50,
                                          absolute_max=50)


def reallocation_orders(payment) -> tuple:
    """The orders a payment may sit on: the customer's booked, not cancelled orders (and any it
    sits on now), with what each still needs, for the select."""
    qs = Order.objects.filter(customer_id=payment.customer_id).filter(
        Q(status__in=(*PAYABLE_STATUSES, OrderStatus.COMPLETED)) | Q(allocations__payment=payment)
    ).distinct()
    orders = list(qs.order_by("-order_date", "-id")[:200])
    paid = allocated_to_orders([o.pk for o in orders])
    choices = [EMPTY] + [(o.pk, order_label(o, max(ZERO, o.total - paid.get(o.pk, ZERO)))) for o in orders]
    return qs, choices


class ExceptionForm(StyledFormMixin, forms.Form):
    amount = forms.DecimalField(label=_("例外金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"),
                                max_value=MAX_AMOUNT, widget=MONEY,
                                help_text=_("未到款但允许先发货的金额。"))
    reason = forms.CharField(label=_("理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    expires_on = forms.DateField(label=_("有效期至"), widget=DATE)


class DecisionForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("审批意见"), max_length=300, required=False)


class StatementUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=_("银行流水文件"),
        help_text=_("网银导出的 Excel（.xlsx、.xls）或 CSV；需含交易日期、收入金额、对方户名，最好有对方账号和流水号。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.MAX_UPLOAD_SIZE:
            raise forms.ValidationError(
                _("文件超过大小上限 %(mb)d MB") % {"mb": settings.MAX_UPLOAD_SIZE // (1024 * 1024)}
            )
        return upload
