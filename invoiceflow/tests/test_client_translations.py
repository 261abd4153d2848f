"""Everything a client reads (the public invoice page, payment states, emails, the PDF) is
translated into every language the documents speak, and the compiled catalogs say so."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

from invoiceflow.testing.messages import CLIENT_SOURCES, ROOT, client_messages, source_files
from invoices.l10n import DOCUMENT_LANGUAGES

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]


def _catalogs(language: str) -> list[Catalog]:
    found = []
    for path in sorted(ROOT.glob(f"*/locale/{language}/LC_MESSAGES/django.po")):
        with Path(path).open("rb") as handle:
            found.append(read_po(handle, locale=language))
    return found


def test_the_app_offers_the_languages_the_documents_speak() -> None:
    assert {code for code, _name in settings.LANGUAGES} == set(DOCUMENT_LANGUAGES)
    assert {"en", "fr", "de", "es", "it", "nl", "pt"} <= set(DOCUMENT_LANGUAGES)


def test_the_client_sources_are_found() -> None:
    for app in CLIENT_SOURCES:
        assert source_files(app), app
    names = {path.name for app in CLIENT_SOURCES for path in source_files(app)}
    assert {
        "invoice.html",
        "document.html",
        "receipt.html",
        "client_message.html",
        "invitation.html",
    } <= names
    assert ("Pay now", None) in client_messages("portal")
    assert ("Page {page} of {pages}", "pdf") in client_messages("invoices")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_client_message_is_translated(language: str) -> None:
    catalogs = _catalogs(language)
    missing = []
    for app in CLIENT_SOURCES:
        for text, context in sorted(client_messages(app), key=str):
            msgid = text if isinstance(text, str) else text[0]
            entries = [entry for catalog in catalogs if (entry := catalog.get(msgid, context)) is not None]
            strings = [entry.string for entry in entries if not entry.fuzzy]
            translated = [s for s in strings if (s if isinstance(s, str) else all(s))]
            if not translated:
                missing.append((app, context, msgid))
                continue
            # What the running app says: the compiled .mo is current and no other catalog
            # shadows this one with another translation.
            expected = translated[0]
            with translation.override(language):
                if isinstance(text, str):
                    said = translation.pgettext(context, text) if context else translation.gettext(text)
                    assert said == expected, (language, msgid, said, expected)
                else:
                    said = translation.ngettext(text[0], text[1], 1)
                    assert said == expected[0], (language, msgid, said, expected)
    assert not missing, f"{len(missing)} messages lack a {language} translation: {missing}"
