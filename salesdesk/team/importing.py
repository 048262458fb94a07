"""Excel import of a month's targets (目标导入): the template (the month's grid with its current
values, so the clerk can download, fill in and upload back), the check that previews every row
with its errors in Chinese, and the commit through ``services.save_month_targets`` — an upsert, so
importing the same month again updates the rows and never duplicates them.

Columns (Chinese headers; a few aliases accepted): 范围 (业务员/团队/公司), 业务员账号, 业务员,
团队编码, 团队, 销售目标(含税), 回款目标, 备注. A salesperson is found by account, else by name;
a team by code, else by name. All or nothing: any error refuses the whole file."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import openpyxl

from salesdesk.core.errors import InvalidInput
from salesdesk.core.exports import safe_cell
from salesdesk.org.models import SalesTeam, User
from salesdesk.org.roles import Role

from . import services
from .models import TargetScope
from .queries import grid

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2_000
NOTE_MAX = 200
CHANGE_REASON = "Excel 导入"

COLUMNS = {  # key → (template header, aliases)
    "scope": ("范围", ("scope", "类型", "目标范围")),
    "username": ("业务员账号", ("username", "账号", "用户名")),
    "salesperson": ("业务员", ("salesperson", "姓名", "业务员姓名")),
    "team_code": ("团队编码", ("team_code",)),
    "team": ("团队", ("team", "团队名称", "所属团队")),
    "sales_target": ("销售目标(含税)", ("sales_target", "销售目标", "业绩目标", "销售目标（含税）")),
    "collection_target": ("回款目标", ("collection_target", "回款")),
    "note": ("备注", ("note",)),
}
SCOPE_WORDS = {
    "业务员": TargetScope.SALESPERSON, "个人": TargetScope.SALESPERSON, "salesperson": TargetScope.SALESPERSON,
    "团队": TargetScope.TEAM, "team": TargetScope.TEAM,
    "公司": TargetScope.COMPANY, "全公司": TargetScope.COMPANY, "company": TargetScope.COMPANY,
}
SCOPE_LABELS = {TargetScope.SALESPERSON: "业务员", TargetScope.TEAM: "团队", TargetScope.COMPANY: "公司"}


def _key(text: Any) -> str:
    return "".join(str(text or "").split()).lower().replace("（", "(").replace("）", ")")


_ALIASES = {_key(a): k for k, (header, aliases) in COLUMNS.items() for a in (header, *aliases)}


class ImportRefused(InvalidInput):
    """The file as a whole cannot be used (unreadable, no header, too big)."""

    def __init__(self, message: str):
        super().__init__({"file": [message]}, field="file", code="target_import_refused")


@dataclass
class PreviewRow:
    row: int  # as Excel numbers it; the header is row 1
    scope: str
    who: str
    sales_target: Decimal | None
    collection_target: Decimal | None
    note: str
    errors: list[str] = field(default_factory=list)

    @property
    def scope_label(self) -> str:
        return SCOPE_LABELS.get(self.scope, self.scope or "—")


@dataclass
class Preview:
    month: date
    rows: list[PreviewRow]
    entries: list[services.TargetEntry]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not any(r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.errors)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _amount(value: Any) -> Decimal:
    text = _text(value).replace(",", "").replace("¥", "").replace("￥", "")
    if not text:
        return Decimal("0.00")
    if text.endswith("万"):
        number = _amount(text[:-1]) * 10000
        return number
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("不是有效金额") from None
    if not number.is_finite():
        raise ValueError("不是有效金额")
    if number < 0:
        raise ValueError("目标金额不能为负数")
    if number.as_tuple().exponent < -2 and number != number.quantize(Decimal("0.01")):
        raise ValueError("金额最多两位小数")
    if number >= services.MAX_TARGET:
        raise ValueError("目标金额过大")
    return number.quantize(Decimal("0.01"))


def _rows(data: bytes):
    """The first sheet's rows through the customer import's guarded reader (zip-bomb ratio, row
    cap from the sheet's dimension, formulas without a computed value given as their text)."""
    from salesdesk.customers.importing import ImportRefused as FileRefused
    from salesdesk.customers.importing import xlsx_sheet_rows

    if not data.strip():
        raise ImportRefused("文件为空，请选择填好目标的 .xlsx 文件 / The file is empty.")
    if len(data) > MAX_BYTES:
        raise ImportRefused("文件超过 2 MB / The file is larger than 2 MB.")
    if not data.startswith(b"PK\x03\x04"):
        raise ImportRefused("无法读取文件，请上传 .xlsx 格式的 Excel 文件（不支持 .xls、CSV 或其他文件） / "
                            "Not a readable .xlsx file.")
    try:
        return list(xlsx_sheet_rows(data, "file.xlsx", MAX_ROWS + 10))
    except FileRefused as exc:
        message = next((str(m) for messages in exc.errors.values() for m in messages), str(exc.message))
        raise ImportRefused(f"{message} / The file was refused ({exc.code}).") from None
    except Exception:
        raise ImportRefused("文件内容已损坏，无法读取 / The sheet is corrupt.") from None


def check_file(*, actor, month: date, data: bytes) -> Preview:
    """Read and check every row against the month; nothing is written."""
    rows = _rows(data)
    header_at = next((i for i, r in enumerate(rows[:5]) if any(_key(c) in _ALIASES for c in r)), None)
    if header_at is None:
        raise ImportRefused("找不到表头（范围、业务员账号、团队编码、销售目标(含税)、回款目标） / No header row found.")
    columns: dict[str, int] = {}
    for index, cell in enumerate(rows[header_at]):
        key = _ALIASES.get(_key(cell))
        if key is None:
            continue
        if key in columns:
            raise ImportRefused(f"表头“{_text(cell)}”重复 / Column {_text(cell)} appears twice.")
        columns[key] = index
    if "sales_target" not in columns and "collection_target" not in columns:
        raise ImportRefused("缺少“销售目标(含税)”或“回款目标”列 / No target column.")
    body = [(n, r) for n, r in enumerate(rows[header_at + 1:], start=header_at + 2)
            if any(_text(c) for c in r)]
    if not body:
        raise ImportRefused("文件中没有数据行 / The file has no rows.")
    if len(body) > MAX_ROWS:
        raise ImportRefused(f"一次最多导入 {MAX_ROWS} 行 / At most {MAX_ROWS} rows.")

    people = list(User.objects.filter(groups__name=Role.SALESPERSON).order_by("pk").distinct())
    by_username = {u.username.lower(): u for u in people}
    by_name: dict[str, list[User]] = {}
    for u in people:
        by_name.setdefault(u.display_name, []).append(u)
    teams = list(SalesTeam.objects.order_by("code"))
    team_by_code = {t.code.lower(): t for t in teams}
    team_by_name = {t.name: t for t in teams}

    preview_rows: list[PreviewRow] = []
    entries: list[services.TargetEntry] = []
    seen: dict[tuple, int] = {}
    for number, raw in body:
        def cell(key: str, raw=raw) -> Any:
            i = columns.get(key)
            return raw[i] if i is not None and i < len(raw) else None

        errors: list[str] = []
        scope_text = _text(cell("scope"))
        username, sp_name = _text(cell("username")), _text(cell("salesperson"))
        team_code, team_name = _text(cell("team_code")), _text(cell("team"))
        scope = SCOPE_WORDS.get(scope_text.lower()) if scope_text else (
            TargetScope.SALESPERSON if (username or sp_name) else TargetScope.TEAM if (team_code or team_name)
            else TargetScope.COMPANY)
        if scope is None:
            errors.append(f"范围“{scope_text}”无效，应为 业务员、团队 或 公司")
        salesperson = team = None
        who = ""
        if scope == TargetScope.SALESPERSON:
            who = sp_name or username
            if username:
                salesperson = by_username.get(username.lower())
                if salesperson is None:
                    errors.append(f"没有账号为“{username}”的业务员")
            elif sp_name:
                found = by_name.get(sp_name, [])
                if len(found) == 1:
                    salesperson = found[0]
                elif not found:
                    errors.append(f"没有名为“{sp_name}”的业务员")
                else:
                    errors.append(f"有多名业务员叫“{sp_name}”，请填写业务员账号")
            else:
                errors.append("业务员目标需填写业务员账号或姓名")
            if salesperson is not None:
                who = salesperson.display_name
        elif scope == TargetScope.TEAM:
            who = team_name or team_code
            team = team_by_code.get(team_code.lower()) if team_code else team_by_name.get(team_name)
            if team is None:
                errors.append(f"没有团队“{team_code or team_name}”" if (team_code or team_name)
                              else "团队目标需填写团队编码或团队名称")
            else:
                who = team.name
        elif scope == TargetScope.COMPANY:
            who = "公司"
        amounts: dict[str, Decimal | None] = {}
        for key, label in (("sales_target", "销售目标"), ("collection_target", "回款目标")):
            try:
                amounts[key] = _amount(cell(key))
            except ValueError as exc:
                amounts[key] = None
                errors.append(f"{label}：{exc}")
        note = _text(cell("note"))
        if len(note) > NOTE_MAX:
            errors.append(f"备注过长（{len(note)} 个字，最多 {NOTE_MAX} 个字）")
            note = note[:NOTE_MAX]
        if scope is not None and not errors:
            key = (scope, salesperson.pk if salesperson else team.pk if team else None)
            if key in seen:
                errors.append(f"与第 {seen[key]} 行重复")
            else:
                seen[key] = number
        preview_rows.append(PreviewRow(number, scope or "", who, amounts["sales_target"], amounts["collection_target"],
                                       note, errors))
        if not errors:
            entries.append(services.TargetEntry(
                scope, amounts["sales_target"], amounts["collection_target"],
                salesperson_id=salesperson.pk if salesperson else None, team_id=team.pk if team else None,
                note=note if "note" in columns else None,
            ))
    return Preview(month=month.replace(day=1), rows=preview_rows, entries=entries)


def import_targets(*, actor, month: date, data: bytes) -> tuple[Preview, services.SaveResult | None]:
    """Check the whole file again, then save every row in one transaction — or nothing."""
    preview = check_file(actor=actor, month=month, data=data)
    if not preview.ok:
        return preview, None
    return preview, services.save_month_targets(actor=actor, month=preview.month, entries=preview.entries,
                                                reason=CHANGE_REASON)


def template_workbook(month: date, user) -> bytes:
    """The month's grid as an import file: one row per active salesperson, team and the company,
    with the month's current targets filled in."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = f"{month:%Y-%m} 目标"
    keys = list(COLUMNS)
    sheet.append([COLUMNS[k][0] for k in keys])
    rows = grid(month, user)
    usernames = dict(User.objects.filter(pk__in=[r.salesperson_id for r in rows if r.salesperson_id])
                     .values_list("pk", "username"))
    team_codes = dict(SalesTeam.objects.values_list("pk", "code"))
    for row in rows:
        values = {
            "scope": SCOPE_LABELS[row.scope],
            "username": usernames.get(row.salesperson_id, "") if row.salesperson_id else "",
            "salesperson": row.label if row.scope == TargetScope.SALESPERSON else "",
            "team_code": team_codes.get(row.team_id, "") if row.team_id else "",
            "team": row.team_label,
            "sales_target": row.sales_target, "collection_target": row.collection_target,
            "note": row.note,
        }
        sheet.append([safe_cell(values[k]) for k in keys])  # a note "=HYPERLINK(…)" stays text
    for col, width in zip("ABCDEFGH", (8, 14, 12, 10, 12, 16, 14, 24), strict=True):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

