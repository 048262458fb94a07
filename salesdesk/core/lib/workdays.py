"""Working days (工作日) in mainland China: Monday–Friday, except the days the calendar table says
otherwise (DOMAIN.md §5) — public holidays and 调休 days off on weekdays, make-up working days 补班
on weekends. The exceptions are ``core.CalendarDay`` rows, seeded from ``holidays.China`` and edited
by the admin (``salesdesk/core/calendar.py``).

Each public function reads the exceptions of the range it needs in ONE small query, and keeps
nothing between calls: an admin's edit counts from the next call, in every process. Code that
asks about many days at once (a month's report, a simulated month) builds a :class:`WorkWeek`
over the range with :func:`calendar_for` and asks it, without further queries.

:class:`WorkWeek` itself is framework-free (a mapping of exceptions), so the rules are unit-tested
without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

# The longest break in any year (春节 with its 调休) is nine days in a row; a search for the next
# working day looks this far ahead before it gives up and trusts the plain working week.
SEARCH_DAYS = 31


@dataclass(frozen=True)
class WorkWeek:
    """Monday–Friday plus ``exceptions`` (day → is it a working day?)."""

    exceptions: Mapping[date, bool] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        found = self.exceptions.get(day)
        return found if found is not None else day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        d = day + timedelta(days=1)
        for _ in range(SEARCH_DAYS):
            if self.is_working_day(d):
                return d
            d += timedelta(days=1)
        return _plain_step(day, +1)

    def previous_working_day(self, day: date) -> date:
        """The last working day strictly before ``day``."""
        d = day - timedelta(days=1)
        for _ in range(SEARCH_DAYS):
            if self.is_working_day(d):
                return d
            d -= timedelta(days=1)
        return _plain_step(day, -1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days from ``start`` to ``end``, both included (0 when ``end`` < ``start``)."""
        count = 0
        d = start
        while d <= end:
            count += self.is_working_day(d)
            d += timedelta(days=1)
        return count

    def first_working_day_of_month(self, day: date) -> date:
        """The first working day of ``day``'s month (春节 may push it past the 7th)."""
        first = day.replace(day=1)
        return first if self.is_working_day(first) else self.next_working_day(first)


def _plain_step(day: date, step: int) -> date:
    d = day + timedelta(days=step)
    while d.weekday() >= 5:
        d += timedelta(days=step)
    return d


# --- reading the calendar table -------------------------------------------------------------


def calendar_for(start: date, end: date) -> WorkWeek:
    """The working week with the table's exceptions between ``start`` and ``end`` (one query)."""
    from salesdesk.core.models import CalendarDay

    rows = CalendarDay.objects.filter(day__gte=start, day__lte=end).values_list("day", "is_workday")
    return WorkWeek(dict(rows))


def is_working_day(day: date) -> bool:
    from salesdesk.core.models import CalendarDay

    found = CalendarDay.objects.filter(day=day).values_list("is_workday", flat=True).first()
    return found if found is not None else day.weekday() < 5


def next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    return calendar_for(day, day + timedelta(days=SEARCH_DAYS + 1)).next_working_day(day)


def previous_working_day(day: date) -> date:
    """The last working day strictly before ``day``."""
    return calendar_for(day - timedelta(days=SEARCH_DAYS + 1), day).previous_working_day(day)


def working_days_between(start: date, end: date) -> int:
    """Working days from ``start`` to ``end``, both included."""
    if end < start:
        return 0
    return calendar_for(start, end).working_days_between(start, end)


def first_working_day_of_month(day: date) -> date:
    """The first working day of ``day``'s month."""
    first = day.replace(day=1)
    return calendar_for(first, first + timedelta(days=SEARCH_DAYS + 1)).first_working_day_of_month(first)
