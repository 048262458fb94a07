"""The working-day calendar table (工作日历, DOMAIN.md §5): seeding a year from ``holidays.China``
and the admin's edits. Reading it is ``salesdesk/core/lib/workdays.py``.

A row is an exception to Monday–Friday: a weekday off (statutory holiday 法定节假日, or a 调休 day
off) or a weekend working day (补班). ``source`` says where it came from: ``holidays`` (seeded) or
``manual`` (typed by the admin). Seeding only ever fills a year that has no rows, so it never
overwrites an admin's edits — and it is safe to run after every ``migrate``.

``holidays.China`` knows a year's 调休 only once the State Council has published the arrangement
(in November or December of the year before); before that it knows the statutory holidays alone.
A year without its arrangement is left empty by default — so the admin is warned in December
and types it in — unless the caller asks for the statutory holidays only (``statutory_only``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from salesdesk.core.models import CalendarDay

SEEDED = "holidays"
MANUAL = "manual"

# Who may edit the calendar (configuration, the admin role) and who may read it. Role codes
# (org.roles.Role values) as plain strings: core sits below org and does not import it.
EDIT_ROLES = frozenset({"admin"})
VIEW_ROLES = frozenset({"admin", "clerk"})


def can_edit(user) -> bool:
    return bool(EDIT_ROLES & set(getattr(user, "role_codes", ())))


def can_view(user) -> bool:
    return bool(VIEW_ROLES & set(getattr(user, "role_codes", ())))


@dataclass(frozen=True)
class SeedResult:
    year: int
    created: int  # rows written; 0 when the year already had rows or is not published
    skipped: str = ""  # "exists" | "unpublished" | ""


def package_days(year: int, *, statutory_only: bool = False) -> dict[date, tuple[bool, str]] | None:
    """The year's exceptions per ``holidays.China`` as {day: (is_workday, name)}, or None when the
    package does not know the year's 调休 arrangement yet (and ``statutory_only`` is not asked)."""
    import holidays

    china = holidays.China(years=year, language="zh_CN")
    makeup = sorted(d for d in china.weekend_workdays if d.year == year)
    if not makeup and not statutory_only:
        return None
    days: dict[date, tuple[bool, str]] = {}
    for day, name in sorted(china.items()):
        if day.year == year and day.weekday() < 5:
            days[day] = (False, str(name)[:50])
    for day in makeup:
        days[day] = (True, "调休上班")
    return days


def seed_year(year: int, *, statutory_only: bool = False, using: str = "default") -> SeedResult:
    """Fill ``year`` from ``holidays.China`` when it has no rows at all (seeded or manual)."""
    with transaction.atomic(using=using):
        if CalendarDay.objects.using(using).filter(day__year=year).exists():
            return SeedResult(year, 0, "exists")
        days = package_days(year, statutory_only=statutory_only)
        if days is None:
            return SeedResult(year, 0, "unpublished")
        CalendarDay.objects.using(using).bulk_create(
            CalendarDay(day=day, is_workday=workday, name=name, source=SEEDED)
            for day, (workday, name) in sorted(days.items())
        )
        return SeedResult(year, len(days))


def seed_after_migrate(sender=None, using: str = "default", **kwargs) -> None:
    """post_migrate: seed this year and the next where they are missing and published."""
    from django.db import connections

    if CalendarDay._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated back below the table
    this_year = timezone.localdate().year
    for year in (this_year, this_year + 1):
        seed_year(year, using=using)


def year_missing(year: int) -> bool:
    return not CalendarDay.objects.filter(day__year=year).exists()


def next_year_warning(user, today: date | None = None) -> int | None:
    """The year to warn the admin about on their home page: next year, in December, when it has no rows."""
    today = today or timezone.localdate()
    if today.month != 12 or not can_edit(user):
        return None
    return today.year + 1 if year_missing(today.year + 1) else None


# --- the admin's edits ------------------------------------------------------------------------


def _require_editor(actor) -> None:
    if not can_edit(actor):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied


def save_day(*, actor, day: date, is_workday: bool, name: str = "", instance: CalendarDay | None = None) -> CalendarDay:
    """Add or change one day; an edited day becomes ``manual`` (seeding never touches it again)."""
    _require_editor(actor)
    with transaction.atomic():
        row = instance or CalendarDay(day=day)
        row.day = day
        row.is_workday = is_workday
        row.name = name.strip()[:50]
        row.source = MANUAL
        row.save()
        return row


def delete_day(*, actor, row: CalendarDay) -> None:
    """Drop an exception: the day follows Monday–Friday again."""
    _require_editor(actor)
    with transaction.atomic():
        row.delete()
