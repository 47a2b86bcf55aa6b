"""`import_spoolman`: a Spoolman server copied into a tenant, against our own Spoolman-compatible API as the source.

The source is a tenant of this project with a `manage` key, served over real HTTP by pytest-django's
`live_server`; its data is written with the services. The import goes into a second tenant.
"""

import socket
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import resolve

from events.models import Event
from inventory.models import InventoryTransaction, Material, Spool, TransactionType, Vendor
from inventory.services import (
    Adjustment,
    MaterialFields,
    SpoolDraft,
    VendorFields,
    adjust_spool,
    create_material,
    create_spool,
    create_vendor,
    record_movement,
)
from spoolman import importer
from spoolman.catalogue import FieldDefinition, define_field, fields_of
from spoolman.models import EntityType, FieldType, ImportedRecord, KeyScope
from spoolman.services import KeyDraft, create_key
from tests.support.ledger import assert_ledger_balances, ledger_rows

pytestmark = pytest.mark.django_db(transaction=True)


def has_field_endpoint():
    return resolve("/spoolman/pfk_x/api/v1/field/spool").url_name != "spoolman-not-found"


needs_field_endpoint = pytest.mark.skipif(
    not has_field_endpoint(),
    reason="the source API's GET field/{entity} endpoint (issue 19, point 3) is not on this branch yet",
)


@pytest.fixture
def source(make_tenant, make_member):
    """The source tenant: two vendors, three filaments, four spools (one used, one measured, one archived)."""
    farm = make_tenant("oldfarm", run_prefix="OLD")
    admin = make_member(farm, "admin", "admin-oldfarm")
    prusa = create_vendor(
        tenant=farm,
        user=admin,
        fields=VendorFields(
            name="Prusament", comment="Czech", empty_spool_weight_g=Decimal("201.50"), external_id="prusament"
        ),
    )
    create_vendor(tenant=farm, user=admin, fields=VendorFields(name="Unused vendor"))
    galaxy = create_material(
        tenant=farm,
        user=admin,
        fields=MaterialFields(
            name="Galaxy Black",
            kind="PLA",
            vendor=prusa,
            material_name="PLA",
            color_hex="#1A1A1A",
            diameter_mm=Decimal("1.75"),
            density_g_cm3=Decimal("1.240"),
            notes="the good one",
            price=Decimal("24.99"),
            weight_g=Decimal("1000.00"),
            spool_weight_g=Decimal("201.00"),
            article_number="PM-GB-1",
            settings_extruder_temp=215,
            settings_bed_temp=60,
            external_id="prusament_pla_galaxy_black",
        ),
    )
    silk = create_material(
        tenant=farm,
        user=admin,
        fields=MaterialFields(name="Silk Gold", kind="OTHER", material_name="Silk PLA", diameter_mm=Decimal("1.75")),
    )
    create_material(tenant=farm, user=admin, fields=MaterialFields(name="No spools", kind="PETG"))

    def spool(code, material, initial, **fields):
        draft = SpoolDraft(code=code, material=material, initial_weight_g=Decimal(initial), **fields)
        return create_spool(tenant=farm, user=admin, draft=draft)

    used = spool("A", galaxy, "1000.00", location="Shelf 1", lot_nr="L42", purchase_price=Decimal("24.99"))
    record_movement(spool=used, type=TransactionType.USAGE, user=admin, change_g=Decimal("-250.55"))
    spool("B", silk, "750.00", empty_spool_weight_g=Decimal("150.00"), comment="new")
    measured = spool("C", galaxy, "1000.00")
    adjust_spool(
        spool=measured,
        user=admin,
        adjustment=Adjustment(type=TransactionType.ADJUSTMENT, new_weight_g=Decimal("612.30")),
    )
    archived = spool("D", silk, "500.00", is_active=False)
    record_movement(spool=archived, type=TransactionType.USAGE, user=admin, change_g=Decimal("-500.00"))
    key = create_key(tenant=farm, user=admin, draft=KeyDraft(scope=KeyScope.MANAGE, name="import"))
    return farm, key.secret


