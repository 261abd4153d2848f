"""compose.yaml as docker-compose resolves it (no container engine needed): who gets the owner's
credentials, where every address comes from, grace periods, limits, log rotation, profiles."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from core import task_queues

BASE_DIR = Path(settings.BASE_DIR)
PLACEHOLDERS = {
    "SECRET_KEY": "x" * 64,
    "POSTGRES_PASSWORD": "superuser-password",
    "DB_OWNER_PASSWORD": "owner-password",
    "DB_APP_PASSWORD": "app-password",
    "REDIS_PASSWORD": "redis-password",
    "AWS_SECRET_ACCESS_KEY": "s3-secret",
    "EMAIL_HOST": "smtp.example.com",
}
APP_SERVICES = {"web", "beat", *(f"worker-{queue}" for queue in task_queues.QUEUES)}
WORKERS = {f"worker-{queue}": queue for queue in task_queues.QUEUES}


def compose_config(tmp_path: Path, *args: str, **overrides: str) -> dict:
    if not shutil.which("docker-compose"):
        pytest.skip("needs docker-compose (./dev setup-test installs it)")
    env_file = tmp_path / "env"
    values = {**PLACEHOLDERS, **overrides}
    env_file.write_text(
        (BASE_DIR / ".env.example").read_text() + "".join(f"\n{key}={value}" for key, value in values.items())
    )
    result = subprocess.run(
        ["docker-compose", "--env-file", str(env_file), "-f", "compose.yaml", *args, "config"],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "ENV_FILE": str(env_file)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


@pytest.fixture
def config(tmp_path: Path) -> dict:
    return compose_config(tmp_path)


def seconds(duration: str) -> float:
    units = {"s": 1, "m": 60}
    return float(duration[:-1]) * units[duration[-1]]


def test_only_the_migrate_service_gets_the_owners_credentials(config: dict) -> None:
    services = config["services"]
    migrate = services["migrate"]["environment"]
    assert "owner-password" in migrate["DATABASE_OWNER_URL"]
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        leaked = [key for key, value in environment.items() if value and "owner-password" in str(value)]
        assert leaked == [], f"{name} sees the owner's password in {leaked}"
        assert not environment.get("DATABASE_OWNER_URL"), name
        assert not environment.get("POSTGRES_PASSWORD"), name
        assert environment["MIGRATE_ON_START"] == "false", name
        # They start once migrate has finished.
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_every_address_comes_from_the_environment(tmp_path: Path) -> None:
    config = compose_config(
        tmp_path, DB_HOST="db.internal", DB_PORT="6432", REDIS_HOST="cache.internal", REDIS_SCHEME="rediss"
    )
    web = config["services"]["web"]["environment"]
    assert "@db.internal:6432/" in web["DATABASE_URL"]
    assert web["REDIS_URL"] == "rediss://:redis-password@cache.internal:6379/0"
    assert "@db.internal:6432/" in config["services"]["migrate"]["environment"]["DATABASE_OWNER_URL"]


def test_redis_requires_a_password_without_showing_it_on_the_command_line(config: dict) -> None:
    redis = config["services"]["redis"]
    script = "\n".join(redis["command"])
    assert "requirepass" in script
    assert "redis-password" not in script
    assert ":redis-password@" in config["services"]["web"]["environment"]["REDIS_URL"]
    assert not config["services"]["web"]["environment"].get("REDIS_PASSWORD")


def test_grace_periods_outlast_each_roles_longest_shutdown(config: dict) -> None:
    services = config["services"]
    assert seconds(services["web"]["stop_grace_period"]) > 30  # WEB_GRACEFUL_TIMEOUT
    for name, queue in WORKERS.items():
        grace = seconds(services[name]["stop_grace_period"])
        assert grace > task_queues.longest_hard_limit(queue), name
        assert services[name]["environment"]["CELERY_WORKER_QUEUES"] == queue


def test_every_service_has_limits_and_rotated_logs(config: dict) -> None:
    for name, service in config["services"].items():
        assert service.get("mem_limit"), name
        assert service["logging"]["driver"] == "json-file", name
        assert service["logging"]["options"]["max-size"], name
    for name in APP_SERVICES | {"migrate"}:
        service = config["services"][name]
        assert service.get("cpus"), name
        assert service["read_only"] is True, name
        assert service["cap_drop"] == ["ALL"], name


def test_mailpit_runs_only_in_the_dev_profile(config: dict) -> None:
    # (docker-compose 1.29's `config` lists every service, with its profiles.)
    assert config["services"]["mailpit"]["profiles"] == ["dev"]
    others = {name: service for name, service in config["services"].items() if name != "mailpit"}
    assert all("profiles" not in service for service in others.values())
    assert all("mailpit" not in service.get("depends_on", {}) for service in others.values())
    # Nothing sends mail to it unless .env says so.
    assert "mailpit" not in str(config["services"]["web"]["environment"].get("EMAIL_HOST"))


def test_workers_health_check_needs_no_broker_and_no_hostname(config: dict) -> None:
    for name in WORKERS:
        check = config["services"][name]["healthcheck"]["test"]
        assert check == ["CMD", "python", "/app/docker/healthcheck.py", "worker"], name
