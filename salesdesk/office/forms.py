from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesdesk.core.forms import StyledFormMixin
from salesdesk.customers.choices import CustomerLevel, CustomerStatus
from salesdesk.customers.models import Customer
from salesdesk.org.models import User
from salesdesk.org.roles import Role
from salesdesk.org.visibility import salesperson_scope

from . import queries
from .choices import Channel, CircularKind, Direction

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
EMPTY = ("", "---------")


def customer_label(customer: Customer) -> str:
    return f"{customer.name}（{customer.code}）"


class CorrespondenceForm(StyledFormMixin, forms.Form):
    """Register or correct an item. The customer list is searched as one types (htmx), so the
    select holds only the chosen customer: a big customer file is never rendered whole."""

    direction = forms.ChoiceField(label=_("方向"), choices=Direction.choices, widget=forms.RadioSelect,
                                  initial=Direction.INCOMING)
    channel = forms.ChoiceField(label=_("形式"), choices=Channel.choices, initial=Channel.LETTER)
    received_on = forms.DateField(label=_("日期"), widget=DATE)
    customer = forms.ModelChoiceField(label=_("客户"), queryset=Customer.objects.none(), required=False,
                                      help_text=_("输入名称、编号或拼音首字母查找客户"))
    counterpart = forms.CharField(label=_("来文/收文单位"), max_length=200, required=False,
                                  help_text=_("不填则为所选客户的名称"))
    reference = forms.CharField(label=_("来文字号"), max_length=100, required=False)
    subject = forms.CharField(label=_("标题"), max_length=300)
    summary = forms.CharField(label=_("摘要"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    routed_to = forms.ModelChoiceField(label=_("承办人"), queryset=User.objects.none(), required=False)
    deadline = forms.DateField(label=_("办理期限"), required=False, widget=DATE)

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()
        self.fields["customer"].queryset = Customer.objects.visible_to(user)
        self.fields["routed_to"].queryset = queries.handlers()
        self.fields["routed_to"].label_from_instance = lambda u: u.display_name
        if editing:
            del self.fields["direction"]
        self._narrow_customer_choices(user)

    def _narrow_customer_choices(self, user) -> None:
        raw = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        raw = getattr(raw, "pk", raw)
        chosen = None
        if raw not in (None, ""):
            try:
                chosen = Customer.objects.visible_to(user).filter(pk=int(raw)).first()
            except (TypeError, ValueError):
                chosen = None
        choices = [EMPTY] + ([(chosen.pk, customer_label(chosen))] if chosen else [])
        self.fields["customer"].widget.choices = choices


class RouteForm(StyledFormMixin, forms.Form):
    routed_to = forms.ModelChoiceField(label=_("承办人"), queryset=User.objects.none(), required=False)
    deadline = forms.DateField(label=_("办理期限"), required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["routed_to"].queryset = queries.handlers()


class AudienceForm(StyledFormMixin, forms.Form):
    """Who a circular goes to: given customers (from a customer's page), or a filter over the
    customers the sender may see. The page previews it live as the filter changes."""

    customers = forms.ModelMultipleChoiceField(queryset=Customer.objects.none(), required=False,
                                               widget=forms.MultipleHiddenInput)
    salesperson = forms.ModelChoiceField(label=_("负责业务员"), queryset=User.objects.none(), required=False)
    status = forms.ChoiceField(label=_("客户状态"), choices=[EMPTY, *CustomerStatus.choices], required=False)
    region = forms.ChoiceField(label=_("区域"), choices=[EMPTY], required=False)
    industry = forms.ChoiceField(label=_("行业"), choices=[EMPTY], required=False)
    level = forms.ChoiceField(label=_("客户等级"), choices=[EMPTY, *CustomerLevel.choices], required=False)

    FILTER_FIELDS = ("salesperson", "status", "region", "industry", "level")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        visible = Customer.objects.visible_to(user)
        self.fields["customers"].queryset = visible
        scope = salesperson_scope(user)
        people = User.objects.filter(groups__name__in=[Role.SALESPERSON, Role.SALES_MANAGER])
        if scope is not None:
            people = people.filter(pk__in=scope)
        self.fields["salesperson"].queryset = User.objects.filter(pk__in=people.values("pk")).order_by("username")
        self.fields["salesperson"].label_from_instance = lambda u: u.display_name
        for field in ("region", "industry"):
            values = visible.exclude(**{field: ""}).order_by(field).values_list(field, flat=True).distinct()
            self.fields[field].choices = [EMPTY, *((v, v) for v in values)]

    def given_customers(self) -> list[Customer]:
        return list(self.cleaned_data.get("customers") or [])

    def filter_values(self) -> dict:
        """The chosen filter as ``queries.CUSTOMER_FILTERS`` values (of a cleaned form)."""
        data = self.cleaned_data
        person = data.get("salesperson")
        values = {"salesperson_id": person.pk if person else None, "status": data.get("status"),
                  "region": data.get("region"), "industry": data.get("industry"), "level": data.get("level")}
        return {k: v for k, v in values.items() if v}

    def target(self):
        """The customers this audience reaches (of a cleaned form)."""
        given = self.given_customers()
        if given:
            return Customer.objects.visible_to(self.user).filter(pk__in=[c.pk for c in given])
        return queries.customers_matching(self.user, self.filter_values())

    def filter_fields(self):
        return [self[name] for name in self.FILTER_FIELDS]


class CircularForm(AudienceForm):
    """A circular: what it says, and (from ``AudienceForm``) to whom."""

    kind = forms.ChoiceField(label=_("类型"), choices=CircularKind.choices, initial=CircularKind.POLICY)
    subject = forms.CharField(label=_("标题"), max_length=300)
    body = forms.CharField(label=_("正文"), max_length=50000, widget=forms.Textarea(attrs={"rows": 10}))

    def letter_fields(self):
        return [self[name] for name in ("kind", "subject", "body")]
