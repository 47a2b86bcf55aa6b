"""The admin's printer page: its slots inline, edited through the slot service."""

import pytest
from django.urls import reverse

from events.models import Event
from production.models import PrinterSlot
from production.services.slots import SlotLoad, load_slot

pytestmark = pytest.mark.django_db


def change_form(printer, rows):
    """The printer's change form as rendered, with `rows` ({"id", "slot", "spool", "DELETE"}) for its slots."""
    data = {
        "tenant": str(printer.tenant_id),
        "name": printer.name,
        "model": printer.model,
        "is_active": "on",
        "notes": printer.notes,
        "slot_count": printer.slot_count,
        "slots-TOTAL_FORMS": len(rows),
        "slots-INITIAL_FORMS": sum(1 for row in rows if row.get("id")),
        "slots-MIN_NUM_FORMS": 0,
        "slots-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        prefix = f"slots-{index}"
        data |= {f"{prefix}-id": row.get("id", ""), f"{prefix}-printer": str(printer.pk)}
        data |= {f"{prefix}-slot": row["slot"], f"{prefix}-spool": str(row.get("spool") or "")}
        if row.get("DELETE"):
            data[f"{prefix}-DELETE"] = "on"
    return data


def test_the_printer_page_shows_its_slots_inline(admin_client, tenant, make_printer, make_spool):
    printer = make_printer(tenant, name="X1C", slot_count=4)
    spool = make_spool(tenant)
    load_slot(printer=printer, user=None, load=SlotLoad(slot=2, spool=spool))

    page = admin_client.get(reverse("admin:production_printer_change", args=[printer.pk])).content.decode()

    assert "slots-0-slot" in page
    assert spool.code in page


def test_slots_edited_in_the_admin_go_through_the_service(admin_client, tenant, make_printer, make_spool):
    printer = make_printer(tenant, name="X1C", slot_count=4)
    first, second = make_spool(tenant), make_spool(tenant)
    load_slot(printer=printer, user=None, load=SlotLoad(slot=0, spool=first))
    row = PrinterSlot.objects.get(printer=printer)
    url = reverse("admin:production_printer_change", args=[printer.pk])

    response = admin_client.post(
        url,
        change_form(
            printer,
            [{"id": str(row.pk), "slot": 0, "spool": first.pk, "DELETE": True}, {"slot": 3, "spool": second.pk}],
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(PrinterSlot.objects.filter(printer=printer).values_list("slot", "spool")) == [(3, second.pk)]
    assert Event.objects.filter(type="spool.unloaded", resource_id=first.pk).exists()
    assert Event.objects.filter(type="spool.loaded", resource_id=second.pk).exists()


def test_a_slot_outside_the_printer_is_refused_and_said(admin_client, tenant, make_printer, make_spool):
    printer = make_printer(tenant, name="Mini")
    spool = make_spool(tenant)
    url = reverse("admin:production_printer_change", args=[printer.pk])

    response = admin_client.post(url, change_form(printer, [{"slot": 5, "spool": spool.pk}]), follow=True)

    assert not PrinterSlot.objects.exists()
    assert "there is no slot 5" in response.content.decode()
