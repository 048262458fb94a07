"""Job runs and the worker heartbeat.

``tracked`` wraps a job so each run leaves a ``JobRun`` row (status, timings, output, error) that
admins see. ``enqueue()`` is how a request hands a job to the queue: an unreachable queue becomes
``QueueUnavailable`` (503 + Retry-After in the API, a message on pages), never a 500.
``worker_down_since()`` powers the "worker down since …" banner.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from .errors import DomainError
from .models import JobRun, JobStatus, WorkerHeartbeat

log = logging.getLogger("salesdesk.jobs")

QUEUE_RETRY_AFTER_SECONDS = 60
MSG_QUEUE_DOWN = "后台任务队列暂时不可用，请稍后重试 / The job queue is unavailable, please retry later."


class QueueUnavailable(DomainError):
    """The queue (Redis, or SqliteHuey's file) did not take the job, so nothing will run it.

    The API answers 503 with ``Retry-After: retry_after``; pages show the message. A side effect that
    must happen anyway belongs in the outbox instead (its periodic sweep makes up for a lost wake-up)."""

    status_code = 503
    retry_after = QUEUE_RETRY_AFTER_SECONDS

    def __init__(self, message: str = MSG_QUEUE_DOWN):
        super().__init__(message, code="queue_unavailable")


def _arguments(args: tuple, kwargs: dict) -> dict:
    try:
        return json.loads(json.dumps({"args": args, "kwargs": kwargs}, default=str))
    except (TypeError, ValueError):
        return {}


def enqueue(task: Callable, /, *, record_as: str | None = None, message: str = MSG_QUEUE_DOWN, **kwargs: Any) -> Any:
    """Queue ``task(**kwargs)`` (a huey task) from a request; raise ``QueueUnavailable`` if the queue refuses.

    ``record_as`` (the job's ``tracked`` name) then leaves a failed ``JobRun`` with these arguments and the
    reason, so the job's status page and the admins' job list say "failed" instead of "queued" for ever.
    In immediate mode huey runs the task here and keeps its exceptions to itself: whatever is raised
    is the queue's."""
    try:
        return task(**kwargs)
    except Exception as exc:  # redis ConnectionError/TimeoutError, sqlite OperationalError, …
        log.warning("could not enqueue %s", getattr(getattr(task, "func", task), "__name__", task), exc_info=True)
        if record_as:
            JobRun.objects.create(
                name=record_as, args=_arguments((), kwargs), status=JobStatus.FAILED, finished_at=timezone.now(),
                duration_ms=0, error=f"{message} ({type(exc).__name__}: {exc})"[:10000],
            )
        raise QueueUnavailable(message) from exc


def tracked(name: str) -> Callable:
    """Record every run of the wrapped job function as a ``JobRun``."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            job = JobRun.objects.create(name=name, args=_arguments(args, kwargs))
            started = time.monotonic()
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                JobRun.objects.filter(pk=job.pk).update(
                    status=JobStatus.FAILED, finished_at=timezone.now(),
                    duration_ms=int((time.monotonic() - started) * 1000),
                    error=f"{type(exc).__name__}: {exc}"[:10000],
                )
                raise
            JobRun.objects.filter(pk=job.pk).update(
                status=JobStatus.SUCCEEDED, finished_at=timezone.now(),
                duration_ms=int((time.monotonic() - started) * 1000),
                output="" if result is None else str(result)[:10000],
            )
            return result

        return run

    return decorate


def beat(name: str = "worker") -> None:
    WorkerHeartbeat.objects.update_or_create(
        name=name,
        defaults={"last_seen": timezone.now(), "host": socket.gethostname(), "pid": os.getpid()},
    )


def worker_down_since(name: str = "worker") -> datetime | None:
    """When the worker was last seen, if that is longer ago than the allowed silence; else None.

    A worker that has never beaten counts as down once the first account is older than the allowed
    silence (a brand-new install has had no chance to start its worker yet)."""
    hb = WorkerHeartbeat.objects.filter(name=name).first()
    limit = timezone.now() - timezone.timedelta(seconds=settings.WORKER_DOWN_AFTER_SECONDS)
    if hb is None:
        first = get_user_model().objects.order_by("date_joined").values_list("date_joined", flat=True).first()
        if first is None or first >= limit:
            return None
        WorkerHeartbeat.objects.get_or_create(name=name, defaults={"last_seen": first})
        return first
    if hb.last_seen >= limit:
        return None
    return hb.last_seen


def alert_worker_down(last_seen: datetime, name: str = "worker") -> bool:
    """Mail the administrators once per outage. Sent directly: the outbox needs the worker."""
    unalerted = WorkerHeartbeat.objects.filter(
        Q(down_alerted_at__isnull=True) | Q(down_alerted_at__lt=last_seen), name=name
    )
    # Every page asks while the worker is down: read first, so only the one claiming request
    # writes (an UPDATE on each page view took SQLite's write lock even when it matched nothing).
    if not unalerted.exists():
        return False
    claimed = unalerted.update(down_alerted_at=timezone.now())
    if not claimed:
        return False
    User = get_user_model()
    to = [a for _, a in settings.ADMINS] + list(
        User.objects.filter(groups__name="admin", is_active=True).exclude(email="").values_list("email", flat=True)
    )
    if to:
        try:
            send_mail(
                "SalesDesk 后台任务进程已停止 / job worker down",
                f"后台任务进程自 {timezone.localtime(last_seen):%Y-%m-%d %H:%M} 起没有心跳。\n"
                f"The job worker has not reported since {timezone.localtime(last_seen).isoformat()}.",
                settings.DEFAULT_FROM_EMAIL, sorted(set(to)), fail_silently=True,
            )
        except Exception:
            log.exception("could not mail the worker-down alert")
    return True
