"""`/spoolman/<key>/api/v1/...`: Spoolman's paths (no trailing slash; one is tolerated)."""

from django.urls import re_path

from spoolman import api, export_api, field_api, filament_api, search_api, setting_api, spool_api, vendor_api

KEY = r"^spoolman/(?P<key>[A-Za-z0-9_-]{1,100})/api/v1/"
ID = r"(?P<{}>[0-9]{{1,9}})"
FIELD = r"field/(?P<entity_type>[^/]{1,64})/(?P<field_key>[^/]{1,100})"

urlpatterns = [
    # The server's root: Spoolman serves its web client here; clients (and its suite) only need it to answer.
    re_path(r"^spoolman/(?P<key>[A-Za-z0-9_-]{1,100})/?$", api.root, name="spoolman-root"),
    re_path(KEY + r"info/?$", api.info, name="spoolman-info"),
    re_path(KEY + r"health/?$", api.health, name="spoolman-health"),
    re_path(KEY + r"backup/?$", api.backup, name="spoolman-backup"),
    re_path(KEY + r"field/(?P<entity_type>[^/]{1,64})/?$", field_api.field_list, name="spoolman-fields"),
    re_path(KEY + FIELD + r"/?$", field_api.field_detail, name="spoolman-field"),
    re_path(KEY + FIELD + r"/values/?$", field_api.field_values, name="spoolman-field-values"),
    re_path(KEY + r"setting/?$", setting_api.setting_list, name="spoolman-settings"),
    re_path(KEY + r"setting/(?P<setting_key>[^/]{1,100})/?$", setting_api.setting_detail, name="spoolman-setting"),
    re_path(KEY + r"spool/?$", spool_api.spools, name="spoolman-spools"),
    re_path(KEY + r"spool/" + ID.format("spool_id") + r"/?$", spool_api.spool_detail, name="spoolman-spool"),
    re_path(KEY + r"spool/" + ID.format("spool_id") + r"/use/?$", spool_api.spool_use, name="spoolman-spool-use"),
    re_path(
        KEY + r"spool/" + ID.format("spool_id") + r"/measure/?$",
        spool_api.spool_measure,
        name="spoolman-spool-measure",
    ),
    re_path(KEY + r"spool/group/?$", spool_api.spool_groups, name="spoolman-spool-groups"),
    re_path(KEY + r"spool/field/(?P<field>[^/]{1,200})/?$", spool_api.rename_field_value, name="spoolman-spool-field"),
    re_path(KEY + r"location/?$", spool_api.locations, name="spoolman-locations"),
    re_path(KEY + r"location/(?P<name>[^/]{1,200})/?$", spool_api.rename_location, name="spoolman-location"),
    re_path(KEY + r"lot-number/?$", spool_api.lot_numbers, name="spoolman-lot-numbers"),
    re_path(KEY + r"export/spools/?$", spool_api.export_spools, name="spoolman-export-spools"),
    re_path(KEY + r"filament/?$", filament_api.filament_list, name="spoolman-filaments"),
    re_path(
        KEY + r"filament/" + ID.format("filament_id") + r"/?$", filament_api.filament_detail, name="spoolman-filament"
    ),
    re_path(KEY + r"material/?$", filament_api.material_list, name="spoolman-materials"),
    re_path(KEY + r"article-number/?$", filament_api.article_number_list, name="spoolman-article-numbers"),
    re_path(KEY + r"vendor/?$", vendor_api.vendor_list, name="spoolman-vendors"),
    re_path(KEY + r"vendor/" + ID.format("vendor_id") + r"/?$", vendor_api.vendor_detail, name="spoolman-vendor"),
    re_path(KEY + r"export/vendors/?$", export_api.export_vendors, name="spoolman-export-vendors"),
    re_path(KEY + r"export/filaments/?$", export_api.export_filaments, name="spoolman-export-filaments"),
    re_path(KEY + r"search/?$", search_api.search, name="spoolman-search"),
    re_path(KEY + r"(?P<rest>.*)$", api.not_found, name="spoolman-not-found"),
]
