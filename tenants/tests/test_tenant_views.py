"""Workspaces: created after sign-up, switched between, edited by owners and admins; and the
isolation harness that walks every /t/<tenant_slug>/ route as an outsider and as a stranger."""

from __future__ import annotations

import importlib
import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import factory
import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tenants.models import Invitation, Membership, Role, Tenant, User
from tenants.rls import tenant_owned_models
from tenants.scoping import TenantOwnedModel, tenant_scope
from tenants.selectors import user_membership_list
from tenants.tests.factories import MembershipFactory, TenantFactory, UserFactory
from tenants.tests.fixtures import client_for

SETTINGS = {
    "name": "Acme Design Ltd",
    "country": "GB",
    "default_currency": "GBP",
    "locale": "fr",
    "time_zone": "Europe/London",
}


PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")


def field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


# --- creating a workspace -------------------------------------------------------------------


def test_a_signed_out_visitor_sees_the_landing_page(db: None) -> None:
    response = Client().get("/")
    assert response.status_code == 200
    assert reverse("account_signup") in response.content.decode()


def test_after_sign_up_home_offers_to_create_a_workspace(db: None) -> None:
    client = Client()
    response = client.post(
        reverse("account_signup"),
        {
            "email": "fresh@example.com",
            "password1": "a fresh passphrase 9",
            "password2": "a fresh passphrase 9",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="fresh@example.com")
    client.force_login(user)  # as if the verification link was followed (see test_accounts)
    assert client.get("/").url == reverse("tenant_create")
    page = client.get(reverse("tenant_create"))
    assert page.status_code == 200
    assert set(page.context["form"].fields) == set(SETTINGS)


def test_creating_a_workspace_makes_you_its_owner(db: None) -> None:
    user = UserFactory()
    client = client_for(user)
    response = client.post(reverse("tenant_create"), SETTINGS)
    tenant = Tenant.objects.get(name="Acme Design Ltd")
    assert response.url == reverse("dashboard", args=[tenant.slug])
    assert tenant.slug == "acme-design-ltd"
    assert (tenant.country, tenant.default_currency, tenant.locale, tenant.time_zone) == (
        "GB",
        "GBP",
        "fr",
        "Europe/London",
    )
    with tenant_scope(tenant):
        assert Membership.objects.get(tenant=tenant).user == user
        assert Membership.objects.get(tenant=tenant).role == Role.OWNER
    assert client.get("/").url == reverse("dashboard", args=[tenant.slug])
    assert tenant.public_id.startswith("ten_")


def test_workspace_addresses_stay_unique(db: None) -> None:
    client = client_for(UserFactory())
    client.post(reverse("tenant_create"), SETTINGS)
    client.post(reverse("tenant_create"), SETTINGS)
    assert sorted(Tenant.objects.values_list("slug", flat=True)) == ["acme-design-ltd", "acme-design-ltd-2"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "XX"),
        ("country", "ZZ"),
        ("default_currency", "ABC"),
        ("default_currency", "XTS"),
        ("name", ""),
    ],
)
def test_creating_with_bad_input_shows_a_field_error_and_creates_nothing(
    db: None, field: str, value: str
) -> None:
    user = UserFactory()
    client = client_for(user)
    response = client.post(reverse("tenant_create"), {**SETTINGS, field: value})
    assert response.status_code == 200
    assert field_errors(response, field)
    assert not Tenant.objects.exists()
    assert not user_membership_list(user=user)


