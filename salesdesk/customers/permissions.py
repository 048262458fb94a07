"""Permission names of the customer domain and which roles hold them (API.md, who may do what)."""

from __future__ import annotations

from salesdesk.org.roles import Role

ADD_CUSTOMER = "customers.add_customer"
CHANGE_CUSTOMER = "customers.change_customer"
VIEW_CUSTOMER = "customers.view_customer"
EXPORT_CUSTOMER = "customers.export_customer"
IMPORT_CUSTOMER = "customers.import_customer"
CHANGE_CREDIT_TERMS = "customers.change_credit_terms"  # settlement other than prepaid, limit, days, owner
OVERRIDE_USCC = "customers.override_uscc"
ADD_TICKET = "customers.add_ticket"
CHANGE_TICKET = "customers.change_ticket"
ADD_INTERACTION = "customers.add_interaction"

_SALES_SIDE = {VIEW_CUSTOMER, ADD_CUSTOMER, CHANGE_CUSTOMER, ADD_TICKET, CHANGE_TICKET, ADD_INTERACTION}

GRANTS: dict[str, set[str]] = {
    Role.CLERK: _SALES_SIDE | {EXPORT_CUSTOMER, IMPORT_CUSTOMER},
    Role.SALESPERSON: set(_SALES_SIDE),
    Role.SALES_MANAGER: _SALES_SIDE | {EXPORT_CUSTOMER, CHANGE_CREDIT_TERMS, OVERRIDE_USCC, IMPORT_CUSTOMER},
    Role.GENERAL_MANAGER: _SALES_SIDE | {EXPORT_CUSTOMER, CHANGE_CREDIT_TERMS, OVERRIDE_USCC},
    Role.FINANCE: {VIEW_CUSTOMER, CHANGE_CREDIT_TERMS, ADD_INTERACTION, EXPORT_CUSTOMER},
}
