"""`/metrics` (issue 11.3): Prometheus text with django-prometheus's HTTP and database figures and
the farm's own, computed at scrape time; a bearer token, or a private client in development."""

from decimal import Decimal

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from events.models import DeliveryStatus, WebhookDelivery
from inventory.services import Adjustment, adjust_spool
from production.services import Completion, cancel_run, complete_run

TOKEN = "scrape-secret-0123456789"


def samples(response):
    """{(sample name, frozenset of labels): value} of an exposition."""
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def scrape(**headers):
    return Client().get("/metrics", **headers)


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def farm(tenant, member, make_material, make_spool, make_run):
    pla = make_material(tenant, name="PLA Basic")
    full, low = make_spool(tenant, pla, code="PLA-1"), make_spool(tenant, pla, code="PLA-2")
    adjust_spool(spool=low, user=member, adjustment=Adjustment(type="count", new_weight_g=Decimal("150.00")))
    completed = make_run(tenant, materials=[{"spool": full, "estimated_model_g": Decimal("100.00")}])
    complete_run(run=completed, user=member, completion=Completion(use_estimates=True))
    cancel_run(run=make_run(tenant, materials=[{"spool": full, "estimated_model_g": Decimal("5.00")}]), user=member)
    make_run(tenant, materials=[{"spool": full, "estimated_model_g": Decimal("5.00")}])
    return pla


def test_a_scrape_without_the_token_is_refused(metrics_token, db):
    assert scrape().status_code == 401
    assert scrape(HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert scrape(HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 401
    assert scrape().headers["WWW-Authenticate"].startswith("Bearer")


def test_the_farm_figures_are_computed_at_scrape_time(metrics_token, farm, tenant, other_tenant):
    figures = samples(scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))
    acme = ("tenant", "acme")
    material = {acme, ("material", "PLA Basic"), ("material_id", str(farm.pk))}

    assert figures[("printfarm_runs", frozenset({acme, ("status", "completed")}))] == 1
    assert figures[("printfarm_runs", frozenset({acme, ("status", "cancelled")}))] == 1
    assert figures[("printfarm_runs", frozenset({acme, ("status", "in_progress")}))] == 1
    assert figures[("printfarm_runs", frozenset({acme, ("status", "failed")}))] == 0
    assert figures[("printfarm_runs", frozenset({("tenant", "globex"), ("status", "completed")}))] == 0
    assert figures[("printfarm_consumed_grams_total", frozenset(material))] == 100.0
    assert figures[("printfarm_low_stock_spools", frozenset(material))] == 1
    # Two purchases, the count, the completion's usage.
    assert figures[("printfarm_ledger_rows_total", frozenset({acme, ("type", "purchase")}))] == 2
    assert figures[("printfarm_ledger_rows_total", frozenset({acme, ("type", "count")}))] == 1
    assert figures[("printfarm_ledger_rows_total", frozenset({acme, ("type", "usage")}))] == 1


def test_webhook_deliveries_are_counted_by_status(metrics_token, farm, tenant, other_tenant, make_delivery):
    # The farm's writes recorded events; one delivery of the first, then failed (given up), one pending.
    WebhookDelivery.objects.filter(pk=make_delivery(tenant).pk).update(status=DeliveryStatus.FAILED)
    make_delivery(tenant)

    figures = samples(scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))

    def deliveries(slug, status):
        return figures[("printfarm_webhook_deliveries", frozenset({("tenant", slug), ("status", status)}))]

    assert deliveries("acme", "failed") == 1
    assert deliveries("acme", "pending") == 1
    assert deliveries("acme", "delivered") == 0
    assert deliveries("globex", "failed") == 0


def test_the_figures_follow_the_ledger_between_scrapes(metrics_token, farm, tenant, member, make_spool):
    key = ("printfarm_ledger_rows_total", frozenset({("tenant", "acme"), ("type", "purchase")}))
    before = samples(scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))[key]

    make_spool(tenant, farm, code="PLA-3")

    assert samples(scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))[key] == before + 1


def test_http_and_database_figures_come_from_django_prometheus(metrics_token, db):
    Client().get("/healthz")
    figures = samples(scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))
    names = {name for name, _ in figures}

    assert "django_http_requests_total_by_method_total" in names
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in names
    assert "django_db_execute_total" in names


def test_each_request_counts_once_in_each_of_its_labelled_series(metrics_token, db):
    by_view = (
        "django_http_responses_total_by_status_view_method_total",
        {"status": "200", "view": "healthz", "method": "GET"},
    )
    by_method = ("django_http_requests_total_by_method_total", {"method": "GET"})
    latency = ("django_http_requests_latency_seconds_by_view_method_count", {"view": "healthz", "method": "GET"})
    series = [(name, frozenset(labels.items())) for name, labels in (by_view, by_method, latency)]
    Client().get("/healthz")
    before = samples(scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))

    for _ in range(3):
        Client().get("/healthz")
    after = samples(scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}"))

    # The scrape between them is a GET too.
    assert [after[key] - before[key] for key in series] == [3, 4, 3]


def test_without_a_token_development_serves_private_clients_only(settings, db):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = True

    assert scrape(REMOTE_ADDR="127.0.0.1").status_code == 200
    assert scrape(REMOTE_ADDR="10.1.2.3").status_code == 200
    assert scrape(REMOTE_ADDR="93.184.216.34").status_code == 404


def test_without_a_token_production_serves_nobody(settings, db):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False

    assert scrape(REMOTE_ADDR="127.0.0.1").status_code == 404


def test_the_farm_figures_cost_four_queries_a_tenant(metrics_token, farm, other_tenant, django_assert_max_num_queries):
    # One for the tenants, then runs by status, usage by material, low stock and ledger rows per tenant,
    # and one for the webhook deliveries of all of them.
    with django_assert_max_num_queries(1 + 4 * 2 + 1):
        response = scrape(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
