from django.apps import AppConfig


class BambuConfig(AppConfig):
    name = "bambu"
    verbose_name = "Bambu Lab printers (LAN, MQTT)"
    default_auto_field = "django.db.models.BigAutoField"
