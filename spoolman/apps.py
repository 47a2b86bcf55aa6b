from django.apps import AppConfig


class SpoolmanConfig(AppConfig):
    name = "spoolman"
    verbose_name = "Printer integrations (Spoolman-compatible API)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from spoolman import logs

        logs.attach()
