"""Forms of the invoicing pages. They check shape (lengths, choices, dates); amounts stay strings
here and are parsed by the money module inside the services, whose ApplicationError names the
field at fault (`("lines", 2, "unit_price")`), so the page shows the message beside that field.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

from invoices import limits, vat
from invoices.l10n import delocalize_decimal
from invoices.models import (
    EINVOICE_FORMATS,
    Client,
    DiscountType,
    InvoiceStatus,
    NumberReset,
    PaymentMethod,
    TaxCategory,
    TaxRate,
)
from invoices.selectors import OVERDUE
from tenants.forms import COUNTRY_CHOICES, CURRENCY_CHOICES, LOCALE_CHOICES
from tenants.scoping import current_tenant_or_none

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LINE_PREFIX = "lines"

# Amount inputs: text with a decimal keyboard, so "12,5" or "abc" reach the money parser and
# get its precise message instead of the browser's silent refusal.
AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "class": "num"}


class LocalizedAmountField(forms.CharField):
    """A quantity, price or rate typed as the workspace writes numbers ("5,5" in a French
    workspace), handed on as the plain decimal string the money module parses (see
    `invoices.l10n.delocalize_decimal`)."""

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        if not text:  # "" (or None, were empty_value so): nothing to delocalize
            return text
        tenant = current_tenant_or_none()
        return delocalize_decimal(
            text, to_locale((tenant.locale if tenant else "") or get_language() or "en")
        )


def _amount_field(label: StrOrPromise, *, required: bool = True, max_length: int = 40) -> forms.CharField:
    return LocalizedAmountField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.TextInput(attrs=AMOUNT_ATTRS),
    )


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's choice field `name`, typed as one (a form's `fields` are plain `Field`s) to
    set its choices."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), name
    return field


def tax_rate_choices(rates: Iterable[TaxRate]) -> list[tuple[str, str]]:
    return [(rate.public_id, str(rate)) for rate in rates]


# --- the invoice builder ---------------------------------------------------------------------


class InvoiceHeaderForm(forms.Form):
    client = forms.CharField(label=_("Client"), max_length=32, required=False)
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[("", _("Same as the client")), *CURRENCY_CHOICES], required=False
    )
    issue_date = forms.DateField(
        label=_("Issue date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        help_text=_("Empty: the client's payment terms."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    buyer_reference = forms.CharField(
        label=_("PO / buyer reference"), max_length=limits.BUYER_REFERENCE_MAX, required=False
    )
    discount_type = forms.ChoiceField(
        label=_("Discount type"), choices=DiscountType.choices, initial=DiscountType.AMOUNT, required=False
    )
    discount_value = _amount_field(_("Invoice discount"), required=False)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=limits.NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    terms = forms.CharField(
        label=_("Terms"),
        required=False,
        max_length=limits.TERMS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        issue, due = data.get("issue_date"), data.get("due_date")
        if issue and due and due < issue:
            self.add_error("due_date", _("The due date cannot be before the issue date."))
        return data


class LineForm(forms.Form):
    """One line of the builder. `key` is a stable id for the line while it is edited (for focus
    and for htmx to keep the line the user is on); it is never stored."""

    key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=24)
    catalog_item = forms.CharField(required=False, max_length=32, label=_("Catalog item"))
    description = forms.CharField(
        label=_("Description"),
        max_length=limits.LINE_DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 1, "class": "line__description"}),
    )
    quantity = _amount_field(_("Quantity"), required=False)
    unit = forms.CharField(label=_("Unit"), max_length=limits.UNIT_MAX, required=False)
    unit_price = _amount_field(_("Unit price"), required=False)
    discount = _amount_field(_("Discount"), required=False)
    tax_rates = forms.MultipleChoiceField(
        label=_("Taxes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    metadata = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=limits.LINE_METADATA_MAX_CHARS
    )
    # EN 16931 details a line may carry (made through the API): kept as they are when the
    # builder saves, so its totals do not change.
    unit_code = forms.CharField(widget=forms.HiddenInput, required=False, max_length=3)
    base_quantity = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    gross_price = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    period_start = forms.DateField(widget=forms.HiddenInput, required=False)
    period_end = forms.DateField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        tax_choices: list[tuple[str, str]] | None = None,
        shared_fields: dict[str, forms.Field] | None = None,
        **kwargs: Any,
    ) -> None:
        if shared_fields is not None:
            # A builder page has up to 5,000 line forms: they share one set of fields (which
            # validation only reads) instead of a deep copy each (a millisecond a line).
            # An empty dict on this instance, shadowing the class's: django-stubs declares
            # base_fields a ClassVar, which it is everywhere but here.
            self.base_fields = {}  # type: ignore[misc]
            super().__init__(*args, **kwargs)
            self.fields = shared_fields
            return
        super().__init__(*args, **kwargs)
        choice_field(self, "tax_rates").choices = tax_choices or []
        for name in ("quantity", "unit_price", "discount", "unit"):
            self.fields[name].widget.attrs["aria-label"] = str(self.fields[name].label)

    @classmethod
    def shared_fields(cls, tax_choices: list[tuple[str, str]]) -> dict[str, forms.Field]:
        """The fields every line form of one page shares (see `__init__`)."""
        return cls(tax_choices=tax_choices).fields

    def clean_metadata(self) -> dict[str, Any]:
        raw = self.cleaned_data.get("metadata") or ""
        if not raw.strip():
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("Line metadata must be JSON.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("Line metadata must be a JSON object."))
        return value

    def clean_description(self) -> str:
        # Browsers send a textarea's line breaks as CRLF; store plain newlines.
        return (self.cleaned_data.get("description") or "").replace("\r\n", "\n").replace("\r", "\n")

    def clean_key(self) -> str:
        return self.cleaned_data.get("key") or new_line_key()

    @property
    def posted_key(self) -> str:
        """The key the page posted for this line ("" if none), valid or not: the line's
        allowance rows name their line by it."""
        return str(self.data.get(f"{self.prefix}-key", ""))

    def is_blank(self) -> bool:
        """A line the user added but never filled (its quantity starts at 1): ignored when saving."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not any(
            (data.get(name) or "").strip()
            for name in ("description", "unit_price", "discount", "catalog_item")
        )


