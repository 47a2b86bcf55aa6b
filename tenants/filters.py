import django_filters
from django import forms

from core.api.browsable import help_html
from tenants import natural_keys

SCOPED_FILTERS = (django_filters.ModelChoiceFilter, django_filters.ModelMultipleChoiceFilter)


def related_model(model, path):
    """The model at the end of a lookup path (`items__product` of a run is Product)."""
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


class NaturalKeyModelChoiceField(django_filters.fields.ModelChoiceField):
    """A model choice given by id or, where the model declares one, by natural key (`?product=<sku>`)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if self.null_label is not None and value == self.null_value:
            return value
        row = natural_keys.resolve(self.queryset, [str(value)]).get(str(value))
        if row is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return row

    def label_from_instance(self, obj):
        # A choice by its readable label where the model has one (a spool: code, material, weight).
        label = getattr(obj, "choice_label", None)
        return label() if callable(label) else super().label_from_instance(obj)


class TenantFilterSet(django_filters.FilterSet):
    """Every model-choice filter offers only the request's tenant's rows: another tenant's id is a 400.

    Filters name no queryset: it is derived from the filter's `field_name`, scoped here
    once, so a new filter cannot forget it (and `inventory` names no `production` model).
    A single choice also takes the row's natural key (tenants.natural_keys).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = getattr(self.request, "tenant", None)
        for filter_ in self.filters.values():
            if isinstance(filter_, SCOPED_FILTERS):
                model = related_model(self._meta.model, filter_.field_name)
                queryset = model.objects.for_tenant(tenant) if tenant is not None else model.objects.none()
                filter_.queryset = queryset.select_related(*getattr(model, "choice_related", ()))
                if isinstance(filter_, django_filters.ModelChoiceFilter):
                    filter_.field_class = NaturalKeyModelChoiceField

    @property
    def form(self):
        """The filter form of the browsable API: help texts as HTML (the schema keeps them as Markdown)."""
        form = super().form
        for field in form.fields.values():
            field.help_text = help_html(field.help_text)
        return form

    def bound_timezone(self):
        """Dates in filters mean whole days in the tenant's time zone."""
        return self.request.tenant.zone
