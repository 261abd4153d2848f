"""Code lists EN 16931 uses, as vendored data (see `data/README.md` for origin and licence).

`load_code_list(name)` reads `data/<name>.csv` once per process. Each list answers whether a
code belongs to it (the BR-CL-* rules) and the code's name for people; units of measure
(UN/ECE Rec 20 with Rec 21) can be searched by code or name for a picker.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

PAYMENT_MEANS = "uncl4461"
ALLOWANCE_REASONS = "uncl5189"
CHARGE_REASONS = "uncl7161"
VAT_CATEGORIES = "uncl5305"
VAT_EXEMPTIONS = "vatex"
UNITS = "rec20_rec21"


@dataclass(frozen=True)
class Code:
    code: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})" if self.name else self.code


class CodeList:
    def __init__(self, name: str, codes: list[Code]) -> None:
        self.name_of_list = name
        self._codes = {code.code: code for code in codes}

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._codes

    def __iter__(self) -> Iterator[Code]:
        return iter(self._codes.values())

    def __len__(self) -> int:
        return len(self._codes)

    def name(self, code: str) -> str:
        """The code's published name, or the code itself where the list has none."""
        return self._codes[code].name or code

    def check(self, code: str) -> str:
        """The code if it belongs to the list; ValueError otherwise."""
        if code not in self:
            raise ValueError(f"{code!r} is not in code list {self.name_of_list}.")
        return code


@lru_cache(maxsize=16)
def load_code_list(name: str) -> CodeList:
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        rows = [Code(row["code"], row["name"]) for row in csv.DictReader(handle)]
    return CodeList(name, rows)


def payment_means() -> CodeList:
    """UNCL 4461: 30 credit transfer, 58 SEPA credit transfer, 48 bank card, 49 direct debit."""
    return load_code_list(PAYMENT_MEANS)


def allowance_reasons() -> CodeList:
    """UNTDID 5189 as EN 16931 restricts it (BR-CL-19): 95 discount, 100 special rebate…"""
    return load_code_list(ALLOWANCE_REASONS)


def charge_reasons() -> CodeList:
    """UNTDID 7161 (BR-CL-20): FC freight service, ABL additional packaging…"""
    return load_code_list(CHARGE_REASONS)


def units() -> CodeList:
    return load_code_list(UNITS)


def search_units(query: str, *, limit: int = 20) -> list[Code]:
    """Units for a picker: an exact code first, then names starting with the query, then
    codes starting with it, then names containing it; case-insensitive, named units first."""
    text = " ".join(query.split()).casefold()
    if not text:
        return []
    ranked: list[tuple[int, int, str, Code]] = []
    for code in units():
        name = code.name.casefold()
        if code.code.casefold() == text:
            rank = 0
        elif name.startswith(text):
            rank = 1
        elif code.code.casefold().startswith(text):
            rank = 2
        elif text in name:
            rank = 3
        else:
            continue
        ranked.append((rank, 0 if code.name else 1, code.code, code))
    ranked.sort(key=lambda item: item[:3])
    return [code for *_, code in ranked[:limit]]
