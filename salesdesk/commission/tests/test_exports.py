"""The run's Excel file for HR and finance (lines sheet, items sheet, exporter named, logged) and
each salesperson's statement as PDF and Excel: readable by them and those above them only."""

from __future__ import annotations

import io
import subprocess

import openpyxl
import pytest

from salesdesk.core.models import ExportLog

from .run_factories import draft, month_with_money

pytestmark = pytest.mark.django_db

PERIOD = "2026-10"


@pytest.fixture
def run(personas):
    month_with_money(personas, PERIOD)
    return draft(personas, PERIOD)


def _book(response) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True,
                          check=True).stdout.decode()


def test_hr_exports_the_run_with_a_lines_sheet_and_an_items_sheet_naming_the_exporter(as_user, personas, run):
    response = as_user("hr").get(f"/commission/runs/{run.pk}/export.xlsx")

    assert response.status_code == 200
    book = _book(response)
    assert book.sheetnames == ["提成明细", "计算依据"]
    lines, items = book["提成明细"], book["计算依据"]
    assert personas["hr"].display_name in lines["A1"].value
    people = {row[1]: row[6] for row in lines.iter_rows(min_row=3, values_only=True) if row[0] == PERIOD}
    assert people == {personas["sales1"].display_name: 300, personas["sales2"].display_name: 600,
                      personas["sales3"].display_name: 150}
    assert len([r for r in items.iter_rows(min_row=3, values_only=True) if r[0] == PERIOD]) == 3
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows) == (personas["hr"], "commission.run", 3)


def test_a_salesperson_cannot_export_the_whole_run_and_nothing_is_logged(as_user, run):
    assert as_user("sales1").get(f"/commission/runs/{run.pk}/export.xlsx").status_code == 403
    assert not ExportLog.objects.exists()


def test_a_salesperson_exports_only_their_own_statement(as_user, personas, run):
    client = as_user("sales1")

    own = client.get(f"/commission/runs/{run.pk}/statements/{personas['sales1'].pk}.xlsx")
    rows = [r for r in _book(own)["提成明细"].iter_rows(min_row=3, values_only=True) if r[0] == PERIOD]
    assert [r[1] for r in rows] == [personas["sales1"].display_name]

    for other in ("sales2", "sales3"):
        assert client.get(f"/commission/runs/{run.pk}/statements/{personas[other].pk}.xlsx").status_code == 404
    assert ExportLog.objects.count() == 1


def test_the_statement_pdf_holds_the_salespersons_lines_and_items_in_chinese(as_user, personas, run):
    response = as_user("sales1").get(f"/commission/runs/{run.pk}/statements/{personas['sales1'].pk}.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "提成确认单" in text and PERIOD in text and personas["sales1"].display_name in text
    assert "10,000.00" in text and "300.00" in text and "叁佰元整" in text
    assert personas["sales2"].display_name not in text


def test_a_salesperson_gets_404_for_someone_elses_statement_pdf(as_user, personas, run):
    client = as_user("sales1")

    for other in ("sales2", "sales3"):
        assert client.get(f"/commission/runs/{run.pk}/statements/{personas[other].pk}.pdf").status_code == 404


def test_the_manager_reads_their_teams_statements_but_not_another_teams(as_user, personas, run):
    client = as_user("manager")

    assert client.get(f"/commission/runs/{run.pk}/statements/{personas['sales3'].pk}.pdf").status_code == 200
    assert client.get(f"/commission/runs/{run.pk}/statements/{personas['sales2'].pk}.pdf").status_code == 404


@pytest.mark.parametrize("username", ["clerk", "gm", "finance", "hr"])
def test_those_above_every_salesperson_read_any_statement(as_user, personas, run, username):
    response = as_user(username).get(f"/commission/runs/{run.pk}/statements/{personas['sales2'].pk}.pdf")

    assert response.status_code == 200


def test_the_warehouse_cannot_read_a_statement(as_user, personas, run):
    assert as_user("warehouse").get(f"/commission/runs/{run.pk}/statements/{personas['sales1'].pk}.pdf").status_code == 403
