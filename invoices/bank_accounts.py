"""Bank accounts for "getting paid by bank transfer": IBAN and BIC, or a national account.

IBAN and BIC are checked by schwifty (ISO 13616 checksum, each country's BBAN layout and, for
the countries it has registries for, that the bank code exists). Countries without IBANs use
an account number beside a routing code whose format (and, for US ABA numbers, check digit)
is checked here, by python-stdnum where it has the rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import exceptions as stdnum_errors
from stdnum.us import rtn

from core.errors import ApplicationError


@dataclass(frozen=True)
class NationalFormat:
    routing_label: str
    routing: re.Pattern[str]
    account: re.Pattern[str]


# Where payments go by account number and a routing code, not an IBAN. The UK has IBANs, but
# British payers type sort code + account number, so both are accepted there.
NATIONAL_FORMATS = {
    "US": NationalFormat("ABA routing number", re.compile(r"[0-9]{9}"), re.compile(r"[0-9]{4,17}")),
    "GB": NationalFormat("sort code", re.compile(r"[0-9]{6}"), re.compile(r"[0-9]{8}")),
    # Canada: 5-digit transit (branch) + 3-digit institution number, 7 to 12-digit account.
    "CA": NationalFormat(
        "transit and institution number", re.compile(r"[0-9]{8}"), re.compile(r"[0-9]{7,12}")
    ),
    "AU": NationalFormat("BSB", re.compile(r"[0-9]{6}"), re.compile(r"[0-9]{5,9}")),
}


@dataclass(frozen=True)
class BankAccount:
    country: str
    iban: str = ""
    bic: str = ""
    account_number: str = ""
    routing_code: str = ""

    @property
    def display(self) -> str:
        if self.iban:
            return IBAN(self.iban).formatted
        return f"{self.routing_code} {self.account_number}"


def _digits(text: str) -> str:
    """Digits as people type them: spaces, dashes and dots between groups are dropped."""
    return re.sub(r"[\s.-]", "", text or "")


def validate_iban(iban: str, *, field: str = "iban") -> str:
    try:
        return IBAN(iban or "").compact
    except SchwiftyException as error:
        raise ApplicationError(
            _("This is not a valid IBAN: %(reason)s") % {"reason": error}, field=field
        ) from None


def validate_bic(bic: str, *, field: str = "bic") -> str:
    try:
        return BIC(bic or "").compact
    except SchwiftyException as error:
        raise ApplicationError(
            _("This is not a valid BIC: %(reason)s") % {"reason": error}, field=field
        ) from None


def validate_bank_account(
    country: str, *, iban: str = "", bic: str = "", account_number: str = "", routing_code: str = ""
) -> BankAccount:
    """A checked account: an IBAN (with an optional BIC that must match its country), or an
    account number with the country's routing code (US, GB, CA, AU)."""
    country = (country or "").upper()
    if iban:
        compact = validate_iban(iban)
        checked_bic = validate_bic(bic) if bic else ""
        if (
            checked_bic
            and checked_bic[4:6] != compact[:2]
            and (compact[:2], checked_bic[4:6]) not in _BIC_SHARED
        ):
            raise ApplicationError(_("The BIC belongs to another country than the IBAN."), field="bic")
        return BankAccount(country=compact[:2], iban=compact, bic=checked_bic)
    national = NATIONAL_FORMATS.get(country)
    if national is None:
        raise ApplicationError(_("Enter the IBAN of the account."), field="iban")
    routing, account = _digits(routing_code), _digits(account_number)
    if not national.routing.fullmatch(routing):
        raise ApplicationError(
            _("This is not a valid %(what)s.") % {"what": _(national.routing_label)}, field="routing_code"
        )
    if country == "US":
        try:
            rtn.validate(routing)
        except stdnum_errors.ValidationError:
            raise ApplicationError(
                _("This is not a valid ABA routing number: the check digit does not match."),
                field="routing_code",
            ) from None
    if not national.account.fullmatch(account):
        raise ApplicationError(
            _("This is not a valid account number for this country."), field="account_number"
        )
    return BankAccount(
        country=country, account_number=account, routing_code=routing, bic=validate_bic(bic) if bic else ""
    )


# IBAN countries served by banks whose BIC carries another country's code (Monaco and
# French overseas departments use French BICs, for instance).
_BIC_SHARED = frozenset({("MC", "FR"), ("GF", "FR"), ("GP", "FR"), ("MQ", "FR"), ("RE", "FR"), ("PM", "FR")})
