from __future__ import annotations

from enum import StrEnum


class OrderErrorCode(StrEnum):
    ORDER_STATE = "order_state"  # the action is not allowed in the order's status
    CONTRACT_NOT_ACTIVE = "contract_not_active"
    CONTRACT_MISMATCH = "contract_mismatch"  # the contract is another customer's
    CONTRACT_QUANTITY_EXCEEDED = "contract_quantity_exceeded"  # beyond what is left on the contract
    PRODUCT_NOT_ON_CONTRACT = "product_not_on_contract"
    INVALID_LINES = "invalid_lines"
    INVALID_CREDIT_SPLIT = "invalid_credit_split"
    INVALID_SALESPERSON = "invalid_salesperson"
    PRICE_APPROVAL_REQUIRED = "price_approval_required"  # a non-standard price waits for a manager
    PRICE_REJECTED = "price_rejected"
    PRICE_CHECK_STATE = "price_check_state"  # nothing to approve or reject
    COORDINATION_STATE = "coordination_state"
    INVALID_COORDINATION = "invalid_coordination"
    INVALID_REPLY = "invalid_reply"
