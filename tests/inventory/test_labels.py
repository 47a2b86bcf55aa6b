"""Spool labels: one label as SVG or PDF, a printable sheet of several, and the admin's "Print labels"."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from inventory.labels import TEXT_RIGHT, pdf_text, text_width
from inventory.models import Spool
from tests.support.clients import browser_for
from tests.support.documents import pdf_text as pdf_text_of
from tests.support.documents import svg_label_codes, unwrapped

pytestmark = pytest.mark.django_db

SPOOLS = "/api/v1/spools/"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def spool(tenant, make_spool, make_material):
    material = make_material(tenant, name="Galaxy <Bk> & Co", kind="PETG", color_name="Black", color_hex="#112233")
    return make_spool(tenant, material=material, code="PETG-007", initial_weight_g=Decimal("1000.00"))


def svg_tree(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "image/svg+xml"
    return ET.fromstring(response.content)  # escaped text parses as XML


def texts(tree):
    return [element.text for element in tree.iter(f"{SVG}text")]


def test_a_label_is_an_svg_by_default_with_code_material_weight_swatch_and_qr(api, spool):
    tree = svg_tree(api.get(f"{SPOOLS}{spool.pk}/label/"))

    assert "PETG-007" in texts(tree)
    assert "Galaxy <Bk> & Co" in texts(tree)  # escaped in the document, read back as written
    assert "PETG Black" in texts(tree)
    assert "1000.00 g" in texts(tree)
    [swatch] = [rect for rect in tree.iter(f"{SVG}rect") if rect.get("class") == "swatch"]
    assert swatch.get("fill") == "#112233"
    [qr] = [path for path in tree.iter(f"{SVG}path") if path.get("class") == "qr"]
    assert qr.get("d").startswith("M")


def test_svg_is_also_chosen_by_format_or_accept(api, spool):
    assert svg_tree(api.get(f"{SPOOLS}{spool.pk}/label/", {"format": "svg"}))
    assert svg_tree(api.get(f"{SPOOLS}{spool.pk}/label/", HTTP_ACCEPT="image/svg+xml"))


def test_the_qr_code_encodes_the_spools_url(api, spool):
    """The same URL encoded by segno gives the label's modules."""
    from inventory.labels import qr_runs

    tree = svg_tree(api.get(f"{SPOOLS}{spool.pk}/label/"))
    [qr] = [path for path in tree.iter(f"{SVG}path") if path.get("class") == "qr"]
    runs, _ = qr_runs(f"http://testserver{SPOOLS}{spool.pk}/")

    assert qr.get("d").count("M") == len(runs)


