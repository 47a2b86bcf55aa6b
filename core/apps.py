from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom floor: errors and their catalogue, locking, database errors, API plumbing."""

    name = "core"

    def ready(self):
        from django.db import models
        from rest_framework.serializers import ModelSerializer

        from core.api.fields import DateTimeField

        # Every ModelSerializer's date-time field (a run's `started_at`, and each added later) is the
        # project's, which refuses a moment outside what every time zone can hold (core/api/fields.py).
        ModelSerializer.serializer_field_mapping[models.DateTimeField] = DateTimeField
