"""One spelling per email address, so that one address is one account.

`café.example` typed on a Mac (NFD: `e` + a combining accent) and on a PC (NFC: `é`) are the
same characters to a person and to the mail system, but different strings to the database: two
accounts, two invitations, a login that finds nobody. Every door that creates or looks up an
account or an invitation passes the address through `normalize_email_address` first: the User
manager and model (`createsuperuser`, the admin's forms), allauth (sign-up, login, password
reset, added addresses, social logins: `tenants.adapters`, `tenants.forms.LoginForm`),
invitations (`tenants.services`) and the API's token endpoint.

The domain is written in its ASCII form (IDNA, `xn--…`), as DNS and SMTP know it, with the
`idna` package: it implements IDNA 2008 with the UTS #46 mapping, what browsers and registries
use today. Python's own `idna` codec is IDNA 2003, withdrawn: it maps `ß` to `ss` and the final
sigma to the plain one (other domains than the ones registered) and accepts symbols IDNA 2008 refuses.

Rows stored before this rule are rewritten by the migration `normalize_account_emails`
(`normalize_stored_emails` below); what it cannot rewrite without merging two accounts it
leaves as it is and reports (see its docstring).
"""

from __future__ import annotations

import logging
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import idna
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Manager
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# RFC 5321: the longest address a mail path carries; also the User.email column's length.
MAX_EMAIL_LENGTH = 254


def normalize_email_address(raw: str) -> str:
    """The one spelling of an address: NFKC, lower case, the domain in IDNA ASCII form.

    Raises ValidationError (with a message for the user) when the domain is not a valid
    internationalised domain name or the result is longer than an address may be.
    """
    # Strip after NFKC too: compatibility forms can decompose to a leading space (¯ → " ̄"),
    # and the result must be a fixed point.
    text = unicodedata.normalize("NFKC", raw.strip()).strip()
    local, at, domain = text.rpartition("@")
    if not at:
        return _folded(text)  # no domain: the email validator refuses it with its own message
    address = f"{_folded(local)}@{_ascii_domain(domain)}"
    if len(address) > MAX_EMAIL_LENGTH:
        raise ValidationError(
            _("This email address is too long (at most %(max)d characters with its domain spelt out).")
            % {"max": MAX_EMAIL_LENGTH},
            code="max_length",
        )
    return address


def email_lookup_key(raw: str) -> str:
    """What to look an address up by: its normal form, or for an address that has none (a
    domain IDNA refuses) a folded spelling that matches no stored, normalised address."""
    try:
        return normalize_email_address(raw)
    except ValidationError:
        return _folded(unicodedata.normalize("NFKC", raw.strip()).strip())


def same_address(first: str, second: str) -> bool:
    return email_lookup_key(first) == email_lookup_key(second)


def _folded(text: str) -> str:
    # NFKC again: lower-casing a few characters (İ → i + a combining dot) can leave a string
    # that is no longer in normal form, and the result must be a fixed point.
    return unicodedata.normalize("NFKC", text.lower())


def _ascii_domain(domain: str) -> str:
    if domain.startswith("[") and domain.endswith("]"):
        return domain.lower()  # an address literal ([192.0.2.1]): no labels to encode
    try:
        return idna.encode(domain, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError) as error:
        raise ValidationError(
            _("“%(domain)s” is not a valid domain name.") % {"domain": domain}, code="invalid_domain"
        ) from error


# --- rows stored before the rule ------------------------------------------------------------


@dataclass
class NormalizationReport:
    changed: int = 0
    # One line per address that stays as it is: two accounts (or two pending invitations to
    # one workspace, or two addresses of one account) that would become one spelling.
    collisions: list[str] = field(default_factory=list)
    # Addresses whose domain IDNA refuses: left as they are.
    invalid: list[str] = field(default_factory=list)

    def log(self) -> None:
        for line in self.collisions:
            logger.warning("email normalisation left a collision for an operator: %s", line)
        for line in self.invalid:
            logger.warning("email normalisation left an invalid address as it is: %s", line)
        logger.info(
            "email normalisation: %d addresses rewritten, %d collisions and %d invalid left as they are",
            self.changed,
            len(self.collisions),
            len(self.invalid),
        )


