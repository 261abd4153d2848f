"""E-invoicing (issue #17): EN 16931 invoices as UBL, CII, Factur-X and XRechnung, validated
against the official rule sets before they leave, and read back when a supplier sends one.

The app stands alone: it is driven by its own semantic model (`einvoicing.model`), which the
integration step fills from an InvoiceFlow invoice.
"""
