"""Permission names of the order domain and which roles hold them (API.md, "What each may do").

Who may act on *which* order (a salesperson: orders of their own customers) is decided per object
in ``services.may_act``; these grants answer "may this role do this at all" (403 before 404)."""

from __future__ import annotations

from salesdesk.org.roles import Role

VIEW_ORDER = "orders.view_order"
ADD_ORDER = "orders.add_order"
CHANGE_ORDER = "orders.change_order"  # edit a draft
SUBMIT_ORDER = "orders.submit_order"
CANCEL_ORDER = "orders.cancel_order"
CLOSE_ORDER = "orders.close_order"  # close the unshipped remainder
APPROVE_PRICE = "orders.approve_price"  # approve or reject a price that differs from the contract/list price
EXPORT_ORDER = "orders.export_order"
VIEW_PRICES = "orders.view_prices"  # without it, money fields are shown as null / hidden
MARK_SEEN = "orders.mark_seen_order"  # finance: "this submitted order has been looked at"

VIEW_COORDINATION = "orders.view_coordinationrequest"
ADD_COORDINATION = "orders.add_coordinationrequest"
REPLY_COORDINATION = "orders.change_coordinationrequest"  # the planner, or the clerk after a phone call

_ORDER_DESK = {VIEW_ORDER, ADD_ORDER, CHANGE_ORDER, SUBMIT_ORDER, CANCEL_ORDER, VIEW_PRICES,
               VIEW_COORDINATION, ADD_COORDINATION}

GRANTS: dict[str, set[str]] = {
    Role.CLERK: _ORDER_DESK | {EXPORT_ORDER, REPLY_COORDINATION},
    Role.SALESPERSON: set(_ORDER_DESK),
    Role.SALES_MANAGER: _ORDER_DESK | {CLOSE_ORDER, APPROVE_PRICE, EXPORT_ORDER},
    Role.GENERAL_MANAGER: {VIEW_ORDER, VIEW_PRICES, EXPORT_ORDER, VIEW_COORDINATION},
    Role.FINANCE: {VIEW_ORDER, VIEW_PRICES, EXPORT_ORDER, MARK_SEEN, VIEW_COORDINATION},
    Role.WAREHOUSE: {VIEW_ORDER},  # released orders, without prices
    Role.PLANNER: {VIEW_ORDER, VIEW_COORDINATION, REPLY_COORDINATION},  # without prices
}
