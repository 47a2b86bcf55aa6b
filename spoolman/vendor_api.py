"""Spoolman's vendor endpoints under `/spoolman/<key>/api/v1/vendor`: find, get, add, update, delete.

A vendor is our `inventory.Vendor`; its Spoolman id is its per-tenant `number`. Every write goes
through the inventory services (`create_vendor`, `update_vendor`, `delete_vendor`, each recording
its event) as the key's actor, and needs a manage key (a printer key's write is a 403).
Deleting a vendor keeps its filaments, without a vendor, as Spoolman's delete does.
"""

from django.db.models import F, Value
from django.db.models.functions import NullIf

from core.changes import UNSET, Unset
from core.locking import lock_rows
from inventory import services as inventory
from inventory.models import Vendor
from spoolman import inputs, query, shapes
from spoolman.api import answer, body_of, endpoint
from spoolman.catalogue import check_extra_values, with_defaults
from spoolman.errors import SpoolmanError
from spoolman.models import EntityType, ExtraField
from spoolman.services import key_actor


def blank_is_null(column: str):
    """A text column whose "" is Spoolman's NULL, for sorting (NULLs last either way)."""
    return NullIf(F(column), Value(""))


VENDOR_SORT_FIELDS = {
    "id": "number",
    "registered": "created_at",
    "name": "name",
    "comment": blank_is_null("comment"),
    "empty_spool_weight": "empty_spool_weight_g",
    "external_id": blank_is_null("external_id"),
}

VENDORS = query.Listing(
    filters=(
        query.Filter(("name",), query.Text("name", nullable=False)),
        query.Filter(("external_id",), query.Text("external_id")),
    ),
    sort_fields=VENDOR_SORT_FIELDS,
    models={"": "Vendor"},
    tiebreak=("number",),
    extra=(query.ExtraScope("extra.", EntityType.VENDOR.value, "extra"),),
)

# Spoolman's column lengths (its request models' max_length).
NAME_LENGTH, COMMENT_LENGTH, EXTERNAL_ID_LENGTH = 64, 1024, 256


def extra_fields_of(request):
    """The tenant's extra field definitions of an entity, for query.find (read only when used)."""
    tenant_id = request.integration_key.tenant_id
    return lambda entity: ExtraField.objects.filter(tenant_id=tenant_id, entity_type=entity)


def vendor_fields(request) -> list[ExtraField]:
    return list(extra_fields_of(request)(EntityType.VENDOR))


def vendor_by_number(request, vendor_id, *, lock=False) -> Vendor:
    """The key's tenant's vendor of Spoolman id `vendor_id` (locked for a write), else Spoolman's 404."""
    rows = Vendor.objects.for_tenant(request.integration_key.tenant_id).filter(number=vendor_id)
    found = lock_rows(rows) if lock else list(rows)
    if not found:
        raise SpoolmanError(404, f"No vendor with ID {vendor_id} found.")
    return found[0]


@endpoint("GET", "POST", write=True, manage=True)
def vendor_list(request):
    if request.method == "POST":
        return vendor_create(request)
    rows = Vendor.objects.for_tenant(request.integration_key.tenant_id)
    found = query.find(request.GET, rows, VENDORS, extra_fields_of(request))
    return query.paged(request, found, shapes.vendor)


def vendor_create(request):
    data = body_of(request)
    if "name" not in data:
        raise SpoolmanError(422, "name: Field required.")
    name = inputs.text(data, "name", NAME_LENGTH, nullable=False)
    comment = inputs.blank(inputs.text(data, "comment", COMMENT_LENGTH))
    weight = inputs.decimal(data, "empty_spool_weight")
    external_id = inputs.blank(inputs.text(data, "external_id", EXTERNAL_ID_LENGTH))
    extra = inputs.extra(data)
    fields = vendor_fields(request)
    values = inputs.without_nulls(extra or {})
    check_extra_values(fields=fields, values=values)
    vendor = inventory.create_vendor(
        tenant=request.integration_key.tenant,
        user=key_actor(request.integration_key),
        fields=inventory.VendorFields(
            name=name or "",
            comment=comment or "",
            empty_spool_weight_g=None if isinstance(weight, Unset) else weight,
            external_id=external_id or "",
            extra=with_defaults(fields=fields, values=values),
        ),
    )
    return answer(shapes.vendor(vendor))


@endpoint("GET", "PATCH", "DELETE", write=True, manage=True)
def vendor_detail(request, vendor_id):
    if request.method == "PATCH":
        return vendor_update(request, vendor_id)
    if request.method == "DELETE":
        return vendor_delete(request, vendor_id)
    return answer(shapes.vendor(vendor_by_number(request, vendor_id)))


def vendor_update(request, vendor_id):
    data = body_of(request)
    changes = inventory.VendorChanges(
        name=inputs.text(data, "name", NAME_LENGTH, nullable=False),  # type: ignore[arg-type]
        comment=inputs.blank(inputs.text(data, "comment", COMMENT_LENGTH)),
        empty_spool_weight_g=inputs.decimal(data, "empty_spool_weight"),
        external_id=inputs.blank(inputs.text(data, "external_id", EXTERNAL_ID_LENGTH)),
    )
    extra = inputs.extra(data)
    vendor = vendor_by_number(request, vendor_id, lock=True)
    if extra is not UNSET:
        check_extra_values(fields=vendor_fields(request), values=extra)
        changes = inventory.VendorChanges(
            **{**vars(changes), "extra": inputs.merged_extra(vendor.extra, extra)}  # type: ignore[arg-type]
        )
    vendor = inventory.update_vendor(vendor=vendor, user=key_actor(request.integration_key), changes=changes)
    return answer(shapes.vendor(vendor))


def vendor_delete(request, vendor_id):
    vendor = vendor_by_number(request, vendor_id, lock=True)
    inventory.delete_vendor(vendor=vendor, user=key_actor(request.integration_key))
    return answer({"message": "Success!"})
