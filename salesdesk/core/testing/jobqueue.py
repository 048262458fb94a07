"""A real job queue for the R6 test (``tests/test_jobs_redis.py``): a Redis server the test may kill, a
huey consumer in a subprocess the test may kill (SIGKILL), an SMTP sink that can hold a message, and the
simulated clock the worker runs on.

- :class:`RedisServer` runs ``redis-server --save '' --appendonly no`` on a free port; ``restart()`` kills
  it (SIGKILL) and starts a fresh one, so every queued message is gone. Without a ``redis-server``
  binary it uses the server of ``REDIS_URL`` and ``restart()`` is ``FLUSHDB``.
- :class:`Worker` starts ``python -m salesdesk.core.testing.jobqueue``: the app's tasks (as ``run_huey``
  loads them), one worker thread, no periodic scheduler (the test enqueues the periodic jobs itself, one
  tick at a time). Before each task the worker travels (time-machine) to the time written in the clock
  file, so ``timezone.now()`` in the worker is the simulation's.
- Traps: the SMTP sink can hold the first message to an address (received, never answered: the sender
  cannot know whether it went out), and the worker's renderers hang for ``armed:<username>`` written in
  the render trap file (it then writes ``caught``) — the moments the test kills the worker.
- ``R6_INJECT`` (read by both processes) plants one of the bugs the test must catch: ``no_sweep`` (the
  periodic outbox sweep no longer drains), ``retry_stale`` (a message claimed by a dead worker is sent
  again), ``bypass_outbox`` (report mails go through a queued task carrying the mail, not the outbox).
"""

from __future__ import annotations

import asyncio
import email
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, urlsplit, urlunsplit


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- Redis ---------------------------------------------------------------------------------------------


