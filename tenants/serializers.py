import uuid

from django.contrib.auth import get_user_model
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.browsable import FormRowsListSerializer
from core.api.representation import PlannedRepresentation
from tenants import natural_keys
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

    Another tenant's row is simply not in the queryset, so it gets DRF's ordinary
    400 "object does not exist", and the browsable API only offers own rows. A row is
    named by its id or, where its model declares one, by its natural key (a product's
    `sku`, a spool's `code`, a printer's `name`: tenants.natural_keys); responses
    keep the id.
    """

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        tenant = getattr(request, "tenant", None)
        return queryset.for_tenant(tenant) if tenant is not None else queryset.none()

    def get_choices(self, cutoff=None):
        # The browsable API's choices: each row by its readable label (`choice_label`), in one query.
        queryset = self.get_queryset()
        queryset = queryset.select_related(*getattr(queryset.model, "choice_related", ()))
        if cutoff is not None:
            queryset = queryset[:cutoff]
        return {self.to_representation(row): self.display_value(row) for row in queryset}

    def get_choice_rows(self):
        """(value, label, data) of each choice: `data` is what the model's `choice_data()` gives the browsable
        form's options as `data-*` attributes (a spool's kind and free grams), else nothing."""
        queryset = self.get_queryset()
        queryset = queryset.select_related(*getattr(queryset.model, "choice_related", ()))
        rows = []
        for row in queryset:
            data = getattr(row, "choice_data", None)
            rows.append((self.to_representation(row), self.display_value(row), data() if callable(data) else {}))
        return rows

    def display_value(self, instance):
        label = getattr(instance, "choice_label", None)
        return label() if callable(label) else str(instance)

    def to_internal_value(self, data):
        resolved = getattr(self, "resolved", None)
        if resolved is not None and str(data) in resolved:
            return resolved[str(data)]
        if not isinstance(data, str | uuid.UUID) and not self.names_by_number(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        row = natural_keys.resolve(self.get_queryset(), [data]).get(str(data))
        if row is None:
            what = natural_keys.describe(self.get_queryset().model)
            message = f'Invalid {what} "{data}" - object does not exist.'
            raise serializers.ValidationError(message, code="does_not_exist")
        return row

    def names_by_number(self, data):
        """An integer body value names a row by its number where the model has one (`"spool": 7`)."""
        model = self.get_queryset().model
        return natural_keys.number_key_field(model) is not None and natural_keys.as_number(data) is not None

    def resolve_in_bulk(self, values):
        """Look up all `values` (the ids or natural keys a list body names) in one query; `to_internal_value`
        reads them.

        Values that are malformed or unknown are left to the ordinary lookup, which answers their 400.
        """
        values = [value for value in values if isinstance(value, str | uuid.UUID) or self.names_by_number(value)]
        self.resolved = natural_keys.resolve(self.get_queryset(), values) if values else {}


class TenantRelatedFieldSchema(OpenApiSerializerFieldExtension):
    """A request names the row by id or natural key (a string); a response always gives the id."""

    target_class = TenantRelatedField

    def map_serializer_field(self, auto_schema, direction):
        schema = build_basic_type(OpenApiTypes.UUID)
        queryset = self.target.queryset
        if (
            direction == "request"
            and queryset is not None
            and (natural_keys.natural_key_field(queryset.model) or natural_keys.number_key_field(queryset.model))
        ):
            model = queryset.model
            schema = {
                "type": "string",
                "description": f"The {model._meta.verbose_name}'s {natural_keys.describe(model)}.",
            }
        return schema


TIME_ZONE_NOTES = {
    "request": "ISO 8601. Without an offset it is read as wall-clock time in the tenant's time zone.",
    "response": "ISO 8601, in the tenant's time zone with its offset.",
}


class DateTimeFieldSchema(OpenApiSerializerFieldExtension):
    """Every datetime says how its zone is read and written (tenants/time_zones.py); a field's own
    help text, where it has one, says it itself."""

    target_class = serializers.DateTimeField

    def map_serializer_field(self, auto_schema, direction):
        return {**build_basic_type(OpenApiTypes.DATETIME), "description": TIME_ZONE_NOTES[direction]}


class TenantListSerializer(FormRowsListSerializer):
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


class TenantOwnedSerializer(PlannedRepresentation, serializers.ModelSerializer):
    """Base serializer of tenant-owned models.

    Relations are tenant-scoped, and `Meta.tenant_unique` fields get a 400 on the
    field when another row of the same tenant already holds the value (the database
    constraint, which starts with the tenant, stays the last word). Output fields are
    built once per class (core/api/representation.py).
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
            if attrs.get(field) in (None, ""):
                continue  # an optional value left empty (a spool without an RFID tag) clashes with nothing
            clash = model.objects.for_tenant(tenant).filter(**{field: attrs[field]})
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError(
                    {field: [f"A {model._meta.verbose_name} with this {field} already exists."]}, code="unique"
                )
        return attrs
