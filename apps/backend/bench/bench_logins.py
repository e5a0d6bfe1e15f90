"""Benchmark: 32 concurrent logins against the production server, with the real argon2 parameters.

Prints the server's peak RSS (VmHWM) against the memory limit it was given (MEMORY_LIMIT_MB, the
chart's backend limit by default) and the login latency p50/p99. Half the logins use the right
password, half unknown emails (both cost one hash). Always exits 0 unless the server could not start.

    .venv/bin/python bench/bench_logins.py [--concurrency 32] [--rounds 3] [--memory-limit-mb 512]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx
from common import peak_rss_mb, percentile, production_server, rss_mb, verdict

PASSWORD = "bench passphrase for logins"
# The memory limit must keep this much margin over the measured peak.
MARGIN = 0.25


async def _logins(base: str, email: str, concurrency: int) -> tuple[list[float], list[int]]:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:

        async def one(i: int) -> tuple[float, int]:
            body = {"email": email if i % 2 == 0 else f"nobody{i}@example.test", "password": PASSWORD}
            t0 = time.perf_counter()
            response = await client.post("/api/auth/login", json=body)
            return (time.perf_counter() - t0) * 1000, response.status_code

        results = await asyncio.gather(*(one(i) for i in range(concurrency)))
    return [r[0] for r in results], [r[1] for r in results]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="bursts of --concurrency logins")
    parser.add_argument("--memory-limit-mb", type=int, default=512, help="MEMORY_LIMIT_MB for the server")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="todo-bench-logins-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    # One client address sends every login here: lift the per-address throttle for the run. Sign-ins
    # are reserved before the hash (todo_api.throttle), so 16 parallel logins of one account would
    # hold it after LOGIN_FREE_FAILURES: lift that too, so that every login costs a hash.
    env = {
        "MEMORY_LIMIT_MB": str(args.memory_limit_mb),
        "LOG_LEVEL": "warning",
        "LOGIN_FAILURES_PER_ADDRESS": "100000",
        "LOGIN_FREE_FAILURES": "1000",
    }
    latencies: list[float] = []
    codes: list[int] = []
    try:
        with production_server(url, tmp / "server.log", **env) as (server, base):
            email = "bench-login@example.test"
            httpx.post(
                f"{base}/api/auth/signup", json={"email": email, "password": PASSWORD}
            ).raise_for_status()
            idle = rss_mb(server.pid)
            started = time.perf_counter()
            for _ in range(args.rounds):
                lat, got = asyncio.run(_logins(base, email, args.concurrency))
                latencies += lat
                codes += got
            elapsed = time.perf_counter() - started
            peak = peak_rss_mb(server.pid)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    latencies.sort()
    ok = sum(1 for c in codes if c in (200, 401))
    print(
        f"backend bench: {args.rounds} bursts of {args.concurrency} concurrent POST /api/auth/login "
        f"(argon2id defaults), MEMORY_LIMIT_MB={args.memory_limit_mb}"
    )
    print(f"  answers       {ok} of {len(codes)} were 200/401 ({sorted(set(codes))}) in {elapsed:.2f} s")
    print(f"  latency p50   {percentile(latencies, 50):.0f} ms")
    print(f"  latency p99   {percentile(latencies, 99):.0f} ms")
    print(f"  idle RSS      {idle:.1f} MB")
    limit_ok = peak < args.memory_limit_mb * (1 - MARGIN)
    print(
        f"  peak RSS      {peak:.1f} MB   limit {args.memory_limit_mb} MB with {MARGIN:.0%} margin   "
        f"{verdict(limit_ok)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
