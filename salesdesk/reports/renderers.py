"""The scheduled report kinds besides the sales report (``deliveries.render_sales``): each renders one
period for one recipient, under that recipient's visibility, as ``{"subject", "html", "text",
"attachments": [(name, bytes, mimetype)]}`` — the shape ``deliveries.send_delivery`` hands to the
outbox.

- ``hr_total``: last month's totals per salesperson for HR (checks.hr_totals), HTML + Excel;
- ``contract_summary``: the month's or quarter's contracts (contracts.queries.summary and its
  workbook), grouped as the schedule says;
- ``waybill``: the day's waybills the recipient answers for (logistics.notices), without prices for
  those who may not see them. :func:`waybill_recipients` keeps only the people with at least one
  waybill that day, so the others get no delivery at all;
- ``overdue``: the receivables past due that day the recipient may see (finance.receivables), HTML +
  Excel; :func:`overdue_recipients` keeps only the people with at least one."""

from __future__ import annotations

import io
from decimal import Decimal

import xlsxwriter
from django.template.loader import render_to_string
from django.utils import timezone

from salesdesk.contracts import exporting as contract_exporting
from salesdesk.contracts import queries as contract_queries
from salesdesk.core.exports import XLSX_MIME, safe_cell
from salesdesk.finance.receivables import hydrate, open_items, visible_open_items
from salesdesk.logistics import notices
from salesdesk.org.models import CompanyProfile
from salesdesk.org.visibility import salesperson_scope

from . import checks
from .exporting import MEASURE_LABELS
from .periods import ReportPeriod
from .queries import performance_measure
from .schedules import period_key

# --- HR total ------------------------------------------------------------------------------------------

HR_COLUMNS = [("排名", "int"), ("业务员", "text"), ("团队", "text"), ("下单金额(含税)", "money"),
              ("发货金额(含税)", "money"), ("回款金额(已确认)", "money"), ("业绩", "money"), ("目标(含税)", "money"),
              ("完成率", "rate")]
HR_HEADER_ROW = 3


def hr_row_values(row: checks.HrRow) -> list:
    return [row.rank, row.name, row.team, row.ordered, row.shipped, row.received, row.performance, row.target,
            row.completion_rate]


def hr_workbook(period: ReportPeriod, rows: list[checks.HrRow], *, company: str, measure: str, exported_by: str,
                checked: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("业绩汇总")
    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1, "text_wrap": True})
    formats = {"text": {"border": 1}, "int": {"border": 1, "num_format": "0"},
               "money": {"border": 1, "num_format": "#,##0.00"}, "rate": {"border": 1, "num_format": "0.00%"}}
    plain = {k: book.add_format(v) for k, v in formats.items()}
    bold = {k: book.add_format({**v, "bold": True, "bg_color": "#F3F3F3"}) for k, v in formats.items()}
    sheet.write_string(0, 0, f"{company} {period.label}业绩汇总（交人事）", title)
    sheet.write_string(1, 0, f"期间：{period.start:%Y-%m-%d} 至 {period.end:%Y-%m-%d} · 业绩口径：{MEASURE_LABELS[measure]} · "
                             f"金额单位：元（含税） · {checked} · 收件人：{exported_by} · {timezone.localtime():%Y-%m-%d %H:%M}")
    for c, (header, kind) in enumerate(HR_COLUMNS):
        sheet.write_string(HR_HEADER_ROW, c, header, head)
        sheet.set_column(c, c, 16 if kind == "money" else 14 if kind == "text" else 10)
    sheet.freeze_panes(HR_HEADER_ROW + 1, 2)
    r = HR_HEADER_ROW + 1
    for row in rows:
        for c, (value, (_, kind)) in enumerate(zip(hr_row_values(row), HR_COLUMNS, strict=True)):
            _put(sheet, r, c, value, plain[kind], plain["text"])
        r += 1
    t = checks.totals_of(rows)
    for c, value in enumerate([None, "合计", "", t["ordered"], t["shipped"], t["received"], t["performance"],
                               t["target"], None]):
        _put(sheet, r, c, value, bold[HR_COLUMNS[c][1]], bold["text"])
    book.close()
    return buffer.getvalue()


