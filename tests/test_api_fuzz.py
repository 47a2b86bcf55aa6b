"""Property-based fuzzing of every API operation against its own OpenAPI schema (SPEC 3).

"Never 500 for anything a client can send": schemathesis draws requests from the schema
drf-spectacular generates, valid ones and ones that break it, and each goes through the
WSGI application in-process, against the test database, as the owner of a small farm.
Every answer must be below 500 and, for the statuses the schema documents, match it.

Requests reach past validation because the fuzzer's random ids are swapped for the
farm's real ones (path ids always; body ids and `X-Tenant` on some examples). Every
request runs in a savepoint rolled back after it, so each meets the same data: the run
is repeatable, and `derandomize` makes it the same run every time (no timing either).

`FUZZ_EXAMPLES=200 pytest tests/test_api_fuzz.py` explores further than the suite does.
"""

import os
import traceback
from dataclasses import dataclass
from decimal import Decimal

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from config.wsgi import application
from production.services import Completion, complete_run

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))  # per operation: ~20 s for all of them
# https: with DEBUG off the app redirects plain http; testserver is always an allowed host in tests.
BASE_URL = "https://testserver"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]

# The schema as /api/v1/schema/ serves it; an empty config so no stray schemathesis.toml applies.
SCHEMA = schemathesis.openapi.from_dict(
    SchemaGenerator().get_schema(request=None, public=True), config=SchemathesisConfig()
)
OPERATIONS = sorted((result.ok() for result in SCHEMA.get_all_operations()), key=lambda op: op.label)


@dataclass
class Farm:
    """What the fuzzer's requests act on: real ids for paths and bodies."""

    slug: str
    token: str
    fields: dict  # body field naming a record -> the farm's ids for it
    runs: dict  # run id -> {"items": [its item id], "materials": [its material id]}
    paths: dict  # path template (a prefix of the operations it covers) -> candidate path parameters

    def path_parameters(self, operation):
        for template, candidates in self.paths.items():
            if operation.path.startswith(template):
                return candidates
        return [{}]

    def children(self, path_parameters):
        """The items and materials a `complete/`/`fail/` body may name: those of the run in the path."""
        run_id = path_parameters.get("run_id") or path_parameters.get("id")
        return self.runs.get(run_id, {})


@pytest.fixture
def farm(tenant, make_member, make_material, make_spool, make_product, make_printer, make_run):
    """A tenant's catalog, an in-progress run and a completed one, and its owner's token."""
    owner = make_member(tenant, "owner")
    _, token = AuthToken.objects.create(user=owner)
    material = make_material(tenant)
    spools = [make_spool(tenant, material, initial_weight_g=Decimal("5000.00")) for _ in range(3)]
    product, printer = make_product(tenant), make_printer(tenant)

    def run_on(spool):
        return make_run(
            tenant,
            printer=printer,
            items=[{"product": product, "quantity": 4}],
            materials=[{"spool": spool, "estimated_model_g": Decimal("40.00")}],
        )

    open_run, done_run = run_on(spools[0]), run_on(spools[1])
    complete_run(run=done_run, user=owner, completion=Completion.from_data({"use_estimates": True}))
    runs = {
        str(run.pk): {"items": [str(run.items.get().pk)], "materials": [str(run.materials.get().pk)]}
        for run in (open_run, done_run)
    }
    return Farm(
        slug=tenant.slug,
        token=token,
        fields={
            "material": [str(material.pk)],
            "spool": [str(spool.pk) for spool in spools],
            "product": [str(product.pk)],
            "printer": [str(printer.pk)],
            "original_run": list(runs),
        },
        runs=runs,
        paths={
            "/api/v1/materials/{id}/": [{"id": str(material.pk)}],
            "/api/v1/spools/{id}/": [{"id": str(spool.pk)} for spool in spools[:2]],
            "/api/v1/inventory-transactions/{id}/": [{"id": str(spools[0].transactions.get().pk)}],
            "/api/v1/products/{id}/": [{"id": str(product.pk)}],
            "/api/v1/printers/{id}/": [{"id": str(printer.pk)}],
            "/api/v1/production-runs/{id}/": [{"id": run} for run in runs],
            "/api/v1/production-runs/{run_id}/items/{id}/": [
                {"run_id": run, "id": children["items"][0]} for run, children in runs.items()
            ],
            "/api/v1/production-runs/{run_id}/materials/{id}/": [
                {"run_id": run, "id": children["materials"][0]} for run, children in runs.items()
            ],
            "/api/v1/production-runs/{run_id}/": [{"run_id": run} for run in runs],
        },
    )


@pytest.fixture
def wsgi_app():
    """The real WSGI application, run inside the test's transaction.

    Django closes a connection that is in a transaction when a request starts or ends,
    which would end the test's; its own test client unhooks that handler the same way.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def server_errors():
    """The tracebacks behind 500s, for the failure message."""
    caught = []

    def record(sender, **kwargs):
        caught.append(traceback.format_exc())

    got_request_exception.connect(record, weak=False)
    yield caught
    got_request_exception.disconnect(record)


def bind_ids(value, fields, children, draw, parent=None):
    """`value` with each id the fuzzer put in a record field replaced by one of the farm's."""
    if isinstance(value, list):
        return [bind_ids(entry, fields, children, draw, parent) for entry in value]
    if not isinstance(value, dict):
        return value
    bound = {}
    for key, entry in value.items():
        if isinstance(entry, str) and key in fields:
            entry = draw(st.sampled_from(fields[key]))
        elif isinstance(entry, str) and key == "id" and parent in children:
            entry = draw(st.sampled_from(children[parent]))  # complete/fail: an item or material of the run
        else:
            entry = bind_ids(entry, fields, children, draw, key)
        bound[key] = entry
    return bound


def cases(operation, farm):
    """Valid and invalid requests for `operation`, on each of the farm's records its path can name."""
    return st.one_of(
        *(
            operation.as_strategy(mode, path_parameters=parameters)
            for parameters in farm.path_parameters(operation)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        )
    )


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_no_request_gets_a_server_error(operation, farm, wsgi_app, server_errors):
    auth = {"Authorization": f"Token {farm.token}"}

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        # Schema-driven data is large and often filtered; neither is a problem here.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(case=cases(operation, farm), data=st.data())
    def answered_without_server_error(case, data):
        if data.draw(st.booleans(), label="the farm's ids in the body"):
            case.body = bind_ids(case.body, farm.fields, farm.children(case.path_parameters), data.draw)
        if data.draw(st.booleans(), label="the farm's X-Tenant"):
            case.headers = {**(case.headers or {}), "X-Tenant": farm.slug}
        server_errors.clear()
        cache.clear()  # throttle counters: each request starts with none
        with transaction.atomic():
            response = case.call(base_url=BASE_URL, app=wsgi_app, headers=auth)
            transaction.set_rollback(True)
        assert response.status_code < 500, "\n".join([case.as_curl_command(), *server_errors]) or response.text
        case.validate_response(response, checks=CHECKS, headers=auth)

    answered_without_server_error()
