"""Forms of the receivable pages: the as-of / salesperson / basis pickers of the aging and the open
items, and the collection follow-up (催款记录). They parse and label; the rules live in
``finance.receivables`` and come back as form errors."""

from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesdesk.core.forms import StyledFormMixin
from salesdesk.orders.filters import sellers_visible_to
from salesdesk.org.visibility import salesperson_scope

from .choices import CollectionChannel

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"})
EARLIEST, LATEST = date(1990, 1, 1), date(2100, 12, 31)


def _in_range(value: date | None) -> date | None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise forms.ValidationError(_("日期超出范围（1990–2100）。"))
    return value


class AsOfForm(StyledFormMixin, forms.Form):
    """截止日 and the customers' owner, shared by the aging, the open items and the overdue list.
    A salesperson has no owner choice (they see their own customers)."""

    as_of = forms.DateField(label=_("截止日"), required=False, widget=DATE)
    salesperson = forms.TypedChoiceField(label=_("业务员"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, user, with_salesperson: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        scope = salesperson_scope(user)
        if not with_salesperson or (scope is not None and len(scope) <= 1):
            del self.fields["salesperson"]
        else:
            self.fields["salesperson"].choices = [("", _("全部"))] + [
                (u.pk, u.display_name) for u in sellers_visible_to(user)]

    def clean_as_of(self):
        return _in_range(self.cleaned_data.get("as_of"))

    @property
    def day(self) -> date:
        return (self.cleaned_data.get("as_of") if self.is_valid() else None) or timezone.localdate()

    @property
    def salesperson_id(self) -> int | None:
        return self.cleaned_data.get("salesperson") if self.is_valid() else None


class AgingForm(AsOfForm):
    basis = forms.ChoiceField(label=_("账龄口径"), required=False, choices=[
        ("due", _("按逾期天数")), ("shipment", _("按发货天数"))])

    @property
    def basis_value(self) -> str:
        return (self.cleaned_data.get("basis") if self.is_valid() else None) or "due"


class OpenItemForm(AsOfForm):
    STATUS = [("", _("全部未收")), ("overdue", _("已逾期")), ("current", _("未逾期"))]

    q = forms.CharField(label=_("客户"), required=False, max_length=100, widget=forms.TextInput(
        attrs={"type": "search", "placeholder": _("客户名称、编号、拼音首字母")}))
    status = forms.ChoiceField(label=_("状态"), required=False, choices=STATUS)


class CollectionNoteForm(StyledFormMixin, forms.Form):
    contacted_on = forms.DateField(label=_("催款日期"), widget=DATE)
    channel = forms.ChoiceField(label=_("方式"), choices=CollectionChannel.choices)
    contact_name = forms.CharField(label=_("联系人"), required=False, max_length=50)
    receivable = forms.TypedChoiceField(label=_("针对单据"), required=False, coerce=int, empty_value=None)
    promised_on = forms.DateField(label=_("承诺付款日"), required=False, widget=DATE)
    promised_amount = forms.DecimalField(label=_("承诺金额"), required=False, max_digits=14, decimal_places=2,
                                         min_value=0, widget=MONEY)
    result = forms.CharField(label=_("结果"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receivable"].choices = [("", _("整个客户"))] + [
            (i.receivable.pk, f"{i.receivable.number} · 未收 ¥{i.open_amount:,.2f}"
                              f"{' · 到期 ' + i.receivable.due_on.isoformat() if i.receivable.due_on else ''}")
            for i in items]
        if not self.is_bound:
            self.initial.setdefault("contacted_on", timezone.localdate())

    def clean_contacted_on(self):
        return _in_range(self.cleaned_data.get("contacted_on"))

    def clean_promised_on(self):
        return _in_range(self.cleaned_data.get("promised_on"))
