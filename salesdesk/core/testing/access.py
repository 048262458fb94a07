"""The access matrix: who gets which status on every page and API operation.

Every installed app declares its rows in ``<app>/tests/access.py`` as ``CASES: list[Case]``
(and, optionally, ``populate(world)`` to add the objects its cases need).
``tests/test_access_matrix.py`` runs one test per (case, role, ownership variant) and fails
for every page or API operation that has no case, so each new endpoint brings its rows.

A case names its target exactly as the registries do:

- a page by its URL name (``"profile"``, ``"token_revoke"``), with ``method`` (default GET);
- an API operation as ``"METHOD /api/v1/path/{param}"``, the template exactly as in the
  OpenAPI document (``"GET /api/v1/users/{user_id}"``).

Expectations are given for every role of API.md (and ``anonymous``); an expectation is a
status (``200``), a :class:`Redirect` (``302`` to a URL), or — for a case that runs per
ownership variant — a mapping variant → one of those (see :func:`per_variant`)::

    Case(
        "GET /api/v1/customers/{customer_id}",
        variants=OWNERSHIP,
        args=lambda c: {"customer_id": c.world.get("customer", c.variant).pk},
        expect=api_expect(
            200,
            salesperson=per_variant(own=200, team=404, other=404),
            sales_manager=per_variant(own=200, team=200, other=404),
            hr=404, warehouse=404, planner=404,
        ),
    )

Ownership variants: the object belongs to ``own`` = sales1 (the salesperson persona), ``team``
= sales3 (sales1's team mate, in the manager's team A) or ``other`` = sales2 (team B).
"""

from __future__ import annotations

import json
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from importlib import import_module
from typing import Any, NamedTuple
from urllib.parse import urlencode

from django.apps import apps as django_apps
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# role of API.md → the persona (conftest ``personas``) that plays it; None = not signed in
ROLES: dict[str, str | None] = {
    "admin": "admin",
    "clerk": "clerk",
    "salesperson": "sales1",
    "sales_manager": "manager",
    "general_manager": "gm",
    "finance": "finance",
    "hr": "hr",
    "warehouse": "warehouse",
    "planner": "planner",
    "anonymous": None,
}
SIGNED_IN: tuple[str, ...] = tuple(r for r, u in ROLES.items() if u is not None)

# ownership variant → the user who owns (is the salesperson of) the object
VARIANTS: dict[str, str] = {"own": "sales1", "team": "sales3", "other": "sales2"}
OWNERSHIP: tuple[str, ...] = tuple(VARIANTS)

API_PREFIX = "/api/v1/"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

# Page routes that need no row: Django admin (read-only business models, own permission
# system), the language switch, static files and the API's own routes (covered operation by
# operation through the OpenAPI document; its docs pages are public).
EXCLUDED_NAMESPACES = frozenset({"admin", "api"})
EXCLUDED_NAMES = frozenset({"set_language", "static", "javascript-catalog", "openapi-json", "openapi-view"})


class Redirect(NamedTuple):
    """A redirect answer: ``status`` with a ``Location`` that starts with ``to`` (a URL or URL name)."""

    to: str
    status: int = 302

    def __str__(self) -> str:
        return f"{self.status} → {self.to}"


Outcome = int | Redirect
Expectation = Outcome | Mapping[str, Outcome]

LOGIN = Redirect(settings.LOGIN_URL)  # what a protected page answers the anonymous visitor


def per_variant(*, own: Outcome, team: Outcome, other: Outcome) -> dict[str, Outcome]:
    """The expectation of one role for an object owned by self / same team / other team."""
    return {"own": own, "team": team, "other": other}


def expect(default: Expectation, *, anonymous: Expectation, **roles: Expectation) -> dict[str, Expectation]:
    """Every role gets ``default`` unless named; ``anonymous`` must be said explicitly."""
    unknown = set(roles) - set(SIGNED_IN)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; roles are {sorted(ROLES)}")
    return {**dict.fromkeys(SIGNED_IN, default), **roles, "anonymous": anonymous}


def api_expect(default: Expectation, *, anonymous: Expectation = 401, **roles: Expectation) -> dict[str, Expectation]:
    """An API operation: anonymous callers get 401 unless said otherwise."""
    return expect(default, anonymous=anonymous, **roles)


