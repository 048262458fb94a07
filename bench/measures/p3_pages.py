"""P3 — every list and report page through Django's test client at scale, as a general manager and as a
clerk: each named, parameter-less GET page the URL resolver knows (admin, API, auth and downloads left
out), plus the detail pages — every tab — of the busiest customer, order and contract.

For each page: the number of queries (``CaptureQueriesContext``, one warm request) and the p95 of
``RUNS`` warm server times. Goal: p95 < 300 ms. The reference is a bare Django view rendering a
trivial template through the same middleware and session (``bench/trivial/`` of this module's own
URLconf): what any page costs before it does anything. Pages answering other than 200 HTML for a
role (403, redirects, POST-only) are listed in one informational row.

Quick mode (``--quick``) times the main pages only: each role's menu (``core.navigation.menu_for``) plus
the sales detail ledger, each page once — as the first role whose menu has it — and the three detail
pages' overview (no other tab) as the general manager; ``QUICK_RUNS`` warm runs each (p95 of 5 is their
slowest)."""

from __future__ import annotations

import math
import re
import time

from django.db import connection, reset_queries
from django.http import HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, path, reverse

from bench.common import Result

RUNS = 10
QUICK_RUNS = 5  # never fewer than 5 warm runs
QUICK_EXTRA = {"ledger"}  # report pages reached from another page rather than the menu
GOAL_MS = 300.0
SKIP_PREFIXES = ("admin", "api", "i18n")  # Django admin, the API (P1), language switch
SKIP_NAMES = {"login", "logout", "password_change", "password_change_done"}
DOWNLOAD = re.compile(r"(export|download|xlsx|pdf|print|csv|template|backup|\.)", re.I)
SESSIONS = (("gm", "general_manager"), ("clerk", "clerk"))


# --- the reference: a trivial page through the same middleware ------------------------------------------

_TRIVIAL = engines["django"].from_string("<!doctype html><html><body><p>{{ user.get_username }}</p></body></html>")


def trivial(request):
    return HttpResponse(_TRIVIAL.render({"user": request.user}, request))


urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial")]


# --- which pages ---------------------------------------------------------------------------------------


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace, p


def page_urls() -> list[tuple[str, str]]:
    """(name, url) of every named GET page without parameters."""
    out: dict[str, str] = {}
    for route, namespace, pattern in _walk(get_resolver().url_patterns):
        if not pattern.name or "<" in route or "(?P" in route or route.startswith(SKIP_PREFIXES):
            continue
        if pattern.name in SKIP_NAMES or DOWNLOAD.search(pattern.name) or DOWNLOAD.search(route.rstrip("/").rsplit("/", 1)[-1]):
            continue
        name = f"{namespace}{pattern.name}"
        try:
            url = reverse(name)
        except NoReverseMatch:  # a pattern with optional groups: not a plain page
            continue
        out.setdefault(url, name)
    return sorted(((name, url) for url, name in out.items()), key=lambda x: x[1])


def busiest_objects() -> list[tuple[str, str]]:
    """The detail pages of the customer with most orders, the order with most lines and the contract
    with most orders."""
    from salesdesk.contracts.models import Contract
    from salesdesk.customers.models import Customer
    from salesdesk.orders.models import Order

    out = []
    with connection.cursor() as cur:
        cur.execute("SELECT customer_id FROM orders_order GROUP BY customer_id ORDER BY COUNT(*) DESC, customer_id LIMIT 1")
        row = cur.fetchone()
        if row and Customer.objects.filter(pk=row[0]).exists():
            out.append(("customer_detail", reverse("customer_detail", args=[row[0]])))
        cur.execute("SELECT order_id FROM orders_orderline GROUP BY order_id ORDER BY COUNT(*) DESC, order_id LIMIT 1")
        row = cur.fetchone()
        if row and Order.objects.filter(pk=row[0]).exists():
            out.append(("order_detail", reverse("order_detail", args=[row[0]])))
        cur.execute("SELECT contract_id FROM orders_order WHERE contract_id IS NOT NULL GROUP BY contract_id "
                    "ORDER BY COUNT(*) DESC, contract_id LIMIT 1")
        row = cur.fetchone()
        if row and Contract.objects.filter(pk=row[0]).exists():
            out.append(("contract_detail", reverse("contract_detail", args=[row[0]])))
    return out


