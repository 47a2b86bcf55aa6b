"""The farm's catalogue: products (printers are plain rows their viewset writes; they record no events).

One row and its event: the caller's transaction (the API write's) is joined without a savepoint;
called alone, they get a transaction of their own.
"""

from dataclasses import dataclass
from decimal import Decimal

from core.changes import UNSET, Unset, sent
from events.services import create_recorded, delete_recorded, update_recorded
from production.models import Product
from production.serializers import ProductSerializer
from tenants.models import Tenant


@dataclass(frozen=True, kw_only=True)
class ProductFields:
    """A new product: its writable fields (the model's defaults where optional)."""

    sku: str
    name: str
    description: str = ""
    unit_weight_g: Decimal | None = None
    material_kind: str = ""
    is_active: bool = True


@dataclass(frozen=True, kw_only=True)
class ProductChanges:
    """A PUT/PATCH of a product: a field left `UNSET` was not sent and keeps its value."""

    sku: str | Unset = UNSET
    name: str | Unset = UNSET
    description: str | Unset = UNSET
    unit_weight_g: Decimal | Unset | None = UNSET
    material_kind: str | Unset = UNSET
    is_active: bool | Unset = UNSET


def _represent_product(product):
    return ProductSerializer(product).data


def create_product(*, tenant: Tenant, user, fields: ProductFields) -> Product:
    """A new product; event `product.created`."""
    product = Product(tenant=tenant, **vars(fields))
    return create_recorded(product, user=user, event_type="product.created", represent=_represent_product)


def update_product(*, product: Product, user, changes: ProductChanges) -> Product:
    """Change a product's fields; event `product.updated`."""
    return update_recorded(
        product, user=user, event_type="product.updated", represent=_represent_product, fields=sent(changes)
    )


def delete_product(*, product: Product, user) -> None:
    """Delete a product no run uses (else Django's ProtectedError: a 409 `protected`); event `product.deleted`."""
    delete_recorded(product, user=user, event_type="product.deleted", represent=_represent_product)
