"""A JSON answer for an API request whose database is away or locked, wherever the error happens.

Inside a DRF view the exception handler (core.api.exceptions) already answers
database errors. This middleware covers the rest of an /api/ request: the other
middleware (sessions, authentication, ...), rendering, and anything outside DRF.
It is the outermost middleware, and Django turns an exception of any middleware
below it into a 500 before it comes back up; so `got_request_exception`, which
Django sends with the exception being handled, marks the request, and the 500 is
replaced on the way out. A view's exception is caught directly (`process_exception`).

An API outside /api/ with answers of its own shape (the Spoolman-compatible API's
`{"message"}`) sets `request.database_error_answer` to a function of the exception that
answers it; the commit of its request's transaction fails here too, after its view.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from core.api.exceptions import API_PREFIX, DATABASE_RETRY_AFTER_SECONDS
from core.database import is_lock_timeout
from core.errors import ErrorCode

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        error = getattr(request, "database_error", None)
        if error is not None and response.status_code >= 500:
            return answer_for(request, error) or response
        return response

    def process_exception(self, request, exception):
        if is_database_error(exception):
            answer = answer_for(request, exception)
            if answer is not None:
                logger.error("Database error outside the API's exception handler", exc_info=exception)
            return answer
        return None


def answer_for(request, exception):
    """The request's API's answer for a database error, or None for a page that is not an API's."""
    own = getattr(request, "database_error_answer", None)
    if own is not None:
        return own(exception)
    if is_api(request):
        return database_error_response(exception)
    return None


def remember_database_error(sender, request=None, **kwargs):
    exception = sys.exc_info()[1]
    if request is not None and is_database_error(exception):
        request.database_error = exception


got_request_exception.connect(remember_database_error, dispatch_uid="core.middleware.remember_database_error")


def is_api(request):
    return request.path.startswith(API_PREFIX)


def is_database_error(exception):
    return isinstance(exception, (OperationalError, InterfaceError))


def database_error_response(exception):
    if is_lock_timeout(exception):
        code, detail = ErrorCode.BUSY, "The record is being changed by another request; try again."
    else:
        code, detail = ErrorCode.DATABASE_UNAVAILABLE, "The database is unavailable; try again shortly."
    response = JsonResponse({"detail": detail, "code": code.value}, status=code.status)
    if code is ErrorCode.DATABASE_UNAVAILABLE:
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response
