"""Forms of the email, reminder and recurring-invoice pages (shape only; services decide)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from delivery.models import CreateMode, Frequency, LateFeeKind
from invoices.models import Client, TaxRate
from tenants.forms import CURRENCY_CHOICES

AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "class": "num"}


class SendForm(forms.Form):
    to = forms.CharField(
        label=_("To"), max_length=1000, help_text=_("One or more addresses, separated by commas.")
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Message"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 9})
    )
    # Set by the confirmation step of a draft: "finalize it, then send".
    confirm_finalize = forms.BooleanField(required=False, widget=forms.HiddenInput)


def parse_days(raw: str) -> list[int]:
    days = []
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise forms.ValidationError(_("Enter whole numbers of days, separated by commas."))
        days.append(int(part))
    return sorted(set(days))


class _ScheduleFields(forms.Form):
    reminders_enabled = forms.BooleanField(label=_("Send payment reminders"), required=False)
    remind_days_before = forms.IntegerField(
        label=_("Days before the due date"),
        required=False,
        min_value=1,
        max_value=60,
        help_text=_("Leave empty for no reminder before the due date."),
    )
    remind_on_due = forms.BooleanField(label=_("On the due date"), required=False)
    remind_after_days = forms.CharField(
        label=_("Days after the due date"),
        required=False,
        max_length=100,
        help_text=_("For example 3, 7, 14, 30."),
    )

    def clean_remind_after_days(self) -> list[int]:
        days = parse_days(self.cleaned_data.get("remind_after_days") or "")
        if any(day < 1 or day > 365 for day in days):
            raise forms.ValidationError(_("Each interval must be between 1 and 365 days."))
        if len(days) > 12:
            raise forms.ValidationError(_("At most 12 reminders after the due date."))
        return days

    @staticmethod
    def initial_from(row: Any) -> dict[str, Any]:
        return {
            "reminders_enabled": row.reminders_enabled,
            "remind_days_before": row.remind_days_before,
            "remind_on_due": row.remind_on_due,
            "remind_after_days": ", ".join(str(day) for day in row.remind_after_days or []),
        }


class SendingSettingsForm(_ScheduleFields):
    attach_pdf = forms.BooleanField(
        label=_("Attach the PDF to invoice emails"),
        required=False,
        help_text=_("Off: emails carry only the link to the invoice page (link-only)."),
    )
    late_fee_kind = forms.ChoiceField(label=_("Late fee"), choices=LateFeeKind.choices)
    late_fee_value = forms.DecimalField(
        label=_("Late fee amount or percentage"),
        required=False,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        widget=forms.TextInput(attrs=AMOUNT_ATTRS),
    )
    late_fee_after_days = forms.IntegerField(
        label=_("Charge it this many days after the due date"), min_value=1, max_value=365
    )
    late_fee_mode = forms.ChoiceField(label=_("Late fee invoice"), choices=CreateMode.choices)

    field_order = [
        "attach_pdf",
        "reminders_enabled",
        "remind_days_before",
        "remind_on_due",
        "remind_after_days",
        "late_fee_kind",
        "late_fee_value",
        "late_fee_after_days",
        "late_fee_mode",
    ]

    @classmethod
    def initial_for(cls, row: Any) -> dict[str, Any]:
        return {
            **cls.initial_from(row),
            "attach_pdf": row.attach_pdf,
            "late_fee_kind": row.late_fee_kind,
            "late_fee_value": row.late_fee_value,
            "late_fee_after_days": row.late_fee_after_days,
            "late_fee_mode": row.late_fee_mode,
        }


class ClientReminderForm(_ScheduleFields):
    use_workspace = forms.BooleanField(
        label=_("Use the workspace's reminder settings"),
        required=False,
        help_text=_("Untick to give this client its own schedule below."),
    )
    field_order = [
        "use_workspace",
        "reminders_enabled",
        "remind_days_before",
        "remind_on_due",
        "remind_after_days",
    ]


class RecurringForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    client = forms.ChoiceField(label=_("Client"))
    currency = forms.ChoiceField(
        label=_("Currency"), choices=[("", _("Same as the client")), *CURRENCY_CHOICES], required=False
    )
    frequency = forms.ChoiceField(label=_("Every"), choices=Frequency.choices)
    day_of_month = forms.IntegerField(
        label=_("On day of the month"),
        required=False,
        min_value=1,
        max_value=31,
        help_text=_("Monthly, quarterly, yearly. 29 to 31 fall on the last day of shorter months."),
    )
    start_date = forms.DateField(
        label=_("First period starts"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end_date = forms.DateField(
        label=_("Last period starts no later than"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    mode = forms.ChoiceField(label=_("Each period"), choices=CreateMode.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    terms = forms.CharField(
        label=_("Terms"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, clients: list[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + [(client.public_id, client.name) for client in clients]


class RecurringLineForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=1000, required=False)
    quantity = forms.CharField(
        label=_("Quantity"), max_length=30, required=False, widget=forms.TextInput(attrs=AMOUNT_ATTRS)
    )
    unit_price = forms.CharField(
        label=_("Unit price"), max_length=40, required=False, widget=forms.TextInput(attrs=AMOUNT_ATTRS)
    )
    tax_rate = forms.ChoiceField(label=_("Tax"), required=False)

    def __init__(self, *args: Any, tax_rates: list[TaxRate] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tax_rate"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("No tax"))] + [(rate.public_id, str(rate)) for rate in tax_rates or []]


RecurringLineFormSet = forms.formset_factory(RecurringLineForm, extra=0, max_num=50, absolute_max=50)
