"""Clients, catalog, tax rates, invoices and their numbering, payments and timeline.

Every model here is tenant-owned. Models hold data and validation only; every write and
every status change goes through `invoices.services`. One module per concern; import from
here (`from invoices.models import Invoice`), as the migrations do for the id factories and
validators they name.
"""

from invoices.models.allowances import AllowanceCharge, AllowanceChargeTax
from invoices.models.base import (
    MoneyField,
    _catalog_item_id,
    _client_id,
    _dispute_id,
    _invoice_id,
    _payment_id,
    _refund_id,
    _tax_rate_id,
    validate_email_list,
)
from invoices.models.catalog import (
    CATEGORIES_NEEDING_REASON,
    EINVOICE_FORMATS,
    ZERO_PERCENT_CATEGORIES,
    CatalogItem,
    CatalogItemTaxRate,
    Client,
    TaxCategory,
    TaxRate,
)
from invoices.models.contacts import ClientContact, _contact_id
from invoices.models.invoices import (
    NUMBER_UNIQUE,
    UNPAID_STATUSES,
    DiscountType,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceLineTax,
    InvoiceStatus,
    InvoiceTaxTotal,
)
from invoices.models.numbering import (
    DEFAULT_PATTERNS,
    NUMBER_LITERAL,
    NUMBER_TOKEN,
    NumberCounter,
    NumberReset,
    NumberSeries,
    SeriesKind,
    render_number,
    validate_number_pattern,
)
from invoices.models.payments import (
    COUNTED_REFUND_STATUSES,
    Dispute,
    DisputeStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    Refund,
    RefundStatus,
)
from invoices.models.seller import BankAccount, CompanyProfile, PaymentMeans
from invoices.models.timeline import EventVerb, InvoiceEvent

__all__ = [
    "CATEGORIES_NEEDING_REASON",
    "COUNTED_REFUND_STATUSES",
    "DEFAULT_PATTERNS",
    "EINVOICE_FORMATS",
    "NUMBER_LITERAL",
    "NUMBER_TOKEN",
    "NUMBER_UNIQUE",
    "UNPAID_STATUSES",
    "ZERO_PERCENT_CATEGORIES",
    "AllowanceCharge",
    "AllowanceChargeTax",
    "BankAccount",
    "CatalogItem",
    "CatalogItemTaxRate",
    "Client",
    "ClientContact",
    "CompanyProfile",
    "DiscountType",
    "Dispute",
    "DisputeStatus",
    "EventVerb",
    "Invoice",
    "InvoiceEvent",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceLineTax",
    "InvoiceStatus",
    "InvoiceTaxTotal",
    "MoneyField",
    "NumberCounter",
    "NumberReset",
    "NumberSeries",
    "Payment",
    "PaymentMeans",
    "PaymentMethod",
    "PaymentSource",
    "Refund",
    "RefundStatus",
    "SeriesKind",
    "TaxCategory",
    "TaxRate",
    "_catalog_item_id",
    "_client_id",
    "_contact_id",
    "_dispute_id",
    "_invoice_id",
    "_payment_id",
    "_refund_id",
    "_tax_rate_id",
    "render_number",
    "validate_email_list",
    "validate_number_pattern",
]
