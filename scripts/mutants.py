"""Injected bugs (issue 12, "Done when"): each mutant is a realistic one-line slip of one kind — a
missing lock, a missing visibility filter, an unhandled import error, an outbox bypass — and the
tests that must fail when it is made.

    .venv/bin/python scripts/mutants.py --list
    .venv/bin/python scripts/mutants.py [name ...]             # SQLite (default)
    .venv/bin/python scripts/mutants.py --db postgres [name ...]

Nothing in the working tree is touched: the tree as it is (tracked and untracked, not ignored
files) is copied to a temporary directory (``.venv``, ``node_modules`` and the vendored assets are
symlinked), and each mutant is applied to that copy, its tests run there in a subprocess with a
private test database, and the file restored in a ``finally`` (Ctrl-C and SIGTERM included). A
mutant is refused before anything runs if its file does not hold the old text exactly once, or if
git shows the file modified (``--allow-dirty`` to mutate uncommitted code anyway).

First the named tests run once unmutated and must pass (``--no-baseline`` skips that). Then a
mutant is *killed* when every test it names failed (a name without parameters matches any of its
parametrized cases), *survived* otherwise. Mutants whose bug only exists on one backend (a
PostgreSQL row lock is a no-op on SQLite, where IMMEDIATE transactions run one at a time) are
reported ``n/a`` on the other. Prints a table; exits 1 if any mutant survived or errored.

``--db postgres`` uses ``$DATABASE_URL`` when it points at PostgreSQL, else the role of
``.ci/run``; the test database is ``test_<db>_mutants_<pid>``, dropped at the end."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
LINKED = (".venv", "node_modules", "salesdesk/static/vendor")  # ignored, needed, too big to copy
PG_DEFAULT = "postgres://salesdesk:salesdesk@127.0.0.1:5432/salesdesk_ci"  # the role .ci/run makes
RUN_TIMEOUT = int(os.environ.get("MUTANTS_TIMEOUT", "1200"))  # seconds per pytest run

LOCK, VISIBILITY, IMPORT, OUTBOX = "missing lock", "missing visibility filter", "unhandled import error", "outbox bypass"
BOTH, PG = ("sqlite", "postgresql"), ("postgresql",)

BAD = "tests/test_bad_files.py::test_a_bad_file_is_answered_clearly_quickly_and_writes_nothing"
MATRIX = "tests/test_access_matrix.py::test_access"
READ_XLS = ("customers", "opening", "statement", "ledger")  # the importers that read files with customers.importing.read_rows


@dataclass(frozen=True)
class Mutant:
    name: str
    kind: str
    file: str
    old: str
    new: str
    tests: tuple[str, ...]  # pytest node ids to run; each must fail (prefix match on the failed ids)
    backends: tuple[str, ...] = BOTH
    must_fail: tuple[str, ...] = field(default=())  # default: every entry of ``tests``
    why: str = ""

    @property
    def expected(self) -> tuple[str, ...]:
        return self.must_fail or self.tests


MUTANTS: list[Mutant] = [
    # --- missing lock -------------------------------------------------------------------------
    Mutant(
        "gate-customer-lock", LOCK, "salesdesk/finance/services.py",
        "    return Customer.objects.select_for_update().get(pk=customer_id)",
        "    return Customer.objects.get(pk=customer_id)",
        ("salesdesk/logistics/tests/test_concurrency.py::test_fifty_parallel_shipments_never_exceed_the_customers_confirmed_money",),
        backends=PG,
        why="the gate reads the customer's free money without the row lock: parallel shipments overspend it",
    ),
    Mutant(
        "month-share-lock", LOCK, "salesdesk/ledger/periods.py",
        '    select = f"SELECT status FROM {table} WHERE period = %s FOR SHARE"',
        '    select = f"SELECT status FROM {table} WHERE period = %s"',
        ("tests/test_concurrency_more.py::test_a_month_lock_racing_late_writes_lets_each_land_before_it_or_refuses_it",),
        backends=PG,
        why="a writer checks 'month open' with a plain read and commits after finance locked the month",
    ),
    Mutant(
        "numbering-lost-update", LOCK, "salesdesk/core/numbering.py",
        '            NumberCounter.objects.filter(kind=kind, period=period).update(last=F("last") + 1)\n'
        '            last = NumberCounter.objects.values_list("last", flat=True).get(kind=kind, period=period)\n',
        '            last = NumberCounter.objects.values_list("last", flat=True).get(kind=kind, period=period) + 1\n'
        "            NumberCounter.objects.filter(kind=kind, period=period).update(last=last)\n",
        ("salesdesk/core/tests/test_numbering.py::test_twenty_concurrent_requests_get_twenty_distinct_numbers",),
        backends=PG,
        why="read-then-write of the counter instead of an atomic UPDATE: two requests take one number",
    ),
    Mutant(
        "outbox-claim", LOCK, "salesdesk/core/outbox.py",
        "        claimed = OutboxMessage.objects.filter(id=msg_id, status=OutboxStatus.PENDING).update(",
        "        claimed = OutboxMessage.objects.filter(id=msg_id).update(",
        ("salesdesk/core/tests/test_outbox_claim_guard.py",),
        why="two workers draining at once both claim a message: the mail goes out twice",
    ),
    Mutant(
        "delivery-claim", LOCK, "salesdesk/reports/deliveries.py",
        "    claimed = ReportDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(",
        "    claimed = ReportDelivery.objects.filter(pk=delivery.pk).update(",
        ("salesdesk/reports/tests/test_delivery_claim_guard.py",),
        why="a report delivery another worker already sent (or one left uncertain) is claimed and sent again",
    ),
    # --- missing visibility filter ------------------------------------------------------------
    Mutant(
        "customer-scope", VISIBILITY, "salesdesk/customers/models.py",
        "        return self.filter(salesperson_id__in=scope)\n\n    def search",
        "        return self\n\n    def search",
        (f"{MATRIX}[GET page:customer_detail as salesperson on other]",
         f"{MATRIX}[GET /api/v1/customers/{{customer_id}} as salesperson on other]",
         "salesdesk/customers/tests/test_pages.py::test_salesperson_sees_only_their_own_customers",
         "salesdesk/customers/tests/test_api.py::test_another_salespersons_customer_is_404"),
        why="customers.visible_to returns every customer to a salesperson",
    ),
    Mutant(
        "order-scope", VISIBILITY, "salesdesk/orders/models.py",
        "        return self.filter(condition).distinct()",
        "        return self.distinct()",
        (f"{MATRIX}[GET page:order_detail as salesperson on other]",
         f"{MATRIX}[GET /api/v1/orders/{{order_id}} as salesperson on other]",
         "salesdesk/orders/tests/test_api.py::test_a_manager_of_another_team_does_not_find_the_order"),
        why="orders.visible_to builds the salesperson's condition and then forgets to apply it",
    ),
    Mutant(
        "commission-line-scope", VISIBILITY, "salesdesk/commission/visibility.py",
        "        return Q(**{field: user.pk})",
        "        return Q()",
        (f"{MATRIX}[GET page:commission_statement_pdf as salesperson on other]",
         f"{MATRIX}[GET page:commission_line_detail as salesperson on other]",
         "salesdesk/commission/tests/test_api.py::test_a_run_shows_only_the_lines_the_user_may_see"),
        why="a salesperson sees every colleague's commission lines",
    ),
    # --- unhandled import error ---------------------------------------------------------------
    Mutant(
        "xls-reader-except", IMPORT, "salesdesk/customers/importing.py",
        "    except Exception:  # xlrd raises XLRDError, CompDocError, struct errors... on foreign OLE files",
        "    except ValueError:  # xlrd raises XLRDError, CompDocError, struct errors... on foreign OLE files",
        tuple(f"{BAD}[{importer}-password_protected]" for importer in READ_XLS),
        why="xlrd's XLRDError on a password-protected workbook escapes as a 500",
    ),
    Mutant(
        "xlsx-zip-check-except", IMPORT, "salesdesk/customers/importing.py",
        "    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):\n        raise _unsupported(filename)",
        "    except (zipfile.LargeZipFile, ValueError, OSError):\n        raise _unsupported(filename)",
        tuple(f"{BAD}[{importer}-truncated_xlsx]" for importer in READ_XLS),
        why="the zip-bomb check lets BadZipFile of a truncated .xlsx escape",
    ),
    # --- outbox bypass ------------------------------------------------------------------------
    Mutant(
        "outbox-before-commit", OUTBOX, "salesdesk/core/outbox.py",
        "    transaction.on_commit(wake_worker)\n    return msg",
        "    wake_worker()\n    return msg",
        ("salesdesk/core/tests/test_outbox.py::test_notification_in_rolled_back_transaction_is_never_sent",
         "salesdesk/core/tests/test_outbox.py::test_committed_notification_is_sent_after_commit_by_the_worker"),
        why="the worker is woken inside the transaction: a mail goes out for a write that then rolls back",
    ),
    Mutant(
        "mail-sent-directly", OUTBOX, "salesdesk/core/mail.py",
        '    return outbox.enqueue("mail", payload, dedupe_key=dedupe_key)',
        '    return send_mail_message(OutboxMessage(kind="mail", payload=payload))',
        ("salesdesk/core/tests/test_outbox.py::test_notification_in_rolled_back_transaction_is_never_sent",
         "salesdesk/core/tests/test_outbox.py::test_failed_message_is_retried_later_and_not_lost"),
        why="queue_mail sends at once instead of writing an outbox row",
    ),
    Mutant(
        "report-delivery-sent-directly", OUTBOX, "salesdesk/reports/deliveries.py",
        '        outbox.enqueue("mail", payload, dedupe_key=f"report-delivery:{d.pk}:{d.attempts}")',
        '        _mail.send_mail_message(outbox.OutboxMessage(kind="mail", payload=payload))',
        ("salesdesk/reports/tests/test_schedules.py::test_send_now_makes_one_manual_delivery_per_recipient_and_queues_mail",
         "salesdesk/reports/tests/test_schedules.py::test_automatic_send_twice_sends_once_per_recipient",
         "salesdesk/reports/tests/test_schedule_smtp.py::test_send_now_mails_each_recipient_its_own_excel_over_smtp"),
        why="a scheduled report is mailed from inside the delivery's transaction, not through the outbox",
    ),
]

PLUGIN = '''\
"""Records the node ids that failed (calls and collection) for scripts/mutants.py."""
import os


def _write(nodeid):
    with open(os.environ["MUTANTS_FAILED"], "a", encoding="utf-8") as out:
        out.write(nodeid + "\\n")


def pytest_runtest_logreport(report):
    if report.failed:
        _write(report.nodeid)


def pytest_collectreport(report):
    if report.failed:
        _write(report.nodeid or "<collection>")
'''


class Interrupted(Exception):
    pass


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout  # noqa: S603, S607


def snapshot(into: Path) -> None:
    """Copy the tree as it is now (tracked and untracked, not ignored) and link the big ignored parts."""
    names = [n for n in git("ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0") if n]
    for name in names:
        src = ROOT / name
        if not src.is_file() or (src.is_symlink() and not src.exists()):
            continue  # deleted in the working tree
        dst = into / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)
    for name in LINKED:
        if (ROOT / name).exists() and not (into / name).exists():
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            (into / name).symlink_to(ROOT / name)


def pg_url(db_suffix: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = PG_DEFAULT
    parts = urlsplit(url)
    name = (parts.path.lstrip("/") or "salesdesk") + db_suffix
    return urlunsplit(parts._replace(path="/" + name))


class Runner:
    def __init__(self, workdir: Path, db: str):
        self.tree = workdir / "tree"
        self.plugin_dir = workdir / "plugin"
        self.workdir = workdir
        self.db = db
        self.first = True
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_NAME")}
        self.env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(self.plugin_dir), VAR_DIR=str(workdir / "var"),
                        HYPOTHESIS_PROFILE=os.environ.get("HYPOTHESIS_PROFILE", "ci"))
        if db == "postgres":
            self.env["DATABASE_URL"] = pg_url(f"_mutants_{os.getpid()}")
            self.env.setdefault("SECRET_KEY", "mutants-only-not-secret")
        else:
            self.env["TEST_DATABASE_NAME"] = str(workdir / "test.sqlite3")
        self.plugin_dir.mkdir()
        (self.plugin_dir / "mutants_plugin.py").write_text(PLUGIN)

    def check_imports_the_copy(self) -> None:
        out = subprocess.run([sys.executable, "-c", "import salesdesk, sys; print(salesdesk.__file__)"],
                             cwd=self.tree, env=self.env, capture_output=True, text=True, check=True).stdout.strip()
        if not Path(out).resolve().is_relative_to(self.tree.resolve()):
            raise SystemExit(f"mutants: the copy imports salesdesk from {out}, not from {self.tree}: refusing")

    def pytest(self, tests: tuple[str, ...], label: str) -> tuple[int, list[str], str, float]:
        failed_file = self.workdir / f"failed-{label}.txt"
        failed_file.unlink(missing_ok=True)
        log = self.workdir / f"{label}.log"
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "mutants_plugin", "-p", "no:cacheprovider", "-rfE",
               "--create-db" if self.first else "--reuse-db", *tests]
        env = dict(self.env, MUTANTS_FAILED=str(failed_file))
        started = time.monotonic()
        with log.open("w") as out:
            proc = subprocess.Popen(cmd, cwd=self.tree, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                    start_new_session=True)
            try:
                rc = proc.wait(timeout=RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                rc = -9
            except BaseException:  # Ctrl-C: stop the run we started, then let the caller restore
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                raise
        self.first = False
        failed = [line for line in failed_file.read_text().splitlines()] if failed_file.exists() else []
        return rc, failed, str(log), time.monotonic() - started

    def drop_test_database(self) -> None:
        if self.db != "postgres" or self.first:
            return
        code = ("import django; django.setup(); from django.db import connection; "
                "c = connection.creation; c._destroy_test_db(c._get_test_db_name(), verbosity=0)")
        subprocess.run([sys.executable, "-c", code], cwd=self.tree, capture_output=True,  # noqa: S603
                       env=dict(self.env, DJANGO_SETTINGS_MODULE="salesdesk.settings"))


def matched(expected: tuple[str, ...], failed: list[str]) -> list[str]:
    """The expected node ids (or prefixes of parametrized ids) that no failure matches."""
    def hit(e: str, f: str) -> bool:
        return f == e or f.startswith(e + "[") or f.startswith(e + "::") or (e.endswith(".py") and f.startswith(e))
    return [e for e in expected if not any(hit(e, f) for f in failed)]


def refuse(mutants: list[Mutant], allow_dirty: bool) -> list[str]:
    problems = []
    for m in mutants:
        path = ROOT / m.file
        if not path.is_file():
            problems.append(f"{m.name}: {m.file} does not exist")
            continue
        count = path.read_text(encoding="utf-8").count(m.old)
        if count != 1:
            problems.append(f"{m.name}: {m.file} holds the old text {count} times (expected exactly once)")
        if not allow_dirty and git("status", "--porcelain", "--", m.file).strip():
            problems.append(f"{m.name}: {m.file} has uncommitted changes (git status); --allow-dirty to mutate it anyway")
    return problems


def print_table(rows: list[tuple]) -> None:
    header = ("mutant", "kind", "db", "tests", "result", "seconds")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for r in rows:
        print(line.format(*r))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of the named tests")
    parser.add_argument("--allow-dirty", action="store_true", help="mutate files that have uncommitted changes")
    parser.add_argument("--keep", action="store_true", help="keep the copy and the pytest logs")
    args = parser.parse_args()

    if args.list:
        for m in MUTANTS:
            print(f"{m.name:32} {m.kind:26} {m.file}  [{'/'.join(m.backends)}]")
            print(textwrap.indent(m.why, " " * 4))
        return 0
    known = {m.name: m for m in MUTANTS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        parser.error(f"unknown mutant(s): {', '.join(unknown)} (see --list)")
    selected = [known[n] for n in args.names] if args.names else list(MUTANTS)
    backend = "postgresql" if args.db == "postgres" else "sqlite"
    runnable = [m for m in selected if backend in m.backends]
    problems = refuse(runnable, args.allow_dirty)
    if problems:
        print("mutants: refusing to start:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, _on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="salesdesk-mutants-"))
    rows: list[tuple] = [(m.name, m.kind, args.db, len(m.tests), f"n/a ({'/'.join(m.backends)} only)", "-")
                         for m in selected if backend not in m.backends]
    bad = 0
    runner = None
    try:
        (workdir / "tree").mkdir()
        snapshot(workdir / "tree")
        refused_in_copy = [m.name for m in runnable if (workdir / "tree" / m.file).read_text(encoding="utf-8").count(m.old) != 1]
        if refused_in_copy:
            print(f"mutants: the copy changed under us ({', '.join(refused_in_copy)}): refusing", file=sys.stderr)
            return 2
        runner = Runner(workdir, args.db)
        runner.check_imports_the_copy()
        print(f"mutants: copy of the tree in {workdir / 'tree'}; {len(runnable)} mutant(s) on {args.db}", flush=True)

        if runnable and not args.no_baseline:
            tests = tuple(dict.fromkeys(t for m in runnable for t in m.tests))
            rc, failed, log, seconds = runner.pytest(tests, "baseline")
            print(f"baseline: {len(tests)} test id(s) unmutated, rc={rc}, {seconds:.0f} s", flush=True)
            if rc != 0:
                print(f"mutants: the tests fail without any mutant (rc={rc}; {failed[:5]}); see {log}", file=sys.stderr)
                args.keep = True
                return 2

        for m in runnable:
            path = workdir / "tree" / m.file
            original = path.read_text(encoding="utf-8")
            try:
                path.write_text(original.replace(m.old, m.new, 1), encoding="utf-8")
                rc, failed, log, seconds = runner.pytest(m.tests, m.name)
            finally:
                path.write_text(original, encoding="utf-8")
            missing = matched(m.expected, failed)
            if rc == -9:
                result = "timeout"
            elif not missing:
                result = f"killed ({len(failed)} failed)"
            elif failed:
                result = f"SURVIVED ({len(missing)} of {len(m.expected)} expected tests passed)"
            else:
                result = "SURVIVED" if rc in (0, 1) else f"error rc={rc}"
            if not result.startswith("killed"):
                bad += 1
                print(f"  {m.name}: {result}; log {log}", file=sys.stderr)
                args.keep = True
            rows.append((m.name, m.kind, args.db, len(m.tests), result, f"{seconds:.0f}"))
            print(f"{m.name}: {result} in {seconds:.0f} s", flush=True)
    except KeyboardInterrupt:
        print("\nmutants: interrupted; the copy's files were restored", file=sys.stderr)
        return 130
    finally:
        if runner is not None:
            runner.drop_test_database()
        if args.keep:
            print(f"mutants: kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print_table(rows)
    if len(runnable) < len(selected):
        print(f"\n{len(selected) - len(runnable)} mutant(s) only exist on another backend: "
              f"run with --db {'sqlite' if args.db == 'postgres' else 'postgres'} for them")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
