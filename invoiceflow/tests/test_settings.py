"""Production settings: `check --deploy` is clean, unsafe configurations refuse to start, every
variable the settings read is documented in .env.example, Sentry switches on with SENTRY_DSN."""

from __future__ import annotations

import ast
import gzip
import json
import os
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from dotenv import dotenv_values

from invoiceflow.settings import env_bool, env_float, env_int

BASE_DIR = Path(django_settings.BASE_DIR)
SETTINGS_PACKAGE = BASE_DIR / "invoiceflow" / "settings"
ENV_EXAMPLE = BASE_DIR / ".env.example"

# Variables that change what production settings mean; the tests set them explicitly.
_CLEARED = (
    # Browser tests set this for Playwright's event loop; production must never inherit it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DEBUG",
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "USE_X_FORWARDED_HOST",
    "LOG_FORMAT",
    "SENTRY_DSN",
    "TESTING",
    "DJANGO_SETTINGS_MODULE",
)


def real_secret() -> str:
    return secrets.token_urlsafe(48)  # 64 characters


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _CLEARED}
    env.update(
        DEBUG="false",
        SECRET_KEY=real_secret(),
        ALLOWED_HOSTS="invoices.example.com",
        EMAIL_HOST="smtp.example.com",
        DJANGO_SETTINGS_MODULE="invoiceflow.settings",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_values(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}, default=str))"
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- check --deploy ----------------------------------------------------------------------------


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def env_example_as_filled_in() -> dict[str, str]:
    """The environment a newcomer gets from `cp .env.example .env`, filling in only what it marks
    REQUIRED for the app (a real SECRET_KEY, a mail server): nothing inherited from this
    machine's environment."""
    shipped = {key: value for key, value in dotenv_values(ENV_EXAMPLE).items() if value is not None}
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108 (only when HOME is unset)
        **shipped,
        "SECRET_KEY": real_secret(),
        "EMAIL_HOST": "smtp.example.com",
    }


def test_env_example_as_shipped_passes_check_deploy() -> None:
    env = env_example_as_filled_in()
    assert env["DEBUG"] == "false"  # what is checked is production, as the file ships it
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_would_catch_a_weakened_configuration() -> None:
    # The check above can fail: turning HSTS off is reported.
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env(SECURE_HSTS_SECONDS="0")
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_production_settings_are_https_only() -> None:
    values = settings_values(
        production_env(),
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "LANGUAGE_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_REDIRECT_EXEMPT",
        "SECURE_PROXY_SSL_HEADER",
        "ALLOWED_HOSTS",
        "LOG_FORMAT",
    )
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["ALLOWED_HOSTS"] == ["invoices.example.com"]
    assert values["LOG_FORMAT"] == "json"
    # No proxy header is trusted unless the operator says a proxy sets it.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    # The probes, and only they, are exempt from the HTTPS redirect.
    exempt = [re.compile(pattern) for pattern in values["SECURE_REDIRECT_EXEMPT"]]
    for path in ("healthz", "readyz"):
        assert any(pattern.search(path) for pattern in exempt)
    for path in ("", "accounts/login/", "healthz/x", "t/acme/readyz"):
        assert not any(pattern.search(path) for pattern in exempt)


def test_a_proxy_header_is_trusted_only_when_configured() -> None:
    values = settings_values(production_env(SECURE_PROXY_SSL_HEADER="true"), "SECURE_PROXY_SSL_HEADER")
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_development_defaults_log_plain_lines() -> None:
    env = production_env(DEBUG="true", SECRET_KEY=None, ALLOWED_HOSTS=None)
    assert settings_values(env, "LOG_FORMAT") == {"LOG_FORMAT": "plain"}


