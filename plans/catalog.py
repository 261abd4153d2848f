"""The platform's plans, and what a workspace's plan allows.

Plans are code, not rows: three of them, their limits here and their Stripe prices in settings
(STRIPE_PRICE_PRO, STRIPE_PRICE_BUSINESS). A workspace's subscription to one of them is a
`PlanSubscription` row kept current by Stripe's webhooks (plans/services.py).

Plans are switched on only when Stripe is configured *and* at least one paid plan has a price
(`plans_enabled()`). Otherwise the installation is self-hosted: every workspace is unlimited
and nothing here refuses anything.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_currency
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy, to_locale
from django.utils.translation import gettext as _

from billing import stripe_client
from core.errors import ApplicationError
from tenants.models import Tenant
from tenants.scoping import current_tenant


class PlanCode(enum.StrEnum):
    FREE = "free"
    PRO = "pro"
    BUSINESS = "business"


@dataclass(frozen=True)
class Plan:
    code: PlanCode
    name: str
    tagline: str
    # Finalized invoices a calendar month (in the workspace's time zone); None: unlimited.
    monthly_invoices: int | None
    features: tuple[str, ...] = field(default_factory=tuple)
    highlighted: bool = False

    @property
    def is_free(self) -> bool:
        return self.code == PlanCode.FREE

    @property
    def price_id(self) -> str:
        """The Stripe price a subscription to this plan uses ('' for Free or when unset)."""
        return {
            PlanCode.PRO: settings.STRIPE_PRICE_PRO,
            PlanCode.BUSINESS: settings.STRIPE_PRICE_BUSINESS,
        }.get(self.code, "")

    @property
    def monthly_price(self) -> Decimal:
        raw = {
            PlanCode.PRO: settings.PLAN_PRO_MONTHLY_PRICE,
            PlanCode.BUSINESS: settings.PLAN_BUSINESS_MONTHLY_PRICE,
        }.get(self.code, "0")
        return Decimal(raw)

    @property
    def currency(self) -> str:
        return settings.PLAN_CURRENCY

    @property
    def monthly_price_display(self) -> str:
        """ "€12", "€12.50": whole amounts without their cents, as pricing pages show them."""
        amount = self.monthly_price
        pattern = "¤#,##0" if amount == amount.to_integral_value() else "¤#,##0.00"
        locale = to_locale(get_language() or "en")
        return format_currency(amount, self.currency, format=pattern, locale=locale, currency_digits=False)

    @property
    def available(self) -> bool:
        """Can be subscribed to here (Free always; a paid plan when its price is configured)."""
        return self.is_free or bool(self.price_id)


def _plans() -> dict[PlanCode, Plan]:
    free_allowance = settings.PLAN_FREE_MONTHLY_INVOICES
    return {
        PlanCode.FREE: Plan(
            code=PlanCode.FREE,
            name=str(gettext_lazy("Free")),
            tagline=str(gettext_lazy("For trying InvoiceFlow and the occasional invoice.")),
            monthly_invoices=free_allowance,
            features=(
                str(gettext_lazy("%(count)s finalized invoices a month")) % {"count": free_allowance},
                str(gettext_lazy("Unlimited clients and drafts")),
                str(gettext_lazy("PDF invoices and credit notes")),
                str(gettext_lazy("Online payment through your own Stripe account")),
            ),
        ),
        PlanCode.PRO: Plan(
            code=PlanCode.PRO,
            name=str(gettext_lazy("Pro")),
            tagline=str(gettext_lazy("For freelancers who invoice every week.")),
            monthly_invoices=None,
            features=(
                str(gettext_lazy("Unlimited finalized invoices")),
                str(gettext_lazy("Everything in Free")),
                str(gettext_lazy("REST API and CSV/XLSX exports")),
                str(gettext_lazy("Manage your subscription any time")),
            ),
            highlighted=True,
        ),
        PlanCode.BUSINESS: Plan(
            code=PlanCode.BUSINESS,
            name=str(gettext_lazy("Business")),
            tagline=str(gettext_lazy("For agencies billing as a team.")),
            monthly_invoices=None,
            features=(
                str(gettext_lazy("Unlimited finalized invoices")),
                str(gettext_lazy("Everything in Pro")),
                str(gettext_lazy("Team roles: owners, admins, members, viewers")),
                str(gettext_lazy("Priority email support")),
            ),
        ),
    }


def plan_list() -> list[Plan]:
    return list(_plans().values())


def plan_get(code: str) -> Plan:
    try:
        return _plans()[PlanCode(code)]
    except ValueError:
        raise ApplicationError(_("There is no such plan."), field="plan", code="unknown_plan") from None


def plan_for_price(price_id: str) -> Plan | None:
    for plan in plan_list():
        if plan.price_id and plan.price_id == price_id:
            return plan
    return None


def plans_enabled() -> bool:
    """Stripe is configured and at least one paid plan can be bought."""
    return stripe_client.payments_enabled() and any(p.price_id for p in plan_list() if not p.is_free)


# --- the workspace's plan ------------------------------------------------------------------------


def tenant_plan(*, tenant: Tenant) -> Plan | None:
    """The plan whose limits apply to the workspace; None when plans are off (unlimited)."""
    if not plans_enabled():
        return None
    from plans.models import PlanSubscription

    # Row-level security hides the row elsewhere: read outside the scope, every paying
    # workspace would silently look Free.
    if current_tenant() != tenant:
        raise ValueError("Read a workspace's plan inside its own tenant scope.")
    subscription = PlanSubscription.objects.filter(tenant=tenant).first()
    code = subscription.effective_plan if subscription else PlanCode.FREE
    return plan_get(code)


def month_start(*, tenant: Tenant, today: date | None = None) -> datetime:
    """Midnight on the 1st of the workspace's current month, in its own time zone."""
    zone = ZoneInfo(tenant.time_zone or "UTC")
    if today is None:
        today = datetime.now(tz=zone).date()
    return datetime.combine(today.replace(day=1), time.min, tzinfo=zone)


