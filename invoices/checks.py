"""Checks the apps above register with the invoicing domain, which runs them without knowing them.

The domain decides *when* a check runs (finalizing an invoice, inside its transaction, after the
invoice's row is locked); the registering app decides *what* it refuses, by raising
`core.errors.ApplicationError`. The plans app registers its monthly allowance this way, so the
domain never imports plans.
"""

from __future__ import annotations

from collections.abc import Callable

from tenants.models import Tenant

FinalizeCheck = Callable[..., None]  # (*, tenant: Tenant) -> None; raises to refuse

_finalize_checks: dict[str, FinalizeCheck] = {}


def finalize_check_register(name: str, check: FinalizeCheck) -> None:
    """Run `check(tenant=...)` before every invoice is finalized (registering again replaces)."""
    _finalize_checks[name] = check


def finalize_checks_run(*, tenant: Tenant) -> None:
    for check in list(_finalize_checks.values()):
        check(tenant=tenant)
