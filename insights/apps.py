from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """The farm's figures for people and machines: the admin dashboard and `/metrics`."""

    name = "insights"
    verbose_name = "Insights"
