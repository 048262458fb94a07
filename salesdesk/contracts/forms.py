"""Contract forms: the header, the line grid and the instalment grid (formsets), pasting lines
from Excel/WPS, filing, and the reason of a termination. The rules live in ``services``."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from salesdesk.core.forms import StyledFormMixin
from salesdesk.customers.models import Customer

from . import services
from .choices import ContractKind
from .models import Contract

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ContractForm(StyledFormMixin, forms.Form):
    number = forms.CharField(label=_("合同编号"), max_length=40, required=False,
                             help_text=_("可手工填写（须唯一）；留空则自动编号。"))
    customer = forms.CharField(label=_("客户"), max_length=200,
                               widget=forms.TextInput(attrs={"list": "customer-options", "autocomplete": "off"}),
                               help_text=_("输入客户编号或名称（可用拼音首字母搜索）。"))
    salesperson = forms.ModelChoiceField(label=_("业务员"), queryset=None)
    kind = forms.ChoiceField(label=_("合同类型"), choices=ContractKind.choices, initial=ContractKind.SALES)
    signed_on = forms.DateField(label=_("签订日期"), widget=DATE)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    payment_terms = forms.CharField(label=_("付款条件"), max_length=300, required=False)
    deposit_rate = forms.DecimalField(label=_("定金比例"), required=False, min_value=0, max_value=1, decimal_places=4,
                                      help_text=_("例如 0.30 表示 30%"))
    credit_days = forms.IntegerField(label=_("账期天数"), required=False, min_value=0, max_value=3650)
    delivery_terms = forms.CharField(label=_("交货条件"), max_length=300, required=False)
    archive_no = forms.CharField(label=_("归档号"), max_length=50, required=False)
    paper_location = forms.CharField(label=_("纸质原件存放处"), max_length=100, required=False)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    paste = forms.CharField(
        label=_("从 Excel/WPS 粘贴明细"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("每行：产品编码⇥数量⇥单价（单价可省略）"),
                                     "class": "font-monospace"}),
        help_text=_("在表格中选中三列复制后粘贴到这里，点“解析粘贴”加入明细。"),
    )

    HEADER = ("number", "customer", "salesperson", "kind", "signed_on", "starts_on", "ends_on")
    TERMS = ("payment_terms", "deposit_rate", "credit_days", "delivery_terms")
    FILING = ("archive_no", "paper_location", "notes")

    def __init__(self, *args, user, instance: Contract | None = None, **kwargs):
        self.user, self.instance = user, instance
        super().__init__(*args, **kwargs)
        self.fields["salesperson"].queryset = services.assignable_salespeople(user)
        self.fields["number"].widget.attrs["placeholder"] = services.suggested_number() if instance is None else ""

    def sections(self):
        return [(_("合同"), [self[f] for f in self.HEADER]), (_("条款"), [self[f] for f in self.TERMS]),
                (_("归档与备注"), [self[f] for f in self.FILING])]

    def clean_customer(self) -> Customer:
        """A customer the user may see, by code, exact name or a unique match of the search."""
        term = " ".join(self.cleaned_data["customer"].split())
        visible = Customer.objects.visible_to(self.user)
        found = list(visible.filter(Q(code__iexact=term) | Q(name=term))[:2])
        if not found:
            found = list(visible.search(term)[:2])
        if len(found) != 1:
            raise forms.ValidationError(_("找不到该客户，或匹配到多个客户，请输入完整的客户编号或名称。"))
        return found[0]

    def data_for_service(self) -> dict:
        data = {f: self.cleaned_data.get(f) for f in ("kind", "signed_on", "starts_on", "ends_on", *self.TERMS,
                                                      *self.FILING)}
        data["number"] = self.cleaned_data.get("number") or ""
        for f in ("payment_terms", "delivery_terms", "archive_no", "paper_location", "notes"):
            data[f] = data[f] or ""
        return data


class LineForm(StyledFormMixin, forms.Form):
    sku = forms.CharField(label=_("产品编码"), max_length=40, widget=forms.TextInput(attrs={
        "list": "product-options", "autocomplete": "off", "hx-get": reverse_lazy("contract_product_options"),
        "hx-trigger": "keyup changed delay:300ms", "hx-target": "#product-options",
    }))
    quantity = forms.DecimalField(label=_("数量"), max_digits=16, decimal_places=3, min_value=Decimal("0.001"))
    unit_price = forms.DecimalField(label=_("单价(含税)"), max_digits=19, decimal_places=6, min_value=0, required=False,
                                    help_text=_("留空按客户价格等级价"))


class InstalmentForm(StyledFormMixin, forms.Form):
    due_on = forms.DateField(label=_("应收日期"), widget=DATE)
    amount = forms.DecimalField(label=_("金额"), max_digits=15, decimal_places=2, min_value=Decimal("0.01"))
    note = forms.CharField(label=_("说明"), max_length=100, required=False)


LineFormSet = forms.formset_factory(LineForm, extra=0, can_delete=True, max_num=500, absolute_max=500,
                                    validate_max=True)
InstalmentFormSet = forms.formset_factory(InstalmentForm, extra=0, can_delete=True, max_num=120, absolute_max=120,
                                          validate_max=True)


class FilingForm(StyledFormMixin, forms.Form):
    archive_no = forms.CharField(label=_("归档号"), max_length=50, required=False)
    paper_location = forms.CharField(label=_("纸质原件存放处"), max_length=100, required=False)


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=300, required=False)