def next_month_start(*, tenant: Tenant) -> datetime:
    start = month_start(tenant=tenant)
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    return start.replace(year=year, month=month)


def invoices_finalized_this_month(*, tenant: Tenant) -> int:
    """Invoices (not credit notes) finalized since the 1st, voided ones included: they used a number."""
    from invoices.models import Invoice, InvoiceKind

    if current_tenant() != tenant:
        raise ValueError("Count a workspace's invoices inside its own tenant scope.")
    return Invoice.objects.filter(
        kind=InvoiceKind.INVOICE, finalized_at__gte=month_start(tenant=tenant)
    ).count()


@dataclass(frozen=True)
class Usage:
    plan: Plan
    used: int
    allowance: int | None
    resets_on: date

    @property
    def remaining(self) -> int | None:
        return None if self.allowance is None else max(0, self.allowance - self.used)

    @property
    def exhausted(self) -> bool:
        return self.remaining == 0


def tenant_usage(*, tenant: Tenant) -> Usage | None:
    """This month's finalized invoices against the plan's allowance; None when plans are off."""
    plan = tenant_plan(tenant=tenant)
    if plan is None:
        return None
    return Usage(
        plan=plan,
        used=invoices_finalized_this_month(tenant=tenant),
        allowance=plan.monthly_invoices,
        resets_on=next_month_start(tenant=tenant).date(),
    )


def plan_check_can_finalize(*, tenant: Tenant) -> None:
    """Refuse to finalize past the plan's monthly allowance. Registered with the invoicing
    domain (plans.subscribers), which runs it in `invoice_finalize`.

    Runs inside the finalizing transaction. The workspace's subscription row is locked first:
    two members finalizing at once at 4 of 5 would otherwise both count 4 and both go through.
    """
    if not plans_enabled():
        return
    from plans.models import PlanSubscription

    subscription = PlanSubscription.for_tenant_locked(tenant=tenant)
    plan = plan_get(subscription.effective_plan)
    if plan.monthly_invoices is None:
        return
    used = invoices_finalized_this_month(tenant=tenant)
    if used < plan.monthly_invoices:
        return
    raise ApplicationError(
        _(
            "Your workspace is on the %(plan)s plan, which includes %(count)s finalized invoices a "
            "month, and this month's are used. Upgrade your plan (Settings → Billing) to finalize "
            "more now, or finalize it from %(date)s."
        )
        % {
            "plan": plan.name,
            "count": plan.monthly_invoices,
            "date": date_format(next_month_start(tenant=tenant).date(), "j F Y"),
        },
        code="plan_limit",
    )
