from __future__ import annotations

from enum import StrEnum


class OfficeErrorCode(StrEnum):
    CORRESPONDENCE_STATE = "correspondence_state"  # the action does not fit the item's status (409)
    INVALID_ROUTEE = "invalid_routee"  # the person routed to may not handle the register (422)
    NO_RECIPIENTS = "no_recipients"  # a circular that would reach no customer (422)
    TOO_MANY_RECIPIENTS = "too_many_recipients"  # more customers than one circular may reach (422)
    INVALID_FILTERS = "invalid_filters"  # unknown customer filter, or both a list and filters (422)