def page_expect(
    default: Expectation, *, anonymous: Expectation = LOGIN, **roles: Expectation
) -> dict[str, Expectation]:
    """A page behind ``login_required``: anonymous visitors are sent to the login page."""
    return expect(default, anonymous=anonymous, **roles)


# --- the world the cases run in -----------------------------------------------------------


class World:
    """The personas and the objects the cases act on, shared by all the cases of a run.

    Apps add their objects in ``populate(world)`` (``world.add("customer", obj, variant="own")``),
    which runs once inside the world's transaction. Objects a row needs fresh (a token to revoke,
    a file to download) are made by the row's ``args``/``body`` builder instead: they live in the
    row's savepoint and are rolled back with it, so never keep them in the world.
    """

    def __init__(self, personas: Mapping[str, Any]):
        self.personas = dict(personas)
        self._objects: dict[tuple[str, str | None], Any] = {}
        self._tokens: dict[str, str] = {}
        self._sessions: dict[str, str] = {}
        self._client: Client | None = None

    def user(self, username: str):
        return self.personas[username]

    def owner(self, variant: str):
        """The user who owns the objects of an ownership variant."""
        return self.personas[VARIANTS[variant]]

    def add(self, kind: str, obj: Any, *, variant: str | None = None) -> Any:
        self._objects[(kind, variant)] = obj
        return obj

    def get(self, kind: str, variant: str | None = None) -> Any:
        try:
            return self._objects[(kind, variant)]
        except KeyError:
            raise LookupError(f"the world has no {kind!r} for variant {variant!r}; add it in populate()") from None

    def token(self, username: str) -> str:
        """A raw bearer token of the persona (one per persona and world)."""
        if username not in self._tokens:
            from salesdesk.org.services import create_api_token

            user = self.personas[username]
            self._tokens[username] = create_api_token(actor=user, user=user, name="access matrix").raw
        return self._tokens[username]

    def session(self, username: str) -> str:
        """The key of a signed-in browser session of the persona (one per persona and world)."""
        if username not in self._sessions:
            login = Client()
            login.force_login(self.user(username))
            self._sessions[username] = login.cookies[settings.SESSION_COOKIE_NAME].value
        return self._sessions[username]

    def prepare(self) -> None:
        """Make every persona's token and session now (inside the world's transaction), so rows
        that run in their own savepoints share them instead of each signing in again."""
        for username in ROLES.values():
            if username:
                self.token(username)
                self.session(username)

    def client(self, username: str | None = None, *, session: bool = False) -> Client:
        """The world's test client (one handler: middleware is set up once), with no cookies, or
        with the persona's session cookie when ``session`` is set."""
        if self._client is None:
            self._client = Client()
        self._client.cookies = SimpleCookie()
        if session and username:
            self._client.cookies[settings.SESSION_COOKIE_NAME] = self.session(username)
        return self._client


@dataclass(frozen=True)
class Ctx:
    """What a builder gets: the world, the role acting, its user (None if anonymous), the variant."""

    world: World
    role: str
    actor: Any
    variant: str | None

    @property
    def owner(self):
        """The owner of this variant's object (the variant must be set)."""
        if self.variant is None:
            raise LookupError("this case runs without ownership variants")
        return self.world.owner(self.variant)


Builder = Callable[[Ctx], Any]


def _build(value: Any, ctx: Ctx) -> Any:
    return value(ctx) if callable(value) else value


