"""What an invoice must state, by the seller's country and the transaction, before it is final.

`required_fields(...)` lists the facts the law asks for; `missing_fields(required, facts)`
names those an invoice lacks, so finalizing can refuse with each missing field named. The
machine names are the invoice's data points ("buyer.vat_id"); the labels say them to people.

Sources: EU: VAT directive 2006/112/EC art. 226 (full invoice) and 226b (simplified invoice:
not used here, every invoice is a full one); UK: VAT Regulations 1995 reg. 14(1); Switzerland:
MWSTG art. 26 para. 2 (and OR art. 957ff for the company name); Canada: Input Tax Credit
Information Regulations (thresholds of CAD 30 and 150); US: no federal invoice content law,
state sales tax asks for the seller's identity and the tax charged, never a VAT id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from core.countries import EU_MEMBER_STATES
from invoices import vat

COVERED = EU_MEMBER_STATES | {"GB", "CH", "LI", "US", "CA"}


@dataclass(frozen=True)
class Requirement:
    name: str  # the data point, e.g. "buyer.vat_id"
    label: StrOrPromise  # translated when shown
    basis: str  # the legal provision

    def __str__(self) -> str:
        return str(self.label)


def _r(name: str, label: StrOrPromise, basis: str) -> Requirement:
    return Requirement(name, label, basis)


def required_fields(
    *,
    seller_country: str,
    buyer_country: str,
    buyer_is_business: bool,
    vat_categories: Iterable[str],
    total: Decimal | None = None,
) -> list[Requirement]:
    """The facts an invoice from `seller_country` must state for this transaction.

    `vat_categories` are the UNCL 5305 codes its lines use (S, Z, E, AE, K, G, O…); `total`
    the invoice total in its currency (Canada's requirements grow with it, in CAD).
    """
    seller, buyer = seller_country.upper(), buyer_country.upper()
    categories = set(vat_categories)
    if seller not in COVERED:
        raise ValueError(f"No invoice requirements are known for {seller!r} yet.")
    needs: list[Requirement] = []
    if seller in EU_MEMBER_STATES:
        basis = "VAT directive 2006/112/EC art. 226"
        needs += [
            _r("seller.name", _("Your company name"), f"{basis}(5)"),
            _r("seller.address", _("Your address"), f"{basis}(5)"),
            _r("buyer.name", _("The client's name"), f"{basis}(5)"),
            _r("buyer.address", _("The client's address"), f"{basis}(5)"),
        ]
        if categories - {vat.OUTSIDE_SCOPE}:
            needs.append(_r("seller.vat_id", _("Your VAT number"), f"{basis}(3)"))
        intra_eu = buyer in EU_MEMBER_STATES and buyer != seller and buyer_is_business
        if intra_eu or categories & {vat.REVERSE_CHARGE, vat.INTRA_COMMUNITY}:
            needs.append(_r("buyer.vat_id", _("The client's VAT number"), f"{basis}(4)"))
    elif seller == "GB":
        basis = "VAT Regulations 1995 reg. 14(1)"
        needs += [
            _r("seller.name", _("Your company name"), basis),
            _r("seller.address", _("Your address"), basis),
            _r("buyer.name", _("The client's name"), basis),
            _r("buyer.address", _("The client's address"), basis),
        ]
        if categories - {vat.OUTSIDE_SCOPE}:
            needs.append(_r("seller.vat_id", _("Your VAT registration number"), basis))
        if vat.REVERSE_CHARGE in categories:
            needs.append(_r("buyer.vat_id", _("The client's VAT number"), "VAT Act 1994 s. 55A"))
    elif seller in ("CH", "LI"):
        basis = "MWSTG art. 26 para. 2"
        needs += [
            _r("seller.name", _("Your company name"), f"{basis} a"),
            _r("seller.address", _("Your address"), f"{basis} a"),
            _r("seller.vat_id", _("Your UID/VAT number (CHE-… MWST)"), f"{basis} a"),
            _r("buyer.name", _("The client's name"), f"{basis} b"),
            _r("buyer.address", _("The client's address"), f"{basis} b"),
        ]
    elif seller == "CA":
        basis = "Input Tax Credit Information (GST/HST) Regulations s. 3"
        needs.append(_r("seller.name", _("Your business name"), f"{basis}(a)"))
        if total is None or total >= 30:
            needs.append(_r("seller.vat_id", _("Your GST/HST registration number"), f"{basis}(b)"))
        if total is None or total >= 150:
            needs.append(_r("buyer.name", _("The client's name"), f"{basis}(c)"))
    elif seller == "US":
        # Sales tax: who sells and what tax was charged. No VAT id exists to ask for.
        needs += [
            _r("seller.name", _("Your business name"), "state sales tax rules"),
            _r("seller.address", _("Your address"), "state sales tax rules"),
            _r("buyer.name", _("The client's name"), "state sales tax rules"),
        ]
    if seller not in ("US", "CA"):
        for code in sorted(categories):
            if code in vat.CATEGORIES and vat.category(code).needs_exemption_reason:
                # EN 16931 BR-E-10, BR-AE-10, BR-IC-10, BR-G-10, BR-O-10; art. 226(11)/(11a)
                needs.append(
                    _r(
                        f"exemption_reason.{code}",
                        _("Why no VAT is charged (%(code)s)") % {"code": code},
                        "art. 226(11)",
                    )
                )
    return needs


def missing_fields(required: Iterable[Requirement], facts: Mapping[str, object]) -> list[Requirement]:
    """The requirements `facts` (data point -> value) leave empty, in the order required."""
    return [need for need in required if not str(facts.get(need.name) or "").strip()]
