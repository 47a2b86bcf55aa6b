"""Section 4 through the browsable API: every list, detail and the adjust action render as HTML for a member."""

import pytest

from tenants.models import Membership
from tests.support.clients import browser_for


@pytest.fixture
def records(tenant, make_spool, make_product, make_printer):
    spool = make_spool(tenant)
    return {
        "materials": spool.material,
        "spools": spool,
        "inventory-transactions": spool.transactions.get(),
        "products": make_product(tenant),
        "printers": make_printer(tenant),
    }


@pytest.mark.parametrize("name", ["materials", "spools", "inventory-transactions", "products", "printers"])
def test_list_and_detail_render_as_html(member_browser, records, name):
    for url in (f"/api/v1/{name}/", f"/api/v1/{name}/{records[name].pk}/"):
        response = member_browser.get(url, HTTP_ACCEPT="text/html")

        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
        assert str(records[name].pk) in response.content.decode()


def test_adjust_page_renders_for_an_admin(tenant, records, make_member):
    client = browser_for(make_member(tenant, "admin"))

    response = client.get(f"/api/v1/spools/{records['spools'].pk}/adjust/", HTTP_ACCEPT="text/html")

    # The action's page: GET answers the spool and the form for POST (a JSON GET stays 405).
    assert response.status_code == 200
    assert "new_weight_g" in response.content.decode()


def test_spool_form_offers_only_own_materials(member_browser, tenant, other_tenant, make_material):
    mine = make_material(tenant, name="Mine")
    theirs = make_material(other_tenant, name="Theirs")

    content = member_browser.get("/api/v1/spools/", HTTP_ACCEPT="text/html").content.decode()

    assert str(mine.pk) in content
    assert str(theirs.pk) not in content


def test_query_parameter_chooses_the_tenant_in_the_browser(tenant, other_tenant, make_member, make_material):
    user = make_member(tenant, "member", "both")
    Membership.objects.create(tenant=other_tenant, user=user, role="viewer")
    theirs = make_material(other_tenant, name="Globex PLA")
    client = browser_for(user)

    response = client.get("/api/v1/materials/", {"tenant": other_tenant.slug}, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert str(theirs.pk) in response.content.decode()
