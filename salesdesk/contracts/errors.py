from __future__ import annotations

from enum import StrEnum


class ContractErrorCode(StrEnum):
    INVALID = "invalid_contract"  # a header field breaks a rule (dates, rates)
    INVALID_LINES = "invalid_lines"  # no lines, a bad quantity or price, a product twice, a product not on sale
    INSTALMENTS_MISMATCH = "instalments_mismatch"  # instalments do not sum exactly to the total
    NUMBER_TAKEN = "number_taken"  # a typed number that another contract has
    NOT_DRAFT = "contract_not_draft"  # only drafts may be edited (filing fields aside) or activated
    TRANSITION = "contract_transition"  # a status change CONTRACT_TRANSITIONS does not allow
