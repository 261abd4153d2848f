"""`./dev test` runs the suite over pytest-xdist workers: what keeps it whole and the workers apart."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from invoiceflow.testing.xdist_worker import worker_redis_url

REPO = Path(settings.BASE_DIR)


def test_each_worker_takes_the_redis_databases_after_the_configured_one() -> None:
    assert worker_redis_url("redis://127.0.0.1:6379/0", "gw0") == "redis://127.0.0.1:6379/1"
    assert worker_redis_url("redis://127.0.0.1:6379/0", "gw1") == "redis://127.0.0.1:6379/2"
    assert worker_redis_url("redis://:secret@cache:6380/7", "gw3") == "redis://:secret@cache:6380/11"
    assert worker_redis_url("redis://cache:6379", "gw0") == "redis://cache:6379/1"
    assert worker_redis_url("redis://cache:6379/15", "gw0") == "redis://cache:6379/0"  # wraps at 16


def test_tests_that_share_one_node_id_run_outside_xdist() -> None:
    """Schemathesis gives all of a schema's cases one node id; xdist runs tests by node id, so
    it would run one case and drop the rest without a word. Every module that generates its
    tests from a schema is left out of the parallel run and run after it, whole."""
    generated = sorted(
        path.relative_to(REPO).as_posix()
        for path in REPO.glob("*/tests/**/test_*.py")
        if re.search(r"@\w+\.parametrize\(\)", path.read_text())
    )
    assert generated == ["api/tests/test_schemathesis.py"]
    dev = (REPO / "dev").read_text()
    for module in generated:
        assert f"--ignore={module}" in dev
        assert re.search(rf'"\$PY" -m pytest {re.escape(module)}\n', dev)
