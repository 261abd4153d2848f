from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.models import Invitation, Tenant
from tenants.scoping import (
    CrossTenantWriteError,
    TenantNotSetError,
    current_tenant_or_none,
    run_in_tenant_scope,
    tenant_scope,
)


def make_invitation(tenant: Tenant, email: str) -> Invitation:
    with tenant_scope(tenant):
        return Invitation.objects.create(email=email, expires_at=timezone.now() + timedelta(days=1))


def test_scoped_manager_fails_closed_without_a_tenant(tenant: Tenant) -> None:
    make_invitation(tenant, "a@example.com")
    with pytest.raises(TenantNotSetError):
        list(Invitation.objects.all())
    with pytest.raises(TenantNotSetError):
        Invitation.objects.filter(email="a@example.com").exists()


def test_scoped_manager_sees_only_the_current_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    mine = make_invitation(tenant, "mine@example.com")
    theirs = make_invitation(other_tenant, "theirs@example.com")
    with tenant_scope(tenant):
        assert list(Invitation.objects.all()) == [mine]
        assert not Invitation.objects.filter(pk=theirs.pk).exists()
    with tenant_scope(other_tenant):
        assert list(Invitation.objects.all()) == [theirs]


def test_a_row_cannot_be_saved_into_another_tenant(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = make_invitation(other_tenant, "theirs@example.com")
    with tenant_scope(tenant):
        theirs.email = "hijacked@example.com"
        with pytest.raises(CrossTenantWriteError):
            theirs.save()
        with pytest.raises(CrossTenantWriteError):
            Invitation.objects.create(tenant=other_tenant, email="x@example.com", expires_at=timezone.now())
    with pytest.raises(TenantNotSetError):
        Invitation(email="nobody@example.com", expires_at=timezone.now()).save()


def test_scope_is_reset_after_the_block_even_on_error(tenant: Tenant, other_tenant: Tenant) -> None:
    assert current_tenant_or_none() is None
    with pytest.raises(ZeroDivisionError), tenant_scope(tenant):
        _ = 1 / 0
    assert current_tenant_or_none() is None
    with tenant_scope(tenant):
        with tenant_scope(other_tenant):
            assert current_tenant_or_none() == other_tenant
        assert current_tenant_or_none() == tenant
    assert current_tenant_or_none() is None


def test_tasks_enter_the_scope_of_the_tenant_they_are_given(tenant: Tenant) -> None:
    seen = []

    @run_in_tenant_scope
    def task(value: int) -> None:
        seen.append((current_tenant_or_none(), value))

    task(7, tenant_id=tenant.pk)
    assert seen == [(tenant, 7)]
    assert current_tenant_or_none() is None


def test_the_escape_hatch_is_explicit(tenant: Tenant, other_tenant: Tenant) -> None:
    make_invitation(tenant, "a@example.com")
    make_invitation(other_tenant, "b@example.com")
    with tenant_scope(tenant):
        # On PostgreSQL, row-level security still limits even the escape hatch to the
        # current tenant; on SQLite only the ORM wall exists.
        rows = set(Invitation.unscoped_across_tenants.values_list("email", flat=True))
    assert "a@example.com" in rows
