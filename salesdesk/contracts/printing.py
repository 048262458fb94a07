"""PDF prints of the contract domain with WeasyPrint and the Debian Noto CJK fonts (DESIGN.md):
the fulfilment overview (合同履行一览表) and the contract summary (合同汇总). Each print carries
our company block from the company profile and its totals in capitals (大写)."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from salesdesk.core.lib.amount_words import amount_in_words
from salesdesk.org.models import CompanyProfile

PDF_MIME = "application/pdf"


def base_context(user) -> dict:
    return {
        "company": CompanyProfile.current(),
        "printed_at": timezone.localtime(),
        "printed_by": user.display_name if user is not None else "",
    }


def render_pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML  # imported on first print: it takes a second to load

    html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def pdf_response(content: bytes, filename: str, *, inline: bool = True) -> HttpResponse:
    response = HttpResponse(content, content_type=PDF_MIME)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def words(amount) -> str:
    return amount_in_words(amount, strict=True)
