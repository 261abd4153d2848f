"""Paying several open invoices at once from the client portal: a plain form POST (no script),
one Checkout Session for the chosen invoices of the contact's own client, and the return page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client as HttpClient

from billing.models import GroupCheckout, StripeAccount
from billing.tests.payment_fixtures import connect_tenant, refreshed
from billing.tests.stripe_standin import StripeStandIn
from invoices.models import ClientContact, InvoiceStatus
from invoices.tests.factories import ClientFactory, line, make_invoice
from portal.tests.test_client_portal import _signed_in
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("billing_celery_eager")]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def connected(stripe_standin: StripeStandIn, tenant: Tenant, owner_membership: Membership) -> StripeAccount:
    return connect_tenant(stripe_standin, tenant, owner_membership)


def _two_clients(tenant: Tenant, owner: Membership) -> dict[str, Any]:
    with tenant_scope(tenant):
        mine, theirs = ClientFactory(language="en"), ClientFactory(language="en")
        ClientContact.objects.create(client=mine, name="Ann", email="ann@mine.example", is_primary=True)
        made = {
            name: make_invoice(actor=owner, client=client, lines=[line(unit_price=amount)], finalize=True)
            for name, client, amount in [
                ("a", mine, "100.00"),
                ("b", mine, "25.00"),
                ("theirs", theirs, "70.00"),
            ]
        }
    return made


def test_the_contact_pays_two_invoices_in_one_session(
    stripe_standin: StripeStandIn, connected: StripeAccount, tenant: Tenant, owner_membership: Membership
) -> None:
    invoices = _two_clients(tenant, owner_membership)
    browser = _signed_in(tenant, "ann@mine.example")
    home = browser.get("/portal/")
    page = home.content.decode()
    assert 'data-testid="pay-several-form"' in page
    assert f'value="{invoices["a"].public_id}"' in page
    assert invoices["theirs"].public_id not in page
    assert stripe_standin.base_url in home["Content-Security-Policy"].split("form-action")[1].split(";")[0]
    csrf = browser.cookies["csrftoken"].value
    response = browser.post(
        "/portal/pay",
        {"invoice": [invoices["a"].public_id, invoices["b"].public_id], "csrfmiddlewaretoken": csrf},
    )
    assert response.status_code == 303
    assert response["Location"].startswith(f"{stripe_standin.base_url}/c/pay/cs_test_")
    session_id = response["Location"].rsplit("/", 1)[-1]
    assert stripe_standin.pay_checkout_session(session_id) == ""
    # Back from Stripe, the return settles the session at once (the webhook may come later).
    back = browser.get(f"/portal/?checkout=done&session_id={session_id}")
    assert back.status_code == 200
    assert refreshed(tenant, invoices["a"]).status == InvoiceStatus.PAID
    assert refreshed(tenant, invoices["b"]).status == InvoiceStatus.PAID
    assert 'data-testid="pay-several-form"' not in back.content.decode()


def test_another_clients_invoice_is_refused_and_nothing_is_made(
    stripe_standin: StripeStandIn, connected: StripeAccount, tenant: Tenant, owner_membership: Membership
) -> None:
    invoices = _two_clients(tenant, owner_membership)
    browser = _signed_in(tenant, "ann@mine.example")
    browser.get("/portal/")
    csrf = browser.cookies["csrftoken"].value
    for chosen in ([invoices["a"].public_id, invoices["theirs"].public_id], [], ["inv_nothing"]):
        response = browser.post("/portal/pay", {"invoice": chosen, "csrfmiddlewaretoken": csrf})
        assert response.status_code == 400
        assert 'data-testid="pay-error"' in response.content.decode()
    with tenant_scope(tenant):
        assert not GroupCheckout.objects.exists()
    assert refreshed(tenant, invoices["theirs"]).status == InvoiceStatus.OPEN
    # Signed out, the form leads nowhere.
    assert HttpClient().post("/portal/pay", {"invoice": [invoices["a"].public_id]}).status_code == 403


def test_no_pay_form_where_online_payment_is_off(tenant: Tenant, owner_membership: Membership) -> None:
    invoices = _two_clients(tenant, owner_membership)
    browser = _signed_in(tenant, "ann@mine.example")
    page = browser.get("/portal/").content.decode()
    assert 'data-testid="pay-several-form"' not in page
    assert invoices["a"].number in page
    browser.get("/portal/")
    response = browser.post(
        "/portal/pay",
        {"invoice": [invoices["a"].public_id], "csrfmiddlewaretoken": browser.cookies["csrftoken"].value},
    )
    assert response.status_code == 400
