"""The messages a client reads, by the catalog (app locale dir) that translates them.

Every page a client sees (the public invoice page and its payment states), every email and
the PDF: their templates' `{% translate %}`/`{% blocktranslate %}` and the Python modules whose
messages reach those pages (payment refusals, amount checks). `scripts/client_catalogs.py`
adds new message ids to the catalogs; `invoiceflow/tests/test_client_translations.py` fails
while any of them lacks a translation in a language the documents speak.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_python
from django.conf import settings
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)

# catalog app → the sources whose messages it holds (globs under the repository).
CLIENT_SOURCES: dict[str, tuple[str, ...]] = {
    "invoices": (
        "templates/invoices/pdf/*.html",
        "templates/invoices/_document.html",
        "invoices/summary.py",
        "invoices/money.py",
        "documents/render.py",
    ),
    "portal": (
        "templates/invoices/public/*.html",
        "portal/views.py",
        "portal/templates/portal/*.html",
        "portal/client_views.py",
    ),
    "billing": (
        "templates/billing/email/*",
        "billing/checkout.py",
        "billing/connect.py",
        "billing/group_checkout.py",
    ),
    "delivery": ("templates/invoices/email/*.*", "templates/invoices/email/defaults/*"),
    "tenants": ("templates/tenants/email/*",),
}
# Messages of Python modules shared with the app's own pages that a client also reads.
EXTRA_MESSAGES: dict[str, tuple[str, ...]] = {
    "invoices": ("Draft", "Open", "Partially paid", "Paid", "Void", "Uncollectible", "Overdue"),
}
KEYWORDS = {
    "gettext": None,
    "gettext_lazy": None,
    "_": None,
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}

# A message id: the text, or (singular, plural), with its context or None.
MessageId = tuple[str | tuple[str, str], str | None]


def source_files(app: str) -> list[Path]:
    return sorted({path for pattern in CLIENT_SOURCES[app] for path in ROOT.glob(pattern) if path.is_file()})


def _extract(path: Path) -> Iterator[MessageId]:
    text = path.read_text()
    code = text if path.suffix == ".py" else templatize(text, origin=str(path))
    for _lineno, _func, message, _comments in extract_python(io.BytesIO(code.encode()), KEYWORDS, [], {}):
        if isinstance(message, str):
            yield message, None
        elif len(message) == 2 and isinstance(message[0], str) and isinstance(message[1], str):
            if _func.startswith("pgettext"):
                yield message[1], message[0]
            else:
                yield (message[0], message[1]), None
        elif len(message) == 3 and _func.startswith("npgettext"):
            yield (message[1], message[2]), message[0]
        elif len(message) == 3:
            yield (message[0], message[1]), None


def client_messages(app: str) -> set[MessageId]:
    """The message ids a client can read that `app`'s catalog holds."""
    found = {message for path in source_files(app) for message in _extract(path)}
    found.update((text, None) for text in EXTRA_MESSAGES.get(app, ()))
    return {(text, context) for text, context in found if text}
