"""The printable sales order (销售订单): HTML rendered to PDF by WeasyPrint with the Debian Noto CJK
fonts, our company block from the company profile, totals in capitals (大写)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from salesdesk.core.lib.amount_words import amount_in_words
from salesdesk.org.models import CompanyProfile

from .models import Order


def order_html(order: Order, *, show_prices: bool = True) -> str:
    """The print as HTML (loaded with ``queries.order_detail()``)."""
    return render_to_string("orders/order_print.html", {
        "order": order,
        "lines": list(order.lines.all()),
        "company": CompanyProfile.current(),
        "show_prices": show_prices,
        "total_words": amount_in_words(order.total),
        "printed_at": timezone.localtime(),
    })


def order_pdf(order: Order, *, show_prices: bool = True) -> bytes:
    from weasyprint import HTML  # imported here: loading pango/harfbuzz costs time at start-up

    return HTML(string=order_html(order, show_prices=show_prices), base_url=str(settings.BASE_DIR)).write_pdf()
