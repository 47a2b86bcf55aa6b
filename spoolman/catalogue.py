"""Spoolman's catalogue of a tenant: its extra field definitions and its settings, validated as Spoolman does.

Spoolman keeps both as settings (its extra fields are the JSON arrays of the settings
`extra_fields_vendor`, `extra_fields_filament` and `extra_fields_spool`). Here a definition is
a row (`spoolman.models.ExtraField`), and those three settings are read from and written to
the rows, so the two paths Spoolman offers (`field/{entity}/{key}` and `setting/extra_fields_*`)
agree. Every other setting is a `Setting` row while it is set, its default (`SETTINGS`,
Spoolman's registry) while not.

Writes: `define_field`, `delete_field`, `set_setting` (each records its event: `field.created`,
`field.updated`, `field.deleted`, `setting.updated`, `setting.deleted`, by the user). Reads:
`fields_of`, `field_shape`, `setting_of`, `all_settings`, and for the entities' services
`check_extra_values` and `with_defaults`. Refusals are `InvalidInput` (Spoolman's 400, with its
messages) and `NotFound` (its 404). A body of the wrong JSON type (Spoolman's 422, raised by its
request models) is for the HTTP layer to refuse before it calls a service; the services refuse
it too, as a 400.
"""

import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import Conflict, ErrorCode, InvalidInput, NotFound
from core.locking import lock_rows, write_step
from events.services import NewEvent, record_events
from spoolman.models import EntityType, ExtraField, FieldType, Setting
from tenants.contracts import Actor
from tenants.models import Tenant

# Spoolman's bounds: a setting's or an extra value's JSON text, a definition's strings, the
# number of fields per entity.
MAX_VALUE_LENGTH = 2**16 - 1
MAX_FIELDS_PER_ENTITY = 128
KEY_PATTERN = re.compile(r"^[a-z0-9_]{1,64}$")
MAX_NAME_LENGTH = 128
MAX_UNIT_LENGTH = 16
ORDER_RANGE = (-(2**31), 2**31 - 1)  # the column's; Spoolman's order is any integer


# --- settings: Spoolman's registry -----------------------------------------------------------


class SettingType(StrEnum):
    BOOLEAN = "boolean"
    NUMBER = "number"
    STRING = "string"
    ARRAY = "array"
    OBJECT = "object"


@dataclass(frozen=True)
class SettingDefinition:
    """A setting Spoolman knows: its JSON type and its default (JSON text, as Spoolman answers it)."""

    key: str
    type: SettingType
    default: str


# Spoolman 0.26's `SETTINGS` (spoolman/settings.py): names, types and defaults.
SETTINGS: dict[str, SettingDefinition] = {
    definition.key: definition
    for definition in (
        SettingDefinition("currency", SettingType.STRING, '"EUR"'),
        SettingDefinition("round_prices", SettingType.BOOLEAN, "false"),
        SettingDefinition("print_presets", SettingType.ARRAY, "[]"),
        SettingDefinition("label_designs", SettingType.ARRAY, "[]"),
        SettingDefinition("extra_fields_vendor", SettingType.ARRAY, "[]"),
        SettingDefinition("extra_fields_filament", SettingType.ARRAY, "[]"),
        SettingDefinition("extra_fields_spool", SettingType.ARRAY, "[]"),
        SettingDefinition("base_url", SettingType.STRING, '""'),
        SettingDefinition("locations", SettingType.ARRAY, "[]"),
        SettingDefinition("locations_spoolorders", SettingType.OBJECT, "{}"),
        SettingDefinition("dashboard_groups", SettingType.OBJECT, "{}"),
        SettingDefinition("dashboard_spoolorders", SettingType.OBJECT, "{}"),
    )
}
# The settings that are the extra field definitions of an entity.
FIELDS_SETTING_PREFIX = "extra_fields_"
JSON_TYPES: dict[SettingType, tuple[type, ...]] = {
    SettingType.BOOLEAN: (bool,),
    SettingType.NUMBER: (int, float),
    SettingType.STRING: (str,),
    SettingType.ARRAY: (list,),
    SettingType.OBJECT: (dict,),
}
TYPE_WORDS = {
    SettingType.BOOLEAN: "a boolean",
    SettingType.NUMBER: "a number",
    SettingType.STRING: "a string",
    SettingType.ARRAY: "an array",
    SettingType.OBJECT: "an object",
}


