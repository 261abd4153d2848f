"""Fixtures of the documents tests."""

from documents.tests.einvoice_fixtures import complete_seller, seller_frozen_before_profile  # noqa: F401
