"""Tenant scoping: the one place that says which tenant the running code acts for.

Two walls keep tenants apart:

1. The ORM: every tenant-owned model inherits `TenantOwnedModel`, whose default manager
   filters on the current tenant and *raises* when none is set. Crossing tenants needs the
   `unscoped_across_tenants` manager, a name meant to be grep-able and alarming.
2. PostgreSQL row-level security: `tenant_scope()` opens a transaction and runs
   `set_config('app.tenant_id', ..., true)` (a `SET LOCAL`), and every tenant-owned table has a
   forced policy on that setting (see `tenants.rls`). With no tenant set a query sees no rows.

Entry points (request middleware, Celery tasks, management commands, the admin) each enter
`tenant_scope()` once; nothing else sets the tenant.

Before a tenant is known, two narrow doors exist and nothing else: `user_scope()` lets a
signed-in user's own memberships (and no other row) be read across their workspaces, and the
lookup doors of `tenants.doors` turn a hashed token or an external id into a tenant.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from django.db import connections, models, transaction

if TYPE_CHECKING:
    from tenants.models import Tenant

_current_tenant: ContextVar[Tenant | None] = ContextVar("current_tenant", default=None)
_current_user_id: ContextVar[int | None] = ContextVar("current_user_id", default=None)


class TenantNotSetError(RuntimeError):
    """A tenant-owned table was queried outside any tenant scope."""


class CrossTenantWriteError(RuntimeError):
    """A write tried to save a row into a tenant other than the current one."""


def current_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSetError(
            "No tenant is set. Enter tenants.scoping.tenant_scope(tenant) at the entry point "
            "(request, task, command) before touching tenant-owned data."
        )
    return tenant


def current_tenant_or_none() -> Tenant | None:
    return _current_tenant.get()


def _set_database_setting(name: str, value: int | None, using: str) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # is_local=true: the setting dies with the transaction, so a pooled connection
        # can never carry one tenant's (or user's) id into another's request.
        cursor.execute("SELECT set_config(%s, %s, true)", [name, "" if value is None else str(value)])


@contextmanager
def tenant_scope(tenant: Tenant, *, using: str = "default") -> Iterator[Tenant]:
    """Act for `tenant` inside one transaction; restore the previous scope afterwards."""
    previous = _current_tenant.get()
    token = _current_tenant.set(tenant)
    # Inside an outer transaction the setting outlives this block; otherwise it ends with it.
    nested = connections[using].in_atomic_block
    try:
        with transaction.atomic(using=using):
            _set_database_setting("app.tenant_id", tenant.pk, using)
            yield tenant
            if nested:
                # Nested scopes (rare: the admin, tests) hand the outer tenant back to the database.
                _set_database_setting("app.tenant_id", previous.pk if previous else None, using)
    finally:
        _current_tenant.reset(token)


@contextmanager
def user_scope(user_id: int, *, using: str = "default") -> Iterator[None]:
    """Let the database show user `user_id`'s own memberships, in every workspace, for one transaction.

    A door, kept narrow: it opens the `own_rows` read policy of the membership table (see
    `tenants.rls`) and nothing else; every other tenant-owned table still needs a tenant. It is
    for what a person sees *across* their workspaces (the switcher, where "/" takes them); a
    check of one membership in one known workspace runs inside that workspace's scope instead.
    """
    previous = _current_user_id.get()
    token = _current_user_id.set(user_id)
    nested = connections[using].in_atomic_block
    try:
        with transaction.atomic(using=using):
            _set_database_setting("app.user_id", user_id, using)
            yield
            if nested:
                _set_database_setting("app.user_id", previous, using)
    finally:
        _current_user_id.reset(token)


class TenantScopedQuerySet(models.QuerySet):
    pass


# Named first: django-stubs types a from_queryset() manager assigned to a name, not one in a
# class's bases.
_TenantScopedManagerBase = models.Manager.from_queryset(TenantScopedQuerySet)


class TenantScopedManager(_TenantScopedManagerBase):
    """Default manager of tenant-owned models: filters on the current tenant, fails closed."""

    def get_queryset(self) -> TenantScopedQuerySet:
        # django-stubs type the made manager's get_queryset as the base QuerySet's; it is ours.
        return cast(TenantScopedQuerySet, super().get_queryset().filter(tenant=current_tenant()))


class TenantOwnedModel(models.Model):
    """Abstract base of every row that belongs to one tenant.

    The policy check in `tenants.rls` finds every concrete subclass and fails the test suite
    if its table lacks an enabled, forced row-level security policy.
    """

    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")

    objects = TenantScopedManager()
    # The escape hatch. Platform-level code only (admin, webhooks resolving their tenant);
    # on PostgreSQL row-level security still applies underneath.
    unscoped_across_tenants = models.Manager()

    class Meta:
        abstract = True
        default_manager_name = "objects"
        base_manager_name = "unscoped_across_tenants"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A guard, not business logic: a row can only be written into the current tenant.
        tenant = current_tenant()
        if self.tenant_id is None:
            self.tenant = tenant
        elif self.tenant_id != tenant.pk:
            raise CrossTenantWriteError(
                f"{type(self).__name__} belongs to tenant {self.tenant_id}, "
                f"but the current tenant is {tenant.pk}."
            )
        super().save(*args, **kwargs)


def run_in_tenant_scope(func: Any) -> Any:
    """Decorator for Celery tasks: the task takes `tenant_id` and runs inside that tenant.

    Tasks carry ids, never model instances, so the scope is re-established in the worker.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, tenant_id: int, **kwargs: Any) -> Any:
        from tenants.models import Tenant

        tenant = Tenant.objects.get(pk=tenant_id)
        with tenant_scope(tenant):
            return func(*args, **kwargs)

    return wrapper
