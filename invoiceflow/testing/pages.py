"""Every page of the app, for the browser tests that look at all of them (layout at phone and
desktop widths, accessibility, screenshots): a seeded workspace, the URL patterns walked and
filled with its objects, and the checks run inside a page.

New pages are walked without being listed: a pattern whose only parameter is the workspace's
slug is filled on its own. A pattern with another parameter needs its object named in
`OBJECTS_FOR` (by URL name) or its reason to be left out in `NOT_PAGES`; the walk refuses
a pattern that is in neither, so a new page cannot escape the checks unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

HERE = Path(__file__).resolve().parent
AXE_JS = HERE.parent.parent / "tools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"

WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}

# An ordinary workspace name of a freelancer (issue #18 clipped the navigation with it) and a
# client name at the field's limit.
WORKSPACE_NAME = "Studio Fanny Dupont"
LONG_CLIENT_NAME = ("Établissements Fanny Dupont et Associés, conseil en architecture intérieure " * 3)[:200]

# Patterns that are not pages a person opens: actions (POST only), fragments fetched by htmx,
# files, machine endpoints. Listed by URL name, with why.
NOT_PAGES: dict[str, str] = {
    "signed_download": "a file",
    "public_invoice_pay": "POST: starts a payment",
    "public_invoice_pdf": "a file",
    "member_role": "POST action",
    "member_remove": "POST action",
    "invitation_resend": "POST action",
    "invitation_revoke": "POST action",
    "invitation_accept": "needs a second user's invitation token; tenants/tests cover its page",
    "recurring_pause": "POST action",
    "document_download": "a file",
    "bulk_job_download": "a file",
    "invoice_list_export": "a file",
    "invoice_export": "a file",
    "webhook_endpoint_delete": "POST action",
    "webhook_delivery_replay": "POST action",
    "client_email_problem_clear": "POST action",
    "api_key_revoke": "POST action",
    # The printable document at its paper size (the PDF's HTML with a print button): an A4
    # page, not a screen layout; the detail page and the client's page show it responsively.
    "invoice_preview": "the A4 document as it prints",
    "document_preview": "the A4 document as it prints",
    "account_confirm_email": "needs an emailed key",
    "mfa_deactivate_totp": "needs an authenticator app set up (tenants/tests cover two-factor)",
    "mfa_view_recovery_codes": "needs an authenticator app set up",
    "mfa_download_recovery_codes": "a file, and needs an authenticator app set up",
    "account_reset_password_from_key": "needs an emailed key",
    "openid_connect_login": "a redirect to an identity provider",
    "openid_connect_callback": "a redirect from an identity provider",
    "bank_account_set_default": "POST action",
    "bank_account_delete": "POST action",
    "contact_delete": "POST action",
    "contact_make_primary": "POST action",
    "quote_send": "POST action",
    "quote_delete": "POST action",
    "quote_invoice": "POST action",
    "quote_pdf": "a file",
    "quote_builder_totals": "POST: the quote builder's live totals, a partial (quotes/tests/test_builder.py)",
    "einvoice_panel": "a fragment htmx loads into the invoice page, walked there",
    "einvoice_download": "a file",
    "received_detail": "needs an uploaded supplier's e-invoice; einvoicing/tests/test_received_pages.py",
    # The client's side behind an emailed secret (a quote's link, the portal's sign-in link):
    # quotes/tests/test_browser.py opens each at 390 px from the real email and checks the width
    # and the content security policy.
    "public_quote": "needs an emailed quote link; quotes/tests/test_browser.py",
    "public_quote_answer": "POST: the client's answer",
    "public_quote_pdf": "a file",
    "portal_sign_in": "needs an emailed sign-in link (a redirect)",
    "portal_sign_out": "POST action",
    "portal_home": "needs a portal sign-in; quotes/tests/test_browser.py",
    "portal_statement": "needs a portal sign-in; quotes/tests/test_browser.py",
    "portal_invoice": "needs a portal sign-in; portal/tests/test_client_portal.py",
    "portal_invoice_pdf": (
        "needs a portal sign-in; a download (redirect) or its pending page: "
        "portal/tests/test_portal_pdf.py, portal/tests/test_portal_pay_browser.py (axe)"
    ),
    "portal_pay": "POST action (303 to Checkout); portal/tests/test_portal_pay_browser.py (axe on the form)",
    "portal_receipt": "needs a portal sign-in; portal/tests/test_client_portal.py",
    "portal_quote": "needs a portal sign-in; quotes/tests/test_browser.py",
    "portal_quote_answer": "POST: the client's answer",
}
# Whole areas left out: the platform admin (Django's own pages), the REST API and its docs
# (JSON and a third-party viewer), sign-in providers' redirects, the health probes.
NOT_PAGE_PREFIXES = ("admin/", "api/", "accounts/3rdparty/", "accounts/social/", "accounts/google/")
NOT_PAGE_PREFIXES += (
    "accounts/github/",
    "accounts/oidc/",
    "healthz",
    "readyz",
    "anymail/",
    "billing/stripe/",
)
NOT_PAGE_PREFIXES += ("sitemap.xml", "robots.txt", "downloads/")


@dataclass
class Seeded:
    """The workspace and the objects whose pages are walked."""

    tenant: Any
    owner: Any
    objects: dict[str, list[Any]] = field(default_factory=dict)
    public_token: str = ""
    # Pages with more than a public id in their URL: their kwargs, by URL name.
    kwargs: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    emails: list[tuple[str, str]] = field(default_factory=list)


def seed_workspace() -> Seeded:
    """A workspace with a year of invoices in every state, a 200-character client name, a
    recurring invoice, a webhook endpoint, an API key, an invitation, a public link and the
    emails those send."""
    from django.core import mail

    from api.services import api_key_create
    from api.webhooks.services import webhook_endpoint_create
    from delivery import recurring
    from delivery.models import CreateMode, Frequency
    from delivery.services import invoice_send
    from invoices.models import CatalogItem, Invoice, InvoiceKind, InvoiceStatus, TaxRate
    from invoices.services import LineData, credit_note_create, invoice_void
    from invoices.tests.factories import ClientFactory, line, make_invoice
    from invoices.tests.seed import seed_year
    from tenants.models import Role
    from tenants.scoping import tenant_scope
    from tenants.services import invitation_create
    from tenants.tests.factories import MembershipFactory, TenantFactory, UserFactory

    tenant = TenantFactory(name=WORKSPACE_NAME, slug="studio-fanny-dupont")
    owner = MembershipFactory(tenant=tenant, role=Role.OWNER, user=UserFactory(email="fanny@studio.test"))
    seeded = Seeded(tenant=tenant, owner=owner)
    mail.outbox = []
    with tenant_scope(tenant):
        seed_year(actor=owner, invoices=10)
        long_client = ClientFactory(name=LONG_CLIENT_NAME, emails=["ap@long.example"], language="fr")
        sent = make_invoice(
            actor=owner,
            client=long_client,
            lines=[line("Aménagement du showroom, conception et suivi de chantier", "12.5", "85.00")],
            finalize=True,
        )
        invoice_send(actor=owner, invoice=sent)
        credited = make_invoice(
            actor=owner, client=long_client, lines=[line("Workshop", "1", "400.00")], finalize=True
        )
        credit_note = credit_note_create(
            actor=owner,
            invoice=credited,
            lines=[LineData(description="Goodwill discount", quantity="1", unit_price="50.00")],
            reason="Delivery was late",
        )
        to_void = make_invoice(
            actor=owner, client=long_client, lines=[line("Wrong client", "1", "10.00")], finalize=True
        )
        invoice_void(actor=owner, invoice=to_void, reason="Sent to the wrong client")
        invoices = list(Invoice.objects.all())

        def first(**where: Any) -> list[Any]:
            return [i for i in invoices if all(getattr(i, k) == v for k, v in where.items())][:1]

        partly = [i for i in invoices if i.status == InvoiceStatus.OPEN and i.amount_paid > 0][:1]
        detail = [
            *first(status=InvoiceStatus.DRAFT),
            sent,
            *partly,
            *first(status=InvoiceStatus.PAID),
            *first(status=InvoiceStatus.VOID),
            *first(kind=InvoiceKind.CREDIT_NOTE),
        ]
        drafts = first(status=InvoiceStatus.DRAFT)
        seeded.objects["invoice_detail"] = detail
        seeded.objects["invoice_edit"] = drafts
        seeded.objects["invoice_preview"] = drafts
        seeded.objects["invoice_finalize"] = drafts
        seeded.objects["invoice_send"] = [sent]
        seeded.objects["invoice_record_payment"] = [sent]
        seeded.objects["invoice_credit_note"] = [sent]
        seeded.objects["invoice_void"] = [sent]
        seeded.objects["invoice_mark_uncollectible"] = [sent]
        seeded.objects["invoice_duplicate"] = [sent]
        seeded.objects["invoice_delete"] = drafts
        seeded.objects["document_generate"] = [sent]
        seeded.objects["document_preview"] = [sent]
        seeded.objects["client_detail"] = [long_client]
        seeded.objects["client_edit"] = [long_client]
        seeded.objects["client_archive"] = [long_client]
        seeded.objects["client_unarchive"] = [long_client]
        seeded.objects["client_reminders"] = [long_client]
        seeded.objects["catalog_item_edit"] = list(CatalogItem.objects.all()[:1])
        seeded.objects["catalog_item_archive"] = seeded.objects["catalog_item_edit"]
        seeded.objects["tax_rate_edit"] = list(TaxRate.objects.all()[:1])
        seeded.objects["tax_rate_archive"] = seeded.objects["tax_rate_edit"]
        template = recurring.recurring_template_create(
            actor=owner,
            name="Monthly retainer",
            client=long_client.public_id,
            lines=[{"description": "Retainer", "quantity": "1", "unit_price": "1000.00"}],
            frequency=Frequency.MONTHLY,
            day_of_month=1,
            start_date=timezone.localdate() + timedelta(days=30),
            mode=CreateMode.DRAFT,
        )
        seeded.objects["recurring_edit"] = [template]
        _seed_quotes_contacts_and_accounts(seeded, owner, long_client)
        webhook_endpoint_create(actor=owner, url="https://hooks.studio.example/in", events=["invoice.paid"])
        api_key_create(actor=owner, name="Accounting sync", role=Role.MEMBER)
        invitation_create(actor=owner, email="associate@studio.test", role=Role.MEMBER)
    _send_every_other_email(owner, sent=sent, credit_note=credit_note)
    # The client's link as the last email gave it: each send and reminder issues a fresh one
    # and the earlier ones stop working.
    seeded.public_token = re.findall(r"/i/([\w-]{20,})", "".join(m.body for m in mail.outbox))[-1]
    seeded.emails = [
        (message.subject, body)
        for message in mail.outbox
        for body, mimetype in getattr(message, "alternatives", [])
        if mimetype == "text/html"
    ]
    return seeded


def _seed_quotes_contacts_and_accounts(seeded: Seeded, owner: Any, client: Any) -> None:
    """A draft quote, a contact and a bank account: their pages are walked too."""
    from invoices.services import bank_account_create, contact_create
    from quotes.services import quote_create_draft

    account = bank_account_create(
        actor=owner, holder_name=WORKSPACE_NAME, currency="EUR", iban="FR7630006000011234567890189"
    )
    seeded.objects["bank_account_edit"] = [account]
    contact = contact_create(actor=owner, client=client, name="Léa Fournier", email="lea@long.example")
    seeded.objects["contact_create"] = [client]
    seeded.objects["credit_note_create_standalone"] = [client]
    seeded.kwargs["contact_edit"] = [{"public_id": client.public_id, "contact_id": contact.public_id}]
    quote = quote_create_draft(
        actor=owner,
        client=client,
        lines=[{"description": "Kitchen redesign, phase 1", "quantity": "1", "unit_price": "4200.00"}],
    )
    for name in ("quote_detail", "quote_edit"):
        seeded.objects[name] = [quote]


def _send_every_other_email(owner: Any, *, sent: Any, credit_note: Any) -> None:
    """Each other HTML email the product sends, through the code that sends it: the credit
    note, the reminders before, on and after the due date, the client's payment receipt, and
    the members' notices (a bounced email, a finished bulk job). The quote and the client
    portal's sign-in link are text-only emails: nothing to lay out."""
    from anymail.signals import AnymailTrackingEvent

    from billing.receipts import payment_receipt_send
    from delivery.models import MessageKind, OutgoingMessage
    from delivery.notices import notify_bulk_ready
    from delivery.reminders import reminder_queue
    from delivery.services import invoice_send
    from delivery.tracking import tracking_event_apply
    from documents.models import BulkJob, BulkJobStatus
    from invoices.models import Payment
    from tenants.scoping import tenant_scope

    with tenant_scope(owner.tenant):
        invoice_send(actor=owner, invoice=credit_note)
        for step in ("before-3", "due", "after-7"):
            reminder_queue(invoice=sent, step=step)
        payment = Payment.objects.exclude(invoice__client__emails=[]).first()
        assert payment is not None, "the seeded year has no payment to send a receipt for"
        payment_receipt_send(payment_id=payment.pk)
        job = BulkJob.objects.create(
            kind="generate", total=3, done=3, status=BulkJobStatus.READY, requested_by=owner.user
        )
        notify_bulk_ready(bulk_job_id=job.pk)
    # Sent once the scope's transaction committed; the provider then says the invoice bounced.
    with tenant_scope(owner.tenant):
        delivered = OutgoingMessage.objects.filter(invoice=sent, kind=MessageKind.INVOICE).first()
        assert delivered is not None
        assert delivered.provider_message_id
    tracking_event_apply(
        event=AnymailTrackingEvent(
            event_type="bounced",
            message_id=delivered.provider_message_id,
            recipient=delivered.to[0],
            description="550 5.1.1 The email account that you tried to reach does not exist",
        )
    )


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    signed_in: bool = True


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace:
                continue  # namespaced includes are the admin's and the API's
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


