from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework_nested import routers

from bambu.views import PrinterConnectionView, PrinterStatusView
from core.api.docs import RedocView, redoc_bundle
from events.views import EventFeedView, WebhookDeliveryViewSet, WebhookViewSet
from insights.dashboard import dashboard
from insights.metrics import metrics
from inventory.progress import progress_view
from inventory.views import InventoryTransactionViewSet, MaterialViewSet, SpoolViewSet, VendorViewSet
from production.floor_views import PrinterSlotViewSet, QueueViewSet
from production.nested_views import RunHistoryViewSet, RunItemViewSet, RunMaterialViewSet
from production.report_views import (
    CostPerUnitReportView,
    LowStockReportView,
    ReportIndexView,
    UsageReportView,
    VarianceReportView,
)
from production.views import PrinterViewSet, ProductionRunViewSet, ProductViewSet
from spoolman.views import IntegrationKeyViewSet, TenantIntegrationKeyViewSet
from tenants.views import ActiveTenantView, MeView, TokenView, healthz, readyz

PAGE_METHODS = ["get", "head"]


class APIRouter(routers.DefaultRouter):
    """DRF's router, whose API root also lists the paths outside it, so the browsable API reaches them."""

    extra_root_entries = {
        "reports": "report-index",
        "events": "event-feed",
        "me": "me",
        "tenant": "active-tenant",
    }

    def get_api_root_view(self, api_urls=None):
        list_name = self.routes[0].name
        root = {prefix: list_name.format(basename=basename) for prefix, _viewset, basename in self.registry}
        return self.APIRootView.as_view(api_root_dict={**root, **self.extra_root_entries})


router = APIRouter()
router.register("vendors", VendorViewSet, basename="vendor")
router.register("materials", MaterialViewSet, basename="material")
router.register("spools", SpoolViewSet, basename="spool")
router.register("inventory-transactions", InventoryTransactionViewSet, basename="inventory-transaction")
router.register("products", ProductViewSet, basename="product")
router.register("printers", PrinterViewSet, basename="printer")
router.register("production-runs", ProductionRunViewSet, basename="production-run")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("integration-keys", TenantIntegrationKeyViewSet, basename="integration-key")
router.register("queue", QueueViewSet, basename="queue")

runs_router = routers.NestedSimpleRouter(router, "production-runs", lookup="run")
runs_router.register("items", RunItemViewSet, basename="run-item")
runs_router.register("materials", RunMaterialViewSet, basename="run-material")
runs_router.register("history", RunHistoryViewSet, basename="run-history")

webhooks_router = routers.NestedSimpleRouter(router, "webhooks", lookup="webhook")
webhooks_router.register("deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
printers_router = routers.NestedSimpleRouter(router, "printers", lookup="printer")
printers_router.register("integration-keys", IntegrationKeyViewSet, basename="printer-integration-key")
printers_router.register("slots", PrinterSlotViewSet, basename="printer-slot")

api_v1 = [
    path("auth/token/", TokenView.as_view(), name="auth-token"),
    path("me/", MeView.as_view(), name="me"),
    path("tenant/", ActiveTenantView.as_view(), name="active-tenant"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs pages are HTML for GET only: their templates cannot render OPTIONS metadata (a 500).
    # The split view serves Swagger UI's start-up script as a file of its own (`?script`): the
    # Content-Security-Policy runs no inline script without the response's nonce.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", http_method_names=PAGE_METHODS),
        name="swagger-ui",
    ),
    path("redoc/", RedocView.as_view(url_name="schema", http_method_names=PAGE_METHODS), name="redoc"),
    path("redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
    path("reports/", ReportIndexView.as_view(), name="report-index"),
    path("reports/usage/", UsageReportView.as_view(), name="report-usage"),
    path("reports/variance/", VarianceReportView.as_view(), name="report-variance"),
    path("reports/cost-per-unit/", CostPerUnitReportView.as_view(), name="report-cost-per-unit"),
    path("reports/low-stock/", LowStockReportView.as_view(), name="report-low-stock"),
    path("events/", EventFeedView.as_view(), name="event-feed"),
    path("printers/<uuid:printer_id>/connection/", PrinterConnectionView.as_view(), name="printer-connection"),
    path("printers/<uuid:printer_id>/status/", PrinterStatusView.as_view(), name="printer-status"),
    path("", include(router.urls)),
    path("", include(runs_router.urls)),
    path("", include(webhooks_router.urls)),
    path("", include(printers_router.urls)),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/dashboard/", dashboard, name="dashboard"),
    path("admin/progress/<str:key>/", admin.site.admin_view(progress_view), name="progress"),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/v1/", include(api_v1)),
    # The Spoolman-compatible API for printers (spoolman/api.py); its websockets are in config/asgi.py.
    path("", include("spoolman.urls")),
]

# A 400 Django answers itself (a body over DATA_UPLOAD_MAX_MEMORY_SIZE) is JSON on /api/.
handler400 = "core.api.exceptions.bad_request"
