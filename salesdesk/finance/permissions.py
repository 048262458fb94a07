"""Permission names of finance and which roles hold them (API.md: finance alone confirms)."""

from __future__ import annotations

from salesdesk.org.roles import Role

ADD_PAYMENT = "finance.add_payment"
VIEW_PAYMENT = "finance.view_payment"
CONFIRM_PAYMENT = "finance.confirm_payment"
ALLOCATE_PAYMENT = "finance.allocate_payment"
EXPORT_PAYMENT = "finance.export_payment"
ADD_EXCEPTION = "finance.add_gateexception"
VIEW_EXCEPTION = "finance.view_gateexception"
APPROVE_EXCEPTION = "finance.approve_exception"
VIEW_RECEIVABLE = "finance.view_receivable"
EXPORT_RECEIVABLE = "finance.export_receivable"
ADD_COLLECTION_NOTE = "finance.add_collectionnote"
VIEW_INVOICE = "finance.view_invoice"
ISSUE_INVOICE = "finance.add_invoice"
EXPORT_INVOICE = "finance.export_invoice"
REQUEST_INVOICE = "finance.add_invoicerequest"
VIEW_INVOICE_REQUEST = "finance.view_invoicerequest"
# Bad-debt write-offs: the clerk or finance requests, the GM approves, finance records.
REQUEST_WRITEOFF = "finance.add_writeoff"
APPROVE_WRITEOFF = "finance.approve_writeoff"
RECORD_WRITEOFF = "finance.record_writeoff"
VIEW_WRITEOFF = "finance.view_writeoff"
# Opening balances (期初): readers see the tie-out and list; the clerk and finance check a file
# (template, upload preview — writes nothing); finance alone commits.
VIEW_OPENING = "finance.view_openingbalance"
PREVIEW_OPENING = "finance.view_openingimport"
COMMIT_OPENING = "finance.add_openingbalance"
# Customer statements (对账单): everyone who reads receivables reads them (narrowed by visibility).
VIEW_STATEMENT = "finance.view_statement"
ISSUE_STATEMENT = "finance.add_statement"
SEND_STATEMENT = "finance.send_statement"

_STATEMENT_WORK = {VIEW_STATEMENT, ISSUE_STATEMENT, SEND_STATEMENT}

GRANTS: dict[str, set[str]] = {
    Role.CLERK: {ADD_PAYMENT, VIEW_PAYMENT, EXPORT_PAYMENT, ADD_EXCEPTION, VIEW_EXCEPTION,
                 VIEW_INVOICE, ISSUE_INVOICE, EXPORT_INVOICE, REQUEST_INVOICE, VIEW_INVOICE_REQUEST,
                 REQUEST_WRITEOFF, VIEW_WRITEOFF, VIEW_OPENING, PREVIEW_OPENING, *_STATEMENT_WORK,
                 VIEW_RECEIVABLE, EXPORT_RECEIVABLE, ADD_COLLECTION_NOTE},
    Role.SALESPERSON: {ADD_PAYMENT, VIEW_PAYMENT, ADD_EXCEPTION, VIEW_EXCEPTION,
                       VIEW_INVOICE, REQUEST_INVOICE, VIEW_INVOICE_REQUEST, VIEW_WRITEOFF, VIEW_STATEMENT,
                       VIEW_RECEIVABLE, ADD_COLLECTION_NOTE},
    Role.SALES_MANAGER: {VIEW_PAYMENT, VIEW_EXCEPTION, APPROVE_EXCEPTION, VIEW_INVOICE, REQUEST_INVOICE, VIEW_INVOICE_REQUEST,
                         VIEW_WRITEOFF, VIEW_STATEMENT, VIEW_RECEIVABLE},
    Role.GENERAL_MANAGER: {VIEW_PAYMENT, VIEW_EXCEPTION, APPROVE_EXCEPTION, EXPORT_PAYMENT,
                           VIEW_INVOICE, EXPORT_INVOICE, VIEW_INVOICE_REQUEST,
                           VIEW_WRITEOFF, APPROVE_WRITEOFF, VIEW_OPENING, VIEW_STATEMENT,
                           VIEW_RECEIVABLE, EXPORT_RECEIVABLE},
    Role.FINANCE: {ADD_PAYMENT, VIEW_PAYMENT, CONFIRM_PAYMENT, ALLOCATE_PAYMENT, EXPORT_PAYMENT, VIEW_EXCEPTION,
                   VIEW_INVOICE, ISSUE_INVOICE, EXPORT_INVOICE, VIEW_INVOICE_REQUEST,
                   REQUEST_WRITEOFF, RECORD_WRITEOFF, VIEW_WRITEOFF, VIEW_OPENING, PREVIEW_OPENING, COMMIT_OPENING,
                   *_STATEMENT_WORK, VIEW_RECEIVABLE, EXPORT_RECEIVABLE, ADD_COLLECTION_NOTE},
}

