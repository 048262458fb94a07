from __future__ import annotations

import pytest
from django.core.management import call_command

from salesdesk.org.models import SalesTeam, User

pytestmark = pytest.mark.django_db

ACCOUNTS = {
    "admin": ["admin"], "clerk": ["clerk"], "sales1": ["salesperson"], "sales2": ["salesperson"],
    "sales3": ["salesperson"], "manager": ["sales_manager"], "gm": ["general_manager"], "finance": ["finance"],
    "hr": ["hr"], "warehouse": ["warehouse"], "planner": ["planner"],
}


def test_users_scale_creates_exactly_the_test_accounts_of_the_api_contract():
    call_command("seed_demo", "--scale", "users", "--password", "PW-1234x")

    users = {u.username: sorted(u.role_codes) for u in User.objects.prefetch_related("groups")}
    assert users == ACCOUNTS
    assert all(u.email == f"{u.username}@example.com" for u in User.objects.all())
    assert User.objects.get(username="sales2").check_password("PW-1234x")


def test_users_scale_builds_the_teams_of_the_api_contract():
    call_command("seed_demo", "--scale", "users")

    team_a = SalesTeam.objects.get(members__username="sales1")
    assert team_a.manager.username == "manager"
    assert set(team_a.members.values_list("username", flat=True)) >= {"sales1", "sales3"}
    assert SalesTeam.objects.get(members__username="sales2") != team_a


def test_demo_scale_is_deterministic_for_a_seed():
    from django.db import transaction

    from salesdesk.customers.models import Customer

    def snapshot():
        return (list(User.objects.order_by("username").values_list("username", "name")),
                list(Customer.objects.order_by("code").values_list("code", "name", "salesperson__username")))

    with transaction.atomic():
        call_command("seed_demo", "--scale", "demo", "--seed", "7")
        first = snapshot()
        transaction.set_rollback(True)
    call_command("seed_demo", "--scale", "demo", "--seed", "7")

    assert snapshot() == first
    assert len(first[1]) == 200


def test_if_empty_skips_when_users_exist():
    call_command("seed_demo", "--scale", "users")
    call_command("seed_demo", "--scale", "demo", "--if-empty")

    assert User.objects.count() == len(ACCOUNTS)