class RedisServer:
    """A Redis without persistence that the test owns (or, lacking the binary, REDIS_URL's, flushed)."""

    def __init__(self, workdir: Path, fallback_url: str):
        self.workdir = workdir
        self.binary = shutil.which("redis-server")
        self.fallback_url = fallback_url
        self.proc: subprocess.Popen | None = None
        self.port = free_port() if self.binary else None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0" if self.binary else self.fallback_url

    @property
    def how(self) -> str:
        return "redis-server killed (SIGKILL) and started again, --save '' --appendonly no" if self.binary else \
            "FLUSHDB on REDIS_URL (no redis-server binary)"

    def start(self) -> None:
        if not self.binary:
            return
        self.proc = subprocess.Popen(  # noqa: S603  (our redis-server, fixed arguments)
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self._wait_up()

    def _wait_up(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def restart(self, while_down=None) -> None:
        """Redis dies and comes back empty; ``while_down()`` runs while it is unreachable."""
        self.restarts += 1
        if not self.binary:
            import redis

            if while_down:
                while_down()
            client = redis.Redis.from_url(self.url)
            client.flushdb()
            client.close()
            return
        self.kill()
        if while_down:
            while_down()
        self.start()

    def queued(self, name: str) -> int:
        """Messages waiting in huey's queue ``name`` (what a restart loses)."""
        from huey.storage import RedisStorage

        storage = RedisStorage(name, url=self.url)
        try:
            return storage.queue_size() + storage.schedule_size()
        finally:
            storage.pool.disconnect()


# --- the SMTP sink -----------------------------------------------------------------------------------


@dataclass
class Received:
    message_id: str
    to: list[str]
    subject: str


@dataclass
class Sink:
    """aiosmtpd handler: keeps every message; holds the first one to ``trap_rcpt`` unanswered."""

    messages: list[Received] = field(default_factory=list)
    trap_rcpt: str | None = None
    trapped: threading.Event = field(default_factory=threading.Event)
    released: bool = False

    def arm(self, rcpt: str) -> None:
        self.trap_rcpt, self.released = rcpt, False
        self.trapped.clear()

    def release(self) -> None:
        self.released = True

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(Received(str(msg.get("Message-ID", "")), list(envelope.rcpt_tos), str(msg.get("Subject", ""))))
        if self.trap_rcpt and self.trap_rcpt in envelope.rcpt_tos:
            self.trap_rcpt = None
            self.trapped.set()
            while not self.released:  # the sender waits for an answer that never comes
                await asyncio.sleep(0.05)
            return "451 gone"
        return "250 OK"


def start_sink():
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return sink, controller


# --- the worker process --------------------------------------------------------------------------------


def database_url(settings_dict: dict) -> str | None:
    """The URL of the test database for the worker, or None when another process cannot open it."""
    engine, name = settings_dict["ENGINE"], str(settings_dict["NAME"])
    if engine.endswith("sqlite3"):
        if name == ":memory:" or "mode=memory" in name:
            return None
        return f"sqlite:///{name}"
    if "postgresql" in engine:
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        auth = f"{user}:{password}@" if user else ""
        host = settings_dict.get("HOST") or "localhost"
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        return urlunsplit(("postgres", f"{auth}{host}{port}", f"/{name}", "", ""))
    return None


def redacted(url: str) -> str:
    parts = urlsplit(url)
    host = f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "")
    return urlunsplit(parts._replace(netloc=host)) if parts.password else url


class Worker:
    """``python -m salesdesk.core.testing.jobqueue`` as a subprocess the test starts and kills.

    A replacement waits warmed up (Django set up, tasks loaded) for its go file, so that a restart costs
    the test no start-up time; it consumes nothing before that."""

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.standby: list[tuple[subprocess.Popen, Path]] = []
        self.log = workdir / "worker.log"
        self.spawned = 0
        self.kills = 0

    def warm_up(self, n: int = 1) -> None:
        """Start ``n`` worker processes now, each waiting for its turn (:meth:`start`)."""
        while len(self.standby) < n:
            self._spawn()

    def _spawn(self) -> None:
        self.spawned += 1
        go = self.workdir / f"worker-go-{self.spawned}"
        root = Path(__file__).resolve().parents[3]
        with open(self.log, "ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "salesdesk.core.testing.jobqueue"], cwd=root,
                                    env={**os.environ, **self.env, "R6_GO_FILE": str(go)}, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.standby.append((proc, go))

    def start(self) -> None:
        self.warm_up(1)
        proc, go = self.standby.pop(0)
        go.touch()
        self.proc = proc
        self.warm_up(1)  # the next one warms up meanwhile

    def kill(self) -> None:
        """SIGKILL: no clean-up, no shutdown hook, whatever it was doing stops there."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1
        self.proc = None

    def stop(self) -> None:
        for proc in [self.proc, *(p for p, _ in self.standby)]:
            if proc is not None and proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        self.proc, self.standby = None, []

    def tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# --- tasks both processes know (names must match: defined here, never in ``__main__``) ------------------


@functools.cache
def tasks() -> SimpleNamespace:
    from huey.contrib.djhuey import HUEY, db_task

    @HUEY.task(name="r6_barrier")
    def barrier() -> str:
        """Queued behind the tick's jobs: with one worker thread, its result means they are done."""
        return "ok"

    @db_task(name="r6_bypass_send")
    def bypass_send(payload: dict) -> None:
        from salesdesk.core.mail import send_mail_message

        send_mail_message(SimpleNamespace(payload=payload))

    return SimpleNamespace(barrier=barrier, bypass_send=bypass_send)


# --- injected bugs -------------------------------------------------------------------------------------

INJECTIONS = ("no_sweep", "retry_stale", "bypass_outbox")


def inject(name: str):
    """Plant the bug ``name`` in this process; returns the function that takes it out again."""
    if not name:
        return lambda: None
    if name not in INJECTIONS:
        raise ValueError(f"R6_INJECT: unknown injection {name!r} (one of {', '.join(INJECTIONS)})")
    from django.db import transaction
    from django.utils import timezone

    from salesdesk.core import outbox
    from salesdesk.core.models import OutboxMessage, OutboxStatus
    from salesdesk.reports import deliveries

    if name == "bypass_outbox":
        send = tasks().bypass_send
        shim = SimpleNamespace(enqueue=lambda kind, payload, dedupe_key=None: transaction.on_commit(lambda: send(payload)))
        real = deliveries.outbox
        deliveries.outbox = shim

        def undo() -> None:
            deliveries.outbox = real

        return undo

    real_sweep = outbox.sweep

    def stale():
        return OutboxMessage.objects.filter(status=OutboxStatus.SENDING,
                                            claimed_at__lt=timezone.now() - outbox.STALE_SENDING_AFTER)

    if name == "no_sweep":
        def sweep() -> dict[str, int]:
            return {"uncertain": stale().update(status=OutboxStatus.UNCERTAIN), "sent": 0}
    else:  # retry_stale
        def sweep() -> dict[str, int]:
            again = stale().update(status=OutboxStatus.PENDING)
            return {"uncertain": 0, "retried": again, "sent": outbox.drain()}

    outbox.sweep = sweep

    def undo() -> None:
        outbox.sweep = real_sweep

    return undo


# --- the worker's side ---------------------------------------------------------------------------------


def _install_clock(huey, clock_file: Path) -> None:
    import time_machine

    state = {}

    @huey.pre_execute(name="r6_clock")
    def travel(task) -> None:
        when = datetime.fromisoformat(clock_file.read_text().strip())
        state["traveller"] = traveller = time_machine.travel(when, tick=False)
        traveller.start()

    @huey.post_execute(name="r6_clock")
    def back(task, value, exc) -> None:
        traveller = state.pop("traveller", None)
        if traveller is not None:
            traveller.stop()


def _install_render_trap(trap_file: Path) -> None:
    from salesdesk.reports import deliveries

    def hanging(real):
        def render(schedule, period, recipient):
            if trap_file.exists() and trap_file.read_text().strip() == f"armed:{recipient.username}":
                trap_file.write_text("caught")
                time.sleep(3600)  # killed here
            return real(schedule, period, recipient)

        return render

    for kind, real in list(deliveries.RENDERERS.items()):
        deliveries.RENDERERS[kind] = hanging(real)


def serve() -> None:
    import logging

    import django

    django.setup()
    from django.utils.module_loading import autodiscover_modules
    from huey.contrib.djhuey import HUEY

    autodiscover_modules("tasks")  # as run_huey does
    tasks()
    _install_clock(HUEY, Path(os.environ["R6_CLOCK_FILE"]))
    _install_render_trap(Path(os.environ["R6_RENDER_TRAP"]))
    inject(os.environ.get("R6_INJECT", ""))
    go = Path(os.environ["R6_GO_FILE"])
    while not go.exists():  # a warmed-up replacement, waiting for its turn
        time.sleep(0.02)
    logging.basicConfig(level=logging.WARNING, format="[worker %(process)d] %(levelname)s %(name)s: %(message)s")
    HUEY.create_consumer(workers=1, worker_type="thread", periodic=False, check_worker_health=False).run()


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesdesk.settings")
    import importlib

    importlib.import_module("salesdesk.core.testing.jobqueue").serve()
