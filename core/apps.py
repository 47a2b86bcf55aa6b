from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom floor: errors and their catalogue, locking, database errors, API plumbing."""

    name = "core"
