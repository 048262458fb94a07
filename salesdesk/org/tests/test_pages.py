from __future__ import annotations

import io

import openpyxl
import pytest

from salesdesk.core.models import ExportLog
from salesdesk.core.testing.personas import PASSWORD
from salesdesk.core.testing.queries import query_budget
from salesdesk.org.models import SalesTeam, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client, personas):
    def login(username):
        assert client.login(username=username, password=PASSWORD)
        return client

    return login


def _more_users(n, team):
    for i in range(n):
        User.objects.create(username=f"extra{i}", name=f"员工{i}", team=team)


# Session, user, user's groups, two permission lookups (export button), heartbeat, unread count,
# teams (filter choices), row count, rows, the rows' groups.
USER_LIST_QUERIES = 11


def test_user_list_runs_a_fixed_number_of_queries_whatever_the_rows(as_user, personas):
    from salesdesk.core.jobs import beat

    beat()  # a running worker
    client = as_user("clerk")
    client.get("/org/users/")  # warm per-process caches (content types, permissions)
    with query_budget(USER_LIST_QUERIES):
        client.get("/org/users/")

    _more_users(30, SalesTeam.objects.first())
    with query_budget(USER_LIST_QUERIES):
        response = client.get("/org/users/")
    assert response.status_code == 200


def test_user_list_filters_by_role_and_search(as_user):
    html = as_user("clerk").get("/org/users/?role=salesperson&q=zw", HTTP_HX_REQUEST="true").content.decode()

    assert "sales1" in html
    assert "sales2" not in html and "finance" not in html


def test_user_list_answers_the_htmx_partial_with_only_the_table(as_user):
    response = as_user("clerk").get("/org/users/?role=finance", HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'id="user-table"' in html
    assert "<nav" not in html  # no page frame


def test_export_of_the_filtered_users_is_logged_and_names_the_exporter(as_user, personas):
    response = as_user("clerk").get("/org/users/?role=salesperson&export=xlsx")

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert "王丽" in sheet["A1"].value  # the exporter's name is in the file
    usernames = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert usernames == ["sales1", "sales2", "sales3"]
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows, log.filters) == (personas["clerk"], "org.users", 3, {"role": "salesperson"})


def test_export_without_the_permission_is_refused_and_not_logged(as_user):
    response = as_user("manager").get("/org/users/?export=xlsx")

    assert response.status_code == 403
    assert not ExportLog.objects.exists()


def test_user_detail_shows_history_tab_as_htmx_partial(as_user, personas):
    sales1 = personas["sales1"]
    sales1.phone = "13900000000"
    sales1._history_user = personas["admin"]
    sales1.save()

    html = as_user("clerk").get(f"/org/users/{sales1.pk}/?tab=history", HTTP_HX_REQUEST="true").content.decode()

    assert "13900000000" in html
    assert "系统管理员" in html  # who changed it


def test_user_detail_of_unknown_user_is_404(as_user):
    assert as_user("clerk").get("/org/users/999999/").status_code == 404


def test_only_user_managers_may_edit_a_user(as_user, personas):
    assert as_user("clerk").get(f"/org/users/{personas['sales1'].pk}/edit/").status_code == 403


def test_editing_a_user_saves_roles_and_records_the_editor(as_user, personas):
    sales3 = personas["sales3"]
    response = as_user("admin").post(f"/org/users/{sales3.pk}/edit/", {
        "name": "刘洋", "email": "sales3@example.com", "phone": "", "title": "大客户经理", "grade": "P5",
        "team": sales3.team_id, "is_active": "on", "roles": ["salesperson", "sales_manager"],
    })

    assert response.status_code == 302
    sales3 = User.objects.get(pk=sales3.pk)
    assert sales3.title == "大客户经理"
    assert sorted(sales3.role_codes) == ["sales_manager", "salesperson"]
    assert sales3.history.first().history_user == personas["admin"]


def test_edit_form_errors_are_shown_in_chinese(as_user, personas):
    response = as_user("admin").post(f"/org/users/{personas['sales3'].pk}/edit/", {"name": "", "email": "not-mail"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "这个字段是必填项。" in html
    assert "输入一个有效的 Email 地址。" in html


def test_history_api_lists_changes_newest_first(api, personas):
    sales1 = personas["sales1"]
    sales1.title = "高级销售代表"
    sales1._history_user = personas["admin"]
    sales1.save()

    body = api("clerk").get(f"/api/v1/users/{sales1.pk}/history").json()

    assert body["count"] == 3  # created, team manager set, title changed
    newest = body["items"][0]
    assert newest["changes"] == {"title": ["销售代表", "高级销售代表"]}
    assert newest["user"] == "系统管理员"
    assert newest["at"].endswith("+08:00")
    assert body["items"][-1]["kind"] == "created"


def test_history_renders_in_two_queries_whatever_the_number_of_changes(personas):
    from salesdesk.core.history import history_entries

    sales1 = personas["sales1"]
    for i in range(15):
        sales1.title = f"职务{i}"
        sales1.save()

    with query_budget(2):
        total, entries = history_entries(sales1, limit=10)
    assert total == 17 and len(entries) == 10
    assert entries[0].changes == {"title": ["职务13", "职务14"]}


def test_team_list_and_detail(as_user, personas):
    client = as_user("manager")
    team = SalesTeam.objects.get(code="A")

    assert "销售一组" in client.get("/org/teams/").content.decode()
    assert "张伟" in client.get(f"/org/teams/{team.pk}/").content.decode()
