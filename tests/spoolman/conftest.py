"""A printer with an integration key, and a client of the Spoolman-compatible API under it."""

from decimal import Decimal

import pytest

from spoolman import services
from spoolman.models import KeyScope
from tests.support.clients import SpoolmanClient


@pytest.fixture
def manage_spoolman(tenant, make_member):
    """A Spoolman client under a manage key of an admin of the tenant (its writes are recorded as that admin's)."""
    creator = make_member(tenant, "admin", "spoolman-manager")
    issued = services.create_key(
        tenant=tenant, user=creator, draft=services.KeyDraft(scope=KeyScope.MANAGE, name="spoolman-ui")
    )
    client = SpoolmanClient(issued.secret)
    client.creator = creator
    return client


@pytest.fixture
def printer(tenant, make_printer):
    return make_printer(tenant, name="Voron 1")


@pytest.fixture
def issued(tenant, printer, member):
    return services.create_key(tenant=tenant, user=member, draft=services.KeyDraft(printer=printer, name="moonraker"))


@pytest.fixture
def spoolman(issued):
    return SpoolmanClient(issued.secret)


@pytest.fixture
def manage_client(tenant, make_member):
    """A client of the Spoolman API under a manage key of the tenant's owner (Spoolman's whole API)."""
    draft = services.KeyDraft(name="spoolman web", scope=KeyScope.MANAGE)
    owner = make_member(tenant, "owner", username="spoolman-owner")
    return SpoolmanClient(services.create_key(tenant=tenant, user=owner, draft=draft).secret)


@pytest.fixture
def pla(tenant, make_material):
    return make_material(tenant, name="Galaxy Black", brand="Prusament", kind="PLA", density_g_cm3=Decimal("1.24"))


@pytest.fixture
def spool(tenant, make_spool, pla):
    return make_spool(tenant, pla, initial_weight_g=Decimal("1000.00"), empty_spool_weight_g=Decimal("200.00"))
