"""Filter pieces shared by every list: strict booleans and strict datetimes/dates."""

import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


class StrictBooleanField(forms.Field):
    """`true`/`false` (also 1/0, yes/no); anything else is an error, not "no filter"."""

    TRUE = {"true", "1", "yes"}
    FALSE = {"false", "0", "no"}

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
        if whole_day:
            day = moment + datetime.timedelta(days=1) if self.upper else moment
            moment = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
            lookup = "lt" if self.upper else "gte"
        else:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, zone)
            lookup = "lte" if self.upper else "gte"
        return qs.filter(**{f"{self.field_name}__{lookup}": moment})