def _put(sheet, r: int, c: int, value, fmt, text_fmt) -> None:
    if value is None:
        sheet.write_blank(r, c, None, fmt)
    elif isinstance(value, Decimal | int):
        sheet.write_number(r, c, float(value), fmt)
    else:
        sheet.write_string(r, c, str(safe_cell(str(value))), text_fmt)


def render_hr_total(schedule, period: ReportPeriod, recipient) -> dict:
    """Last month's totals per salesperson (HR: everyone's, no customers), with who checked them."""
    rows = checks.hr_totals(period, viewer=recipient)
    company = CompanyProfile.current().name
    measure = rows[0].measure if rows else performance_measure()
    check = checks.check_of(schedule, period_key(period))
    checked = (f"已由{check.checked_by.display_name}于{timezone.localtime(check.checked_at):%Y-%m-%d %H:%M}核对"
               if check else "未核对")
    title = f"{period.label}业绩汇总"
    context = {"schedule": schedule, "rows": rows, "totals": checks.totals_of(rows), "title": title, "company": company,
               "recipient": recipient, "period": period, "measure_label": MEASURE_LABELS[measure], "checked": checked}
    out = {"subject": f"{company} {title}", "html": render_to_string("reports/schedules/mail_hr_total.html", context),
           "text": render_to_string("reports/schedules/mail_hr_total.txt", context), "attachments": []}
    if schedule.attach_excel:
        content = hr_workbook(period, rows, company=company, measure=measure, exported_by=recipient.display_name,
                              checked=checked)
        out["attachments"].append((f"业绩汇总-{period.start:%Y%m}-{recipient.display_name}.xlsx", content, XLSX_MIME))
    return out


# --- contract summary ----------------------------------------------------------------------------------


def render_contract_summary(schedule, period: ReportPeriod, recipient) -> dict:
    """The contracts signed in the month or quarter that the recipient may see, grouped as the schedule
    says (customer, salesperson or product), with fulfilment and collection to date."""
    result = contract_queries.summary(recipient, period.kind, period.start, schedule.group_by)
    company = CompanyProfile.current().name
    label = contract_exporting.PERIOD_LABELS[result.period_kind]
    title = f"{period.label}{label}合同汇总"
    context = {"schedule": schedule, "result": result, "rows": contract_exporting.summary_rows(result), "title": title,
               "company": company, "recipient": recipient,
               "group_label": contract_exporting.GROUP_LABELS[result.group_by]}
    out = {"subject": f"{company} {title}",
           "html": render_to_string("reports/schedules/mail_contract_summary.html", context),
           "text": render_to_string("reports/schedules/mail_contract_summary.txt", context), "attachments": []}
    if schedule.attach_excel:
        content = contract_exporting.summary_workbook(result, company=company, exported_by=recipient.display_name)
        out["attachments"].append((f"{label}合同汇总-{result.start:%Y%m%d}-{recipient.display_name}.xlsx", content,
                                   XLSX_MIME))
    return out


# --- waybill notice ------------------------------------------------------------------------------------


def render_waybill(schedule, period: ReportPeriod, recipient) -> dict:
    """The recipient's daily waybill notice (logistics.notices): the waybills they answer for,
    dispatched up to the schedule's send time; prices only for those who may see them."""
    day = period.start
    rows = notices.notice_rows(day, recipient, at=schedule.send_at)
    subject, text, html = notices.render_notice(day, recipient, rows, CompanyProfile.current().name)
    return {"subject": subject, "html": html, "text": text, "attachments": []}


def waybill_recipients(schedule, period: ReportPeriod, users: list) -> list:
    """Only the people with at least one waybill in the day's notice get a delivery."""
    responsible = notices.responsible_ids(period.start, at=schedule.send_at)
    return [u for u in users if u.pk in responsible]


