"""The sales report as a PDF (WeasyPrint with the Debian Noto CJK fonts, like the contract prints):
landscape A4, the company block, the period, the table with its totals and the totals in capitals."""

from __future__ import annotations

from django.http import HttpResponse

from salesdesk.contracts.printing import base_context, pdf_response, render_pdf, words

from . import exporting
from .queries import SalesReport


def report_pdf(report: SalesReport, user) -> HttpResponse:
    context = {
        **base_context(user), "report": report, "title": exporting.report_title(report),
        "measure_label": exporting.MEASURE_LABELS[report.measure],
        "ordered_words": words(report.totals.ordered_amount),
        "received_words": words(report.totals.received_amount) if report.totals.received_amount is not None else "",
    }
    content = render_pdf("reports/pdf/sales.html", context)
    return pdf_response(content, exporting.filename(report, user.display_name, "pdf"))
