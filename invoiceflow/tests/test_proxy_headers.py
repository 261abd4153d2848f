"""Client addresses behind real reverse proxies: nginx (Debian's) in front of the app served by
`docker/entrypoint.sh web`, as the container runs it. A client that sends its own
`X-Forwarded-For` (one per request, to look like many clients) must stay inside the rate limits
of the public invoice link and the API token endpoint; the limit is keyed on the address the
nearest untrusted hop really has.

Everything runs on loopback, where Linux answers every 127.x.y.z address: clients bind their
own (127.0.0.1, .5, ...), and each nginx server connects onwards from its own (`proxy_bind`), so
"a trusted proxy" and "a client" are different addresses as they would be on a network.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings
from django.db import connections

from invoiceflow.testing.processes import (
    free_port,
    port_accepts,
    start_process,
    stop_process,
    tail,
    wait_until,
)

# django_db: the test database must exist (the server under test reads it; the tests write nothing).
pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]

BASE_DIR = Path(settings.BASE_DIR)
ENTRYPOINT = BASE_DIR / "docker" / "entrypoint.sh"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

INNER_PROXY = "127.0.0.2"  # the proxy next to the app (the host's nginx, a load balancer)
OUTER_PROXY = "127.0.0.3"  # a second one in front of it (a CDN)
LINK_LIMIT = 5
TOKEN_LIMIT = 20  # api/views/auth.py TOKEN_RATE_LIMIT
RESET_LIMIT = 20  # settings.ACCOUNT_RATE_LIMITS["reset_password"], per address
RESET = "/accounts/password/reset/"

# Variables of the test run that must not reach the app under test.
_NOT_INHERITED = {
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "DATABASE_CONNECT_AS_OWNER",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "TEST_DATABASE_NAME",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "TESTING",
    "DJANGO_SETTINGS_MODULE",
    "FORWARDED_ALLOW_IPS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def spoofed_headers(number: int) -> dict[str, str]:
    """What a guesser sends to look like a new client each time, including entries that name a
    trusted proxy, hoping the walk skips past its real address."""
    fake = f"203.0.113.{number % 250 + 1}"
    return {
        "X-Forwarded-For": f"{fake}, {INNER_PROXY}" if number % 2 else fake,
        "X-Real-IP": fake,
        "Forwarded": f"for={fake}",
    }


@dataclass
class Hop:
    port: int

    def exchange(
        self, method: str, path: str, *, source: str, headers: dict[str, str], body: bytes | None = None
    ) -> tuple[int, http.client.HTTPMessage, str]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=20, source_address=(source, 0)
        )
        try:
            connection.request(method, path, body=body, headers={"Host": "127.0.0.1", **headers})
            response = connection.getresponse()
            return response.status, response.headers, response.read().decode(errors="replace")
        finally:
            connection.close()

    def request(
        self, method: str, path: str, *, source: str, headers: dict[str, str], body: bytes | None = None
    ) -> int:
        return self.exchange(method, path, source=source, headers=headers, body=body)[0]

    def guess_links(self, count: int, *, source: str, first: int = 0) -> list[int]:
        return [
            self.request("GET", f"/i/{secrets.token_urlsafe(24)}", source=source, headers=spoofed_headers(n))
            for n in range(first, first + count)
        ]

    def bad_tokens(self, count: int, *, source: str) -> list[int]:
        # A body without the fields: refused after the rate limit is counted, without hashing.
        return [
            self.request(
                "POST",
                "/api/v1/auth/token/",
                source=source,
                headers={"Content-Type": "application/json", **spoofed_headers(n)},
                body=json.dumps({"email": f"guess{n}@example.com"}).encode(),
            )
            for n in range(count)
        ]

    def password_resets(self, count: int, *, source: str) -> list[int]:
        """allauth's reset form, for addresses with no account (a mail saying so each time)."""
        status, headers, page = self.exchange("GET", RESET, source=source, headers={})
        assert status == 200, page[:500]
        cookie = next(c for c in headers.get_all("Set-Cookie") or [] if c.startswith("csrftoken="))
        form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert form_token, page[:500]
        return [
            self.request(
                "POST",
                RESET,
                source=source,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookie.split(";", 1)[0],
                    **spoofed_headers(n),
                },
                body=urlencode(
                    {"csrfmiddlewaretoken": form_token[1], "email": f"nobody{n}@example.com"}
                ).encode(),
            )
            for n in range(count)
        ]