TAB = re.compile(r"\?tab=([\w-]+)")


# --- timing ----------------------------------------------------------------------------------------------


def p95(times: list[float]) -> float:
    """Nearest-rank 95th percentile: with 10 runs, the slowest but one is not enough — it is the slowest."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _html(response) -> bool:
    return response.status_code == 200 and response.get("Content-Type", "").startswith("text/html") and not getattr(
        response, "streaming", False)


def time_page(client: Client, url: str, runs: int = RUNS) -> tuple[int, float, int, object]:
    """(status, p95 ms, queries, last response); a page not answering 200 HTML is timed no further."""
    response = client.get(url)  # warm: templates, caches of the code (not of results)
    if not _html(response):
        return response.status_code, 0.0, 0, response
    reset_queries()  # request_started clears the log: start from an empty one so the capture is not cut short
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries.captured_queries)  # read now: a property over the log the next request clears
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return response.status_code, p95(times), count, response


def reference_p95(client: Client) -> float:
    with override_settings(ROOT_URLCONF=__name__):
        return time_page(client, "/bench/trivial/", runs=max(RUNS, 20))[1]


def quick_pages(user, pages: list[tuple[str, str]], done: set[str]) -> list[tuple[str, str]]:
    """The pages of ``user``'s menu (and ``QUICK_EXTRA``) not timed yet for an earlier role."""
    from salesdesk.core.navigation import menu_for

    menu = {item.url for item in menu_for(user)}
    return [(name, url) for name, url in pages if (url in menu or name in QUICK_EXTRA) and url not in done]


def measures(target, *, quick: bool = False) -> list[Result]:
    from salesdesk.org.models import User

    pages = page_urls()
    details = busiest_objects()
    runs = QUICK_RUNS if quick else RUNS
    out: list[Result] = []
    skipped: list[str] = []
    done: set[str] = set()
    for label, group in SESSIONS:
        user = User.objects.filter(groups__name=group, is_active=True).order_by("id").first()
        if user is None:
            skipped.append(f"{label}: no active user in group {group}")
            continue
        client = Client()
        client.force_login(user)
        ref = reference_p95(client)
        todo = quick_pages(user, pages, done) if quick else list(pages)
        for name, url in details if not quick or label == SESSIONS[0][0] else ():
            try:
                status, _, _, response = time_page(client, url, runs=1)
            except Exception:  # timed (and recorded) again below
                status = None
            todo.append((name, url))
            if status == 200 and not quick:
                tabs = sorted(set(TAB.findall(response.content.decode(errors="replace"))) - {"overview"})
                todo.extend((f"{name} tab {tab}", f"{url}?tab={tab}") for tab in tabs)
        for name, url in todo:
            try:
                status, ms, queries, _ = time_page(client, url, runs)
            except Exception as exc:  # e.g. "database is locked" by another writer: record it, go on
                skipped.append(f"{label} {url} → {type(exc).__name__}: {exc}"[:200])
                continue
            if not ms:
                skipped.append(f"{label} {url} → {status}")
                continue
            done.add(url)
            out.append(Result(name=f"P3 {url} ({label})", ours_ms=round(ms, 1), reference_ms=round(ref, 1),
                              goal=f"p95 < {GOAL_MS:.0f} ms", met=ms < GOAL_MS, rows=target.lines, backend=target.backend,
                              note=f"{queries} queries; {name}", extra={"queries": queries, "role": label, "url_name": name, "runs": runs}))
    out.append(Result(name="P3 pages not timed", ours_ms=None, reference_ms=None, goal="—", met=None, backend=target.backend,
                      note="; ".join(skipped)[:2000], extra={"skipped": skipped}))
    return out
