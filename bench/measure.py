"""Run the measures against ONE loaded bench database (a child process of ``python -m bench``, with
``DATABASE_URL`` pointing at it): ``python -m bench.measure --backend sqlite --lines N [--quick]
[--only P1,P7] --out results.json``."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback

MEASURES = {  # id → module with ``measures(target, quick=…) -> list[Result]``
    "P1": "bench.measures.p1_reports",
    "P2": "bench.measures.p2_receivables",
    "P3": "bench.measures.p3_pages",
    "P4": "bench.measures.p4_import",
    "P5": "bench.measures.p5_export",
    "P6": "bench.measures.p6_daily_report",
    "P7": "bench.peer.run",
}


def _cpu() -> float:
    usage = os.times()  # this process and its finished children (P5's export children, P7's Tryton side)
    return usage.user + usage.system + usage.children_user + usage.children_system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", required=True)
    parser.add_argument("--lines", type=int, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesdesk.settings")
    django.setup()
    from bench.common import Result
    from bench.data import Target

    target = Target(args.backend, os.environ["DATABASE_URL"], args.lines)
    wanted = [m.strip().upper() for m in args.only.split(",") if m.strip()] or list(MEASURES)
    results: list[Result] = []
    for mid in wanted:
        try:
            module = importlib.import_module(MEASURES[mid])
        except ModuleNotFoundError as exc:
            results.append(Result(name=f"{mid} (not built)", ours_ms=None, reference_ms=None, goal="—", met=None,
                                  backend=args.backend, note=str(exc)))
            continue
        began, cpu = time.perf_counter(), _cpu()
        try:
            results.extend(module.measures(target, quick=args.quick))
        except Exception as exc:  # one broken measure must not hide the others
            traceback.print_exc()
            results.append(Result(name=f"{mid} (error)", ours_ms=None, reference_ms=None, goal="—", met=False,
                                  backend=args.backend, note=f"{type(exc).__name__}: {exc}"[:300]))
        print(f"[bench] {mid} on {args.backend}: done in {time.perf_counter() - began:.1f} s "
              f"({_cpu() - cpu:.1f} s CPU with its children, load average {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
    with open(args.out, "w") as fh:
        json.dump([r.as_json() for r in results], fh, ensure_ascii=False, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
