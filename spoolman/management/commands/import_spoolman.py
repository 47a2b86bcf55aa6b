"""`python manage.py import_spoolman URL --tenant SLUG`: copy a Spoolman server into a tenant.

The work is spoolman/importer.py's (through the services, idempotent, in one transaction); this
command reads its options, shows the progress bar and reports what it did.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from inventory.progress import ProgressLine
from spoolman.importer import DEFAULT_TIMEOUT_S, ImportRefused, Source, SourceError, import_spoolman, source_name
from tenants.models import Membership, Role, Tenant
from tenants.scoping import all_tenants

# Who may be named as the import's actor: it creates vendors, materials and spools and adjusts weights.
IMPORTERS = (Role.ADMIN, Role.OWNER)


class Command(BaseCommand):
    help = (
        "Copy a Spoolman server's extra field definitions, vendors, filaments and spools (archived ones too) "
        "into a tenant, each spool with its ledger (its initial weight, then an adjustment to its remaining "
        "weight). A second run of the same server copies only what is new there."
    )

    def add_arguments(self, parser):
        parser.add_argument("url", help="the Spoolman server's root, e.g. http://spoolman.local:7912")
        parser.add_argument("--tenant", required=True, help="the slug of the tenant to import into")
        parser.add_argument("--dry-run", action="store_true", help="read and check everything, write nothing")
        parser.add_argument(
            "--user", help="the admin or owner of the tenant the rows and ledger record as the actor (default: none)"
        )
        parser.add_argument(
            "--source",
            help="the name the imported rows are remembered under (default: the URL, without credentials or a "
            "key's secret); give the same one to import a server again after its URL changed",
        )
        parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds to wait per request")

    @all_tenants()  # a command spans tenants: it runs in the escape hatch (tenants/scoping.py)
    def handle(self, *args, url, tenant, dry_run, user, source, timeout, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant with slug {tenant!r}.")
        actor = self.actor(found, user) if user else None
        try:
            origin = Source(url=url, name=source or source_name(url), timeout_s=timeout)
            progress = ProgressLine(self.stdout, f"importing {origin.name}")
            report = import_spoolman(tenant=found, user=actor, source=origin, dry_run=dry_run, progress=progress)
            progress.end()
        except (SourceError, ImportRefused) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Spoolman {report.version} at {report.source} into {found.slug}:")
        for label, tally in (
            ("extra fields", report.fields),
            ("vendors", report.vendors),
            ("filaments", report.filaments),
            ("spools", report.spools),
        ):
            line = f"  {label}: {tally.created} {'to create' if dry_run else 'created'}, {tally.unchanged} unchanged"
            self.stdout.write(line + (f", {len(tally.skipped)} skipped" if tally.skipped else ""))
            for reason in tally.skipped:
                self.stdout.write(self.style.WARNING(f"    skipped {reason}"))
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        elif not report.changed:
            self.stdout.write(self.style.SUCCESS("Nothing new: everything was imported before."))
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))

    def actor(self, tenant, username):
        user = get_user_model().objects.filter(username=username).first()
        role = Membership.objects.filter(tenant=tenant, user=user).values_list("role", flat=True).first()
        if user is None or role not in IMPORTERS:
            raise CommandError(f"{username!r} is not an admin or owner of {tenant.slug}.")
        return user
