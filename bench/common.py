"""What every measure shares: the result row, warm-median timing and the printed table.

A measure compares OUR time with a REFERENCE measured in the same process, on the same database, in
the same run (the limit: one hand-written SQL query over the raw facts, the raw library call, or the
peer ERP), so a noisy machine moves both sides together. ``ratio = ours / reference``; a goal is met
when the ratio is at most the goal (or, for throughput goals, when stated otherwise in ``goal``)."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

WARM_RUNS = 5


@dataclass
class Result:
    name: str  # starts with the measure's id: "P1 month by salesperson"
    ours_ms: float | None
    reference_ms: float | None
    goal: str  # e.g. "≤ 1.0", "≥ 10×", "p95 < 300 ms"
    met: bool | None
    rows: int | None = None
    backend: str = ""
    ratio: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.ours_ms and self.reference_ms:
            self.ratio = round(self.ours_ms / self.reference_ms, 3)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def median_ms(fn: Callable[[], Any], *, runs: int = WARM_RUNS, warmup: int = 1) -> tuple[float, Any]:
    """Median wall time in ms of ``runs`` warm calls (after ``warmup`` untimed calls), and the last result."""
    out = None
    for _ in range(warmup):
        out = fn()
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), out


def ratio_result(name: str, ours_ms: float, reference_ms: float, limit: float, *, rows: int | None, backend: str,
                 note: str = "") -> Result:
    ratio = ours_ms / reference_ms if reference_ms else None
    return Result(name=name, ours_ms=round(ours_ms, 2), reference_ms=round(reference_ms, 2), goal=f"≤ {limit}",
                  met=ratio is not None and ratio <= limit, rows=rows, backend=backend,
                  ratio=round(ratio, 3) if ratio is not None else None, note=note)


def table(results: list[Result]) -> str:
    head = ("measure", "backend", "ours ms", "reference ms", "ratio", "goal", "met?", "rows")
    body = [(r.name, r.backend, _num(r.ours_ms), _num(r.reference_ms), _num(r.ratio), r.goal,
             "yes" if r.met else ("no" if r.met is False else "—"), _num(r.rows)) for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=False)]
    line = lambda cells: " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False))  # noqa: E731
    return "\n".join([line(head), "-+-".join("-" * w for w in widths), *(line(b) for b in body)])


def _num(x) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:,.2f}" if x < 100 else f"{x:,.0f}"
    return f"{x:,}"
