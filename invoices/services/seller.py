"""The seller's side of an invoice: the company profile, bank accounts, and what the law asks.

The profile and the default bank account of an invoice's currency are frozen into the invoice
at finalization (`seller_snapshot`), as the client is; `invoice_legal_gaps` says which facts
the invoice still lacks for its seller's country (`invoices.legal`), and finalize refuses
while any is missing.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from stdnum.ch import vat as ch_vat

from core.errors import ApplicationError
from invoices import legal
from invoices.bank_accounts import validate_bank_account
from invoices.models import BankAccount, CompanyProfile, Invoice, InvoiceLineTax, PaymentMeans
from invoices.registration_ids import (
    EU_VAT_COUNTRIES,
    REGISTRATION_SCHEMES,
    VAT_MODULES,
    validate_registration_id,
    validate_vat_id,
)
from invoices.services.common import full_clean, resolve
from tenants.models import Membership, Role, Tenant
from tenants.permissions import require_role
from tenants.scoping import current_tenant

PROFILE_FIELDS = (
    "legal_name",
    "trading_name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "region",
    "country",
    "vat_id",
    "registration_scheme",
    "registration_number",
    "peppol_scheme",
    "peppol_id",
    "email",
    "phone",
    "website",
    "legal_mentions",
    "default_notes",
    "default_terms",
    "footer",
    "payment_terms_days",
)
BANK_FIELDS = (
    "label",
    "holder_name",
    "bank_name",
    "country",
    "currency",
    "iban",
    "bic",
    "account_number",
    "routing_code",
    "payment_means",
)


def _check_manager(actor: Membership) -> Tenant:
    """The seller's identity and where money goes are the owners' and admins' to change."""
    current_tenant()  # one must be entered
    return require_role(
        actor, Role.ADMIN, message=_("Only owners and admins can change the company details.")
    )


# --- the company profile ------------------------------------------------------------------------


def company_profile_get(tenant: Tenant | None = None) -> CompanyProfile:
    """The current workspace's profile; a new one (its name and country) if none is stored yet.

    Not saved when new: reading a page must not write, and an unsaved profile with only the
    workspace's name states exactly what the workspace has told us.
    """
    tenant = tenant or current_tenant()
    found = CompanyProfile.objects.first()
    if found is None:
        found = CompanyProfile(tenant=tenant, legal_name=tenant.name, country=tenant.country)
    return found


def _clean_ids(profile: CompanyProfile) -> None:
    country = (profile.country or "").upper()
    if profile.vat_id.strip():
        if country.lower() in EU_VAT_COUNTRIES or country.lower() in VAT_MODULES:
            profile.vat_id = validate_vat_id(country, profile.vat_id, field="vat_id")
            if country == "CH":  # printed as the law writes it: CHE-123.456.789 MWST
                profile.vat_id = ch_vat.format(profile.vat_id)
        else:
            profile.vat_id = profile.vat_id.strip()
    if profile.registration_number.strip() and not profile.registration_scheme:
        raise ApplicationError(_("Choose the registration number's scheme."), field="registration_scheme")
    if profile.registration_scheme:
        if not profile.registration_number.strip():
            raise ApplicationError(_("Enter the registration number."), field="registration_number")
        profile.registration_number = validate_registration_id(
            profile.registration_scheme, profile.registration_number, field="registration_number"
        )
        if profile.registration_scheme.split(":", 1)[0] != country:
            label = REGISTRATION_SCHEMES[profile.registration_scheme].label
            raise ApplicationError(
                _("A %(scheme)s is issued in another country than your address.") % {"scheme": label},
                field="registration_scheme",
            )


@transaction.atomic
def company_profile_update(*, actor: Membership, **fields: Any) -> CompanyProfile:
    """Change any of PROFILE_FIELDS. VAT and registration numbers are checked (format and
    check digits) and stored compacted. Finalized invoices keep the details they were issued with."""
    tenant = _check_manager(actor)
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ApplicationError(_("Unknown field: %(name)s.") % {"name": sorted(unknown)[0]})
    profile = CompanyProfile.objects.select_for_update().first() or company_profile_get(tenant)
    for name, value in fields.items():
        setattr(profile, name, value.strip() if isinstance(value, str) else value)
    profile.country = (profile.country or tenant.country).upper()
    if not profile.legal_name:
        raise ApplicationError(_("Enter your company's legal name."), field="legal_name")
    _clean_ids(profile)
    full_clean(profile)
    profile.save()
    # Drafts print the profile as it is now: their stored PDFs are out of date.
    from invoices.services.invoices import drafts_mark_changed

    drafts_mark_changed()
    return profile


# --- bank accounts -------------------------------------------------------------------------------


def default_bank_account(currency: str) -> BankAccount | None:
    """The account an invoice in `currency` asks to be paid into."""
    return BankAccount.objects.filter(currency=currency.upper(), is_default=True).first()


