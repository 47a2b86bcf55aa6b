from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo farm: `manage.py seed_demo`. It owns no models; it writes through the other apps' services."""

    name = "demo"
