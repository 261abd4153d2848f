"""Fixtures every app's tests use: a tenant with its owner, admin, member and viewer, and an
outsider who owns a different tenant. Imported by the root conftest."""

from __future__ import annotations

import pytest
from django.db import models
from django.test import Client

from tenants.models import Membership, Role, Tenant, User
from tenants.scoping import tenant_scope
from tenants.tests.factories import MembershipFactory, TenantFactory, UserFactory


@pytest.fixture
def tenant(db: None) -> Tenant:
    return TenantFactory(name="Acme Design", slug="acme")


@pytest.fixture
def other_tenant(db: None) -> Tenant:
    return TenantFactory(name="Globex Consulting", slug="globex")


def _member(tenant: Tenant, role: Role, email: str) -> Membership:
    return MembershipFactory(tenant=tenant, role=role, user=UserFactory(email=email))


@pytest.fixture
def owner_membership(tenant: Tenant) -> Membership:
    return _member(tenant, Role.OWNER, "owner@acme.test")


@pytest.fixture
def admin_membership(tenant: Tenant) -> Membership:
    return _member(tenant, Role.ADMIN, "admin@acme.test")


@pytest.fixture
def member_membership(tenant: Tenant) -> Membership:
    return _member(tenant, Role.MEMBER, "member@acme.test")


@pytest.fixture
def viewer_membership(tenant: Tenant) -> Membership:
    return _member(tenant, Role.VIEWER, "viewer@acme.test")


@pytest.fixture
def outsider_membership(other_tenant: Tenant) -> Membership:
    return _member(other_tenant, Role.OWNER, "outsider@globex.test")


@pytest.fixture
def owner(owner_membership: Membership) -> User:
    return owner_membership.user


@pytest.fixture
def member(member_membership: Membership) -> User:
    return member_membership.user


@pytest.fixture
def viewer(viewer_membership: Membership) -> User:
    return viewer_membership.user


@pytest.fixture
def outsider(outsider_membership: Membership) -> User:
    return outsider_membership.user


def rows_in_every_tenant(model: type[models.Model]) -> int:
    """How many rows `model`'s table holds over all workspaces. Its rows are behind row-level
    security, so a plain count outside any scope is always 0: this counts inside each scope."""
    total = 0
    for tenant in Tenant.objects.all():
        with tenant_scope(tenant):
            total += model._base_manager.filter(tenant=tenant).count()
    return total


def client_for(user: User, *, enforce_csrf_checks: bool = False) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf_checks)
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner: User) -> Client:
    return client_for(owner)


@pytest.fixture
def member_client(member: User) -> Client:
    return client_for(member)


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    return client_for(viewer)


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    return client_for(outsider)


@pytest.fixture
def in_tenant(tenant: Tenant):
    """Run the test body inside the tenant's scope (for service-level tests)."""
    with tenant_scope(tenant):
        yield tenant