def test_creating_a_workspace_needs_a_signed_in_user(db: None) -> None:
    response = Client().post(reverse("tenant_create"), SETTINGS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not Tenant.objects.exists()


# --- several workspaces ---------------------------------------------------------------------


def test_a_user_in_two_workspaces_sees_both_and_home_goes_to_the_last_used(
    owner: User, tenant: Tenant, other_tenant: Tenant
) -> None:
    MembershipFactory(user=owner, tenant=other_tenant, role=Role.VIEWER)
    TenantFactory(name="Not Mine Inc")
    client = client_for(owner)

    page = client.get(reverse("dashboard", args=[tenant.slug]))
    switcher = [m.tenant.name for m in page.context["my_memberships"]]
    assert switcher == ["Acme Design", "Globex Consulting"]
    html = page.content.decode()
    assert f'href="{reverse("dashboard", args=[other_tenant.slug])}"' in html
    assert "Not Mine Inc" not in html
    assert client.get("/").url == reverse("dashboard", args=[tenant.slug])

    client.get(reverse("dashboard", args=[other_tenant.slug]))
    assert client.get("/").url == reverse("dashboard", args=[other_tenant.slug])
    client.get(reverse("dashboard", args=[tenant.slug]))
    assert client.get("/").url == reverse("dashboard", args=[tenant.slug])


def test_home_ignores_a_last_workspace_the_user_has_left(
    owner: User, tenant: Tenant, other_tenant: Tenant
) -> None:
    owner.last_tenant = other_tenant  # e.g. removed from it since
    owner.save()
    assert client_for(owner).get("/").url == reverse("dashboard", args=[tenant.slug])


# --- settings -------------------------------------------------------------------------------


def test_in_french_the_settings_page_and_the_layout_have_no_english_label(
    owner_client: Client, tenant: Tenant
) -> None:
    page = owner_client.get(reverse("tenant_settings", args=[tenant.slug]), HTTP_ACCEPT_LANGUAGE="fr")
    text = page.content.decode()
    assert '<html lang="fr">' in text
    for french in (
        "Tableau de bord",
        "Aller au contenu",
        "Paramètres de l'espace de travail",
        "Identité visuelle",
    ):
        assert french in text, french
    for english in (
        ">Dashboard<",
        "Skip to content",
        "Workspace settings",
        ">Branding<",
        "Numbering settings",
    ):
        assert english not in text, english


@pytest.mark.parametrize("who", ["owner_membership", "admin_membership"])
def test_owners_and_admins_edit_the_settings(
    request: pytest.FixtureRequest, who: str, tenant: Tenant
) -> None:
    client = client_for(request.getfixturevalue(who).user)
    url = reverse("tenant_settings", args=[tenant.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["country"].value() == "FR"
    response = client.post(url, SETTINGS)
    assert response.url == url
    tenant.refresh_from_db()
    assert (tenant.name, tenant.country, tenant.default_currency, tenant.locale, tenant.time_zone) == tuple(
        SETTINGS.values()
    )
    assert tenant.slug == "acme"  # the address does not move under people's bookmarks


@pytest.mark.parametrize("who", ["member_client", "viewer_client"])
def test_members_and_viewers_cannot_edit_the_settings(
    request: pytest.FixtureRequest, who: str, tenant: Tenant
) -> None:
    client = request.getfixturevalue(who)
    url = reverse("tenant_settings", args=[tenant.slug])
    assert client.get(url).status_code == 403
    assert client.post(url, SETTINGS).status_code == 403
    tenant.refresh_from_db()
    assert tenant.name == "Acme Design"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "XX"),
        ("country", "EU"),
        ("default_currency", "ZZZ"),
        ("default_currency", "XAU"),
        ("time_zone", "Mars/Olympus"),
        ("locale", "tlh"),
    ],
)
def test_bad_settings_show_a_field_error_and_change_nothing(
    owner_client: Client, tenant: Tenant, field: str, value: str
) -> None:
    before = Tenant.objects.filter(pk=tenant.pk).values().get()
    response = owner_client.post(reverse("tenant_settings", args=[tenant.slug]), {**SETTINGS, field: value})
    assert response.status_code == 200
    assert field_errors(response, field)
    assert Tenant.objects.filter(pk=tenant.pk).values().get() == before
    # The page still shows the saved name, not the rejected edit.
    assert response.context["current_tenant"].name == "Acme Design"


def test_a_service_error_lands_on_its_form_field(owner_client: Client, tenant: Tenant, monkeypatch) -> None:
    """A value the form allows but the model refuses is reported on the field, and undone."""
    from tenants import forms

    monkeypatch.setattr(forms.TenantForm.base_fields["country"], "choices", [("QQ", "Nowhere")])
    response = owner_client.post(
        reverse("tenant_settings", args=[tenant.slug]), {**SETTINGS, "country": "QQ"}
    )
    assert response.status_code == 200
    assert field_errors(response, "country") == ["QQ is not an ISO 3166 country code."]
    assert response.context["current_tenant"].name == "Acme Design"
    tenant.refresh_from_db()
    assert (tenant.name, tenant.country) == ("Acme Design", "FR")


# --- isolation: every tenant route, walked automatically -------------------------------------


