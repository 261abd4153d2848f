"""One address, one account: `café` typed in NFC or NFD (or in capitals, full-width, as
`xn--…`) is one spelling at every door: the User manager, allauth's sign-up, login and
password reset, social logins, invitations, the API and the admin; and the migration that
rewrites stored addresses leaves collisions for a person, and says so."""

from __future__ import annotations

import io
import logging
import unicodedata

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialLogin
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.test import Client, RequestFactory
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tenants.adapters import SocialAccountAdapter
from tenants.auth_guard import PAIR_FREE_FAILURES
from tenants.emails import email_lookup_key, normalize_email_address
from tenants.models import Invitation, Membership, Role, Tenant, User
from tenants.scoping import tenant_scope
from tenants.tests.account_helpers import fresh_cache, only_link  # noqa: F401  (fixtures)
from tenants.tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.usefixtures("fresh_cache")

# The same address as a Mac (NFD: e + combining acute) and a PC (NFC: é) send it.
NFC = unicodedata.normalize("NFC", "ana@café.example")
NFD = unicodedata.normalize("NFD", "ana@café.example")
STORED = "ana@xn--caf-dma.example"  # its one spelling: the domain as DNS knows it
NEW_PASSWORD = "a brand new passphrase 77"
MIGRATION = ("tenants", "0003_normalize_account_emails")


def test_the_two_spellings_differ_as_strings() -> None:
    assert NFC != NFD  # the premise of every test below
    assert len(NFD) == len(NFC) + 1


# --- the function ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (NFC, STORED),
        (NFD, STORED),
        ("  Ana@CAFÉ.Example ", STORED),
        ("\uff41\uff4e\uff41@\uff43\uff41\uff46é.example", STORED),  # full-width forms (NFKC)
        (STORED, STORED),
        (unicodedata.normalize("NFD", "café@example.org"), "café@example.org"),  # the local part: NFKC too
        ("x@straße.de", "x@xn--strae-oqa.de"),  # IDNA 2008 keeps ß (Python's codec would say strasse.de)
        ("Ops@Example.ORG", "ops@example.org"),
        ("x@[192.0.2.1]", "x@[192.0.2.1]"),
    ],
)
def test_one_spelling_per_address(raw: str, expected: str) -> None:
    assert normalize_email_address(raw) == expected


@pytest.mark.parametrize("raw", ["x@exa mple.org", "x@☃.net", "x@-bad-.org", "x@a..b"])
def test_a_domain_idna_refuses_is_a_clear_error(raw: str) -> None:
    with pytest.raises(ValidationError, match="is not a valid domain name"):
        normalize_email_address(raw)
    # A lookup never fails: it simply matches no stored (normalised) address.
    assert email_lookup_key(raw) == raw.lower()


def test_an_address_too_long_once_spelt_out_is_refused() -> None:
    # 219 characters as typed; 261 once each label is written in its xn--… form.
    address = "a" * 64 + "@" + ".".join(["é" * 20] * 7) + ".example"
    assert len(address) <= 254
    with pytest.raises(ValidationError, match="too long"):
        normalize_email_address(address)


@given(st.text(max_size=40), st.text(max_size=40))
def test_the_spelling_is_a_fixed_point(local: str, domain: str) -> None:
    try:
        once = normalize_email_address(f"{local}@{domain}")
    except ValidationError:
        return
    assert normalize_email_address(once) == once
    assert email_lookup_key(once) == once


# --- the User manager and the admin ------------------------------------------------------------


def test_the_manager_makes_one_account_per_address(db: None) -> None:
    for local_part in ("café", "ana"):
        nfc = unicodedata.normalize("NFC", f"{local_part}@café.example")
        user = User.objects.create_user(nfc, PASSWORD)
        assert user.email == normalize_email_address(nfc)
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create_user(unicodedata.normalize("NFD", nfc), PASSWORD)
        assert User.objects.get_by_natural_key(unicodedata.normalize("NFD", nfc)) == user
    assert User.objects.count() == 2


def test_the_admin_refuses_a_second_account_for_the_address(db: None) -> None:
    staff = UserFactory(email="ops@invoiceflow.test", is_staff=True, is_superuser=True)
    User.objects.create_user(NFC, PASSWORD)
    client = Client()
    client.force_login(staff)
    form = {"email": NFD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}

    response = client.post(reverse("admin:tenants_user_add"), form)

    assert response.status_code == 200
    errors = [str(e) for e in response.context["adminform"].form.errors.get("email", [])]
    assert errors == ["User with this Email address already exists."]
    assert User.objects.filter(email=STORED).count() == 1
    assert User.objects.count() == 2

    # A new address typed in the admin is stored in its one spelling.
    response = client.post(reverse("admin:tenants_user_add"), {**form, "email": "Bo@CAFÉ.example"})
    assert response.status_code == 302
    assert User.objects.filter(email="bo@xn--caf-dma.example").exists()


