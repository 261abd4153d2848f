"""A small load generator for tests and benchmarks: N clients on keep-alive HTTP connections,
each sending its next request as soon as the last one answered, while a sampler counts the web
server's database connections in `pg_stat_activity`.

Threads in one process are enough here: the clients mostly wait on the server (the point is
the server's concurrency, not the client's throughput).
"""

from __future__ import annotations

import collections
import http.client
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

from invoiceflow.testing.web_server import WebServer, database_connections


@dataclass(frozen=True)
class Client:
    """One simulated client: its request and what its answer must contain to count as right."""

    path: str
    headers: dict[str, str]
    # Called with the body of each 200 answer: returns a complaint, or None when it is right.
    check: Callable[[bytes], str | None] = lambda body: None


@dataclass
class LoadResult:
    seconds: float
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    errors: list[str] = field(default_factory=list)  # transport errors and wrong bodies
    samples: list[int] = field(default_factory=list)  # the server's connection count over time
    latencies: list[float] = field(default_factory=list)  # seconds, one per answered request
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds

    def latency_percentile(self, percent: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100)[percent - 1]

    @property
    def max_connections(self) -> int:
        return max(self.samples, default=0)

    @property
    def mean_connections(self) -> float:
        return statistics.fmean(self.samples) if self.samples else 0.0


def _client_loop(server: WebServer, client: Client, stop: threading.Event, result: LoadResult) -> None:
    connection: http.client.HTTPConnection | None = None
    while not stop.is_set():
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            sent = time.monotonic()
            connection.request("GET", client.path, headers=client.headers)
            response = connection.getresponse()
            body = response.read()
            took = time.monotonic() - sent
            complaint = client.check(body) if response.status == 200 else None
            with result.lock:
                result.statuses[response.status] += 1
                result.latencies.append(took)
                if complaint:
                    result.errors.append(complaint)
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException) as error:
            with result.lock:
                result.errors.append(f"{type(error).__name__}: {error}")
            if connection is not None:
                connection.close()
            connection = None
            time.sleep(0.05)
    if connection is not None:
        connection.close()


def run_load(
    server: WebServer, clients: list[Client], *, seconds: float, monitor_url: str, interval: float = 0.1
) -> LoadResult:
    """Drive `clients` at the server for `seconds`; sample its connections every `interval`."""
    result = LoadResult(seconds=seconds)
    stop = threading.Event()
    threads = [
        threading.Thread(target=_client_loop, args=(server, client, stop, result), daemon=True)
        for client in clients
    ]
    with psycopg.connect(monitor_url, autocommit=True) as monitor:
        started = time.monotonic()
        for thread in threads:
            thread.start()
        while time.monotonic() - started < seconds:
            result.samples.append(database_connections(monitor, server))
            time.sleep(interval)
        stop.set()
        for thread in threads:
            thread.join(timeout=70)
        result.seconds = time.monotonic() - started
        # Connections still open once the load is gone (kept by the server, not in use).
        result.samples.append(database_connections(monitor, server))
    return result
