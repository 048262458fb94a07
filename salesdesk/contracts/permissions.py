"""Permission names of the contract domain and which roles hold them (API.md: contracts —
create, edit draft, activate: clerk, salesperson (own customers), sales_manager)."""

from __future__ import annotations

from salesdesk.org.roles import Role

VIEW_CONTRACT = "contracts.view_contract"
ADD_CONTRACT = "contracts.add_contract"
CHANGE_CONTRACT = "contracts.change_contract"  # edit a draft; terminate, complete; filing
ACTIVATE_CONTRACT = "contracts.activate_contract"
EXPORT_CONTRACT = "contracts.export_contract"

_WRITE = {VIEW_CONTRACT, ADD_CONTRACT, CHANGE_CONTRACT, ACTIVATE_CONTRACT}

GRANTS: dict[str, set[str]] = {
    Role.CLERK: _WRITE | {EXPORT_CONTRACT},
    Role.SALESPERSON: set(_WRITE),
    Role.SALES_MANAGER: _WRITE | {EXPORT_CONTRACT},
    Role.GENERAL_MANAGER: {VIEW_CONTRACT, EXPORT_CONTRACT},
    Role.FINANCE: {VIEW_CONTRACT, EXPORT_CONTRACT},
}


def may_write_for(user, customer) -> bool:
    """Whether ``user`` may write contracts of ``customer``: the clerk for every customer, a
    sales manager for their teams' customers, a salesperson for the customers they own."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.has_role(Role.CLERK):
        return True
    if user.has_role(Role.SALES_MANAGER) and customer.salesperson_id in user.managed_salesperson_ids():
        return True
    return user.has_role(Role.SALESPERSON) and customer.salesperson_id == user.pk