@pytest.fixture
def server(live_server, source):
    """The source tenant's Spoolman root URL (with its manage key)."""
    return f"{live_server.url}/spoolman/{source[1]}"


def run_import(url, tenant, *options):
    out = StringIO()
    call_command("import_spoolman", url, "--tenant", tenant.slug, *options, stdout=out)
    return out.getvalue()


def state_of(tenant):
    """Everything an import may write in `tenant`, to compare before and after."""
    return {
        "vendors": list(Vendor.objects.filter(tenant=tenant).values().order_by("number")),
        "materials": list(Material.objects.filter(tenant=tenant).values().order_by("number")),
        "spools": list(Spool.objects.filter(tenant=tenant).values().order_by("number")),
        "ledger": list(InventoryTransaction.objects.filter(tenant=tenant).values().order_by("spool", "sequence")),
        "records": list(ImportedRecord.objects.filter(tenant=tenant).values().order_by("entity_type", "source_id")),
        "events": Event.objects.filter(tenant=tenant).count(),
    }


def test_vendors_filaments_and_spools_are_copied_with_their_weights_as_a_balanced_ledger(
    source, server, other_tenant, monkeypatch
):
    monkeypatch.setattr(importer, "PAGE_SIZE", 2)  # pages of two: the lists are read page by page

    output = run_import(server, other_tenant)

    assert "[####################] 100%" in output
    assert "vendors: 2 created" in output and "filaments: 3 created" in output and "spools: 4 created" in output
    prusa = Vendor.objects.get(tenant=other_tenant, name="Prusament")
    assert (prusa.comment, prusa.empty_spool_weight_g, prusa.external_id) == ("Czech", Decimal("201.50"), "prusament")
    assert Vendor.objects.filter(tenant=other_tenant, name="Unused vendor").exists()

    galaxy = Material.objects.get(tenant=other_tenant, name="Galaxy Black")
    assert galaxy.vendor == prusa
    assert (galaxy.kind, galaxy.material_name, galaxy.color_hex) == ("PLA", "PLA", "#1A1A1A")
    assert (galaxy.price, galaxy.weight_g, galaxy.spool_weight_g) == (
        Decimal("24.99"),
        Decimal("1000.00"),
        Decimal("201.00"),
    )
    assert (galaxy.density_g_cm3, galaxy.diameter_mm, galaxy.notes) == (
        Decimal("1.240"),
        Decimal("1.75"),
        "the good one",
    )
    assert (galaxy.settings_extruder_temp, galaxy.settings_bed_temp, galaxy.article_number) == (215, 60, "PM-GB-1")
    assert galaxy.external_id == "prusament_pla_galaxy_black"
    silk = Material.objects.get(tenant=other_tenant, name="Silk Gold")
    assert (silk.kind, silk.material_name, silk.vendor) == ("OTHER", "Silk PLA", None)
    assert Material.objects.filter(tenant=other_tenant, name="No spools").exists()

    # Spoolman's ids are the source's numbers: spools 1 to 4 are A to D.
    spools = {spool.code: spool for spool in Spool.objects.filter(tenant=other_tenant)}
    assert set(spools) == {"SM-1", "SM-2", "SM-3", "SM-4"}
    used, new, measured, archived = (spools[f"SM-{number}"] for number in range(1, 5))
    assert (used.material, used.initial_weight_g, used.current_weight_g) == (
        galaxy,
        Decimal("1000.00"),
        Decimal("749.45"),
    )
    assert (used.location, used.lot_nr, used.purchase_price, used.is_active) == (
        "Shelf 1",
        "L42",
        Decimal("24.99"),
        True,
    )
    assert used.first_used is not None and used.last_used is not None
    assert (new.material, new.current_weight_g, new.empty_spool_weight_g, new.comment) == (
        silk,
        Decimal("750.00"),
        Decimal("150.00"),
        "new",
    )
    assert measured.current_weight_g == Decimal("612.30")
    assert (archived.is_active, archived.current_weight_g) == (False, Decimal("0.00"))

    # The ledger: the purchase of the initial weight (when Spoolman registered it), then an adjustment down.
    assert_ledger_balances(*spools.values())
    rows = ledger_rows(used)
    assert [(row.type, row.weight_change_g) for row in rows] == [
        ("purchase", Decimal("1000.00")),
        ("adjustment", Decimal("-250.55")),
    ]
    # Dated as Spoolman has them: the purchase when it was registered, the adjustment at its last use.
    original = Spool.objects.get(tenant=source[0], code="A")
    assert (rows[0].occurred_at, rows[1].occurred_at) == (original.created_at, original.last_used)
    assert [row.type for row in ledger_rows(new)] == ["purchase"]
    assert ImportedRecord.objects.filter(tenant=other_tenant).count() == 2 + 3 + 4


