"""An InvoiceFlow invoice or credit note as the EN 16931 model (`einvoicing.model.Invoice`).

The one place that knows both sides. `invoices` and `einvoicing` are siblings and never import
each other; `documents` sits above both and renders an invoice into files, so the mapping lives
here.

What it reads:

- the invoice, its lines and its per-rate tax totals (rates as frozen at finalization);
- the seller and client *snapshots* frozen at finalization, read by key and defensively (a key
  that is missing or empty is simply not stated). The keys each business term reads are in
  `SELLER_KEYS`, `BUYER_KEYS` and `bank_accounts()`: a new snapshot key is one entry there;
- the EN 16931 structure of the amounts (line nets, the stored allowances and charges, the
  VAT breakdown, BG-22 totals) from the money engine
  (`invoices.calculation`), fed with the stored lines and the frozen rates. The result must
  give the stored total and tax: if it does not, the invoice cannot be stated faithfully and
  `MappingError` says so.

An invoice that lacks mandatory data still maps: the official rules then say what is missing
(`einvoicing.explanations`). `MappingError` is only for what EN 16931 cannot express at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from einvoicing import model as en
from invoices import calculation, codelists
from invoices.calculation import LineInput, RateInput
from invoices.models import DiscountType, Invoice, InvoiceLine
from invoices.registration_ids import REGISTRATION_SCHEMES
from invoices.related import preceding_invoices
from invoices.services.allowances import document_rows, engine_input, line_rows

ZERO = Decimal(0)

# Business term → the snapshot keys that may hold it, first non-empty wins. The seller's
# company profile (legal name, registration ids, bank accounts…) adds keys here, one line each.
SELLER_KEYS: dict[str, tuple[str, ...]] = {
    "name": ("legal_name", "name"),  # BT-27
    "trading_name": ("trading_name", "name"),  # BT-28 (only when it differs from BT-27)
    "vat_id": ("vat_id", "tax_id"),  # BT-31
    "tax_registration_id": ("tax_number", "tax_registration_id"),  # BT-32
    "legal_registration": ("registration_id", "registration_number", "company_id"),  # BT-30
    "legal_registration_scheme": ("registration_scheme",),  # BT-30-1 (our code; ICD below)
    "legal_info": ("legal_info", "legal_mentions", "additional_legal_info"),  # BT-33
    "peppol_scheme": ("peppol_scheme",),  # BT-34-1
    "peppol_id": ("peppol_id",),  # BT-34
    "contact_name": ("contact_name",),  # BT-41
    "phone": ("phone",),  # BT-42
    "email": ("email", "billing_email"),  # BT-43, and BT-34 by email (EAS "EM") without a Peppol id
}
BUYER_KEYS: dict[str, tuple[str, ...]] = {
    "name": ("legal_name", "name"),  # BT-44
    "trading_name": ("trading_name",),  # BT-45
    "vat_id": ("vat_id", "tax_id"),  # BT-48
    "legal_registration": ("registration_id", "company_id"),  # BT-47
    "legal_registration_scheme": ("registration_scheme",),  # BT-47-1
    "peppol_scheme": ("peppol_scheme",),  # BT-49-1
    "peppol_id": ("peppol_id",),  # BT-49
    "contact_name": ("contact_name",),  # BT-56
    "phone": ("phone",),  # BT-57
    "email": ("email", "billing_email"),  # BT-58 (else the first of "emails")
}
ADDRESS_KEYS: dict[str, tuple[str, ...]] = {
    "country_code": ("country",),  # BT-40 / BT-55
    "line1": ("address_line1",),  # BT-35 / BT-50
    "line2": ("address_line2",),  # BT-36 / BT-51
    "line3": ("address_line3",),  # BT-162 / BT-163
    "city": ("city",),  # BT-37 / BT-52
    "postal_code": ("postal_code",),  # BT-38 / BT-53
    "subdivision": ("region",),  # BT-39 / BT-54
}

# UN/ECE Recommendation 20 codes for the free-text units people type (BT-130). A line's own
# unit code, once lines carry one, wins; anything unknown is "C62" (one, a unit).
UNIT_CODES = {
    "": "C62",
    "h": "HUR",
    "hr": "HUR",
    "hrs": "HUR",
    "hour": "HUR",
    "hours": "HUR",
    "heure": "HUR",
    "heures": "HUR",
    "stunde": "HUR",
    "stunden": "HUR",
    "min": "MIN",
    "minute": "MIN",
    "minutes": "MIN",
    "day": "DAY",
    "days": "DAY",
    "jour": "DAY",
    "jours": "DAY",
    "tag": "DAY",
    "tage": "DAY",
    "week": "WEE",
    "weeks": "WEE",
    "month": "MON",
    "months": "MON",
    "mois": "MON",
    "monat": "MON",
    "year": "ANN",
    "years": "ANN",
    "piece": "H87",
    "pieces": "H87",
    "pc": "H87",
    "pcs": "H87",
    "stk": "H87",
    "kg": "KGM",
    "g": "GRM",
    "km": "KMT",
    "m": "MTR",
    "l": "LTR",
    "litre": "LTR",
    "liter": "LTR",
}


class MappingError(ValueError):
    """The invoice holds something EN 16931 cannot state. `field` is what to change."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


