from __future__ import annotations

from enum import StrEnum


class FinanceErrorCode(StrEnum):
    PAYMENT_NOT_PENDING = "payment_not_pending"
    OVER_ALLOCATION = "over_allocation"
    EXCEPTION_NOT_PENDING = "exception_not_pending"
    SELF_APPROVAL = "self_approval"
    OVER_APPROVAL_LIMIT = "over_approval_limit"
