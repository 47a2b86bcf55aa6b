from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.scoping import all_tenants
from tenants.services import create_tenant


class Command(BaseCommand):
    help = "Create a tenant, or update its name, prefix and time zone (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--prefix", required=True, help="2-10 upper-case letters or digits, used in run numbers")
        parser.add_argument("--timezone", default="UTC", help="IANA name, e.g. Europe/Berlin (default UTC)")

    @all_tenants()  # a command spans tenants: it runs in the escape hatch (tenants/scoping.py)
    def handle(self, *args, slug, name, prefix, timezone, **options):
        try:
            tenant, created = create_tenant(slug=slug, name=name, run_prefix=prefix, timezone=timezone)
        except ValidationError as error:
            raise CommandError(format_errors(error)) from error
        self.stdout.write(f"{'Created' if created else 'Updated'} tenant {tenant.slug} ({tenant.name}).")


def format_errors(error):
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)
