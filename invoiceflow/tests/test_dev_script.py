"""The newcomer's commands in `./dev`, run for real: `./dev start --port N` serves on N with every
link in emails pointing there, and a busy package manager is waited for, not a reason to die."""

from __future__ import annotations

import fcntl
import http.cookiejar
import os
import re
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from invoiceflow.testing.processes import (
    free_port,
    port_accepts,
    start_process,
    stop_process,
    tail,
    wait_until,
)
from invoices.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG

REPO = Path(settings.BASE_DIR)
DEV = REPO / "dev"
DPKG_FRONTEND_LOCK = Path("/var/lib/dpkg/lock-frontend")

# The run's own services must not reach `./dev start`: it is the embedded default under test.
_NOT_FOR_THE_EMBEDDED_APP = re.compile(
    r"^(DATABASE_|REDIS_URL|CELERY_|AWS_|EMAIL_|SITE_URL$|PORT$|TEST_DATABASE_NAME$|DJANGO_SETTINGS_MODULE$"
    r"|STRIPE_|SECRET_KEY$|DEBUG$|ALLOWED_HOSTS$|MEDIA_ROOT$|SQLITE_PATH$)"
)


def embedded_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not _NOT_FOR_THE_EMBEDDED_APP.match(k)}
    env.update(
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
        MEDIA_ROOT=str(tmp_path / "media"),
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


class Browser:
    """Just enough of a browser for Django's forms: cookies, and the CSRF token of each form."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base_url + path, timeout=30) as response:
            return response.read().decode()

    def submit(self, path: str, fields: dict[str, str], *, action: str | None = None) -> str:
        """Fill the form on `path` and post it to `action` (the page itself by default)."""
        page = self.get(path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, f"no form on {path}"
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), **fields}).encode()
        with self.opener.open(self.base_url + (action or path), data=body, timeout=30) as response:
            return response.read().decode()


@pytest.fixture
def started_on_its_own_port(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
    log = tmp_path / "dev-start.log"
    process = start_process(
        [str(DEV), "start", "--port", str(port)], env=embedded_env(tmp_path), log_path=log
    )
    try:
        # First start: dependencies checked, migrations on a new SQLite file, the demo workspace.
        if not wait_until(lambda: port_accepts("127.0.0.1", port), timeout=240, interval=0.5):
            pytest.fail(f"./dev start --port {port} never listened:\n{tail(log)}")
        yield port, log
    finally:
        stop_process(process)


def test_dev_start_serves_on_the_port_asked_for_and_emails_link_there(
    started_on_its_own_port: tuple[int, Path],
) -> None:
    port, log = started_on_its_own_port
    base = f"http://127.0.0.1:{port}"
    assert f"InvoiceFlow is running at {base}" in log.read_text()
    assert f"{base}/admin/" in log.read_text(), "the start banner names the admin"
    browser = Browser(base)
    # The public site's absolute links come from SITE_URL, which follows the port.
    assert f"<loc>{base}/" in browser.get("/sitemap.xml")

    browser.submit("/accounts/login/", {"login": DEMO_EMAIL, "password": DEMO_PASSWORD})
    browser.submit(
        f"/t/{DEMO_SLUG}/members/",
        {"email": "newcomer@example.org", "role": "member"},
        action=f"/t/{DEMO_SLUG}/members/invite/",
    )
    assert wait_until(lambda: "newcomer@example.org" in log.read_text(), timeout=20)
    output = log.read_text()
    invitation_links = re.findall(r"http://[^\s/]+/invitations/\S+", output)
    assert invitation_links, f"no invitation link in the email:\n{tail(log)}"
    assert all(link.startswith(f"{base}/invitations/") for link in invitation_links)
    assert ":8000" not in "".join(invitation_links)

    # Account emails carry the product's name, not the Sites framework's "example.com".
    Browser(base).submit(
        "/accounts/signup/",
        {
            "email": "fresh@example.org",
            "password1": "a-long-pass-phrase-7",
            "password2": "a-long-pass-phrase-7",
        },
    )
    assert wait_until(
        lambda: "fresh@example.org" in log.read_text().split("newcomer@example.org")[-1], timeout=20
    )
    output = log.read_text()
    assert "Subject: [InvoiceFlow] Please Confirm Your Email Address" in output
    assert "example.com" not in output


def test_dev_start_refuses_a_port_that_is_not_a_number(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(DEV), "start", "--port", "80a"], env=embedded_env(tmp_path), capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "the port must be a number" in result.stderr


def _run_apt_through_dev(*apt_args: str, wait: int = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    script = f'source "{DEV}"; APT_LOCK_WAIT={wait} apt_get_waiting_for_lock "$@"'
    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-c", script, "dev", *apt_args], capture_output=True, text=True, timeout=180
    )
    return result, time.monotonic() - started


needs_root_apt = pytest.mark.skipif(
    os.geteuid() != 0 or not DPKG_FRONTEND_LOCK.exists(),
    reason="takes the real dpkg lock: needs root on a Debian machine",
)


@needs_root_apt
def test_a_held_package_manager_lock_is_waited_for_with_a_message() -> None:
    held_for = 7.0  # longer than apt's own DPkg::Lock::Timeout (5 s), so the loop must wait
    with DPKG_FRONTEND_LOCK.open("a") as lock:
        # The lock unattended-upgrades or another apt would hold (apt uses fcntl locks).
        fcntl.lockf(lock, fcntl.LOCK_EX)
        releaser = threading.Timer(held_for, fcntl.lockf, (lock, fcntl.LOCK_UN))
        releaser.start()
        try:
            # `apt-get check` takes the same frontend lock as install and changes nothing.
            result, took = _run_apt_through_dev("check", "-qq")
        finally:
            releaser.cancel()
            fcntl.lockf(lock, fcntl.LOCK_UN)
    assert result.returncode == 0, result.stderr
    assert "another package manager is running" in result.stderr
    assert took >= held_for - 0.5


@needs_root_apt
def test_a_lock_held_too_long_gives_up_with_apts_own_error() -> None:
    with DPKG_FRONTEND_LOCK.open("a") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        try:
            result, _ = _run_apt_through_dev("check", "-qq", wait=1)
        finally:
            fcntl.lockf(lock, fcntl.LOCK_UN)
    assert result.returncode != 0
    assert "dpkg frontend lock" in result.stderr


@needs_root_apt
def test_other_apt_failures_are_not_waited_on() -> None:
    result, took = _run_apt_through_dev("install", "-y", "-qq", "no-such-package-invoiceflow")
    assert result.returncode != 0
    assert "Unable to locate package" in result.stderr
    assert "another package manager" not in result.stderr
    assert took < 30
