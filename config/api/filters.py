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
            parsed = parse_datetime(text)
            if parsed is not None:
                if timezone.is_naive(parsed):
                    parsed = timezone.make_aware(parsed)
                return parsed, False
            parsed_date = parse_date(text)
        except ValueError:
            parsed_date = None
        if parsed_date is None:
            raise forms.ValidationError("Enter a date (YYYY-MM-DD) or an ISO 8601 datetime.", code="invalid")
        return parsed_date, True


class DateBoundFilter(django_filters.Filter):
    """An inclusive bound on a datetime field; a date covers that whole day in `tz_of(request)`."""

    field_class = DateOrDateTimeField

    def __init__(self, *args, upper=False, **kwargs):
        self.upper = upper
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        moment, whole_day = value
        if whole_day:
            zone = self.parent.bound_timezone()
            day = moment + datetime.timedelta(days=1) if self.upper else moment
            moment = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
            lookup = "lt" if self.upper else "gte"
        else:
            lookup = "lte" if self.upper else "gte"
        return qs.filter(**{f"{self.field_name}__{lookup}": moment})
