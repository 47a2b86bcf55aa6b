"""The spool endpoints' floor over HTTP: their SQL in bare Django views, behind the project's own middleware.

`bench/compare.sh` routes these in a throwaway copy of the project (never in the served
project): the middleware resolves the token and enters the tenant's scope and row-security
transaction for them as for every API view, so `empty` is the request path alone, `spools`
and `spool_detail` add only their queries and JSON, and the API's own figures add the
framework. The same statements as ../shared/bench/floor.py, so both scripts' floors agree.
"""

from django.http import JsonResponse

from inventory.models import Spool

FIELDS = (
    "id", "number", "code", "material_id", "material__name", "material__kind", "material__color_name",
    "material__color_hex", "initial_weight_g", "current_weight_g", "empty_spool_weight_g", "purchase_price",
    "purchased_at", "supplier", "location", "is_active", "created_at", "updated_at",
)  # fmt: skip
DECIMALS = ("initial_weight_g", "current_weight_g", "empty_spool_weight_g", "purchase_price")


def _plain(row):
    for name in DECIMALS:
        row[name] = None if row[name] is None else f"{row[name]:.2f}"
    return row


def empty(request):
    return JsonResponse({"tenant": str(request.tenant.pk)})


def spools(request):
    spools = Spool.objects.order_by("code", "id")  # the middleware's tenant scope filters it
    rows = [_plain(row) for row in spools.values(*FIELDS)[:20]]
    return JsonResponse({"count": spools.count(), "next": None, "previous": None, "results": rows})


def spool_detail(request, pk):
    return JsonResponse(_plain(Spool.objects.filter(pk=pk).values(*FIELDS).get()))
