"""Permission names of the correspondence register (收发文) and which roles hold them.

The register is the clerk's; a salesperson registers items about their own customers and sends
circulars to them; managers and the general manager read everything they may see and send;
finance reads. Which rows each may see is ``visible_to`` (``queries.py``), not these names."""

from __future__ import annotations

from salesdesk.customers import permissions as customer_perms
from salesdesk.org.roles import Role

VIEW_CORRESPONDENCE = "office.view_correspondence"
ADD_CORRESPONDENCE = "office.add_correspondence"
CHANGE_CORRESPONDENCE = "office.change_correspondence"  # edit, route, complete, file
VIEW_CIRCULAR = "office.view_circular"
SEND_CIRCULAR = "office.add_circular"  # a circular is sent when it is created
# The register names customers and counterparts: it is customer data, exported under the
# customer-data export permission (logged, DESIGN.md "Exports").
EXPORT_CORRESPONDENCE = customer_perms.EXPORT_CUSTOMER

_READ = {VIEW_CORRESPONDENCE, VIEW_CIRCULAR}
_WRITE = {ADD_CORRESPONDENCE, CHANGE_CORRESPONDENCE}

GRANTS: dict[str, set[str]] = {
    Role.CLERK: _READ | _WRITE | {SEND_CIRCULAR},
    Role.SALESPERSON: _READ | _WRITE | {SEND_CIRCULAR},
    Role.SALES_MANAGER: _READ | {SEND_CIRCULAR},
    Role.GENERAL_MANAGER: _READ | {SEND_CIRCULAR},
    Role.FINANCE: set(_READ),
}
