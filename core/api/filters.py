"""Filter pieces shared by every list: strict booleans and strict datetimes/dates."""

import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_filters.rest_framework import DjangoFilterBackend


class YesNoSelect(forms.Select):
    """The browsable API's filter form: a yes/no choice (or any), sending the values the API documents."""

    def __init__(self, attrs=None):
        super().__init__(attrs, choices=[("", "Any"), ("true", "Yes"), ("false", "No")])

    def format_value(self, value):
        if value in (True, False):
            return ["true" if value else "false"]
        lowered = str(value).lower() if value is not None else ""
        return (
            ["true"]
            if lowered in StrictBooleanField.TRUE
            else ["false"]
            if lowered in StrictBooleanField.FALSE
            else [""]
        )


class StrictBooleanField(forms.Field):
    """`true`/`false` (also 1/0, yes/no); anything else is an error, not "no filter"."""

    TRUE = {"true", "1", "yes"}
    FALSE = {"false", "0", "no"}
    widget = YesNoSelect

    def to_python(self, value):
        if value in (None, ""):
            return None
        lowered = str(value).lower()
        if lowered in self.TRUE:
            return True
        if lowered in self.FALSE:
            return False
        raise forms.ValidationError("Must be true or false.", code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class OrderingFilter(django_filters.OrderingFilter):
    """`?ordering=`; a value that names no field (`,`) keeps the list's default order.

    django-filter would call `order_by()` with no field, which drops the default order too:
    the list would be paginated unordered, so rows could repeat or go missing between pages.
    """

    def filter(self, qs, value):
        if not any(value or ()):
            return qs
        return super().filter(qs, value)


class DateOrDateTimeField(forms.Field):
    """An ISO date or datetime; returns (value, is_whole_day)."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().replace(" ", "+")  # "+" of an offset arrives as a space
        try:
            # A bare date first: parse_datetime also accepts "2024-03-01", as midnight, not as the whole day.
            parsed_date = parse_date(text)
            if parsed_date is not None:
                return parsed_date, True
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            raise forms.ValidationError("Enter a date (YYYY-MM-DD) or an ISO 8601 datetime.", code="invalid")
        return parsed, False


class DateBoundFilter(django_filters.Filter):
    """An inclusive bound on a datetime field.

    A date covers that whole day, and a datetime without an offset is wall-clock
    time, both in the filterset's `bound_timezone()` (the tenant's time zone).
    """

    field_class = DateOrDateTimeField

    def __init__(self, *args, upper=False, **kwargs):
        self.upper = upper
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        moment, whole_day = value
        zone = self.parent.bound_timezone()
        lookup = "lte" if self.upper else "gte"
        if whole_day:
            if self.upper:
                if moment == datetime.date.max:
                    return qs  # up to the end of the last day a date holds: no bound at all
                moment, lookup = moment + datetime.timedelta(days=1), "lt"
            moment = datetime.datetime.combine(moment, datetime.time.min, tzinfo=zone)
        elif timezone.is_naive(moment):
            moment = timezone.make_aware(moment, zone)
        return qs.filter(**{f"{self.field_name}__{lookup}": in_utc(moment)})


def in_utc(moment):
    """`moment` in UTC, where a moment the years 1-9999 cannot hold there becomes their first or last.

    A bound near either end of the calendar in a zone off UTC falls outside that range
    once converted (which the database adapter does, and SQLite's fails on); the end
    of the range bounds the same rows.
    """
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        end = datetime.datetime.min if moment.year == datetime.MINYEAR else datetime.datetime.max
        return end.replace(tzinfo=datetime.UTC)


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, which builds no filter set for a request that names none of its filters.

    A filter set bound to no filter parameter filters nothing (no filter here has a default),
    but building and validating one (a form, its fields deep-copied, the tenant's choice
    querysets) is a measurable part of a detail request or an unfiltered page. A parameter
    that starts with a filter's name (a range widget's `name_after`, say) still builds it.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not names_a_filter(request.query_params, filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


def names_a_filter(params, filter_names):
    return any(param.startswith(name) for param in params for name in filter_names)
