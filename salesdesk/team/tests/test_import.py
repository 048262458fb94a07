"""Excel import of a month's targets: the template round trip, the preview with row errors in
Chinese, the commit, and re-importing the same month updating instead of duplicating."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from salesdesk.team import importing
from salesdesk.team.importing import ImportRefused
from salesdesk.team.models import SalesTarget

pytestmark = pytest.mark.django_db

OCT = date(2026, 10, 1)
HEADER = ["范围", "业务员账号", "业务员", "团队编码", "团队", "销售目标(含税)", "回款目标", "备注"]


def _xlsx(rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _good(personas) -> bytes:
    return _xlsx([
        ["业务员", "sales1", "", "", "", 100000, 50000, "新客户"],
        ["团队", "", "", personas["sales1"].team.code, "", "30万", 200000, ""],
        ["公司", "", "", "", "", "900000.00", "700000", ""],
    ])


def test_a_good_file_previews_every_row_and_imports_them(personas):
    preview = importing.check_file(actor=personas["clerk"], month=OCT, data=_good(personas))

    assert preview.ok and [r.scope for r in preview.rows] == ["salesperson", "team", "company"]
    assert not SalesTarget.objects.exists()
    _, result = importing.import_targets(actor=personas["clerk"], month=OCT, data=_good(personas))
    assert result.created == 3
    assert SalesTarget.objects.get(scope="team").sales_target == Decimal("300000.00")
    assert SalesTarget.objects.get(scope="salesperson").note == "新客户"


def test_importing_the_same_month_again_updates_and_never_duplicates(personas):
    importing.import_targets(actor=personas["clerk"], month=OCT, data=_good(personas))
    changed = _xlsx([["业务员", "sales1", "", "", "", 123, 50000, "新客户"]])

    _, result = importing.import_targets(actor=personas["clerk"], month=OCT, data=changed)

    assert (result.created, result.updated) == (0, 1)
    assert SalesTarget.objects.count() == 3
    assert SalesTarget.objects.get(scope="salesperson").sales_target == Decimal("123.00")


def test_row_errors_are_named_in_chinese_and_nothing_is_imported(personas):
    bad = _xlsx([
        ["业务员", "nobody", "", "", "", 1, 1, ""],
        ["团队", "", "", "ZZ", "", 1, 1, ""],
        ["公司", "", "", "", "", "abc", -5, ""],
        ["星球", "", "", "", "", 1, 1, ""],
        ["业务员", "sales1", "", "", "", 1, 1, ""],
        ["业务员", "sales1", "", "", "", 2, 2, ""],
    ])

    preview, result = importing.import_targets(actor=personas["clerk"], month=OCT, data=bad)

    assert result is None and not SalesTarget.objects.exists()
    errors = {r.row: r.errors for r in preview.rows}
    assert errors[2] == ["没有账号为“nobody”的业务员"]
    assert errors[3] == ["没有团队“ZZ”"]
    assert errors[4] == ["销售目标：不是有效金额", "回款目标：目标金额不能为负数"]
    assert errors[5] == ["范围“星球”无效，应为 业务员、团队 或 公司"]
    assert errors[6] == [] and errors[7] == ["与第 6 行重复"]


def test_a_salesperson_may_be_named_instead_of_their_account(personas):
    name = personas["sales2"].display_name

    preview = importing.check_file(actor=personas["clerk"], month=OCT, data=_xlsx([["", "", name, "", "", 5, 5, ""]]))

    assert preview.ok and preview.entries[0].salesperson_id == personas["sales2"].pk


def test_an_unreadable_file_is_refused_as_a_whole(personas):
    with pytest.raises(ImportRefused):
        importing.check_file(actor=personas["clerk"], month=OCT, data=b"not a workbook")
    with pytest.raises(ImportRefused):
        importing.check_file(actor=personas["clerk"], month=OCT, data=_xlsx([["x"]], header=["甲", "乙"]))


def test_the_template_holds_the_month_and_imports_back_unchanged(personas):
    importing.import_targets(actor=personas["clerk"], month=OCT, data=_good(personas))

    template = importing.template_workbook(OCT, personas["clerk"])
    preview, result = importing.import_targets(actor=personas["clerk"], month=OCT, data=template)

    assert preview.ok and result.created == 0 and result.updated == 0
    assert SalesTarget.objects.count() == 3


def test_the_pages_preview_then_commit_the_upload(client, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(personas["clerk"])
    upload = SimpleUploadedFile("目标.xlsx", _good(personas))

    preview = client.post("/team/targets/import/", {"month": "2026-10", "file": upload})
    html = preview.content.decode()
    assert preview.status_code == 200 and "commit-import" in html and not SalesTarget.objects.exists()
    token = client.session["team_target_import"]["token"]
    done = client.post("/team/targets/import/commit/", {"token": token})

    assert done.status_code == 302 and done["Location"] == "/team/targets/?month=2026-10"
    assert SalesTarget.objects.count() == 3


def test_a_file_with_errors_cannot_be_committed_from_the_page(client, personas):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(personas["clerk"])
    upload = SimpleUploadedFile("目标.xlsx", _xlsx([["业务员", "nobody", "", "", "", 1, 1, ""]]))

    html = client.post("/team/targets/import/", {"month": "2026-10", "file": upload}).content.decode()
    refused = client.post("/team/targets/import/commit/", {"token": "forged"})

    assert "没有账号为“nobody”的业务员" in html and "commit-import" not in html
    assert refused.status_code == 302 and not SalesTarget.objects.exists()


def test_the_template_download_is_an_excel_file_for_the_clerk_only(client, personas):
    client.force_login(personas["clerk"])
    response = client.get("/team/targets/template/?month=2026-10")
    client.force_login(personas["sales1"])

    assert response.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(response.content)).active["A1"].value == "范围"
    assert client.get("/team/targets/template/?month=2026-10").status_code == 403