def test_a_second_run_changes_nothing(server, other_tenant):
    run_import(server, other_tenant)
    before = state_of(other_tenant)

    output = run_import(server, other_tenant)

    assert state_of(other_tenant) == before
    assert "vendors: 0 created, 2 unchanged" in output and "spools: 0 created, 4 unchanged" in output
    assert "Nothing new" in output


def test_a_new_spool_on_the_server_is_all_a_later_run_copies(server, source, other_tenant):
    run_import(server, other_tenant)
    farm = source[0]
    material = Material.objects.get(tenant=farm, name="Silk Gold")
    create_spool(tenant=farm, user=None, draft=SpoolDraft(code="E", material=material, initial_weight_g=Decimal(1000)))

    output = run_import(server, other_tenant)

    assert "vendors: 0 created, 2 unchanged" in output and "spools: 1 created, 4 unchanged" in output
    assert Spool.objects.get(tenant=other_tenant, code="SM-5").material.name == "Silk Gold"


def test_a_dry_run_reads_and_counts_but_writes_nothing(server, other_tenant):
    before = state_of(other_tenant)

    output = run_import(server, other_tenant, "--dry-run")

    assert "spools: 4 to create" in output and "Dry run: nothing was written." in output
    assert state_of(other_tenant) == before


def test_a_spool_code_taken_here_gets_a_suffix(server, other_tenant, make_spool):
    make_spool(other_tenant, code="SM-1")

    run_import(server, other_tenant)

    assert Spool.objects.get(tenant=other_tenant, code="SM-1-2").initial_weight_g == Decimal("1000.00")


@needs_field_endpoint
def test_extra_field_definitions_and_values_are_copied(source, server, other_tenant):
    farm = source[0]
    define_field(
        tenant=farm,
        user=None,
        definition=FieldDefinition(
            entity_type=EntityType.SPOOL, key="dryer", name="Dried", field_type=FieldType.BOOLEAN, order=2
        ),
    )
    define_field(
        tenant=farm,
        user=None,
        definition=FieldDefinition(
            entity_type=EntityType.FILAMENT,
            key="finish",
            name="Finish",
            field_type=FieldType.CHOICE,
            choices=["matte", "silk"],
            multi_choice=False,
        ),
    )
    Spool.objects.filter(tenant=farm, code="A").update(extra={"dryer": "true"})
    Material.objects.filter(tenant=farm, name="Silk Gold").update(extra={"finish": '"silk"'})

    run_import(server, other_tenant)

    (dryer,) = fields_of(tenant=other_tenant, entity_type=EntityType.SPOOL)
    assert (dryer.key, dryer.name, dryer.field_type, dryer.order) == ("dryer", "Dried", "boolean", 2)
    (finish,) = fields_of(tenant=other_tenant, entity_type=EntityType.FILAMENT)
    assert (finish.choices, finish.multi_choice) == (["matte", "silk"], False)
    assert Spool.objects.get(tenant=other_tenant, code="SM-1").extra == {"dryer": "true"}
    assert Material.objects.get(tenant=other_tenant, name="Silk Gold").extra == {"finish": '"silk"'}
    before = state_of(other_tenant)
    output = run_import(server, other_tenant)
    assert "extra fields: 0 created, 2 unchanged" in output
    assert state_of(other_tenant) == before


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_server_is_a_clear_error_and_writes_nothing(other_tenant):
    url = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(CommandError, match=r"Cannot reach http://127\.0\.0\.1:\d+: .*refused"):
        run_import(url, other_tenant, "--timeout", "5")

    assert not Vendor.objects.filter(tenant=other_tenant).exists()