# Account pages a signed-out visitor sees (the others need a signed-in user).
SIGNED_OUT = {"account_login", "account_signup", "account_reset_password", "home", "pricing"}


def pages(seeded: Seeded) -> list[Page]:
    """Every page of the app, filled with the seeded workspace's objects."""
    found: list[Page] = []
    unknown: list[str] = []
    seen: set[str] = set()
    for route, pattern in _walk(get_resolver().url_patterns):
        name = pattern.name or ""
        if not name or name in seen or name in NOT_PAGES or route.startswith(NOT_PAGE_PREFIXES):
            continue
        seen.add(name)
        names = set(re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route))
        params = {a or b for a, b in names} - {"tenant_slug"}
        base = {"tenant_slug": seeded.tenant.slug} if "tenant_slug" in route else {}
        if name == "public_invoice":
            found.append(Page(name, reverse(name, args=[seeded.public_token]), signed_in=False))
            continue
        if not params:
            found.append(Page(name, reverse(name, kwargs=base), signed_in=name not in SIGNED_OUT))
            if name in SIGNED_OUT and name not in {"home", "pricing"}:
                continue
            if name in {"home", "pricing"}:
                found.append(Page(name, reverse(name), signed_in=False))
            continue
        if name in seeded.kwargs:
            for kwargs in seeded.kwargs[name]:
                found.append(Page(name, reverse(name, kwargs={**base, **kwargs})))
            continue
        if params == {"public_id"} and name in seeded.objects:
            for obj in seeded.objects[name]:
                found.append(Page(name, reverse(name, kwargs={**base, "public_id": obj.public_id})))
            continue
        unknown.append(f"{name} ({route})")
    assert not unknown, (
        "URL patterns neither walked nor left out (invoiceflow/testing/pages.py: add their "
        f"objects to seed_workspace or a reason to NOT_PAGES): {unknown}"
    )
    return found


# --- checks run inside a page -----------------------------------------------------------------

# Horizontal overflow of the document, and content cut off: an element that hides what
# overflows it (overflow hidden/clip, or a scroller whose scrollbar is hidden) while its content
# is wider. Scroll containers that show they scroll (.table-scroll) and single lines cut with an
# ellipsis (the full text is in a title or beside it) are the two allowed ways.
LAYOUT_JS = (HERE / "layout_check.js").read_text()

AXE_RUN_JS = (HERE / "axe_run.js").read_text()


def axe_source() -> str:
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run ./dev setup-test (it installs tools/axe)")
    return AXE_JS.read_text()