def normalize_stored_emails(
    *,
    users: Manager,
    email_addresses: Manager,
    invitations: Manager,
    tenant_ids: Iterable[int],
    connection: Any,
) -> NormalizationReport:
    """Rewrite stored addresses (users, allauth's EmailAddress rows, invitations) to their
    normal form. Idempotent: a second run changes nothing.

    Accounts are never merged here: whether two accounts of one address become one (and what
    becomes of the second one's workspaces and invoices) is a person's decision. Meanwhile one
    of them keeps the address, in its one spelling, and signs in with it: the account whose
    login already has that spelling, else the oldest. The others keep their old spelling (and
    so cannot sign in until merged or deleted), and every such collision is reported: logged
    as a warning by the migration; `manage.py normalize_account_emails` reruns this and lists
    what is left. Two pending invitations of one workspace that become one address are both
    left as they are and reported.
    """
    report = NormalizationReport()
    _normalize_accounts(users, email_addresses, report)
    for tenant_id in tenant_ids:
        # Invitations are tenant-owned: row-level security shows each tenant's rows only to
        # a transaction that names it (as tenants.scoping does).
        _set_tenant(connection, tenant_id)
        _normalize_invitations(invitations.filter(tenant_id=tenant_id), tenant_id, report)
    _set_tenant(connection, None)
    return report


def _key(address: str, where: str, report: NormalizationReport) -> str | None:
    try:
        return normalize_email_address(address)
    except ValidationError:
        report.invalid.append(f"{where}: {address!r}")
        return None


def _normalize_accounts(users: Manager, email_addresses: Manager, report: NormalizationReport) -> None:
    # Each normal form → the rows that would carry it: ("user", user id, row id, stored
    # spelling) for User.email, ("address", user id, row id, stored spelling) for EmailAddress.
    rows_by_key: dict[str, list[tuple[str, int, int, str]]] = defaultdict(list)
    for user_id, email in users.values_list("id", "email"):
        if email and (key := _key(email, f"user #{user_id}", report)):
            rows_by_key[key].append(("user", user_id, user_id, email))
    for row_id, user_id, email in email_addresses.values_list("id", "user_id", "email"):
        if email and (key := _key(email, f"email address #{row_id} of user #{user_id}", report)):
            rows_by_key[key].append(("address", user_id, row_id, email))
    for key, rows in sorted(rows_by_key.items()):
        keeper = _keeper(key, rows)
        kept_rows = [row for row in rows if row[1] == keeper]
        user_rows = [row for row in kept_rows if row[0] == "user"]
        address_rows = sorted(row for row in kept_rows if row[0] == "address")
        if any(row[3] == key for row in address_rows):  # already stored in its one spelling
            address_rows = [row for row in address_rows if row[3] == key]
        to_rewrite = user_rows + address_rows[:1]
        for kind, _user_id, row_id, email in to_rewrite:
            if email != key:
                _rewrite(
                    users if kind == "user" else email_addresses, row_id, key, report, f"{kind} #{row_id}"
                )
        left = [row for row in rows if row not in to_rewrite]
        if left:
            spellings = ", ".join(
                f"{kind} #{row_id} of user #{uid} ({email!r})" for kind, uid, row_id, email in left
            )
            report.collisions.append(f"{key}: kept by user #{keeper}; left as they are: {spellings}")


def _keeper(key: str, rows: list[tuple[str, int, int, str]]) -> int:
    """The account that signs in with the address until a person merges the others into it:
    one whose login (User.email) is already in that spelling, else the oldest account."""
    already = [user_id for kind, user_id, _id, email in rows if kind == "user" and email == key]
    return already[0] if already else min(user_id for _kind, user_id, _id, _email in rows)


def _rewrite(manager: Manager, row_id: int, key: str, report: NormalizationReport, what: str) -> None:
    try:
        with transaction.atomic():  # a savepoint: a clash with a row we did not expect is reported
            manager.filter(pk=row_id).update(email=key)
    except IntegrityError:
        report.collisions.append(f"{key}: {what} could not take it (another row holds it)")
    else:
        report.changed += 1


def _normalize_invitations(invitations: Any, tenant_id: int, report: NormalizationReport) -> None:
    rows = list(invitations.values_list("id", "email", "accepted_at", "revoked_at"))
    pending_by_key: dict[str, list[int]] = defaultdict(list)
    keys: dict[int, str] = {}
    for row_id, email, accepted_at, revoked_at in rows:
        key = _key(email, f"invitation #{row_id} of tenant #{tenant_id}", report)
        if key is None:
            continue
        keys[row_id] = key
        if accepted_at is None and revoked_at is None:
            pending_by_key[key].append(row_id)
    colliding = {row_id for ids in pending_by_key.values() if len(ids) > 1 for row_id in ids}
    for key, ids in sorted(pending_by_key.items()):
        if len(ids) > 1:
            report.collisions.append(f"{key}: pending invitations {sorted(ids)} of tenant #{tenant_id}")
    for row_id, email, _accepted, _revoked in rows:
        key = keys.get(row_id)
        if key and key != email and row_id not in colliding:
            invitations.filter(pk=row_id).update(email=key)
            report.changed += 1


def _set_tenant(connection: Any, tenant_id: int | None) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.tenant_id', %s, true)", ["" if tenant_id is None else str(tenant_id)]
        )
