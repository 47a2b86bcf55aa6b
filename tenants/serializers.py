import uuid

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tenants.models import Membership, Tenant


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "name", "slug", "run_prefix", "timezone"]


class MembershipSerializer(serializers.ModelSerializer):
    tenant_slug = serializers.CharField(source="tenant.slug")
    tenant_name = serializers.CharField(source="tenant.name")

    class Meta:
        model = Membership
        fields = ["tenant_slug", "tenant_name", "role"]


class MeSerializer(serializers.ModelSerializer):
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "email", "first_name", "last_name", "memberships"]

    @extend_schema_field(MembershipSerializer(many=True))
    def get_memberships(self, user):
        memberships = Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__slug")
        return MembershipSerializer(memberships, many=True).data


class TenantRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key in a body that may only name rows of the request's tenant.

    Another tenant's id is simply not in the queryset, so it gets DRF's ordinary
    400 "object does not exist", and the browsable API only offers own rows.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        tenant = getattr(request, "tenant", None)
        return queryset.for_tenant(tenant) if tenant is not None else queryset.none()

    def to_internal_value(self, data):
        resolved = getattr(self, "resolved", None)
        if resolved is not None and str(data) in resolved:
            return resolved[str(data)]
        return super().to_internal_value(data)

    def resolve_in_bulk(self, values):
        """Look up all `values` (the ids a list body names) in one query; `to_internal_value` reads them.

        Ids that are malformed or unknown are left to the ordinary lookup, which answers their 400.
        """
        ids = set()
        for value in values:
            try:
                ids.add(uuid.UUID(str(value)))
            except (TypeError, ValueError, AttributeError):
                continue
        self.resolved = {str(pk): row for pk, row in self.get_queryset().in_bulk(ids).items()} if ids else {}


class TenantListSerializer(serializers.ListSerializer):
    """A list body (a run's items or materials) whose foreign keys are resolved in one query per field.

    DRF's related fields look each id up on its own: 1,000 items naming products would cost
    1,000 queries before any other check. The list's length is capped (`max_length`) first.
    """

    def to_internal_value(self, data):
        if isinstance(data, list) and (self.max_length is None or len(data) <= self.max_length):
            for name, field in self.child.fields.items():
                if isinstance(field, TenantRelatedField) and not field.read_only:
                    field.resolve_in_bulk(entry.get(name) for entry in data if isinstance(entry, dict))
        return super().to_internal_value(data)


class TenantOwnedSerializer(serializers.ModelSerializer):
    """Base serializer of tenant-owned models.

    Relations are tenant-scoped, and `Meta.tenant_unique` fields get a 400 on the
    field when another row of the same tenant already holds the value (the database
    constraint, which starts with the tenant, stays the last word).
    """

    serializer_related_field = TenantRelatedField

    def build_standard_field(self, field_name, model_field):
        field_class, field_kwargs = super().build_standard_field(field_name, model_field)
        # The browsable API pre-fills its forms with each field's `initial`, which DRF leaves
        # empty (False, null): a spool made from the untouched HTML form would be inactive.
        # Start from the model's plain default instead (a callable one, like started_at's
        # timezone.now, stays empty: the form renderer wants strings). Validation is unchanged.
        if model_field.has_default() and not callable(model_field.default):
            field_kwargs.setdefault("initial", model_field.default)
        return field_class, field_kwargs

    def validate(self, attrs):
        attrs = super().validate(attrs)
        tenant = self.context["request"].tenant
        model = self.Meta.model
        for field in getattr(self.Meta, "tenant_unique", ()):
            if field not in attrs:
                continue
            clash = model.objects.for_tenant(tenant).filter(**{field: attrs[field]})
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {field: [f"A {model._meta.verbose_name} with this {field} already exists."]}, code="unique"
                )
        return attrs
