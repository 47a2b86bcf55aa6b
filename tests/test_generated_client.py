"""A REST client generated from our schema works (issue 12.9).

openapi-python-client (pinned in requirements-dev.txt) generates a Python client from the
schema this build serves; the README's curl session then runs through that client against
a live server: a token, the spools, a run created with items and materials, its completion,
and the ledger rows it wrote. A schema that documented form or multipart bodies first, or
named a path parameter otherwise than the README, breaks this test.
"""

import importlib
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from tenants.services import add_member

PACKAGE = "printfarm_client"
PASSWORD = "generated-client-password"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture
def generated_client(tmp_path, monkeypatch):
    """The client package generated from `manage.py spectacular`'s schema, importable."""
    schema = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(schema), "--validate", "--fail-on-warn")
    config = tmp_path / "config.yaml"
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    output = tmp_path / "client"
    command = [str(GENERATOR), "generate", "--path", str(schema), "--meta", "none"]
    result = subprocess.run(
        [*command, "--output-path", str(output), "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The package is generated as `client/`: import it under its own name from a folder of its own.
    root = tmp_path / "packages"
    shutil.copytree(output, root / PACKAGE)
    monkeypatch.syspath_prepend(str(root))
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]
    yield importlib.import_module(PACKAGE)
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def module(name):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_readme_flow_runs_through_a_client_generated_from_the_schema(
    generated_client, live_server, tenant, make_spool, make_product
):
    add_member(tenant=tenant, username="client-owner", role="owner", password=PASSWORD)
    spool = make_spool(tenant, code="PLA-003", initial_weight_g=Decimal("1000.00"))
    product = make_product(tenant, sku="MUG-01")
    models = module("models")

    # The token.
    anonymous = generated_client.Client(base_url=live_server.url, raise_on_unexpected_status=True)
    token = module("api.auth.auth_token_create").sync(
        client=anonymous, body=models.CredentialsRequest(username="client-owner", password=PASSWORD)
    )
    assert isinstance(token, models.TokenResponse), token
    client = generated_client.AuthenticatedClient(
        base_url=live_server.url,
        token=token.token,
        prefix="Token",
        headers={"X-Tenant": tenant.slug},
        raise_on_unexpected_status=True,
    )

    # The spools.
    spools = module("api.spools.spools_list").sync(client=client, is_active=True)
    assert [row.code for row in spools.results] == ["PLA-003"]

    # A run with one item and one material, sent as one nested JSON body.
    body = models.ProductionRunRequest(
        items=[models.RunItemRequest(product=product.sku, quantity=8)],
        materials=[
            models.RunMaterialRequest(
                spool=str(spools.results[0].id), estimated_model_g="110.00", estimated_flushed_g="10.00"
            )
        ],
    )
    run = module("api.production_runs.production_runs_create").sync(client=client, body=body)
    assert isinstance(run, models.ProductionRun), run
    assert [(item.product_sku, item.quantity) for item in run.items] == [("MUG-01", 8)]

    # Its materials, by the run's `run_id`, then the completion with the weighings.
    materials = module("api.production_runs.production_runs_materials_list").sync(run_id=run.id, client=client)
    actuals = models.MaterialActualsRequest(
        id=materials.results[0].id, spool_weight_before_g="1000.00", spool_weight_after_g="877.50"
    )
    completed = module("api.production_runs.production_runs_complete_create").sync(
        id=run.id, client=client, body=models.CompleteRunRequest(quality_rating=4, materials=[actuals])
    )
    assert isinstance(completed, models.ProductionRun), completed
    assert str(completed.status) == "completed"

    # The ledger row it wrote, and the spool it moved.
    ledger = module("api.inventory_transactions.inventory_transactions_list").sync(client=client, production_run=run.id)
    assert [(str(row.type_), row.weight_change_g, row.weight_after_g) for row in ledger.results] == [
        ("usage", "-122.50", "877.50")
    ]
    spool.refresh_from_db()
    assert spool.current_weight_g == Decimal("877.50")
