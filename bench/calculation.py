"""Benchmark: `invoices.calculation.calculate()` on 1,000 and 5,000 lines, beside the previous
engine (`invoices/tests/legacy_calculation.py`, commit d78e04e) on the same lines.

The issue's target is create + finalize of a 1,000-line invoice through the API within 1 s;
the engine's share of that must be small. Lines are what a real invoice mixes: four rate
groups (20 % and 10 % VAT, a 7.7 % rate included in prices, 5 % GST + 9.975 % compound QST),
quantities with decimals, prices with up to 4 decimals, one line in ten with a discount, and
an invoice discount of 5 %. The new engine runs them twice: as the old engine's input (same
work) and with EN 16931's extras (a line charge in ten, base quantities, document allowance
and charge, prepaid amount, cash rounding). Medians of --repeat runs, one process.

    .venv/bin/python bench/calculation.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")

import django  # noqa: E402

django.setup()

from invoices import calculation as engine  # noqa: E402
from invoices.tests import legacy_calculation as legacy  # noqa: E402

D = Decimal


def rate_sets(module: ModuleType) -> list[tuple]:
    vat20 = module.RateInput(key="vat20", percentage=D(20))
    vat10 = module.RateInput(key="vat10", percentage=D(10))
    incl = module.RateInput(key="incl", percentage=D("7.7"), inclusive=True)
    gst = module.RateInput(key="gst", percentage=D(5))
    qst = module.RateInput(key="qst", percentage=D("9.975"), compound=True)
    return [(vat20,), (vat10,), (incl,), (gst, qst)]


def lines(module: ModuleType, count: int, *, extras: bool = False) -> list:
    sets = rate_sets(module)
    result = []
    for index in range(count):
        quantity = D(index % 17 + 1) + D(index % 4) / 4
        price = D(1000 + index * 37 % 9000) / 100 + D(index % 3) / 1000
        discount = D(index % 5) if index % 10 == 0 else D(0)
        if not extras:
            result.append(module.LineInput(quantity, price, discount, sets[index % 4]))
            continue
        charges = (
            (engine.AllowanceCharge(charge=True, percentage=D(2), reason="Handling", reason_code="HD"),)
            if index % 10 == 5
            else ()
        )
        base = D(12) if index % 7 == 0 else D(1)
        result.append(engine.LineInput(quantity, price, discount, sets[index % 4], base, None, charges))
    return result


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm caches (code lists, currency table)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    vat20 = rate_sets(engine)[0]
    document = [
        engine.discount(D(25), vat20),
        engine.AllowanceCharge(charge=True, amount=D(30), rates=vat20, reason="Freight", reason_code="FC"),
    ]
    print(
        f"calculate(), median of {args.repeat} runs,",
        platform.python_implementation(),
        sys.version.split()[0],
    )
    print(
        f"{'lines':>6} {'previous engine':>16} {'new, same input':>16} {'ratio':>6}",
        f"{'new, EN 16931 extras':>21}",
    )
    for count in (1_000, 5_000):
        old_lines, new_lines, rich_lines = (
            lines(legacy, count),
            lines(engine, count),
            lines(engine, count, extras=True),
        )
        old = median_ms(partial(legacy.calculate, old_lines, "EUR", discount_percent=D(5)), args.repeat)
        new = median_ms(partial(engine.calculate, new_lines, "EUR", discount_percent=D(5)), args.repeat)
        rich = median_ms(
            partial(
                engine.calculate,
                rich_lines,
                "EUR",
                discount_percent=D(5),
                allowances_charges=document,
                prepaid_amount=D(100),
                cash_rounding=D("0.05"),
            ),
            args.repeat,
        )
        print(f"{count:>6} {old:>13.1f} ms {new:>13.1f} ms {new / old:>5.2f}x {rich:>18.1f} ms")
        print(f"RESULT lines={count} previous_ms={old:.1f} new_ms={new:.1f} new_extras_ms={rich:.1f}")
    print("Rerun: .venv/bin/python bench/calculation.py", f"--repeat {args.repeat}")


if __name__ == "__main__":
    main()