@dataclass(frozen=True)
class TenantRoute:
    name: str
    route: str  # e.g. "t/<slug:tenant_slug>/members/<str:public_id>/role/"
    params: tuple[tuple[str, str], ...]  # (name, converter) other than tenant_slug
    lookup: str  # the view's dotted path, for messages


def _walk(patterns: list, prefix: str) -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern), entry


def tenant_routes() -> list[TenantRoute]:
    """Every URL pattern of the project whose route starts with t/<…tenant_slug>/."""
    found = []
    for route, pattern in _walk(get_resolver().url_patterns, ""):
        if not route.startswith("t/<") or "tenant_slug>" not in route.split("/")[1]:
            continue
        params = tuple((name, conv) for name, conv in _route_params(route) if name != "tenant_slug")
        found.append(TenantRoute(pattern.name or route, route, params, pattern.lookup_str))
    return found


def _route_params(route: str) -> list[tuple[str, str]]:
    return [(m["name"], m["conv"] or "str") for m in PARAM.finditer(route)]


def _fill(route: str, slug: str, values: dict[str, str]) -> str:
    return "/" + PARAM.sub(lambda m: slug if m["name"] == "tenant_slug" else values[m["name"]], route)


def _public_ids_of(tenant: Tenant) -> list[str]:
    """Public ids of every object the tenant owns, in every app: what a URL would carry."""
    with tenant_scope(tenant):
        ids = list(Membership.objects.filter(tenant=tenant).values_list("public_id", flat=True))
        for model in tenant_owned_models():
            if any(f.name == "public_id" for f in model._meta.concrete_fields):
                ids += model.objects.values_list("public_id", flat=True)
    return ids


def _candidates(route: TenantRoute, ids: list[str]) -> list[dict[str, str]]:
    """Fill each path parameter with every real id of the victim tenant, plus a dummy.

    Public ids are strings; an int or uuid parameter (which our URLs should not have) gets a
    well-formed dummy so the route still resolves and is still attacked.
    """
    per_param = []
    for _name, converter in route.params:
        if converter == "int":
            per_param.append(["1"])
        elif converter == "uuid":
            per_param.append([str(uuid.uuid4())])
        else:
            per_param.append([*ids, "xyz_doesnotexist"])
    return [
        dict(zip([n for n, _ in route.params], combo, strict=True)) for combo in itertools.product(*per_param)
    ][:200]


def _app_seeders() -> list[Callable[[], object]]:
    """Ways to put one object of each kind into the current tenant, found in every app.

    Each installed app's `tests/factories.py` is searched for factory_boy factories of
    tenant-owned models, and for an optional `isolation_seed()` function (for objects that
    must be made through services, such as invoices). New apps are covered without editing
    this file.
    """
    seeders: list[Callable[[], object]] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.tests.factories")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            model = getattr(getattr(value, "_meta", None), "model", None)
            if (
                isinstance(value, type)
                and issubclass(value, factory.django.DjangoModelFactory)
                and isinstance(model, type)
                and issubclass(model, TenantOwnedModel)
                and value.__module__ == module.__name__
            ):
                seeders.append(value.create)
        if callable(getattr(module, "isolation_seed", None)):
            seeders.append(module.isolation_seed)
    return seeders


@pytest.fixture
def victim(
    tenant: Tenant, owner_membership: Membership, member_membership: Membership, viewer_membership
) -> Tenant:
    """The tenant under attack, holding an object of every kind the apps' factories can make."""
    with tenant_scope(tenant):
        Invitation.objects.create(
            email="pending@example.com",
            invited_by=owner_membership.user,
            expires_at=timezone.now() + timedelta(days=3),
        )
        for seed in _app_seeders():
            seed()
    return tenant


def _snapshot(tenant: Tenant) -> tuple:
    with tenant_scope(tenant):
        owned = {
            model._meta.label: sorted(map(repr, model.objects.values()))
            for model in tenant_owned_models()
            if issubclass(model, TenantOwnedModel)
        }
        memberships = sorted(Membership.objects.filter(tenant=tenant).values_list("public_id", "role"))
    return (
        memberships,
        Tenant.objects.filter(pk=tenant.pk).values().get(),
        owned,
    )