def test_createsuperuser_refuses_the_other_spelling(db: None) -> None:
    User.objects.create_user(NFC, PASSWORD)
    with pytest.raises(CommandError, match="already taken"):
        call_command("createsuperuser", "--no-input", "--email", NFD, stdout=io.StringIO())
    assert User.objects.count() == 1


# --- allauth: sign-up, login, password reset, social logins --------------------------------------


def sign_up(client: Client, email: str):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )


def login(client: Client, email: str):
    return client.post(reverse("account_login"), {"login": email, "password": NEW_PASSWORD})


def test_sign_up_in_nfc_then_nfd_makes_one_account_and_both_spellings_log_in(db: None) -> None:
    client = Client()
    assert sign_up(client, NFC).url == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == STORED
    assert EmailAddress.objects.get(user=user).email == STORED
    client.post(only_link(mail.outbox[0], "/accounts/confirm-email/"))
    assert EmailAddress.objects.get(user=user).verified

    # The same address again, spelt the other way: no second account. The page says what it
    # says for any address (it must not tell a stranger who has an account); the address's
    # owner is told by email that someone tried, with a way back into their account.
    mail.outbox.clear()
    cache.clear()  # allauth sends one mail per address per 3 minutes: later, as a person would
    response = sign_up(Client(), NFD)
    assert response.status_code == 302
    assert User.objects.count() == 1
    [message] = mail.outbox
    assert message.to == [STORED]
    assert "Account Already Exists" in message.subject
    assert "an account using that email address already exists" in message.body

    for spelling in (NFC, NFD, "ANA@CAFÉ.EXAMPLE", STORED):
        browser = Client()
        response = login(browser, spelling)
        assert response.status_code == 302, spelling
        assert response.url == "/", spelling  # signed in: not sent to "verify your address"
        assert browser.session["_auth_user_id"] == str(user.pk), spelling


def test_failed_logins_count_against_the_address_whatever_its_spelling(db: None) -> None:
    User.objects.create_user(NFC, NEW_PASSWORD)
    client = Client()
    spellings = [NFC, NFD] * PAIR_FREE_FAILURES
    for spelling in spellings[:PAIR_FREE_FAILURES]:
        response = client.post(reverse("account_login"), {"login": spelling, "password": "wrong"})
        assert response.status_code == 200
    # The free failures for one account from here, spelt two ways, are spent: the next try
    # waits, right password or not (tenants/auth_guard.py).
    response = login(client, NFD)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts from here" in response.content.decode()


def test_a_password_reset_in_the_other_spelling_reaches_the_account(db: None) -> None:
    user = UserFactory(email=STORED)
    Client().post(reverse("account_reset_password"), {"email": NFD})
    [message] = mail.outbox
    assert message.to == [user.email]
    assert "/accounts/password/reset/key/" in message.body


def test_a_social_login_brings_its_address_in_its_one_spelling(db: None) -> None:
    user = User(email="")
    sociallogin = SocialLogin(
        user=user,
        account=SocialAccount(provider="google", uid="123"),
        email_addresses=[
            EmailAddress(email=NFD, verified=True, primary=True),
            EmailAddress(email=NFC, verified=False, primary=False),
            EmailAddress(email="x@☃.net", verified=True, primary=False),
        ],
    )
    request = RequestFactory().get("/")
    SocialAccountAdapter(request).populate_user(request, sociallogin, {"email": NFD})
    assert user.email == STORED
    assert [(a.email, a.verified) for a in sociallogin.email_addresses] == [(STORED, True)]


# --- invitations and the API ---------------------------------------------------------------------


def test_an_invitation_in_either_spelling_is_one_invitation(
    owner_membership: Membership, tenant: Tenant, django_capture_on_commit_callbacks
) -> None:
    from core.errors import ApplicationError
    from tenants import services

    with django_capture_on_commit_callbacks(execute=False), tenant_scope(tenant):
        invitation = services.invitation_create(actor=owner_membership, email=NFC, role=Role.MEMBER)
        assert invitation.email == STORED
        with pytest.raises(ApplicationError, match="already has a pending invitation"):
            services.invitation_create(actor=owner_membership, email=NFD, role=Role.MEMBER)
        with pytest.raises(ApplicationError, match="is not a valid domain name"):
            services.invitation_create(actor=owner_membership, email="x@☃.net", role=Role.MEMBER)
        assert Invitation.objects.count() == 1

    # Accepted by the account of the address, whichever spelling it signed up with.
    invited = User.objects.create_user(NFD, PASSWORD)
    token = services.invitation_token(invitation)
    membership = services.invitation_accept(token=token, user=invited)
    assert (membership.tenant, membership.role) == (tenant, Role.MEMBER)

    # A member, invited again in the other spelling: "already a member".
    with tenant_scope(tenant), pytest.raises(ApplicationError, match="already a member"):
        services.invitation_create(actor=owner_membership, email=NFC, role=Role.MEMBER)


