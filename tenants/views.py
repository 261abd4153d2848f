from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError
from core.web import call_service, require_membership
from tenants import roles, selectors, services
from tenants.emails import same_address
from tenants.forms import BrandingForm, InviteForm, RoleForm, TenantForm, TenantSettingsForm
from tenants.models import Invitation, Membership, Role, User
from tenants.requests import TenantRequest

T = TypeVar("T")

INVITATION_SESSION_KEY = "pending_invitation_token"
# The settings form's Factur-X choice for the workspace's setting (None: the default by country).
_FACTURX_CHOICE: dict[bool | None, str] = {None: "", True: "true", False: "false"}


def _submit_form(form: Form, service: Callable[..., T], /, **kwargs: Any) -> T | None:
    """Run a service for a valid form; its ApplicationError becomes an error on the form.

    The savepoint undoes whatever the service wrote before it gave up.
    """
    try:
        with transaction.atomic():
            return service(**kwargs)
    except ApplicationError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None


def signed_in_home(request: HttpRequest, *, user: User) -> HttpResponse:
    """Where "/" takes a signed-in person (`user`): an invitation they were accepting, else their
    workspace, else the form to make one. The public site's home page (website.views.home)
    hands signed-in visitors here."""
    token = request.session.pop(INVITATION_SESSION_KEY, None)
    if token:
        return redirect("invitation_accept", token=token)
    tenant = selectors.user_home_tenant(user=user)
    if tenant is None:
        return redirect("tenant_create")
    return redirect("dashboard", tenant_slug=tenant.slug)


@login_required
def tenant_create(request: HttpRequest) -> HttpResponse:
    form = TenantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tenant = _submit_form(form, services.tenant_create, owner=request.user, **form.cleaned_data)
        if tenant:
            messages.success(request, _("Welcome to %(name)s.") % {"name": tenant.name})
            return redirect("dashboard", tenant_slug=tenant.slug)
    return render(request, "tenants/tenant_create.html", {"form": form})


