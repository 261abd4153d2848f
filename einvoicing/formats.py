"""Which formats a document is offered in.

- UBL (Peppol BIS 3.0) and plain CII: always, for every finalized invoice and credit note.
- Factur-X: on by default for sellers in the EU; the integration step adds the per-workspace
  and per-client switch and passes its value here.
- XRechnung (UBL and CII): when the buyer is a German public body, which shows as a Leitweg-ID
  in the buyer reference (BT-10).
"""

from __future__ import annotations

import re

from core.countries import EU_MEMBER_STATES
from einvoicing.model import Invoice
from einvoicing.syntax import Format

# Leitweg-ID: coarse address (2-12 digits), optional fine address (up to 30 letters/digits),
# two check digits (ISO 7064 MOD 97-10 over the rest, as KoSIT's format specification says).
_LEITWEG = re.compile(r"^(\d{2,12})(?:-([0-9A-Z]{1,30}))?-(\d{2})$")


def is_leitweg_id(text: str) -> bool:
    match = _LEITWEG.match(text.strip().upper())
    if not match:
        return False
    coarse, fine, check = match.groups()
    # Letters count as 10..35, as in IBANs; valid when the whole number mod 97 is 1.
    digits = "".join(str(int(char, 36)) for char in coarse + (fine or "")) + check
    return int(digits) % 97 == 1


def facturx_default(invoice: Invoice) -> bool:
    return invoice.seller.address.country_code.upper() in EU_MEMBER_STATES


def applicable_formats(invoice: Invoice, *, facturx: bool | None = None) -> tuple[Format, ...]:
    """The formats to offer; `facturx` is the workspace/client setting (None: the default)."""
    formats = [Format.UBL, Format.CII]
    if facturx_default(invoice) if facturx is None else facturx:
        formats.append(Format.FACTURX)
    if is_leitweg_id(invoice.buyer_reference):
        formats += [Format.XRECHNUNG_UBL, Format.XRECHNUNG_CII]
    return tuple(formats)