# --- cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One row group of the matrix: a page or API operation, how to call it, who gets what.

    ``target``: URL name of a page, or ``"METHOD /api/v1/..."`` as in the OpenAPI document.
    ``method``: pages only (API cases take it from the target); default GET.
    ``args``: URL kwargs (pages) or path parameters (API): a dict or ``ctx -> dict``.
    ``query``: query-string parameters; ``body``: form data (pages) or JSON (API); each a
    value or ``ctx -> value``. An API POST/PUT/PATCH without ``body`` is sent with an empty body.
    ``variants``: ``OWNERSHIP`` to run once per owner of the object, ``()`` to run once.
    ``label``: tells apart several cases of one target (``"another user's token"``).
    ``check``: an extra ``(ctx, response) -> None`` assertion run after the status matched.
    """

    target: str
    expect: Mapping[str, Expectation]
    method: str = ""
    args: Any = None
    query: Any = None
    body: Any = None
    variants: tuple[str, ...] = ()
    label: str = ""
    check: Callable[[Ctx, HttpResponse], None] | None = None
    source: str = field(default="", compare=False)

    @property
    def is_api(self) -> bool:
        verb, _, path = self.target.partition(" ")
        return verb in HTTP_METHODS and path.startswith("/")

    @property
    def http_method(self) -> str:
        return self.target.partition(" ")[0] if self.is_api else (self.method or "GET").upper()

    @property
    def api_path(self) -> str:
        return self.target.partition(" ")[2]

    @property
    def name(self) -> str:
        base = self.target if self.is_api else f"{self.http_method} page:{self.target}"
        return f"{base} ({self.label})" if self.label else base

    def validate(self) -> list[str]:
        """Problems with the declaration itself (missing roles or variants, bad method)."""
        problems = []
        if self.is_api and self.method and self.method.upper() != self.http_method:
            problems.append(f"{self.name}: method {self.method!r} contradicts the target")
        if not self.is_api and self.http_method not in HTTP_METHODS:
            problems.append(f"{self.name}: unknown method {self.method!r}")
        missing = [r for r in ROLES if r not in self.expect]
        if missing:
            problems.append(f"{self.name}: no expectation for {', '.join(missing)}")
        extra = [r for r in self.expect if r not in ROLES]
        if extra:
            problems.append(f"{self.name}: unknown roles {', '.join(extra)}")
        bad_variants = [v for v in self.variants if v not in VARIANTS]
        if bad_variants:
            problems.append(f"{self.name}: unknown variants {', '.join(bad_variants)}")
        for role, exp in self.expect.items():
            if isinstance(exp, Mapping):
                if not self.variants:
                    problems.append(f"{self.name}: {role} is given per variant but the case has no variants")
                elif set(exp) != set(self.variants):
                    problems.append(f"{self.name}: {role} must give exactly the variants {', '.join(self.variants)}")
        return problems

    def expected(self, role: str, variant: str | None) -> Outcome:
        exp = self.expect[role]
        if isinstance(exp, Mapping):
            return exp[variant]
        return exp

    def rows(self) -> Iterator[tuple[str, str | None]]:
        for role in ROLES:
            for variant in self.variants or (None,):
                yield role, variant


@dataclass(frozen=True)
class Row:
    case: Case
    role: str
    variant: str | None

    @property
    def id(self) -> str:
        suffix = f" on {self.variant}" if self.variant else ""
        return f"{self.case.name} as {self.role}{suffix}"


# --- discovery ----------------------------------------------------------------------------


def _access_modules() -> Iterator[Any]:
    """Every app's ``tests/access.py`` and ``tests/access_<area>.py`` (one file per area of a big app)."""
    for config in django_apps.get_app_configs():
        try:
            package = import_module(f"{config.name}.tests")
        except ModuleNotFoundError as exc:
            if exc.name == f"{config.name}.tests":
                continue
            raise
        if not hasattr(package, "__path__"):
            continue
        names = sorted(
            info.name for info in pkgutil.iter_modules(package.__path__)
            if info.name == "access" or info.name.startswith("access_")
        )
        for name in names:
            yield import_module(f"{config.name}.tests.{name}")


def collect_cases() -> list[Case]:
    cases: list[Case] = []
    for module in _access_modules():
        for case in getattr(module, "CASES", []):
            cases.append(Case(**{**case.__dict__, "source": module.__name__}))
    return cases


def populators() -> list[Callable[[World], None]]:
    return [module.populate for module in _access_modules() if hasattr(module, "populate")]


def collect_rows(cases: Iterable[Case]) -> list[Row]:
    return [Row(case, role, variant) for case in cases for role, variant in case.rows()]


def declaration_problems(cases: list[Case]) -> list[str]:
    problems = [p for case in cases for p in case.validate()]
    seen: dict[str, str] = {}
    for case in cases:
        if case.name in seen:
            problems.append(f"{case.name}: declared twice ({seen[case.name]}, {case.source}); give one a label")
        seen[case.name] = case.source
    return problems


def build_world(personas: Mapping[str, Any]) -> World:
    """The personas, every app's ``populate()`` objects, and the personas' tokens and sessions.
    Call it inside the transaction the world lives in."""
    world = World(personas)
    for populate in populators():
        populate(world)
    world.prepare()
    return world


# --- the registries -----------------------------------------------------------------------


