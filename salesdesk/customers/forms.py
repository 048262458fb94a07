"""Forms of the customer pages. They parse and label; the rules (who may set credit terms or the
owner, USCC checks, 撞单) live in ``services`` and come back as form errors."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.forms.models import fields_for_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from salesdesk.core.forms import StyledFormMixin
from salesdesk.org.models import User
from salesdesk.org.roles import Role

from . import permissions as perms
from . import services
from .choices import ContactRole
from .filters import owners_visible_to
from .models import Contact, Customer, ProductUsed

MSG_NO_PERMISSION = _("您没有权限执行此操作。")
MSG_REASON_REQUIRED = _("更换负责业务员时请填写原因。")

TERMS_FIELDS = services.TERMS_FIELDS
CUSTOMER_FIELDS = (
    "name", "short_name", "uscc", "industry", "region", "address", "level", "status", "price_level", "source",
    *TERMS_FIELDS,
    "invoice_title", "invoice_tax_id", "invoice_address_phone", "invoice_bank_account", "notes",
)

# Field groups of the form page, in order (legend, fields).
SECTIONS = (
    (_("基本信息"), ("name", "short_name", "uscc", "uscc_override", "uscc_override_reason", "industry", "region",
                   "address", "level", "status", "source", "salesperson", "transfer_reason")),
    (_("结算与信用"), ("settlement", "deposit_rate", "credit_limit", "credit_days", "term_anchor", "price_level")),
    (_("开票信息"), ("invoice_title", "invoice_tax_id", "invoice_address_phone", "invoice_bank_account")),
    (_("首要联系人"), ("contact_name", "contact_title", "contact_phone")),
    (_("备注"), ("notes",)),
)

_CustomerFields = type("_CustomerFields", (forms.Form,), fields_for_model(Customer, fields=CUSTOMER_FIELDS))


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class CustomerForm(StyledFormMixin, _CustomerFields):
    """Create or edit a customer file.

    Fields the user may not change are shown disabled; if a value for them is posted anyway it is
    passed on, and the service refuses it (the same rule as the API, in one place)."""

    uscc = forms.CharField(label=_("统一社会信用代码"), max_length=40, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    uscc_override = forms.BooleanField(
        label=_("校验位例外（确认是登记在册的代码）"), required=False,
        help_text=_("个别真实登记的代码校验位不符；核对营业执照原件后可批准例外。"),
    )
    uscc_override_reason = forms.CharField(label=_("例外原因"), max_length=200, required=False)
    salesperson = OwnerChoiceField(label=_("负责业务员"), queryset=User.objects.none(), required=False,
                                   empty_label=_("请选择业务员"))
    transfer_reason = forms.CharField(label=_("更换负责人原因"), max_length=300, required=False)
    contact_name = forms.CharField(label=_("联系人姓名"), max_length=50, required=False)
    contact_title = forms.CharField(label=_("职务"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("电话"), max_length=50, required=False,
                                    help_text=_("手机或座机，分机可写作“转8001”。"),
                                    widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))

    def __init__(self, *args, user, instance: Customer | None = None, **kwargs):
        self.user = user
        self.instance = instance
        if instance is not None:
            initial = {name: getattr(instance, name) for name in CUSTOMER_FIELDS}
            initial["uscc"] = instance.uscc or ""
            initial["salesperson"] = instance.salesperson_id
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update(autocomplete="off", autofocus=True)
        self.fields["deposit_rate"].help_text = _("0 到 1 之间，如 0.30 表示 30%。")
        self.fields["notes"].widget.attrs["rows"] = 3
        self.fields["credit_limit"].widget.attrs["inputmode"] = "decimal"
        may_set_terms = user.has_perm(perms.CHANGE_CREDIT_TERMS)
        self.fields["salesperson"].queryset = owners_visible_to(user)
        self.locked: set[str] = set() if may_set_terms else set(TERMS_FIELDS)
        if not services.may_set_price_level(user):
            self.locked.add("price_level")
        if instance is None:
            del self.fields["transfer_reason"]
            if may_set_terms or user.has_role(Role.CLERK):
                self.fields["salesperson"].required = True
            else:  # a salesperson files customers for themselves
                self.fields["salesperson"].initial = user.pk
                self.fields["salesperson"].queryset = User.objects.filter(pk=user.pk)
                self.locked.add("salesperson")
        else:
            for name in ("contact_name", "contact_title", "contact_phone"):
                del self.fields[name]
            if not services.may_edit_basics(user, instance):
                self.locked |= {n for n in CUSTOMER_FIELDS if n not in TERMS_FIELDS}
            if may_set_terms:
                self.fields["salesperson"].required = True
            else:
                del self.fields["transfer_reason"]
                self.fields["salesperson"].queryset = User.objects.filter(pk=instance.salesperson_id)
                self.locked.add("salesperson")
        if not user.has_perm(perms.OVERRIDE_USCC):
            del self.fields["uscc_override"]
            del self.fields["uscc_override_reason"]
        for name in ("name", "uscc"):
            if name not in self.locked:
                self.fields[name].widget.attrs.update(self._duplicate_hint_attrs())
        for name in self.locked:
            field = self.fields[name]
            field.required = False
            field.widget.attrs["disabled"] = True
        if "settlement" in self.locked:
            self.fields["settlement"].help_text = _("结算方式、信用额度和账期只有财务、销售经理和总经理可以修改。")

    def _duplicate_hint_attrs(self) -> dict[str, str]:
        """htmx: as the name or USCC is typed, show look-alike customers and their owners (撞单)."""
        return {
            "hx-get": reverse("customer_duplicates"),
            "hx-trigger": "input changed delay:400ms, change",
            "hx-target": "#duplicate-hint",
            "hx-include": "#customer-form [name=name], #customer-form [name=uscc]",
            "hx-vals": json.dumps({"exclude": self.instance.pk if self.instance else ""}),
        }

    @property
    def sections(self):
        """(legend, bound fields) for the template, skipping fields this form does not have."""
        out = []
        for legend, names in SECTIONS:
            bound = [self[name] for name in names if name in self.fields]
            if bound:
                out.append((legend, bound))
        return out

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in self.locked:
            # A disabled input is not posted: keep the current value. A posted value goes to the
            # service, which refuses what this user may not set.
            if name not in self.data:
                cleaned[name] = self.get_initial_for_field(self.fields[name], name)
                if name == "salesperson" and cleaned[name] is not None and not isinstance(cleaned[name], User):
                    cleaned[name] = User.objects.filter(pk=cleaned[name]).first()
        if self.instance is not None and "transfer_reason" in self.fields:
            owner = cleaned.get("salesperson")
            if owner is not None and owner.pk != self.instance.salesperson_id and not cleaned.get("transfer_reason"):
                self.add_error("transfer_reason", MSG_REASON_REQUIRED)
        return cleaned

    def customer_data(self) -> dict[str, Any]:
        """The values for ``services.create_customer``."""
        data = {name: self.cleaned_data.get(name) for name in CUSTOMER_FIELDS}
        data["uscc"] = data["uscc"] or None
        data["uscc_override"] = bool(self.cleaned_data.get("uscc_override"))
        data["uscc_override_reason"] = self.cleaned_data.get("uscc_override_reason") or ""
        owner = self.cleaned_data.get("salesperson")
        data["salesperson_id"] = owner.pk if owner else None
        if data.get("credit_limit") is None:
            data["credit_limit"] = Decimal("0")
        if data.get("credit_days") is None:
            data["credit_days"] = 0
        return data

    def contacts(self) -> list[dict[str, Any]]:
        name = (self.cleaned_data.get("contact_name") or "").strip()
        phone = (self.cleaned_data.get("contact_phone") or "").strip()
        if not name and not phone:
            return []
        return [{"name": name, "phone": phone, "title": self.cleaned_data.get("contact_title") or "",
                 "is_primary": True}]

    def changes(self) -> dict[str, Any]:
        """The fields that differ from the customer file, for ``services.update_customer``."""
        instance = self.instance
        out: dict[str, Any] = {}
        for name in CUSTOMER_FIELDS:
            if name not in self.cleaned_data:
                continue
            new, old = self.cleaned_data[name], getattr(instance, name)
            if name == "uscc":
                new, old = (new or "").strip().upper() or None, old or None
            if name in ("credit_limit",) and new is None:
                new = Decimal("0")
            if name == "credit_days" and new is None:
                new = 0
            if new != old and not (new in ("", None) and old in ("", None)):
                out[name] = new
        if "uscc" in out and self.cleaned_data.get("uscc_override"):
            out["uscc_override"] = True
            out["uscc_override_reason"] = self.cleaned_data.get("uscc_override_reason") or ""
        return out


class TransferForm(StyledFormMixin, forms.Form):
    to_user = OwnerChoiceField(label=_("移交给"), queryset=User.objects.none())
    reason = forms.CharField(label=_("移交原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = owners_visible_to(user).exclude(pk=customer.salesperson_id)

    def clean_reason(self) -> str:
        return self.cleaned_data["reason"].strip()


class ContactForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    title = forms.CharField(label=_("职务"), max_length=50, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=ContactRole.choices, initial=ContactRole.OTHER, required=False)
    phone = forms.CharField(label=_("电话"), max_length=50, required=False,
                            help_text=_("手机或座机，分机可写作“转8001”。"),
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}))
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    wechat = forms.CharField(label=_("微信"), max_length=50, required=False)
    is_primary = forms.BooleanField(label=_("主要联系人"), required=False)
    notes = forms.CharField(label=_("备注"), max_length=300, required=False)

    @classmethod
    def for_contact(cls, contact: Contact, *args, **kwargs) -> ContactForm:
        number = contact.mobile or contact.phone or contact.phone_raw
        if number and contact.extension:
            number = f"{number}转{contact.extension}"
        initial = {"name": contact.name, "title": contact.title, "role": contact.role, "phone": number,
                   "email": contact.email, "wechat": contact.wechat, "is_primary": contact.is_primary,
                   "notes": contact.notes}
        return cls(*args, initial=initial, prefix=f"c{contact.pk}", **kwargs)


_ProductUsedFields = type(
    "_ProductUsedFields", (forms.Form,),
    fields_for_model(ProductUsed, fields=("product_name", "specification", "unit", "usual_quantity", "period",
                                          "agreed_price", "notes")),
)


class ProductUsedForm(StyledFormMixin, _ProductUsedFields):
    """What the customer buys: product, usual quantity and the agreed price (使用品种、数量、价位)."""

    FIELDS = ("product_name", "specification", "unit", "usual_quantity", "period", "agreed_price", "notes")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].help_text = _("如：每月、每季度、每单")
        for name in ("usual_quantity", "agreed_price"):
            self.fields[name].widget.attrs["inputmode"] = "decimal"

    @classmethod
    def for_row(cls, row: ProductUsed, *args, **kwargs) -> ProductUsedForm:
        initial = {name: getattr(row, name) for name in cls.FIELDS}
        return cls(*args, initial=initial, prefix=f"p{row.pk}", **kwargs)