def _database_url() -> str:
    name = connections["default"].settings_dict["NAME"]
    assert name.startswith("test_"), f"not a test database: {name}"
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


def _forget_loopback_hits() -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    for pattern in ("ratelimit:invoice-link:127.*", "ratelimit:api-token:ip:127.*"):
        for key in client.scan_iter(pattern):
            client.delete(key)


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Callable[[str], Hop]]:
    """Start `entrypoint.sh web` (uvicorn, one process) on the test database with a given
    FORWARDED_ALLOW_IPS; stopped by its PID."""
    started = []

    def start(forwarded_allow_ips: str) -> Hop:
        port = free_port()
        env = {key: value for key, value in os.environ.items() if key not in _NOT_INHERITED}
        env.update(
            PYTHON=sys.executable,
            DATABASE_URL=_database_url(),
            REDIS_URL=settings.REDIS_URL,
            DEBUG="false",
            # Static files from the source tree (no collectstatic manifest in a checkout).
            TESTING="true",
            SECRET_KEY=secrets.token_urlsafe(48),
            ALLOWED_HOSTS="127.0.0.1",
            EMAIL_PROVIDER="console",
            SECURE_SSL_REDIRECT="false",
            MIGRATE_ON_START="false",
            WEB_CONCURRENCY="1",
            HOST="127.0.0.1",
            PORT=str(port),
            MEDIA_ROOT=str(tmp_path / "media"),
            INVOICE_LINK_RATE_LIMIT=str(LINK_LIMIT),
            FORWARDED_ALLOW_IPS=forwarded_allow_ips,
            # allauth's limits live in the cache: a fresh key space for each server.
            CACHE_KEY_PREFIX=f"proxy-test-{secrets.token_hex(6)}",
            PYTHONUNBUFFERED="1",
        )
        log = tmp_path / f"web-{port}.log"
        process = start_process(["bash", str(ENTRYPOINT), "web"], env=env, log_path=log, cwd=BASE_DIR)
        started.append(process)
        hop = Hop(port)
        up = wait_until(
            lambda: process.poll() is None and port_accepts("127.0.0.1", port),
            timeout=60,
            interval=0.2,
        )
        assert up, f"web did not start:\n{tail(log)}"
        assert hop.request("GET", "/healthz", source="127.0.0.1", headers={}) == 200, tail(log)
        return hop

    yield start
    for process in started:
        stop_process(process)


