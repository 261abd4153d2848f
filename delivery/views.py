"""Pages: send (and resend) an invoice by email, email/reminder settings, a client's reminder
schedule, recurring invoices. Mounted under /t/<tenant_slug>/ (delivery/urls.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.web import call_service, require_membership
from delivery import emails, recurring
from delivery import services as sending
from delivery.forms import (
    ClientReminderForm,
    RecurringForm,
    RecurringLineFormSet,
    SendForm,
    SendingSettingsForm,
)
from delivery.models import ClientReminderOverride, RecurringTemplate
from invoices import selectors
from invoices.models import Invoice, InvoiceStatus
from invoices.views._helpers import found_or_404, submit_form
from tenants import roles
from tenants.requests import TenantRequest

writer_required = require_membership(roles.can_write)
manager_required = require_membership(roles.can_manage_tenant)


def _invoice(public_id: str) -> Invoice:
    return found_or_404(selectors.invoice_get(public_id=public_id))


# --- send -------------------------------------------------------------------------------------


def _default_recipients(invoice: Invoice) -> list[str]:
    """The client's contacts, primary first, then any address that is no contact's."""
    emails_of_contacts = [contact.email for contact in invoice.client.contacts.all()]
    return list(dict.fromkeys([*emails_of_contacts, *invoice.client.emails]))


@writer_required
def invoice_send(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    """GET: the form, prefilled in the client's language. POST: send (a draft first goes
    through a confirmation step that finalizes it)."""
    invoice = _invoice(public_id)
    if invoice.status == InvoiceStatus.VOID:
        messages.error(request, _("A void document is not sent."))
        return redirect("invoice_detail", tenant_slug, invoice.public_id)
    kind = sending.MessageKind.CREDIT_NOTE if invoice.is_credit_note else sending.MessageKind.INVOICE
    confirming = False
    if request.method == "POST":
        form = SendForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if invoice.is_draft and not data["confirm_finalize"]:
                # The confirmation step: same values, a button that says what it will do.
                confirming = True
                form = SendForm(initial={**data, "confirm_finalize": True})
            else:
                message = submit_form(
                    form,
                    sending.invoice_send,
                    actor=request.membership,
                    invoice=invoice,
                    to=data["to"],
                    subject=data["subject"],
                    body=data["body"],
                    finalize=bool(data["confirm_finalize"]),
                )
                if message is not None:
                    messages.success(
                        request,
                        _("Sending to %(to)s. Its delivery shows on this page.")
                        % {"to": ", ".join(message.to)},
                    )
                    return redirect("invoice_detail", tenant_slug, invoice.public_id)
    else:
        recipients = _default_recipients(invoice)
        if invoice.is_draft:
            subject, body = "", ""
        else:
            subject, body = emails.message_defaults(invoice=invoice, kind=kind, recipients=recipients)
        form = SendForm(initial={"to": ", ".join(recipients), "subject": subject, "body": body})
    if invoice.is_draft and not form.initial.get("subject") and not form.is_bound:
        # A draft has no number yet: the default text names the number it will get.
        form.initial["subject"] = _("Invoice from %(seller)s") % {"seller": request.tenant.name}
    return render(
        request,
        "invoices/send.html",
        {
            "invoice": invoice,
            "form": form,
            "confirming": confirming,
            "problems": sending.open_email_problems(invoice.client),
            "next_number": selectors.number_preview(on=invoice.issue_date) if invoice.is_draft else None,
            "attach_pdf": sending.sending_settings_get().attach_pdf or invoice.is_credit_note,
            "einvoice_warning": emails.client_einvoice_warning(invoice),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@writer_required
def client_email_problem_clear(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    client = found_or_404(selectors.client_get(public_id=public_id))
    if call_service(
        request,
        sending.client_email_problem_clear,
        actor=request.membership,
        client=client,
        email=request.POST.get("email", ""),
    ):
        messages.success(request, _("The address is no longer flagged."))
    back = request.POST.get("next", "")
    if back.startswith(f"/t/{tenant_slug}/") and "//" not in back:
        return redirect(back)
    return redirect("client_detail", tenant_slug, client.public_id)


# --- settings -----------------------------------------------------------------------------------


@manager_required
def sending_settings(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    row = sending.sending_settings_get()
    form = SendingSettingsForm(request.POST or None, initial=SendingSettingsForm.initial_for(row))
    if request.method == "POST" and form.is_valid():
        saved = submit_form(
            form, sending.sending_settings_update, actor=request.membership, **form.cleaned_data
        )
        if saved is not None:
            messages.success(request, _("Email and reminder settings saved."))
            return redirect("sending_settings", tenant_slug)
    return render(
        request,
        "invoices/send_settings.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@writer_required
def client_reminders(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    client = found_or_404(selectors.client_get(public_id=public_id))
    override = ClientReminderOverride.objects.filter(client=client).first()
    source = override or sending.sending_settings_get()
    initial = {**ClientReminderForm.initial_from(source), "use_workspace": override is None}
    form = ClientReminderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        use_workspace = data.pop("use_workspace")
        submit_form(
            form,
            sending.client_reminder_override_set,
            actor=request.membership,
            client=client,
            use_workspace=use_workspace,
            **data,
        )
        if not form.errors:
            messages.success(request, _("Reminder settings saved for %(name)s.") % {"name": client.name})
            return redirect("client_detail", tenant_slug, client.public_id)
    return render(
        request,
        "invoices/send_client_reminders.html",
        {"client": client, "form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- recurring invoices -------------------------------------------------------------------------


def _template(public_id: str) -> RecurringTemplate:
    found = RecurringTemplate.objects.select_related("client").filter(public_id=public_id).first()
    if found is None:
        raise Http404("Not found.")
    return found


def recurring_list(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    templates = list(RecurringTemplate.objects.select_related("client").order_by("name", "pk"))
    return render(
        request,
        "invoices/send_recurring_list.html",
        {"templates": templates, "can_write": roles.can_write(request.membership)},
    )


def _line_initial(template: RecurringTemplate | None) -> list[dict[str, Any]]:
    if template is None:
        return [{"quantity": "1"}]
    return [
        {
            "description": line["description"],
            "quantity": line["quantity"],
            "unit_price": line["unit_price"],
            "tax_rate": (line.get("tax_rates") or [""])[0],
        }
        for line in template.lines
    ]


def _recurring_form(request: TenantRequest, template: RecurringTemplate | None) -> HttpResponse:
    clients = list(selectors.client_list())
    rates = list(selectors.tax_rate_list())
    initial: dict[str, Any] = {}
    if template is not None:
        initial = {
            "name": template.name,
            "client": template.client.public_id,
            "currency": template.currency,
            "frequency": template.frequency,
            "day_of_month": template.day_of_month,
            "start_date": template.start_date,
            "end_date": template.end_date,
            "mode": template.mode,
            "notes": template.notes,
            "terms": template.terms,
        }
    form = RecurringForm(request.POST or None, initial=initial, clients=clients)
    lines = RecurringLineFormSet(
        request.POST or None,
        initial=_line_initial(template),
        prefix="lines",
        form_kwargs={"tax_rates": rates},
    )
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        line_data = [
            {
                "description": line["description"],
                "quantity": line["quantity"] or "1",
                "unit_price": line["unit_price"],
                "tax_rates": [line["tax_rate"]] if line.get("tax_rate") else [],
            }
            for line in lines.cleaned_data
            if line and (line.get("description") or line.get("unit_price"))
        ]
        fields = {**form.cleaned_data, "lines": line_data}
        try:
            if template is None:
                saved = recurring.recurring_template_create(actor=request.membership, **fields)
            else:
                saved = recurring.recurring_template_update(
                    actor=request.membership, template=template, **fields
                )
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Recurring invoice “%(name)s” saved.") % {"name": saved.name})
            return redirect("recurring_list", request.tenant.slug)
    return render(
        request,
        "invoices/send_recurring_form.html",
        {"form": form, "lines": lines, "template": template},
        status=400 if form.is_bound and (form.errors or lines.errors) else 200,
    )


@writer_required
def recurring_create(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    return _recurring_form(request, None)


@writer_required
def recurring_edit(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    return _recurring_form(request, _template(public_id))


@require_POST
@writer_required
def recurring_pause(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    template = _template(public_id)
    if request.POST.get("action") == "resume":
        call_service(
            request, recurring.recurring_template_resume, actor=request.membership, template=template
        )
    else:
        call_service(request, recurring.recurring_template_pause, actor=request.membership, template=template)
    return redirect("recurring_list", tenant_slug)