def page_routes() -> dict[str, str]:
    """Every named page route (namespaced name → pattern), without the excluded ones."""
    routes: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                if ns and ns.split(":")[0] in EXCLUDED_NAMESPACES:
                    continue
                walk(entry, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern) and entry.name and entry.name not in EXCLUDED_NAMES:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                routes[name] = prefix + str(entry.pattern)

    walk(get_resolver(), "/", None)
    return routes


def api_operations(openapi: Mapping[str, Any]) -> set[str]:
    """``"METHOD /path"`` for every operation of an OpenAPI document."""
    return {
        f"{method.upper()} {path}"
        for path, item in openapi.get("paths", {}).items()
        for method in item
        if method.upper() in HTTP_METHODS
    }


def coverage_problems(cases: list[Case], routes: Mapping[str, str], operations: set[str]) -> list[str]:
    page_targets = {c.target for c in cases if not c.is_api}
    api_targets = {c.target for c in cases if c.is_api}
    problems = [
        f"page {name!r} ({routes[name]}) has no access-matrix case" for name in sorted(set(routes) - page_targets)
    ]
    problems += [f"API operation {op!r} has no access-matrix case" for op in sorted(operations - api_targets)]
    problems += [
        f"case {c.name!r} ({c.source}) names no page route" for c in cases if not c.is_api and c.target not in routes
    ]
    problems += [
        f"case {c.name!r} ({c.source}) names no operation of the OpenAPI document"
        for c in cases
        if c.is_api and c.target not in operations
    ]
    return problems


# --- running a row ------------------------------------------------------------------------


def _with_query(path: str, query: Any) -> str:
    if not query:
        return path
    return f"{path}?{urlencode(query, doseq=True)}"


def request(row: Row, world: World) -> tuple[Ctx, str, HttpResponse]:
    """Send the row's request as its role; return the context, ``METHOD path`` and the response."""
    case = row.case
    username = ROLES[row.role]
    actor = world.user(username) if username else None
    ctx = Ctx(world=world, role=row.role, actor=actor, variant=row.variant)
    args = _build(case.args, ctx) or {}
    query = _build(case.query, ctx)
    body = _build(case.body, ctx)
    client = world.client(username, session=not case.is_api)
    method = case.http_method.lower()
    if case.is_api:
        path = _with_query(case.api_path.format(**args), query)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {world.token(username)}"} if username else {}
        if body is not None:
            response = getattr(client, method)(
                path, data=json.dumps(body), content_type="application/json", **headers
            )
        elif method in {"post", "put", "patch"}:  # no body at all, as a program calling an action sends
            response = getattr(client, method)(path, data=b"", content_type="application/json", **headers)
        else:
            response = getattr(client, method)(path, **headers)
    else:
        path = _with_query(reverse(case.target, kwargs=args), query)
        if body is not None and method in {"post", "put", "patch"}:
            response = getattr(client, method)(path, data=body)
        else:
            response = getattr(client, method)(path)
    return ctx, f"{case.http_method} {path}", response


def describe(response: HttpResponse) -> str:
    status = response.status_code
    if "Location" in response:
        return f"{status} → {response['Location']}"
    content_type = response.get("Content-Type", "")
    if getattr(response, "streaming", False):
        return f"{status} ({content_type}, streamed)"
    text = response.content.decode("utf-8", "replace")
    if "html" in content_type:
        title = re.search(r"<title>(.*?)</title>", text, re.S)
        return f"{status} HTML page {title.group(1).strip()!r}" if title else f"{status} HTML page"
    return f"{status} {text[:300]}"


def assert_row(row: Row, world: World) -> None:
    ctx, sent, response = request(row, world)
    wanted = row.case.expected(row.role, row.variant)
    where = f"{row.id}: {sent} ({row.case.source})"
    if isinstance(wanted, Redirect):
        target = resolve_url(wanted.to)
        location = response.get("Location", "")
        assert response.status_code == wanted.status and location.startswith(target), (
            f"{where}: expected {wanted.status} → {target}, got {describe(response)}"
        )
    else:
        assert response.status_code == wanted, f"{where}: expected {wanted}, got {describe(response)}"
    if row.case.is_api and response.status_code >= 400:
        body = json.loads(response.content or b"{}")
        assert isinstance(body, dict) and isinstance(body.get("detail"), str), (
            f"{where}: an API error must be {{'detail': str, ...}}, got {describe(response)}"
        )
    if row.case.check is not None:
        row.case.check(ctx, response)
