"""The catalogue of error codes (core.errors) and the constraint a database error names (core.db)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import IntegrityError, models

from core.db import violated_constraint
from core.errors import ERROR_CODES, ApplicationError

REPO = Path(__file__).resolve().parents[2]
APPS = ["core", "tenants", "events", "invoices", "einvoicing", "documents", "delivery", "billing", "portal"]
APPS += ["plans", "website", "api", "invoiceflow"]


def _codes_raised() -> dict[str, str]:
    """Every literal `code=` given to ApplicationError outside tests, with where it is."""
    found: dict[str, str] = {}
    for app in APPS:
        for path in (REPO / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                for keyword in node.keywords if name == "ApplicationError" else []:
                    if keyword.arg == "code":
                        assert isinstance(keyword.value, ast.Constant), f"{path}: a code is a literal"
                        found[keyword.value.value] = f"{path.relative_to(REPO)}:{node.lineno}"
    return found


def test_every_code_a_service_raises_is_in_the_catalogue() -> None:
    raised = _codes_raised()
    assert len(raised) > 20
    missing = {code: where for code, where in raised.items() if code not in ERROR_CODES}
    assert missing == {}, "add these codes to core.errors.ERROR_CODES with their HTTP status"


@pytest.mark.parametrize(
    ("code", "field", "status"),
    [
        ("invalid", "name", 400),
        ("forbidden", None, 403),
        ("not_found", None, 404),
        ("not_found", ("lines", 0, "tax_rates"), 400),  # a field names the missing object
        ("not_draft", None, 409),
        ("invalid_status", None, 409),
        ("number_taken", None, 400),
        ("a_code_nobody_catalogued", None, 400),
    ],
)
def test_an_error_has_its_codes_status(code: str, field: str | tuple | None, status: int) -> None:
    assert ApplicationError("x", field=field, code=code).status == status


def test_a_field_is_a_path_each_door_spells_its_way() -> None:
    error = ApplicationError("Not a number.", field=("lines", 2, "unit_price"))
    assert error.path == ("lines", 2, "unit_price")
    assert error.field == "lines"  # the form field a plain form shows it beside
    assert error.dotted_field == "lines.2.unit_price"  # the API's spelling
    named = ApplicationError("Choose a currency.", field="currency")
    assert (named.path, named.field, named.dotted_field) == (("currency",), "currency", "currency")
    bare = ApplicationError("No.")
    assert (bare.path, bare.field, bare.dotted_field) == ((), None, None)


class _Diag:
    constraint_name = "invoice_number_unique"


class _PostgresError(Exception):
    diag = _Diag()


def _integrity_error(cause: Exception) -> IntegrityError:
    try:
        raise IntegrityError(str(cause)) from cause
    except IntegrityError as error:
        return error


def test_violated_constraint_reads_the_name_postgresql_gives_not_its_message() -> None:
    from invoices.models import NUMBER_UNIQUE, Invoice

    error = _integrity_error(_PostgresError("duplicate key value violates something else entirely"))
    assert violated_constraint(error, Invoice) == NUMBER_UNIQUE


def test_violated_constraint_maps_sqlites_columns_back_to_the_models_unique_constraint() -> None:
    from invoices.models import NUMBER_UNIQUE, Invoice

    columns = "invoices_invoice.tenant_id, invoices_invoice.kind, invoices_invoice.number"
    taken = f"UNIQUE constraint failed: {columns}"
    assert violated_constraint(_integrity_error(Exception(taken)), Invoice) == NUMBER_UNIQUE
    # Another rule that mentions "number" is not a taken number.
    check = "CHECK constraint failed: invoice_finalized_has_number"
    assert violated_constraint(_integrity_error(Exception(check)), Invoice) is None
    other = "UNIQUE constraint failed: invoices_invoice.public_id"
    assert violated_constraint(_integrity_error(Exception(other)), Invoice) is None
    assert isinstance(Invoice._meta.get_field("number"), models.CharField)
