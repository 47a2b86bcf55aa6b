"""The project's URLs plus one plain Django view (no DRF), as a benchmark's floor view is routed.

Used with `@pytest.mark.urls("tests.support.plain_view_urls")`.
"""

from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns
from inventory.models import Spool


def spool_codes(request):
    """Queries a tenant-owned model with no scope of its own: only the request's scope makes it work."""
    return JsonResponse({"codes": list(Spool.objects.order_by("code").values_list("code", flat=True))})


urlpatterns = [*project_urlpatterns, path("plain/spools/", spool_codes)]
