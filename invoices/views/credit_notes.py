"""A stand-alone credit note made from the client's page: the client fixed, a currency, a few
lines (description, quantity, unit price, tax rate) and a reason. Issued at once by
`services.credit_note_create_standalone`; it refers to no invoice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ApplicationError
from invoices import limits, selectors, services
from invoices.forms import AMOUNT_ATTRS
from invoices.models import Client, Invoice
from invoices.services import LineData
from invoices.views._helpers import found_or_404, writer_required
from tenants.requests import TenantRequest

ROWS = 4  # line rows on the page; blank rows are left out


class StandaloneCreditNoteForm(forms.Form):
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3)
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=limits.CREDIT_REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    buyer_reference = forms.CharField(
        label=gettext_lazy("PO / buyer reference"), max_length=limits.BUYER_REFERENCE_MAX, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rates = selectors.tax_rate_list()
        for row in range(ROWS):
            self.fields[f"line{row}_description"] = forms.CharField(
                label=_("Description"), max_length=limits.LINE_DESCRIPTION_MAX, required=False
            )
            self.fields[f"line{row}_quantity"] = forms.CharField(
                label=_("Quantity"), max_length=40, required=False, widget=forms.TextInput(attrs=AMOUNT_ATTRS)
            )
            self.fields[f"line{row}_unit_price"] = forms.CharField(
                label=_("Unit price"),
                max_length=40,
                required=False,
                widget=forms.TextInput(attrs=AMOUNT_ATTRS),
            )
            self.fields[f"line{row}_tax_rate"] = forms.ModelChoiceField(
                label=_("Tax"),
                queryset=rates,
                required=False,
                empty_label=_("No tax"),
                to_field_name="public_id",
            )

    def rows(self) -> list[list[forms.BoundField]]:
        names = ("description", "quantity", "unit_price", "tax_rate")
        return [[self[f"line{row}_{name}"] for name in names] for row in range(ROWS)]

    def lines(self) -> tuple[list[LineData], list[int]]:
        """The filled rows as lines, and the row each came from (to put errors beside it)."""
        data = self.cleaned_data
        lines, rows = [], []
        for row in range(ROWS):
            description = data[f"line{row}_description"].strip()
            price = data[f"line{row}_unit_price"].strip()
            if not description and not price:
                continue
            rate = data[f"line{row}_tax_rate"]
            lines.append(
                LineData(
                    description=description,
                    quantity=data[f"line{row}_quantity"].strip() or "1",
                    unit_price=price,
                    tax_rates=[rate] if rate else [],
                )
            )
            rows.append(row)
        return lines, rows


def _issue(form: StandaloneCreditNoteForm, request: TenantRequest, client: Client) -> Invoice | None:
    lines, rows = form.lines()
    data = form.cleaned_data
    try:
        with transaction.atomic():
            return services.credit_note_create_standalone(
                actor=request.membership,
                client=client,
                currency=data["currency"],
                lines=lines,
                reason=data["reason"],
                buyer_reference=data["buyer_reference"],
            )
    except ApplicationError as error:
        path = error.path or ()
        field = error.field if error.field in form.fields else None
        if len(path) >= 3 and path[0] == "lines" and isinstance(path[1], int) and path[1] < len(rows):
            named = f"line{rows[path[1]]}_{path[2]}"
            field = named if named in form.fields else None
        form.add_error(field, error.message)
        return None


@writer_required
def credit_note_create_standalone(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    client = found_or_404(selectors.client_get(public_id=public_id))
    form = StandaloneCreditNoteForm(request.POST or None, initial={"currency": client.currency})
    if request.method == "POST" and form.is_valid():
        note = _issue(form, request, client)
        if note:
            messages.success(request, _("Credit note %(number)s issued.") % {"number": note.number})
            return redirect("invoice_detail", tenant_slug, note.public_id)
    return render(request, "invoices/credit_note_form.html", {"form": form, "client": client})
