"""Forms of the quote pages: shape only; amounts stay strings for the money parser."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from invoices.forms import LINE_PREFIX, LineForm, tax_rate_choices
from invoices.models import ClientContact, DiscountType, TaxRate
from quotes.models import OnAccept

BLANK_LINES = 2
MAX_LINES = 100


class QuoteHeaderForm(forms.Form):
    client = forms.ChoiceField(label=_("Client"))
    contact = forms.CharField(label=_("Contact"), required=False, max_length=32)
    issue_date = forms.DateField(
        label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        help_text=_("Empty: 30 days."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    discount_type = forms.ChoiceField(label=_("Discount type"), choices=DiscountType.choices)
    discount_value = forms.CharField(label=_("Discount"), required=False, max_length=40)
    on_accept = forms.ChoiceField(label=_("When the client accepts"), choices=OnAccept.choices)
    deposit_percent = forms.CharField(label=_("Deposit (%)"), required=False, max_length=12)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    terms = forms.CharField(
        label=_("Terms"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, clients: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].choices = clients


def line_forms(data: Any, initial: list[dict[str, Any]], rates: list[TaxRate]) -> list[LineForm]:
    choices = tax_rate_choices(rates)
    if data is not None:
        try:
            count = min(int(data.get(f"{LINE_PREFIX}-TOTAL_FORMS", "0")), MAX_LINES)
        except ValueError:
            count = 0
        return [LineForm(data, prefix=f"{LINE_PREFIX}-{i}", tax_choices=choices) for i in range(count)]
    rows = [*initial, *({"quantity": "1"} for _ in range(BLANK_LINES))]
    return [
        LineForm(initial=row, prefix=f"{LINE_PREFIX}-{i}", tax_choices=choices) for i, row in enumerate(rows)
    ]


def contact_choices(client_id: int | None) -> list[ClientContact]:
    return list(ClientContact.objects.filter(client_id=client_id)) if client_id else []


class BillingForm(forms.Form):
    percent = forms.CharField(label=_("Percentage"), required=False, max_length=12)
    amount = forms.CharField(label=_("or amount (taxes included)"), required=False, max_length=40)


class SendQuoteForm(forms.Form):
    contacts = forms.MultipleChoiceField(
        label=_("Send to"), required=False, widget=forms.CheckboxSelectMultiple
    )
