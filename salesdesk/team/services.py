"""Every write of the team app: a month's targets saved (grid, API, Excel import) or copied from
the month before, and the company's 业绩 measure. Each is one transaction with history
(django-simple-history on SalesTarget and CompanyProfile) and takes the acting user.

Saving is an upsert keyed by (month, scope, salesperson/team): a re-import of the same month
updates the rows it names and never duplicates them. A new row whose two targets are both zero is
not written (an absent target reads as zero); an existing one is set to the given values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db import transaction

from salesdesk.core.errors import InvalidInput
from salesdesk.core.lib.money import quantize_money
from salesdesk.core.lib.periods import parse_month as _parse_month
from salesdesk.org.models import CompanyProfile, SalesTeam, User
from salesdesk.org.roles import Role

from . import permissions as perms
from .models import SalesTarget, TargetScope
from .queries import MEASURES, previous_month

MAX_TARGET = Decimal("1000000000000.00")  # 1 万亿: beyond any month of any customer of ours


class TargetErrorCode(StrEnum):
    INVALID_MONTH = "target_invalid_month"
    INVALID_TARGET = "target_invalid"
    NOTHING_TO_COPY = "target_nothing_to_copy"


def parse_month(value: str) -> date:
    """"2026-11" → date(2026, 11, 1); anything else → 422."""
    try:
        return _parse_month(value)
    except ValueError:
        raise InvalidInput({"month": ["月份格式应为 YYYY-MM / The month must be YYYY-MM."]},
                           code=TargetErrorCode.INVALID_MONTH) from None


@dataclass(frozen=True)
class TargetEntry:
    """One target line as entered: the scope and whom it is for, and the two amounts."""

    scope: str
    sales_target: Decimal
    collection_target: Decimal
    salesperson_id: int | None = None
    team_id: int | None = None
    note: str | None = None  # None keeps the note an existing row has


@dataclass
class SaveResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    targets: list[SalesTarget] = field(default_factory=list)


def may_edit(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and user.has_perm(perms.ADD_TARGET) and user.has_perm(perms.CHANGE_TARGET))


def _amount(value, where: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        amount = quantize_money(Decimal(str(value).replace(",", "").strip()))
    except (InvalidOperation, ValueError, TypeError):
        errors.setdefault(where, []).append("不是有效金额 / Not a valid amount.")
        return None
    if not amount.is_finite() or amount < 0:
        errors.setdefault(where, []).append("目标金额不能为负数 / A target cannot be negative.")
        return None
    if amount >= MAX_TARGET:
        errors.setdefault(where, []).append("目标金额过大 / The target is too large.")
        return None
    return amount


def _key(entry: TargetEntry) -> tuple:
    if entry.scope == TargetScope.SALESPERSON:
        return (entry.scope, entry.salesperson_id)
    if entry.scope == TargetScope.TEAM:
        return (entry.scope, entry.team_id)
    return (entry.scope, None)


def check_entries(entries: Sequence[TargetEntry], *, prefix: str = "items") -> tuple[list[TargetEntry], dict]:
    """Validate entries (scope consistent, the person a salesperson, the team existing, amounts
    non-negative, no line twice); errors keyed ``items.<i>.<field>``. Two queries."""
    errors: dict[str, list[str]] = {}
    sp_ids = {e.salesperson_id for e in entries if e.salesperson_id}
    team_ids = {e.team_id for e in entries if e.team_id}
    salespeople = set(User.objects.filter(pk__in=sp_ids, groups__name=Role.SALESPERSON).values_list("pk", flat=True))
    teams = set(SalesTeam.objects.filter(pk__in=team_ids).values_list("pk", flat=True))
    seen: dict[tuple, int] = {}
    clean: list[TargetEntry] = []
    for i, e in enumerate(entries):
        at = f"{prefix}.{i}"
        bad = False
        if e.scope not in TargetScope.values:
            errors.setdefault(f"{at}.scope", []).append(
                "范围应为 salesperson、team 或 company / scope must be salesperson, team or company.")
            continue
        if e.scope == TargetScope.SALESPERSON:
            if e.team_id is not None:
                errors.setdefault(f"{at}.team_id", []).append("业务员目标不填团队 / A salesperson target takes no team_id.")
                bad = True
            if e.salesperson_id is None:
                errors.setdefault(f"{at}.salesperson_id", []).append("请指定业务员 / salesperson_id is required.")
                bad = True
            elif e.salesperson_id not in salespeople:
                errors.setdefault(f"{at}.salesperson_id", []).append("不是业务员 / Not a salesperson.")
                bad = True
        elif e.scope == TargetScope.TEAM:
            if e.salesperson_id is not None:
                errors.setdefault(f"{at}.salesperson_id", []).append("团队目标不填业务员 / A team target takes no salesperson_id.")
                bad = True
            if e.team_id is None:
                errors.setdefault(f"{at}.team_id", []).append("请指定团队 / team_id is required.")
                bad = True
            elif e.team_id not in teams:
                errors.setdefault(f"{at}.team_id", []).append("团队不存在 / No such team.")
                bad = True
        elif e.salesperson_id is not None or e.team_id is not None:
            errors.setdefault(f"{at}.scope", []).append(
                "公司目标不填业务员或团队 / A company target takes neither salesperson_id nor team_id.")
            bad = True
        sales = _amount(e.sales_target, f"{at}.sales_target", errors)
        collection = _amount(e.collection_target, f"{at}.collection_target", errors)
        if sales is None or collection is None or bad:
            continue
        key = _key(e)
        if key in seen:
            errors.setdefault(f"{at}.scope", []).append(
                f"与第 {seen[key] + 1} 行重复 / Duplicates line {seen[key] + 1}.")
            continue
        seen[key] = i
        note = None if e.note is None else str(e.note).strip()[:200]
        clean.append(TargetEntry(str(e.scope), sales, collection, e.salesperson_id, e.team_id, note))
    return clean, errors


def _existing(month: date) -> dict[tuple, SalesTarget]:
    rows = SalesTarget.objects.select_for_update().filter(month=month)
    return {(t.scope, t.salesperson_id if t.scope == TargetScope.SALESPERSON else t.team_id): t for t in rows}


def save_month_targets(*, actor, month: date, entries: Sequence[TargetEntry], reason: str = "") -> SaveResult:
    """Upsert the month's targets named by ``entries`` in one transaction; all or nothing. Lines not
    named keep their values. Refuses (422) when any line is invalid, writing nothing."""
    if not may_edit(actor):
        raise PermissionDenied
    month = month.replace(day=1)
    clean, errors = check_entries(entries)
    if errors:
        raise InvalidInput(errors, code=TargetErrorCode.INVALID_TARGET)
    result = SaveResult()
    with transaction.atomic():
        existing = _existing(month)
        for e in clean:
            target = existing.get(_key(e))
            if target is None:
                if not e.sales_target and not e.collection_target:
                    result.unchanged += 1
                    continue
                target = SalesTarget(month=month, scope=e.scope, salesperson_id=e.salesperson_id, team_id=e.team_id,
                                     sales_target=e.sales_target, collection_target=e.collection_target,
                                     note=e.note or "", updated_by=actor)
                target._change_reason = reason[:100] or None
                target._history_user = actor
                target.save()
                existing[_key(e)] = target
                result.created += 1
                result.targets.append(target)
                continue
            note = target.note if e.note is None else e.note
            if (target.sales_target, target.collection_target, target.note) == (e.sales_target, e.collection_target, note):
                result.unchanged += 1
                continue
            target.sales_target, target.collection_target, target.note = e.sales_target, e.collection_target, note
            target.updated_by = actor
            target._change_reason = reason[:100] or None
            target._history_user = actor
            target.save()
            result.updated += 1
            result.targets.append(target)
    return result


def copy_month_targets(*, actor, month: date, source: date | None = None) -> SaveResult:
    """Copy the targets of ``source`` (default: the month before) into ``month`` for every line the
    month has no target for yet; existing targets of ``month`` are kept. Salespeople who have
    left (inactive) are skipped. Refuses (409) when the source month has no targets."""
    from salesdesk.core.errors import DomainError

    if not may_edit(actor):
        raise PermissionDenied
    month = month.replace(day=1)
    source = (source or previous_month(month)).replace(day=1)
    rows = list(SalesTarget.objects.filter(month=source).exclude(scope=TargetScope.SALESPERSON,
                                                                 salesperson__is_active=False))
    if not rows:
        raise DomainError(f"{source:%Y-%m} 没有可复制的目标 / {source:%Y-%m} has no targets to copy.",
                          code=TargetErrorCode.NOTHING_TO_COPY)
    result = SaveResult()
    with transaction.atomic():
        existing = _existing(month)
        for t in rows:
            key = (t.scope, t.salesperson_id if t.scope == TargetScope.SALESPERSON else t.team_id)
            if key in existing:
                result.unchanged += 1
                continue
            copy = SalesTarget(month=month, scope=t.scope, salesperson_id=t.salesperson_id, team_id=t.team_id,
                               sales_target=t.sales_target, collection_target=t.collection_target, note=t.note,
                               updated_by=actor)
            copy._change_reason = f"复制 {source:%Y-%m} 目标"
            copy._history_user = actor
            copy.save()
            result.created += 1
            result.targets.append(copy)
    return result


# --- the 业绩 measure ---------------------------------------------------------------------------------


def may_set_measure(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and user.has_role(Role.ADMIN, Role.GENERAL_MANAGER))


def set_performance_measure(*, actor, measure: str) -> CompanyProfile:
    """Change the company's 业绩 measure (admin or GM). Reports read it per request, so the next
    report uses it; history records who changed it."""
    if not may_set_measure(actor):
        raise PermissionDenied
    if measure not in MEASURES:
        raise InvalidInput({"performance_measure": ["口径应为 ordered、shipped 或 received / "
                                                    "The measure must be ordered, shipped or received."]})
    with transaction.atomic():
        profile = CompanyProfile.current()
        profile = CompanyProfile.objects.select_for_update().get(pk=profile.pk)
        if profile.performance_measure != measure:
            profile.performance_measure = measure
            profile._history_user = actor
            profile._change_reason = "业绩口径"
            profile.save(update_fields=["performance_measure"])
    return profile
