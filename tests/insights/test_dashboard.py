"""The admin dashboard (issue 12.6): runs by status this week, grams per day by material, low-stock
spools and variance per product, as server-drawn SVG; and a spool's weight over time on its page."""

import datetime
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from inventory.charts import Bar, Series, bar_chart, line_chart, safe_colour, stacked_bar_chart
from inventory.services import Adjustment, adjust_spool
from production.services import Completion, Failure, MaterialActuals, complete_run, fail_run

URL = "/admin/dashboard/"


@pytest.fixture
def staff_client(db):
    user = get_user_model().objects.create_user("boss", password="x", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def browser_of(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def farm(tenant, member, make_material, make_spool, make_run, make_product):
    red = make_material(tenant, name="Galaxy Red", color_hex="#C4112F")
    full, low = make_spool(tenant, red, code="RED-1"), make_spool(tenant, red, code="RED-2")
    adjust_spool(spool=low, user=member, adjustment=Adjustment(type="count", new_weight_g=Decimal("90.00")))
    mug = make_product(tenant, sku="MUG-01", name="Mug")
    done = make_run(
        tenant,
        items=[{"product": mug, "quantity": 2}],
        materials=[{"spool": full, "estimated_model_g": Decimal("100.00")}],
    )
    complete_run(run=done, user=member, completion=Completion(use_estimates=True))
    failed = make_run(tenant, materials=[{"spool": full, "estimated_model_g": Decimal("10.00")}])
    used = MaterialActuals(id=failed.materials.get().pk, actual_model_g=Decimal("10.00"))
    fail_run(run=failed, user=member, failure=Failure(failure_reason="spaghetti", materials=(used,)))
    make_run(tenant, materials=[{"spool": full, "estimated_model_g": Decimal("10.00")}])
    return {"full": full, "low": low, "material": red}


def svgs(response):
    return re.findall(r"<svg [^>]*class=\"chart\".*?</svg>", response.content.decode(), flags=re.S)


def test_staff_see_the_charts_of_the_first_tenant(staff_client, farm, tenant):
    response = staff_client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Dashboard: Acme" in page
    charts = svgs(response)
    assert len(charts) == 3  # runs, usage, variance; low stock is a table
    runs, usage, variance = charts
    # This week's runs: one of each of in progress, completed and failed.
    assert "<title>In progress: 1</title>" in runs
    assert "<title>Completed: 1</title>" in runs
    assert "<title>Failed: 1</title>" in runs
    assert "<title>Cancelled: 0</title>" in runs
    # Today's usage (100 g completed + 10 g failed) in the material's own colour, named in the legend as
    # choice lists name it (number, kind, colour, brand: two materials may share a name).
    today = datetime.datetime.now(tenant.zone).date().isoformat()
    number = farm["material"].number
    assert f"<title>{today} #{number} Galaxy Red (PLA) · Red · Acme: 110 g</title>" in usage
    assert 'fill="#C4112F"' in usage
    # The completed run used its estimate exactly: no variance.
    assert "<title>Mug: 0 g</title>" in variance
    # The low spool, linked to its admin page, and none of the full one.
    assert 'href="/admin/inventory/spool/{}/change/"'.format(farm["low"].pk) in page
    assert "RED-1" not in page.split('id="low-stock"')[1].split("</section>")[0]


def test_the_dashboard_costs_a_fixed_number_of_queries(staff_client, farm, django_assert_max_num_queries):
    # Session and user, the tenants, then one query per report and one for the material colours.
    with django_assert_max_num_queries(8):
        assert staff_client.get(URL).status_code == 200


def test_staff_choose_the_tenant(staff_client, farm, other_tenant):
    response = staff_client.get(URL, {"tenant": "globex"})

    assert response.status_code == 200
    assert "Dashboard: Globex" in response.content.decode()
    assert "Nothing to show yet." in response.content.decode()


def test_a_tenant_admin_sees_their_own_tenant_only(farm, tenant, other_tenant, make_member):
    client = browser_of(make_member(tenant, "admin"))

    assert "Dashboard: Acme" in client.get(URL).content.decode()
    assert client.get(URL, {"tenant": "globex"}).status_code == 404


def test_members_and_viewers_have_no_dashboard(farm, tenant, make_member):
    assert browser_of(make_member(tenant, "member", "m2")).get(URL).status_code == 403
    assert browser_of(make_member(tenant, "viewer")).get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(db):
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/api-auth/login/?next=")


def test_the_admin_index_links_the_dashboard(staff_client):
    assert f'href="{URL}"' in staff_client.get("/admin/").content.decode()


def test_a_spool_page_shows_its_weight_over_time(staff_client, farm):
    spool = farm["full"]
    response = staff_client.get(f"/admin/inventory/spool/{spool.pk}/change/")

    (chart,) = svgs(response)
    assert f"Weight of spool {spool.code} over time" in chart
    # One point per ledger row: the purchase, the completion's usage, the failure's waste.
    assert chart.count("<circle") == spool.transactions.count() == 3
    assert ": 1,000 g</title>" in chart
    assert ": 890 g</title>" in chart


# --- the charts themselves -------------------------------------------------------------------


def test_chart_texts_are_escaped():
    chart = bar_chart([Bar("<script>alert(1)</script>", Decimal(3))], label='a "label" & more')

    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart
    assert "&quot;label&quot; &amp; more" in chart


def test_a_colour_that_is_not_rrggbb_falls_back_to_the_palette():
    assert safe_colour("#00ff00") == "#00ff00"
    assert safe_colour('red" onload="x', "#123456") == "#123456"
    assert safe_colour("", "#123456") == "#123456"


def test_negative_bars_hang_below_the_zero_line():
    chart = bar_chart([Bar("over", Decimal(5)), Bar("under", Decimal(-5))], label="variance")
    zero = float(re.search(r'<line x1="\d+" x2="\d+" y1="([\d.]+)" y2="[\d.]+" stroke="#6b7280"/>', chart).group(1))
    (over_y, over_h), (under_y, _) = [
        (float(y), float(h))
        for y, h in re.findall(r'<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', chart)
    ]

    assert over_y + over_h == pytest.approx(zero, abs=0.2)
    assert under_y == pytest.approx(zero, abs=0.2)


def test_empty_charts_say_so():
    assert "Nothing to show yet." in bar_chart([], label="x")
    assert "Nothing to show yet." in stacked_bar_chart({}, [], label="x")
    assert "Nothing to show yet." in line_chart([Series("s", [])], label="x")


def test_a_staircase_holds_each_weight_until_the_next_row():
    now = timezone.now()
    points = [(now - datetime.timedelta(days=2), Decimal(1000)), (now - datetime.timedelta(days=1), Decimal(800))]
    chart = line_chart([Series("S", points)], label="w", end=now, step=True)
    coordinates = re.search(r'points="([^"]+)"', chart).group(1).split()

    # Start, the step's corner at the old weight, the new weight, then held to `end`.
    assert len(coordinates) == 4
    assert coordinates[1].split(",")[1] == coordinates[0].split(",")[1]
    assert coordinates[3].split(",")[1] == coordinates[2].split(",")[1]


def test_a_line_charts_moments_read_in_the_active_time_zone():
    moment = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
    with timezone.override("Europe/Berlin"):
        chart = line_chart([Series("S", [(moment, Decimal(5))])], label="w")

    assert "<title>S 2026-03-02 10:30: 5</title>" in chart
