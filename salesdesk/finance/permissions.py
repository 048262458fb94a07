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

GRANTS: dict[str, set[str]] = {
    Role.CLERK: {ADD_PAYMENT, VIEW_PAYMENT, EXPORT_PAYMENT, ADD_EXCEPTION, VIEW_EXCEPTION},
    Role.SALESPERSON: {ADD_PAYMENT, VIEW_PAYMENT, ADD_EXCEPTION, VIEW_EXCEPTION},
    Role.SALES_MANAGER: {VIEW_PAYMENT, VIEW_EXCEPTION, APPROVE_EXCEPTION},
    Role.GENERAL_MANAGER: {VIEW_PAYMENT, VIEW_EXCEPTION, APPROVE_EXCEPTION, EXPORT_PAYMENT},
    Role.FINANCE: {ADD_PAYMENT, VIEW_PAYMENT, CONFIRM_PAYMENT, ALLOCATE_PAYMENT, EXPORT_PAYMENT, VIEW_EXCEPTION},
}
