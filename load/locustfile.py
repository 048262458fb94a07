# ruff: noqa: S311 (random choices of a load scenario, not security)
"""R9 Load: a working day of the sales office, for Locust (run by load/run.py).

Who (of 50 users): 10 clerks (the `clerk` account), 4 finance, 4 sales managers (`manager`), and
the rest salespeople cycling over `sales1`, `sales2`, `sales3`. Several Locust users share one
account, as one person keeps several browser tabs open. Pages are read with the account's browser
session; writes and searches go through the API with the account's token (load/prepare.py makes
both). The weights follow a day at the desk: reading (desk, lists, searches, one customer) is most
of it; orders are entered and submitted, money is recorded, finance confirms it, the manager reads
the sales report and the aging.

Every answer is counted by status in an event hook; a 503 without ``Retry-After`` is counted
apart. load/run.py reads that report (``LOAD_REPORT``) and the CSV stats and applies the rules.
Think time: 1–3 s between actions (``LOAD_WAIT=min,max`` changes it), far busier than a real day."""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from locust import HttpUser, between, events, task

CONTEXT = json.loads(Path(os.environ["LOAD_CONTEXT"]).read_text())
ACCOUNTS = CONTEXT["accounts"]
SESSION_COOKIE = CONTEXT["session_cookie"]
WAIT = tuple(float(x) for x in os.environ.get("LOAD_WAIT", "1,3").split(","))
SEARCH_TERMS = ["有限", "公司", "科技", "贸易", "机械", "北京", "上海", "zh", "sh", "jx", "化工", "电子"]

# --- counting every answer ---------------------------------------------------------------------

STATUSES: Counter[str] = Counter()
MISSING_RETRY_AFTER = [0]
FAILED_OTHERWISE = [0]  # answers under 400 that the scenario marked failed (a page redirected to the login)
SAMPLES: list[str] = []