def new_line_key() -> str:
    return secrets.token_hex(4)


class QuickClientForm(forms.Form):
    """Create a client without leaving the builder: the essentials only."""

    new_client_name = forms.CharField(label=_("Name"), max_length=200)
    new_client_email = forms.CharField(label=_("Email"), max_length=500)
    new_client_currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)


# --- invoice actions -------------------------------------------------------------------------


class PaymentForm(forms.Form):
    amount = _amount_field(_("Amount"))
    paid_on = forms.DateField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=limits.VOID_REASON_MAX, required=False)


class CreditNoteForm(forms.Form):
    FULL, PARTIAL = "full", "partial"
    mode = forms.ChoiceField(
        label=_("What to credit"),
        choices=[(FULL, _("The whole invoice")), (PARTIAL, _("An amount"))],
        initial=FULL,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    amount = _amount_field(_("Amount, before tax"), required=False)
    tax_rates = forms.MultipleChoiceField(
        label=_("Taxes"), required=False, widget=forms.CheckboxSelectMultiple
    )
    reason = forms.CharField(label=_("Reason"), max_length=limits.CREDIT_REASON_MAX, required=False)

    def __init__(self, *args: Any, tax_choices: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "tax_rates").choices = tax_choices or []

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("mode") == self.PARTIAL:
            if not (data.get("description") or "").strip():
                self.add_error("description", _("Describe what is credited."))
            if not (data.get("amount") or "").strip():
                self.add_error("amount", _("Enter the amount to credit."))
        return data


# --- lists -----------------------------------------------------------------------------------

SORT_CHOICES = [
    ("-issue_date", _("Newest first")),
    ("issue_date", _("Oldest first")),
    ("-due_date", _("Due date, latest first")),
    ("due_date", _("Due date, soonest first")),
    ("-total", _("Largest total")),
    ("total", _("Smallest total")),
    ("-number", _("Number, descending")),
    ("number", _("Number, ascending")),
    ("client", _("Client A to Z")),
    ("-client", _("Client Z to A")),
    ("status", _("Status")),
]


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *InvoiceStatus.choices, (OVERDUE, _("Overdue"))],
    )
    client = forms.CharField(label=_("Client"), required=False, max_length=32)
    date_from = forms.DateField(
        label=_("Issued from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class ClientSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    archived = forms.BooleanField(label=_("Show archived"), required=False)


# --- clients, catalog, taxes, numbering ------------------------------------------------------


# The Factur-X field's choice for a client's setting (None: as the workspace).
FACTURX_CHOICE: dict[bool | None, str] = {None: "", True: "true", False: "false"}


class ClientForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    emails = forms.CharField(
        label=_("Contact emails"),
        max_length=1000,
        help_text=_("One or more, separated by commas. The first is the main contact."),
    )
    address_line1 = forms.CharField(label=_("Address"), max_length=200, required=False)
    address_line2 = forms.CharField(label=_("Address (line 2)"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    region = forms.CharField(label=_("Region / state"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=[("", "—"), *COUNTRY_CHOICES], required=False)
    tax_id = forms.CharField(label=_("Tax / VAT id"), max_length=50, required=False)
    currency = forms.ChoiceField(label=_("Default currency"), choices=CURRENCY_CHOICES)
    language = forms.ChoiceField(label=_("Language"), choices=LOCALE_CHOICES)
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=limits.CLIENT_NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    peppol_scheme = forms.CharField(
        label=_("Peppol scheme"),
        max_length=4,
        required=False,
        help_text=_("Where e-invoices reach this client: 0088 (GLN), 9930 (German VAT), 0009 (SIRET)…"),
    )
    peppol_id = forms.CharField(label=_("Peppol participant id"), max_length=100, required=False)
    einvoice_format = forms.ChoiceField(
        label=_("E-invoice attached to emails"),
        choices=[("", _("None (the PDF only)")), *EINVOICE_FORMATS],
        required=False,
    )
    facturx = forms.TypedChoiceField(
        label=_("Factur-X PDF"),
        choices=[("", _("As the workspace")), ("true", _("On")), ("false", _("Off"))],
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
    )

    def clean_emails(self) -> str:
        # Checked here, beside the other fields, rather than only by the service after the form
        # passed: a bad address is reported with every other mistake at once, not one at a time.
        raw = self.cleaned_data["emails"]
        addresses = [e.strip() for e in raw.replace(";", ",").replace("\n", ",").split(",") if e.strip()]
        Client._meta.get_field("emails").run_validators(addresses)
        return raw

    @classmethod
    def initial_for(cls, client: Client) -> dict[str, Any]:
        initial = {name: getattr(client, name) for name in cls.base_fields if name != "emails"}
        initial["emails"] = ", ".join(client.emails)
        initial["facturx"] = FACTURX_CHOICE[client.facturx]
        return initial


class TaxRateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    percentage = _amount_field(_("Percentage"))
    inclusive = forms.BooleanField(
        label=_("Included in prices"), required=False, help_text=_("Prices already contain this tax.")
    )
    compound = forms.BooleanField(
        label=_("Compound"), required=False, help_text=_("Applied on top of the line's other taxes.")
    )
    category = forms.ChoiceField(label=_("Tax category"), choices=TaxCategory.choices)
    exemption_reason = forms.CharField(
        label=_("Exemption reason"),
        max_length=300,
        required=False,
        help_text=_("Printed on the invoice; required for exempt, reverse-charge and export categories."),
    )
    exemption_code = forms.ChoiceField(
        label=_("Exemption code (VATEX)"),
        required=False,
        help_text=_("The coded reason e-invoices carry, printed beside the text (EN 16931 BT-121)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "exemption_code").choices = [
            ("", "—"),
            *((code.code, code.label) for code in vat.vatex()),
        ]


class CatalogItemForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=limits.CATALOG_DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    unit = forms.CharField(
        label=_("Unit"), max_length=limits.UNIT_MAX, required=False, help_text=_("hour, day, piece…")
    )
    unit_price = _amount_field(_("Unit price"))
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    tax_rates = forms.MultipleChoiceField(
        label=_("Default taxes"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, tax_choices: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "tax_rates").choices = tax_choices or []


class NumberSeriesForm(forms.Form):
    pattern = forms.CharField(
        label=_("Pattern"),
        max_length=40,
        help_text=_("Placeholders: {YYYY}, {YY}, {MM} and one {SEQ} (or {SEQ:05} to pad with zeros)."),
    )
    reset = forms.ChoiceField(label=_("Restart numbering"), choices=NumberReset.choices)