@dataclass(frozen=True, kw_only=True)
class SettingValue:
    """A setting as Spoolman answers it: `value` (JSON text: the set value, else the default)."""

    key: str
    value: str
    is_set: bool
    type: SettingType

    def shape(self) -> dict[str, Any]:
        """Spoolman's `SettingResponse`."""
        return {"value": self.value, "is_set": self.is_set, "type": self.type.value}


@dataclass(frozen=True, kw_only=True)
class SettingChange:
    """Set `key` to `value` (JSON text of its type), or unset it (`value` None: it has its default again).

    Spoolman unsets on an empty body or `null`: the HTTP layer passes None for both.
    """

    key: str
    value: str | None


def definition_of(key: str) -> SettingDefinition:
    definition = SETTINGS.get(key)
    if definition is None:
        raise NotFound(f"Setting {key} does not exist.")
    return definition


def fields_setting_entity(key: str) -> EntityType | None:
    """The entity whose extra field definitions the setting `key` is (`extra_fields_spool`: spool), else None."""
    if key.startswith(FIELDS_SETTING_PREFIX) and key in SETTINGS:
        return EntityType(key.removeprefix(FIELDS_SETTING_PREFIX))
    return None


def setting_id(tenant: Tenant | uuid.UUID, key: str) -> uuid.UUID:
    """A setting's id, the same whenever it is set again: its events name one resource."""
    tenant_id = tenant.pk if isinstance(tenant, Tenant) else tenant
    return uuid.uuid5(tenant_id, f"setting:{key}")


def setting_of(*, tenant: Tenant, key: str) -> SettingValue:
    """The setting `key` of the tenant (its default when not set); an unknown key is a NotFound."""
    definition = definition_of(key)
    entity = fields_setting_entity(key)
    if entity is not None:
        return _fields_setting(definition, fields_of(tenant=tenant, entity_type=entity))
    row = Setting.objects.filter(tenant=tenant, key=key).first()
    return _value(definition, row.value if row is not None else None)


def all_settings(*, tenant: Tenant) -> dict[str, SettingValue]:
    """Every setting Spoolman knows, set or not, in its registry's order (two statements)."""
    stored = dict(Setting.objects.filter(tenant=tenant, key__in=list(SETTINGS)).values_list("key", "value"))
    fields: dict[str, list[ExtraField]] = {entity.value: [] for entity in EntityType}
    for field in ExtraField.objects.filter(tenant=tenant):
        fields[field.entity_type].append(field)
    answer = {}
    for key, definition in SETTINGS.items():
        entity = fields_setting_entity(key)
        if entity is not None:
            answer[key] = _fields_setting(definition, fields[entity.value])
        else:
            answer[key] = _value(definition, stored.get(key))
    return answer


def _value(definition: SettingDefinition, stored: str | None) -> SettingValue:
    return SettingValue(
        key=definition.key,
        value=stored if stored is not None else definition.default,
        is_set=stored is not None,
        type=definition.type,
    )


def _fields_setting(definition: SettingDefinition, fields: list[ExtraField]) -> SettingValue:
    """An `extra_fields_*` setting, from its rows: set while the entity has a field, as Spoolman's array."""
    if not fields:
        return _value(definition, None)
    return _value(definition, json.dumps([field_shape(field, with_nulls=True) for field in fields]))


def set_setting(*, tenant: Tenant, user: Actor, change: SettingChange) -> SettingValue:
    """Set or unset one setting (Spoolman's `POST setting/{key}`), and record `setting.updated` or
    `setting.deleted` with the setting as Spoolman's websocket shows it (`{"key", "setting"}`).

    The value must be JSON of the setting's type, at most 65,535 characters. An `extra_fields_*`
    setting replaces the entity's field definitions (each validated as `define_field` does; the
    values of fields it drops are cleared from the entities); unset, it removes them all.
    Unsetting a setting that is not set changes nothing and records nothing.
    """
    definition = definition_of(change.key)
    if change.value is not None:
        _check_setting_value(definition, change.value)
    entity = fields_setting_entity(change.key)
    with write_step():
        if entity is not None:
            drafts = [] if change.value is None else _drafts_of_setting(definition, entity, change.value)
            changed = _replace_fields(tenant, user, entity, drafts)
            value = setting_of(tenant=tenant, key=change.key)
            if changed:
                _record_setting(tenant, user, value)
            return value
        if change.value is None:
            deleted, _ = Setting.objects.filter(tenant=tenant, key=change.key).delete()
            value = _value(definition, None)
            if deleted:
                _record_setting(tenant, user, value)
            return value
        # One statement, whoever sets it at the same moment: the last write wins, as in Spoolman.
        Setting.objects.bulk_create(
            [
                Setting(
                    id=setting_id(tenant, change.key),
                    tenant=tenant,
                    key=change.key,
                    value=change.value,
                    last_updated=timezone.now().replace(microsecond=0),
                )
            ],
            update_conflicts=True,
            unique_fields=["tenant", "key"],
            update_fields=["value", "last_updated"],
        )
        value = _value(definition, change.value)
        _record_setting(tenant, user, value)
        return value


