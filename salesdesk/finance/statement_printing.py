"""The customer statement (对账单) as a PDF (WeasyPrint, like ``contracts.printing``) and as an Excel
workbook, and the e-mail that carries it. The print follows DOMAIN.md §8: our company block, the
customer, the period, opening balance, lines with a running balance, closing balance in capitals
(大写), the invoices issued in the period (informational), uninvoiced shipments and the aging
summary when the receivables engines give them, our bank details, and the customer's
confirmation block with stamp, signature and date."""

from __future__ import annotations

import io
from datetime import datetime

import xlsxwriter
from django.utils import timezone

from salesdesk.contracts.printing import base_context, render_pdf, words
from salesdesk.core.exports import safe_cell

from .models import Statement
from .statements import AGING_BUCKETS, StatementFigures, extras_for, outdated, statement_for

AGING_LABELS = {"not_due": "未到期", "1-30": "逾期1-30天", "31-60": "31-60天", "61-90": "61-90天",
                "91-180": "91-180天", "181-365": "181-365天", ">365": "365天以上"}


def pdf_name(statement: Statement) -> str:
    return f"对账单-{statement.number}-{statement.customer.name}.pdf"


def xlsx_name(statement: Statement) -> str:
    return f"对账单-{statement.number}-{statement.customer.name}.xlsx"


def context(statement: Statement, *, figures: StatementFigures | None = None, user=None) -> dict:
    figures = figures or statement_for(statement.customer_id, statement.start, statement.end)
    extras = extras_for(statement.customer_id, statement.end, user)
    closing = statement.closing_balance
    return {
        **base_context(user),
        "statement": statement,
        "customer": statement.customer,
        "f": figures,
        "extras": extras,
        "aging": [(AGING_LABELS[b], extras.aging[b]) for b in AGING_BUCKETS] if extras.aging is not None else None,
        "closing_words": words(abs(closing)),
        "closing_owed": closing >= 0,
        "outdated": outdated(statement, figures),
    }


def statement_pdf(statement: Statement, *, figures: StatementFigures | None = None, user=None) -> bytes:
    return render_pdf("finance/statements/pdf.html", context(statement, figures=figures, user=user))


def mail_text(statement: Statement) -> tuple[str, str]:
    from salesdesk.org.models import CompanyProfile

    company = CompanyProfile.current()
    subject = f"{company.name} 对账单 {statement.number}（{statement.start:%Y-%m-%d} 至 {statement.end:%Y-%m-%d}）"
    closing = statement.closing_balance
    owed = f"贵司尚欠我司 ¥{closing:,.2f}" if closing >= 0 else f"我司预收贵司 ¥{-closing:,.2f}"
    body = (
        f"{statement.customer.name}：\n\n"
        f"您好！附件为贵我双方 {statement.start:%Y年%m月%d日} 至 {statement.end:%Y年%m月%d日} 的对账单"
        f"（编号 {statement.number}）。截至 {statement.end:%Y年%m月%d日}，{owed}。\n\n"
        "请核对：如无误，请在对账单上盖章确认后回传扫描件；如有不符，请列明差异后回复本邮件。\n\n"
        f"{company.name}\n{company.phone}\n"
    )
    return subject, body


def statement_xlsx(statement: Statement, *, figures: StatementFigures | None = None) -> bytes:
    """One sheet: header, opening, the lines with running balance, totals, closing in words, then
    the invoices issued in the period. Numbers are numbers (the customer's clerk sums them)."""
    from salesdesk.org.models import CompanyProfile

    figures = figures or statement_for(statement.customer_id, statement.start, statement.end)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("对账单")
    title = book.add_format({"bold": True, "font_size": 14})
    bold = book.add_format({"bold": True})
    head = book.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1})
    money = book.add_format({"num_format": "#,##0.00", "border": 1})
    money_bold = book.add_format({"num_format": "#,##0.00", "border": 1, "bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd", "border": 1})
    cell = book.add_format({"border": 1})
    company = CompanyProfile.current()
    customer = statement.customer

    def as_dt(d):
        return datetime.combine(d, datetime.min.time())

    sheet.write_string(0, 0, f"{company.name} 客户对账单", title)
    sheet.write_string(1, 0, f"对账单号：{statement.number}")
    sheet.write_string(2, 0, safe_cell(f"客户：{customer.name}（{customer.code}）"))
    sheet.write_string(3, 0, f"对账期间：{statement.start:%Y-%m-%d} 至 {statement.end:%Y-%m-%d}")
    headers = ["日期", "业务日期", "类型", "单据号", "借方（应收增加）", "贷方（应收减少）", "余额"]
    for col, (header, width) in enumerate(zip(headers, (12, 12, 10, 24, 16, 16, 16), strict=True)):
        sheet.write_string(5, col, header, head)
        sheet.set_column(col, col, width)
    row = 6
    sheet.write_datetime(row, 0, as_dt(statement.start), day)
    sheet.write_string(row, 1, "", cell)
    sheet.write_string(row, 2, "期初余额", cell)
    sheet.write_string(row, 3, "", cell)
    sheet.write_blank(row, 4, None, cell)
    sheet.write_blank(row, 5, None, cell)
    sheet.write_number(row, 6, float(figures.opening_balance), money)
    for e in figures.entries:
        row += 1
        sheet.write_datetime(row, 0, as_dt(e.date), day)
        if e.booked_later:
            sheet.write_datetime(row, 1, as_dt(e.business_date), day)
        else:
            sheet.write_string(row, 1, "", cell)
        sheet.write_string(row, 2, e.label, cell)
        sheet.write_string(row, 3, safe_cell(e.number), cell)
        sheet.write_number(row, 4, float(e.debit), money)
        sheet.write_number(row, 5, float(e.credit), money)
        sheet.write_number(row, 6, float(e.balance), money)
    row += 1
    sheet.write_string(row, 2, "本期合计", head)
    sheet.write_number(row, 4, float(figures.debits), money_bold)
    sheet.write_number(row, 5, float(figures.credits), money_bold)
    sheet.write_number(row, 6, float(figures.closing_balance), money_bold)
    row += 2
    closing = figures.closing_balance
    sheet.write_string(row, 0, "期末余额", bold)
    sheet.write_number(row, 1, float(closing), money_bold)
    sheet.write_string(row, 2, ("应收（客户欠款）" if closing >= 0 else "预收（我司欠客户）") + "：" + words(abs(closing)))
    if figures.invoices:
        row += 2
        sheet.write_string(row, 0, "本期开具发票（仅供参考，不影响余额）", bold)
        row += 1
        for col, header in enumerate(["开票日期", "", "票种", "发票号码", "价税合计", "税额"]):
            sheet.write_string(row, col, header, head)
        for i in figures.invoices:
            row += 1
            sheet.write_datetime(row, 0, as_dt(i.date), day)
            sheet.write_string(row, 2, i.label, cell)
            sheet.write_string(row, 3, safe_cell(i.number), cell)
            sheet.write_number(row, 4, float(i.amount), money)
            sheet.write_number(row, 5, float(i.tax), money)
    row += 2
    sheet.write_string(row, 0, f"开户银行：{company.bank_name}　账号：{company.bank_account}")
    sheet.write_string(row + 1, 0, "以上余额确认无误 / 如有不符请列明差异")
    sheet.write_string(row + 2, 0, "客户（盖章）：　　　　　　经办人签字：　　　　　　日期：")
    sheet.write_string(row + 4, 0, f"导出时间 {timezone.localtime():%Y-%m-%d %H:%M}")
    book.close()
    return buffer.getvalue()
