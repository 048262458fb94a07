"""P5 — the Excel export of the sales detail ledger (销售明细账) at scale: the big-export job's body
(``reports.detail_tasks.build_export``, run in-process as the worker runs it: count, opening balances,
the facts streamed in order with the running balance, the file written, the export logged and the
requester notified) for a general manager, who sees every line, against raw XlsxWriter in
``constant_memory`` mode writing the same 15 columns from ONE SQL query (joins for the customer,
salesperson, product and order number; the running balance as a window sum).

Two results:
- ``P5 ledger export RSS``: peak RSS (``VmHWM``) of a child process that sets Django up and does just
  the export; goal ≤ 300 MB (the reference column shows the same child doing the raw export).
- ``P5 ledger export throughput``: median of warm runs, ours / raw; goal ≤ 2.0 (≥ ½ the raw throughput).

Size: 1 M ledger lines in the full run, 50k in quick mode, or what the bench database has — the
latest lines, by a start date chosen so that the range holds about that many. The side effects of our
runs (export log, notification, job file) are rolled back / written to a scratch folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import date, datetime
from pathlib import Path

from django.db import connection, transaction

from bench.common import Result, median_ms, ratio_result

FULL_ROWS = 1_000_000
QUICK_ROWS = 50_000  # quick: one export each side in its child process (RSS and throughput)
RSS_LIMIT_MB = 300
RUNS = 3  # full run: in-process median of 3 warm exports each side (1 M lines: minutes each)

DEBIT = ("shipped", "returned", "opening")
CREDIT = ("received", "refunded", "written_off")


def _in(kinds) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


def choose_start(rows: int) -> tuple[date | None, int]:
    """The earliest business date such that the facts from it on number about ``rows`` (None: all)."""
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM ledger_fact")
        total = cur.fetchone()[0]
        if total <= rows:
            return None, total
        cur.execute("SELECT business_date FROM ledger_fact ORDER BY business_date DESC, id DESC LIMIT 1 OFFSET %s",
                    [rows - 1])
        start = cur.fetchone()[0]
        start = date.fromisoformat(str(start)[:10])
        cur.execute("SELECT COUNT(*) FROM ledger_fact WHERE business_date >= %s", [start])
        return start, cur.fetchone()[0]


REFERENCE_SQL = f"""
SELECT f.business_date, c.code, c.name, COALESCE(NULLIF(u.name, ''), u.username), p.sku, p.name,
       f.quantity, f.amount, f.tax, f.kind, COALESCE(o.number, f.source_kind || ' #' || f.source_id),
       CASE WHEN f.kind IN ({_in(DEBIT)}) THEN f.amount WHEN f.kind IN ({_in(CREDIT)}) THEN -f.amount ELSE 0 END,
       SUM(CASE WHEN f.kind IN ({_in(DEBIT)}) THEN f.amount WHEN f.kind IN ({_in(CREDIT)}) THEN -f.amount ELSE 0 END)
           OVER (PARTITION BY f.customer_id ORDER BY f.business_date, f.id ROWS UNBOUNDED PRECEDING)
