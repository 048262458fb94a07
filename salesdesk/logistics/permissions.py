from __future__ import annotations

from salesdesk.org.roles import Role

ADD_SHIPMENT = "logistics.add_shipment"
VIEW_SHIPMENT = "logistics.view_shipment"
DISPATCH_SHIPMENT = "logistics.dispatch_shipment"
EXPORT_SHIPMENT = "logistics.export_shipment"

GRANTS: dict[str, set[str]] = {
    Role.CLERK: {ADD_SHIPMENT, VIEW_SHIPMENT, DISPATCH_SHIPMENT, EXPORT_SHIPMENT},
    Role.WAREHOUSE: {ADD_SHIPMENT, VIEW_SHIPMENT, DISPATCH_SHIPMENT, EXPORT_SHIPMENT},
    Role.SALESPERSON: {VIEW_SHIPMENT},
    Role.SALES_MANAGER: {VIEW_SHIPMENT, EXPORT_SHIPMENT},
    Role.GENERAL_MANAGER: {VIEW_SHIPMENT, EXPORT_SHIPMENT},
    Role.FINANCE: {VIEW_SHIPMENT, EXPORT_SHIPMENT},
}
