"""The farm dashboard (`/admin/dashboard/`): this week's runs by status, grams used per day by
material over 60 days, the low-stock spools and the variance per product, drawn as SVG on the
server from the report selectors (the figures `/metrics` and `reports/` give).

Staff see any tenant (`?tenant=<slug>`, default the first); a tenant's admins and owners see
their tenants, from a browser session of the browsable API or the admin.
"""

import datetime
from decimal import Decimal

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import reverse

from inventory.charts import PALETTE, Bar, bar_chart, safe_colour, stacked_bar_chart
from inventory.models import Material
from inventory.selectors import low_stock_report
from production.floor import QueueState
from production.models import Printer
from production.selectors import DayRange, runs_by_status, usage_report, variance_report
from production.services.dispatch import queued_runs
from production.status_codes import RunStatus
from tenants.models import Membership, Role, Tenant
from tenants.scoping import all_tenants

USAGE_DAYS = 60
VARIANCE_DAYS = 30
QUEUE_SHOWN = 15
STATUS_COLOURS = {
    RunStatus.PLANNED: "#a16207",
    RunStatus.IN_PROGRESS: "#2563eb",
    RunStatus.COMPLETED: "#15803d",
    RunStatus.FAILED: "#b91c1c",
    RunStatus.CANCELLED: "#6b7280",
}
MANAGING_ROLES = (Role.ADMIN, Role.OWNER)


def visible_tenants(user):
    """The tenants whose dashboard `user` may open: every one for staff, else those they administer."""
    tenants = Tenant.objects.order_by("name", "slug")
    if user.is_active and user.is_staff:
        return tenants
    managed = Membership.objects.filter(user=user, role__in=MANAGING_ROLES).values("tenant")
    return tenants.filter(pk__in=managed)


def this_week(tenant):
    today = datetime.datetime.now(tenant.zone).date()
    return DayRange(start=today - datetime.timedelta(days=today.weekday()), end=today, zone=tenant.zone)


def runs_chart(tenant, days):
    counts = runs_by_status(tenant=tenant, days=days)
    bars = [Bar(RunStatus(status).label, Decimal(count), STATUS_COLOURS[status]) for status, count in counts.items()]
    return bar_chart(bars, label=f"Runs started this week by status ({days.start} to {days.end})"), counts


def usage_chart(tenant, days):
    """A column per day, stacked by material in the material's colour (the palette's if it has none)."""
    rows = usage_report(tenant=tenant, days=days, group_by="material", period="day")
    materials = Material.objects.for_tenant(tenant).select_related("vendor").in_bulk({row.id for row in rows})
    # Each series in the legend as choice lists name a material (names repeat: number, kind, colour, vendor).
    names = {row.id: materials[row.id].choice_label() if row.id in materials else row.name for row in rows}
    series = [
        (name, safe_colour(getattr(materials.get(material_id), "color_hex", None), PALETTE[index % len(PALETTE)]))
        for index, (material_id, name) in enumerate(sorted(names.items(), key=lambda item: (item[1], str(item[0]))))
    ]
    columns = {
        (days.start + datetime.timedelta(days=n)).isoformat(): {} for n in range((days.end - days.start).days + 1)
    }
    for row in rows:
        columns[row.period.isoformat()][names[row.id]] = row.grams
    total = sum((row.grams for row in rows), Decimal(0))
    label = f"Grams used per day by material, {days.start} to {days.end}"
    return stacked_bar_chart(columns, series, label=label, unit=" g"), total


def variance_chart(tenant, days):
    rows = variance_report(tenant=tenant, days=days, group_by="product")
    bars = [Bar(row.name, row.variance_g, "#b91c1c" if row.variance_g > 0 else "#15803d") for row in rows]
    label = f"Variance per product (actual - estimated grams), {days.start} to {days.end}"
    return bar_chart(bars, label=label, unit=" g"), rows


def floor_view(tenant):
    """The queue's first runs (dispatch order, with readiness) and every printer's state and loaded slots."""
    state = QueueState(tenant)
    queue = [
        {"run": run, "ready": state.ready(run)}
        for run in queued_runs(tenant).select_related("printer").prefetch_related("items__product")[:QUEUE_SHOWN]
    ]
    printers = list(
        Printer.objects.for_tenant(tenant).with_current_run().annotate(loaded=Count("slots")).order_by("name")
    )
    return {"queue": queue, "queued": queued_runs(tenant).count(), "printers": printers}


def dashboard(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    with all_tenants():
        tenants = list(visible_tenants(request.user))
        if not tenants:
            raise PermissionDenied("The dashboard is for staff and for a tenant's admins and owners.")
        slug = request.GET.get("tenant")
        tenant = next((one for one in tenants if one.slug == slug), None) if slug else tenants[0]
        if tenant is None:
            raise Http404("No such tenant, or not one of yours.")
        week = this_week(tenant)
        runs_svg, run_counts = runs_chart(tenant, week)
        usage_svg, used_g = usage_chart(tenant, DayRange.last_days(tenant, USAGE_DAYS))
        variance_svg, variance_rows = variance_chart(tenant, DayRange.last_days(tenant, VARIANCE_DAYS))
        low_stock = low_stock_report(tenant=tenant)
        floor = floor_view(tenant)
    staff = request.user.is_active and request.user.is_staff
    context = {
        **(admin.site.each_context(request) if staff else {"site_header": admin.site.site_header}),
        "title": f"Dashboard: {tenant.name}",
        "tenant": tenant,
        "tenants": tenants,
        "runs_svg": runs_svg,
        "run_counts": run_counts,
        "runs_this_week": sum(run_counts.values()),
        "usage_svg": usage_svg,
        "used_g": used_g,
        "usage_days": USAGE_DAYS,
        "variance_svg": variance_svg,
        "variance_rows": variance_rows,
        "variance_days": VARIANCE_DAYS,
        "low_stock": low_stock,
        "low_spools": sum(len(entry.spools) for entry in low_stock),
        **floor,
        "spool_admin_url": reverse("admin:inventory_spool_changelist") if staff else None,
        "staff": staff,
    }
    return TemplateResponse(request, "insights/dashboard.html", context)
