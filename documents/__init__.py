"""Invoice documents: the PDF (and spreadsheet) files rendered from an invoice.

- `render`: the pure function `render_invoice_pdf(invoice) -> bytes` (WeasyPrint, bundled fonts,
  nothing fetched from the network) and the HTML it renders.
- `models`: `InvoiceDocument` (one file per invoice, format and content version, with its
  status) and `BulkJob` (many invoices generated or zipped at once, with progress).
- `services` / `selectors`: requesting, processing and reading them.
- `live`: status changes pushed to the tenant's browsers (Django Channels).
"""
