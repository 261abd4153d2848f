#!/usr/bin/env python3
"""Container health checks. Uses only the standard library (no curl in the image).

    python docker/healthcheck.py [/readyz | /healthz]   web: exit 0 when the path answers 200
    python docker/healthcheck.py worker                 worker: exit 0 while its heartbeat is fresh

web: sends the first ALLOWED_HOSTS entry as the Host header, so Django accepts the request
whatever host names the deployment serves. worker: the file the worker's main process touches
every few seconds (invoiceflow/worker_health.py); no broker round trip, so a Redis outage does
not fail it.
"""

from __future__ import annotations

import http.client
import os
import sys
from pathlib import Path


def worker() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from invoiceflow.worker_health import STALE_AFTER_SECONDS, heartbeat_age, heartbeat_path

    age = heartbeat_age()
    if age is None or age > STALE_AFTER_SECONDS:
        said = "none" if age is None else f"{age:.0f} s old"
        sys.stderr.write(f"healthcheck: worker heartbeat {heartbeat_path()}: {said}\n")
        return 1
    return 0


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/readyz"
    if path == "worker":
        return worker()
    port = int(os.environ.get("PORT", "8000"))
    hosts = [h.strip().lstrip(".") for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0] if hosts and hosts[0] != "*" else "localhost"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path, headers={"Host": host, "X-Request-ID": "healthcheck-probe"})
        response = connection.getresponse()
        body = response.read(500).decode("utf-8", "replace")
    except OSError as error:
        sys.stderr.write(f"healthcheck: {path} unreachable on port {port}: {error}\n")
        return 1
    finally:
        connection.close()
    if response.status != 200:
        sys.stderr.write(f"healthcheck: {path} answered {response.status}: {body}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
