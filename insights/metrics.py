"""`/metrics`: Prometheus exposition of the process (django-prometheus: HTTP and database
figures) and of the farm, computed at scrape time from the same selectors as the reports
and the admin dashboard.

Domain families (one sample per tenant and label, read when scraped, never kept in the process,
so every worker answers the same figures):

- `printfarm_runs{tenant,status}` (gauge): runs that are not soft-deleted, per status.
- `printfarm_consumed_grams_total{tenant,material,material_id}` (counter): grams consumed per material
  (the ledger's usage and waste rows that no reversal undid, as `reports/usage/` counts them).
- `printfarm_low_stock_spools{tenant,material,material_id}` (gauge): active spools below their
  material's low-stock threshold, as `reports/low-stock/` lists them.
- `printfarm_ledger_rows_total{tenant,type}` (counter): ledger rows written (the ledger is
  append-only).
- `printfarm_webhook_deliveries{tenant,status}` (gauge): webhook deliveries by status: `pending`
  (being retried), `delivered`, `failed` (given up after the retry window). A gauge, not a
  counter: deleting a webhook deletes its deliveries.

Access: with `METRICS_TOKEN` set, `Authorization: Bearer <METRICS_TOKEN>` (else 401); without
it, only with `DEBUG=1` and only to a loopback or private client address (else 404).
"""

import hmac
import ipaddress
import os

import prometheus_client
from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.http import require_GET
from prometheus_client import multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from events.models import DeliveryStatus, WebhookDelivery
from inventory.selectors import ledger_rows_by_type, low_stock_report
from production.selectors import DayRange, runs_by_status, usage_report
from tenants.models import Tenant
from tenants.scoping import all_tenants


def webhook_deliveries_by_status():
    """{(tenant id, status): deliveries} over every tenant, in one query."""
    rows = WebhookDelivery.objects.order_by().values_list("tenant", "status").annotate(count=Count("pk"))
    return {(tenant, status): count for tenant, status, count in rows}


class FarmCollector:
    """The domain families, collected per tenant through the report selectors (4 queries a tenant), and
    the webhook deliveries of every tenant in one query."""

    def collect(self):
        runs = GaugeMetricFamily("printfarm_runs", "Production runs by status.", labels=["tenant", "status"])
        consumed = CounterMetricFamily(
            "printfarm_consumed_grams",
            "Grams of filament consumed (usage and waste, net of reversals), by material.",
            labels=["tenant", "material", "material_id"],
        )
        low = GaugeMetricFamily(
            "printfarm_low_stock_spools",
            "Active spools below their material's low-stock threshold.",
            labels=["tenant", "material", "material_id"],
        )
        ledger = CounterMetricFamily(
            "printfarm_ledger_rows", "Inventory ledger rows written, by type.", labels=["tenant", "type"]
        )
        deliveries = GaugeMetricFamily(
            "printfarm_webhook_deliveries",
            "Webhook deliveries by status (failed: given up after the retry window).",
            labels=["tenant", "status"],
        )
        with all_tenants():
            tenants = list(Tenant.objects.order_by("slug"))
            for tenant in tenants:
                for status, count in runs_by_status(tenant=tenant).items():
                    runs.add_metric([tenant.slug, status], count)
                for row in usage_report(tenant=tenant, days=DayRange.ever(), group_by="material"):
                    consumed.add_metric([tenant.slug, row.name, str(row.id)], float(row.grams))
                for entry in low_stock_report(tenant=tenant):
                    low.add_metric([tenant.slug, entry.material.name, str(entry.material.pk)], len(entry.spools))
                for kind, count in ledger_rows_by_type(tenant=tenant).items():
                    ledger.add_metric([tenant.slug, kind], count)
            counts = webhook_deliveries_by_status()
            for tenant in tenants:
                for status in DeliveryStatus.values:
                    deliveries.add_metric([tenant.slug, status], counts.get((tenant.pk, status), 0))
        yield from (runs, consumed, low, ledger, deliveries)

    def describe(self):
        # Nothing to describe up front: `collect()` queries the database, which registration must not do.
        return []


def process_registry():
    """The HTTP and database figures: this process's, or with gunicorn's several workers
    (`PROMETHEUS_MULTIPROC_DIR` set) every worker's, merged from their files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


def farm_registry():
    registry = prometheus_client.CollectorRegistry(auto_describe=False)
    registry.register(FarmCollector())
    return registry


def private_client(request):
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def authorized(request):
    """None when the scrape may go on, else the refusal to answer."""
    token = settings.METRICS_TOKEN
    if not token:
        if settings.DEBUG and private_client(request):
            return None
        return HttpResponseNotFound("Not found.", content_type="text/plain")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    response = HttpResponse("A valid bearer token is required.\n", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@require_GET
def metrics(request):
    refusal = authorized(request)
    if refusal is not None:
        return refusal
    # The classic text format (0.0.4), which generate_latest writes and every Prometheus reads.
    body = prometheus_client.generate_latest(process_registry()) + prometheus_client.generate_latest(farm_registry())
    return HttpResponse(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)
