"""Keep the catalogs of what clients read complete: add new message ids, compile the .mo files.

    .venv/bin/python scripts/client_catalogs.py

Reads the client-facing sources listed in invoiceflow/testing/messages.py and, for every
language of settings.LANGUAGES but English, adds each message id that no catalog has yet to
`<app>/locale/<lang>/LC_MESSAGES/django.po` (the app whose catalog already holds it in another
language, else the app that owns the source), with an empty translation for a translator to
fill. Then compiles every catalog it touched with msgfmt (`--check-format`: a translation that
drops a %(placeholder)s fails here). invoiceflow/tests/test_client_translations.py fails while
a translation is missing. The .mo files are committed, as the invoices catalogs always were.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "invoiceflow.settings")

import django

django.setup()

from babel.messages.catalog import Catalog  # noqa: E402
from babel.messages.pofile import read_po, write_po  # noqa: E402
from django.conf import settings  # noqa: E402

from invoiceflow.testing.messages import CLIENT_SOURCES, ROOT, MessageId, client_messages  # noqa: E402


def po_path(app: str, language: str) -> Path:
    return ROOT / app / "locale" / language / "LC_MESSAGES" / "django.po"


def load(app: str, language: str) -> Catalog:
    path = po_path(app, language)
    if path.exists():
        with path.open("rb") as handle:
            return read_po(handle, locale=language)
    return Catalog(locale=language, project="InvoiceFlow", charset="utf-8")


def key(message: MessageId) -> tuple[str, str | None]:
    text, context = message
    return (text if isinstance(text, str) else text[0]), context


def main() -> None:
    languages = [code for code, _name in settings.LANGUAGES if code != "en"]
    apps = list(CLIENT_SOURCES)
    catalogs = {(app, language): load(app, language) for app in apps for language in languages}
    touched: set[tuple[str, str]] = set()
    for owner in apps:
        for message in sorted(client_messages(owner), key=str):
            msgid, context = key(message)
            holders = [app for app in apps for lang in languages if catalogs[app, lang].get(msgid, context)]
            home = holders[0] if holders else owner
            for language in languages:
                if any(catalogs[app, language].get(msgid, context) for app in apps):
                    continue
                text = message[0]
                catalogs[home, language].add(
                    text if isinstance(text, str) else tuple(text), "", context=context
                )
                touched.add((home, language))
    for app, language in sorted(touched):
        path = po_path(app, language)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalogs[app, language], width=0, omit_header=False, sort_output=True)
    for app in apps:
        for language in languages:
            path = po_path(app, language)
            if path.exists():
                subprocess.run(
                    ["msgfmt", "--check-format", "-o", str(path.with_suffix(".mo")), str(path)], check=True
                )


if __name__ == "__main__":
    main()
