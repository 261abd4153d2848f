"""The apps' layering is checked by `./dev lint` (and so by `./dev test`): the import-linter
contracts of pyproject.toml hold, and an import that breaks one fails the command.
The modules stay under 500 lines and the apps import no cycle between them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import grimp
import pytest
from django.conf import settings

REPO = Path(settings.BASE_DIR)
APPS = ("invoiceflow", "api", "website", "delivery", "portal", "plans", "billing", "documents", "invoices")
APPS += ("einvoicing", "events", "tenants", "core")
MAX_LINES = 500
# Copied for `./dev lint` to run on: the code and its configuration, not the environment.
_NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".venv-*",
    "__pycache__",
    "*.pyc",
    ".*_cache",
    ".hypothesis",
    "media",
    "staticfiles",
    "static",
)


def _lint(repo: Path) -> subprocess.CompletedProcess[str]:
    # The embedded default (SQLite), as the lint runs before any service is up.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "TEST_DATABASE"))}
    env["DJANGO_SETTINGS_MODULE"] = "invoiceflow.settings"
    return subprocess.run(
        ["bash", "dev", "lint"], cwd=repo, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(REPO, copy, ignore=_NOT_COPIED, symlinks=True)
    (copy / ".venv").symlink_to((REPO / ".venv").resolve())
    return copy


def test_the_contracts_hold_and_a_broken_one_fails_dev_lint(repo_copy: Path) -> None:
    # `./dev test` runs `./dev lint` whole before the tests, so a clean tree passing it is shown
    # by every run; here the contracts alone, then the whole lint on a tree that breaks one.
    clean = subprocess.run(
        [str(repo_copy / ".venv" / "bin" / "lint-imports"), "--no-cache"],
        cwd=repo_copy,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Contracts: 4 kept, 0 broken." in clean.stdout
    # The invoicing domain reaching up into the API: ruff finds nothing wrong with it.
    (repo_copy / "invoices" / "upward.py").write_text(
        '"""An import against the layering."""\n\n'
        "from api.webhooks.services import webhook_event_emit\n\n"
        '__all__ = ["webhook_event_emit"]\n'
    )
    broken = _lint(repo_copy)
    assert broken.returncode != 0
    assert "Broken contracts" in broken.stdout
    assert "invoices is not allowed to import api" in broken.stdout
    assert "invoices.upward -> api.webhooks.services" in broken.stdout


def test_no_module_passes_500_lines_outside_migrations_and_tests() -> None:
    long = {}
    for app in APPS:
        for path in (REPO / app).rglob("*.py"):
            parts = path.relative_to(REPO).parts
            if "migrations" in parts or "tests" in parts:
                continue
            lines = len(path.read_text().splitlines())
            if lines > MAX_LINES:
                long[str(path.relative_to(REPO))] = lines
    assert long == {}


def test_no_import_cycle_between_modules_of_different_apps() -> None:
    graph = grimp.build_graph(*APPS)

    def app_of(module: str) -> str | None:
        parts = module.split(".")
        return None if {"tests", "testing", "migrations"} & set(parts) else parts[0]

    crossings = []
    for importer in graph.modules:
        if app_of(importer) is None:
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            # A cycle through this import: the imported module leads back to the importer.
            crosses = app_of(imported) not in (None, app_of(importer))
            if crosses and graph.chain_exists(importer=imported, imported=importer):
                crossings.append(f"{importer} -> {imported}")
    assert crossings == []