# --- overdue receivables -------------------------------------------------------------------------------

OVERDUE_COLUMNS = [("客户", "text"), ("业务员", "text"), ("单据号", "text"), ("订单", "text"), ("发货日期", "text"),
                   ("到期日", "text"), ("逾期天数", "int"), ("应收金额", "money"), ("未收金额", "money")]


def overdue_items(recipient, day) -> list:
    """The receivables past due on ``day`` that the recipient may see, longest overdue first."""
    items = hydrate(visible_open_items(recipient, as_of=day, overdue=True))
    items.sort(key=lambda i: (-(i.days_past_due or 0), i.receivable.customer.name, i.receivable.pk))
    return items


def _overdue_values(item) -> list:
    r = item.receivable
    owner = r.customer.salesperson
    return [r.customer.name, owner.display_name if owner else "", r.number, r.order.number if r.order_id else "",
            f"{r.shipped_on:%Y-%m-%d}", f"{r.due_on:%Y-%m-%d}" if r.due_on else "", item.days_past_due or 0, r.amount,
            item.open_amount]


def overdue_workbook(day, items: list, *, company: str, exported_by: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("逾期应收")
    head = book.add_format({"bold": True, "bg_color": "#E7EEF7", "border": 1})
    fmt = {"text": book.add_format({"border": 1}), "int": book.add_format({"border": 1, "num_format": "0"}),
           "money": book.add_format({"border": 1, "num_format": "#,##0.00"})}
    sheet.write_string(0, 0, f"{company} 逾期应收提醒 {day:%Y-%m-%d}（收件人：{exported_by}）")
    for col, (name, _) in enumerate(OVERDUE_COLUMNS):
        sheet.write_string(2, col, name, head)
    for row, item in enumerate(items, start=3):
        for col, ((_, kind), value) in enumerate(zip(OVERDUE_COLUMNS, _overdue_values(item), strict=True)):
            if kind == "text":
                sheet.write_string(row, col, safe_cell(value), fmt[kind])
            else:
                sheet.write_number(row, col, float(value), fmt[kind])
    sheet.freeze_panes(3, 0)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 8, 13)
    book.close()
    return buffer.getvalue()


def render_overdue(schedule, period: ReportPeriod, recipient) -> dict:
    """The receivables past due on the day, under the recipient's visibility (a salesperson: their
    customers'; a manager: the team's; the clerk: all), with what is still open."""
    day = period.start
    items = overdue_items(recipient, day)
    company = CompanyProfile.current().name
    total = sum((i.open_amount for i in items), Decimal("0.00"))
    title = f"逾期应收提醒 {day:%Y-%m-%d}"
    context = {"title": title, "company": company, "recipient": recipient, "total": total,
               "rows": [_overdue_values(i) for i in items]}
    out = {"subject": f"{company} {title}（{len(items)} 笔，未收 ¥{total:,.2f}）",
           "html": render_to_string("reports/schedules/mail_overdue.html", context),
           "text": render_to_string("reports/schedules/mail_overdue.txt", context), "attachments": []}
    if schedule.attach_excel:
        content = overdue_workbook(day, items, company=company, exported_by=recipient.display_name)
        out["attachments"].append((f"逾期应收-{day:%Y%m%d}-{recipient.display_name}.xlsx", content, XLSX_MIME))
    return out


def overdue_recipients(schedule, period: ReportPeriod, users: list) -> list:
    """Only the people who can see at least one overdue receivable that day get a reminder (one
    ledger build for all of them)."""
    items = [i for i in open_items(as_of=period.start, with_related=False) if i.overdue]
    if not items:
        return []
    owners = {i.receivable.owner_id for i in items} | {i.receivable.salesperson_id for i in items}
    keep = []
    for user in users:
        scope = salesperson_scope(user)
        if scope is None or scope & owners:
            keep.append(user)
    return keep
