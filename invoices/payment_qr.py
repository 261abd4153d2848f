"""QR codes that let a client pay an invoice from a banking app.

- EUR: the EPC "GiroCode" (EPC069-12, SEPA credit transfer), made by segno: a QR code whose
  text is the beneficiary, IBAN, amount and the invoice number as remittance information.
- CHF: the Swiss QR-bill (the payment part of a Swiss invoice since 2022), made by qrbill
  as an SVG with its own layout and the Swiss cross, ready to print at the invoice's foot.

Both take amounts as Decimals of the invoice currency and refuse what their standards
refuse (another currency, an amount out of range, an IBAN that does not validate).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import segno
from django.utils.translation import gettext as _
from qrbill import QRBill
from segno import helpers as segno_helpers

from core.errors import ApplicationError
from invoices.bank_accounts import validate_bic, validate_iban
from invoices.money import quantize_money

EPC_MIN = Decimal("0.01")
EPC_MAX = Decimal("999999999.99")


@dataclass(frozen=True)
class EpcPayment:
    beneficiary: str  # at most 70 characters
    iban: str
    amount: Decimal  # EUR
    remittance_text: str  # e.g. "Invoice INV-2026-00042", at most 140 characters
    bic: str = ""


def epc_qr(payment: EpcPayment) -> segno.QRCode:
    """The EPC069-12 QR code (version 002, UTF-8, error correction M) for a SEPA transfer."""
    reject = None
    amount = quantize_money(payment.amount, "EUR")
    if not EPC_MIN <= amount <= EPC_MAX:
        reject = _("A GiroCode carries an amount from 0.01 to 999,999,999.99 EUR.")
    elif not 0 < len(payment.beneficiary.strip()) <= 70:
        reject = _("The beneficiary's name has 1 to 70 characters.")
    elif not 0 < len(payment.remittance_text.strip()) <= 140:
        reject = _("The payment reference has 1 to 140 characters.")
    if reject:
        raise ApplicationError(reject, field="amount")
    return segno_helpers.make_epc_qr(
        name=payment.beneficiary.strip(),
        iban=validate_iban(payment.iban),
        amount=amount,
        text=payment.remittance_text.strip(),
        bic=validate_bic(payment.bic) if payment.bic else None,
        encoding="utf-8",
    )


def epc_qr_png(payment: EpcPayment, *, scale: int = 4) -> bytes:
    buffer = io.BytesIO()
    epc_qr(payment).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def epc_qr_svg(payment: EpcPayment, *, scale: int = 4) -> str:
    buffer = io.BytesIO()
    epc_qr(payment).save(buffer, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True)
    return buffer.getvalue().decode("utf-8")


@dataclass(frozen=True)
class SwissAddress:
    name: str
    street: str
    house_number: str
    postal_code: str
    city: str
    country: str  # ISO 3166 alpha-2

    def as_qrbill(self) -> dict[str, str]:
        return {
            "name": self.name,
            "street": self.street,
            "house_num": self.house_number,
            "pcode": self.postal_code,
            "city": self.city,
            "country": self.country,
        }


def swiss_qr_bill_svg(
    *,
    iban: str,
    creditor: SwissAddress,
    amount: Decimal | None,
    currency: str = "CHF",
    debtor: SwissAddress | None = None,
    reference_number: str = "",
    message: str = "",
    language: str = "en",
) -> str:
    """The QR-bill payment part as SVG (CHF or EUR to a CH/LI account; `amount` None leaves
    it blank for the payer). A QR-IBAN needs a QR reference; a plain IBAN takes none or a
    creditor reference (RF…): qrbill enforces both, and its refusal becomes our message."""
    if currency not in ("CHF", "EUR"):
        raise ApplicationError(_("A Swiss QR-bill is in CHF or EUR."), field="currency")
    try:
        bill = QRBill(
            account=validate_iban(iban),
            creditor=creditor.as_qrbill(),
            debtor=debtor.as_qrbill() if debtor else None,
            amount=None if amount is None else str(quantize_money(amount, currency)),
            currency=currency,
            reference_number=reference_number or None,
            additional_information=message,
            language=language if language in ("en", "de", "fr", "it") else "en",
        )
    except ValueError as error:
        raise ApplicationError(
            _("No Swiss QR-bill can be made: %(reason)s") % {"reason": error}, field="iban"
        ) from None
    buffer = io.StringIO()
    bill.as_svg(buffer)
    return buffer.getvalue()