def test_the_api_token_endpoint_takes_either_spelling(tenant: Tenant) -> None:
    user = UserFactory(email=STORED)
    MembershipFactory(user=user, tenant=tenant, role=Role.OWNER)
    for spelling in (NFC, NFD):
        response = APIClient().post(
            "/api/v1/auth/token/",
            {"email": spelling, "password": PASSWORD, "tenant": tenant.slug},
            format="json",
        )
        assert response.status_code == 200, (spelling, response.content)
        assert response.json()["tenant"] == tenant.public_id


# --- addresses stored before the rule --------------------------------------------------------------


class _Editor:
    """What the migration's function reads from its schema editor."""

    connection = connection


def run_migration() -> None:
    apps = MigrationLoader(connection).project_state(MIGRATION).apps
    migration = MigrationLoader(connection).get_migration(*MIGRATION)
    [operation] = migration.operations
    operation.code(apps, _Editor())


def stored_as(user: User, spelling: str) -> None:
    """Write a spelling the doors would no longer let in, as rows made before them hold it."""
    User.objects.filter(pk=user.pk).update(email=spelling)
    EmailAddress.objects.filter(user=user).update(email=spelling)


@pytest.mark.migrations
def test_the_migration_rewrites_stored_addresses(tenant: Tenant, owner_membership: Membership) -> None:
    ana = UserFactory(email="placeholder-1@example.com")
    stored_as(ana, NFD)
    bo = UserFactory(email="bo@example.org")  # already in its one spelling
    with tenant_scope(tenant):
        pending = Invitation.objects.create(email="Zoe@CAFÉ.example", expires_at=owner_membership.created_at)

    run_migration()

    ana.refresh_from_db()
    assert ana.email == STORED
    assert EmailAddress.objects.get(user=ana).email == STORED
    assert User.objects.get(pk=bo.pk).email == "bo@example.org"
    with tenant_scope(tenant):
        assert Invitation.objects.get(pk=pending.pk).email == "zoe@xn--caf-dma.example"
    # And the account logs in with either spelling.
    assert User.objects.get_by_natural_key(NFC) == ana


@pytest.mark.migrations
def test_the_migration_merges_no_accounts_and_reports_collisions(
    db: None, caplog: pytest.LogCaptureFixture, tenant: Tenant, owner_membership: Membership
) -> None:
    first, second = UserFactory(email="p1@example.com"), UserFactory(email="p2@example.com")
    stored_as(first, NFC)
    stored_as(second, NFD)
    with tenant_scope(tenant):
        for spelling in (NFC, NFD):  # two pending invitations of one workspace
            Invitation.objects.create(email=spelling, expires_at=owner_membership.created_at)

    with caplog.at_level(logging.WARNING, logger="tenants.emails"):
        run_migration()

    # The older account keeps the address and signs in with it; the other is left as it was
    # (merging two accounts is a person's decision)...
    assert User.objects.get(pk=first.pk).email == STORED
    assert EmailAddress.objects.get(user=first).email == STORED
    assert User.objects.get(pk=second.pk).email == NFD
    assert EmailAddress.objects.get(user=second).email == NFD
    assert User.objects.get_by_natural_key(NFD) == first
    with tenant_scope(tenant):
        assert sorted(Invitation.objects.values_list("email", flat=True)) == sorted([NFC, NFD])
    # ...and the operator is told which rows collide.
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    [collision] = [line for line in warnings if "kept by" in line]
    assert f"{STORED}: kept by user #{first.pk}" in collision
    assert f"user #{second.pk}" in collision
    assert any("pending invitations" in line for line in warnings)

    # The command lists what is left and fails until someone resolves it; then it finishes the job.
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 collisions"):
        call_command("normalize_account_emails", stdout=out)
    assert f"user #{second.pk}" in out.getvalue()
    second.delete()
    with tenant_scope(tenant):
        Invitation.objects.filter(email=NFD).delete()
    out = io.StringIO()
    call_command("normalize_account_emails", stdout=out)
    assert "1 addresses rewritten." in out.getvalue()  # the invitation left in NFC
    with tenant_scope(tenant):
        assert Invitation.objects.get().email == STORED
    # A second run has nothing left to do.
    call_command("normalize_account_emails", stdout=(out := io.StringIO()))
    assert "0 addresses rewritten." in out.getvalue()