def test_s3_uploads_run_in_the_calling_thread() -> None:
    code = (
        "import django; django.setup(); from django.core.files.storage import storages; "
        "s = storages['default']; "
        "print(type(s).__name__, s.transfer_config.use_threads)"
    )
    result = run_python(code, production_env(AWS_STORAGE_BUCKET_NAME="invoices"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["S3Storage", "False"]


def test_a_render_logs_weasyprints_warnings_but_not_its_progress() -> None:
    code = (
        "import django, logging; django.setup(); "
        "from documents.render import html_to_pdf; "
        "logging.getLogger('invoices').info('our own line'); "
        "html_to_pdf('<html><body><p style=\"colour: red\">x</p></body></html>')"
    )
    env = production_env(DEBUG="true", SECRET_KEY=None, ALLOWED_HOSTS=None, LOG_LEVEL="INFO")
    env.pop("DATABASE_URL", None)
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    assert "our own line" in result.stderr  # INFO lines are written
    assert "Ignored `colour: red`" in result.stderr  # and WeasyPrint's warnings
    assert "Step 5 - Creating layout" not in result.stderr  # but not its seven steps per PDF


# --- refusing to start -------------------------------------------------------------------------


def assert_refuses(env: dict[str, str], message: str) -> None:
    result = run_manage("check", env=env)
    assert result.returncode != 0, "the process should have refused to start"
    last_line = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in last_line
    assert message in last_line, result.stderr[-2000:]


@pytest.mark.parametrize(
    "secret_key",
    [
        None,
        "",
        "django-insecure-embedded-default-do-not-use-in-production",
        "change-me",
        "a" * 64,
    ],
    ids=["unset", "empty", "placeholder", "short", "one-character-repeated"],
)
def test_production_refuses_to_start_without_a_real_secret_key(secret_key: str | None) -> None:
    assert_refuses(production_env(SECRET_KEY=secret_key), "SECRET_KEY is missing, a placeholder")


def test_production_refuses_a_weak_fallback_key() -> None:
    assert_refuses(production_env(SECRET_KEY_FALLBACKS="old-and-short"), "SECRET_KEY_FALLBACKS")


@pytest.mark.parametrize("hosts", [None, "", " , "])
def test_production_refuses_to_start_without_allowed_hosts(hosts: str | None) -> None:
    assert_refuses(production_env(ALLOWED_HOSTS=hosts), "set ALLOWED_HOSTS")


def test_production_refuses_a_wildcard_host() -> None:
    assert_refuses(production_env(ALLOWED_HOSTS="invoices.example.com,*"), "not '*'")


def test_a_misspelt_boolean_stops_the_process() -> None:
    assert_refuses(production_env(DEBUG="flase"), "DEBUG must be true or false, got 'flase'")


def test_an_unknown_log_format_stops_the_process() -> None:
    assert_refuses(production_env(LOG_FORMAT="xml"), "LOG_FORMAT must be json or plain")


# --- the strict helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[("true", True), ("True", True), (" 1 ", True), ("yes", True), ("on", True)],
        *[("false", False), ("FALSE", False), ("0", False), ("no", False), ("off", False)],
    ],
)
def test_env_bool_accepts_only_clear_answers(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", not expected) is expected


@pytest.mark.parametrize("raw", ["flase", "ture", "2", "y", "enabled", "-"])
def test_env_bool_rejects_garbage(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("DEBUG", raw)
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be true or false"):
        env_bool("DEBUG", True)


def test_env_bool_uses_the_default_when_unset_or_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOME_FLAG", raising=False)
    assert env_bool("SOME_FLAG", True) is True
    monkeypatch.setenv("SOME_FLAG", "  ")
    assert env_bool("SOME_FLAG", False) is False


def test_env_int_and_float_reject_garbage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOME_NUMBER", "12s")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER must be an integer"):
        env_int("SOME_NUMBER", 1)
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER must be a number"):
        env_float("SOME_NUMBER", 1.0)
    monkeypatch.setenv("SOME_NUMBER", "0.25")
    assert env_float("SOME_NUMBER", 1.0) == 0.25


# --- rotating the secret key ---------------------------------------------------------------------


def test_secret_key_fallbacks_keep_old_signatures_valid_during_a_rotation() -> None:
    old_key, new_key = real_secret(), real_secret()
    token = signing.dumps({"invoice": "inv_123"}, key=old_key, salt="rotation-test")
    code = (
        "import django, sys; django.setup(); from django.core import signing; "
        f"print(signing.loads({token!r}, salt='rotation-test')['invoice'])"
    )
    rotated = run_python(code, production_env(SECRET_KEY=new_key, SECRET_KEY_FALLBACKS=old_key))
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.strip() == "inv_123"
    # Once the fallback is removed, the old signature is no longer accepted.
    after = run_python(code, production_env(SECRET_KEY=new_key))
    assert after.returncode != 0
    assert "BadSignature" in after.stderr


# --- .env.example documents every setting --------------------------------------------------------

_READERS = {"env_str", "env_bool", "env_int", "env_float", "env_list", "_oauth_app", "getenv", "get"}


def variables_read_by_settings() -> set[str]:
    """Every upper-case string passed to an environment reader in the settings package."""
    names: set[str] = set()
    nodes = (node for file in SETTINGS_PACKAGE.glob("*.py") for node in ast.walk(ast.parse(file.read_text())))
    for node in nodes:
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name not in _READERS:
            continue
        if name == "get" and "environ" not in ast.unparse(func):
            continue
        # env_*(NAME, default): the name only; _oauth_app(ID_VAR, SECRET_VAR): both.
        for arg in node.args if name == "_oauth_app" else node.args[:1]:
            is_string = isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            if is_string and re.fullmatch(r"[A-Z][A-Z0-9_]+", arg.value):
                names.add(arg.value)
    return names


def documented_variables() -> set[str]:
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))


