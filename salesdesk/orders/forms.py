"""Forms of the order pages: the header, the line grid, the credit-split rows, the paste box
(lines copied from Excel/WPS) and the coordination request and reply. They parse and label; the
rules live in ``services`` and come back as form errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from salesdesk.catalog.models import Product
from salesdesk.contracts.models import Contract
from salesdesk.core.forms import StyledFormMixin
from salesdesk.customers.models import Customer
from salesdesk.org.models import User

from .choices import CoordinationKind, CoordinationStatus
from .filters import sellers_visible_to

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EMPTY = ("", "---------")


def customer_label(customer: Customer) -> str:
    return f"{customer.name}（{customer.code}）"


def product_label(product: Product) -> str:
    spec = f" {product.specification}" if product.specification else ""
    return f"{product.sku} {product.name}{spec}"


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class ContractChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contract) -> str:
        return f"{obj.number}（{obj.signed_on:%Y-%m-%d}）"


class OrderForm(StyledFormMixin, forms.Form):
    """The order's header. The customer select holds only the chosen customer (the list is searched
    as one types); the contract select the chosen customer's active contracts."""

    customer = forms.ModelChoiceField(label=_("客户"), queryset=Customer.objects.none())
    contract = ContractChoiceField(label=_("合同"), queryset=Contract.objects.none(), required=False,
                                   help_text=_("按合同下单时只能选择合同内产品，数量不超过合同剩余数量。"))
    salesperson = PersonChoiceField(label=_("业务员"), queryset=User.objects.none(), required=False,
                                    help_text=_("不选则为客户的负责业务员。"))
    order_date = forms.DateField(label=_("下单日期"), widget=DATE)
    requested_delivery_on = forms.DateField(label=_("要求交货日期"), widget=DATE, required=False)
    delivery_address = forms.CharField(label=_("收货地址"), max_length=300, required=False)
    delivery_contact = forms.CharField(label=_("收货人"), max_length=50, required=False)
    delivery_phone = forms.CharField(label=_("收货电话"), max_length=30, required=False,
                                     widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))
    notes = forms.CharField(label=_("备注"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["customer"].queryset = Customer.objects.visible_to(user)
        self.fields["contract"].queryset = Contract.objects.visible_to(user).active()
        self.fields["salesperson"].queryset = sellers_visible_to(user)
        customer = self.chosen("customer", Customer.objects.visible_to(user))
        self.fields["customer"].widget.choices = [EMPTY] + ([(customer.pk, customer_label(customer))] if customer else [])
        contracts = list(Contract.objects.visible_to(user).active().filter(customer=customer).order_by("-signed_on")
                         ) if customer else []
        chosen_contract = self.chosen("contract", Contract.objects.visible_to(user))
        if chosen_contract is not None and chosen_contract not in contracts:
            contracts.append(chosen_contract)  # shown, so the service can say why it is refused
        self.fields["contract"].widget.choices = [EMPTY] + [(c.pk, self.fields["contract"].label_from_instance(c))
                                                            for c in contracts]
        self.customer_choice = customer

    def chosen(self, name: str, queryset):
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        if hasattr(raw, "pk"):
            return raw
        try:
            return queryset.filter(pk=int(raw)).first() if raw else None
        except (TypeError, ValueError):
            return None


class LineForm(StyledFormMixin, forms.Form):
    product = forms.ModelChoiceField(label=_("产品"), queryset=Product.objects.all())
    quantity = forms.DecimalField(label=_("数量"), max_digits=15, decimal_places=3,
                                  widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))
    unit_price = forms.DecimalField(label=_("单价(含税)"), max_digits=19, decimal_places=6, required=False,
                                    widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}))

    def __init__(self, *args, product_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if product_choices is not None:
            self.fields["product"].widget.choices = product_choices  # built once for the whole grid


class ShareForm(StyledFormMixin, forms.Form):
    salesperson = PersonChoiceField(label=_("业务员"), queryset=User.objects.none())
    percent = forms.DecimalField(label=_("分成比例(%)"), max_digits=5, decimal_places=2, min_value=Decimal("0.01"),
                                 max_value=Decimal(100), widget=forms.NumberInput(attrs={"step": "0.01"}))

    def __init__(self, *args, sellers=None, seller_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if sellers is not None:
            self.fields["salesperson"].queryset = sellers
        if seller_choices is not None:
            self.fields["salesperson"].widget.choices = seller_choices


LineFormSet = forms.formset_factory(LineForm, extra=0, can_delete=True, max_num=500, validate_max=True)
ShareFormSet = forms.formset_factory(ShareForm, extra=0, can_delete=True, max_num=20, validate_max=True)


# --- paste from Excel / WPS -------------------------------------------------------------------


@dataclass(frozen=True)
class PastedRow:
    sku: str
    quantity: Decimal
    unit_price: Decimal | None


NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _number(cell: str) -> Decimal | None:
    cell = cell.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace("元", "")
    if not NUMBER.match(cell):
        return None
    try:
        return Decimal(cell)
    except InvalidOperation:
        return None


def parse_pasted_lines(text: str) -> tuple[list[PastedRow], list[str]]:
    """Rows copied from a spreadsheet (Excel, WPS): cells separated by tabs (or commas / several
    spaces), the product code first, then the quantity and optionally the unit price; other text
    columns between them (the product name) are skipped, and a header row is ignored.
    Returns the rows and the problems, each naming its row number."""
    rows: list[PastedRow] = []
    problems: list[str] = []
    for n, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        if not raw.strip():
            continue
        cells = [c.strip() for c in (raw.split("\t") if "\t" in raw else re.split(r"\s{2,}|,|，", raw.strip()))]
        cells = [c for c in cells if c]
        if not cells:
            continue
        sku = cells[0]
        numbers = [d for d in (_number(c) for c in cells[1:]) if d is not None]
        if not numbers:
            if n == 1:
                continue  # a header row (编码 / 数量 / 单价)
            problems.append(str(_("第 %(n)d 行：没有数量。") % {"n": n}))
            continue
        quantity = numbers[0]
        price = numbers[1] if len(numbers) > 1 else None
        if quantity <= 0 or (price is not None and price < 0):
            problems.append(str(_("第 %(n)d 行：数量或单价不正确。") % {"n": n}))
            continue
        rows.append(PastedRow(sku, quantity, price))
    return rows, problems


# --- coordination -----------------------------------------------------------------------------


class CoordinationForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("协调对象"), choices=CoordinationKind.choices)
    product = forms.ModelChoiceField(label=_("产品"), queryset=Product.objects.none())
    quantity = forms.DecimalField(label=_("数量"), max_digits=15, decimal_places=3, min_value=Decimal("0.001"),
                                  widget=forms.NumberInput(attrs={"step": "any"}))
    needed_by = forms.DateField(label=_("需求日期"), widget=DATE)

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products
        self.fields["product"].label_from_instance = product_label


REPLY_CHOICES = [(s.value, s.label) for s in (CoordinationStatus.CONFIRMED, CoordinationStatus.PARTIAL,
                                              CoordinationStatus.CANNOT)]


class ReplyForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("答复"), choices=REPLY_CHOICES)
    promised_on = forms.DateField(label=_("承诺日期"), widget=DATE, required=False)
    promised_quantity = forms.DecimalField(label=_("承诺数量"), max_digits=15, decimal_places=3, required=False,
                                           help_text=_("部分确认时填写。"), widget=forms.NumberInput(attrs={"step": "any"}))
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


def reply_forms(user, requests) -> dict[int, ReplyForm]:
    """A reply form per open request, for users who record replies (planner, clerk)."""
    from . import permissions as perms

    if not user.has_perm(perms.REPLY_COORDINATION):
        return {}
    answered = (CoordinationStatus.CONFIRMED, CoordinationStatus.PARTIAL, CoordinationStatus.CANNOT)
    return {
        r.pk: ReplyForm(prefix=f"r{r.pk}", initial={
            "status": r.status if r.status in answered else CoordinationStatus.CONFIRMED,
            "promised_on": r.promised_on, "promised_quantity": r.promised_quantity, "note": r.reply_note,
        })
        for r in requests if r.status != CoordinationStatus.CANCELLED
    }
