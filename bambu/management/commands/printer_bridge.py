"""`python manage.py printer_bridge`: every tenant's Bambu Lab printers over MQTT, in one process (bambu/bridge.py)."""

import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from bambu.bridge import Bridge, options_from_settings

MAX_POLL_SECONDS = 10.0


class Command(BaseCommand):
    help = (
        "Connect to every connected Bambu Lab printer (all tenants) over MQTT, keep their status and book their "
        "filament use. Run one per deployment; stops on SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--poll-seconds", type=float, default=5.0, help="How often to look for new, changed or deleted connections."
        )
        parser.add_argument(
            "--auth-retry-seconds", type=float, default=120.0, help="How long to wait after a refused access code."
        )
        parser.add_argument(
            "--max-backoff-seconds", type=float, default=60.0, help="The longest wait between reconnection attempts."
        )
        parser.add_argument(
            "--status-interval-seconds",
            type=float,
            default=5.0,
            help="Store a report that changes only temperatures or the time left at most this often "
            "(anything else is stored at once).",
        )

    def handle(self, *args, poll_seconds, auth_retry_seconds, max_backoff_seconds, status_interval_seconds, **options):
        if not 0 < poll_seconds <= MAX_POLL_SECONDS:
            raise CommandError(f"--poll-seconds must be above 0 and at most {MAX_POLL_SECONDS:g}.")
        if auth_retry_seconds <= 0 or max_backoff_seconds <= 0 or status_interval_seconds < 0:
            raise CommandError(
                "--auth-retry-seconds and --max-backoff-seconds must be above 0, intervals not negative."
            )
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        bridge = Bridge(
            options_from_settings(
                poll_seconds=poll_seconds,
                auth_retry_seconds=auth_retry_seconds,
                max_backoff_seconds=max_backoff_seconds,
                status_interval_seconds=status_interval_seconds,
            )
        )
        bridge.run(stop)