NGINX_CONF = """
daemon off;
master_process off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    # The proxy next to the app: appends the address it sees to X-Forwarded-For.
    server {{
        listen 127.0.0.1:{inner_port};
        location / {{
            proxy_pass http://127.0.0.1:{app_port};
            proxy_bind {inner};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
    # A proxy in front of that one (a CDN): the chain is client -> outer -> inner -> app.
    server {{
        listen 127.0.0.1:{outer_port};
        location / {{
            proxy_pass http://127.0.0.1:{inner_port};
            proxy_bind {outer};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@dataclass
class Proxies:
    inner: Hop
    outer: Hop


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[Callable[[Hop], Proxies]]:
    started = []

    def start(app: Hop) -> Proxies:
        directory = tmp_path / f"nginx-{app.port}"
        directory.mkdir()
        inner_port, outer_port = free_port(), free_port()
        conf = directory / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                dir=directory,
                app_port=app.port,
                inner_port=inner_port,
                outer_port=outer_port,
                inner=INNER_PROXY,
                outer=OUTER_PROXY,
            )
        )
        log = directory / "nginx.out"
        argv = [NGINX, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
        process = start_process(argv, env=dict(os.environ), log_path=log)
        started.append(process)
        up = wait_until(
            lambda: port_accepts("127.0.0.1", inner_port) and port_accepts("127.0.0.1", outer_port),
            timeout=10,
        )
        assert up, f"nginx did not start:\n{tail(log)}\n{tail(directory / 'error.log')}"
        return Proxies(Hop(inner_port), Hop(outer_port))

    yield start
    for process in started:
        stop_process(process)


def env_example_value(name: str) -> str:
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1].strip()
    raise AssertionError(f"{name} is not set in .env.example")


def limited_after(statuses: list[int], limit: int, allowed: int) -> bool:
    return statuses[:limit] == [allowed] * limit and set(statuses[limit:]) == {429}


def test_with_env_example_settings_spoofed_headers_do_not_escape_the_limits(web, nginx) -> None:
    """.env.example's FORWARDED_ALLOW_IPS (which once was `*`, letting the leftmost,
    client-written entry win: 200 guesses went through) leaves every limit in place."""
    _forget_loopback_hits()
    proxies = nginx(web(env_example_value("FORWARDED_ALLOW_IPS")))

    statuses = proxies.inner.guess_links(LINK_LIMIT + 3, source="127.0.0.1")
    assert limited_after(statuses, LINK_LIMIT, 404), statuses
    statuses = proxies.inner.bad_tokens(TOKEN_LIMIT + 3, source="127.0.0.1")
    assert limited_after(statuses, TOKEN_LIMIT, 400), statuses
    statuses = proxies.inner.password_resets(RESET_LIMIT + 2, source="127.0.0.1")
    assert limited_after(statuses, RESET_LIMIT, 302), statuses


def test_behind_trusted_proxies_the_limit_follows_the_real_client(web, nginx) -> None:
    _forget_loopback_hits()
    app = web(f"{INNER_PROXY},{OUTER_PROXY}/32")
    proxies = nginx(app)

    # Through one proxy: the client's own headers change nothing; its address is what counts.
    statuses = proxies.inner.guess_links(LINK_LIMIT + 3, source="127.0.0.1")
    assert limited_after(statuses, LINK_LIMIT, 404), statuses
    # ...so another client behind the same proxy is not held back by the first one.
    assert proxies.inner.guess_links(LINK_LIMIT, source="127.0.0.5") == [404] * LINK_LIMIT

    # Through two proxies, both trusted: the same, keyed on the address the outer one saw.
    statuses = proxies.outer.guess_links(LINK_LIMIT + 3, source="127.0.0.6")
    assert limited_after(statuses, LINK_LIMIT, 404), statuses
    assert proxies.outer.guess_links(LINK_LIMIT, source="127.0.0.7") == [404] * LINK_LIMIT

    # Straight to the app from an address that is no proxy: its X-Forwarded-For is ignored.
    statuses = app.guess_links(LINK_LIMIT + 3, source="127.0.0.8")
    assert limited_after(statuses, LINK_LIMIT, 404), statuses

    # The API token endpoint keys on the same address.
    statuses = proxies.inner.bad_tokens(TOKEN_LIMIT + 3, source="127.0.0.9")
    assert limited_after(statuses, TOKEN_LIMIT, 400), statuses
    assert proxies.outer.bad_tokens(1, source="127.0.0.10") == [400]

    # So do allauth's (sign-in failures, sign-ups, password resets).
    statuses = proxies.outer.password_resets(RESET_LIMIT + 2, source="127.0.0.13")
    assert limited_after(statuses, RESET_LIMIT, 302), statuses
    assert proxies.outer.password_resets(1, source="127.0.0.14") == [302]


def test_only_the_inner_proxy_trusted_keys_every_client_of_the_outer_one_together(web, nginx) -> None:
    """A proxy missing from the list is treated as the client: its users share one limit
    (too strict, never spoofable)."""
    _forget_loopback_hits()
    proxies = nginx(web(INNER_PROXY))
    assert proxies.outer.guess_links(LINK_LIMIT, source="127.0.0.11") == [404] * LINK_LIMIT
    assert proxies.outer.guess_links(1, source="127.0.0.12", first=LINK_LIMIT) == [429]


def test_the_web_role_does_not_start_with_a_wildcard(tmp_path: Path) -> None:
    """What an old .env (FORWARDED_ALLOW_IPS=*) gets: a clear refusal, not a spoofable server."""
    env = {key: value for key, value in os.environ.items() if key not in _NOT_INHERITED}
    port = free_port()
    env.update(
        PYTHON=sys.executable,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_PROVIDER="console",
        MIGRATE_ON_START="false",
        WEB_CONCURRENCY="1",
        HOST="127.0.0.1",
        PORT=str(port),
        FORWARDED_ALLOW_IPS="*",
    )
    result = subprocess.run(
        ["bash", str(ENTRYPOINT), "web"], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "FORWARDED_ALLOW_IPS=* lets every client choose its own address" in result.stderr
    assert not port_accepts("127.0.0.1", port)