# --- reading snapshots ---------------------------------------------------------------------


def first(snapshot: Mapping[str, Any], keys: Iterable[str]) -> str:
    """The first non-empty text among `keys` of a snapshot ('' when none)."""
    for key in keys:
        value = snapshot.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    return ""


def address(snapshot: Mapping[str, Any]) -> en.Address:
    values = {term: first(snapshot, keys) for term, keys in ADDRESS_KEYS.items()}
    values["country_code"] = values["country_code"].upper()
    return en.Address(**values)


def electronic_address(values: Mapping[str, str], email: str) -> en.ElectronicAddress | None:
    """The Peppol participant id when there is one, else the email address (EAS "EM")."""
    if values["peppol_id"] and values["peppol_scheme"]:
        return en.ElectronicAddress(values["peppol_id"], values["peppol_scheme"])
    return en.ElectronicAddress(email, "EM") if email else None


def registration_icd(scheme: str) -> str:
    """The ISO/IEC 6523 ICD of a registration scheme named by our code ("FR:SIRET" → "0009");
    a value that is already an ICD (four digits) stays; a scheme with no ICD gives none."""
    if scheme.isdigit():
        return scheme
    known = REGISTRATION_SCHEMES.get(scheme)
    return known.icd if known else ""


def party(snapshot: Mapping[str, Any], keys: Mapping[str, tuple[str, ...]], *, seller: bool) -> en.Party:
    values = {term: first(snapshot, term_keys) for term, term_keys in keys.items()}
    email = values["email"] or next((e for e in snapshot.get("emails") or () if isinstance(e, str)), "")
    registration = values["legal_registration"]
    contact = en.Contact(name=values["contact_name"], phone=values["phone"], email=email)
    trading_name = values["trading_name"] if values["trading_name"] != values["name"] else ""
    return en.Party(
        name=values["name"],
        address=address(snapshot),
        trading_name=trading_name,
        legal_registration=(
            en.Identifier(registration, registration_icd(values["legal_registration_scheme"]))
            if registration
            else None
        ),
        vat_id=values["vat_id"],
        tax_registration_id=values.get("tax_registration_id", "") if seller else "",
        legal_info=values.get("legal_info", "") if seller else "",
        electronic_address=electronic_address(values, email),
        contact=contact if (contact.name or contact.phone or contact.email) else None,
    )


