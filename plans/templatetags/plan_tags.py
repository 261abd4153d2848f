"""`{% plan_limit_notice %}`: near or at the plan's monthly allowance, say so and offer Upgrade."""

from __future__ import annotations

from typing import Any

from django import template

from plans.catalog import tenant_usage
from tenants import roles

register = template.Library()


@register.inclusion_tag("billing/_plan_limit_notice.html", takes_context=True)
def plan_limit_notice(context: template.Context) -> dict[str, Any]:
    tenant = context.get("current_tenant")
    membership = context.get("current_membership")
    if tenant is None or membership is None:
        return {}
    return {
        "usage": tenant_usage(tenant=tenant),
        "can_upgrade": roles.can_manage_tenant(membership),
        "current_tenant": tenant,
    }
