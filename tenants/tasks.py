from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from tenants.models import Invitation
from tenants.scoping import run_in_tenant_scope


@shared_task(
    name="tenants.tasks.send_invitation_email",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
@run_in_tenant_scope
def send_invitation_email(*, invitation_id: int) -> None:
    from tenants.services import invitation_token

    invitation = Invitation.objects.select_related("tenant", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_pending:
        return  # revoked or accepted before the worker got to it
    context = {
        "invitation": invitation,
        "tenant": invitation.tenant,
        "accept_url": settings.SITE_URL
        + reverse("invitation_accept", kwargs={"token": invitation_token(invitation)}),
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("tenants/email/invitation_subject.txt", context).strip(),
        body=render_to_string("tenants/email/invitation.txt", context),
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("tenants/email/invitation.html", context), "text/html")
    message.send()


@shared_task(name="tenants.purge_auth_events", acks_late=True)
def purge_auth_events() -> int:
    from tenants.auth_guard import auth_events_purge

    return auth_events_purge()
