"""The customer list's table (sortable columns, export values) and phone-number links."""

from __future__ import annotations

from dataclasses import dataclass

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from salesdesk.core.lib.phones import parse_phone

from .models import Customer

WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}
XXL_ONLY = {"th": {"class": "d-none d-xxl-table-cell"}, "td": {"class": "d-none d-xxl-table-cell"}}
MONEY = {"th": {"class": "text-end d-none d-lg-table-cell"}, "td": {"class": "money d-none d-lg-table-cell"}}


@dataclass(frozen=True)
class PhoneLink:
    """A number as people read it and the ``tel:`` link that dials it (extension after a pause)."""

    label: str
    href: str


def phone_link(number: str, extension: str = "") -> PhoneLink | None:
    if not number:
        return None
    try:
        parsed = parse_phone(number)
    except ValueError:
        parsed = None
    if parsed is not None and parsed.valid:
        label, dial = parsed.national, parsed.e164
    else:
        label, dial = number, "".join(ch for ch in number if ch.isdigit() or ch == "+")
    if extension:
        # A comma is a pause in a tel: URI: the phone dials the extension once the call connects.
        return PhoneLink(f"{label} 转{extension}", f"tel:{dial},{extension}")
    return PhoneLink(label, f"tel:{dial}")


class CustomerTable(tables.Table):
    code = tables.LinkColumn("customer_detail", args=[tables.A("pk")], verbose_name=_("客户编号"), attrs=WIDE_ONLY)
    name = tables.Column(verbose_name=_("客户名称"), order_by=("name", "code"), attrs={"td": {"class": "customer-name"}})
    salesperson = tables.Column(verbose_name=_("负责业务员"), accessor="salesperson__name",
                                order_by=("salesperson__name", "salesperson__username"), attrs=WIDE_ONLY)
    # The contact's name is shown in the phone cell; this column is for the export.
    contact = tables.Column(verbose_name=_("联系人"), accessor="contact_name", orderable=False, visible=False)
    phone = tables.Column(verbose_name=_("联系人电话"), accessor="contact_phone", orderable=False, default="—")
    status = tables.Column(verbose_name=_("状态"), attrs=WIDE_ONLY)
    level = tables.Column(verbose_name=_("等级"), attrs=XXL_ONLY)
    region = tables.Column(verbose_name=_("区域"), attrs=XXL_ONLY)
    settlement = tables.Column(verbose_name=_("结算方式"), attrs=WIDE_ONLY)
    credit_limit = tables.Column(verbose_name=_("信用额度"), attrs=MONEY)
    created_at = tables.DateTimeColumn(verbose_name=_("建档时间"), format="Y-m-d", attrs=WIDE_ONLY)

    class Meta:
        model = Customer
        fields = ("code", "name", "salesperson", "contact", "phone", "status", "level", "region", "settlement",
                  "credit_limit", "created_at")
        attrs = {"class": "table table-hover table-sm align-middle mb-0", "id": "customer-table"}
        order_by = ("code",)
        empty_text = _("没有符合条件的客户。")

    def render_name(self, record: Customer):
        # On a phone the code, owner and status columns are hidden: they go under the name.
        details = " · ".join(x for x in (record.code, record.salesperson.display_name) if x)
        return format_html('<a href="{}" class="fw-semibold link-underline link-underline-opacity-0">{}</a>'
                           '<div class="small text-body-secondary d-md-none">{} {}</div>',
                           record.get_absolute_url(), record.name, details, self.render_status(record))

    def value_name(self, record: Customer) -> str:
        return record.name

    def render_salesperson(self, record: Customer):
        return record.salesperson.display_name

    def value_salesperson(self, record: Customer) -> str:
        return record.salesperson.display_name

    def render_phone(self, record: Customer):
        link = phone_link(record.contact_phone, record.contact_extension or "")
        name = record.contact_name or ""
        if link is None:
            return name or "—"
        return format_html('<span class="d-block d-md-inline small">{}</span> '
                           '<a href="{}" class="btn btn-sm btn-outline-success text-nowrap py-0" title="{}">'
                           '<i class="bi bi-telephone-fill" aria-hidden="true"></i> {}</a>', name, link.href, _("拨打"), link.label)

    def value_phone(self, record: Customer) -> str:
        link = phone_link(record.contact_phone, record.contact_extension or "")
        return link.label if link else ""

    def render_status(self, record: Customer):
        css = {"active": "success", "prospect": "info", "dormant": "secondary", "lost": "dark"}[record.status]
        return format_html('<span class="badge text-bg-{}">{}</span>', css, record.get_status_display())

    def value_status(self, record: Customer) -> str:
        return str(record.get_status_display())

    def render_level(self, record: Customer) -> str:
        return record.level

    def render_credit_limit(self, value) -> str:
        return f"{value:,.2f}"

    def value_credit_limit(self, value):
        return value

    def value_created_at(self, value):
        return timezone.localtime(value).date()
