"""The calculation: lines, allowances and charges in, every total of the invoice out.

Each EN 16931 rule is applied once, in the function named beside it; rounding happens only
through `quantize_money`, at the points the standard rounds (see `invoices/calculation/
__init__.py` for the method and the choices the standard leaves open).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from invoices.calculation.allocation import distribute
from invoices.calculation.inputs import AllowanceCharge, CalculationError, LineInput, RateInput
from invoices.calculation.legacy import legacy_discount_allowances
from invoices.calculation.results import AllowanceChargeResult, LineResult, TaxGroupTotal, Totals
from invoices.money import HUNDRED, ZERO, minor_unit, quantize_money, reject_float

GroupKey = tuple[str, ...]


def sort_key(key: Hashable) -> str:
    return f"{type(key).__name__}:{key}"


def rate_groups(
    lines: Sequence[tuple[tuple[RateInput, ...], Decimal]],
) -> list[tuple[tuple[RateInput, ...], Decimal]]:
    """(rates, amount) pairs summed per rate group, in the canonical order the engine uses."""
    groups: dict[GroupKey, tuple[tuple[RateInput, ...], Decimal]] = {}
    for rates, amount in lines:
        key = group_key(rates)
        ordered = tuple(sorted(rates, key=lambda rate: sort_key(rate.key)))
        groups[key] = (ordered, groups.get(key, (ordered, ZERO))[1] + amount)
    return [groups[key] for key in sorted(groups)]


def group_key(rates: tuple[RateInput, ...]) -> GroupKey:
    """Lines, allowances and charges with the same set of tax rates form one rate group."""
    return tuple(sorted(sort_key(rate.key) for rate in rates))


@dataclass
class _Group:
    rates: tuple[RateInput, ...]
    line_amounts: list[tuple[int, Decimal]] = field(default_factory=list)
    document_items: list[tuple[int, Decimal]] = field(default_factory=list)  # signed, as entered
    net: Decimal = ZERO

    @property
    def line_sum(self) -> Decimal:
        return sum((amount for _, amount in self.line_amounts), ZERO)

    @property
    def gross(self) -> Decimal:
        return self.line_sum + sum((amount for _, amount in self.document_items), ZERO)

    @property
    def inclusive_percentage(self) -> Decimal:
        return sum((rate.percentage for rate in self.rates if rate.inclusive), ZERO)


def allowance_charge_amount(
    item: AllowanceCharge, default_base: Decimal, currency: str
) -> AllowanceChargeResult:
    """BT-92 = BT-93 x BT-94 / 100 (BT-136, BT-141 on lines), rounded to the minor unit
    (BR-DEC-01, -05, -24, -28: an amount has the currency's decimals)."""
    if item.amount is not None:
        amount = quantize_money(item.amount, currency)
        return AllowanceChargeResult(item, amount, None, amount)
    assert item.percentage is not None
    base = item.base_amount if item.base_amount is not None else default_base
    amount = quantize_money(base * item.percentage / HUNDRED, currency)
    return AllowanceChargeResult(item, amount, base, amount)


def line_amount(
    line: LineInput, currency: str, index: int = 0
) -> tuple[Decimal, tuple[AllowanceChargeResult, ...]]:
    """BT-131 = quantity x (net price / price base quantity) + line charges - line allowances.

    The price term is rounded once to the minor unit; the allowances and charges are whole
    minor units already. Allowances may not take a line across zero (a return stays a return).
    """
    price_amount = line.quantity * line.unit_price
    if line.base_quantity != 1:
        price_amount /= line.base_quantity
    gross = quantize_money(price_amount, currency)
    results = tuple(allowance_charge_amount(item, gross, currency) for item in line.all_allowances_charges())
    amount = gross + sum((result.amount * result.source.sign for result in results), ZERO)
    if (gross >= 0 and amount < 0) or (gross < 0 and amount > 0):
        raise CalculationError(
            "The line discount cannot exceed the line amount.", field="discount", index=index
        )
    return amount, results


def _net_of_inclusive_taxes(group: _Group, currency: str) -> Decimal:
    """Inclusive prices become net per rate group, once: N = G / (1 + Σ inclusive % / 100),
    rounded to the minor unit. The group's inclusive taxes are then computed on N like any
    other (BR-CO-17), so base + tax can differ from G by a minor unit or two: that
    difference goes to the rounding amount (BT-114), never into the tax."""
    inclusive = group.inclusive_percentage
    if not inclusive:
        return group.gross
    return quantize_money(group.gross * HUNDRED / (HUNDRED + inclusive), currency)


def _tax_bases(groups: Sequence[_Group], currency: str) -> dict[str, tuple[RateInput, Decimal]]:
    """BT-116 per rate: the sum of the net amounts of the rate groups that carry it
    (BR-S-08 and its siblings: lines + charges - allowances of that category and rate).

    A compound rate's base also holds the group's other (non-compound) taxes, applied to the
    group's net; that base is rounded once, before its tax is computed from it."""
    bases: dict[str, tuple[RateInput, Decimal]] = {}
    for group in groups:
        simple = sum((rate.percentage for rate in group.rates if not rate.compound), ZERO)
        for rate in group.rates:
            base = group.net * (HUNDRED + simple) / HUNDRED if rate.compound else group.net
            key = sort_key(rate.key)
            bases[key] = (rate, bases.get(key, (rate, ZERO))[1] + base)
    return {key: (rate, quantize_money(base, currency)) for key, (rate, base) in bases.items()}


def tax_amount(taxable_base: Decimal, rate: RateInput, currency: str) -> Decimal:
    """BR-CO-17: VAT category tax amount = taxable amount x rate / 100, rounded (BR-DEC-20)."""
    return quantize_money(taxable_base * rate.percentage / HUNDRED, currency)


def round_to_increment(amount: Decimal, increment: Decimal, currency: str) -> Decimal:
    """Cash rounding: `amount` to the nearest multiple of `increment`, halves away from zero
    (CHF 0.05: 10.024 -> 10.00, 10.025 -> 10.05)."""
    steps = (amount / increment).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return quantize_money(steps * increment, currency)


def _check_cash_increment(increment: Decimal, currency: str) -> None:
    reject_float(increment)
    unit = minor_unit(currency)
    if not isinstance(increment, Decimal) or increment <= 0 or (increment / unit) % 1:
        raise CalculationError(
            "The cash rounding step is a positive whole number of minor units.", field="cash_rounding"
        )


def calculate(
    lines: Sequence[LineInput],
    currency: str,
    *,
    allowances_charges: Sequence[AllowanceCharge] = (),
    prepaid_amount: Decimal = ZERO,
    cash_rounding: Decimal | None = None,
    discount_amount: Decimal | None = None,
    discount_percent: Decimal | None = None,
) -> Totals:
    """Every total of an invoice or credit note.

    `discount_amount`/`discount_percent` are today's invoice discount: it becomes one
    document-level allowance per rate group (see `legacy.py`), so stored invoices keep their
    totals. `cash_rounding` is the step the amount due is rounded to (CHF 0.05), if any.
    """
    unit = minor_unit(currency)  # an unknown currency fails before anything else
    zero = ZERO.quantize(unit)
    computed = [line_amount(line, currency, index) for index, line in enumerate(lines)]
    amounts = [amount for amount, _ in computed]

    groups: dict[GroupKey, _Group] = {}
    keys_by_id: dict[int, GroupKey] = {}  # lines usually share their rates tuple: key it once
    for index, (line, amount) in enumerate(zip(lines, amounts, strict=True)):
        key = keys_by_id.get(id(line.rates))
        if key is None:
            key = keys_by_id[id(line.rates)] = group_key(line.rates)
        if key not in groups:
            groups[key] = _Group(tuple(sorted(line.rates, key=lambda rate: sort_key(rate.key))))
        groups[key].line_amounts.append((index, amount))

    document: list[AllowanceCharge] = []
    if discount_amount is not None or discount_percent is not None:
        document += legacy_discount_allowances(
            [(groups[key].rates, groups[key].line_sum) for key in sorted(groups)],
            currency,
            amount=discount_amount,
            percent=discount_percent,
        )
    document += allowances_charges
    document_results: list[AllowanceChargeResult] = []
    for index, item in enumerate(document):
        key = group_key(item.rates)
        if key not in groups:
            groups[key] = _Group(tuple(sorted(item.rates, key=lambda rate: sort_key(rate.key))))
        result = allowance_charge_amount(item, groups[key].line_sum, currency)
        document_results.append(result)
        groups[key].document_items.append((index, result.amount * item.sign))

    line_nets = list(amounts)
    document_nets = [result.amount for result in document_results]
    ordered = [groups[key] for key in sorted(groups)]
    for group in ordered:
        group.net = _net_of_inclusive_taxes(group, currency)
        if group.inclusive_percentage:
            # Each line's and allowance's share of the group's net (BT-131, BT-92, BT-99),
            # whole minor units adding up to it exactly.
            items = group.line_amounts + [(-1 - index, amount) for index, amount in group.document_items]
            factor = HUNDRED / (HUNDRED + group.inclusive_percentage)
            shares = distribute(group.net, [amount * factor for _, amount in items], currency)
            for (index, _), share in zip(items, shares, strict=True):
                if index >= 0:
                    line_nets[index] = share
                else:
                    document_nets[-1 - index] = share * document[-1 - index].sign

    taxes = tuple(
        TaxGroupTotal(rate=rate, taxable_base=base, tax_amount=tax_amount(base, rate, currency))
        for _, (rate, base) in sorted(_tax_bases(ordered, currency).items())
    )
    tax_total = sum((tax.tax_amount for tax in taxes), zero)  # BR-CO-14
    inclusive_total = sum((tax.tax_amount for tax in taxes if tax.rate.inclusive), zero)
    exclusive_total = tax_total - inclusive_total

    line_total = sum(line_nets, zero)  # BR-CO-10
    pairs = list(zip(document_nets, document_results, strict=True))
    allowance_total = sum((net for net, result in pairs if not result.charge), zero)  # BR-CO-11
    charge_total = sum((net for net, result in pairs if result.charge), zero)  # BR-CO-12
    tax_exclusive = line_total - allowance_total + charge_total  # BR-CO-13
    tax_inclusive = tax_exclusive + tax_total  # BR-CO-15
    # What the prices as entered add up to: inclusive taxes are inside them, exclusive on top.
    total = sum((group.gross for group in ordered), zero) + exclusive_total
    if total < 0 or tax_inclusive < 0:
        raise CalculationError(
            "The invoice total cannot be negative: returns larger than the sale are a credit note.",
            field="lines",
        )

    prepaid = quantize_money(prepaid_amount, currency)
    if prepaid != prepaid_amount or not ZERO <= prepaid <= total:
        raise CalculationError(
            "The prepaid amount is between zero and the total, in whole minor units.", field="prepaid_amount"
        )
    due = total - prepaid
    if cash_rounding is not None:
        _check_cash_increment(cash_rounding, currency)
        due = round_to_increment(due, cash_rounding, currency)
    rounding = due - (tax_inclusive - prepaid)  # BT-114: price rounding + cash rounding

    document_final = tuple(
        AllowanceChargeResult(result.source, result.amount, result.base_amount, net)
        for result, net in zip(document_results, document_nets, strict=True)
    )
    return Totals(
        currency=currency,
        line_amounts=tuple(amounts),
        subtotal=sum(amounts, zero),
        discount=sum((r.amount for r in document_final if not r.charge), zero),
        taxes=taxes,
        tax_total=tax_total,
        inclusive_tax_total=inclusive_total,
        exclusive_tax_total=exclusive_total,
        tax_exclusive_amount=tax_exclusive,
        total=total,
        lines=tuple(
            LineResult(amount, net, results)
            for (amount, results), net in zip(computed, line_nets, strict=True)
        ),
        document_allowances_charges=document_final,
        charges=sum((r.amount for r in document_final if r.charge), zero),
        line_total=line_total,
        allowance_total=allowance_total,
        charge_total=charge_total,
        tax_inclusive_amount=tax_inclusive,
        prepaid_amount=prepaid,
        rounding_amount=rounding,
        amount_due=tax_inclusive - prepaid + rounding,  # BR-CO-16
    )
