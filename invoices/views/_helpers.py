"""Small helpers shared by the invoicing views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import cached_property

from core.errors import ApplicationError
from core.web import require_membership
from tenants import roles

T = TypeVar("T")
M = TypeVar("M", bound=Model)

# Writes: viewers get 403 (the page they came from showed them no control to get here).
writer_required = require_membership(roles.can_write)
manager_required = require_membership(roles.can_manage_tenant)


def found_or_404(value: T | None) -> T:
    """Selectors answer None for a missing row and for another tenant's alike: both are 404."""
    if value is None:
        raise Http404("Not found.")
    return value


def submit_form(form: Form, service: Callable[..., T], /, **kwargs: Any) -> T | None:
    """Run a service for a valid form; its ApplicationError lands on the named field (or the
    form), and the savepoint undoes whatever the service wrote before it gave up."""
    try:
        with transaction.atomic():
            return service(**kwargs)
    except ApplicationError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return None


class CappedPaginator(Paginator, Generic[M]):  # Paginator is not subscriptable at run time
    """A paginator whose COUNT stops at `cap` rows.

    An exact COUNT(*) reads every matching row: at 100,000 invoices it costs more than the
    page itself. Counting at most `cap` rows (a LIMIT inside the count) keeps the cost flat;
    the page then says "10,000+" and the last pages are reached by narrowing the filters.
    """

    cap = 10_000
    object_list: QuerySet[M]  # a queryset, not any sequence: the capped count is a query

    def __init__(self, object_list: QuerySet[M], per_page: int) -> None:
        super().__init__(object_list, per_page)

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def redirect_back(request: HttpRequest, tenant_slug: str, default: str, *args: str) -> HttpResponse:
    """Back to the page that sent the member here (`?next=`: the review screen, the dashboard's
    checklist), within this workspace only; else to the page named `default`."""
    target = request.GET.get("next", "")
    if target.startswith(f"/t/{tenant_slug}/") and "//" not in target and "\\" not in target:
        return redirect(target)
    return redirect(default, tenant_slug, *args)
