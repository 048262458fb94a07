from __future__ import annotations

from salesdesk.org.roles import Role

ADD_SHIPMENT = "logistics.add_shipment"
VIEW_SHIPMENT = "logistics.view_shipment"
DISPATCH_SHIPMENT = "logistics.dispatch_shipment"
EXPORT_SHIPMENT = "logistics.export_shipment"

VIEW_PRICES = "orders.view_prices"  # warehouse and planner ship and plan without seeing prices

GRANTS: dict[str, set[str]] = {
    Role.CLERK: {ADD_SHIPMENT, VIEW_SHIPMENT, DISPATCH_SHIPMENT, EXPORT_SHIPMENT, VIEW_PRICES},
    Role.WAREHOUSE: {ADD_SHIPMENT, VIEW_SHIPMENT, DISPATCH_SHIPMENT, EXPORT_SHIPMENT},
    Role.SALESPERSON: {VIEW_SHIPMENT, VIEW_PRICES},
    Role.SALES_MANAGER: {VIEW_SHIPMENT, EXPORT_SHIPMENT, VIEW_PRICES},
    Role.GENERAL_MANAGER: {VIEW_SHIPMENT, EXPORT_SHIPMENT, VIEW_PRICES},
    Role.FINANCE: {VIEW_SHIPMENT, EXPORT_SHIPMENT, VIEW_PRICES},
}
