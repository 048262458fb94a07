"""The commission statement (提成确认单) of one salesperson for one month as a PDF, with WeasyPrint
and the Noto CJK fonts like the contract prints: the lines, the items that priced them, the
performance pay, the total in capitals and the signature boxes."""

from __future__ import annotations

from decimal import Decimal

from salesdesk.contracts.printing import base_context, pdf_response, render_pdf, words

__all__ = ["pdf_response", "statement_pdf"]


def statement_pdf(*, user, run, salesperson, rows, items, performance) -> bytes:
    total = sum((r.line.commission_amount for r in rows), Decimal("0"))
    context = {**base_context(user), "run": run, "salesperson": salesperson, "rows": rows, "items": items,
               "performance": performance, "total": total, "total_words": words(abs(total)),
               "negative": total < 0}
    return render_pdf("commission/pdf/statement.html", context)
