"""Spoolman's extra field definitions under the key: `field/{entity_type}`, `field/{entity_type}/{key}`,
`field/{entity_type}/{key}/values`.

- `GET field/{entity_type}`: the entity type's definitions (Spoolman's `ExtraField`, unset members left out).
- `POST field/{entity_type}/{key}`: add the field, or change the one of that key
  (spoolman.catalogue.define_field, with its refusals: Spoolman's 400 messages); the answer is the
  entity type's definitions after the change.
- `DELETE field/{entity_type}/{key}`: remove it and clear its values from every entity of the type
  (catalogue.delete_field); an unknown key is Spoolman's 404. The answer is the definitions left.
- `GET field/{entity_type}/{key}/values`: the distinct non-empty values the tenant's entities hold
  for a scalar field (text, choice, datetime), sorted, as Spoolman's filter option lists read them.

Every key reads them. A definition is the tenant's schema for its catalogue, and a change can erase
values of every entity (a deleted field, a dropped choice is refused but a deleted field is not), so
the writes need an admin's or owner's manage key (`manage=Role.ADMIN`): SPEC section 2 gives deletes
of catalogue records to admins and owners, and a member's manage key reads the definitions but may
not change them (403, Spoolman's shape, nothing written).

A body or path of the wrong JSON type or pattern (Spoolman's request models refuse them: 422) is
refused here, before the service is called.
"""

import json
from typing import Any

from inventory.models import Material, Spool, Vendor
from spoolman import catalogue
from spoolman.api import answer, endpoint
from spoolman.errors import SpoolmanError
from spoolman.models import EntityType, FieldType
from tenants.models import Role

MAX_BODY = 2**18  # a definition: a name, a unit, up to a default of 65,535 characters (JSON-escaped) and choices


def entity_type_of(value: str) -> EntityType:
    try:
        return EntityType(value)
    except ValueError:
        raise SpoolmanError(422, f"Unknown entity type {value!r}: one of {', '.join(EntityType.values)}.") from None


def key_of(value: str) -> str:
    if not catalogue.KEY_PATTERN.match(value):
        raise SpoolmanError(422, "The field key must be 1 to 64 characters of a-z, 0-9 and _.")
    return value


def json_body(request, *, limit: int) -> Any:
    """The request's JSON (ints as int, floats as float, as Spoolman's models read them); bad JSON: 422."""
    if len(request.body) > limit:
        raise SpoolmanError(413, "The body is too large.")
    try:
        return json.loads(request.body, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise SpoolmanError(422, "The body is not valid JSON.") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def shapes_of(tenant, entity_type: EntityType) -> list[dict[str, Any]]:
    return [catalogue.field_shape(field) for field in catalogue.fields_of(tenant=tenant, entity_type=entity_type)]


@endpoint("GET")
def field_list(request, entity_type):
    return answer(shapes_of(request.integration_key.tenant, entity_type_of(entity_type)))


@endpoint("POST", "DELETE", write=True, manage=Role.ADMIN)
def field_detail(request, entity_type, field_key):
    entity = entity_type_of(entity_type)
    key = key_of(field_key)
    integration = request.integration_key
    tenant, actor = integration.tenant, integration.created_by
    if request.method == "DELETE":
        catalogue.delete_field(tenant=tenant, user=actor, entity_type=entity, key=key)
    else:
        definition = definition_of(json_body(request, limit=MAX_BODY), entity, key)
        catalogue.define_field(tenant=tenant, user=actor, definition=definition)
    return answer(shapes_of(tenant, entity))


def definition_of(data: Any, entity: EntityType, key: str) -> catalogue.FieldDefinition:
    """Spoolman's `ExtraFieldParameters` from a body: a member of the wrong type or length is a 422."""
    if not isinstance(data, dict):
        raise SpoolmanError(422, "The body must be a JSON object.")
    name = data.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= catalogue.MAX_NAME_LENGTH:
        raise SpoolmanError(422, f"name must be a string of 1 to {catalogue.MAX_NAME_LENGTH} characters.")
    order = data.get("order", 0)
    if isinstance(order, bool) or not isinstance(order, int):
        raise SpoolmanError(422, "order must be an integer.")
    unit = data.get("unit")
    if unit is not None and (not isinstance(unit, str) or not 1 <= len(unit) <= catalogue.MAX_UNIT_LENGTH):
        raise SpoolmanError(422, f"unit must be a string of 1 to {catalogue.MAX_UNIT_LENGTH} characters, or null.")
    field_type = data.get("field_type")
    if field_type not in FieldType.values:
        raise SpoolmanError(422, f"field_type must be one of {', '.join(FieldType.values)}.")
    default_value = data.get("default_value")
    if default_value is not None and not isinstance(default_value, str):
        raise SpoolmanError(422, "default_value must be a string (the value's JSON text), or null.")
    choices = data.get("choices")
    if choices is not None and (
        not isinstance(choices, list) or not choices or not all(isinstance(choice, str) for choice in choices)
    ):
        raise SpoolmanError(422, "choices must be a non-empty list of strings, or null.")
    multi_choice = data.get("multi_choice")
    if multi_choice is not None and not isinstance(multi_choice, bool):
        raise SpoolmanError(422, "multi_choice must be a boolean, or null.")
    return catalogue.FieldDefinition(
        entity_type=entity,
        key=key,
        name=name,
        field_type=FieldType(field_type),
        order=order,
        unit=unit,
        default_value=default_value,
        choices=choices,
        multi_choice=multi_choice,
    )


ENTITY_MODELS = {EntityType.VENDOR: Vendor, EntityType.FILAMENT: Material, EntityType.SPOOL: Spool}


@endpoint("GET")
def field_values(request, entity_type, field_key):
    """The distinct values (decoded from their JSON text) the tenant's entities hold for the field."""
    entity = entity_type_of(entity_type)
    key = key_of(field_key)
    tenant = request.integration_key.tenant
    if not any(field.key == key for field in catalogue.fields_of(tenant=tenant, entity_type=entity)):
        raise SpoolmanError(404, f"No extra field with key '{key}'.")
    rows = ENTITY_MODELS[entity].objects.for_tenant(tenant).filter(extra__has_key=key)
    if entity != EntityType.VENDOR:  # spools and filaments deleted here while kept for the ledger are gone
        rows = rows.filter(removed_at__isnull=True)
    values = set()
    # The whole `extra`: a key transform's text differs by database (SQLite's is decoded once more).
    for extra in rows.values_list("extra", flat=True).order_by():
        value = decoded(extra.get(key))
        if value:
            values.add(value)
    return answer(sorted(values))


def decoded(text: Any) -> str | None:
    """A stored value's scalar as text: a JSON string's content, a number's or boolean's JSON; else None."""
    if not isinstance(text, str):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None
