"""Allowances and charges as entered (document and line level): parsing with field-level
errors, engine inputs, and storing what the engine computed.

A document-level one names its tax rates (the VAT category and rate it reduces or adds to,
BT-95/BT-102; none, like an untaxed line, for the untaxed lines); a line's takes its line's.
Each is an amount, or a percentage of a base (the line's amount, or the sum of the lines of
its rates, when no base is given), and states its reason as text or as a UNTDID 5189
(allowance) / 7161 (charge) code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from core.errors import ApplicationError, FieldPath
from invoices import codelists
from invoices.calculation import AllowanceCharge as AllowanceChargeInput
from invoices.calculation import RateInput
from invoices.calculation.results import AllowanceChargeResult
from invoices.models import AllowanceCharge, AllowanceChargeTax, Invoice, InvoiceLine, TaxRate
from invoices.models.allowances import REASON_MAX
from invoices.money import parse_amount, parse_percentage
from invoices.services.catalog import resolve_tax_rates

MAX_PER_LEVEL = 100


def taxes_with_rates() -> Prefetch:
    """A document-level row's taxes with their rates joined in: one query, not two."""
    return Prefetch("taxes", queryset=AllowanceChargeTax.objects.select_related("tax_rate"))


@dataclass
class AllowanceChargeData:
    """One allowance or charge as entered. Give `amount`, or `percentage` (and optionally
    `base_amount`). `tax_rates`: public ids or instances, document level only."""

    charge: bool = False
    amount: Decimal | int | str | None = None
    percentage: Decimal | int | str | None = None
    base_amount: Decimal | int | str | None = None
    reason: str = ""
    reason_code: str = ""
    tax_rates: Sequence[TaxRate | str] = ()

    @classmethod
    def from_row(cls, row: AllowanceCharge) -> AllowanceChargeData:
        return cls(
            charge=row.charge,
            amount=row.amount if row.percentage is None else None,
            percentage=row.percentage,
            base_amount=row.base_amount,
            reason=row.reason,
            reason_code=row.reason_code,
            tax_rates=[tax.tax_rate for tax in row.taxes.all()],
        )


@dataclass
class ParsedAllowanceCharge:
    data: AllowanceChargeData
    charge: bool
    amount: Decimal | None
    percentage: Decimal | None
    base_amount: Decimal | None
    reason: str
    reason_code: str
    rates: list[TaxRate]

    def calculation_input(self, rate_input: Any) -> AllowanceChargeInput:
        return AllowanceChargeInput(
            charge=self.charge,
            amount=self.amount,
            percentage=self.percentage,
            base_amount=self.base_amount,
            rates=tuple(rate_input(rate) for rate in self.rates),
            reason=self.reason,
            reason_code=self.reason_code,
        )


def _as_data(item: AllowanceChargeData | Mapping[str, Any]) -> AllowanceChargeData:
    if isinstance(item, AllowanceChargeData):
        return item
    if not isinstance(item, Mapping):
        raise TypeError("An allowance or charge is a mapping or AllowanceChargeData.")
    known = set(AllowanceChargeData.__dataclass_fields__)
    return AllowanceChargeData(**{key: value for key, value in item.items() if key in known})


def parse_allowances_charges(
    items: Sequence[AllowanceChargeData | Mapping[str, Any]],
    currency: str,
    *,
    prefix: FieldPath,
    document: bool,
    known_rates: Mapping[str, TaxRate] | None = None,
) -> list[ParsedAllowanceCharge]:
    """Checked allowances and charges; ApplicationError naming the field, e.g.
    ("allowances_charges", 0, "reason_code") or ("lines", 2, "allowances_charges", 0, "amount")."""
    if len(items) > MAX_PER_LEVEL:
        raise ApplicationError(
            _("At most %(n)d allowances and charges.") % {"n": MAX_PER_LEVEL}, field=prefix
        )
    parsed = []
    for index, raw in enumerate(items):
        item = _as_data(raw)

        def at(name: str, index: int = index) -> FieldPath:
            return (*prefix, index, name)

        given_amount = item.amount not in (None, "")
        given_percentage = item.percentage not in (None, "")
        if given_amount == given_percentage:
            raise ApplicationError(
                _("Give an allowance or charge an amount or a percentage, not both."), field=at("amount")
            )
        amount = percentage = base = None
        if given_amount:
            amount = parse_amount(item.amount, currency=currency, field=at("amount"), label=_("the amount"))
        else:
            percentage = parse_percentage(item.percentage, field=at("percentage"))
            if item.base_amount not in (None, ""):
                base = parse_amount(
                    item.base_amount, currency=currency, field=at("base_amount"), label=_("the base amount")
                )
        if not given_percentage and item.base_amount not in (None, ""):
            raise ApplicationError(_("A base amount goes with a percentage."), field=at("base_amount"))
        reason = (item.reason or "").strip()
        if len(reason) > REASON_MAX:
            raise ApplicationError(
                _("A reason has at most %(n)d characters.") % {"n": REASON_MAX}, field=at("reason")
            )
        code = (item.reason_code or "").strip()
        if code:
            codes = codelists.charge_reasons() if item.charge else codelists.allowance_reasons()
            if code not in codes:
                raise ApplicationError(
                    (
                        _("%(code)s is not a UNTDID 7161 charge reason code.")
                        if item.charge
                        else _("%(code)s is not a UNTDID 5189 allowance reason code.")
                    )
                    % {"code": code[:10]},
                    field=at("reason_code"),
                )
        if not (reason or code):
            raise ApplicationError(
                _("State the reason of this allowance or charge, as text or as a code."), field=at("reason")
            )
        rates: list[TaxRate] = []
        if document:
            # None: it falls on the lines that carry no tax, as those lines do.
            rates = resolve_tax_rates(list(item.tax_rates), field=at("tax_rates"), known=known_rates)
        elif item.tax_rates:
            raise ApplicationError(
                _("A line's allowances and charges take the line's tax rates."), field=at("tax_rates")
            )
        parsed.append(
            ParsedAllowanceCharge(item, bool(item.charge), amount, percentage, base, reason, code, rates)
        )
    return parsed