def test_an_answer_that_is_not_spoolman_is_a_clear_error(live_server, source, other_tenant):
    with pytest.raises(CommandError, match=r"answered 404.*Is .* a Spoolman server"):
        run_import(live_server.url, other_tenant)  # the project's root: no api/v1/info there
    with pytest.raises(
        CommandError, match=r"answered 401 \(Unknown or revoked integration key\.\)\. Is .* a Spoolman server"
    ):
        run_import(f"{live_server.url}/spoolman/pfk_wrong", other_tenant)
    with pytest.raises(CommandError, match="not an http"):
        run_import("file:///etc/passwd", other_tenant)
    with pytest.raises(CommandError, match="No tenant with slug"):
        call_command("import_spoolman", live_server.url, "--tenant", "nobody")


def test_the_source_is_remembered_without_the_keys_secret():
    secret = "pfk_AbCdEfGhIjKlMnOp"
    name = importer.source_name(f"http://user:pw@Farm.example:8000/spoolman/{secret}/api/v1/")

    assert name == "http://farm.example:8000/spoolman/pfk_AbCd..."
    assert importer.source_name("http://spoolman.local:7912/") == "http://spoolman.local:7912"


# --- Spoolman's documented shapes, without a server (import_snapshot) ------------------------------------

VENDOR = {"id": 7, "registered": "2024-03-01T10:00:00Z", "name": "Polymaker", "extra": {"origin": '"CN"'}}
FILAMENT = {
    "id": 12,
    "registered": "2024-03-01T10:05:00Z",
    "name": "PolyTerra Charcoal Black",
    "vendor": VENDOR,
    "material": "pla",
    "price": Decimal("20.5"),
    "density": Decimal("1.24"),
    "diameter": Decimal("1.75"),
    "weight": Decimal("1000"),
    "color_hex": "1A1A1AFF",
    "extra": {"finish": '"matte"'},
}


def spoolman_spool(number, **fields):
    return {
        "id": number,
        "registered": "2024-03-02T09:00:00Z",
        "filament": FILAMENT,
        "initial_weight": Decimal("1000"),
        "used_weight": Decimal("0"),
        "archived": False,
        "extra": {},
        **fields,
    }


def snapshot(spools, fields=None):
    return importer.Snapshot(
        version="0.22.1",
        fields=fields
        or {
            EntityType.VENDOR: [{"key": "origin", "entity_type": "vendor", "name": "Origin", "field_type": "text"}],
            EntityType.FILAMENT: [
                {
                    "key": "finish",
                    "entity_type": "filament",
                    "name": "Finish",
                    "order": 1,
                    "field_type": "choice",
                    "choices": ["matte", "silk"],
                    "multi_choice": False,
                }
            ],
            EntityType.SPOOL: [
                {
                    "key": "dried",
                    "entity_type": "spool",
                    "name": "Dried",
                    "field_type": "boolean",
                    "default_value": "false",
                }
            ],
        },
        vendors=[VENDOR],
        filaments=[FILAMENT],
        spools=spools,
    )


def import_shapes(tenant, spools, fields=None):
    return importer.import_snapshot(
        tenant=tenant, user=None, source="http://spoolman.local:7912", snapshot=snapshot(spools, fields)
    )


