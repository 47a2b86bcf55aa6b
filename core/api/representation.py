"""Serializers whose output fields are built once per class, not once per response.

DRF builds a serializer's fields (`get_fields`: the model's fields mapped, declared fields
deep-copied, nested serializers built in turn) every time a serializer is made, which is
every response; for the run list that is three serializers' fields per request. Reading
needs none of what varies per request: `PlannedRepresentation.to_representation` runs
DRF's own loop (`Serializer.to_representation`: each readable field's `get_attribute`,
then its `to_representation`) over the readable fields of one template instance of the
class, built on first use and kept. Validation, the browsable API's forms and the schema
still use the fields of each instance, built per request with its context.

Only for serializers whose readable fields and their output do not depend on the request
(no `SerializerMethodField` reading the context, no hyperlinks): the ones that mix it in.
`tests/core/test_representation.py` compares their output with DRF's.
"""

from typing import Any

from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject


class PlannedRepresentation:
    _representation_plans: dict[type, tuple[Any, ...]] = {}

    def to_representation(self, instance):
        ret = {}
        for field in representation_plan(type(self)):
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[field.field_name] = None if check_for_none is None else field.to_representation(attribute)
        return ret


def representation_plan(serializer_class):
    """The readable fields of one context-free instance of `serializer_class`, built once."""
    plan = PlannedRepresentation._representation_plans.get(serializer_class)
    if plan is None:
        template = serializer_class(context={})
        plan = PlannedRepresentation._representation_plans[serializer_class] = tuple(template._readable_fields)
    return plan