FROM ledger_fact f
JOIN customers_customer c ON c.id = f.customer_id
LEFT JOIN org_user u ON u.id = f.salesperson_id
LEFT JOIN catalog_product p ON p.id = f.product_id
LEFT JOIN orders_order o ON f.source_kind = 'order' AND o.id = f.source_id
{{where}}
ORDER BY f.business_date, f.id
"""


def reference_export(path: str, start: date | None) -> int:
    """Raw XlsxWriter (constant_memory) writing the same columns from one SQL query; the balance is
    the customer's running sum over all their facts (the reference does not carry openings: with a
    start date the window still sees only the range, which is the cheaper side)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(path, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("ledger")
    sheet.write_string(0, 0, "销售明细账 (reference)")
    sheet.write_row(1, 0, ["日期", "客户编号", "客户", "业务员", "产品编码", "产品", "数量", "单价(含税)", "金额(含税)",
                           "税额", "类型", "单据", "借方", "贷方", "客户余额"])
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0.00"})
    where, params = ("WHERE f.business_date >= %s", [start]) if start else ("", [])
    r = 2
    midnight = datetime.min.time()
    with connection.cursor() as cur:
        cur.execute(REFERENCE_SQL.format(where=where), params)
        while batch := cur.fetchmany(2000):
            for d, code, cname, sp, sku, pname, qty, amount, tax, kind, doc, delta, balance in batch:
                if isinstance(d, str):
                    d = date.fromisoformat(d[:10])
                sheet.write_datetime(r, 0, datetime.combine(d, midnight), day)
                sheet.write_string(r, 1, code)
                sheet.write_string(r, 2, cname)
                if sp:
                    sheet.write_string(r, 3, sp)
                if sku:
                    sheet.write_string(r, 4, sku)
                    sheet.write_string(r, 5, pname)
                if qty:
                    sheet.write_number(r, 6, qty / 1000, money)
                    sheet.write_number(r, 7, amount / qty * 10, money)
                sheet.write_number(r, 8, amount / 100, money)
                sheet.write_number(r, 9, tax / 100, money)
                sheet.write_string(r, 10, kind)
                sheet.write_string(r, 11, doc)
                if delta > 0:
                    sheet.write_number(r, 12, delta / 100, money)
                elif delta < 0:
                    sheet.write_number(r, 13, -delta / 100, money)
                sheet.write_number(r, 14, balance / 100, money)
                r += 1
    book.close()
    return r - 2


def _gm():
    from salesdesk.org.models import User

    return User.objects.filter(groups__name="general_manager", is_active=True).order_by("id").first()


def ours_export(user, token: str, start: date | None) -> int:
    """The job's body, its database side effects rolled back (the file stays in the scratch MEDIA_ROOT)."""
    from salesdesk.reports import detail_tasks

    filters = {"start": start.isoformat()} if start else {}
    with transaction.atomic():
        out = detail_tasks.build_export(token=token, user_id=user.pk, filters=filters, title="销售明细账")
        transaction.set_rollback(True)
    return int(out.split("/")[0])


def child(which: str, start: str, media: str) -> None:
    """In a fresh process: do one export, print {"rows", "ms", "hwm_mb", "base_mb"} as JSON."""
    import time

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesdesk.settings")
    os.environ["MEDIA_ROOT"] = media
    django.setup()
    from django.test import override_settings

    day = date.fromisoformat(start) if start else None
    base = _vm("VmRSS")
    began = time.perf_counter()
    with override_settings(MEDIA_ROOT=media):
        rows = ours_export(_gm(), "c" * 32, day) if which == "ours" else reference_export(
            os.path.join(media, "reference.xlsx"), day)
    ms = (time.perf_counter() - began) * 1000
    print(json.dumps({"rows": rows, "ms": ms, "hwm_mb": _vm("VmHWM"), "base_mb": base}))


def _vm(key: str) -> float:
    """A VmRSS / VmHWM line of /proc/self/status in MB (falls back to getrusage for the peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_child(which: str, start: date | None, media: str) -> dict:
    root = Path(__file__).resolve().parent.parent.parent
    done = subprocess.run([sys.executable, "-m", "bench.measures.p5_export", which, start.isoformat() if start else "",
                           media], cwd=root, env=dict(os.environ), capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measures(target, *, quick: bool = False) -> list[Result]:
    from django.test import override_settings

    wanted = QUICK_ROWS if quick else FULL_ROWS
    start, rows = choose_start(wanted)
    user = _gm()
    out: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="p5-") as media:
        ours_child = _run_child("ours", start, media)
        ref_child = _run_child("reference", start, media)
        scope = f"from {start}" if start else "all lines"
        rss = Result(name="P5 ledger export peak RSS (MB)", ours_ms=round(ours_child["hwm_mb"], 1),
                     reference_ms=round(ref_child["hwm_mb"], 1), goal=f"≤ {RSS_LIMIT_MB} MB",
                     met=ours_child["hwm_mb"] <= RSS_LIMIT_MB and ours_child["rows"] == rows, rows=ours_child["rows"],
                     backend=target.backend,
                     note=f"MB, not ms: VmHWM of a child doing just the export ({scope}); Django set up: "
                          f"{ours_child['base_mb']:.0f} MB; cold child run {ours_child['ms'] / 1000:.1f} s")
        out.append(rss)
        if quick:  # the children's timed exports (one each, warm database cache) stand for throughput
            ours_ms, ours_rows, ref_ms, ref_rows = ours_child["ms"], ours_child["rows"], ref_child["ms"], ref_child["rows"]
            how = "one export each in a child process"
        else:
            with override_settings(MEDIA_ROOT=media):
                ours_ms, ours_rows = median_ms(lambda: ours_export(user, "b" * 32, start), runs=RUNS, warmup=0)
            ref_path = os.path.join(media, "reference.xlsx")
            ref_ms, ref_rows = median_ms(lambda: reference_export(ref_path, start), runs=RUNS, warmup=0)
            how = f"median of {RUNS} in-process exports each"
        result = ratio_result("P5 ledger export throughput", ours_ms, ref_ms, 2.0, rows=ours_rows, backend=target.backend,
                              note=f"{ours_rows / ours_ms * 1000:,.0f} rows/s vs raw {ref_rows / ref_ms * 1000:,.0f} rows/s "
                                   f"({scope}; {how})")
        if ours_rows != ref_rows or ours_rows != rows:
            result.met = False
            result.note += f"; row count mismatch: ours {ours_rows}, raw {ref_rows}, expected {rows}"
        out.append(result)
    return out


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2], sys.argv[3])
