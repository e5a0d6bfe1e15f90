"""Benchmark two checkouts of the backend against each other: bench_tasks.py of each, interleaved.

On a shared machine the task list's p99 swings with other work (45 to 215 ms between identical runs
at load 4-7), so a before/after figure from one run of each means little. This runs this checkout's
`bench/bench_tasks.py` against each checkout's server (started with that checkout's .venv and
code) in rounds, alternating which goes first,
on a fresh SQLite file and/or a fresh database of one throwaway PostgreSQL per run, records the
load average before each run, and prints every run, the medians and after/before ratios.

    .venv/bin/python bench/compare_tasks.py --before ../../../old-checkout/apps/backend
        [--after .] [--rounds 3] [--database sqlite|postgres|both]

A checkout is the backend folder (apps/backend) of any commit that has `todo_api.main:app` and
`todo_api.migrate`; make one with `git worktree add DIR REV` and `npx nx run backend:setup` in it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import BACKEND

HERE = Path(__file__).resolve().parent

FIGURES = {
    "rps": r"throughput\s+([\d.]+) req/s",
    "p50": r"latency p50\s+([\d.]+) ms",
    "p99": r"latency p99\s+([\d.]+) ms",
    "cpu_ms": r"server CPU\s+([\d.]+) ms per request",
}


def bench_once(backend: Path, database_url: str, extra: list[str]) -> dict[str, float]:
    """This checkout's bench_tasks.py (one load generator and one way of measuring for both sides)
    against `backend`'s server, run by `backend`'s own interpreter."""
    python = backend / ".venv" / "bin" / "python"
    cmd = [str(python), str(HERE / "bench_tasks.py"), "--database-url", database_url, *extra]
    env = {**os.environ, "BENCH_BACKEND_DIR": str(backend)}
    out = subprocess.run(cmd, cwd=backend, env=env, capture_output=True, text=True, timeout=600)
    figures = {}
    for name, pattern in FIGURES.items():
        match = re.search(pattern, out.stdout)
        if match:
            figures[name] = float(match.group(1))
    if "p99" not in figures:
        raise SystemExit(f"compare: no figures from {backend}:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return figures


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def table(runs: list[dict], database: str) -> None:
    runs = [r for r in runs if r["database"] == database]
    if not runs:
        return
    print(f"\n{database}: GET /api/tasks?limit=100, 32 clients")
    print("  round side      req/s  p50 ms  p99 ms  CPU ms/req  load avg (1, 5, 15 min)")
    for r in runs:
        cpu = f"{r['cpu_ms']:10.3f}" if "cpu_ms" in r else f"{'-':>10}"
        figures = f"{r['rps']:7.0f} {r['p50']:7.1f} {r['p99']:7.1f} {cpu}"
        print(f"  {r['round']:>5} {r['side']:<7} {figures}  {r['load']}")
    medians: dict[str, dict[str, float]] = {}
    for side in ("before", "after"):
        mine = [r for r in runs if r["side"] == side]
        medians[side] = {k: statistics.median(r[k] for r in mine if k in r) for k in FIGURES if k in mine[0]}
        m = medians[side]
        cpu = f"{m['cpu_ms']:10.3f}" if "cpu_ms" in m else f"{'-':>10}"
        print(f"  {'median':>5} {side:<7} {m['rps']:7.0f} {m['p50']:7.1f} {m['p99']:7.1f} {cpu}")
    before, after = medians["before"], medians["after"]
    ratios = [f"{k} x{after[k] / before[k]:.2f}" for k in FIGURES if k in before and k in after]
    print("  after / before (medians): " + ", ".join(ratios))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="backend folder of the older checkout")
    parser.add_argument("--after", type=Path, default=BACKEND, help="backend folder (default: this one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    args, extra = parser.parse_known_args()  # the rest goes to bench_tasks.py (--requests, ...)
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    for side, backend in sides.items():
        if not (backend / ".venv" / "bin" / "python").exists() or not (backend / "bench").is_dir():
            raise SystemExit(
                f"compare: --{side} {backend} is not a checkout's apps/backend with its .venv; make one "
                "with `git worktree add DIR REV`, then `npx nx run backend:setup` in DIR"
            )
    print(f"before: {sides['before']}\nafter:  {sides['after']}\nbench:  {HERE / 'bench_tasks.py'}")
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]

    postgres = None
    if "postgres" in databases:
        from tests.pgserver import ThrowawayPostgres

        postgres = ThrowawayPostgres()
        postgres.start()
    tmp = Path(tempfile.mkdtemp(prefix="todo-compare-"))
    runs: list[dict] = []
    try:
        for round_ in range(1, args.rounds + 1):
            order = ("before", "after") if round_ % 2 else ("after", "before")
            for database in databases:
                for side in order:
                    if database == "sqlite":
                        url = f"sqlite:///{tmp / f'{round_}-{side}.db'}"
                    else:
                        url = postgres.create_database(f"bench_{round_}_{side}")
                    load = load_average()
                    figures = bench_once(sides[side], url, extra)
                    run = {"round": round_, "side": side, "database": database, "load": load, **figures}
                    runs.append(run)
                    print(f"  {database} round {round_} {side}: {figures} (load {load})", flush=True)
    finally:
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    for database in databases:
        table(runs, database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
