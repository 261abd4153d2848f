"""Forms of Settings → Company and Settings → Bank accounts. They check shape (lengths, choices);
VAT, registration and bank numbers are checked by the services (python-stdnum, schwifty), whose
ApplicationError names the field the page shows the message beside."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from invoices.models import BankAccount, CompanyProfile, PaymentMeans
from invoices.models.seller import REGISTRATION_SCHEME_CHOICES
from tenants.forms import COUNTRY_CHOICES, CURRENCY_CHOICES

_TEXTAREA = {"rows": 3}


class CompanyProfileForm(forms.Form):
    legal_name = forms.CharField(
        label=_("Legal name"), max_length=200, help_text=_("As registered, e.g. “Studio Dupont SARL”.")
    )
    trading_name = forms.CharField(label=_("Trading name"), max_length=200, required=False)
    address_line1 = forms.CharField(label=_("Address"), max_length=200, required=False)
    address_line2 = forms.CharField(label=_("Address (line 2)"), max_length=200, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    region = forms.CharField(label=_("Region / state"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES)
    vat_id = forms.CharField(
        label=_("VAT number"),
        max_length=40,
        required=False,
        help_text=_("Or your GST/HST number in Canada, UID/MWST number in Switzerland."),
    )
    registration_scheme = forms.ChoiceField(
        label=_("Registration scheme"), choices=[("", "—"), *REGISTRATION_SCHEME_CHOICES], required=False
    )
    registration_number = forms.CharField(label=_("Registration number"), max_length=40, required=False)
    peppol_scheme = forms.CharField(
        label=_("Peppol scheme"),
        max_length=4,
        required=False,
        help_text=_("Where you receive e-invoices: 0009 (SIRET), 0088 (GLN), 9930 (German VAT)…"),
    )
    peppol_id = forms.CharField(label=_("Peppol participant id"), max_length=100, required=False)
    email = forms.EmailField(label=_("Contact email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    legal_mentions = forms.CharField(
        label=_("Legal mentions"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs=_TEXTAREA),
        help_text=CompanyProfile._meta.get_field("legal_mentions").help_text,
    )
    default_notes = forms.CharField(
        label=_("Default notes"), max_length=5000, required=False, widget=forms.Textarea(attrs=_TEXTAREA)
    )
    default_terms = forms.CharField(
        label=_("Default terms"), max_length=5000, required=False, widget=forms.Textarea(attrs=_TEXTAREA)
    )
    footer = forms.CharField(label=_("Footer"), max_length=300, required=False)
    payment_terms_days = forms.IntegerField(label=_("Payment terms (days)"), min_value=0, max_value=365)

    @classmethod
    def initial_for(cls, profile: CompanyProfile) -> dict[str, Any]:
        return {name: getattr(profile, name) for name in cls.base_fields}


class BankAccountForm(forms.Form):
    label = forms.CharField(
        label=_("Name"), max_length=80, required=False, help_text=_("For you, e.g. “Main EUR”.")
    )
    holder_name = forms.CharField(label=_("Account holder"), max_length=140, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=140, required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCY_CHOICES)
    country = forms.ChoiceField(label=_("Country of the account"), choices=COUNTRY_CHOICES)
    iban = forms.CharField(label=_("IBAN"), max_length=50, required=False)
    bic = forms.CharField(label=_("BIC / SWIFT"), max_length=20, required=False)
    account_number = forms.CharField(
        label=_("Account number"),
        max_length=40,
        required=False,
        help_text=_("Where there is no IBAN (US, CA, AU; UK)."),
    )
    routing_code = forms.CharField(
        label=_("Routing / sort code"),
        max_length=20,
        required=False,
        help_text=_("ABA routing number, sort code, transit + institution number or BSB."),
    )
    payment_means = forms.ChoiceField(
        label=_("Payment means"), choices=PaymentMeans.choices, initial=PaymentMeans.CREDIT_TRANSFER
    )

    @classmethod
    def initial_for(cls, account: BankAccount) -> dict[str, Any]:
        return {name: getattr(account, name) for name in cls.base_fields}
