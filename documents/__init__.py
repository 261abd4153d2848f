"""Invoice documents: the PDF (and spreadsheet) files rendered from an invoice.

- `render`: the pure function `render_invoice_pdf(invoice) -> bytes` (WeasyPrint, bundled fonts,
  nothing fetched from the network) and the HTML it renders.
- `invoice_pdf`: the invoice's own PDF, Factur-X (PDF/A-3b with its validated CII) for finalized
  invoices that want it, plain otherwise; what the PDF task, the ZIP and the email use.
- `einvoices` / `einvoice_mapping`: UBL, CII, XRechnung and Factur-X files, validated.
- `models`: `InvoiceDocument` (one file per invoice, format and content version, with its
  status) and `BulkJob` (many invoices generated or zipped at once, with progress).
- `services` / `selectors`: requesting, processing and reading them.
- `live`: status changes pushed to the tenant's browsers (Django Channels).
"""
