"""`{% tenant_switch %}`: the browsable API's bar naming the active tenant, with links to the others."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from tenants.mixins import TenantScopedViewMixin
from tenants.models import Membership
from tenants.resolution import TENANT_QUERY_PARAM, remembered_membership
from tenants.row_security import own_rows

register = template.Library()


@register.inclusion_tag("tenants/tenant_switch.html", takes_context=True)
def tenant_switch(context):
    request, view = context.get("request"), context.get("view")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Inside a tenant's page the row security shows that tenant's memberships only: the user's own
    # rows of every tenant are read under their own policy.
    with own_rows(user):
        memberships = list(Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__name"))
    scoped = isinstance(view, TenantScopedViewMixin)
    active = getattr(request, "membership", None)
    if active is None and not scoped:
        # Pages without a tenant (the API root, me/) show the one the next tenant pages will use.
        active = remembered_membership(request) or (memberships[0] if len(memberships) == 1 else None)
    # A tenant page switches in place; elsewhere the switch goes through the active-tenant page,
    # which remembers the choice for this session (see tenants.resolution).
    base = request.path if scoped else reverse("active-tenant")
    choices = [
        (membership, f"{base}?{urlencode({TENANT_QUERY_PARAM: membership.tenant.slug})}")
        for membership in memberships
        if active is None or membership.pk != active.pk
    ]
    return {"memberships": memberships, "active": active, "choices": choices}
