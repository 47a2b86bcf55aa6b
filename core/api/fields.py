"""Serializer fields every API uses (the ModelSerializers' date-times among them: core.apps)."""

import datetime

from django.utils import timezone
from rest_framework import serializers

# No time zone is a day or more away from UTC: a moment in this range has a date in years 1-9999
# in every zone, so it can be stored (in UTC) and shown (in any tenant's zone).
EARLIEST = datetime.datetime(1, 1, 2, tzinfo=datetime.UTC)
LATEST = datetime.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=datetime.UTC)


class DateTimeField(serializers.DateTimeField):
    """DRF's date-time field, for moments every time zone can hold.

    A value without an offset is wall-clock time in the tenant's zone: near either end of the
    calendar (`9999-12-31T23:59:59` west of UTC, `0001-01-01T00:00:00` east of it) it lies outside
    the years 1-9999 once in UTC, where Python cannot represent it (an OverflowError while saving,
    a 500). Such a moment is a 400 on its field. A stored moment outside the range (written
    before this check, or by the admin) is shown in UTC, which can always show it.
    """

    default_error_messages = {
        "out_of_range": "Give a moment between 0001-01-02 and 9999-12-30 (UTC): this one is out of range.",
    }

    def to_internal_value(self, value):
        try:
            moment = super().to_internal_value(value)
        except OverflowError:  # DRF's own check of the zone's offset converts it to UTC
            self.fail("out_of_range")
        if moment.tzinfo is not None and not EARLIEST <= moment <= LATEST:
            self.fail("out_of_range")
        return moment

    def to_representation(self, value):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None and not EARLIEST <= value <= LATEST:
            with timezone.override(datetime.UTC):  # a zone might put it outside the calendar: UTC cannot
                return super().to_representation(value)
        return super().to_representation(value)
