"""How the client pays an invoice by bank transfer, as every surface prints it (PDF, the invoice's
pages, the email): the seller's account frozen into the invoice, the payment reference (the
invoice number) and, where a standard exists, a QR code a banking app reads.

- EUR to an IBAN: the EPC "GiroCode" (`invoices.payment_qr.epc_qr_svg`).
- CHF (or EUR) to a Swiss or Liechtenstein IBAN: the Swiss QR-bill's payment part.

Pure: reads the invoice and its snapshots, writes nothing. A QR code that cannot be made (no
address for the QR-bill, an amount out of range) is left out; the bank details still print.
"""

from __future__ import annotations

import base64
import re
from decimal import Decimal
from typing import Any

from core.errors import ApplicationError
from invoices.models.seller import PaymentMeans
from invoices.payment_qr import EpcPayment, SwissAddress, epc_qr_svg, swiss_qr_bill_svg

_HOUSE_NUMBER = re.compile(r"^(?P<street>.*?)[\s,]+(?P<number>\d+\s?[a-zA-Z]?)$")
SWISS_QR_COUNTRIES = ("CH", "LI")


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _swiss_address(party: dict[str, Any], name: str) -> SwissAddress | None:
    street = (party.get("address_line1") or "").strip()
    if not (street and party.get("postal_code") and party.get("city") and party.get("country")):
        return None
    found = _HOUSE_NUMBER.match(street)
    return SwissAddress(
        name=name[:70],
        street=found["street"] if found else street,
        house_number=found["number"] if found else "",
        postal_code=party["postal_code"],
        city=party["city"],
        country=party["country"],
    )


def _epc(account: dict[str, Any], seller: dict[str, Any], amount: Decimal, reference: str) -> str:
    try:
        svg = epc_qr_svg(
            EpcPayment(
                beneficiary=(
                    account.get("holder_name") or seller.get("legal_name") or seller.get("name", "")
                )[:70],
                iban=account["iban"],
                amount=amount,
                remittance_text=reference,
                bic=account.get("bic", ""),
            ),
            scale=3,
        )
    except ApplicationError:
        return ""
    return _data_uri(svg)


def _swiss(
    account: dict[str, Any],
    seller: dict[str, Any],
    buyer: dict[str, Any],
    amount: Decimal,
    currency: str,
    reference: str,
    language: str,
) -> str:
    creditor = _swiss_address(
        seller, account.get("holder_name") or seller.get("legal_name") or seller.get("name", "")
    )
    if creditor is None:
        return ""
    try:
        svg = swiss_qr_bill_svg(
            iban=account["iban"],
            creditor=creditor,
            amount=amount,
            currency=currency,
            debtor=_swiss_address(buyer, buyer.get("name", "")),
            message=reference,
            language=language,
        )
    except ApplicationError:
        return ""
    return _data_uri(svg)


def payment_instructions(
    *,
    invoice: Any,
    seller: dict[str, Any],
    buyer: dict[str, Any],
    with_qr: bool = True,
    language: str = "en",
) -> dict[str, Any] | None:
    """The bank transfer block of `invoice`, or None when its seller has no account in its
    currency. `seller`/`buyer` are the snapshots it prints (frozen, or live for a draft)."""
    account = seller.get("bank_account")
    if not account:
        return None
    payable = not invoice.is_draft and not invoice.is_credit_note and invoice.status != "void"
    reference = invoice.number if payable else ""
    amount = invoice.balance_due if payable else Decimal(0)
    epc = swiss = ""
    if with_qr and payable and amount > 0 and account.get("iban"):
        if account["iban"][:2] in SWISS_QR_COUNTRIES and invoice.currency in ("CHF", "EUR"):
            swiss = _swiss(account, seller, buyer, amount, invoice.currency, reference, language)
        elif invoice.currency == "EUR":
            epc = _epc(account, seller, amount, reference)
    means = account.get("payment_means", "")
    return {
        "account": account,
        # Named at render time, in the document's language (the snapshot keeps the UNCL 4461 code).
        "means": PaymentMeans(means).label if means in PaymentMeans.values else "",
        "reference": reference,
        "epc_qr": epc,
        "swiss_qr_bill": swiss,
    }
