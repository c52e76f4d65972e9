"""The load generator: a separate process that sends HTTP requests to the bench's gunicorn.

Reads a JSON plan on stdin and prints JSON results on stdout:
- ``{"mode": "latency", "base": url, "cookie": "...", "targets": [[name, path], …], "rounds": R,
  "per_round": K}``: R rounds; in each, K requests to every target in turn (targets and their
  reference alternate), one at a time over a kept-alive connection — latencies in ms per target;
- ``{"mode": "throughput", …, "path": p, "concurrency": C, "seconds": S}``: C connections
  requesting ``p`` for S seconds — requests per second and latencies.
A response other than 200 is counted as an error (and reported).
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


class Connection:
    def __init__(self, base: str, cookie: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookie = cookie
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def get(self, path: str) -> tuple[float, int]:
        headers = {"Cookie": self.cookie, "Accept": "text/html,application/json", "Host": "127.0.0.1"}
        started = time.perf_counter()
        try:
            self.connection.request("GET", path, headers=headers)
            response = self.connection.getresponse()
            response.read()
            status = response.status
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
            status = 0
        return (time.perf_counter() - started) * 1000, status


def latency(plan: dict) -> dict:
    connection = Connection(plan["base"], plan["cookie"])
    results = {name: {"ms": [], "errors": []} for name, _path in plan["targets"]}
    for _name, path in plan["targets"]:  # warm-up: one request each
        connection.get(path)
    for _ in range(plan["rounds"]):
        for name, path in plan["targets"]:
            for _ in range(plan["per_round"]):
                ms, status = connection.get(path)
                if status == 200:
                    results[name]["ms"].append(ms)
                else:
                    results[name]["errors"].append(status)
    return results


def throughput(plan: dict) -> dict:
    deadline = time.perf_counter() + plan["seconds"]
    timings: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        connection = Connection(plan["base"], plan["cookie"])
        connection.get(plan["path"])  # warm-up
        while time.perf_counter() < deadline:
            ms, status = connection.get(plan["path"])
            with lock:
                (timings if status == 200 else errors).append(ms if status == 200 else status)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(plan["concurrency"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"ms": timings, "errors": errors, "seconds": elapsed, "rps": len(timings) / elapsed}


def main() -> None:
    plan = json.load(sys.stdin)
    result = latency(plan) if plan["mode"] == "latency" else throughput(plan)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
