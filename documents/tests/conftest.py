"""Fixtures of the documents tests."""

from documents.tests.einvoice_fixtures import complete_seller  # noqa: F401
