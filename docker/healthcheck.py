#!/usr/bin/env python3
"""Container health check for the web role: exit 0 when /readyz (or the given path) answers 200.

Sends the first ALLOWED_HOSTS entry as the Host header, so Django accepts the request whatever
host names the deployment serves. Uses only the standard library (no curl in the image).

    python docker/healthcheck.py [/readyz | /healthz]
"""

from __future__ import annotations

import http.client
import os
import sys


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/readyz"
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
