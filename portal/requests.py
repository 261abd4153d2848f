"""The request a signed-in client portal page receives, typed for what `portal_page` sets on it."""

from __future__ import annotations

from django.http import HttpRequest

from invoices.models import ClientContact
from tenants.models import Tenant


class PortalRequest(HttpRequest):
    """A request to a signed-in portal page: `portal.client_views.portal_page` has resolved the
    session to its contact and workspace and set these before the view runs (anyone else got
    the signed-out page).

    Only a type: no instance is ever made. Portal views annotate `request: PortalRequest` so that
    mypy knows `request.portal_contact` and `request.portal_tenant`.
    """

    portal_contact: ClientContact
    portal_tenant: Tenant