@pytest.mark.django_db
def test_spoolmans_documented_shapes_import_with_their_extra_fields(tenant):
    spools = [
        spoolman_spool(3, used_weight=Decimal("333.333"), extra={"dried": "true"}, last_used="2024-04-01T12:00:00Z"),
        spoolman_spool(4, initial_weight=None, used_weight=Decimal("1200"), archived=True),  # the filament's weight
    ]

    report = import_shapes(tenant, spools)

    assert (report.fields.created, report.vendors.created, report.filaments.created, report.spools.created) == (
        3,
        1,
        1,
        2,
    )
    assert [field.key for field in fields_of(tenant=tenant, entity_type=EntityType.FILAMENT)] == ["finish"]
    assert Vendor.objects.get(tenant=tenant).extra == {"origin": '"CN"'}
    material = Material.objects.get(tenant=tenant)
    assert (material.kind, material.material_name, material.color_hex, material.price) == (
        "PLA",
        "pla",
        "#1A1A1A",
        Decimal("20.50"),
    )
    assert material.extra == {"finish": '"matte"'}
    used, emptied = Spool.objects.filter(tenant=tenant).order_by("code")
    assert (used.code, used.current_weight_g, used.extra) == ("SM-3", Decimal("666.67"), {"dried": "true"})
    assert ledger_rows(used)[1].occurred_at.isoformat() == "2024-04-01T12:00:00+00:00"
    assert (emptied.initial_weight_g, emptied.current_weight_g, emptied.is_active) == (
        Decimal("1000.00"),
        Decimal("0.00"),
        False,
    )
    assert_ledger_balances(used, emptied)


@pytest.mark.django_db
def test_a_spool_without_any_initial_weight_is_skipped_with_its_reason(tenant):
    weightless = {**FILAMENT, "weight": None}

    report = import_shapes(tenant, [spoolman_spool(5, initial_weight=None, filament=weightless)])

    assert report.spools.created == 0
    assert report.spools.skipped == [
        "Spoolman's spool 5: neither it nor its filament has an initial weight, so it has no opening balance"
    ]
    assert not ImportedRecord.objects.filter(tenant=tenant, entity_type="spool").exists()


@pytest.mark.django_db
def test_a_field_that_cannot_be_defined_here_refuses_the_whole_import(tenant):
    define_field(
        tenant=tenant,
        user=None,
        definition=FieldDefinition(entity_type=EntityType.SPOOL, key="dried", name="Dried", field_type=FieldType.TEXT),
    )

    with pytest.raises(importer.ImportRefused, match=r"extra field spool\.dried .*Field type cannot be changed"):
        import_shapes(tenant, [spoolman_spool(3)])

    assert not Vendor.objects.filter(tenant=tenant).exists()
    assert not ImportedRecord.objects.filter(tenant=tenant).exists()


@pytest.mark.django_db
def test_an_extra_value_without_its_definition_refuses_the_whole_import(tenant):
    with pytest.raises(importer.ImportRefused, match=r"spool 3's extra values .*Unknown extra field colour"):
        import_shapes(tenant, [spoolman_spool(3, extra={"colour": '"red"'})])

    assert not Material.objects.filter(tenant=tenant).exists()


@pytest.mark.django_db
def test_staff_see_what_was_imported_in_the_admin(tenant, admin_client):
    import_shapes(tenant, [spoolman_spool(3)])

    page = admin_client.get("/admin/spoolman/importedrecord/?entity_type=spool")

    assert page.status_code == 200
    assert "http://spoolman.local:7912" in page.content.decode()


@pytest.mark.django_db
def test_the_actor_must_be_an_admin_or_owner_of_the_tenant(tenant, member):
    for username in ("nobody", member.username):
        with pytest.raises(CommandError, match=f"'{username}' is not an admin or owner of acme"):
            run_import("http://spoolman.local:7912", tenant, "--user", username)
