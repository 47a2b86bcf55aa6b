import django_filters

SCOPED_FILTERS = (django_filters.ModelChoiceFilter, django_filters.ModelMultipleChoiceFilter)


def related_model(model, path):
    """The model at the end of a lookup path (`items__product` of a run is Product)."""
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


class TenantFilterSet(django_filters.FilterSet):
    """Every model-choice filter offers only the request's tenant's rows: another tenant's id is a 400.

    Filters name no queryset: it is derived from the filter's `field_name`, scoped here
    once, so a new filter cannot forget it (and `inventory` names no `production` model).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = getattr(self.request, "tenant", None)
        for filter_ in self.filters.values():
            if isinstance(filter_, SCOPED_FILTERS):
                model = related_model(self._meta.model, filter_.field_name)
                filter_.queryset = model.objects.for_tenant(tenant) if tenant is not None else model.objects.none()

    def bound_timezone(self):
        """Dates in filters mean whole days in the tenant's time zone."""
        return self.request.tenant.zone
