"""VAT categories (UNCL 5305, EN 16931 BT-118/BT-151) and VATEX exemption reason codes.

Pure data and rules, no database: the engine (`invoices.calculation`), the tax-rate model and
the legal checks before finalizing (`invoices.legal`) all read the rules from here.

The categories are the ones EN 16931 allows (BR-CL-17/18). Each says whether its rate is
always 0 % (BR-Z-5, BR-E-5, BR-AE-5, BR-IC-5, BR-G-5, BR-O-5), whether an invoice using it
must state why no VAT is charged, as text (BT-120) or a VATEX code (BT-121): BR-E-10,
BR-AE-10, BR-IC-10, BR-G-10, BR-O-10; and which VAT identifiers it needs (BR-AE-02..04,
BR-IC-02..04: reverse charge and intra-community supplies need the buyer's VAT id).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from invoices.codelists import CodeList, load_code_list


@dataclass(frozen=True)
class VatCategory:
    code: str
    label: str | Promise
    zero_rate: bool
    needs_exemption_reason: bool
    needs_buyer_vat_id: bool = False
    needs_seller_vat_id: bool = True


STANDARD = "S"
ZERO_RATED = "Z"
EXEMPT = "E"
REVERSE_CHARGE = "AE"
INTRA_COMMUNITY = "K"
EXPORT = "G"
OUTSIDE_SCOPE = "O"
CANARY_ISLANDS = "L"
CEUTA_MELILLA = "M"
SPLIT_PAYMENT = "B"

CATEGORIES: dict[str, VatCategory] = {
    category.code: category
    for category in (
        VatCategory(STANDARD, _("Standard rate"), zero_rate=False, needs_exemption_reason=False),
        VatCategory(ZERO_RATED, _("Zero rated"), zero_rate=True, needs_exemption_reason=False),
        VatCategory(EXEMPT, _("Exempt from VAT"), zero_rate=True, needs_exemption_reason=True),
        VatCategory(
            REVERSE_CHARGE,
            _("Reverse charge"),
            zero_rate=True,
            needs_exemption_reason=True,
            needs_buyer_vat_id=True,
        ),
        VatCategory(
            INTRA_COMMUNITY,
            _("Intra-community supply"),
            zero_rate=True,
            needs_exemption_reason=True,
            needs_buyer_vat_id=True,
        ),
        VatCategory(EXPORT, _("Export outside the EU"), zero_rate=True, needs_exemption_reason=True),
        VatCategory(
            OUTSIDE_SCOPE,
            _("Outside the scope of VAT"),
            zero_rate=True,
            needs_exemption_reason=True,
            # BR-O-02..04: an invoice with only "O" lines carries no VAT identifiers at all.
            needs_seller_vat_id=False,
        ),
        VatCategory(CANARY_ISLANDS, _("Canary Islands IGIC"), zero_rate=False, needs_exemption_reason=False),
        VatCategory(
            CEUTA_MELILLA, _("Ceuta and Melilla IPSI"), zero_rate=False, needs_exemption_reason=False
        ),
        VatCategory(SPLIT_PAYMENT, _("Split payment"), zero_rate=False, needs_exemption_reason=False),
    )
}


def category(code: str) -> VatCategory:
    """The category for a UNCL 5305 code EN 16931 allows; ValueError otherwise (BR-CL-17)."""
    try:
        return CATEGORIES[code]
    except (KeyError, TypeError):
        raise ValueError(f"{code!r} is not a VAT category code EN 16931 allows.") from None


def rate_problem(code: str, percentage: Decimal) -> str | None:
    """Why `percentage` cannot go with category `code`, or None when it can."""
    if category(code).zero_rate and percentage != 0:
        return str(_("This VAT category always has a 0 % rate."))
    if code == STANDARD and percentage <= 0:
        return str(_("A standard VAT rate is above 0 % (EN 16931 BR-S-05)."))
    return None


def vatex() -> CodeList:
    """CEF VATEX: coded VAT exemption reasons (BT-121), e.g. VATEX-EU-AE for reverse charge."""
    return load_code_list("vatex")


def exemption_reason_text(code: str) -> str:
    """The VATEX code's own wording, to print beside the code (BT-120 from BT-121)."""
    return vatex().name(code)