def test_the_walker_finds_the_tenant_routes() -> None:
    names = {route.name for route in tenant_routes()}
    # If introspection broke, the isolation tests below would pass while testing nothing.
    assert {
        "dashboard",
        "members",
        "member_invite",
        "member_role",
        "member_remove",
        "tenant_settings",
    } <= names
    assert {"invitation_resend", "invitation_revoke"} <= names
    assert "tenant_create" not in names
    role = next(r for r in tenant_routes() if r.name == "member_role")
    assert role.params == (("public_id", "str"),)


@pytest.mark.slow  # every route of the workspace, with an object of every kind
def test_an_outsider_gets_404_on_every_route_of_another_tenant(
    victim: Tenant, outsider_client: Client, outsider: User
) -> None:
    ids = _public_ids_of(victim)
    assert len(ids) >= 4  # members and the invitation
    before = _snapshot(victim)
    checked = 0
    for route in tenant_routes():
        for values in _candidates(route, ids):
            url = _fill(route.route, victim.slug, values)
            for method in ("get", "post"):
                response = getattr(outsider_client, method)(url, {"role": "owner", "email": "x@example.com"})
                assert response.status_code == 404, (
                    f"{method.upper()} {url} ({route.lookup}) → {response.status_code}"
                )
                checked += 1
    assert checked >= 2 * len(tenant_routes())
    assert _snapshot(victim) == before


@pytest.mark.slow  # every route of the workspace, with an object of every kind
def test_an_outsider_cannot_reach_another_tenants_objects_through_their_own_workspace(
    victim: Tenant, other_tenant: Tenant, outsider_client: Client
) -> None:
    """The IDOR attack: my own workspace's address, someone else's object ids."""
    ids = _public_ids_of(victim)
    before = _snapshot(victim)
    with_params = [route for route in tenant_routes() if route.params]
    assert with_params
    for route in with_params:
        # A method the view does not take is refused before any lookup: a 405 leaks nothing
        # when an id that exists nowhere gets the same 405.
        dummy_url = _fill(route.route, other_tenant.slug, _candidates(route, ids)[-1])
        refused = {
            method
            for method in ("get", "post")
            if getattr(outsider_client, method)(dummy_url).status_code == 405
        }
        for values in _candidates(route, ids):
            url = _fill(route.route, other_tenant.slug, values)
            for method in ("post", "get"):
                response = getattr(outsider_client, method)(url, {"role": "owner", "email": "x@example.com"})
                allowed = {404, 405} if method in refused else {404}
                assert response.status_code in allowed, (
                    f"{method.upper()} {url} ({route.lookup}) → {response.status_code}"
                )
    assert _snapshot(victim) == before


@pytest.mark.slow  # every route of the workspace, with an object of every kind
def test_a_signed_out_visitor_is_sent_to_login_from_every_tenant_route(victim: Tenant) -> None:
    client = Client()
    ids = _public_ids_of(victim)
    for route in tenant_routes():
        values = _candidates(route, ids)[0]
        url = _fill(route.route, victim.slug, values)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, f"{method.upper()} {url} → {response.status_code}"
            assert response.url == f"{reverse('account_login')}?next={url}"


def test_a_member_reaches_the_pages_the_outsider_cannot(victim: Tenant, owner_client: Client) -> None:
    """The positive control: the same walker, as the victim's owner, gets real pages."""
    for route in tenant_routes():
        if route.params:
            continue
        url = _fill(route.route, victim.slug, {})
        response = owner_client.get(url)
        assert response.status_code in {200, 405}, f"GET {url} → {response.status_code}"


def test_a_nonexistent_workspace_looks_like_a_forbidden_one(outsider_client: Client, victim: Tenant) -> None:
    missing = outsider_client.get("/t/no-such-workspace/")
    forbidden = outsider_client.get(f"/t/{victim.slug}/")
    assert missing.status_code == forbidden.status_code == 404
    assert victim.name not in forbidden.content.decode()


def test_the_factur_x_setting(owner_client: Client, tenant: Tenant) -> None:
    url = reverse("tenant_settings", args=[tenant.slug])
    owner_client.post(url, {**SETTINGS, "facturx": "false"})
    tenant.refresh_from_db()
    assert tenant.facturx is False
    assert owner_client.get(url).context["form"]["facturx"].value() == "false"
    owner_client.post(url, {**SETTINGS, "facturx": ""})
    tenant.refresh_from_db()
    assert tenant.facturx is None  # on for sellers in the EU
