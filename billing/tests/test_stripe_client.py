from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Any

import pytest

from billing import stripe_client
from billing.tests.stripe_standin import StripeStandIn

REPO = Path(__file__).resolve().parents[2]
SKIP_DIRS = {".venv", "node_modules", ".git", "staticfiles", "media"}


def _imports_stripe(path: Path) -> bool:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "stripe" for a in node.names):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == "stripe"
        ):
            return True
    return False


def _python_files() -> list[Path]:
    """The project's Python files; the walk does not enter the virtualenv (a symlink in CI's
    clone, which `rglob` would follow through every installed package)."""
    found = []
    for folder, subfolders, files in os.walk(REPO):
        subfolders[:] = [d for d in subfolders if d not in SKIP_DIRS and not d.startswith(".")]
        found += [Path(folder) / name for name in files if name.endswith(".py")]
    return found


def test_only_stripe_client_imports_stripe() -> None:
    python_files = _python_files()
    assert REPO / "billing" / "stripe_client.py" in python_files
    importers = sorted(str(p.relative_to(REPO)) for p in python_files if _imports_stripe(p))
    assert importers == ["billing/stripe_client.py"]


def test_payments_off_without_a_key(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""
    assert stripe_client.payments_enabled() is False
    with pytest.raises(stripe_client.PaymentsDisabledError) as error:
        stripe_client.checkout_session_retrieve(session_id="cs_test_x")
    assert "switched off" in error.value.message


def test_client_follows_settings(stripe_standin: StripeStandIn, settings: Any) -> None:
    assert stripe_client.payments_enabled() is True
    stripe_client.account_create(idempotency_key="a")
    first = stripe_standin.requests[-1]
    assert first["stripe_version"] == stripe_client.STRIPE_API_VERSION
    assert first["idempotency_key"] == "a"

    with StripeStandIn(api_key=settings.STRIPE_SECRET_KEY) as second:
        settings.STRIPE_API_BASE = second.base_url
        stripe_client.account_create(idempotency_key="b")
        assert [r["idempotency_key"] for r in second.requests] == ["b"]
    assert len(stripe_standin.requests) == 1


def test_webhook_event_construct_tries_both_secrets(stripe_webhook_secret: str, settings: Any) -> None:
    from billing.tests.fixtures import CONNECT_WEBHOOK_SECRET, make_stripe_event
    from billing.tests.stripe_standin import sign_payload

    payload = '{"id": "evt_1", "object": "event", "type": "account.updated", "account": "acct_1"}'
    for secret in (stripe_webhook_secret, CONNECT_WEBHOOK_SECRET):
        event = stripe_client.webhook_event_construct(
            payload=payload.encode(), signature_header=sign_payload(payload, secret)
        )
        assert event["id"] == "evt_1"
    with pytest.raises(stripe_client.SignatureVerificationError):
        stripe_client.webhook_event_construct(
            payload=payload.encode(), signature_header=sign_payload(payload, "whsec_other")
        )
    assert make_stripe_event("charge.refunded", "charge")["data"]["object"]["object"] == "charge"
