"""Benchmark: e-invoice generation and validation per format, warm, one process.

For a 12-line and a 300-line invoice (the model built by the tests' fixtures), per format:

- generate: model -> lxml tree -> serialized XML bytes;
- schema: the XSD check alone (lxml), the baseline;
- full validation: XSD + every Schematron rule set that applies (saxonche, stylesheets compiled
  once per process and warmed before timing), i.e. what a document goes through before it
  is offered or sent;
- and, for Factur-X, the PDF/A-3b render (WeasyPrint, the plain model template) beside it.

Each figure is the median of --repeat runs after one warm-up run. The issue's goals for a
12-line invoice: <= 20 ms to generate, <= 300 ms to validate.

    .venv/bin/python bench/einvoice.py [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")

import django

django.setup()

from einvoicing.facturx_pdf import render_facturx_pdf, render_model_html  # noqa: E402
from einvoicing.generate import build_tree, generate_xml  # noqa: E402
from einvoicing.syntax import Format  # noqa: E402
from einvoicing.tests.matrix import small_invoice  # noqa: E402
from einvoicing.validation import validate_schema, validate_tree, warm_up  # noqa: E402
from einvoicing.xmlsafe import parse_untrusted_xml  # noqa: E402


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    start = time.perf_counter()
    warm_up()
    print(f"compiling every stylesheet and schema (once per process): {time.perf_counter() - start:.2f} s\n")
    header = (
        f"{'lines':>5}  {'format':<14} {'generate':>9} {'schema only':>12} {'full validation':>16}  rule sets"
    )
    print(header)
    print("-" * len(header))
    goals = []
    for lines in (12, 300):
        invoice = small_invoice(lines)
        for fmt in Format:
            xml = generate_xml(invoice, fmt)
            tree = parse_untrusted_xml(xml)
            generate = median_ms(lambda fmt=fmt: generate_xml(invoice, fmt), args.repeat)  # noqa: B023
            schema = median_ms(lambda tree=tree, fmt=fmt: validate_schema(tree, fmt), args.repeat)
            report = validate_tree(build_tree(invoice, fmt), fmt)
            assert report.is_valid, [r.rule_id for r in report.fatal]
            full = median_ms(lambda tree=tree, fmt=fmt: validate_tree(tree, fmt), args.repeat)
            print(
                f"{lines:>5}  {fmt.value:<14} {generate:>7.1f}ms {schema:>10.2f}ms {full:>14.1f}ms  "
                + ", ".join(report.rule_sets)
            )
            if lines == 12:
                goals.append((fmt, generate, full))
        pdf_ms = median_ms(
            lambda invoice=invoice: render_facturx_pdf(
                render_model_html(invoice), generate_xml(invoice, Format.FACTURX)
            ),
            max(3, args.repeat // 4),
        )
        print(
            f"{lines:>5}  {'facturx PDF':<14} {pdf_ms:>7.1f}ms "
            "(HTML -> PDF/A-3b with the XML attached, not validated)"
        )
    print()
    for fmt, generate, full in goals:
        verdict = "meets" if generate <= 20 and full <= 300 else "MISSES"
        print(
            f"12 lines, {fmt.value}: {verdict} the goal "
            f"(generate {generate:.1f} <= 20 ms, validate {full:.1f} <= 300 ms)"
        )
    print(f"\nrerun: .venv/bin/python bench/einvoice.py --repeat {args.repeat}")


if __name__ == "__main__":
    main()
