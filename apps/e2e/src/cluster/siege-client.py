"""One client of the siege (deploy.cluster.ts), run in a container on the kind network so that it
has a source address of its own: sends N requests at once (released together by a barrier) to the
ingress's NodePort on the node and prints one JSON line: the count of each status and the latencies.

    python siege-client.py <node-ip> <port> <host-header> <method> <path> <count> [json-body]

`{n}` in the body becomes the request's number (0 .. count-1), e.g. one account per request.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def main() -> None:
    node, port, host, method, path, count = sys.argv[1:7]
    template = sys.argv[7] if len(sys.argv) > 7 else None
    n = int(count)
    barrier = threading.Barrier(n)

    def one(i: int) -> tuple[int, float]:
        body = template.replace("{n}", str(i)).encode() if template is not None else None
        req = urllib.request.Request(f"http://{node}:{port}{path}", data=body, method=method)
        req.add_header("Host", host)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        barrier.wait(timeout=60)
        start = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=120) as res:
                res.read()
                status = res.status
        except urllib.error.HTTPError as err:
            err.read()
            status = err.code
        except OSError:
            status = 0
        return status, time.monotonic() - start

    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(one, range(n)))
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    print(json.dumps({"statuses": statuses, "seconds": sorted(round(s, 4) for _, s in results)}))


if __name__ == "__main__":
    main()
