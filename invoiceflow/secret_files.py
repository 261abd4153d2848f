"""Secrets from files: `NAME_FILE=/run/secrets/name` instead of `NAME=value`.

Docker secrets, Kubernetes Secrets mounted as files and systemd credentials put secrets in
files, where `ps`, `docker inspect` and crash dumps of the environment do not show them. For
each variable below, a `NAME_FILE` in the environment is read (its trailing newline dropped)
into `NAME` before anything reads `NAME`: the settings call `load_secret_files()` first, and so
do the container's helper scripts (docker/*.py), which run before Django is set up.

Only the listed names: `CELERY_BEAT_SCHEDULE_FILE` and compose's `ENV_FILE` are ordinary
variables that happen to end in `_FILE`.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

SECRET_VARIABLES = (
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SES_ACCESS_KEY_ID",
    "AWS_SES_SECRET_ACCESS_KEY",
    "EMAIL_HOST_PASSWORD",
    "ANYMAIL_WEBHOOK_SECRET",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_CONNECT_WEBHOOK_SECRET",
    "GOOGLE_CLIENT_SECRET",
    "GITHUB_CLIENT_SECRET",
    "OIDC_CLIENT_SECRET",
    "SENTRY_DSN",
)


class SecretFileError(ValueError):
    """A NAME_FILE that cannot be used; the message names the variable, never the value."""


def load_secret_files(environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Set NAME from the file NAME_FILE names, for each secret variable that has one.

    Refuses both NAME and NAME_FILE set (which would win is a guess), an unreadable file and
    an empty one. Returns the names it set. Setting NAME in the environment (not only in
    Django's settings) lets child processes and the helper scripts see the same value.
    """
    environ = os.environ if environ is None else environ
    loaded = []
    for name in SECRET_VARIABLES:
        path = environ.get(f"{name}_FILE", "").strip()
        if not path:
            continue
        if environ.get(name, "").strip():
            raise SecretFileError(f"{name} and {name}_FILE are both set: set one of them.")
        try:
            value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as error:
            raise SecretFileError(f"{name}_FILE: cannot read {path}: {error.__class__.__name__}") from None
        if not value.strip():
            raise SecretFileError(f"{name}_FILE: {path} is empty.")
        environ[name] = value
        loaded.append(name)
    return loaded
