"""``python -m bench [--quick] [--lines N] [--only P1,P7] [--backend sqlite|postgresql]``

Loads the realistic data once per backend (SQLite always; PostgreSQL too when ``DATABASE_URL`` points
at one), runs every measure against it in a child process, prints one table — measure | ours (median
of ≥ 5 warm runs) | reference | ratio | goal | met? — and writes ``var/bench/results.json``."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from bench.common import Result, table
from bench.data import BENCH_DIR, FULL_LINES, QUICK_LINES, ROOT, ensure, targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_LINES:,} order lines and fewer groupings")
    parser.add_argument("--lines", type=int, help="order lines to load (default: 2M, quick: 200k)")
    parser.add_argument("--only", default="", help="comma-separated measure ids, e.g. P1,P7")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), help="only this backend")
    args = parser.parse_args(argv)
    lines = args.lines or (QUICK_LINES if args.quick else FULL_LINES)

    started = time.perf_counter()
    results: list[Result] = []
    loads = []
    stages: list[tuple[str, float]] = []  # (stage, wall seconds), printed under the table

    # --- overlap: Tryton (P7) is prepared in the background while our data loads --------------------
    # bench.peer.run.start_venv_install() installs its virtualenv and template databases in a process of its
    # own (log: var/bench/tryton-prepare.log) and returns at once; P7 takes the same locks, so it waits for
    # whatever is still being prepared. Nothing else may run beside the measures: they time things.
    peer = None
    try:
        from bench.peer.run import start_venv_install
    except ImportError:  # the peer harness not built yet: P7 installs in the foreground
        start_venv_install = None
    if start_venv_install is not None:
        peer = start_venv_install(args.only, args.backend)

    for target in targets(lines):
        if args.backend and target.backend != args.backend:
            continue
        stage = time.perf_counter()
        loads.append(ensure(target))
        stages.append((f"load {target.backend}", time.perf_counter() - stage))  # ~0 when a complete load was there
        stage = time.perf_counter()
        with tempfile.NamedTemporaryFile(suffix=".json", dir=BENCH_DIR) as out:
            cmd = [sys.executable, "-m", "bench.measure", "--backend", target.backend, "--lines", str(lines),
                   "--out", out.name, "--only", args.only]
            if args.quick:
                cmd.append("--quick")
            subprocess.run(cmd, env=target.env(), cwd=ROOT, check=True)
            results.extend(Result(**row) for row in json.load(open(out.name)))
        stages.append((f"measures {target.backend}", time.perf_counter() - stage))
    if peer is not None and peer.poll() is None:  # e.g. P7 failed before waiting for it: it finishes for next time
        print("[bench] Tryton is still being prepared in the background (var/bench/tryton-prepare.log)", flush=True)

    print()
    for load in loads:
        cpu = f", {load['load_cpu_s']} s CPU" if "load_cpu_s" in load else ""
        print(f"data: {load['lines']:,} order lines on {load['backend']}, loaded in {load['load_s']} s{cpu} "
              f"(+ migrate {load['migrate_s']} s) at {load['loaded_at']}")
    print(table(results))
    unmet = [r for r in results if r.met is False]
    print(f"\n{len(results)} measures, {len(results) - len(unmet)} met or informational, {len(unmet)} not met; "
          f"{time.perf_counter() - started:.0f} s ({', '.join(f'{name} {s:.0f} s' for name, s in stages)}; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})")
    (BENCH_DIR / "results.json").write_text(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=1,
                                                        default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