def bank_accounts(snapshot: Mapping[str, Any]) -> tuple[en.CreditTransfer, ...]:
    """BG-17: the seller's accounts: the frozen default account ("bank_account"), a list under
    "bank_accounts", or one flat "iban"/"bic"."""
    accounts = [a for a in snapshot.get("bank_accounts") or () if isinstance(a, Mapping)]
    if isinstance(snapshot.get("bank_account"), Mapping):
        accounts = [snapshot["bank_account"], *accounts]
    if not accounts and first(snapshot, ("iban",)):
        accounts = [snapshot]
    transfers = []
    for account in accounts:
        account_id = first(account, ("iban", "account_number")).replace(" ", "").upper()
        if account_id:
            transfers.append(
                en.CreditTransfer(
                    account_id=account_id,
                    account_name=first(
                        account, ("account_name", "holder_name", "holder", "legal_name", "name")
                    ),
                    service_provider_id=first(account, ("bic",)).replace(" ", "").upper(),
                )
            )
    return tuple(transfers)


def payment(invoice: Invoice, seller: Mapping[str, Any]) -> en.PaymentInstructions | None:
    """BG-16: a (SEPA) credit transfer to the seller's account; nothing without an account."""
    transfers = bank_accounts(seller)
    if not transfers:
        return None
    sepa = invoice.currency == "EUR" and all(t.account_id[:2].isalpha() for t in transfers)
    return en.PaymentInstructions(
        means_code="58" if sepa else "30",
        means_text="SEPA credit transfer" if sepa else "Credit transfer",
        remittance_information=invoice.number or "",
        credit_transfers=transfers,
    )


# --- amounts -------------------------------------------------------------------------------


def _rate_inputs(invoice: Invoice) -> dict[int, RateInput]:
    """Each tax rate as the invoice froze it (its tax totals), by tax rate pk."""
    frozen: dict[int, RateInput] = {}
    for tax in invoice.tax_totals.all():
        if tax.tax_rate_id is not None:
            frozen[tax.tax_rate_id] = _rate_input(tax, tax.tax_rate_id)
    return frozen


def _rate_input(source: Any, key: int) -> RateInput:
    return RateInput(
        key=key,
        percentage=source.percentage,
        inclusive=source.inclusive,
        compound=source.compound,
        category=source.category,
        exemption_reason=source.exemption_reason,
        exemption_code=getattr(source, "exemption_code", "") or "",
    )


def _rates(taxes: Iterable[Any], frozen: Mapping[int, RateInput]) -> tuple[RateInput, ...]:
    """A line's (or a document allowance's) taxes as frozen, or as they are if not frozen."""
    return tuple(frozen.get(tax.tax_rate_id) or _rate_input(tax.tax_rate, tax.tax_rate_id) for tax in taxes)


def calculate(invoice: Invoice, lines: list[InvoiceLine]) -> tuple[calculation.Totals, list[tuple]]:
    frozen = _rate_inputs(invoice)
    line_rates = [_rates(line.line_taxes.all(), frozen) for line in lines]
    inputs = [
        LineInput(
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            rates=rates,
            base_quantity=line.base_quantity or Decimal(1),
            gross_price=line.gross_price,
            allowances_charges=tuple(engine_input(row) for row in line_rows(line)),
        )
        for line, rates in zip(lines, line_rates, strict=True)
    ]
    # The invoice's own allowances and charges (BG-20/21), each with its VAT category and rate.
    document = [engine_input(row, _rates(row.taxes.all(), frozen)) for row in document_rows(invoice)]
    percent = invoice.discount_type == DiscountType.PERCENT
    totals = calculation.calculate(
        inputs,
        invoice.currency,
        allowances_charges=document,
        discount_amount=None if percent else invoice.discount_value,
        discount_percent=invoice.discount_value if percent else None,
        prepaid_amount=invoice.prepaid_amount,
        cash_rounding=invoice.cash_rounding,
    )
    if (totals.total, totals.tax_total, totals.amount_due) != (
        invoice.total,
        invoice.tax_total,
        invoice.amount_due,
    ):
        raise MappingError(
            _(
                "The invoice's stored totals do not follow from its lines; "
                "it cannot be stated as an e-invoice."
            ),
            field="lines",
        )
    return totals, line_rates


