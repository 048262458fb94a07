"""The organisation and the test accounts of API.md; the demo scales add more salespeople."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from salesdesk.core.demo import DemoContext

from .models import CompanyProfile, Department, SalesTeam, User

DEPARTMENTS = [
    ("GM", "总经办"), ("SALES", "销售部"), ("FIN", "财务审计部"), ("HR", "人事部"),
    ("WH", "仓储物流部"), ("PLAN", "计划供应部"), ("PROD", "生产部"), ("IT", "信息部"),
]

# username, name, role, department, team, title
ACCOUNTS = [
    ("admin", "系统管理员", "admin", "IT", None, "系统管理员"),
    ("clerk", "王丽", "clerk", "SALES", None, "销售内勤"),
    ("sales1", "张伟", "salesperson", "SALES", "A", "销售代表"),
    ("sales3", "刘洋", "salesperson", "SALES", "A", "销售代表"),
    ("sales2", "李娜", "salesperson", "SALES", "B", "销售代表"),
    ("manager", "陈静", "sales_manager", "SALES", "A", "销售经理"),
    ("gm", "赵强", "general_manager", "GM", None, "总经理"),
    ("finance", "孙敏", "finance", "FIN", None, "会计"),
    ("hr", "周婷", "hr", "HR", None, "人事专员"),
    ("warehouse", "吴磊", "warehouse", "WH", None, "仓库主管"),
    ("planner", "郑凯", "planner", "PLAN", None, "计划员"),
]


def _user(ctx: DemoContext, username: str, name: str, role: str, dept: Department, team, title: str) -> User:
    user = User(
        username=username, name=name, email=f"{username}@example.com", department=dept, team=team,
        title=title, phone=f"138{ctx.rng.randrange(10**8):08d}", is_staff=role == "admin",
    )
    # One hash for every demo account: PBKDF2 per user would dominate seeding time.
    if "password_hash" not in ctx.shared:
        ctx.shared["password_hash"] = make_password(ctx.password)
    user.password = ctx.shared["password_hash"]
    user.save()
    user.groups.add(Group.objects.get(name=role))
    return user


def seed(ctx: DemoContext) -> None:
    CompanyProfile.objects.create(
        name="华远润滑油销售有限公司", short_name="华远", uscc="91110000600037341L", address="北京市朝阳区建国路88号",
        phone="010-62345678", bank_name="中国工商银行北京朝阳支行", bank_account="0200001234567890123",
        legal_representative="赵强", doc_prefix="华远销",
    )
    depts = {code: Department.objects.create(code=code, name=name) for code, name in DEPARTMENTS}
    teams = {
        "A": SalesTeam.objects.create(code="A", name="销售一组", department=depts["SALES"]),
        "B": SalesTeam.objects.create(code="B", name="销售二组", department=depts["SALES"]),
    }
    users = {}
    for username, name, role, dept, team, title in ACCOUNTS:
        users[username] = _user(ctx, username, name, role, depts[dept], teams.get(team) if team else None, title)
    teams["A"].manager = users["manager"]
    teams["A"].save()
    for username in ("sales1", "sales3"):
        users[username].manager = users["manager"]
        users[username].save(update_fields=["manager"])
    salespeople = [users["sales1"], users["sales2"], users["sales3"]]
    if ctx.business:
        extra = 3 if ctx.scale == "demo" else 60
        manager2 = _user(ctx, "manager2", ctx.fake.name(), "sales_manager", depts["SALES"], teams["B"], "销售经理")
        teams["B"].manager = manager2
        teams["B"].save()
        for i in range(extra):
            team = teams["A"] if i % 2 else teams["B"]
            u = _user(ctx, f"sales{4 + i}", ctx.fake.name(), "salesperson", depts["SALES"], team, "销售代表")
            u.manager = team.manager
            u.save(update_fields=["manager"])
            salespeople.append(u)
    ctx.shared["users"] = users
    ctx.shared["salespeople"] = salespeople
    ctx.shared["teams"] = teams