def _check_setting_value(definition: SettingDefinition, value: str) -> None:
    data = _json(value, f"Setting {definition.key} is not valid JSON.")
    wanted = JSON_TYPES[definition.type]
    if not isinstance(data, wanted) or (isinstance(data, bool) and bool not in wanted):
        raise InvalidInput(f"Setting {definition.key} must be {TYPE_WORDS[definition.type]}.")
    if len(value) > MAX_VALUE_LENGTH:
        raise InvalidInput(f"Setting value is too big, max size is {MAX_VALUE_LENGTH} characters.")


def _json(text: str, message: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidInput(message) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python reads them, JSON has none


def _record_setting(tenant: Tenant, user: Actor, value: SettingValue) -> None:
    event_type = "setting.updated" if value.is_set else "setting.deleted"
    payload = {"key": value.key, "setting": value.shape()}
    record_events(tenant=tenant, actor=user, events=[NewEvent(event_type, setting_id(tenant, value.key), payload)])


# --- extra fields -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class FieldDefinition:
    """An extra field to add, or to change (Spoolman's `POST field/{entity_type}/{key}` body and path).

    `default_value`: JSON text of a value of the field's type, or None. `choices` and
    `multi_choice` are given for a `choice` field, and only for one.
    """

    entity_type: EntityType
    key: str
    name: str
    field_type: FieldType
    order: int = 0
    unit: str | None = None
    default_value: str | None = None
    choices: list[str] | None = None
    multi_choice: bool | None = None


def fields_of(*, tenant: Tenant, entity_type: EntityType) -> list[ExtraField]:
    """The entity type's extra fields (by `order`, then key)."""
    return list(ExtraField.objects.filter(tenant=tenant, entity_type=EntityType(entity_type)))


def field_shape(field: ExtraField, *, with_nulls: bool = False) -> dict[str, Any]:
    """A definition as Spoolman answers it (`ExtraField`, its unset members left out unless `with_nulls`,
    as Spoolman's settings store them)."""
    shape = {
        "name": field.name,
        "order": field.order,
        "unit": field.unit or None,
        "field_type": field.field_type,
        "default_value": field.default_value,
        "choices": field.choices,
        "multi_choice": field.multi_choice,
        "key": field.key,
        "entity_type": field.entity_type,
    }
    return shape if with_nulls else {name: value for name, value in shape.items() if value is not None}


def define_field(*, tenant: Tenant, user: Actor, definition: FieldDefinition) -> ExtraField:
    """Add the extra field, or change the one of its key, and record `field.created` or `field.updated`.

    As Spoolman: a field's type, and a choice field's `multi_choice`, cannot change, nor may a
    change drop one of its choices; an entity has at most 128 fields. Values already stored on
    entities are kept.
    """
    draft = _checked(definition)
    with write_step():
        existing = lock_rows(ExtraField.objects.filter(tenant=tenant, entity_type=draft.entity_type, key=draft.key))
        if existing:
            (field,) = existing
            _check_change(field, draft)
            event_type = "field.updated"
        else:
            count = ExtraField.objects.filter(tenant=tenant, entity_type=draft.entity_type).count()
            if count >= MAX_FIELDS_PER_ENTITY:
                raise InvalidInput(
                    f"Cannot add another extra field for {draft.entity_type}, the maximum is {MAX_FIELDS_PER_ENTITY}."
                )
            field = ExtraField(tenant=tenant, entity_type=draft.entity_type, key=draft.key)
            event_type = "field.created"
        _fill(field, draft)
        try:
            with transaction.atomic():  # a concurrent definition of the same key: a 409, this one's nothing
                field.save()
        except IntegrityError:
            raise Conflict(
                f"Another request defined the extra field {draft.key} at the same moment; try again.",
                code=ErrorCode.BUSY,
            ) from None
        _record_fields(tenant, user, [(event_type, field.pk, field_shape(field))])
    return field


def delete_field(*, tenant: Tenant, user: Actor, entity_type: EntityType, key: str) -> None:
    """Remove the extra field, clear its value from every entity of its type, and record `field.deleted`
    (with the definition as it was). A field that does not exist is a NotFound, Spoolman's 404."""
    entity_type = EntityType(entity_type)
    with write_step():
        existing = lock_rows(ExtraField.objects.filter(tenant=tenant, entity_type=entity_type, key=key))
        if not existing:
            raise NotFound(f"Extra field with key {key} does not exist for entity type {entity_type.value}")
        (field,) = existing
        payload, pk = field_shape(field), field.pk
        field.delete()
        clear_values(tenant=tenant, entity_type=entity_type, keys=[key])
        _record_fields(tenant, user, [("field.deleted", pk, payload)])


def _checked(definition: FieldDefinition) -> FieldDefinition:
    """The definition, refused with Spoolman's messages where it is not one Spoolman would store."""
    try:
        entity_type, field_type = EntityType(definition.entity_type), FieldType(definition.field_type)
    except ValueError:
        raise InvalidInput("Unknown entity type or field type.") from None
    if not isinstance(definition.key, str) or not KEY_PATTERN.match(definition.key):
        raise InvalidInput("The key must be 1 to 64 characters of a-z, 0-9 and _.")
    if not isinstance(definition.name, str) or not 1 <= len(definition.name) <= MAX_NAME_LENGTH:
        raise InvalidInput(f"The name must be 1 to {MAX_NAME_LENGTH} characters.")
    if definition.unit is not None and (
        not isinstance(definition.unit, str) or not 1 <= len(definition.unit) <= MAX_UNIT_LENGTH
    ):
        raise InvalidInput(f"The unit must be 1 to {MAX_UNIT_LENGTH} characters, or null.")
    order = definition.order
    if isinstance(order, bool) or not isinstance(order, int) or not ORDER_RANGE[0] <= order <= ORDER_RANGE[1]:
        raise InvalidInput("The order must be a whole number (32 bits).")
    choices = definition.choices
    if choices is not None and (
        not isinstance(choices, list) or not choices or not all(isinstance(choice, str) for choice in choices)
    ):
        raise InvalidInput("Choices must be a non-empty list of strings.")
    if definition.multi_choice is not None and not isinstance(definition.multi_choice, bool):
        raise InvalidInput("Multi choice must be true or false.")
    if definition.default_value is not None and not isinstance(definition.default_value, str):
        raise InvalidInput("The default value must be JSON text (a string), or null.")
    if field_type == FieldType.CHOICE:
        if choices is None:
            raise InvalidInput("Choices must be set for field type choice.")
        if definition.multi_choice is None:
            raise InvalidInput("Multi choice must be set for field type choice.")
    else:
        if choices is not None:
            raise InvalidInput("Choices must not be set for field type other than choice.")
        if definition.multi_choice is not None:
            raise InvalidInput("Multi choice must not be set for field type other than choice.")
    draft = FieldDefinition(
        entity_type=entity_type,
        key=definition.key,
        name=definition.name,
        field_type=field_type,
        order=order,
        unit=definition.unit,
        default_value=definition.default_value,
        choices=list(choices) if choices is not None else None,
        multi_choice=definition.multi_choice,
    )
    if draft.default_value is not None:
        problem = value_problem(draft, draft.default_value)
        if problem is not None:
            raise InvalidInput(f"Default value is not valid: {problem}")
    return draft


def _check_change(field: ExtraField, draft: FieldDefinition) -> None:
    if field.field_type != draft.field_type:
        raise InvalidInput("Field type cannot be changed.")
    if draft.field_type == FieldType.CHOICE:
        if field.multi_choice != draft.multi_choice:
            raise InvalidInput("Multi choice cannot be changed.")
        kept = field.choices is None or draft.choices is None or all(c in draft.choices for c in field.choices)
        if not kept:
            raise InvalidInput("Cannot remove existing choices.")


def _fill(field: ExtraField, draft: FieldDefinition) -> None:
    field.name, field.field_type, field.order = draft.name, draft.field_type, draft.order
    field.unit = draft.unit or ""
    field.default_value, field.choices, field.multi_choice = draft.default_value, draft.choices, draft.multi_choice


def value_problem(field: FieldDefinition | ExtraField, value: str) -> str | None:
    """Why `value` (JSON text) is not a value of `field`, in Spoolman's words; None when it is one."""
    if len(value) > MAX_VALUE_LENGTH:
        return f"Value is too big, max size is {MAX_VALUE_LENGTH} characters."
    try:
        data = json.loads(value, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return "Value is not valid JSON."
    return _type_problem(FieldType(field.field_type), data, choices=field.choices, multi=bool(field.multi_choice))


def _is_int(item: Any) -> bool:
    return isinstance(item, int) and not isinstance(item, bool)


def _is_number(item: Any) -> bool:
    return (_is_int(item) or isinstance(item, float)) and math.isfinite(item)


def _type_problem(field_type: FieldType, data: Any, *, choices: list[str] | None, multi: bool) -> str | None:
    if field_type in (FieldType.TEXT, FieldType.DATETIME):
        return None if isinstance(data, str) else "Value is not a string."
    if field_type == FieldType.INTEGER:
        return None if _is_int(data) else "Value is not an integer."
    if field_type == FieldType.FLOAT:
        return None if _is_number(data) else "Value is not a float."
    if field_type == FieldType.BOOLEAN:
        return None if isinstance(data, bool) else "Value is not a boolean."
    if field_type in (FieldType.INTEGER_RANGE, FieldType.FLOAT_RANGE):
        if not isinstance(data, list):
            return "Value is not a list."
        if len(data) != 2:
            return "Value list must have exactly two values."
        if field_type == FieldType.INTEGER_RANGE and not all(_is_int(item) or item is None for item in data):
            return "Value list must contain only integers or null."
        if field_type == FieldType.FLOAT_RANGE and not all(_is_number(item) or item is None for item in data):
            return "Value list must contain only floats or null."
        return None
    # A choice: one of them, or a list of them.
    if multi:
        if not isinstance(data, list):
            return "Value is not a list."
        if not all(isinstance(item, str) for item in data):
            return "Value list must contain only strings."
        if choices is not None and not all(item in choices for item in data):
            return "Value list contains invalid choices."
        return None
    if not isinstance(data, str):
        return "Value is not a string."
    if choices is not None and data not in choices:
        return "Value is not a valid choice."
    return None


def check_extra_values(*, fields: Iterable[ExtraField], values: Mapping[str, str | None]) -> None:
    """Refuse (InvalidInput, Spoolman's messages) an entity's `extra` that names a key no field has, or
    a value (JSON text) not of its field's type. A None value (clearing it) is valid for every field."""
    by_key = {field.key: field for field in fields}
    for key, value in values.items():
        if key not in by_key:
            raise InvalidInput(f"Unknown extra field {key}.")
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"Invalid extra field for key {key}: Value is not JSON text.")
        problem = value_problem(by_key[key], value)
        if problem is not None:
            raise InvalidInput(f"Invalid extra field for key {key}: {problem}")


def with_defaults(*, fields: Iterable[ExtraField], values: Mapping[str, str]) -> dict[str, str]:
    """`values` with each field's default added where it has one and the entity no value (a new entity's)."""
    filled = dict(values)
    for field in fields:
        if field.default_value is not None and field.key not in filled:
            filled[field.key] = field.default_value
    return filled


# The models whose `extra` holds an entity type's values: the inventory app's (looked up when used).
ENTITY_MODELS = {
    EntityType.VENDOR: "inventory.Vendor",
    EntityType.FILAMENT: "inventory.Material",
    EntityType.SPOOL: "inventory.Spool",
}


def entity_model(entity_type: EntityType) -> type[models.Model] | None:
    """The model of the entity type's values, None while it has no `extra` (an inventory without it)."""
    try:
        model = apps.get_model(ENTITY_MODELS[EntityType(entity_type)])
    except LookupError:
        return None
    names = {field.name for field in model._meta.concrete_fields}
    return model if "extra" in names else None


def clear_values(*, tenant: Tenant, entity_type: EntityType, keys: list[str]) -> int:
    """Remove the values of `keys` from every entity of the type (a deleted field's); how many rows changed.

    Only `extra` is written (not the entities' own services: their other fields, ledger and events
    are untouched, as Spoolman's deletion of a field touches nothing else of them).
    """
    model = entity_model(entity_type)
    if model is None or not keys:
        return 0
    rows = list(
        model._default_manager.filter(Q(extra__has_any_keys=keys), tenant=tenant).only("pk", "extra").order_by("pk")
    )
    for row in rows:
        row.extra = {key: value for key, value in row.extra.items() if key not in keys}  # type: ignore[attr-defined]
    model._default_manager.bulk_update(rows, ["extra"], batch_size=500)
    return len(rows)


def _drafts_of_setting(definition: SettingDefinition, entity: EntityType, value: str) -> list[FieldDefinition]:
    """The definitions an `extra_fields_*` setting's array holds, each checked as `define_field` checks one."""
    items = json.loads(value)
    key = definition.key
    if len(items) > MAX_FIELDS_PER_ENTITY:
        raise InvalidInput(f"Setting {key} has {len(items)} extra fields, the maximum is {MAX_FIELDS_PER_ENTITY}.")
    drafts = []
    for index, item in enumerate(items):
        draft = _definition_of(item, index)
        if draft.entity_type != entity:
            raise InvalidInput(
                f"Extra field at index {index} has entity type {draft.entity_type.value!r}, expected {entity.value!r}."
            )
        try:
            drafts.append(_checked(draft))
        except InvalidInput as exc:
            raise InvalidInput(f"Extra field at index {index} is not valid: {exc.detail}") from None
    keys = [draft.key for draft in drafts]
    if len(set(keys)) != len(keys):
        raise InvalidInput(f"Setting {key} contains duplicate extra field keys.")
    return drafts


REQUIRED_MEMBERS = ("key", "entity_type", "name", "field_type")
OPTIONAL_MEMBERS = ("order", "unit", "default_value", "choices", "multi_choice")


def _definition_of(item: Any, index: int) -> FieldDefinition:
    """A definition from one element of an `extra_fields_*` array (Spoolman's `ExtraField` object)."""
    if not isinstance(item, dict):
        raise InvalidInput(f"Extra field at index {index} is not valid: it must be an object.")
    missing = [name for name in REQUIRED_MEMBERS if item.get(name) is None]
    if missing:
        raise InvalidInput(f"Extra field at index {index} is not valid: {', '.join(missing)} missing.")
    try:
        entity_type, field_type = EntityType(item["entity_type"]), FieldType(item["field_type"])
    except (ValueError, TypeError):
        raise InvalidInput(f"Extra field at index {index} is not valid: unknown entity type or field type.") from None
    optional = {name: item[name] for name in OPTIONAL_MEMBERS if item.get(name) is not None}
    return FieldDefinition(
        entity_type=entity_type, key=item["key"], name=item["name"], field_type=field_type, **optional
    )


def _replace_fields(tenant: Tenant, user: Actor, entity: EntityType, drafts: list[FieldDefinition]) -> bool:
    """The entity's definitions become `drafts` (an `extra_fields_*` setting): whether anything changed.

    Each kept field is changed as `define_field` would change it (the same refusals); a dropped
    field is deleted with its values.
    """
    current = {field.key: field for field in lock_rows(ExtraField.objects.filter(tenant=tenant, entity_type=entity))}
    wanted = {draft.key: draft for draft in drafts}
    changes: list[tuple[str, uuid.UUID, dict[str, Any]]] = []
    dropped = [field for key, field in current.items() if key not in wanted]
    for field in dropped:
        changes.append(("field.deleted", field.pk, field_shape(field)))
    if dropped:
        ExtraField.objects.filter(pk__in=[field.pk for field in dropped]).delete()
        clear_values(tenant=tenant, entity_type=entity, keys=[field.key for field in dropped])
    for index, (key, draft) in enumerate(wanted.items()):
        field = current.get(key)
        if field is not None:
            try:
                _check_change(field, draft)
            except InvalidInput as exc:
                raise InvalidInput(f"Extra field at index {index} is not valid: {exc.detail}") from None
            before = field_shape(field)
            _fill(field, draft)
            if field_shape(field) != before:
                field.save()
                changes.append(("field.updated", field.pk, field_shape(field)))
            continue
        field = ExtraField(tenant=tenant, entity_type=entity, key=key)
        _fill(field, draft)
        field.save(force_insert=True)
        changes.append(("field.created", field.pk, field_shape(field)))
    _record_fields(tenant, user, changes)
    return bool(changes)


def _record_fields(tenant: Tenant, user: Actor, changes: list[tuple[str, uuid.UUID, dict[str, Any]]]) -> None:
    if changes:
        events = [NewEvent(event_type, pk, payload) for event_type, pk, payload in changes]
        record_events(tenant=tenant, actor=user, events=events)