def members(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    membership_list = list(selectors.membership_list(tenant=request.tenant))
    actor = request.membership
    return render(
        request,
        "tenants/members.html",
        {
            "memberships": membership_list,
            # The members whose role this actor may change, and whom they may remove.
            "editable": {
                member.pk
                for member in membership_list
                if member.pk != actor.pk and roles.can_act_on(actor, member.role)
            },
            "invitations": selectors.invitation_pending_list(),
            "invite_form": InviteForm(),
            # Only the roles this actor may hand out (an admin cannot make owners).
            "roles": [(value, label) for value, label in Role.choices if roles.can_assign_role(actor, value)],
        },
    )


@require_POST
@require_membership(roles.can_manage_members)
def member_invite(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = InviteForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            # django-stubs types an ErrorList's items as ValidationError | str; Django's
            # ErrorList.__getitem__ returns the message, a str.
            messages.error(request, errors[0])  # type: ignore[arg-type]
    elif call_service(request, services.invitation_create, actor=request.membership, **form.cleaned_data):
        messages.success(request, _("Invitation sent to %(email)s.") % form.cleaned_data)
    return redirect("members", tenant_slug=tenant_slug)


@require_POST
@require_membership(roles.can_manage_members)
def member_role(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    membership = get_object_or_404(Membership, tenant=request.tenant, public_id=public_id)
    form = RoleForm(request.POST)
    if form.is_valid() and (
        call_service(
            request,
            services.membership_change_role,
            actor=request.membership,
            membership=membership,
            role=form.cleaned_data["role"],
        )
        is not None
    ):
        messages.success(
            request,
            _("%(email)s is now %(role)s.")
            % {"email": membership.user.email, "role": membership.get_role_display()},
        )
    return redirect("members", tenant_slug=tenant_slug)


@require_POST
def member_remove(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    membership = get_object_or_404(Membership, tenant=request.tenant, public_id=public_id)
    leaving = membership.pk == request.membership.pk
    if (
        call_service(request, services.membership_remove, actor=request.membership, membership=membership)
        is None
    ):
        return redirect("members", tenant_slug=tenant_slug)
    if leaving:
        messages.success(request, _("You left %(name)s.") % {"name": request.tenant.name})
        return redirect("home")
    messages.success(request, _("%(email)s was removed.") % {"email": membership.user.email})
    return redirect("members", tenant_slug=tenant_slug)


@require_POST
@require_membership(roles.can_manage_members)
def invitation_resend(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation, public_id=public_id)
    if call_service(request, services.invitation_resend, actor=request.membership, invitation=invitation):
        messages.success(request, _("A new link was sent to %(email)s.") % {"email": invitation.email})
    return redirect("members", tenant_slug=tenant_slug)


@require_POST
@require_membership(roles.can_manage_members)
def invitation_revoke(request: TenantRequest, tenant_slug: str, public_id: str) -> HttpResponse:
    invitation = get_object_or_404(Invitation, public_id=public_id)
    if call_service(request, services.invitation_revoke, actor=request.membership, invitation=invitation):
        messages.success(request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email})
    return redirect("members", tenant_slug=tenant_slug)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link. Signed-out visitors sign in or sign up first, then come back here."""
    try:
        invitation = services.invitation_from_token(token)
    except ApplicationError as error:
        return render(request, "tenants/invitation_invalid.html", {"message": error.message}, status=404)
    if not request.user.is_authenticated:
        request.session[INVITATION_SESSION_KEY] = token
        # The link reached this inbox, which proves the address: sign-up with it needs no
        # second verification email.
        get_adapter(request).stash_verified_email(request, invitation.email)
        return render(
            request,
            "tenants/invitation_accept.html",
            {
                "invitation": invitation,
                "signup_url": reverse("account_signup"),
                "login_url": reverse("account_login"),
            },
        )
    if request.method == "POST":
        membership = call_service(request, services.invitation_accept, token=token, user=request.user)
        request.session.pop(INVITATION_SESSION_KEY, None)
        if membership:
            messages.success(request, _("You joined %(name)s.") % {"name": membership.tenant.name})
            return redirect("dashboard", tenant_slug=membership.tenant.slug)
        return redirect("home")
    mismatch = None
    if not same_address(request.user.email, invitation.email):
        mismatch = _(
            "This invitation was sent to %(invited)s, but you are signed in as %(current)s. "
            "Sign out and sign in with the invited address to accept it."
        ) % {"invited": invitation.email, "current": request.user.email}
    return render(request, "tenants/invitation_accept.html", {"invitation": invitation, "mismatch": mismatch})


def _settings_page(
    request: TenantRequest,
    *,
    form: TenantSettingsForm | None = None,
    branding_form: BrandingForm | None = None,
) -> HttpResponse:
    tenant = request.tenant
    if form is None:
        form = TenantSettingsForm(
            initial={
                "name": tenant.name,
                "country": tenant.country,
                "default_currency": tenant.default_currency,
                "locale": tenant.locale,
                "time_zone": tenant.time_zone,
                "facturx": _FACTURX_CHOICE[tenant.facturx],
            }
        )
    if branding_form is None:
        # A colour input always sends a colour: it starts on the one documents print today.
        branding_form = BrandingForm(initial={"brand_color": tenant.document_brand_color})
    context = {
        "form": form,
        "branding_form": branding_form,
        "logo": selectors.tenant_logo_data_uri(tenant=tenant),
    }
    return render(request, "tenants/settings.html", context)


@require_membership(roles.can_manage_tenant)
def tenant_settings(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request)
    form = TenantSettingsForm(request.POST)
    if form.is_valid() and (
        _submit_form(form, services.tenant_update, actor=request.membership, **form.cleaned_data) is not None
    ):
        messages.success(request, _("Settings saved."))
        return redirect("tenant_settings", tenant_slug=tenant_slug)
    return _settings_page(request, form=form)


def _to_branding_section(tenant_slug: str) -> HttpResponse:
    return redirect(reverse("tenant_settings", kwargs={"tenant_slug": tenant_slug}) + "#branding")


@require_POST
@require_membership(roles.can_manage_tenant)
def tenant_branding(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    form = BrandingForm(request.POST, request.FILES)
    if form.is_valid() and (
        _submit_form(
            form,
            services.tenant_update_branding,
            actor=request.membership,
            logo=form.cleaned_data["logo"],
            brand_color=form.cleaned_data["brand_color"],
        )
        is not None
    ):
        messages.success(request, _("Branding saved."))
        return _to_branding_section(tenant_slug)
    return _settings_page(request, branding_form=form)


@require_POST
@require_membership(roles.can_manage_tenant)
def tenant_logo_remove(request: TenantRequest, tenant_slug: str) -> HttpResponse:
    if call_service(request, services.tenant_update_branding, actor=request.membership, remove_logo=True):
        messages.success(request, _("Logo removed."))
    return _to_branding_section(tenant_slug)
