import django_filters


def tenant_rows(model):
    """A ModelChoiceFilter queryset limited to the request's tenant: another tenant's id is a 400."""

    def queryset(request):
        tenant = getattr(request, "tenant", None)
        return model.objects.for_tenant(tenant) if tenant is not None else model.objects.none()

    return queryset


class TenantFilterSet(django_filters.FilterSet):
    def bound_timezone(self):
        """Dates in filters mean whole days in the tenant's time zone."""
        return self.request.tenant.zone
