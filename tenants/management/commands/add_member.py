from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.management.commands.create_tenant import format_errors
from tenants.models import Role, Tenant
from tenants.scoping import all_tenants
from tenants.services import add_member


class Command(BaseCommand):
    help = "Add a user to a tenant with a role; creates the user when missing, changes the role when present."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"one of {', '.join(Role.values)}")
        parser.add_argument("--password", help="sets the password (new users without one cannot log in)")

    @all_tenants()  # a command spans tenants: it runs in the escape hatch (tenants/scoping.py)
    def handle(self, *args, slug, username, role, password, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {slug!r}.")
        try:
            membership, created = add_member(tenant=tenant, username=username, role=role, password=password)
        except ValidationError as error:
            raise CommandError(format_errors(error)) from error
        verb = "Added" if created else "Updated"
        self.stdout.write(f"{verb} {membership.user.username} in {tenant.slug} as {membership.role}.")
