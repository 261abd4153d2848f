"""Forms of the quote pages: shape only; amounts stay strings for the money parser."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from invoices import limits
from invoices.models import ClientContact, DiscountType
from quotes.models import OnAccept


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

    def __init__(self, *args: Any, clients: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client = self.fields["client"]
        assert isinstance(client, forms.ChoiceField)
        client.choices = clients


def contact_choices(client_id: int | None) -> list[ClientContact]:
    return list(ClientContact.objects.filter(client_id=client_id)) if client_id else []


class BillingForm(forms.Form):
    percent = forms.CharField(label=_("Percentage"), required=False, max_length=12)
    amount = forms.CharField(label=_("or amount (taxes included)"), required=False, max_length=40)


class SendQuoteForm(forms.Form):
    contacts = forms.MultipleChoiceField(
        label=_("Send to"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *, contacts: list[ClientContact]) -> None:
        super().__init__()
        field = self.fields["contacts"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(c.public_id, f"{c.name} <{c.email}>") for c in contacts]
