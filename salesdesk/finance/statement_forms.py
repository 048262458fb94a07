"""Forms of the statement pages: issuing (customer and period, previewed before issuing), sending
(to whom), the customer's answer (the stamped scan, or the differences). They parse and label; the
rules live in ``finance.statements``."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesdesk.core.forms import StyledFormMixin
from salesdesk.customers.models import Customer

from .forms import CUSTOMER_PRELOAD, EMPTY, customer_label

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def last_month() -> tuple[date, date]:
    """The default period: the previous calendar month (statements go out after month end)."""
    first_this = timezone.localdate().replace(day=1)
    end = first_this - timedelta(days=1)
    return end.replace(day=1), end


class IssueForm(StyledFormMixin, forms.Form):
    customer = forms.ModelChoiceField(label=_("客户"), queryset=Customer.objects.none())
    start = forms.DateField(label=_("起始日"), widget=DATE)
    end = forms.DateField(label=_("截止日"), widget=DATE)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        visible = Customer.objects.visible_to(user)
        self.fields["customer"].queryset = visible
        start, end = last_month()
        self.fields["start"].initial, self.fields["end"].initial = start, end
        chosen = self._chosen(visible)
        preload = list(visible.order_by("name")[: CUSTOMER_PRELOAD + 1])
        self.searchable = len(preload) > CUSTOMER_PRELOAD
        customers = [chosen] if self.searchable and chosen else ([] if self.searchable else preload)
        self.fields["customer"].widget.choices = [EMPTY] + [(c.pk, customer_label(c)) for c in customers]

    def _chosen(self, visible):
        raw = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        if hasattr(raw, "pk"):
            return raw
        try:
            return visible.filter(pk=int(raw)).first() if raw else None
        except (TypeError, ValueError, OverflowError):
            return None

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("截止日不能早于起始日。"))
        if end and end > timezone.localdate():
            self.add_error("end", _("截止日不能晚于今天。"))
        return data


class SendForm(StyledFormMixin, forms.Form):
    to = forms.CharField(label=_("客户邮箱"), max_length=200,
                         help_text=_("多个地址用逗号分隔；默认取客户财务联系人的邮箱。"))


class ConfirmForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("客户盖章回执扫描件"), required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": "image/*,.pdf"}))


class DisputeForm(StyledFormMixin, forms.Form):
    differences = forms.CharField(label=_("客户列明的差异"), max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
