"""`python manage.py rotate_printer_credentials`: re-encrypt printers' access codes with the first key."""

from django.core.management.base import BaseCommand, CommandError

from bambu import credentials, services
from tenants.scoping import all_tenants


class Command(BaseCommand):
    help = (
        "Re-encrypt every printer's stored access code with the first key of PRINTER_CREDENTIAL_KEYS (the others "
        "must still decrypt them). Run after putting a new key first; then the old keys may be dropped."
    )

    def handle(self, *args, **options):
        try:
            with all_tenants():
                count = services.rotate_credentials()
        except credentials.UndecryptableCredential as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Re-encrypted {count} access code(s) with the first key.")
