"""The dashboard's chart, laid out on the server as plain numbers for an inline SVG.

No JavaScript and nothing from a CDN: the template draws rectangles at the coordinates
computed here, each with a <title> (the browser's tooltip, and what a screen reader reads).
Coordinates are Decimals rounded to a tenth of a pixel: no float, like every amount here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from babel.dates import format_date
from babel.numbers import format_compact_currency
from django.utils.translation import get_language

from invoices.money import format_money
from invoices.selectors import MonthPoint

WIDTH = Decimal(720)
HEIGHT = Decimal(260)
LEFT, RIGHT, TOP, BOTTOM = Decimal(64), Decimal(12), Decimal(16), Decimal(36)
PIXEL = Decimal("0.1")
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


@dataclass(frozen=True)
class Bar:
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    series: str  # "invoiced" | "paid"
    title: str


@dataclass(frozen=True)
class Tick:
    y: Decimal
    label: str


@dataclass(frozen=True)
class MonthLabel:
    x: Decimal
    label: str
    long_label: str


@dataclass(frozen=True)
class Chart:
    currency: str
    width: Decimal
    height: Decimal
    plot_left: Decimal
    plot_right: Decimal
    baseline: Decimal
    tick_label_x: Decimal
    month_label_y: Decimal
    bars: list[Bar]
    ticks: list[Tick]
    months: list[MonthLabel]
    rows: list[tuple[str, str, str]]  # (month, invoiced, paid) for the table view
    empty: bool


def _px(value: Decimal) -> Decimal:
    return value.quantize(PIXEL)


def nice_step(maximum: Decimal, ticks: int = 4) -> Decimal:
    """A round step (1, 2, 2.5 or 5 x 10^n) so that `ticks` steps cover `maximum`."""
    if maximum <= 0:
        return Decimal(1)
    raw = maximum / ticks
    magnitude = Decimal(1).scaleb(raw.adjusted())
    for step in NICE_STEPS:
        if raw <= step * magnitude:
            return step * magnitude
    return NICE_STEPS[-1] * magnitude  # pragma: no cover - 10 x magnitude always covers raw


def _locale() -> str:
    return (get_language() or "en").replace("-", "_")


def monthly_chart(points: Sequence[MonthPoint], currency: str, months: Sequence[date]) -> Chart:
    """Invoiced and paid bars for each month of `months` (oldest first)."""
    locale = _locale()
    by_month = {point.month: point for point in points}
    values = [by_month.get(month) for month in months]
    maximum = max([Decimal(0)] + [max(p.invoiced, p.paid) for p in values if p is not None])
    step = nice_step(maximum)
    top_value = (maximum / step).to_integral_value(rounding=ROUND_CEILING) * step if maximum > 0 else step * 4
    steps = int(top_value / step)

    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_height
    slot = plot_width / len(months)
    bar_width = _px(slot * Decimal("0.32"))
    gap = _px(slot * Decimal("0.04"))

    def y_of(value: Decimal) -> Decimal:
        return _px(baseline - plot_height * value / top_value)

    bars: list[Bar] = []
    labels: list[MonthLabel] = []
    rows: list[tuple[str, str, str]] = []
    for index, month in enumerate(months):
        point = values[index]
        invoiced = point.invoiced if point else Decimal(0)
        paid = point.paid if point else Decimal(0)
        center = LEFT + slot * index + slot / 2
        long_label = format_date(month, "MMMM yyyy", locale=locale)
        for series, value, x in (
            ("invoiced", invoiced, center - gap / 2 - bar_width),
            ("paid", paid, center + gap / 2),
        ):
            y = y_of(value)
            amount = format_money(value, currency, locale)
            title = f"{long_label} — {'invoiced' if series == 'invoiced' else 'paid'} {amount}"
            bars.append(Bar(_px(x), y, bar_width, _px(baseline - y), series, title))
        labels.append(MonthLabel(_px(center), format_date(month, "MMM", locale=locale), long_label))
        rows.append(
            (long_label, format_money(invoiced, currency, locale), format_money(paid, currency, locale))
        )

    ticks = [
        Tick(y_of(step * i), format_compact_currency(step * i, currency, locale=locale, fraction_digits=1))
        for i in range(steps + 1)
    ]
    return Chart(
        currency=currency,
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        baseline=baseline,
        tick_label_x=LEFT - 8,
        month_label_y=baseline + 20,
        bars=bars,
        ticks=ticks,
        months=labels,
        rows=rows,
        empty=maximum == 0,
    )
