"""Invitations: emailed through the Celery task, signed, expiring, single-use links; accept by
an existing user or a new one signing up through the link; resend, revoke; tenant-owned rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from celery.signals import task_prerun
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.errors import ApplicationError
from tenants import services
from tenants.models import Invitation, Membership, Role, Tenant, User
from tenants.scoping import tenant_scope
from tenants.selectors import user_membership_in, user_membership_list
from tenants.tests.account_helpers import (  # noqa: F401  (fixtures)
    fresh_cache,
    only_link,
)
from tenants.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.usefixtures("fresh_cache")

INVITED = "new.person@example.com"


def membership_of(user: User, tenant: Tenant) -> Membership:
    membership = user_membership_in(user_id=user.pk, tenant=tenant)
    assert membership is not None, f"{user} is not a member of {tenant}"
    return membership


def invite(
    client: Client, tenant: Tenant, email: str, role: str, capture
) -> tuple[object, list[mail.EmailMessage]]:
    """POST the invite form; run the on-commit callbacks; return the response and new emails."""
    before = len(mail.outbox)
    with capture(execute=True):
        response = client.post(reverse("member_invite", args=[tenant.slug]), {"email": email, "role": role})
    return response, mail.outbox[before:]


def the_invitation(tenant: Tenant, email: str = INVITED) -> Invitation:
    with tenant_scope(tenant):
        return Invitation.objects.get(email=email)


def flashes(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def sent_link(owner_client: Client, tenant: Tenant, django_capture_on_commit_callbacks) -> str:
    """An invitation for INVITED as member, sent by the owner; the path of the emailed link."""
    _response, emails = invite(owner_client, tenant, INVITED, Role.MEMBER, django_capture_on_commit_callbacks)
    assert len(emails) == 1
    return only_link(emails[0], "/invitations/")


# --- sending --------------------------------------------------------------------------------


def test_invite_emails_a_link_through_the_celery_task_after_commit(
    owner_client: Client, tenant: Tenant, owner: User, django_capture_on_commit_callbacks
) -> None:
    ran: list[str] = []

    def record(sender: object = None, **kwargs: object) -> None:
        ran.append(sender.name)

    task_prerun.connect(record, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = owner_client.post(
                reverse("member_invite", args=[tenant.slug]),
                {"email": "New.Person@Example.com", "role": "admin"},
            )
        # Queued for after the commit, not sent inside the request's transaction.
        assert response.status_code == 302
        assert mail.outbox == []
        assert len(callbacks) == 1
        callbacks[0]()
    finally:
        task_prerun.disconnect(record)

    assert ran == ["tenants.tasks.send_invitation_email"]
    invitation = the_invitation(tenant)
    assert (invitation.role, invitation.invited_by, invitation.is_pending) == (Role.ADMIN, owner, True)
    [message] = mail.outbox
    assert message.to == [INVITED]
    assert "Acme Design" in message.subject
    path = only_link(message, "/invitations/")
    token = path.split("/")[-2]
    assert path == reverse("invitation_accept", args=[token])
    assert services.invitation_from_token(token) == invitation
    assert path in message.alternatives[0][0]


def test_the_task_sends_nothing_for_an_invitation_revoked_before_it_ran(
    tenant: Tenant, owner_membership: Membership, django_capture_on_commit_callbacks
) -> None:
    with tenant_scope(tenant):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            invitation = services.invitation_create(actor=owner_membership, email=INVITED, role=Role.MEMBER)
        services.invitation_revoke(actor=owner_membership, invitation=invitation)
    callbacks[0]()
    assert mail.outbox == []


def test_a_duplicate_pending_invitation_gets_a_clear_message(
    owner_client: Client, tenant: Tenant, sent_link: str, django_capture_on_commit_callbacks
) -> None:
    response, emails = invite(
        owner_client, tenant, INVITED.upper(), Role.VIEWER, django_capture_on_commit_callbacks
    )
    assert emails == []
    page = owner_client.get(response.url)
    assert f"{INVITED} already has a pending invitation: resend it instead." in flashes(page)
    with tenant_scope(tenant):
        assert Invitation.objects.filter(email__iexact=INVITED).count() == 1
        assert Invitation.objects.get().role == Role.MEMBER


def test_inviting_an_existing_member_gets_a_clear_message(
    owner_client: Client, tenant: Tenant, member: User, django_capture_on_commit_callbacks
) -> None:
    response, emails = invite(
        owner_client, tenant, member.email, Role.ADMIN, django_capture_on_commit_callbacks
    )
    assert emails == []
    assert f"{member.email} is already a member." in flashes(owner_client.get(response.url))
    with tenant_scope(tenant):
        assert not Invitation.objects.exists()


@pytest.mark.parametrize("who", ["viewer_client", "member_client"])
def test_viewers_and_members_cannot_invite(
    request: pytest.FixtureRequest, who: str, tenant: Tenant, django_capture_on_commit_callbacks
) -> None:
    client = request.getfixturevalue(who)
    response, emails = invite(client, tenant, INVITED, Role.VIEWER, django_capture_on_commit_callbacks)
    assert response.status_code == 403
    assert emails == []
    with tenant_scope(tenant):
        assert not Invitation.objects.exists()


def test_an_admin_cannot_invite_an_owner_but_an_owner_can(
    admin_membership: Membership,
    owner_client: Client,
    tenant: Tenant,
    django_capture_on_commit_callbacks,
) -> None:
    from tenants.tests.fixtures import client_for

    admin_client = client_for(admin_membership.user)
    response, emails = invite(admin_client, tenant, INVITED, Role.OWNER, django_capture_on_commit_callbacks)
    assert emails == []
    assert "You cannot invite someone as owner." in flashes(admin_client.get(response.url))
    with tenant_scope(tenant):
        assert not Invitation.objects.exists()

    _response, emails = invite(owner_client, tenant, INVITED, Role.OWNER, django_capture_on_commit_callbacks)
    assert len(emails) == 1
    assert the_invitation(tenant).role == Role.OWNER


# --- accepting ------------------------------------------------------------------------------


def test_an_existing_user_accepts_while_signed_in(sent_link: str, tenant: Tenant) -> None:
    user = UserFactory(email=INVITED)
    client = Client()
    client.force_login(user)

    page = client.get(sent_link)
    assert page.status_code == 200
    assert b'data-testid="accept-invitation"' in page.content
    assert not user_membership_list(user=user)  # a GET accepts nothing

    response = client.post(sent_link)
    assert response.status_code == 302
    assert response.url == reverse("dashboard", args=[tenant.slug])
    membership = membership_of(user, tenant)
    assert membership.role == Role.MEMBER
    invitation = the_invitation(tenant)
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None
    user.refresh_from_db()
    assert user.last_tenant == tenant
    assert client.get(response.url).status_code == 200


def test_an_existing_user_signs_in_from_the_link_and_comes_back_to_accept(
    sent_link: str, tenant: Tenant
) -> None:
    user = UserFactory(email=INVITED)
    client = Client()
    page = client.get(sent_link)
    assert page.status_code == 200
    assert reverse("account_login").encode() in page.content

    login = client.post(reverse("account_login"), {"login": INVITED, "password": PASSWORD})
    assert login.status_code == 302
    home = client.get(login.url)
    assert home.status_code == 302
    assert home.url == sent_link
    client.post(sent_link)
    assert membership_of(user, tenant).role == Role.MEMBER


def test_a_new_user_signs_up_through_the_link_without_a_second_verification_email(
    sent_link: str, tenant: Tenant
) -> None:
    client = Client()
    page = client.get(sent_link)
    assert page.status_code == 200
    signup_url = reverse("account_signup") + "?email=new.person%40example.com"
    assert signup_url.encode() in page.content
    form = client.get(signup_url)
    assert form.context["form"]["email"].value() == INVITED

    outbox_before = len(mail.outbox)
    signed_up = client.post(
        signup_url,
        {"email": INVITED, "password1": "a fresh passphrase 9", "password2": "a fresh passphrase 9"},
    )
    # Signed in straight away: the link already proved the address.
    assert signed_up.status_code == 302
    assert signed_up.url != reverse("account_email_verification_sent")
    assert len(mail.outbox) == outbox_before
    user = User.objects.get(email=INVITED)
    assert EmailAddress.objects.get(user=user).verified
    assert client.session["_auth_user_id"] == str(user.pk)

    back = client.get(signed_up.url)
    assert (back.status_code, back.url) == (302, sent_link)
    accepted = client.post(sent_link)
    assert accepted.url == reverse("dashboard", args=[tenant.slug])
    assert membership_of(user, tenant).role == Role.MEMBER


def test_signing_up_from_the_link_with_another_address_still_needs_verification(
    sent_link: str, tenant: Tenant
) -> None:
    client = Client()
    client.get(sent_link)
    response = client.post(
        reverse("account_signup"),
        {
            "email": "someone.else@example.com",
            "password1": "a fresh passphrase 9",
            "password2": "a fresh passphrase 9",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    user = User.objects.get(email="someone.else@example.com")
    # The invited address is not slipped into this account.
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
        ("someone.else@example.com", False)
    ]
    assert mail.outbox[-1].to == ["someone.else@example.com"]


def test_a_signed_in_user_with_another_email_gets_a_clear_message(sent_link: str, tenant: Tenant) -> None:
    stranger = UserFactory(email="stranger@example.com")
    client = Client()
    client.force_login(stranger)
    page = client.get(sent_link)
    expected = (
        "This invitation was sent to new.person@example.com, but you are signed in as stranger@example.com."
    )
    assert expected in page.content.decode()
    assert b'data-testid="accept-invitation"' not in page.content

    response = client.post(sent_link)
    assert expected in flashes(client.get(response.url, follow=True))
    assert not user_membership_list(user=stranger)
    assert the_invitation(tenant).is_pending

    # The page's "Sign out" comes back to the link, signed out, ready for the right account.
    signed_out = client.post(reverse("account_logout"), {"next": sent_link})
    assert signed_out.url == sent_link
    assert b"I already have an account" in client.get(sent_link).content


def test_a_link_works_only_once(sent_link: str, tenant: Tenant) -> None:
    user = UserFactory(email=INVITED)
    client = Client()
    client.force_login(user)
    client.post(sent_link)
    membership = membership_of(user, tenant)
    membership.role = Role.VIEWER  # if the link worked twice it would reset the role
    with tenant_scope(tenant):
        membership.save()

    again = client.post(sent_link)
    assert again.status_code == 404
    assert services.INVALID_INVITATION in again.content.decode()
    assert client.get(sent_link).status_code == 404
    assert membership_of(user, tenant).role == Role.VIEWER
    with pytest.raises(ApplicationError):
        services.invitation_accept(token=sent_link.split("/")[-2], user=user)


def test_an_expired_link_is_refused(sent_link: str, tenant: Tenant) -> None:
    user = UserFactory(email=INVITED)
    client = Client()
    client.force_login(user)
    with time_machine.travel(timezone.now() + services.INVITATION_LIFETIME + timedelta(minutes=1)):
        page = client.get(sent_link)
        assert page.status_code == 404
        assert services.INVALID_INVITATION in page.content.decode()
        client.post(sent_link)
    assert not user_membership_list(user=user)
    # Just before the end of its week it still works.
    with time_machine.travel(timezone.now() + services.INVITATION_LIFETIME - timedelta(minutes=1)):
        assert client.get(sent_link).status_code == 200


def test_a_link_whose_row_expired_is_refused_even_with_a_fresh_signature(
    sent_link: str, tenant: Tenant
) -> None:
    with tenant_scope(tenant):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert Client().get(sent_link).status_code == 404


@pytest.mark.parametrize("position", [12, -5])
def test_a_tampered_token_is_refused(sent_link: str, tenant: Tenant, position: int) -> None:
    token = sent_link.split("/")[-2]
    char = token[position]
    forged = token[:position] + ("A" if char != "A" else "B") + token[position:][1:]
    assert forged != token
    user = UserFactory(email=INVITED)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("invitation_accept", args=[forged]))
    assert page.status_code == 404
    client.post(reverse("invitation_accept", args=[forged]))
    assert not user_membership_list(user=user)
    assert client.get(sent_link).status_code == 200  # the genuine one still works


def test_a_token_signed_with_another_key_is_refused(sent_link: str, tenant: Tenant, settings) -> None:
    invitation = the_invitation(tenant)
    settings.SECRET_KEY = "another-secret-key-that-is-long-enough-for-django-to-accept-it-1234"
    forged = services.invitation_token(invitation)
    settings.SECRET_KEY = "django-insecure-embedded-default-do-not-use-in-production"
    assert Client().get(reverse("invitation_accept", args=[forged])).status_code == 404


# --- resend and revoke ----------------------------------------------------------------------


def test_resend_sends_a_new_link_and_the_old_one_stops_working(
    owner_client: Client, tenant: Tenant, sent_link: str, django_capture_on_commit_callbacks
) -> None:
    invitation = the_invitation(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("invitation_resend", args=[tenant.slug, invitation.public_id]))
    assert response.status_code == 302
    new_link = only_link(mail.outbox[-1], "/invitations/")
    assert len(mail.outbox) == 2
    assert new_link != sent_link

    assert Client().get(sent_link).status_code == 404
    user = UserFactory(email=INVITED)
    client = Client()
    client.force_login(user)
    client.post(sent_link)
    assert not user_membership_list(user=user)
    client.post(new_link)
    assert user_membership_in(user_id=user.pk, tenant=tenant) is not None


def test_resend_revives_an_expired_invitation_for_another_week(
    owner_client: Client, tenant: Tenant, sent_link: str, django_capture_on_commit_callbacks
) -> None:
    with tenant_scope(tenant):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(days=1))
    invitation = the_invitation(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("invitation_resend", args=[tenant.slug, invitation.public_id]))
    assert the_invitation(tenant).expires_at > timezone.now() + timedelta(days=6)
    assert Client().get(only_link(mail.outbox[-1], "/invitations/")).status_code == 200


def test_revoke_kills_the_link(owner_client: Client, tenant: Tenant, sent_link: str) -> None:
    invitation = the_invitation(tenant)
    response = owner_client.post(reverse("invitation_revoke", args=[tenant.slug, invitation.public_id]))
    assert response.status_code == 302
    assert the_invitation(tenant).revoked_at is not None
    assert Client().get(sent_link).status_code == 404
    pending = owner_client.get(reverse("members", args=[tenant.slug])).context["invitations"]
    assert list(pending) == []
    # Revoked is final: it cannot be resent or revoked again.
    again = owner_client.post(reverse("invitation_resend", args=[tenant.slug, invitation.public_id]))
    assert "This invitation was already revoked." in flashes(owner_client.get(again.url))


def test_a_revoked_address_can_be_invited_again(
    owner_client: Client, tenant: Tenant, sent_link: str, django_capture_on_commit_callbacks
) -> None:
    owner_client.post(reverse("invitation_revoke", args=[tenant.slug, the_invitation(tenant).public_id]))
    _response, emails = invite(owner_client, tenant, INVITED, Role.VIEWER, django_capture_on_commit_callbacks)
    assert len(emails) == 1
    assert Client().get(only_link(emails[0], "/invitations/")).status_code == 200


@pytest.mark.parametrize("who", ["member_client", "viewer_client"])
@pytest.mark.parametrize("action", ["invitation_resend", "invitation_revoke"])
def test_members_and_viewers_cannot_resend_or_revoke(
    request: pytest.FixtureRequest, who: str, action: str, tenant: Tenant, sent_link: str
) -> None:
    invitation = the_invitation(tenant)
    client = request.getfixturevalue(who)
    response = client.post(reverse(action, args=[tenant.slug, invitation.public_id]))
    assert response.status_code == 403
    after = the_invitation(tenant)
    assert (after.token_nonce, after.revoked_at) == (invitation.token_nonce, None)
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("action", ["invitation_resend", "invitation_revoke"])
def test_another_tenants_admin_cannot_resend_or_revoke(
    outsider_client: Client, other_tenant: Tenant, tenant: Tenant, sent_link: str, action: str
) -> None:
    invitation = the_invitation(tenant)
    # Through their own workspace's address, with our invitation's id...
    response = outsider_client.post(reverse(action, args=[other_tenant.slug, invitation.public_id]))
    assert response.status_code == 404
    # ...and through ours.
    response = outsider_client.post(reverse(action, args=[tenant.slug, invitation.public_id]))
    assert response.status_code == 404
    after = the_invitation(tenant)
    assert (after.token_nonce, after.sent_at, after.revoked_at) == (
        invitation.token_nonce,
        invitation.sent_at,
        None,
    )
    assert len(mail.outbox) == 1


def test_services_refuse_an_invitation_of_another_tenant(
    tenant: Tenant, other_tenant: Tenant, owner_membership: Membership, outsider_membership: Membership
) -> None:
    with tenant_scope(tenant):
        invitation = services.invitation_create(actor=owner_membership, email=INVITED, role=Role.MEMBER)
    with tenant_scope(other_tenant):
        for service in (services.invitation_resend, services.invitation_revoke):
            with pytest.raises(ApplicationError, match="No such invitation"):
                service(actor=outsider_membership, invitation=invitation)
    assert the_invitation(tenant).is_pending
