"""The sales report as the API's JSON (API.md, "Sales reports"), written from the report's integer fen:
tens of thousands of rows need no Decimal and no schema validation per value. A test holds the output
equal to the response schema's serialisation (``api.ReportOut``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson

from salesdesk.core.lib.collection import collection_paused
from salesdesk.core.lib.money import from_fen

from .periods import growth_text, rate
from .queries import EMPTY, EMPTY_GOODS, FEN, Figures, ReportHead, ReportRow, SalesReport


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.4f}"


def _money(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return f"{value:.2f}" if value else "0.00"


def _yuan(fen: int | None) -> str | None:
    """Integer fen as the API's Money text (``_money`` of the same amount in yuan)."""
    if not fen:
        return None if fen is None else "0.00"
    if fen < 0:
        return f"-{-fen // 100}.{-fen % 100:02d}"
    return f"{fen // 100}.{fen % 100:02d}"


_EMPTY_FIGURES: dict[tuple[int, str], dict[str, Any]] = {}


def _figures(f: Figures, measure: str) -> dict[str, Any]:
    if f is EMPTY or f is EMPTY_GOODS:  # most rows have no figures in one of the periods: one shared dict
        key = (id(f), measure)
        if key not in _EMPTY_FIGURES:
            _EMPTY_FIGURES[key] = _figures_of(f, measure)
        return _EMPTY_FIGURES[key]
    return _figures_of(f, measure)


def _figures_of(f: Figures, measure: str) -> dict[str, Any]:
    return {"ordered_amount": _yuan(f.ordered_fen), "shipped_amount": _yuan(f.shipped_fen),
            "invoiced_amount": _yuan(f.invoiced_fen), "received_amount": _yuan(f.received_fen),
            "performance_amount": _yuan(FEN[measure](f))}


def row_out(row: ReportRow) -> dict[str, Any]:
    """One row with money already as text (the API's Money format), from the integer fen the report holds:
    serialising tens of thousands of rows then needs no Decimal and no per-value callback."""
    current, previous, last_year, measure, target = row.current, row.previous, row.last_year, row.measure, row.target
    fen = FEN[measure]
    performance, before, year_before = fen(current), fen(previous), fen(last_year)  # each read once
    completion = None
    if target is not None and performance is not None:
        completion = _text(rate(from_fen(performance), target))
    return {
        "key": row.key, "label": row.label, "detail": row.detail, "ordered_amount": _yuan(current.ordered_fen),
        "shipped_amount": _yuan(current.shipped_fen), "invoiced_amount": _yuan(current.invoiced_fen),
        "received_amount": _yuan(current.received_fen), "pending_received_amount": _money(row.pending_received),
        "new_customers": row.new_customers, "target_amount": _money(target),
        "performance_amount": _yuan(performance), "completion_rate": completion,
        "rank": row.rank, "previous": _figures(previous, measure), "last_year": _figures(last_year, measure),
        "previous_growth_rate": growth_text(performance, before),
        "last_year_growth_rate": growth_text(performance, year_before),
    }


def head_out(report: SalesReport | ReportHead) -> dict[str, Any]:
    """Everything of the report's JSON but its rows and totals."""
    p = report.period
    return {
        "period": {"kind": p.kind, "start": p.start, "end": p.end, "label": p.label, "days": p.days,
                   "time_progress": _text(report.time_progress),
                   "previous": {"start": report.previous_period.start, "end": report.previous_period.end},
                   "last_year": {"start": report.last_year_period.start, "end": report.last_year_period.end}},
        "group_by": report.group_by, "measure": report.measure, "amounts_include_tax": True, "source": report.source,
    }


def report_out(report: SalesReport) -> dict[str, Any]:
    return {**head_out(report), "rows": [row_out(r) for r in report.rows], "totals": row_out(report.totals)}


def report_json(report: SalesReport) -> bytes:
    """``report_out`` as JSON, written directly by orjson: validating a thousand rows through the response
    schema costs more than the query (the bench's P1). A test holds it equal to the schema's serialisation."""
    with collection_paused():
        return orjson.dumps(report_out(report))