def one_rate(rates: tuple[RateInput, ...], position: int) -> RateInput:
    if len(rates) > 1:
        raise MappingError(
            _(
                "Line %(n)d carries %(count)d taxes. An e-invoice (EN 16931) states one VAT rate per "
                "line: give the line a single tax rate."
            )
            % {"n": position, "count": len(rates)},
            field="line: tax rate",
        )
    if not rates:
        raise MappingError(
            _(
                "Line %(n)d has no tax rate. An e-invoice (EN 16931) states a VAT category on every "
                "line: give it a rate (a 0 %% rate with its category when no VAT is due)."
            )
            % {"n": position},
            field="line: tax rate",
        )
    return rates[0]


def vat_rate(rate: RateInput | None) -> Decimal | None:
    # Category O ("not subject to VAT") states no rate (BR-O-05).
    if rate is None or rate.category == "O":
        return None
    return rate.percentage.normalize() if rate.percentage else Decimal("0")


def unit_code(line: InvoiceLine) -> str:
    own = getattr(line, "unit_code", "") or (line.metadata or {}).get("unit_code", "")
    if isinstance(own, str) and own.strip():
        return own.strip().upper()
    typed = line.unit.strip()
    if typed.upper() in codelists.units():  # someone typed the code itself: HUR, KGM…
        return typed.upper()
    return UNIT_CODES.get(typed.lower().rstrip("."), "C62")


def map_line(
    line: InvoiceLine, result: calculation.LineResult, rates: tuple[RateInput, ...], position: int
) -> en.Line:
    rate = one_rate(rates, position)
    name, _sep, description = line.description.strip().partition("\n")
    inclusive = any(r.inclusive for r in rates)
    base_quantity = line.base_quantity or Decimal(1)
    net_price = line.unit_price
    if inclusive and line.quantity:
        # A price that includes VAT is stated net of it (BT-146 excludes VAT), per base quantity.
        net_price = (result.net_amount * base_quantity / line.quantity).quantize(Decimal("0.000001"))
    code = unit_code(line)
    stated_base = base_quantity != 1
    gross = line.gross_price if line.gross_price is not None and not inclusive else None
    return en.Line(
        id=str(position),
        quantity=line.quantity.normalize(),
        unit_code=code,
        net_amount=result.net_amount,
        net_price=net_price,
        # BT-149/BT-150: the price is per this many units, in the line's own unit (PEPPOL R130).
        base_quantity=base_quantity.normalize() if stated_base else None,
        base_quantity_unit_code=code if stated_base else "",
        gross_price=gross,  # BT-148, and the price discount BT-147 = gross - net
        price_discount=gross - net_price if gross is not None else None,
        period=line_period(line),
        item=en.Item(name=name.strip()[:200], description=description.strip()),
        vat_category=rate.category,
        vat_rate=vat_rate(rate),
        allowances_charges=tuple(
            en.AllowanceCharge(
                is_charge=ac.charge,
                amount=ac.net_amount,
                base_amount=ac.base_amount if ac.source.percentage is not None else None,
                percentage=ac.source.percentage,
                reason=ac.source.reason,
                reason_code=ac.source.reason_code,
            )
            for ac in result.allowances_charges
        ),
    )


def period(start: Any, end: Any) -> en.Period | None:
    """BG-14 / BG-26: stated when either end is known."""
    return en.Period(start=start, end=end) if (start or end) else None


def line_period(line: InvoiceLine) -> en.Period | None:
    return period(line.period_start, line.period_end)


def document_allowance(result: calculation.AllowanceChargeResult) -> en.AllowanceCharge:
    # One rate per group (today's discount is split so); several rates were refused on a line.
    rate = result.source.rates[0] if result.source.rates else None
    exact = result.net_amount == result.amount
    return en.AllowanceCharge(
        is_charge=result.charge,
        amount=result.net_amount,
        base_amount=result.base_amount if exact and result.source.percentage is not None else None,
        percentage=result.source.percentage if exact else None,
        reason=result.source.reason,
        reason_code=result.source.reason_code,
        vat_category=rate.category if rate else "",
        vat_rate=vat_rate(rate),
    )