def test_a_label_is_a_pdf_with_format_pdf(api, spool):
    response = api.get(f"{SPOOLS}{spool.pk}/label/", {"format": "pdf"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="spool-{spool.pk}-label.pdf"'
    assert response.content.startswith(b"%PDF-1.4")
    assert response.content.rstrip().endswith(b"%%EOF")
    assert b"(PETG-007) Tj" in response.content
    assert pdf_text("Galaxy <Bk> & Co") in response.content


def test_pdf_text_escapes_its_delimiters_and_replaces_what_it_cannot_encode():
    assert pdf_text("a(b)c\\d") == b"(a\\(b\\)c\\\\d)"
    assert pdf_text("Grün 日本") == b"(Gr\xfcn ??)"


def test_another_tenants_spool_has_no_label(api, other_tenant, make_spool):
    foreign = make_spool(other_tenant)

    response = api.get(f"{SPOOLS}{foreign.pk}/label/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"  # errors are JSON


def test_viewers_may_print_labels(viewer_api, spool):
    assert svg_tree(viewer_api.get(f"{SPOOLS}{spool.pk}/label/"))


def test_a_sheet_prints_the_named_spools_in_order_by_id_or_code(api, tenant, spool, make_spool):
    second = make_spool(tenant, code="PLA-001")

    tree = svg_tree(api.get(f"{SPOOLS}labels/", {"ids": f"PLA-001,{spool.pk}"}))

    codes = [text for text in texts(tree) if text in {"PLA-001", "PETG-007"}]
    assert codes == ["PLA-001", "PETG-007"]
    assert len([g for g in tree.iter(f"{SVG}g") if g.get("class") == "label"]) == 2
    assert second.code in codes


def test_a_sheet_of_the_filtered_spools_as_pdf_has_a_page_per_24_labels(api, tenant, make_spool):
    for n in range(25):
        make_spool(tenant, code=f"SP-{n:02d}")
    make_spool(tenant, code="OFF", is_active=False)

    response = api.get(f"{SPOOLS}labels/", {"is_active": "true", "format": "pdf"})

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert b"/Count 2" in response.content
    assert all(f"(SP-{n:02d}) Tj".encode() in response.content for n in range(25))
    assert b"(OFF) Tj" not in response.content


def test_a_sheet_naming_another_tenants_spool_is_a_400(api, spool, other_tenant, make_spool):
    foreign = make_spool(other_tenant, code="THEIRS")

    response = api.get(f"{SPOOLS}labels/", {"ids": f"{spool.pk},{foreign.pk},THEIRS"})

    assert response.status_code == 400
    assert len(response.json()["ids"]) == 2


def test_a_sheet_of_no_spool_is_a_400(api):
    response = api.get(f"{SPOOLS}labels/")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_the_admin_prints_the_selected_spools_labels(tenant, spool, make_spool):
    other = make_spool(tenant, code="PLA-002")
    make_spool(tenant, code="NOT-SELECTED")
    staff = browser_for(get_user_model().objects.create_superuser("root", "root@example.com", "x"))

    response = staff.post(
        "/admin/inventory/spool/", {"action": "print_labels", "_selected_action": [str(spool.pk), str(other.pk)]}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"(PETG-007) Tj" in response.content
    assert b"(PLA-002) Tj" in response.content
    assert b"(NOT-SELECTED) Tj" not in response.content


def test_a_material_without_a_valid_colour_prints_a_blank_swatch(api, tenant, make_spool, make_material):
    spool = make_spool(tenant, material=make_material(tenant, color_hex="#GGHHII"))

    tree = svg_tree(api.get(f"{SPOOLS}{spool.pk}/label/"))
    pdf = api.get(f"{SPOOLS}{spool.pk}/label/", {"format": "pdf"})

    [swatch] = [rect for rect in tree.iter(f"{SVG}rect") if rect.get("class") == "swatch"]
    assert swatch.get("fill") == "#FFFFFF"
    assert pdf.status_code == 200


def test_a_sheet_shows_where_each_spool_is_loaded(api, tenant, spool, make_spool, make_printer):
    printer = make_printer(tenant, name="X1C", slot_count=4)
    elsewhere = make_spool(tenant, code="PLA-001")
    api.put(f"/api/v1/printers/{printer.pk}/slots/2/", {"spool": spool.code}, format="json")

    tree = svg_tree(api.get(f"{SPOOLS}labels/", {"ids": f"{spool.code},{elsewhere.code}"}))

    assert [text for text in texts(tree) if text.startswith("in ")] == ["in X1C slot 2"]


# --- the whole code, whatever its length and script -------------------------------------------

# The longest code the field allows, of the widest letter, and one that wraps at its separators.
LONGEST = "W" * Spool._meta.get_field("code").max_length
SEPARATED = ("PLA-BLK-0123456789-" * 3)[: Spool._meta.get_field("code").max_length]
CYRILLIC = "ПЛА-КРАСНЫЙ-001"
CHINESE = "红色-线材-" + "中" * 44


@pytest.mark.parametrize("code", [LONGEST, SEPARATED, CYRILLIC, CHINESE, "PLA-RED-001"])
def test_an_svg_label_prints_the_whole_code_within_the_label(api, tenant, make_spool, code):
    spool = make_spool(tenant, code=code)

    response = api.get(f"{SPOOLS}{spool.pk}/label/")

    assert svg_label_codes(response.content) == [code]
    lines = [text for text in svg_tree(response).iter(f"{SVG}text") if text.get("class") == "code"]
    for line in lines:
        size = float(line.get("font-size"))
        assert float(line.get("x")) + text_width(line.text, size, bold=True) <= TEXT_RIGHT
        assert float(line.get("y")) - size >= 0  # inside the label's top edge
    assert float(lines[-1].get("y")) < 15.5  # above the material's line


@pytest.mark.parametrize("code", [LONGEST, SEPARATED, "PLA-RED-001"])
def test_a_pdf_label_prints_the_whole_code(api, tenant, make_spool, code):
    spool = make_spool(tenant, code=code)

    response = api.get(f"{SPOOLS}{spool.pk}/label/", {"format": "pdf"})

    assert code in unwrapped(pdf_text_of(response.content))


@pytest.mark.parametrize("code", [CYRILLIC, CHINESE])
def test_a_pdf_label_of_a_code_outside_western_european_leads_with_the_spools_number(api, tenant, make_spool, code):
    """The viewer's Helvetica cannot print it: the number (unique in the tenant) tells the spool apart."""
    spool = make_spool(tenant, code=code)
    other = make_spool(tenant, code=code[:-1] + "2")

    first = unwrapped(pdf_text_of(api.get(f"{SPOOLS}{spool.pk}/label/", {"format": "pdf"}).content))
    second = unwrapped(pdf_text_of(api.get(f"{SPOOLS}{other.pk}/label/", {"format": "pdf"}).content))

    assert first.startswith(f"No. {spool.number} ")
    assert second.startswith(f"No. {other.number} ")
    assert first != second


def test_a_sheet_tells_codes_apart_that_share_a_long_prefix(api, tenant, make_spool):
    first = make_spool(tenant, code="PLA-BLK-001")
    second = make_spool(tenant, code="PLA-BLK-002")
    ids = f"{first.pk},{second.pk}"

    svg_codes = svg_label_codes(api.get(f"{SPOOLS}labels/", {"ids": ids}).content)
    pdf = unwrapped(pdf_text_of(api.get(f"{SPOOLS}labels/", {"ids": ids, "format": "pdf"}).content))

    assert svg_codes == ["PLA-BLK-001", "PLA-BLK-002"]
    assert "PLA-BLK-001" in pdf and "PLA-BLK-002" in pdf


def test_the_admins_print_labels_prints_distinct_labels(tenant, make_spool, make_material):
    black = make_material(tenant, name="Prusament PLA", color_name="Galaxy Black", color_hex="#111111")
    spools = [make_spool(tenant, material=black, code=f"PLA-BLK-00{n}") for n in (1, 2)]
    staff = browser_for(get_user_model().objects.create_superuser("root", "root@example.com", "x"))

    response = staff.post(
        "/admin/inventory/spool/", {"action": "print_labels", "_selected_action": [str(s.pk) for s in spools]}
    )

    text = pdf_text_of(response.content)
    assert text.count("PLA-BLK-001") == 1 and text.count("PLA-BLK-002") == 1
    labels = [line for line in text.splitlines() if line.startswith("PLA-BLK-00")]
    assert len(set(labels)) == 2


def test_a_sheet_of_more_spools_than_a_url_holds_is_posted(viewer_api, tenant, make_spool):
    """240 UUIDs (9 kB) exceed many servers' request line (gunicorn: 4 kB, a 414; nginx: 8 kB); a body has none."""
    spools = [make_spool(tenant, code=f"SP-{n:03d}") for n in range(240)]

    response = viewer_api.post(
        f"{SPOOLS}labels/?format=pdf", {"ids": [str(spool.pk) for spool in spools]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.content.startswith(b"%PDF")
    assert b"/Count 10" in response.content  # ten pages of 24
    assert all(f"(SP-{n:03d}) Tj".encode() in response.content for n in range(240))


def test_a_posted_sheet_takes_codes_and_numbers_in_order(api, tenant, spool, make_spool):
    second = make_spool(tenant, code="PLA-001")

    tree = svg_tree(api.post(f"{SPOOLS}labels/", {"ids": ["PLA-001", spool.number]}, format="json"))

    assert [text for text in texts(tree) if text in {"PLA-001", "PETG-007"}] == ["PLA-001", "PETG-007"]
    assert second.code == "PLA-001"


@pytest.mark.parametrize("body", [{"ids": []}, {"ids": ["X"] * 241}, {}, {"ids": "PLA-001"}])
def test_a_posted_sheet_without_ids_or_with_too_many_is_a_400(api, body):
    response = api.post(f"{SPOOLS}labels/", body, format="json")

    assert response.status_code == 400
    assert "ids" in response.json()


def test_a_posted_sheet_naming_an_unknown_spool_is_a_400(api, spool):
    response = api.post(f"{SPOOLS}labels/", {"ids": [str(spool.pk), "NOPE"]}, format="json")

    assert response.status_code == 400
    assert response.json()["ids"] == ["No spool of this tenant has the id or code 'NOPE'."]
