"""Who may do what to a run's items and materials: one test per role and operation (SPEC section 2).

"`member` may create, update and run the actions of section 5, including adding and removing a
run's items and materials": members, admins and owners may add, change and remove them; viewers
only read. The README's roles table says the same, and the last test holds it to this one.
"""

import re
from pathlib import Path

import pytest

from production.models import ProductionRunItem, ProductionRunMaterial
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/production-runs/"
ROLES = ("viewer", "member", "admin", "owner")
OPERATIONS = ("list", "retrieve", "create", "update", "partial_update", "destroy")
README = Path(__file__).resolve().parents[2] / "README.md"

# operation -> the statuses of viewer, member, admin, owner: the same for items and materials.
EXPECTED = {
    "list": (200, 200, 200, 200),
    "retrieve": (200, 200, 200, 200),
    "create": (403, 201, 201, 201),
    "update": (403, 200, 200, 200),
    "partial_update": (403, 200, 200, 200),
    "destroy": (403, 204, 204, 204),
}


@pytest.fixture
def child_run(tenant, make_run, make_product, make_spool):
    """An in-progress run with one item and one material, and a product and a spool to add."""
    run = make_run(tenant)
    return {
        "run": run,
        "items": run.items.get(),
        "materials": run.materials.get(),
        "product": make_product(tenant),
        "spool": make_spool(tenant),
    }


def request_for(kind, operation, world):
    """(method, path, body) of `operation` on the run's `kind` (`items` or `materials`)."""
    base = f"{RUNS}{world['run'].pk}/{kind}/"
    one = f"{base}{world[kind].pk}/"
    if kind == "items":
        new = {"product": str(world["product"].pk), "quantity": 2}
        replaced = {"product": str(world["product"].pk), "quantity": 3}
        changed = {"notes": "changed"}
    else:
        new = {"spool": str(world["spool"].pk), "estimated_model_g": "20.00"}
        replaced = {"spool": str(world["spool"].pk), "estimated_model_g": "30.00"}
        changed = {"actual_model_g": "90.00"}
    return {
        "list": ("get", base, None),
        "retrieve": ("get", one, None),
        "create": ("post", base, new),
        "update": ("put", one, replaced),
        "partial_update": ("patch", one, changed),
        "destroy": ("delete", one, None),
    }[operation]


def children(kind, run):
    model = ProductionRunItem if kind == "items" else ProductionRunMaterial
    fields = (
        ("pk", "product", "quantity", "notes")
        if kind == "items"
        else ("pk", "spool", "estimated_model_g", "actual_model_g")
    )
    return sorted(model.objects.filter(run=run).values_list(*fields), key=str)


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ["items", "materials"])
def test_each_role_on_each_operation_of_a_runs_children(tenant, make_member, child_run, kind, role, operation):
    client = client_for(make_member(tenant, role), tenant)
    method, path, body = request_for(kind, operation, child_run)
    before = children(kind, child_run["run"])
    expected = EXPECTED[operation][ROLES.index(role)]

    response = getattr(client, method)(path, body, format="json") if body else getattr(client, method)(path)

    assert response.status_code == expected, response.content
    after = children(kind, child_run["run"])
    if method == "get" or expected == 403:
        assert after == before
    else:
        assert after != before  # the write took effect
    if expected == 403:
        assert response.json()["code"] == "permission_denied"


def readme_roles_row(words):
    """The README roles table's row whose first cell has `words`, as {role: allowed}."""
    table = README.read_text().split("| may | viewer | member | admin | owner |", 1)[1]
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if re.search(words, cells[0]):
            return dict(zip(ROLES, (cell == "yes" for cell in cells[1:]), strict=True))
    raise AssertionError(f"The README's roles table has no row about {words!r}")


def test_the_readme_roles_table_says_what_the_api_does_with_a_runs_children():
    documented = readme_roles_row(r"a run's items and materials")
    allowed = {
        role: all(EXPECTED[operation][index] < 400 for operation in ("create", "update", "destroy"))
        for index, role in enumerate(ROLES)
    }

    assert documented == allowed