def vat_breakdown(totals: calculation.Totals) -> tuple[en.VatBreakdown, ...]:
    """BG-23, one per VAT category and rate (two tax rates named differently but alike merge)."""
    merged: dict[tuple[str, Decimal | None], en.VatBreakdown] = {}
    for group in totals.taxes:
        key = (group.rate.category, vat_rate(group.rate))
        known = merged.get(key)
        merged[key] = en.VatBreakdown(
            category=group.rate.category,
            rate=key[1],
            taxable_amount=group.taxable_base + (known.taxable_amount if known else ZERO),
            tax_amount=group.tax_amount + (known.tax_amount if known else ZERO),
            exemption_reason=(known.exemption_reason if known else "") or group.rate.exemption_reason,
            exemption_reason_code=(known.exemption_reason_code if known else "") or group.rate.exemption_code,
        )
    return tuple(merged.values())


def _optional(amount: Decimal) -> Decimal | None:
    return amount if amount else None


def document_totals(totals: calculation.Totals) -> en.Totals:
    return en.Totals(
        line_total=totals.line_total,
        tax_exclusive=totals.tax_exclusive_amount,
        tax_inclusive=totals.tax_inclusive_amount,
        payable=totals.amount_due,
        tax_total=totals.tax_total,
        allowance_total=_optional(totals.allowance_total),
        charge_total=_optional(totals.charge_total),
        prepaid=_optional(totals.prepaid_amount),
        rounding=_optional(totals.rounding_amount),
    )


# --- the invoice ---------------------------------------------------------------------------


def buyer_snapshot(invoice: Invoice) -> dict[str, Any]:
    """The client as frozen at finalization; keys the snapshot predates come from the client."""
    snapshot = dict(invoice.client_snapshot or {})
    for key in ("peppol_scheme", "peppol_id"):
        if key not in snapshot:
            snapshot[key] = getattr(invoice.client, key, "")
    return snapshot


def to_einvoice(invoice: Invoice) -> en.Invoice:
    """The finalized invoice or credit note as EN 16931 says it.

    `invoice` should come with its lines (and their taxes), tax totals, client and credited
    invoice loaded, as `documents.render.load_invoice_for_render` returns it.
    """
    lines = list(invoice.lines.all())
    totals, line_rates = calculate(invoice, lines)
    seller = dict(invoice.seller_snapshot or {})
    return en.Invoice(
        number=invoice.number or "",
        issue_date=invoice.issue_date,
        type_code=en.DocumentType.CREDIT_NOTE
        if invoice.is_credit_note
        else en.DocumentType.COMMERCIAL_INVOICE,
        currency=invoice.currency,
        seller=party(seller, SELLER_KEYS, seller=True),
        buyer=party(buyer_snapshot(invoice), BUYER_KEYS, seller=False),
        lines=tuple(
            map_line(line, result, rates, position)
            for position, (line, result, rates) in enumerate(
                zip(lines, totals.lines, line_rates, strict=True), start=1
            )
        ),
        vat_breakdown=vat_breakdown(totals),
        totals=document_totals(totals),
        allowances_charges=tuple(document_allowance(ac) for ac in totals.document_allowances_charges),
        due_date=invoice.due_date,
        buyer_reference=invoice.buyer_reference.strip(),
        contract_reference=invoice.contract_reference.strip(),  # BT-12
        project_reference=invoice.project_reference.strip(),  # BT-11
        purchase_order_reference=invoice.order_reference.strip(),  # BT-13
        invoicing_period=period(invoice.period_start, invoice.period_end),  # BG-14
        payment_terms=invoice.terms.strip(),
        notes=(en.Note(invoice.notes.strip()),) if invoice.notes.strip() else (),
        # BG-3: a credit note's credited invoice; the deposit and progress invoices a progress
        # or final invoice made from a quote follows (invoices.related, registered by quotes).
        preceding_invoices=tuple(
            en.PrecedingInvoice(preceding.number or "", preceding.issue_date)
            for preceding in preceding_invoices(invoice)
        ),
        payment=payment(invoice, seller),
    )