def rows_of(invoice: Invoice) -> list[AllowanceCharge]:
    """The invoice's allowances and charges of both levels, with their taxes (two queries),
    cached on the invoice (see `invoices.prefetch`)."""
    cached = getattr(invoice, "_allowances_charges", None)
    if cached is None:
        cached = list(AllowanceCharge.objects.filter(invoice=invoice).prefetch_related(taxes_with_rates()))
        for row in cached:
            row.invoice = invoice
        rows_cache(invoice, cached)
    return cached


def rows_cache(owner: Invoice | InvoiceLine, rows: list[AllowanceCharge]) -> None:
    """Keep an invoice's (or a line's) allowances and charges on it for `rows_of` and
    `line_rows` (`store_allowances_charges` drops an invoice's when it writes new ones)."""
    # An attribute of our own on the model instance, which the model does not declare.
    owner._allowances_charges = rows  # type: ignore[union-attr]


def document_rows(invoice: Invoice) -> list[AllowanceCharge]:
    return [row for row in rows_of(invoice) if row.line_id is None]


def line_rows(line: InvoiceLine) -> list[AllowanceCharge]:
    """A line's allowances and charges (read with its invoice by `invoices.prefetch`)."""
    cached = getattr(line, "_allowances_charges", None)
    return list(line.allowances_charges.all()) if cached is None else cached


def engine_input(row: AllowanceCharge, rates: tuple[RateInput, ...] = ()) -> AllowanceChargeInput:
    """A stored allowance or charge as the engine reads it: as entered (an amount, or a
    percentage of its base), with `rates` for a document-level one (as the invoice froze them)."""
    return AllowanceChargeInput(
        charge=row.charge,
        amount=row.amount if row.percentage is None else None,
        percentage=row.percentage,
        base_amount=row.base_amount,
        rates=rates,
        reason=row.reason,
        reason_code=row.reason_code,
    )


def store_allowances_charges(
    invoice: Invoice,
    items: Sequence[
        tuple[InvoiceLine | None, Sequence[ParsedAllowanceCharge], Sequence[AllowanceChargeResult]]
    ],
) -> None:
    """Write the rows of each (line or None for the document, parsed items, engine results)."""
    AllowanceCharge.objects.filter(invoice=invoice, line__isnull=True).delete()
    invoice.__dict__.pop("_allowances_charges", None)
    made: list[tuple[AllowanceCharge, ParsedAllowanceCharge]] = []
    for line, parsed, results in items:
        for position, (item, result) in enumerate(zip(parsed, results, strict=True)):
            row = AllowanceCharge(
                tenant_id=invoice.tenant_id,
                invoice=invoice,
                line=line,
                position=position,
                charge=item.charge,
                percentage=item.percentage,
                base_amount=item.base_amount,
                amount=result.amount,
                computed_base=result.base_amount,
                reason=item.reason,
                reason_code=item.reason_code,
            )
            made.append((row, item))
    AllowanceCharge.objects.bulk_create([row for row, _ in made])
    AllowanceChargeTax.objects.bulk_create(
        [
            AllowanceChargeTax(
                tenant_id=invoice.tenant_id, invoice=invoice, allowance_charge=row, tax_rate=rate
            )
            for row, item in made
            for rate in item.rates
        ]
    )