def test_the_variable_scan_finds_what_settings_read() -> None:
    found = variables_read_by_settings()
    # One of each kind of reader, so the scan itself cannot silently find nothing.
    assert {"DEBUG", "SECRET_KEY", "DATABASE_CONN_MAX_AGE", "ALLOWED_HOSTS", "GOOGLE_CLIENT_SECRET"} <= found
    assert {"SENTRY_TRACES_SAMPLE_RATE", "SECRET_KEY_FALLBACKS"} <= found


def test_every_variable_settings_read_is_documented_in_env_example() -> None:
    missing = sorted(variables_read_by_settings() - documented_variables())
    assert not missing, f"add these to .env.example with a line saying what they do: {missing}"


# --- Sentry --------------------------------------------------------------------------------------


class _EnvelopeCollector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            import brotli  # the SDK only compresses this way when brotli is installed

            body = brotli.decompress(body)
        self.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def sentry_server() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A loopback stand-in for Sentry's ingest endpoint, recording what the SDK sends."""
    received: list[tuple[str, bytes]] = []
    handler = type("Collector", (_EnvelopeCollector,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://publickey@127.0.0.1:{server.server_port}/42", received
    finally:
        server.shutdown()
        server.server_close()


SENTRY_PROBE = (
    "import django; django.setup(); import sentry_sdk; "
    "print(sentry_sdk.get_client().is_active()); "
    "sentry_sdk.capture_message('settings-test-message'); sentry_sdk.flush(timeout=5)"
)


def test_sentry_reports_when_sentry_dsn_is_set(sentry_server: tuple[str, list]) -> None:
    dsn, received = sentry_server
    result = run_python(SENTRY_PROBE, production_env(SENTRY_DSN=dsn, SENTRY_RELEASE="abc123"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[0] == "True"
    assert received, "the SDK sent nothing to the DSN"
    path, body = received[0]
    assert path == "/api/42/envelope/"
    assert b"settings-test-message" in body
    assert b'"release":"abc123"' in body.replace(b" ", b"")
    assert b'"environment":"production"' in body.replace(b" ", b"")


def test_sentry_stays_off_without_a_dsn(sentry_server: tuple[str, list]) -> None:
    _, received = sentry_server
    result = run_python(SENTRY_PROBE, production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[0] == "False"
    assert received == []
