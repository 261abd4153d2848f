from __future__ import annotations

import zoneinfo

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from babel import Locale
from babel.numbers import get_territory_currencies
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tenants.emails import email_lookup_key
from tenants.models import Role, validate_brand_color

_EN = Locale("en")
# CLDR lists a few two-letter "territories" that are not places a business is based in.
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}
COUNTRY_CHOICES = sorted(
    (
        (code, name)
        for code, name in _EN.territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    ),
    key=lambda item: item[1],
)
# Currencies some country uses as legal tender today: no gold (XAU), test (XTS) or
# withdrawn (DEM) codes in the picker.
_TENDER_CURRENCIES = {
    currency
    for code, _name in COUNTRY_CHOICES
    for currency in get_territory_currencies(code, tender=True, non_tender=False)
}
CURRENCY_CHOICES = sorted(
    ((code, f"{code} — {name}") for code, name in _EN.currencies.items() if code in _TENDER_CURRENCIES),
    key=lambda item: item[0],
)
TIME_ZONE_CHOICES = [(tz, tz) for tz in sorted(zoneinfo.available_timezones())]
LOCALE_CHOICES = [(code, name) for code, name in settings.LANGUAGES]


class LoginForm(AllauthLoginForm):
    """allauth's login form (ACCOUNT_FORMS), with the address in its one spelling from here on:
    the account lookup, the failed-login counter and the "is this address verified?" check all
    see the spelling that is stored, whichever one was typed."""

    def clean_login(self) -> str:
        return email_lookup_key(super().clean_login())


class ResetPasswordForm(AllauthResetPasswordForm):
    """allauth's form returns the address as typed: the reset link goes to the stored spelling."""

    def clean_email(self) -> str:
        return email_lookup_key(super().clean_email())


class TenantForm(forms.Form):
    name = forms.CharField(label=_("Business name"), max_length=120)
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES, initial="US")
    default_currency = forms.ChoiceField(label=_("Default currency"), choices=CURRENCY_CHOICES, initial="USD")
    locale = forms.ChoiceField(label=_("Language"), choices=LOCALE_CHOICES, initial="en")
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES, initial="UTC")


class TenantSettingsForm(TenantForm):
    """The settings page: the workspace's details and what its documents include."""

    facturx = forms.TypedChoiceField(
        label=_("Factur-X PDF"),
        choices=[("", _("On for sellers in the EU")), ("true", _("On")), ("false", _("Off"))],
        coerce=lambda value: value == "true",
        empty_value=None,
        required=False,
        help_text=_("The invoice PDF with its e-invoice (EN 16931) inside. Each client can differ."),
    )


class ColorInput(forms.TextInput):
    input_type = "color"


class BrandingForm(forms.Form):
    """What the service checks (type, size, a readable image) is left to it: one set of rules."""

    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG, up to 1 MB. Printed at the top left of your invoices, at most 18 mm high."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    brand_color = forms.CharField(
        label=_("Brand colour"),
        max_length=7,
        validators=[validate_brand_color],
        help_text=_("The colour of your invoices' title, totals and rules."),
        widget=ColorInput,
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
