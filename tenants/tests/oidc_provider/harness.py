"""Start and stop the test OpenID provider (see `serve.py`) from a test fixture."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
STARTUP_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class OIDCProvider:
    base_url: str
    client_id: str
    client_secret: str
    email: str
    password: str

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/o"

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token/"


@contextmanager
def running_provider(
    *,
    state_dir: Path,
    redirect_uri: str,
    client_id: str = "invoiceflow-tests",
    email: str = "ada@provider.test",
) -> Iterator[OIDCProvider]:
    # Fresh credentials per run, so nothing here works against anything else.
    client_secret = secrets.token_urlsafe(32)
    password = secrets.token_urlsafe(16)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tenants.tests.oidc_provider.settings",
        "OIDC_PROVIDER_STATE_DIR": str(state_dir),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = state_dir / "provider.log"
    argv = [
        sys.executable,
        "-m",
        "tenants.tests.oidc_provider.serve",
        f"--client-id={client_id}",
        f"--client-secret={client_secret}",
        f"--redirect-uri={redirect_uri}",
        f"--email={email}",
        f"--password={password}",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(argv, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base_url = _wait_until_ready(process, log_path)
        yield OIDCProvider(
            base_url=base_url,
            client_id=client_id,
            client_secret=client_secret,
            email=email,
            password=password,
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_ready(process: subprocess.Popen, log_path: Path) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for line in log_path.read_text().splitlines():
            if line.startswith("READY "):
                return line.removeprefix("READY ").strip()
        if process.poll() is not None:
            raise RuntimeError(f"the test OpenID provider exited:\n{log_path.read_text()}")
        time.sleep(0.05)
    raise RuntimeError(f"the test OpenID provider did not start in time:\n{log_path.read_text()}")
