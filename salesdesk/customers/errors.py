from __future__ import annotations

from enum import StrEnum


class CustomerErrorCode(StrEnum):
    CUSTOMER_EXISTS = "customer_exists"  # 撞单: same USCC or same normalised name
    USCC_MALFORMED = "uscc_malformed"
    USCC_CHECKSUM = "uscc_checksum"
    INVALID_PHONE = "invalid_phone"
    INVALID_TERMS = "invalid_terms"
    TICKET_TRANSITION = "ticket_transition"
