"""An HTTP load generator for the throughput figures: each client is its own process.

Clients used to be threads in the benchmark process; with the GIL they shared one core and
capped the request rate of the cheap endpoint far more than of a real page, so the ratio
between the two said more about the load generator than about the app. Here every client is
a separate process with its own keep-alive `http.client` connection (reopened whenever the
server closes it, as gunicorn's sync workers do after each response). All clients warm up
together, then measure together over the same window; a response other than 200, or a
connection that fails, is an error, counted and reported, never a success.

Also measured over the window, from /proc (Linux): the CPU time the server's processes and
the clients spent, per successful request. CPU time per request changes much less than
requests per second when other work shares the machine.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Run:
    """What one load run measured."""

    path: str
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return len(self.latencies_ms)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def add(self, other: Run) -> None:
        """Fold another window on the same path into this one (rounds of one measurement)."""
        self.seconds += other.seconds
        self.latencies_ms += other.latencies_ms
        self.errors.update(other.errors)
        self.client_cpu_seconds += other.client_cpu_seconds
        for name, used in other.server_cpu_seconds.items():
            self.server_cpu_seconds[name] = self.server_cpu_seconds.get(name, 0.0) + used

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)
        per_ok = max(self.ok, 1)
        return {
            "path": self.path.split("?")[0],
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "requests": self.ok,
            "errors": self.error_count,
            "error_kinds": dict(self.errors),
            "per_second": round(self.ok / self.seconds, 1),
            "median_ms": round(statistics.median(ordered), 2) if ordered else None,
            "p95_ms": round(percentile(ordered, 0.95), 2) if ordered else None,
            "client_cpu_ms_per_request": round(1000 * self.client_cpu_seconds / per_ok, 3),
            **{f"{name}_cpu_ms_per_request": round(1000 * used / per_ok, 3)
               for name, used in self.server_cpu_seconds.items()},
            "cpu_ms_per_request": round(1000 * (self.client_cpu_seconds + sum(
                self.server_cpu_seconds.values())) / per_ok, 3),
        }


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of an already sorted list."""
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU seconds used so far by these processes (0 for any that is gone)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / _TICKS


def children(pid: int) -> list[int]:
    """The direct child processes of pid (gunicorn's workers, for its master)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _client(port: int, path: str, headers: dict[str, str], timing: Any, ready: Any,
            out: Connection) -> None:
    """One client: request path in a loop until the window ends; send back what it saw."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ready.wait()
    warm_until, stop_at = timing[0], timing[1]
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    cpu_start: float | None = None
    while True:
        started = time.monotonic()
        if started >= stop_at:
            break
        if cpu_start is None and started >= warm_until:
            cpu_start = time.process_time()
        status: int | None = None
        kind = ""
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            conn.close()  # the next request opens a fresh connection
            kind = type(error).__name__
        finished = time.monotonic()
        # A request counts in the window it finished in (warm-up ones and late ones do not).
        if not warm_until <= finished < stop_at:
            continue
        if status == 200:
            latencies.append(1000 * (finished - started))
        else:
            errors[kind or f"HTTP {status}"] += 1
    cpu = time.process_time() - cpu_start if cpu_start is not None else 0.0
    conn.close()
    out.send((latencies, dict(errors), cpu))
    out.close()


def hammer(port: int, path: str, *, cookie: str = "", clients: int, seconds: float,
           warmup: float, processes_to_watch: Callable[[], dict[str, list[int]]] | None = None
           ) -> Run:
    """Run `clients` processes against path: warm up for `warmup` s, then measure `seconds`.

    processes_to_watch, called as the window opens (after warm-up, so database connections
    exist), names groups of processes (e.g. "server": gunicorn's workers) whose CPU time over
    the window is reported per successful request.
    """
    context = multiprocessing.get_context("fork")
    timing = context.Array("d", 2, lock=False)
    ready = context.Barrier(clients + 1)
    headers = {"Cookie": cookie} if cookie else {}
    pipes: list[Connection] = []
    processes = []
    for _ in range(clients):
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_client,
                                  args=(port, path, headers, timing, ready, send), daemon=True)
        process.start()
        send.close()
        pipes.append(receive)
        processes.append(process)
    # The window is set before the barrier lets the clients go, so they all read it.
    start = time.monotonic() + 0.2
    timing[0], timing[1] = start + warmup, start + warmup + seconds
    ready.wait()
    time.sleep(max(0.0, timing[0] - time.monotonic()))
    groups = processes_to_watch() if processes_to_watch else {}
    before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    time.sleep(max(0.0, timing[1] - time.monotonic()))
    after = {name: cpu_seconds(pids) for name, pids in groups.items()}
    run = Run(path=path, clients=clients, seconds=seconds,
              server_cpu_seconds={name: after[name] - before[name] for name in groups})
    for receive in pipes:
        latencies, errors, cpu = receive.recv()
        run.latencies_ms += latencies
        run.errors.update(errors)
        run.client_cpu_seconds += cpu
    for process in processes:
        process.join(timeout=60)
    return run
