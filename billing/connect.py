"""Stripe Connect: each tenant connects its own (Standard) Stripe account, and its clients pay
on that account. Also the tenant's payment settings and the one question every page asks:
can this tenant take card payments online right now?
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing import stripe_client
from billing.models import PaymentSettings, StripeAccount, StripeAccountState
from tenants.doors import door_find
from tenants.models import Membership, Role, Tenant
from tenants.permissions import require_role
from tenants.scoping import current_tenant, tenant_scope

logger = logging.getLogger(__name__)


def _check_manager(actor: Membership) -> Tenant:
    current_tenant()
    return require_role(actor, Role.ADMIN, message=_("Only owners and admins can change payment settings."))


# --- reads ---------------------------------------------------------------------------------------


def stripe_account_for(*, tenant: Tenant) -> StripeAccount | None:
    return StripeAccount.objects.filter(tenant=tenant).first()


def stripe_account_by_stripe_id(*, stripe_id: str) -> StripeAccount | None:
    """Platform-level, before any tenant scope (a Connect webhook names only the account): the
    connected account `acct_…`, found through its lookup door and read in its tenant's scope."""
    match = door_find("lookup_door_stripe_account", stripe_id) if stripe_id else None
    if match is None:
        return None
    with tenant_scope(match.tenant):
        return StripeAccount.objects.select_related("tenant").filter(pk=match.row_id).first()


def payment_settings_get() -> PaymentSettings:
    """The current tenant's payment settings (unsaved defaults when never changed)."""
    return PaymentSettings.objects.first() or PaymentSettings(tenant=current_tenant())


@dataclass(frozen=True)
class OnlinePayment:
    enabled: bool
    # Why not, for the people who can fix it (settings page) and, shorter, for clients.
    reason: str = ""
    account: StripeAccount | None = None


REASONS = {
    "no_keys": gettext_lazy("Online payment is off: this installation has no Stripe keys configured."),
    "not_connected": gettext_lazy("Online payment is off: connect a Stripe account to accept cards."),
    "pending": gettext_lazy("Online payment is off until Stripe finishes setting up your account."),
    "restricted": gettext_lazy("Online payment is off: Stripe has restricted your account."),
    "switched_off": gettext_lazy("Online payment is switched off in your payment settings."),
    "unavailable": gettext_lazy("Card payment is unavailable right now. Please try again in a few minutes."),
}


def online_payment_status(
    *, tenant: Tenant, payment_settings: PaymentSettings | None = None
) -> OnlinePayment:
    """Whether `tenant`'s clients can pay by card now (inside the tenant's scope)."""
    if not stripe_client.payments_enabled():
        return OnlinePayment(False, "no_keys")
    account = stripe_account_for(tenant=tenant)
    if account is None:
        return OnlinePayment(False, "not_connected")
    if account.state != StripeAccountState.ACTIVE:
        return OnlinePayment(False, account.state, account)
    settings_row = payment_settings or payment_settings_get()
    if not settings_row.online_payments:
        return OnlinePayment(False, "switched_off", account)
    return OnlinePayment(True, "", account)


# --- writes --------------------------------------------------------------------------------------


@transaction.atomic
def payment_settings_update(
    *, actor: Membership, online_payments: bool, allow_partial_payments: bool, payment_instructions: str
) -> PaymentSettings:
    _check_manager(actor)
    row = PaymentSettings.objects.select_for_update().first() or PaymentSettings()
    row.online_payments = online_payments
    row.allow_partial_payments = allow_partial_payments
    row.payment_instructions = payment_instructions.strip()[:2000]
    row.save()
    return row


def account_state(account: dict[str, Any]) -> str:
    """pending (onboarding unfinished), active (can charge) or restricted (Stripe stopped it)."""
    if account.get("charges_enabled"):
        return StripeAccountState.ACTIVE
    if not account.get("details_submitted"):
        return StripeAccountState.PENDING
    return StripeAccountState.RESTRICTED


def _apply(row: StripeAccount, account: dict[str, Any]) -> StripeAccount:
    requirements = account.get("requirements") or {}
    row.state = account_state(account)
    row.charges_enabled = bool(account.get("charges_enabled"))
    row.payouts_enabled = bool(account.get("payouts_enabled"))
    row.details_submitted = bool(account.get("details_submitted"))
    row.requirements_due = list(requirements.get("currently_due") or [])
    row.disabled_reason = requirements.get("disabled_reason") or ""
    row.synced_at = timezone.now()
    return row


@transaction.atomic
def stripe_account_onboarding_link(*, actor: Membership, refresh_url: str, return_url: str) -> str:
    """The URL of Stripe's onboarding for the tenant's account, creating the account first.

    Creating it is idempotent twice over: the tenant row is locked (two clicks queue up) and
    Stripe gets an idempotency key derived from the tenant.
    """
    tenant = _check_manager(actor)
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
    row = stripe_account_for(tenant=tenant)
    if row is None:
        account = stripe_client.account_create(
            idempotency_key=f"connect-account:{tenant.public_id}",
            email=actor.user.email,
            country=tenant.country or "",
            metadata={"tenant": tenant.public_id},
        )
        row = _apply(StripeAccount(tenant=tenant, stripe_id=account["id"]), account)
        row.save()
    link = stripe_client.account_link_create(
        account_id=row.stripe_id, refresh_url=refresh_url, return_url=return_url
    )
    return link["url"]


def stripe_account_sync(*, stripe_id: str) -> StripeAccount | None:
    """Bring our copy of a connected account up to date from Stripe (not from an event's copy,
    which may be older than one already applied). None when the account is not one of ours.

    Runs from a webhook (no scope yet) or from the tenant's own page (its scope): the account's
    tenant is found through the lookup door either way, and the row written inside its scope."""
    match = door_find("lookup_door_stripe_account", stripe_id) if stripe_id else None
    if match is None:
        return None
    with tenant_scope(match.tenant):
        row = StripeAccount.objects.select_for_update().filter(pk=match.row_id).first()
        if row is None:
            return None
        account = stripe_client.account_retrieve(account_id=stripe_id)
        previous = row.state
        _apply(row, account).save()
    if previous != row.state:
        logger.info("Stripe account %s of tenant %s: %s → %s", stripe_id, row.tenant_id, previous, row.state)
    return row
