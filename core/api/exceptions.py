import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse
from django.views import defaults
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from core.database import is_database_unavailable, is_lock_timeout
from core.errors import DomainError, ErrorCode
from core.integrity import unique_violation

logger = logging.getLogger(__name__)

# How long a client should wait before retrying while the database is away.
DATABASE_RETRY_AFTER_SECONDS = 5
API_PREFIX = "/api/"


def exception_handler(exc, context):
    """DRF's handler plus the contract's shapes.

    Every error that is not a field-error dict answers `{"detail", "code"}` with the
    status its `ErrorCode` carries. Domain errors, protected deletes, model
    validation, lost uniqueness races and lock waits become 4xx; a database that is
    away becomes 503. Any other integrity error means a broken invariant: it is not
    disguised as a client error but left to Django, which logs it and answers 500.
    """
    if isinstance(exc, DomainError):
        return error_response(exc.detail, exc.code, **exc.extra)
    if isinstance(exc, (ProtectedError, RestrictedError)):
        # verbose names are lazy translation proxies: make them str before sorting and joining.
        blockers = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects if obj is not None})
        return error_response("This record is still referenced by " + ", ".join(blockers) + ".", ErrorCode.PROTECTED)
    if isinstance(exc, DjangoValidationError):
        return Response(as_serializer_error(exc), status=400)
    if isinstance(exc, IntegrityError):
        # A concurrent request won a per-tenant uniqueness race the serializer had already checked.
        violation = unique_violation(exc)
        if violation is None:
            logger.error("Integrity error that no client input explains", exc_info=exc)
            return None
        return Response({violation.field: [violation.message]}, status=400)
    if is_lock_timeout(exc):
        return error_response("The record is being changed by another request; try again.", ErrorCode.BUSY)
    if is_database_unavailable(exc):
        logger.error("Database unavailable", exc_info=exc)
        response = error_response("The database is unavailable; try again shortly.", ErrorCode.DATABASE_UNAVAILABLE)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response

    response = drf_exception_handler(exc, context)
    if response is not None and is_plain_detail(response.data):
        response.data["code"] = error_code(exc, response.status_code)
    return response


def error_response(detail, code: ErrorCode, **extra):
    return Response({"detail": detail, "code": code.value, **extra}, status=code.status)


def error_code(exc, status_code):
    if isinstance(exc, APIException):
        codes = exc.get_codes()
        return codes if isinstance(codes, str) else exc.default_code
    # Django's Http404 and PermissionDenied, which DRF answers for us.
    return {404: ErrorCode.NOT_FOUND.value, 403: ErrorCode.PERMISSION_DENIED.value}.get(status_code, "error")


def is_plain_detail(data):
    return isinstance(data, dict) and set(data) == {"detail"} and isinstance(data["detail"], str)


def bad_request(request, exception):
    """Django's 400 (`handler400`: a SuspiciousOperation, such as a body over the size limit), in JSON on `/api/`.

    Django reads the body outside DRF's exception handling (a parser, a middleware), so the
    error it raises there is answered by this view rather than by `exception_handler`.
    """
    if not request.path.startswith(API_PREFIX):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        code = ErrorCode.BODY_TOO_LARGE
        detail = f"The body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes, the most this API accepts."
    else:
        code, detail = ErrorCode.INVALID, "The request is malformed."
    return JsonResponse({"detail": detail, "code": code.value}, status=code.status)
