"""The send page, the Emails panel, the settings pages and the recurring pages, per role."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client as HttpClient

from delivery.models import (
    ClientEmailProblem,
    ClientReminderOverride,
    OutgoingMessage,
    RecurringTemplate,
    SendingSettings,
)
from delivery.tests.smtp import SMTPServer
from invoices.models import Invoice, InvoiceStatus
from invoices.tests.factories import ClientFactory, TaxRateFactory, make_invoice
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_invoice(tenant: Tenant, owner_membership: Membership) -> Invoice:
    with tenant_scope(tenant):
        client = ClientFactory(name="Initech", emails=["ap@initech.example"])
        return make_invoice(actor=owner_membership, client=client, finalize=True)


@pytest.fixture
def draft_invoice(tenant: Tenant, owner_membership: Membership) -> Invoice:
    with tenant_scope(tenant):
        return make_invoice(actor=owner_membership, client=ClientFactory(emails=["draft@client.example"]))


def _url(tenant: Tenant, invoice: Invoice, suffix: str = "send/") -> str:
    return f"/t/{tenant.slug}/invoices/{invoice.public_id}/{suffix}"


def test_member_sends_from_the_prefilled_form_and_sees_the_delivery_state(
    tenant: Tenant,
    open_invoice: Invoice,
    member_client: HttpClient,
    mail_env: SMTPServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    form = member_client.get(_url(tenant, open_invoice))
    assert form.status_code == 200
    page = form.content.decode()
    assert f"Invoice {open_invoice.number} from Acme Design" in page
    assert "ap@initech.example" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            _url(tenant, open_invoice),
            {"to": "ap@initech.example", "subject": "Edited subject", "body": "Edited body."},
        )
    assert response.status_code == 302

    [received] = mail_env.wait_for(1)
    assert received.subject == "Edited subject"
    assert "Edited body." in received.text
    detail = member_client.get(_url(tenant, open_invoice, "")).content.decode()
    assert 'data-testid="email-list"' in detail
    assert "Sent" in detail
    assert "Send again" in detail


def test_a_draft_goes_through_a_confirmation_step_before_it_is_finalized_and_sent(
    tenant: Tenant,
    draft_invoice: Invoice,
    member_client: HttpClient,
    mail_env: SMTPServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    data = {"to": "draft@client.example", "subject": "Your invoice", "body": "Hello"}
    step = member_client.post(_url(tenant, draft_invoice), data)
    assert step.status_code == 200
    assert 'data-testid="confirm-finalize-send"' in step.content.decode()
    with tenant_scope(tenant):
        assert Invoice.objects.get(pk=draft_invoice.pk).status == InvoiceStatus.DRAFT
    assert mail_env.messages == []

    with django_capture_on_commit_callbacks(execute=True):
        done = member_client.post(_url(tenant, draft_invoice), {**data, "confirm_finalize": "True"})
    assert done.status_code == 302
    with tenant_scope(tenant):
        invoice = Invoice.objects.get(pk=draft_invoice.pk)
    assert invoice.status == InvoiceStatus.OPEN
    [received] = mail_env.wait_for(1)
    assert received.rcpt_tos == ["draft@client.example"]


def test_failed_send_is_shown_on_the_invoice_page(
    tenant: Tenant,
    open_invoice: Invoice,
    owner_client: HttpClient,
    mail_env: SMTPServer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    mail_env.refuse("451 4.3.0 Mailbox busy")
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(
            _url(tenant, open_invoice), {"to": "ap@initech.example", "subject": "S", "body": "B"}
        )
    page = owner_client.get(_url(tenant, open_invoice, "")).content.decode()
    assert 'data-testid="email-failed"' in page
    assert "Failed" in page
    assert "Mailbox busy" in page
    assert "email could not be sent" in page  # the timeline entry


def test_invalid_address_is_a_field_error(
    tenant: Tenant, open_invoice: Invoice, member_client: HttpClient, mail_env: SMTPServer
) -> None:
    response = member_client.post(_url(tenant, open_invoice), {"to": "nope", "subject": "S", "body": ""})
    assert response.status_code == 400
    assert "nope is not a valid email address." in response.content.decode()
    with tenant_scope(tenant):
        assert not OutgoingMessage.objects.exists()


def test_viewer_cannot_send_and_outsider_gets_404(
    tenant: Tenant,
    open_invoice: Invoice,
    viewer_client: HttpClient,
    outsider_client: HttpClient,
    mail_env: SMTPServer,
) -> None:
    data = {"to": "ap@initech.example", "subject": "S", "body": "B"}
    assert viewer_client.get(_url(tenant, open_invoice)).status_code == 403
    assert viewer_client.post(_url(tenant, open_invoice), data).status_code == 403
    assert outsider_client.get(_url(tenant, open_invoice)).status_code == 404
    assert outsider_client.post(_url(tenant, open_invoice), data).status_code == 404
    detail = viewer_client.get(_url(tenant, open_invoice, "")).content.decode()
    assert 'data-testid="send-invoice"' not in detail
    with tenant_scope(tenant):
        assert not OutgoingMessage.objects.exists()
    assert mail_env.messages == []


def test_another_tenants_invoice_is_404_in_my_workspace(
    tenant: Tenant, other_tenant: Tenant, outsider_membership: Membership, member_client: HttpClient
) -> None:
    with tenant_scope(other_tenant):
        theirs = make_invoice(actor=outsider_membership, finalize=True)
    assert member_client.get(_url(tenant, theirs)).status_code == 404


def test_settings_page_for_admins_only(
    tenant: Tenant, admin_membership: Membership, member_client: HttpClient, outsider_client: HttpClient
) -> None:
    from tenants.tests.fixtures import client_for

    url = f"/t/{tenant.slug}/settings/email/"
    data = {
        "attach_pdf": "",
        "reminders_enabled": "on",
        "remind_days_before": "5",
        "remind_on_due": "on",
        "remind_after_days": "7, 3, 30",
        "late_fee_kind": "percent",
        "late_fee_value": "1.5",
        "late_fee_after_days": "15",
        "late_fee_mode": "send",
    }
    assert member_client.get(url).status_code == 403
    assert member_client.post(url, data).status_code == 403
    assert outsider_client.get(url).status_code == 404
    admin = client_for(admin_membership.user)
    assert admin.get(url).status_code == 200
    assert admin.post(url, data).status_code == 302
    with tenant_scope(tenant):
        row = SendingSettings.objects.get()
    assert row.attach_pdf is False
    assert row.remind_days_before == 5
    assert row.remind_after_days == [3, 7, 30]
    assert row.late_fee_kind == "percent"
    assert row.late_fee_value == Decimal("1.5")
    bad = admin.post(url, {**data, "late_fee_value": "150"})
    assert bad.status_code == 400
    assert "A percentage cannot exceed 100." in bad.content.decode()


def test_client_reminder_override_and_back_to_the_workspace_schedule(
    tenant: Tenant, owner_membership: Membership, member_client: HttpClient, outsider_client: HttpClient
) -> None:
    with tenant_scope(tenant):
        client = ClientFactory()
    url = f"/t/{tenant.slug}/clients/{client.public_id}/reminders/"
    assert outsider_client.get(url).status_code == 404
    assert member_client.get(url).status_code == 200
    own = {"reminders_enabled": "on", "remind_after_days": "10", "remind_days_before": ""}
    assert member_client.post(url, own).status_code == 302
    with tenant_scope(tenant):
        override = ClientReminderOverride.objects.get(client=client)
    assert override.remind_after_days == [10]
    assert override.remind_on_due is False
    assert member_client.post(url, {**own, "use_workspace": "on"}).status_code == 302
    with tenant_scope(tenant):
        assert not ClientReminderOverride.objects.exists()


def test_clearing_a_flagged_address(
    tenant: Tenant, open_invoice: Invoice, member_client: HttpClient, outsider_client: HttpClient
) -> None:
    with tenant_scope(tenant):
        ClientEmailProblem.objects.create(
            client=open_invoice.client, email="ap@initech.example", kind="bounced"
        )
    url = f"/t/{tenant.slug}/clients/{open_invoice.client.public_id}/email-problems/clear/"
    assert outsider_client.post(url, {"email": "ap@initech.example"}).status_code == 404
    assert 'data-testid="email-problem"' in member_client.get(_url(tenant, open_invoice, "")).content.decode()
    assert member_client.post(url, {"email": "ap@initech.example"}).status_code == 302
    with tenant_scope(tenant):
        assert ClientEmailProblem.objects.get().cleared_at is not None


def test_recurring_pages_create_edit_pause_resume(
    tenant: Tenant,
    owner_membership: Membership,
    member_client: HttpClient,
    viewer_client: HttpClient,
    outsider_client: HttpClient,
) -> None:
    with tenant_scope(tenant):
        client = ClientFactory(name="Hooli")
        vat = TaxRateFactory(name="VAT")
    base = f"/t/{tenant.slug}/recurring/"
    data = {
        "name": "Hosting",
        "client": client.public_id,
        "currency": "",
        "frequency": "monthly",
        "day_of_month": "31",
        "start_date": "2026-01-01",
        "end_date": "",
        "mode": "draft",
        "notes": "",
        "terms": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "Hosting",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "49.50",
        "lines-0-tax_rate": vat.public_id,
        "lines-1-description": "",
        "lines-1-quantity": "",
        "lines-1-unit_price": "",
        "lines-1-tax_rate": "",
    }
    assert viewer_client.get(f"{base}new/").status_code == 403
    assert outsider_client.get(f"{base}new/").status_code == 404
    assert member_client.get(f"{base}new/").status_code == 200
    assert member_client.post(f"{base}new/", data).status_code == 302
    with tenant_scope(tenant):
        template = RecurringTemplate.objects.get()
    assert template.lines == [
        {
            "description": "Hosting",
            "quantity": "2.0000",
            "unit_price": "49.50",
            "unit": "",
            "tax_rates": [vat.public_id],
        }
    ]
    assert template.day_of_month == 31
    assert template.currency == "EUR"
    assert "Hosting" in member_client.get(base).content.decode()
    assert viewer_client.get(base).status_code == 200
    assert outsider_client.get(base).status_code == 404

    edit = f"{base}{template.public_id}/"
    assert outsider_client.get(edit).status_code == 404
    assert (
        member_client.post(edit, {**data, "frequency": "weekly", "name": "Hosting weekly"}).status_code == 302
    )
    assert outsider_client.post(f"{edit}pause/").status_code == 404
    assert member_client.post(f"{edit}pause/").status_code == 302
    with tenant_scope(tenant):
        template.refresh_from_db()
    assert template.name == "Hosting weekly"
    assert template.day_of_month is None
    assert template.is_paused
    member_client.post(f"{edit}pause/", {"action": "resume"})
    with tenant_scope(tenant):
        template.refresh_from_db()
    assert not template.is_paused
    bad = member_client.post(f"{base}new/", {**data, "lines-0-unit_price": "abc"})
    assert bad.status_code == 400


def test_recurring_start_after_end_is_refused(tenant: Tenant, member_client: HttpClient) -> None:
    with tenant_scope(tenant):
        client = ClientFactory()
    response = member_client.post(
        f"/t/{tenant.slug}/recurring/new/",
        {
            "name": "X",
            "client": client.public_id,
            "frequency": "weekly",
            "start_date": date(2026, 5, 1).isoformat(),
            "end_date": date(2026, 4, 1).isoformat(),
            "mode": "draft",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-description": "Y",
            "lines-0-quantity": "1",
            "lines-0-unit_price": "1.00",
        },
    )
    assert response.status_code == 400
    assert "The end date cannot be before the start date." in response.content.decode()
