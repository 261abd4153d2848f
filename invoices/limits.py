"""Every size limit of an invoice, stated once.

The models (column lengths and `max_length`), the forms, the builder, the services and the
API read these names, so what one door accepts every other door can show and save again: a
draft made through the API with 5,000 lines, or a 3,000-character line, opens and saves in
the builder unchanged (issues #15, #16, #18). Change a number here, and every door follows;
a column's length changes with a migration (`makemigrations --check` says so).
"""

from __future__ import annotations

# An invoice (or credit note) has at most this many lines, whichever door made it.
MAX_LINES = 5_000

# Texts of an invoice.
LINE_DESCRIPTION_MAX = 5_000
NOTES_MAX = 10_000  # an invoice's notes, and its terms
TERMS_MAX = NOTES_MAX
BUYER_REFERENCE_MAX = 100  # BT-10
REFERENCE_MAX = 100  # contract, project, order references (BT-12, BT-11, BT-13)
UNIT_MAX = 30
LINE_METADATA_MAX_CHARS = 10_000
TAX_RATES_PER_LINE_MAX = 10

# Allowances and charges (BG-20/21, BG-27/28).
ALLOWANCE_REASON_MAX = 200
ALLOWANCES_CHARGES_MAX = 100  # per invoice, and per line

# Reasons given for status changes.
VOID_REASON_MAX = 500
CREDIT_REASON_MAX = 2_000

# Clients and the catalog.
CLIENT_NOTES_MAX = 5_000
CATALOG_DESCRIPTION_MAX = 5_000

# What one page of the builder offers from the catalog (a picker, not the whole catalog).
BUILDER_CATALOG_CHOICES = 300

# What one builder post may carry: a field per line value (key, catalog item, description,
# quantity, unit, price, discount, metadata, the line's EN 16931 fields) and one per chosen
# tax rate, for every line, plus the header. Django refuses larger posts before any view
# runs (`DATA_UPLOAD_MAX_NUMBER_FIELDS`, `DATA_UPLOAD_MAX_MEMORY_SIZE`, set from these).
BUILDER_FIELDS_PER_LINE = 24
BUILDER_POST_MAX_FIELDS = MAX_LINES * (BUILDER_FIELDS_PER_LINE + TAX_RATES_PER_LINE_MAX) + 200
BUILDER_POST_MAX_BYTES = 32 * 1024 * 1024

# Up to this many lines each line of the builder has its own catalog picker (a <select>);
# beyond, the lines share one list of suggestions (a <datalist>), so the page stays small.
BUILDER_CATALOG_SELECT_MAX_LINES = 50
