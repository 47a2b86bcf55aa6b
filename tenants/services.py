"""Onboarding operations shared by the management commands and the demo seed."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from tenants.models import Membership, Role, Tenant


def create_tenant(*, slug: str, name: str, run_prefix: str, timezone: str = "UTC") -> tuple[Tenant, bool]:
    """Create the tenant or update it to these values; returns (tenant, created)."""
    tenant = Tenant.objects.filter(slug=slug).first() or Tenant(slug=slug)
    created = tenant._state.adding
    tenant.name, tenant.run_prefix, tenant.timezone = name, run_prefix, timezone
    tenant.full_clean()
    tenant.save()
    return tenant, created


def add_member(*, tenant: Tenant, username: str, role: str, password: str | None = None) -> tuple[Membership, bool]:
    """Make `username` a member with `role`, creating the user when missing; returns (membership, created)."""
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.")
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            user.full_clean(exclude=["password"])
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
        elif password:
            user.set_password(password)
            user.save(update_fields=["password"])
        membership, created = Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})
        if membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
    return membership, created
