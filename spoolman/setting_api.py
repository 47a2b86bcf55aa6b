"""Spoolman's settings under the key: `setting/` (all), `setting/{key}` (one; `POST` sets or unsets it).

Read and written through spoolman.catalogue (`all_settings`, `setting_of`, `set_setting`): every
setting Spoolman 0.26 knows, with its default while the tenant has not set it; the
`extra_fields_*` settings are the field definitions (spoolman/field_api.py), both paths agree.

`POST setting/{key}` takes, as Spoolman does, a JSON string whose content is the value's JSON text
(`"\\"SEK\\""` sets the currency to "SEK"); the string `""` or `"null"` unsets it (its default
again). Its refusals are Spoolman's: a body not declared JSON (`Content-Type` other than
`application/json` or `*+json`: what an HTML form sends) 415, a body that is not a JSON string 422,
an unknown setting 404, a value of the wrong JSON type or longer than 65,535 characters 400, each
before anything is written.

Roles: every key reads the settings. A write needs a manage key (a printer key: 403). Which
creator's role, per setting (SPEC section 2 gives members the day-to-day writes and admins and
owners what changes the tenant's records wholesale):

- the web client's own arrangements, `print_presets`, `label_designs`, `locations`,
  `locations_spoolorders`, `dashboard_groups`, `dashboard_spoolorders`: a member's or above
  (Spoolman's client writes them as its users arrange spools and print labels);
- the tenant's configuration, `currency`, `round_prices`, `base_url`, and the field definitions
  `extra_fields_vendor`, `extra_fields_filament`, `extra_fields_spool` (a field they drop has its
  values erased from every entity): an admin's or owner's (`ADMIN_SETTINGS`).
"""

from spoolman import catalogue
from spoolman.api import answer, endpoint, require_role
from spoolman.errors import SpoolmanError
from spoolman.field_api import json_body
from tenants.models import Role

ADMIN_SETTINGS = frozenset(
    {"currency", "round_prices", "base_url", "extra_fields_vendor", "extra_fields_filament", "extra_fields_spool"}
)
# A value of 65,535 characters as a JSON string inside a JSON string: escaped at most 6 times, plus quotes.
MAX_BODY = 6 * catalogue.MAX_VALUE_LENGTH + 64
UNSET = ("", "null")


@endpoint("GET")
def setting_list(request):
    settings = catalogue.all_settings(tenant=request.integration_key.tenant)
    return answer({key: value.shape() for key, value in settings.items()})


@endpoint("GET", "POST", write=True, manage=True)
def setting_detail(request, setting_key):
    tenant = request.integration_key.tenant
    if request.method == "GET":
        return answer(catalogue.setting_of(tenant=tenant, key=setting_key).shape())
    media_type = request.content_type.lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise SpoolmanError(
            415, f"Unsupported content type {media_type!r}. The body of this endpoint must be sent as application/json."
        )
    catalogue.definition_of(setting_key)  # an unknown setting: 404 before its body is read
    if setting_key in ADMIN_SETTINGS:
        require_role(request, Role.ADMIN)
    body = json_body(request, limit=MAX_BODY) if request.body else None
    if not isinstance(body, str):
        raise SpoolmanError(422, "The body must be a JSON string: the setting's value as JSON text.")
    change = catalogue.SettingChange(key=setting_key, value=None if body in UNSET else body)
    value = catalogue.set_setting(tenant=tenant, user=request.integration_key.created_by, change=change)
    return answer(value.shape())
