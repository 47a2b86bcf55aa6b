from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from config.errors import DomainError


def exception_handler(exc, context):
    """DRF's handler plus the contract's shapes.

    Every error that is not a field-error dict answers `{"detail", "code"}`; domain
    errors, protected deletes, model validation and integrity races become 4xx.
    """
    if isinstance(exc, DomainError):
        return Response({"detail": exc.detail, "code": exc.code, **exc.extra}, status=exc.status_code)
    if isinstance(exc, (ProtectedError, RestrictedError)):
        # verbose names are lazy translation proxies: make them str before sorting and joining.
        blockers = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects if obj is not None})
        detail = "This record is still referenced by " + ", ".join(blockers) + "."
        return Response({"detail": detail, "code": "protected"}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        return Response(as_serializer_error(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        # A concurrent request won a uniqueness race the serializer had already checked.
        return Response(
            {"detail": "This conflicts with a record written at the same time.", "code": "unique"},
            status=status.HTTP_400_BAD_REQUEST,
        )

    response = drf_exception_handler(exc, context)
    if response is not None and is_plain_detail(response.data):
        response.data["code"] = error_code(exc, response.status_code)
    return response


def error_code(exc, status_code):
    if isinstance(exc, APIException):
        codes = exc.get_codes()
        return codes if isinstance(codes, str) else exc.default_code
    # Django's Http404 and PermissionDenied, which DRF answers for us.
    return {404: "not_found", 403: "permission_denied"}.get(status_code, "error")


def is_plain_detail(data):
    return isinstance(data, dict) and set(data) == {"detail"} and isinstance(data["detail"], str)
