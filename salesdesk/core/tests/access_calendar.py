"""Access-matrix rows of the working-day calendar pages: the admin edits, the clerk reads, nobody
else sees them. See ``salesdesk/core/testing/access.py``."""

from __future__ import annotations

from datetime import date

from salesdesk.core.testing.access import Case, Ctx, Redirect, page_expect

FAR_DAY = date(2099, 3, 2)  # a Monday no seeding reaches


def populate(world) -> None:
    from salesdesk.core.models import CalendarDay

    world.add("calendar_day", CalendarDay.objects.create(day=FAR_DAY, is_workday=False, name="测试", source="manual"))


def _row(ctx: Ctx) -> dict:
    return {"pk": ctx.world.get("calendar_day").pk}


def _written_only_by_admin(day: date, *, exists_before: bool):
    def check(ctx: Ctx, response) -> None:
        from salesdesk.core.models import CalendarDay

        row = CalendarDay.objects.filter(day=day).first()
        if ctx.role == "admin":
            assert row is not None and row.source == "manual" and row.is_workday, row
        else:
            assert (row is not None) == exists_before and (row is None or not row.is_workday), row

    return check


def _deleted_only_by_admin(ctx: Ctx, response) -> None:
    from salesdesk.core.models import CalendarDay

    exists = CalendarDay.objects.filter(day=FAR_DAY).exists()
    assert exists == (ctx.role != "admin"), f"exists={exists}"


LIST = Redirect("/core/calendar/")
EDIT = dict(admin=200)

CASES: list[Case] = [
    Case("calendar_list", expect=page_expect(403, admin=200, clerk=200)),
    Case("calendar_day_create", expect=page_expect(403, **EDIT)),
    Case("calendar_day_create", method="POST", label="a make-up Saturday",
         body={"day": "2099-03-07", "is_workday": "1", "name": "调休上班"},
         check=_written_only_by_admin(date(2099, 3, 7), exists_before=False),
         expect=page_expect(403, admin=LIST)),
    Case("calendar_day_edit", args=_row, expect=page_expect(403, **EDIT)),
    Case("calendar_day_edit", method="POST", args=_row, label="turned into a working day",
         body={"day": "2099-03-02", "is_workday": "1", "name": "改为上班"},
         check=_written_only_by_admin(FAR_DAY, exists_before=True),
         expect=page_expect(403, admin=LIST)),
    Case("calendar_day_delete", method="POST", args=_row, check=_deleted_only_by_admin,
         expect=page_expect(403, admin=LIST)),
]
