from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


class TenantsConfig(AppConfig):
    name = "tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tenants.authentication import revoke_tokens_on_password_change

        post_save.connect(
            revoke_tokens_on_password_change, sender=settings.AUTH_USER_MODEL, dispatch_uid="revoke_tokens"
        )
