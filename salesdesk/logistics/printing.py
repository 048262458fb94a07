"""The delivery note (送货单) as a PDF: WeasyPrint with the Debian Noto CJK fonts, our company block,
the customer, delivery address and contact, the lines (product, specification, unit, quantity;
prices, amounts and the total in capitals only for users who see prices) and the signature block.

Page size is a template setting: A4, or the 241 mm continuous forms of a dot-matrix printer
(241 mm × 140 mm, 三联 carbon sets). The default comes from ``settings.LOGISTICS_DELIVERY_NOTE_SIZE``
(``"A4"`` if unset); ``?size=`` on the print URL picks the other for one print."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from salesdesk.contracts.printing import base_context, pdf_response, render_pdf, words

from .models import Shipment

TEMPLATE = "logistics/pdf/delivery_note.html"


@dataclass(frozen=True)
class PageSize:
    code: str
    label: str
    css: str  # the @page size
    margin: str
    font_pt: float
    continuous: bool = False


SIZES: dict[str, PageSize] = {
    "A4": PageSize("A4", _("A4"), "A4", "14mm 12mm 16mm 12mm", 10),
    "241": PageSize("241", _("241 连续纸（241×140mm）"), "241mm 140mm", "6mm 9mm 9mm 9mm", 8.5, continuous=True),
}
DEFAULT_SIZE = "A4"


def default_size() -> str:
    configured = str(getattr(settings, "LOGISTICS_DELIVERY_NOTE_SIZE", DEFAULT_SIZE))
    return configured if configured in SIZES else DEFAULT_SIZE


def page_size(requested: str | None) -> PageSize:
    """The requested size if known, else the configured default."""
    return SIZES.get(requested or "", SIZES[default_size()])


def note_context(shipment: Shipment, *, user, show_prices: bool, size: PageSize) -> dict:
    """``shipment`` loaded with order, customer and lines → order line and product."""
    order, customer = shipment.order, shipment.customer
    contact = None
    if not (order.delivery_contact and order.delivery_phone):
        contact = next(iter(customer.contacts.all()), None)
    return {
        **base_context(user),
        "shipment": shipment,
        "order": order,
        "customer": customer,
        "address": order.delivery_address or customer.address,
        "contact_name": order.delivery_contact or (contact.name if contact else ""),
        "contact_phone": order.delivery_phone or ((contact.mobile or contact.phone) if contact else ""),
        "lines": list(shipment.lines.all()),
        "show_prices": show_prices,
        "total_words": words(shipment.value) if show_prices else "",
        "page": size,
    }


def delivery_note_pdf(shipment: Shipment, *, user, show_prices: bool, size: PageSize) -> bytes:
    return render_pdf(TEMPLATE, note_context(shipment, user=user, show_prices=show_prices, size=size))


def delivery_note_response(shipment: Shipment, *, user, show_prices: bool, size: PageSize):
    content = delivery_note_pdf(shipment, user=user, show_prices=show_prices, size=size)
    return pdf_response(content, f"送货单-{shipment.number}.pdf")
