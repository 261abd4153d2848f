"""VAT numbers and company registration numbers, checked for format and check digits.

python-stdnum knows each country's rules (length, alphabet, check-digit algorithm); we only
choose which of its validators applies to which (country, scheme) and turn its exceptions
into a message naming the field. Nothing here asks a registry (VIES) whether the number is
live: that is a network lookup, for a service, not a format check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.util import get_cc_module

from core.errors import ApplicationError

if TYPE_CHECKING:
    from stdnum.util import NumberValidationModule

# Countries whose VAT numbers the EU module checks (with their prefix; Greece is "EL").
EU_VAT_COUNTRIES = frozenset(eu_vat.MEMBER_STATES) - {"el"} | {"gr"}

# VAT-like tax numbers outside the EU: the scheme EN 16931 calls the seller's VAT
# identifier (BT-31) or tax registration (BT-32) in each country we cover.
VAT_MODULES = {"gb": "vat", "ch": "vat", "no": "mva", "au": "abn", "ca": "bn", "us": "ein"}


@dataclass(frozen=True)
class Scheme:
    code: str  # our name, e.g. "FR:SIRET"
    label: str
    stdnum_module: str
    icd: str = ""  # ISO/IEC 6523 ICD, for the e-invoice's scheme id (BT-30 schemeID)


# Company registration numbers (BT-30, BT-47) with a check-digit rule stdnum knows.
REGISTRATION_SCHEMES = {
    scheme.code: scheme
    for scheme in (
        Scheme("FR:SIREN", "SIREN", "siren", "0002"),
        Scheme("FR:SIRET", "SIRET", "siret", "0009"),
        Scheme("CH:UID", "UID (Unternehmens-Identifikationsnummer)", "uid", "0183"),
        Scheme("DK:CVR", "CVR-nummer", "cvr", "0184"),
        Scheme("DE:HRN", "Handelsregisternummer", "handelsregisternummer"),
        Scheme("IT:CF", "Codice fiscale", "codicefiscale"),
        Scheme("ES:NIF", "NIF", "nif"),
        Scheme("BE:NN", "Ondernemingsnummer / numéro d'entreprise", "vat", "0208"),
        Scheme("GB:UTR", "Unique Taxpayer Reference", "utr"),
        Scheme("US:EIN", "Employer Identification Number", "ein"),
        Scheme("CA:BN", "Business Number", "bn"),
        Scheme("AU:ABN", "Australian Business Number", "abn", "0151"),
    )
}

_REASONS = {
    stdnum_errors.InvalidChecksum: "the check digits do not match",
    stdnum_errors.InvalidLength: "it has the wrong number of characters",
    stdnum_errors.InvalidFormat: "it is not in this country's format",
    stdnum_errors.InvalidComponent: "a part of it is not valid",
}


def _check(module: NumberValidationModule | None, number: str, *, field: str, what: str) -> str:
    if module is None:  # python-stdnum has no module for this country and kind of number
        raise ApplicationError(_("Numbers of this kind cannot be checked for this country yet."), field=field)
    try:
        return module.validate(number)
    except stdnum_errors.ValidationError as error:
        reason = next((text for kind, text in _REASONS.items() if isinstance(error, kind)), "it is not valid")
        raise ApplicationError(
            _("This is not a valid %(what)s: %(reason)s.") % {"what": what, "reason": _(reason)}, field=field
        ) from None


def validate_vat_id(country: str, number: str, *, field: str = "vat_id") -> str:
    """The VAT id of a company in `country` (ISO 3166 alpha-2), compacted, with its prefix
    for EU numbers ("DE136695976"); ApplicationError(field) when its format or check digits
    are wrong. Outside the EU: GB VAT, CH MWST/TVA/IVA (CHE-…), NO MVA, AU ABN, CA BN
    (GST/HST account) and US EIN."""
    cc = (country or "").lower()
    text = (number or "").strip()
    if not text:
        raise ApplicationError(_("Enter the VAT number."), field=field)
    if cc in EU_VAT_COUNTRIES:
        prefix = "el" if cc == "gr" else cc
        compact = re.sub(r"[\s.\-/]", "", text).upper()
        if not compact.lower().startswith(prefix):
            compact = prefix.upper() + compact
        return _check(eu_vat, compact, field=field, what=_("VAT number"))
    module_name = VAT_MODULES.get(cc)
    if module_name is None:
        raise ApplicationError(_("VAT numbers of this country cannot be checked yet."), field=field)
    compact = _check(get_cc_module(cc, module_name), text, field=field, what=_("tax number"))
    # BR-CO-09: a VAT identifier starts with its country's code ("GB980780684").
    return f"GB{compact}" if cc == "gb" and not compact.startswith("GB") else compact


def validate_registration_id(scheme: str, number: str, *, field: str = "registration_id") -> str:
    """A company registration number under `scheme` (a key of REGISTRATION_SCHEMES)."""
    try:
        definition = REGISTRATION_SCHEMES[scheme]
    except KeyError:
        raise ApplicationError(_("Choose a registration scheme from the list."), field=field) from None
    country = scheme.split(":", 1)[0].lower()
    module = get_cc_module(country, definition.stdnum_module)
    return _check(module, (number or "").strip(), field=field, what=definition.label)
