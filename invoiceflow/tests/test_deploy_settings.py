"""Settings for deployments (issue #20): secrets from files, a mail server required in
production, server-side cursors off behind PgBouncer. Each case starts a real process."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import pytest

from invoiceflow.secret_files import SECRET_VARIABLES, SecretFileError, load_secret_files
from invoiceflow.tests.test_settings import assert_refuses, production_env, run_manage, settings_values


def test_a_secret_is_read_from_its_file(tmp_path: Path) -> None:
    key = secrets.token_urlsafe(48)
    (tmp_path / "secret_key").write_text(key + "\n")  # as `echo ... > file` writes it
    env = production_env(SECRET_KEY=None, SECRET_KEY_FILE=str(tmp_path / "secret_key"))
    assert settings_values(env, "SECRET_KEY")["SECRET_KEY"] == key


def test_a_database_url_from_a_file_reaches_the_database_settings(tmp_path: Path) -> None:
    (tmp_path / "url").write_text("postgresql://app:s3cret@db.internal:6432/invoiceflow")
    env = production_env(DATABASE_URL=None, DATABASE_URL_FILE=str(tmp_path / "url"))
    database = settings_values(env, "DATABASES")["DATABASES"]["default"]
    assert (database["HOST"], database["PORT"], database["PASSWORD"]) == ("db.internal", 6432, "s3cret")


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "SECRET_KEY_FILE: cannot read"), ("\n", "SECRET_KEY_FILE:"), ("both", "are both set")],
)
def test_an_unusable_secret_file_stops_the_process_without_showing_a_value(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "secret_key"
    if content is not None and content != "both":
        path.write_text(content)
    env = production_env(SECRET_KEY=None, SECRET_KEY_FILE=str(path))
    if content == "both":
        path.write_text(secrets.token_urlsafe(48))
        env["SECRET_KEY"] = secrets.token_urlsafe(48)
    assert_refuses(env, message)
    result = run_manage("check", env=env)
    if content == "both":
        assert env["SECRET_KEY"] not in result.stderr
        assert path.read_text() not in result.stderr


def test_only_the_listed_variables_are_read_from_files(tmp_path: Path) -> None:
    # CELERY_BEAT_SCHEDULE_FILE is a path the app uses as such, not a secret to read.
    environ = {"CELERY_BEAT_SCHEDULE_FILE": str(tmp_path / "schedule"), "REDIS_URL_FILE": str(tmp_path / "r")}
    (tmp_path / "r").write_text("redis://:pw@redis:6379/0\n")
    assert load_secret_files(environ) == ["REDIS_URL"]
    assert environ["REDIS_URL"] == "redis://:pw@redis:6379/0"
    assert "CELERY_BEAT_SCHEDULE" not in environ
    assert all(not name.endswith("_FILE") for name in SECRET_VARIABLES)
    with pytest.raises(SecretFileError, match="REDIS_URL and REDIS_URL_FILE are both set"):
        load_secret_files(environ)


def test_production_refuses_to_start_without_a_mail_server() -> None:
    assert_refuses(production_env(EMAIL_HOST=None, EMAIL_PROVIDER=None), "no mail server is set")


def test_production_prints_mail_only_when_asked_to() -> None:
    env = production_env(EMAIL_HOST=None, EMAIL_PROVIDER="console")
    assert settings_values(env, "EMAIL_BACKEND")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    debug = production_env(DEBUG="true", EMAIL_HOST=None, EMAIL_PROVIDER=None)
    assert settings_values(debug, "EMAIL_BACKEND")["EMAIL_BACKEND"].endswith("console.EmailBackend")


def test_server_side_cursors_are_off_behind_pgbouncer() -> None:
    env = production_env(DATABASE_URL=os.environ.get("DATABASE_URL") or "postgresql://app@127.0.0.1/x")
    assert settings_values(env, "DATABASES")["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False
    env["DATABASE_DISABLE_SERVER_SIDE_CURSORS"] = "true"
    assert settings_values(env, "DATABASES")["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True


# --- the container's helper scripts read the same files ------------------------------------------


@pytest.mark.postgres
@pytest.mark.redis
def test_the_wait_script_reads_the_service_urls_from_files(tmp_path: Path) -> None:
    from invoiceflow.tests.test_entrypoint import WAIT, clean_env, run

    (tmp_path / "database_url").write_text(os.environ["DATABASE_URL"] + "\n")
    (tmp_path / "redis_url").write_text(os.environ["REDIS_URL"] + "\n")
    env = clean_env(
        DATABASE_URL_FILE=str(tmp_path / "database_url"), REDIS_URL_FILE=str(tmp_path / "redis_url")
    )
    result = run([sys.executable, str(WAIT), "--timeout", "10"], env)
    assert result.returncode == 0, result.stderr
    assert "database at postgresql://" in result.stdout
    assert "redis at redis://" in result.stdout


def test_the_wait_script_refuses_a_missing_secret_file(tmp_path: Path) -> None:
    from invoiceflow.tests.test_entrypoint import WAIT, clean_env, run

    env = clean_env(DATABASE_URL_FILE=str(tmp_path / "missing"))
    result = run([sys.executable, str(WAIT), "--timeout", "1"], env)
    assert result.returncode == 2
    assert "DATABASE_URL_FILE: cannot read" in result.stderr
