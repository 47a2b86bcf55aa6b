import django_filters

from core.api.filters import BooleanFilter
from spoolman.models import IntegrationKey, KeyScope
from tenants.filters import TenantFilterSet


class IntegrationKeyFilter(TenantFilterSet):
    scope = django_filters.ChoiceFilter(choices=KeyScope.choices, label="Scope")
    printer = django_filters.ModelChoiceFilter(field_name="printer", label="Printer (id or name)")
    is_active = BooleanFilter(field_name="revoked_at", lookup_expr="isnull", label="Active (not revoked)")

    class Meta:
        model = IntegrationKey
        fields = ["scope", "printer", "is_active"]
