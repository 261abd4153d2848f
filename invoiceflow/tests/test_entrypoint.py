"""The container entrypoint's steps, run outside a container exactly as the image runs them:
docker/wait-for-services.py, docker/migrate.py (through `entrypoint.sh migrate`) and
`entrypoint.sh web|worker|beat`, against the real PostgreSQL and Redis."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings as django_settings

from invoiceflow.celery import app as celery_app
from invoiceflow.logging import request_id_var
from invoiceflow.testing.s3 import S3Server

BASE_DIR = Path(django_settings.BASE_DIR)
DOCKER = BASE_DIR / "docker"
ENTRYPOINT = DOCKER / "entrypoint.sh"
WAIT = DOCKER / "wait-for-services.py"

# Variables of the test run that must not leak into the processes under test.
_SERVICE_VARS = (
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "DATABASE_CONNECT_AS_OWNER",
    "DATABASE_APP_ROLE",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_QUEUE_PREFIX",
    "TEST_DATABASE_NAME",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "LOG_FORMAT",
    "TESTING",
    "SENTRY_DSN",
    "DJANGO_SETTINGS_MODULE",
    "MIGRATE_ON_START",
    "CREATE_BUCKET",
    "AWS_STORAGE_BUCKET_NAME",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


closed_port = free_port  # bound and released: nothing listens there


def clean_env(**overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in _SERVICE_VARS}
    env.update(PYTHON=sys.executable, WAIT_TIMEOUT="20", PYTHONUNBUFFERED="1")
    env.update(overrides)
    return env


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """What a container gets: DEBUG off, a real key, JSON logs, media in its own directory."""
    return clean_env(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        EMAIL_PROVIDER="console",
        MEDIA_ROOT=str(tmp_path / "media"),
        **overrides,
    )


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=timeout)


class Process:
    """A server started from the tests, output to files, stopped by its own PID."""

    def __init__(self, args: list[str], env: dict[str, str], log_dir: Path, name: str) -> None:
        self.stdout_path = log_dir / f"{name}.out"
        self.stderr_path = log_dir / f"{name}.err"
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.popen = subprocess.Popen(args, cwd=BASE_DIR, env=env, stdout=out, stderr=err)

    @property
    def output(self) -> str:
        return self.stdout_path.read_text() + self.stderr_path.read_text()

    def wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                pytest.fail(f"exited ({self.popen.returncode}) before {what}:\n{self.output[-4000:]}")
            if condition():
                return
            time.sleep(0.3)
        pytest.fail(f"not {what} within {timeout}s:\n{self.output[-4000:]}")

    def stop(self) -> int:
        if self.popen.poll() is None:
            os.kill(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        return self.popen.returncode


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    started: list[Process] = []

    def start(role: str, env: dict[str, str], *extra: str) -> Process:
        process = Process(["bash", str(ENTRYPOINT), role, *extra], env, tmp_path, role)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 (loopback only)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def answers(url: str) -> bool:
    try:
        return http_get(url)[0] == 200
    except OSError:
        return False


def json_lines(text: str) -> list[dict]:
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except ValueError:
                continue
    return found


# --- waiting for the services ------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
def test_wait_succeeds_when_postgres_and_redis_are_up() -> None:
    env = clean_env(DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=os.environ["REDIS_URL"])
    result = run([sys.executable, str(WAIT), "--timeout", "10"], env)
    assert result.returncode == 0, result.stderr
    assert "database at postgresql://" in result.stdout
    assert "redis at redis://" in result.stdout


def test_wait_fails_clearly_when_the_database_port_is_closed() -> None:
    port = closed_port()
    env = clean_env(DATABASE_URL=f"postgresql://app:hunter2secret@127.0.0.1:{port}/invoiceflow")
    started = time.monotonic()
    result = run([sys.executable, str(WAIT), "--timeout", "2", "--interval", "0.5"], env)
    assert result.returncode == 1
    assert time.monotonic() - started < 15
    message = result.stderr.strip()
    assert f"database at postgresql://127.0.0.1:{port}/invoiceflow not reachable after 2s" in message
    assert "Traceback" not in message
    assert "hunter2secret" not in message + result.stdout


def test_wait_fails_clearly_when_the_redis_port_is_closed() -> None:
    port = closed_port()
    env = clean_env(REDIS_URL=f"redis://:redispass@127.0.0.1:{port}/0")
    result = run([sys.executable, str(WAIT), "--timeout", "2", "--interval", "0.5"], env)
    assert result.returncode == 1
    assert f"redis at redis://127.0.0.1:{port}/0 not reachable after 2s" in result.stderr
    assert "redispass" not in result.stderr + result.stdout


def test_wait_has_nothing_to_do_on_the_embedded_default() -> None:
    result = run([sys.executable, str(WAIT), "--timeout", "1"], clean_env())
    assert result.returncode == 0
    assert "nothing to wait for" in result.stdout


def test_entrypoint_stops_before_the_role_when_the_database_never_comes_up(tmp_path: Path) -> None:
    env = production_env(
        tmp_path,
        DATABASE_URL=f"postgresql://app@127.0.0.1:{closed_port()}/invoiceflow",
        WAIT_TIMEOUT="2",
    )
    result = run(["bash", str(ENTRYPOINT), "web"], env, timeout=60)
    assert result.returncode == 1
    assert "not reachable after 2s" in result.stderr
    assert "starting web" not in result.stderr


# --- migrating as the owner, on a fresh database -------------------------------------------------


@pytest.fixture(scope="module")
def fresh_database() -> Iterator[dict[str, str]]:
    """An empty database owned by the owner role, migrated by `entrypoint.sh migrate`."""
    if not django_settings.DATABASE_OWNER:
        pytest.skip("needs PostgreSQL with an owner role: set DATABASE_URL and DATABASE_OWNER_URL")
    base = os.environ.get("TEST_DATABASE_NAME") or "test_invoiceflow"
    name = f"{base}_entrypoint"
    owner_url = os.environ["DATABASE_OWNER_URL"]
    with psycopg.connect(owner_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    urls = {
        "DATABASE_URL": with_database(os.environ["DATABASE_URL"], name),
        "DATABASE_OWNER_URL": with_database(owner_url, name),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
    }
    # Two processes at once, as when several web containers start together: the advisory
    # lock makes one wait for the other, and both succeed.
    env = clean_env(DATABASE_URL=urls["DATABASE_URL"], DATABASE_OWNER_URL=urls["DATABASE_OWNER_URL"])
    runs = [
        subprocess.Popen(
            ["bash", str(ENTRYPOINT), "migrate"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=300)[0] for process in runs]
    urls["migrate_output"] = "\n".join(outputs)
    urls["migrate_codes"] = ",".join(str(process.returncode) for process in runs)
    try:
        yield urls
    finally:
        with psycopg.connect(owner_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.mark.postgres
def test_migrate_runs_as_the_owner_on_a_fresh_database(fresh_database: dict[str, str]) -> None:
    assert fresh_database["migrate_codes"] == "0,0", fresh_database["migrate_output"]
    output = fresh_database["migrate_output"]
    owner = urlsplit(fresh_database["DATABASE_OWNER_URL"]).username
    assert f"applying migrations on postgresql as {owner}" in output
    # Exactly one of the two applied them; the other found nothing left to do.
    assert output.count("Applying tenants.0001_initial... OK") == 1
    assert "No migrations to apply." in output


@pytest.mark.postgres
def test_after_migrating_the_app_role_has_data_access_but_owns_nothing(
    fresh_database: dict[str, str],
) -> None:
    app_url = fresh_database["DATABASE_URL"]
    app_role = urlsplit(app_url).username
    owner = urlsplit(fresh_database["DATABASE_OWNER_URL"]).username
    with psycopg.connect(app_url) as connection:
        owners = dict(
            connection.execute(
                "SELECT tableowner, count(*) FROM pg_tables WHERE schemaname = 'public' GROUP BY 1"
            ).fetchall()
        )
        assert set(owners) == {owner}, owners
        assert app_role not in owners
        assert owners[owner] > 10
        # The app role reads and writes data...
        applied = connection.execute("SELECT count(*) FROM django_migrations").fetchone()[0]
        assert applied > 10
        can_write = connection.execute(
            "SELECT has_table_privilege(current_user, 'tenants_user', 'INSERT, UPDATE, DELETE')"
        ).fetchone()[0]
        assert can_write is True
        # ...but cannot change the schema.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("ALTER TABLE tenants_user ADD COLUMN nope integer")


# --- starting the roles --------------------------------------------------------------------------


def assert_serves(process: Process, port: int) -> None:
    base = f"http://127.0.0.1:{port}"
    process.wait_until(lambda: answers(f"{base}/healthz"), timeout=60, what="answering /healthz")
    status, headers, body = http_get(f"{base}/healthz", {"X-Request-ID": "entrypoint-test-0001"})
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    assert headers["x-request-id"] == "entrypoint-test-0001"
    status, _, body = http_get(f"{base}/readyz")
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"
    # DEBUG is off: everything but the probes is redirected to HTTPS.
    status, headers, _ = http_get(f"{base}/accounts/login/", {"X-Request-ID": "entrypoint-test-0002"})
    assert status == 301
    assert headers["location"].startswith("https://127.0.0.1")
    # The image's health check script agrees.
    check = run(
        [sys.executable, str(DOCKER / "healthcheck.py"), "/readyz"],
        clean_env(PORT=str(port), ALLOWED_HOSTS="127.0.0.1"),
    )
    assert check.returncode == 0, check.stderr


# A clean exit after SIGTERM: 0, or the signal re-raised once shut down (uvicorn does that).
STOPPED_CLEANLY = (0, -signal.SIGTERM)


def assert_stopped_with_json_access_log(process: Process) -> None:
    assert process.stop() in STOPPED_CLEANLY, process.output[-3000:]
    assert "Finished server process" in process.output
    access = [line for line in json_lines(process.output) if line.get("logger") == "invoiceflow.access"]
    assert any(
        line.get("request_id") == "entrypoint-test-0002" and line.get("http_status") == 301 for line in access
    ), process.output[-3000:]


@pytest.mark.postgres
@pytest.mark.redis
def test_entrypoint_web_serves_the_asgi_app(
    fresh_database: dict[str, str], processes: Callable[..., Process], tmp_path: Path
) -> None:
    port = free_port()
    env = production_env(
        tmp_path,
        DATABASE_URL=fresh_database["DATABASE_URL"],
        DATABASE_OWNER_URL=fresh_database["DATABASE_OWNER_URL"],
        REDIS_URL=fresh_database["REDIS_URL"],
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
    )
    web = processes("web", env)
    assert_serves(web, port)
    assert "No migrations to apply." in web.output  # migrated on start: already up to date
    assert_stopped_with_json_access_log(web)


def test_entrypoint_web_migrates_and_serves_on_the_embedded_default(
    processes: Callable[..., Process], tmp_path: Path
) -> None:
    port = free_port()
    env = production_env(tmp_path, SQLITE_PATH=str(tmp_path / "db.sqlite3"), HOST="127.0.0.1", PORT=str(port))
    env["WEB_CONCURRENCY"] = "1"
    web = processes("web", env)
    assert_serves(web, port)
    assert "Applying tenants.0001_initial... OK" in web.output
    assert_stopped_with_json_access_log(web)


@pytest.mark.redis
def test_entrypoint_worker_answers_ping_and_logs_the_request_id_of_a_task(
    processes: Callable[..., Process], tmp_path: Path
) -> None:
    queue = f"entrypoint-test-{uuid.uuid4().hex[:12]}"
    node = f"{queue}@{socket.gethostname()}"
    env = production_env(
        tmp_path,
        REDIS_URL=os.environ["REDIS_URL"],
        CELERY_QUEUE_PREFIX=f"{queue}.",
        CELERY_WORKER_CONCURRENCY="1",
    )
    if django_settings.DATABASE_OWNER:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    worker = processes("worker", env, "--hostname", node, "--without-mingle", "--without-gossip")

    def pong() -> bool:
        ping = run(
            [sys.executable, "-m", "celery", "-A", "invoiceflow", "inspect", "ping", "-d", node, "-t", "3"],
            env,
            timeout=60,
        )
        return ping.returncode == 0 and "pong" in ping.stdout

    worker.wait_until(pong, timeout=90, what="answering celery inspect ping")

    # A task published while a request id is set runs in the worker with that id on its logs.
    token = request_id_var.set("entrypoint-task-0001")
    try:
        result = celery_app.send_task("celery.accumulate", args=(7,), queue=f"{queue}.default")
    finally:
        request_id_var.reset(token)
    assert result.get(timeout=30) == [7]  # accumulate returns its arguments
    assert worker.stop() in STOPPED_CLEANLY, worker.output[-3000:]
    traced = [line for line in json_lines(worker.output) if line.get("logger") == "celery.app.trace"]
    assert any(line.get("request_id") == "entrypoint-task-0001" for line in traced), worker.output[-3000:]


@pytest.mark.redis
def test_entrypoint_beat_starts(processes: Callable[..., Process], tmp_path: Path) -> None:
    env = clean_env(
        REDIS_URL=os.environ["REDIS_URL"],
        CELERY_BEAT_SCHEDULE_FILE=str(tmp_path / "beat-schedule"),
        LOG_FORMAT="plain",
        # Debug: beat says "Ticking" only once its scheduler is built and its loop runs; a stop
        # sent after "Starting..." alone can land mid-construction and exit with a traceback.
        LOG_LEVEL="DEBUG",
    )
    if django_settings.DATABASE_OWNER:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    beat = processes("beat", env)
    beat.wait_until(lambda: "beat: Starting..." in beat.output, timeout=60, what="starting beat")
    beat.wait_until(lambda: "Ticking with max interval" in beat.output, timeout=60, what="beat's loop")
    assert beat.stop() in STOPPED_CLEANLY, beat.output[-3000:]
    assert list(tmp_path.glob("beat-schedule*")), "beat kept no schedule state"


# --- the bucket, created on first start ----------------------------------------------------------


def test_create_bucket_creates_the_bucket_once(s3_server: S3Server) -> None:
    bucket = f"entrypoint-{uuid.uuid4().hex[:10]}"
    env = clean_env(**s3_server.environ(bucket), WAIT_TIMEOUT="10")
    first = run([sys.executable, str(DOCKER / "create-bucket.py")], env)
    assert first.returncode == 0, first.stderr
    assert f"bucket '{bucket}' created" in first.stdout
    s3_server.client().head_bucket(Bucket=bucket)  # it is really there
    again = run([sys.executable, str(DOCKER / "create-bucket.py")], env)
    assert again.returncode == 0, again.stderr
    assert f"bucket '{bucket}' exists" in again.stdout


def test_create_bucket_fails_clearly_with_the_wrong_keys(s3_server: S3Server) -> None:
    env = clean_env(**s3_server.environ("entrypoint-refused"), WAIT_TIMEOUT="5")
    env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-value-123"
    result = run([sys.executable, str(DOCKER / "create-bucket.py")], env)
    assert result.returncode == 1
    assert "refused our keys" in result.stderr
    assert "wrong-secret-value-123" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_create_bucket_gives_up_when_the_store_never_answers() -> None:
    env = clean_env(
        AWS_STORAGE_BUCKET_NAME="entrypoint-unreachable",
        AWS_S3_ENDPOINT_URL=f"http://127.0.0.1:{closed_port()}",
        AWS_ACCESS_KEY_ID="key",
        AWS_SECRET_ACCESS_KEY="secret",
        WAIT_TIMEOUT="2",
    )
    result = run([sys.executable, str(DOCKER / "create-bucket.py")], env, timeout=60)
    assert result.returncode == 1
    assert "could not be checked or created within 2s" in result.stderr


def test_create_bucket_is_a_no_op_without_a_bucket() -> None:
    result = run([sys.executable, str(DOCKER / "create-bucket.py")], clean_env())
    assert result.returncode == 0
    assert "files stay on local disk" in result.stdout
