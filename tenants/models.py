import functools
import uuid
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from tenants.scoping import TenantScopedManager

RUN_PREFIX_PATTERN = r"^[A-Z0-9]{2,10}$"
validate_run_prefix = RegexValidator(
    RUN_PREFIX_PATTERN, "Use 2 to 10 upper-case letters or digits.", code="invalid_prefix"
)


# Files of the zoneinfo folder that name no place's time zone: `localtime` links to the server's own
# zone (/etc/localtime: a tenant must not follow the server's setting), and `Factory` is tzdata's
# placeholder whose abbreviation is "-00".
NOT_ZONE_NAMES = frozenset({"localtime", "Factory"})


@functools.cache
def iana_time_zones():
    """The IANA zone names this system's zoneinfo holds (read once: it walks the folder)."""
    return frozenset(zoneinfo.available_timezones() - NOT_ZONE_NAMES)


def validate_timezone(value):
    if value not in iana_time_zones():
        raise ValidationError(
            "%(value)s is not an IANA time zone name.", code="invalid_timezone", params={"value": value}
        )


class Tenant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=64, unique=True)
    run_prefix = models.CharField(max_length=10, validators=[validate_run_prefix])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def zone(self):
        return zoneinfo.ZoneInfo(self.timezone)


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "user"], name="membership_unique_tenant_user")]
        ordering = ["tenant__name"]

    def __str__(self):
        return f"{self.user} in {self.tenant} ({self.role})"

    @property
    def can_write(self):
        return self.role != Role.VIEWER

    @property
    def can_manage(self):
        """Deletes, reopening runs and spool adjustments: admins and owners."""
        return self.role in (Role.ADMIN, Role.OWNER)


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant):
        return self.filter(tenant=tenant)


def scoped_manager(queryset_class=TenantQuerySet):
    """A tenant-owned model's manager: `queryset_class`'s methods, refusing to run outside a scope."""
    return TenantScopedManager.from_queryset(queryset_class)()


class TenantOwnedModel(models.Model):
    """Base of every tenant-owned table, child rows included.

    The tenant column lets isolation be checked per table and the schema be
    distributed by tenant later; unique constraints of subclasses start with it.
    Its managers fail closed (tenants/scoping.py): a query needs the API request's
    tenant scope or the `all_tenants()` escape hatch, else it raises. Read paths still
    say `for_tenant(tenant)` where the tenant is at hand, as a second, visible filter.
    Subclasses with their own queryset class declare `objects = scoped_manager(ThatQuerySet)`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=True)

    objects = scoped_manager()

    class Meta:
        abstract = True

    def clean(self):
        super().clean()
        self.check_same_tenant()

    def check_same_tenant(self):
        """Every foreign key to a tenant-owned row must stay inside this row's tenant."""
        errors = {}
        for field in self._meta.concrete_fields:
            if not field.is_relation or field.name == "tenant":
                continue
            if not issubclass(field.related_model, TenantOwnedModel):
                continue
            related = getattr(self, field.name, None)
            if related is not None and self.tenant_id and related.tenant_id != self.tenant_id:
                errors[field.name] = "This record belongs to another tenant."
        if errors:
            raise ValidationError(errors)
