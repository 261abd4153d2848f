"""Plain words for the VAT-category rules on lines, document allowances and document charges.

An invoice with a discount or a freight charge of a category breaks that category's -03 or -04
rule where a line breaks its -02: the member must read the same plain words for all three, not
the rule's raw text (seen on an invoice with a Freight charge and no VAT number)."""

from __future__ import annotations

import pytest
from django.utils import translation

from einvoicing.explanations import explain


@pytest.mark.parametrize("category", ["S", "Z", "E", "G", "O", "AE", "IC"])
def test_a_category_rule_reads_alike_for_a_line_an_allowance_and_a_charge(category: str) -> None:
    line, allowance, charge = (explain(f"BR-{category}-{suffix}") for suffix in ("02", "03", "04"))
    assert line[0], f"BR-{category}-02 has no plain words"
    assert line == allowance == charge


def test_the_words_say_what_to_fill_in() -> None:
    assert explain("BR-S-03") == ("Standard-rated sales need your VAT number.", "workspace: VAT number")
    words, field = explain("BR-IC-04")
    assert "client's VAT number" in words
    assert field == "client: VAT number"


def test_the_words_are_french_for_a_french_reader() -> None:
    with translation.override("fr"):
        words, field = explain("BR-Z-04")
    assert words == "Les ventes au taux zéro exigent votre numéro de TVA."
    assert field == "espace de travail : numéro de TVA"


def test_an_unknown_rule_falls_back_to_its_own_text() -> None:
    assert explain("BR-XX-99") == ("", "")
