"""Settings → Company and Settings → Bank accounts, the review screen's legal checklist and the
dashboard's onboarding checklist, for each role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import translation

from invoices.models import BankAccount, CompanyProfile, InvoiceStatus
from invoices.tests.factories import ClientFactory, TaxRateFactory, line, make_invoice
from invoices.tests.pages import html
from tenants.models import Membership, Tenant
from tenants.scoping import tenant_scope

pytestmark = pytest.mark.django_db

IBAN_DE = "DE89370400440532013000"
PROFILE = {
    "legal_name": "Acme Design SARL",
    "trading_name": "Acme",
    "address_line1": "5 rue Oberkampf",
    "address_line2": "",
    "postal_code": "75011",
    "city": "Paris",
    "region": "",
    "country": "FR",
    "vat_id": "FR 40 303265045",
    "registration_scheme": "FR:SIREN",
    "registration_number": "303 265 045",
    "email": "hello@acme.test",
    "phone": "+33 1 23 45 67 89",
    "website": "https://acme.test",
    "legal_mentions": "SARL au capital de 10 000 € · RCS Paris 303 265 045",
    "default_notes": "",
    "default_terms": "",
    "footer": "",
    "payment_terms_days": "30",
}


def _url(tenant: Tenant, name: str, *args: str) -> str:
    return reverse(name, args=[tenant.slug, *args])


def test_the_settings_navigation_links_every_settings_page(owner_client: HttpClient, tenant: Tenant) -> None:
    for name in ("tenant_settings", "company_settings", "bank_account_list", "payment_settings"):
        page = html(owner_client.get(_url(tenant, name)))
        assert 'data-testid="settings-nav"' in page
        for target in ("company_settings", "bank_account_list", "payment_settings"):
            assert f'href="{_url(tenant, target)}"' in page


def test_the_owner_saves_the_company_profile(owner_client: HttpClient, tenant: Tenant) -> None:
    response = owner_client.post(_url(tenant, "company_settings"), PROFILE)
    assert response.status_code == 302
    with tenant_scope(tenant):
        profile = CompanyProfile.objects.get()
    assert (profile.legal_name, profile.vat_id, profile.registration_number) == (
        "Acme Design SARL",
        "FR40303265045",
        "303265045",
    )
    assert "RCS Paris" in html(owner_client.get(_url(tenant, "company_settings")))


def test_a_bad_vat_number_is_shown_beside_its_field(owner_client: HttpClient, tenant: Tenant) -> None:
    response = owner_client.post(_url(tenant, "company_settings"), {**PROFILE, "vat_id": "FR40303265046"})
    assert response.status_code == 200
    page = html(response)
    assert 'id="id_vat_id-error"' in page
    assert "check digits" in page
    with tenant_scope(tenant):
        assert CompanyProfile.objects.get().vat_id != "FR40303265046"


def test_company_saved_from_the_review_screen_goes_back_there(
    owner_client: HttpClient, tenant: Tenant
) -> None:
    back = f"/t/{tenant.slug}/invoices/in_x/finalize/"
    response = owner_client.post(f"{_url(tenant, 'company_settings')}?next={back}", PROFILE)
    assert response["Location"] == back
    outside = owner_client.post(f"{_url(tenant, 'company_settings')}?next=https://evil.test/", PROFILE)
    assert outside["Location"] == _url(tenant, "company_settings")


@pytest.mark.parametrize("who", ["member_client", "outsider_client"])
def test_members_and_outsiders_cannot_open_the_seller_settings(
    request: pytest.FixtureRequest, tenant: Tenant, owner_membership: Membership, who: str
) -> None:
    client: HttpClient = request.getfixturevalue(who)
    with tenant_scope(tenant):
        account = BankAccount.objects.create(tenant=tenant, country="DE", currency="EUR", iban=IBAN_DE)
    expected = 403 if who == "member_client" else 404
    assert client.get(_url(tenant, "company_settings")).status_code == expected
    assert client.post(_url(tenant, "company_settings"), PROFILE).status_code == expected
    assert client.get(_url(tenant, "bank_account_list")).status_code == expected
    assert client.post(_url(tenant, "bank_account_delete", account.public_id)).status_code == expected
    with tenant_scope(tenant):
        assert BankAccount.objects.count() == 1
        assert CompanyProfile.objects.get().legal_name == tenant.name


def test_bank_accounts_add_edit_default_delete(owner_client: HttpClient, tenant: Tenant) -> None:
    form = {
        "label": "Main EUR",
        "holder_name": "Acme Design SARL",
        "bank_name": "Commerzbank",
        "currency": "EUR",
        "country": "DE",
        "iban": "DE89 3704 0044 0532 0130 00",
        "bic": "COBADEFFXXX",
        "account_number": "",
        "routing_code": "",
        "payment_means": "58",
    }
    assert owner_client.post(_url(tenant, "bank_account_create"), form).status_code == 302
    second = {
        **form,
        "label": "Second EUR",
        "country": "FR",
        "iban": "FR1420041010050500013M02606",
        "bic": "",
    }
    assert owner_client.post(_url(tenant, "bank_account_create"), second).status_code == 302
    bad = owner_client.post(_url(tenant, "bank_account_create"), {**form, "iban": "DE89370400440532013001"})
    assert bad.status_code == 200
    assert 'id="id_iban-error"' in html(bad)
    with tenant_scope(tenant):
        main, other = BankAccount.objects.order_by("created_at")
    assert (main.is_default, other.is_default) == (True, False)
    listing = html(owner_client.get(_url(tenant, "bank_account_list")))
    assert "DE89 3704 0044 0532 0130 00" in listing
    # htmx: the list comes back alone, with the new default.
    swapped = owner_client.post(
        _url(tenant, "bank_account_set_default", other.public_id), HTTP_HX_REQUEST="true"
    )
    part = html(swapped)
    assert part.startswith('<div class="card card--flush" id="bank-accounts"')
    assert "now the default for EUR" in part
    edited = owner_client.post(
        _url(tenant, "bank_account_edit", main.public_id), {**form, "label": "Old EUR"}
    )
    assert edited.status_code == 302
    assert owner_client.post(_url(tenant, "bank_account_delete", other.public_id)).status_code == 302
    with tenant_scope(tenant):
        (left,) = BankAccount.objects.all()
    assert (left.label, left.is_default) == ("Old EUR", False)


def test_the_review_screen_lists_what_the_invoice_must_still_state(
    owner_client: HttpClient, tenant: Tenant, owner_membership: Membership
) -> None:
    with tenant_scope(tenant):
        CompanyProfile.objects.update(address_line1="", city="", vat_id="")
        vat = TaxRateFactory(name="TVA", percentage=Decimal("20"))
        client = ClientFactory(address_line1="", city="")
        draft = make_invoice(actor=owner_membership, client=client, lines=[line(tax_rates=[vat])])
    finalize = _url(tenant, "invoice_finalize", draft.public_id)
    page = html(owner_client.get(finalize))
    for field in ("seller.address", "seller.vat_id", "buyer.address"):
        assert f'data-field="{field}"' in page
    assert f"{_url(tenant, 'company_settings')}?next=" in page
    assert f"{_url(tenant, 'client_edit', client.public_id)}?next=" in page
    refused = owner_client.post(finalize, follow=True)
    assert "must state" in html(refused)
    with tenant_scope(tenant):
        draft.refresh_from_db()
        assert draft.status == InvoiceStatus.DRAFT


def test_the_dashboard_checklist_follows_the_first_steps(
    owner_client: HttpClient, tenant: Tenant, owner_membership: Membership
) -> None:
    with tenant_scope(tenant):
        CompanyProfile.objects.all().delete()
    page = html(owner_client.get(_url(tenant, "dashboard")))
    assert 'data-testid="onboarding"' in page
    for step in ("company", "bank", "client", "invoice"):
        assert f'data-testid="onboarding-{step}" data-done="false"' in page
    assert f'href="{_url(tenant, "company_settings")}?next=' in page
    owner_client.post(_url(tenant, "company_settings"), PROFILE)
    with tenant_scope(tenant):
        BankAccount.objects.create(tenant=tenant, country="DE", currency="EUR", iban=IBAN_DE, is_default=True)
        client = ClientFactory()
    page = html(owner_client.get(_url(tenant, "dashboard")))
    for step in ("company", "bank", "client"):
        assert f'data-testid="onboarding-{step}" data-done="true"' in page
    with tenant_scope(tenant):
        make_invoice(actor=owner_membership, client=client, finalize=True)
    assert 'data-testid="onboarding"' not in html(owner_client.get(_url(tenant, "dashboard")))


def test_viewers_see_no_checklist(request: pytest.FixtureRequest, tenant: Tenant) -> None:
    viewer_client: HttpClient = request.getfixturevalue("viewer_client")
    page = html(viewer_client.get(_url(tenant, "dashboard")))
    assert 'data-testid="dashboard-stats"' in page
    assert 'data-testid="onboarding"' not in page


def test_the_seller_pages_speak_french(owner_client: HttpClient, tenant: Tenant) -> None:
    # override: the middleware's French would otherwise stay active for the next tests.
    with translation.override("en"):
        company = html(owner_client.get(_url(tenant, "company_settings"), HTTP_ACCEPT_LANGUAGE="fr"))
        accounts = html(owner_client.get(_url(tenant, "bank_account_list"), HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Raison sociale" in company
    assert "Numéros fiscaux" in company
    assert "Être payé" in company  # the settings navigation
    assert "Ajouter un compte bancaire" in accounts


def test_staff_read_the_company_profile_and_bank_accounts_in_the_admin(
    tenant: Tenant, owner_membership: Membership, other_tenant: Tenant
) -> None:
    from tenants.tests.factories import UserFactory

    staff = HttpClient()
    staff.force_login(UserFactory(email="staff@invoiceflow.test", is_staff=True, is_superuser=True))
    with tenant_scope(tenant):
        BankAccount.objects.create(
            tenant=tenant, country="DE", currency="EUR", iban=IBAN_DE, label="Main EUR"
        )
        CompanyProfile.objects.update(legal_name="Acme Legal SARL")
    for model, expected in (("companyprofile", "Acme Legal SARL"), ("bankaccount", "Main EUR")):
        scoped = html(staff.get(f"/admin/invoices/{model}/?tenant__id__exact={tenant.pk}"))
        assert expected in scoped
        elsewhere = html(staff.get(f"/admin/invoices/{model}/?tenant__id__exact={other_tenant.pk}"))
        assert expected not in elsewhere
    assert staff.get("/admin/invoices/bankaccount/add/").status_code == 403
