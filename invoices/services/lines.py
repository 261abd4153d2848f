"""Invoice lines as entered: parsing with field-level errors, totals, and storing them.

Shared by drafts, finalization and credit notes; the builder's live preview calls
`invoice_calculate`, the same code that computes stored totals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError, FieldPath
from invoices import calculation, codelists, limits
from invoices.calculation import CalculationError, LineInput, RateInput, Totals
from invoices.models import (
    CatalogItem,
    DiscountType,
    Invoice,
    InvoiceLine,
    InvoiceLineTax,
    InvoiceStatus,
    InvoiceTaxTotal,
    TaxRate,
)
from invoices.money import (
    ZERO,
    check_currency,
    check_fits,
    parse_amount,
    parse_percentage,
    parse_quantity,
    parse_unit_price,
)
from invoices.services.allowances import (
    AllowanceChargeData,
    ParsedAllowanceCharge,
    line_rows,
    parse_allowances_charges,
    store_allowances_charges,
)
from invoices.services.catalog import resolve_tax_rates, tax_rates_by_public_id
from invoices.services.stored_totals import rates_of
from tenants.scoping import current_tenant

MAX_LINES = limits.MAX_LINES
MAX_METADATA_CHARS = limits.LINE_METADATA_MAX_CHARS
DISCOUNT_LABEL = gettext_lazy("the discount")  # translated only when a message says it


@dataclass
class LineData:
    """One line as entered. Amounts as strings (from a form), Decimals or ints; never floats.

    `tax_rates` and `catalog_item` are public ids (or instances) of the current tenant.
    """

    description: str
    quantity: Decimal | int | str
    unit_price: Decimal | int | str
    unit: str = ""
    discount: Decimal | int | str = "0"
    tax_rates: Sequence[TaxRate | str] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    catalog_item: CatalogItem | str | None = None
    unit_code: str = ""  # BT-130, UN/ECE Rec 20/21
    base_quantity: Decimal | int | str = "1"  # BT-149
    gross_price: Decimal | int | str | None = None  # BT-148
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135
    # BG-27/BG-28 beyond `discount`: AllowanceChargeData or mappings of its fields.
    allowances_charges: Sequence[AllowanceChargeData | Mapping[str, Any]] = ()

    @classmethod
    def from_line(cls, line: InvoiceLine) -> LineData:
        return cls(
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            unit=line.unit,
            discount=line.discount,
            tax_rates=[tax.tax_rate for tax in line.line_taxes.all()],
            metadata=dict(line.metadata),
            catalog_item=line.catalog_item,
            unit_code=line.unit_code,
            base_quantity=line.base_quantity,
            gross_price=line.gross_price,
            period_start=line.period_start,
            period_end=line.period_end,
            allowances_charges=[AllowanceChargeData.from_row(row) for row in line_rows(line)],
        )


@dataclass
class _ParsedLine:
    data: LineData
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal
    rates: list[TaxRate]
    catalog_item: CatalogItem | None
    base_quantity: Decimal = Decimal(1)
    gross_price: Decimal | None = None
    allowances_charges: list[ParsedAllowanceCharge] = field(default_factory=list)

    def calculation_input(self, rate_of: Callable[[TaxRate], RateInput] | None = None) -> LineInput:
        rate_of = rate_of or rate_input
        return LineInput(
            quantity=self.quantity,
            unit_price=self.unit_price,
            discount=self.discount,
            rates=tuple(rate_of(rate) for rate in self.rates),
            base_quantity=self.base_quantity,
            gross_price=self.gross_price,
            allowances_charges=tuple(item.calculation_input(rate_of) for item in self.allowances_charges),
        )


def rate_input(rate: TaxRate) -> RateInput:
    return RateInput(
        key=rate.pk,
        percentage=rate.percentage,
        inclusive=rate.inclusive,
        compound=rate.compound,
        category=rate.category,
        exemption_reason=rate.exemption_reason,
        exemption_code=rate.exemption_code,
    )


def _rate_inputs() -> Callable[[TaxRate], RateInput]:
    """`rate_input`, made once per rate instance: a long invoice names the same few rates on
    each of its lines. For one calculation, whose lines keep their rates alive."""
    made: dict[int, RateInput] = {}

    def rate_of(rate: TaxRate) -> RateInput:
        found = made.get(id(rate))
        if found is None:
            found = made[id(rate)] = rate_input(rate)
        return found

    return rate_of


def line_field(index: int, name: str) -> FieldPath:
    """The path to a line's field: ("lines", 0, "quantity") is the first line's quantity."""
    return ("lines", index, name)


def _as_line_data(line: LineData | Mapping[str, Any]) -> LineData:
    if isinstance(line, LineData):
        return line
    known = set(LineData.__dataclass_fields__)
    return LineData(**{key: value for key, value in line.items() if key in known})


def parse_lines(lines: Sequence[LineData | Mapping[str, Any]], currency: str) -> list[_ParsedLine]:
    if len(lines) > MAX_LINES:
        raise ApplicationError(_("An invoice has at most %(n)d lines.") % {"n": MAX_LINES}, field="lines")
    items = [_as_line_data(line) for line in lines]
    wanted_items = {
        item.catalog_item.public_id if isinstance(item.catalog_item, CatalogItem) else item.catalog_item
        for item in items
        if item.catalog_item
    }
    catalog = {item.public_id: item for item in CatalogItem.objects.filter(public_id__in=wanted_items)}
    known_rates = tax_rates_by_public_id(rate for item in items for rate in item.tax_rates)
    parsed = []
    for index, item in enumerate(items):
        description = (item.description or "").strip()
        if not description:
            raise ApplicationError(
                _("Describe what this line is for."), field=line_field(index, "description")
            )
        if len(description) > limits.LINE_DESCRIPTION_MAX:
            raise ApplicationError(
                _("A line's description has at most %(n)d characters.") % {"n": limits.LINE_DESCRIPTION_MAX},
                field=line_field(index, "description"),
            )
        # A negative quantity is a return, or a final invoice's deduction of what was billed before
        # (quotes/invoicing.py); the invoice's total stays >= 0: the engine checks.
        quantity = parse_quantity(item.quantity, field=line_field(index, "quantity"), allow_negative=True)
        unit_price = parse_unit_price(
            item.unit_price, currency=currency, field=line_field(index, "unit_price")
        )
        base_quantity, gross_price = _parse_price_details(item, unit_price, currency, index)
        _check_line_details(item, index)
        discount = parse_amount(
            item.discount,
            currency=currency,
            field=line_field(index, "discount"),
            blank_is_zero=True,
            label=DISCOUNT_LABEL,
        )
        rates = resolve_tax_rates(
            list(item.tax_rates), field=line_field(index, "tax_rates"), known=known_rates
        )
        catalog_item = None
        if item.catalog_item:
            key = (
                item.catalog_item.public_id
                if isinstance(item.catalog_item, CatalogItem)
                else item.catalog_item
            )
            catalog_item = catalog.get(key)
            if catalog_item is None:
                raise ApplicationError(
                    _("No such catalog item."), field=line_field(index, "catalog_item"), code="not_found"
                )
        if not isinstance(item.metadata, dict) or len(str(item.metadata)) > MAX_METADATA_CHARS:
            raise ApplicationError(
                _("Line metadata must be a JSON object under %(n)d characters.") % {"n": MAX_METADATA_CHARS},
                field=line_field(index, "metadata"),
            )
        extras = parse_allowances_charges(
            list(item.allowances_charges or ()),
            currency,
            prefix=line_field(index, "allowances_charges"),
            document=False,
        )
        parsed.append(
            _ParsedLine(
                item, quantity, unit_price, discount, rates, catalog_item, base_quantity, gross_price, extras
            )
        )
    return parsed


def _parse_price_details(
    item: LineData, unit_price: Decimal, currency: str, index: int
) -> tuple[Decimal, Decimal | None]:
    """BT-149 (above zero) and BT-148 (at least the net price: BT-147 = BT-148 - BT-146 >= 0)."""
    base_quantity = parse_quantity(
        item.base_quantity if item.base_quantity not in (None, "") else "1",
        field=line_field(index, "base_quantity"),
    )
    if base_quantity <= 0:
        raise ApplicationError(
            _("The price base quantity is above zero."), field=line_field(index, "base_quantity")
        )
    gross_price = None
    if item.gross_price not in (None, ""):
        gross_price = parse_unit_price(
            item.gross_price, currency=currency, field=line_field(index, "gross_price")
        )
        if gross_price < unit_price:
            raise ApplicationError(
                _("The gross price is at least the net unit price."), field=line_field(index, "gross_price")
            )
    return base_quantity, gross_price


def _check_line_details(item: LineData, index: int) -> None:
    if item.unit_code and item.unit_code not in codelists.units():
        raise ApplicationError(
            _("%(code)s is not a UN/ECE Recommendation 20 or 21 unit code.") % {"code": item.unit_code},
            field=line_field(index, "unit_code"),
        )
    if item.period_start and item.period_end and item.period_end < item.period_start:
        raise ApplicationError(_("The period ends before it starts."), field=line_field(index, "period_end"))


def parse_discount(discount_type: str, discount_value: Decimal | int | str | None, currency: str) -> Decimal:
    if discount_type not in DiscountType.values:
        raise ApplicationError(_("Choose an amount or a percentage."), field="discount_type")
    if discount_type == DiscountType.PERCENT:
        return parse_percentage(
            discount_value if discount_value not in (None, "") else "0", field="discount_value"
        )
    return parse_amount(
        discount_value, currency=currency, field="discount_value", blank_is_zero=True, label=_("the discount")
    )


def calculate_totals(
    parsed: list[_ParsedLine],
    currency: str,
    discount_type: str,
    discount_value: Decimal,
    *,
    prepaid_amount: Decimal = ZERO,
    cash_rounding: Decimal | None = None,
    allowances_charges: Sequence[ParsedAllowanceCharge] = (),
) -> Totals:
    rate_of = _rate_inputs()
    try:
        totals = calculation.calculate(
            [line.calculation_input(rate_of) for line in parsed],
            currency,
            allowances_charges=[item.calculation_input(rate_of) for item in allowances_charges],
            # No discount, no allowance (and no "discount above the subtotal" on a return).
            discount_amount=discount_value
            if discount_type == DiscountType.AMOUNT and discount_value
            else None,
            discount_percent=discount_value
            if discount_type == DiscountType.PERCENT and discount_value
            else None,
            prepaid_amount=prepaid_amount,
            cash_rounding=cash_rounding,
        )
    except CalculationError as error:
        name = error.field if error.index is None else line_field(error.index, error.field)
        if error.field == "discount" and error.index is None:
            name = "discount_value"
        raise ApplicationError(_(str(error)), field=name) from None
    for index, amount in enumerate(totals.line_amounts):
        check_fits(amount, field=line_field(index, "quantity"))
    for amount in (totals.subtotal, totals.tax_total, totals.total):
        check_fits(amount, field="lines")
    return totals


def invoice_calculate(
    *,
    currency: str,
    lines: Sequence[LineData | Mapping[str, Any]],
    discount_type: str = DiscountType.AMOUNT,
    discount_value: Decimal | int | str | None = "0",
    prepaid_amount: Decimal | int | str | None = "0",
    cash_rounding: Decimal | int | str | None = None,
    allowances_charges: Sequence[AllowanceChargeData | Mapping[str, Any]] = (),
) -> Totals:
    """Totals for lines as entered, without saving anything: the builder's live preview.

    Raises ApplicationError (with a field path like ("lines", 2, "unit_price")) on bad input, so
    the page can show the message beside the field. Same code as the stored totals.
    """
    currency = check_currency((currency or "").upper())
    parsed = parse_lines(lines, currency)
    return calculate_totals(
        parsed,
        currency,
        discount_type,
        parse_discount(discount_type, discount_value, currency),
        prepaid_amount=parse_prepaid(prepaid_amount, currency),
        cash_rounding=parse_cash_rounding(cash_rounding, currency),
        allowances_charges=parse_allowances_charges(
            allowances_charges, currency, prefix=("allowances_charges",), document=True
        ),
    )


def parse_prepaid(value: Decimal | int | str | None, currency: str) -> Decimal:
    """BT-113, in whole minor units of the currency."""
    return parse_amount(
        value, currency=currency, field="prepaid_amount", blank_is_zero=True, label=_("the prepaid amount")
    )


def parse_cash_rounding(value: Decimal | int | str | None, currency: str) -> Decimal | None:
    """The step the amount due is rounded to in cash (CHF 0.05, 1 HUF), or None."""
    if value in (None, ""):
        return None
    step = parse_amount(value, currency=currency, field="cash_rounding", label=_("the cash rounding step"))
    return step or None


# --- storing ---------------------------------------------------------------------------------


def store_lines(
    invoice: Invoice,
    parsed: list[_ParsedLine],
    totals: Totals,
    document: Sequence[ParsedAllowanceCharge] = (),
) -> None:
    """Replace the invoice's lines, their taxes, their and the document's allowances and
    charges (`document`: the invoice's own, beyond today's discount), and the per-rate tax
    totals."""
    tenant = current_tenant()
    # Lines read before (`invoices.prefetch`) are about to be replaced.
    getattr(invoice, "_prefetched_objects_cache", {}).pop("lines", None)
    InvoiceLine.objects.filter(invoice=invoice).delete()
    InvoiceTaxTotal.objects.filter(invoice=invoice).delete()
    lines = InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(
                tenant=tenant,
                invoice=invoice,
                position=position,
                catalog_item=line.catalog_item,
                description=line.data.description.strip(),
                quantity=line.quantity,
                unit=(line.data.unit or "").strip()[: limits.UNIT_MAX],
                unit_code=line.data.unit_code or "",
                unit_price=line.unit_price,
                base_quantity=line.base_quantity,
                gross_price=line.gross_price,
                period_start=line.data.period_start,
                period_end=line.data.period_end,
                discount=line.discount,
                net_amount=amount,
                metadata=line.data.metadata,
            )
            for position, (line, amount) in enumerate(zip(parsed, totals.line_amounts, strict=True))
        ]
    )
    InvoiceLineTax.objects.bulk_create(
        [
            InvoiceLineTax(tenant=tenant, line=line, tax_rate=rate)
            for line, source in zip(lines, parsed, strict=True)
            for rate in source.rates
        ]
    )
    document_results = totals.document_allowances_charges[
        len(totals.document_allowances_charges) - len(document) :
    ]
    store_allowances_charges(
        invoice,
        [
            *(
                (
                    line,
                    source.allowances_charges,
                    result.allowances_charges[
                        len(result.allowances_charges) - len(source.allowances_charges) :
                    ],
                )
                for line, source, result in zip(lines, parsed, totals.lines, strict=True)
                if source.allowances_charges
            ),
            (None, document, document_results),
        ],
    )
    rates = rates_of(parsed, document)
    InvoiceTaxTotal.objects.bulk_create(
        [
            InvoiceTaxTotal(
                tenant=tenant,
                invoice=invoice,
                tax_rate=rates[tax.rate.key],
                name=rates[tax.rate.key].name,
                percentage=tax.rate.percentage,
                inclusive=tax.rate.inclusive,
                compound=tax.rate.compound,
                category=rates[tax.rate.key].category,
                exemption_reason=rates[tax.rate.key].exemption_reason,
                exemption_code=rates[tax.rate.key].exemption_code,
                taxable_base=tax.taxable_base,
                tax_amount=tax.tax_amount,
                position=position,
            )
            for position, tax in enumerate(totals.taxes)
        ]
    )
    invoice.subtotal = totals.subtotal
    invoice.discount_amount = totals.discount
    invoice.tax_total = totals.tax_total
    invoice.total = totals.total
    invoice.prepaid_amount = totals.prepaid_amount
    invoice.rounding_amount = totals.rounding_amount
    invoice.amount_due = totals.amount_due
    invoice.balance_due = totals.amount_due if invoice.status != InvoiceStatus.DRAFT else ZERO