@events.request.add_listener
def count_answer(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    status = int(getattr(response, "status_code", 0) or 0)
    STATUSES[str(status)] += 1
    if status == 503 and not response.headers.get("Retry-After"):
        MISSING_RETRY_AFTER[0] += 1
    if exception is not None and 0 < status < 400:
        FAILED_OTHERWISE[0] += 1
    if (exception is not None or status >= 400 or status == 0) and len(SAMPLES) < 30:
        body = (getattr(response, "text", "") or "")[:200].replace("\n", " ")
        SAMPLES.append(f"{request_type} {name} -> {status} {exception or ''} {body}".strip())


@events.quitting.add_listener
def write_report(environment, **kwargs):
    report = os.environ.get("LOAD_REPORT")
    if report:
        Path(report).write_text(json.dumps({
            "statuses": dict(STATUSES), "missing_retry_after": MISSING_RETRY_AFTER[0],
            "failed_otherwise": FAILED_OTHERWISE[0], "samples": SAMPLES,
        }, ensure_ascii=False))


# --- what every user can do ---------------------------------------------------------------------

_lookups: dict[tuple[str, str], list] = {}  # (account, what) -> ids, fetched once per account


class Desk(HttpUser):
    abstract = True
    wait_time = between(*WAIT)
    account = ""

    def on_start(self) -> None:
        self.me = ACCOUNTS[self.account]
        self.api = {"Authorization": f"Bearer {self.me['token']}"}
        self.browser = {"Cookie": f"{SESSION_COOKIE}={self.me['session']}"}
        self.my_orders: list[int] = []  # orders this user entered, for the payments it records

    # requests ----------------------------------------------------------------------------------
    def page(self, path: str, name: str | None = None) -> None:
        """A page as the browser gets it; a redirect (to the login page) is a failure too."""
        with self.client.get(path, headers=self.browser, name=name or path, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"page answered {response.status_code}")

    def get(self, path: str, name: str, **params):
        response = self.client.get(f"/api/v1{path}", headers=self.api, params=params or None, name=name)
        return response.json() if response.status_code == 200 else None

    def post(self, path: str, name: str, body: dict, expect: int):
        response = self.client.post(f"/api/v1{path}", headers=self.api, json=body, name=name)
        return response.json() if response.status_code == expect else None

    def lookup(self, what: str, path: str, **params) -> list:
        """Ids visible to this account (customers, products), fetched by its first user."""
        key = (self.account, what)
        if not _lookups.get(key):
            data = self.get(path, f"{path} (lookup)", limit=500, **params)
            if data:
                _lookups[key] = [item["id"] for item in data["items"]]
        return _lookups.get(key) or []

    def customers(self) -> list[int]:
        return self.lookup("customers", "/customers", status="active") or self.lookup("all-customers", "/customers")

    def products(self) -> list[int]:
        return self.lookup("products", "/products", active="true")

    # actions -----------------------------------------------------------------------------------
    def desk(self):
        self.page("/", "desk /")

    def search_customers(self):
        self.get("/customers", "/customers?q=", q=random.choice(SEARCH_TERMS), limit=20)

    def customer_list_page(self):
        self.page(f"/customers/?q={random.choice(SEARCH_TERMS)}", "/customers/?q=")

    def open_customer(self):
        ids = self.customers()
        if ids:
            pk = random.choice(ids)
            self.get(f"/customers/{pk}", "/customers/[id]")
            self.page(f"/customers/{pk}/", "/customers/[id]/ page")

    def enter_order(self):
        customers, products = self.customers(), self.products()
        if not customers or not products:
            return
        lines = [{"product_id": p, "quantity": str(random.randint(1, 20))}
                 for p in random.sample(products, k=min(len(products), random.randint(1, 3)))]
        order = self.post("/orders", "/orders (create)", {"customer_id": random.choice(customers), "lines": lines}, 201)
        if order:
            if self.post(f"/orders/{order['id']}/submit", "/orders/[id]/submit", {}, 200):
                self.my_orders.append(order["id"])

    def list_orders(self):
        self.get("/orders", "/orders", limit=50, **random.choice([{}, {"status": "submitted"}, {"q": "SO"}]))

    def orders_page(self):
        self.page("/orders/", "/orders/ page")

    def record_payment(self):
        """Money arrived for one of my orders: record it for finance (pending)."""
        if not self.my_orders:
            return
        order = self.get(f"/orders/{random.choice(self.my_orders)}", "/orders/[id]")
        if order:
            self.post("/payments", "/payments (record)", {
                "customer_id": order["customer_id"], "order_id": order["id"], "amount": order["total"],
                "received_on": date.today().isoformat(), "method": random.choice(["bank_transfer", "wechat", "alipay"]),
            }, 201)

    def sales_report(self, group_by: str, period: str = "month"):
        self.get("/reports/sales", f"/reports/sales?group_by={group_by}", period=period,
                 date=date.today().isoformat(), group_by=group_by)

    def aging(self):
        self.get("/receivables/aging", "/receivables/aging", as_of=date.today().isoformat())


class Clerk(Desk):
    """销售内勤: the desk all day, orders from the phone and WeChat, payment requests to finance."""

    fixed_count = 10
    account = "clerk"

    @task(4)
    def t_desk(self):
        self.desk()

    @task(3)
    def t_search(self):
        self.search_customers()

    @task(2)
    def t_customer_page(self):
        self.customer_list_page()

    @task(2)
    def t_open_customer(self):
        self.open_customer()

    @task(3)
    def t_order(self):
        self.enter_order()

    @task(2)
    def t_orders(self):
        self.list_orders()

    @task(1)
    def t_orders_page(self):
        self.orders_page()

    @task(2)
    def t_payment(self):
        self.record_payment()

    @task(1)
    def t_aging(self):
        self.aging()

    @task(1)
    def t_report(self):
        self.sales_report("salesperson")


_sales_accounts = itertools.cycle(["sales1", "sales2", "sales3"])


class Salesperson(Desk):
    """业务员: their own customers and orders, a payment now and then, their own figures."""

    weight = 1  # all users not taken by the fixed counts

    def on_start(self) -> None:
        self.account = next(_sales_accounts)
        super().on_start()

    @task(3)
    def t_desk(self):
        self.desk()

    @task(3)
    def t_search(self):
        self.search_customers()

    @task(2)
    def t_open_customer(self):
        self.open_customer()

    @task(2)
    def t_order(self):
        self.enter_order()

    @task(3)
    def t_orders(self):
        self.list_orders()

    @task(1)
    def t_payment(self):
        self.record_payment()

    @task(1)
    def t_report(self):
        self.sales_report("customer")

    @task(1)
    def t_aging(self):
        self.aging()


_finance_index = itertools.count()


class Finance(Desk):
    """财务: confirms the money recorded by the others, reads receivables and statements. The
    finance users split the pending payments by id, as two accountants would split a queue, so
    two of them never confirm the same payment."""

    fixed_count = 4
    account = "finance"

    def on_start(self) -> None:
        super().on_start()
        self.index = next(_finance_index) % self.fixed_count

    @task(4)
    def t_confirm(self):
        data = self.get("/payments", "/payments?status=pending", status="pending", limit=100)
        mine = [p["id"] for p in (data or {"items": []})["items"] if p["id"] % self.fixed_count == self.index]
        for pk in mine[:2]:
            self.post(f"/payments/{pk}/confirm", "/payments/[id]/confirm", {}, 200)

    @task(2)
    def t_aging(self):
        self.aging()

    @task(1)
    def t_statement(self):
        ids = self.customers()
        if ids:
            today = date.today()
            self.get(f"/customers/{random.choice(ids)}/statement", "/customers/[id]/statement",
                     start=(today - timedelta(days=90)).isoformat(), end=today.isoformat())

    @task(1)
    def t_payments_page(self):
        self.page("/finance/payments/", "/finance/payments/ page")

    @task(1)
    def t_queue(self):
        self.page("/finance/queue/", "/finance/queue/ page")

    @task(1)
    def t_desk(self):
        self.desk()


class Manager(Desk):
    """销售经理: the team's figures."""

    fixed_count = 4
    account = "manager"

    @task(3)
    def t_report(self):
        self.sales_report("salesperson")

    @task(1)
    def t_report_team(self):
        self.sales_report("team", period="five_day")

    @task(2)
    def t_aging(self):
        self.aging()

    @task(2)
    def t_orders(self):
        self.list_orders()

    @task(2)
    def t_desk(self):
        self.desk()

    @task(1)
    def t_customers(self):
        self.customer_list_page()