def _apply_bank_fields(account: BankAccount, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if name not in BANK_FIELDS:
            raise ApplicationError(_("Unknown field: %(name)s.") % {"name": name})
        setattr(account, name, value.strip() if isinstance(value, str) else value)
    account.currency = account.currency.upper()
    account.country = account.country.upper()
    checked = validate_bank_account(
        account.country,
        iban=account.iban,
        bic=account.bic,
        account_number="" if account.iban else account.account_number,
        routing_code="" if account.iban else account.routing_code,
    )
    account.iban, account.bic = checked.iban, checked.bic
    account.account_number, account.routing_code = checked.account_number, checked.routing_code
    if checked.iban:
        account.country = checked.country
    if account.payment_means == PaymentMeans.SEPA_CREDIT_TRANSFER and (
        account.currency != "EUR" or not account.iban
    ):
        raise ApplicationError(_("A SEPA credit transfer is paid in EUR to an IBAN."), field="payment_means")
    full_clean(account)


def _save_account(account: BankAccount) -> None:
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as error:  # a concurrent "set default" won the race
        raise ApplicationError(
            _("Another account is already the default for %(currency)s.") % {"currency": account.currency},
            field="currency",
        ) from error


@transaction.atomic
def bank_account_create(*, actor: Membership, make_default: bool | None = None, **fields: Any) -> BankAccount:
    """A new account. The first account of a currency becomes its default."""
    _check_manager(actor)
    account = BankAccount(tenant=current_tenant())
    _apply_bank_fields(account, fields)
    has_default = BankAccount.objects.select_for_update().filter(currency=account.currency, is_default=True)
    if make_default is None:
        make_default = not has_default.exists()
    if make_default:
        has_default.update(is_default=False)
    account.is_default = make_default
    _save_account(account)
    return account


@transaction.atomic
def bank_account_update(*, actor: Membership, account: BankAccount | str, **fields: Any) -> BankAccount:
    _check_manager(actor)
    account = resolve(BankAccount, account, field="account", label=_("bank account"), lock=True)
    old_currency = account.currency
    _apply_bank_fields(account, fields)
    if account.is_default and account.currency != old_currency:
        # It cannot stay the default of a currency it no longer has; the new one keeps its own.
        account.is_default = not BankAccount.objects.filter(
            currency=account.currency, is_default=True
        ).exists()
    _save_account(account)
    return account


@transaction.atomic
def bank_account_set_default(*, actor: Membership, account: BankAccount | str) -> BankAccount:
    _check_manager(actor)
    account = resolve(BankAccount, account, field="account", label=_("bank account"), lock=True)
    BankAccount.objects.select_for_update().filter(currency=account.currency, is_default=True).exclude(
        pk=account.pk
    ).update(is_default=False)
    account.is_default = True
    _save_account(account)
    return account


@transaction.atomic
def bank_account_delete(*, actor: Membership, account: BankAccount | str) -> str:
    """Delete an account; finalized invoices keep printing it (their snapshot). Returns how it
    was displayed, for the message."""
    _check_manager(actor)
    account = resolve(BankAccount, account, field="account", label=_("bank account"), lock=True)
    display = account.display
    account.delete()
    return display


# --- what the invoice states, frozen ------------------------------------------------------------


def seller_address_lines(profile: CompanyProfile) -> list[str]:
    city = " ".join(part for part in (profile.postal_code, profile.city) if part)
    return [line for line in (profile.address_line1, profile.address_line2, city, profile.region) if line]


def snapshot_profile(tenant: Tenant) -> dict[str, Any]:
    profile = company_profile_get(tenant)
    values = {name: getattr(profile, name) for name in PROFILE_FIELDS if name != "payment_terms_days"}
    values["registration_label"] = profile.registration_label
    return {name: value for name, value in values.items() if value}


def snapshot_bank_account(account: BankAccount) -> dict[str, Any]:
    values = {name: getattr(account, name) for name in BANK_FIELDS}
    values["display"] = account.display
    return {name: str(value) for name, value in values.items() if value}


# --- what the law asks ---------------------------------------------------------------------------


def _invoice_facts(invoice: Invoice, profile: CompanyProfile) -> dict[str, object]:
    client = invoice.client
    facts: dict[str, object] = {
        "seller.name": profile.legal_name or invoice.tenant.name,
        "seller.address": "x" if profile.has_address else "",
        "seller.vat_id": profile.vat_id,
        "buyer.name": client.name,
        "buyer.address": "x" if client.address_line1.strip() and client.city.strip() else "",
        "buyer.vat_id": client.tax_id,
    }
    for code, reason in InvoiceLineTax.objects.filter(line__invoice=invoice).values_list(
        "tax_rate__category", "tax_rate__exemption_reason"
    ):
        key = f"exemption_reason.{code}"
        facts[key] = facts.get(key) or reason
    return facts


def invoice_legal_gaps(invoice: Invoice) -> list[legal.Requirement]:
    """What `invoice` must still state before it may be finalized, in the order the law lists it.

    Empty for a seller country `invoices.legal` does not cover yet: we do not invent its law.
    """
    profile = company_profile_get(invoice.tenant)
    seller_country = (profile.country or invoice.tenant.country).upper()
    if seller_country not in legal.COVERED:
        return []
    categories = set(
        InvoiceLineTax.objects.filter(line__invoice=invoice).values_list("tax_rate__category", flat=True)
    )
    required = legal.required_fields(
        seller_country=seller_country,
        buyer_country=invoice.client.country or seller_country,
        # Clients carry no "business" flag: a client with a tax id is one.
        buyer_is_business=bool(invoice.client.tax_id.strip()),
        vat_categories=categories,
        total=invoice.total,
    )
    return legal.missing_fields(required, _invoice_facts(invoice, profile))


def check_legally_complete(invoice: Invoice) -> None:
    """ApplicationError naming each missing fact (field -> what to add), or nothing."""
    gaps = invoice_legal_gaps(invoice)
    if gaps:
        names = ", ".join(str(gap.label) for gap in gaps)
        raise ApplicationError(
            _("This invoice cannot be finalized yet: it must state %(missing)s.") % {"missing": names},
            code="legally_incomplete",
            fields={gap.name: str(gap.label) for gap in gaps},
        )
