"""`python manage.py seed_demo`: demo tenants, logins and 60 days of print-farm history.

The farms are described in demo/catalog.py and built by demo/seed.py through the services
the API uses; this command only chooses what to seed and reports it.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from demo.catalog import DEMO, DEMO_PASSWORD, PLANS, STAFF_USERNAME
from demo.seed import ensure_staff_user, seed_farm
from inventory.models import Spool
from inventory.progress import ProgressLine
from production.models import Printer, ProductionRun, RunStatus
from tenants.models import Membership, Tenant
from tenants.scoping import all_tenants


class Command(BaseCommand):
    help = (
        "Fill the database with demo tenants, logins for every role and 60 days of production history. "
        "Does nothing when the demo tenant already exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="seed only when the database has no tenant")
        parser.add_argument("--seed", type=int, default=2024, help="random seed of the simulated history")
        parser.add_argument("--print-password", action="store_true", help="print the demo password and exit")

    @all_tenants()  # a command spans tenants: it runs in the escape hatch (tenants/scoping.py)
    def handle(self, *args, if_empty, seed, print_password, **options):
        if print_password:
            self.stdout.write(DEMO_PASSWORD)
            return
        if if_empty and Tenant.objects.exists():
            self.stdout.write("The database already has tenants; seed_demo --if-empty changed nothing.")
            self.print_logins()
            return
        if Tenant.objects.filter(slug=DEMO.slug).exists():
            self.stdout.write(f"The demo tenant {DEMO.slug!r} already exists; nothing changed.")
            self.print_logins()
            return
        now = timezone.now()
        with transaction.atomic():
            for plan in PLANS:
                if Tenant.objects.filter(slug=plan.slug).exists():
                    self.stdout.write(f"Tenant {plan.slug!r} already exists; left as it is.")
                    continue
                progress = ProgressLine(self.stdout, f"seeding {plan.slug}")
                tenant = seed_farm(plan, seed=seed, now=now, progress=progress)
                progress.end()
                self.print_summary(tenant)
            ensure_staff_user()
        self.print_logins()

    def print_summary(self, tenant):
        statuses = ProductionRun.objects.for_tenant(tenant).values_list("status", flat=True)
        counts = {status: 0 for status in RunStatus.values}
        for status in statuses:
            counts[status] += 1
        spools = Spool.objects.for_tenant(tenant).count()
        printers = Printer.objects.for_tenant(tenant).count()
        runs_line = ", ".join(f"{count} {status}" for status, count in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {tenant.name} ({tenant.slug}): {printers} printers, {spools} spools, ")
            + f"{sum(counts.values())} runs ({runs_line})."
        )

    def print_logins(self):
        usernames = list(dict.fromkeys([name for plan in PLANS for name, _ in plan.logins] + [STAFF_USERNAME]))
        users = {user.username: user for user in get_user_model().objects.filter(username__in=usernames)}
        if not users:
            return
        memberships = Membership.objects.filter(user__in=users.values()).select_related("user", "tenant")
        roles = {}
        for membership in memberships.order_by("tenant__slug"):
            roles.setdefault(membership.user.username, []).append(f"{membership.role} of {membership.tenant.slug}")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for username in usernames:
            if username not in users:
                continue
            if username == STAFF_USERNAME:
                what = "staff superuser, for /admin/"
            else:
                what = ", ".join(roles.get(username, [])) or "no tenant"
                if len(roles.get(username, [])) > 1:
                    what += " (choose with X-Tenant or ?tenant=)"
            self.stdout.write(f"  {username:<14} {what}")
