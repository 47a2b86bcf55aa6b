import logging

from django.contrib.auth import authenticate
from django.db import connection
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api.schema import errors
from core.errors import ErrorCode
from tenants.authentication import TokenAuthentication, lockout_seconds
from tenants.mixins import TenantScopedViewMixin
from tenants.serializers import MeSerializer, TenantSerializer

logger = logging.getLogger(__name__)


class CredentialsSerializer(serializers.Serializer):
    # No username is longer (Django's User), and the failed-login record stores at most 255 characters.
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)

    def validate(self, attrs):
        request = self.context["request"]
        user = authenticate(request, username=attrs["username"], password=attrs["password"])
        # django-axes flags a client address or username that has used up its failed logins.
        if getattr(request, "axes_locked_out", False):
            raise Throttled(wait=lockout_seconds(request), detail="Too many failed logins: try again later.")
        if user is None:
            raise serializers.ValidationError("Unable to log in with these credentials.", code="authorization")
        attrs["user"] = user
        return attrs


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="In UTC: a token belongs to no tenant.")


class TokenView(APIView):
    """Obtain a bearer token (POST) or revoke the one this request used (DELETE)."""

    authentication_classes = [TokenAuthentication]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"
    serializer_class = CredentialsSerializer

    def get_permissions(self):
        return [AllowAny()] if self.request.method == "POST" else [IsAuthenticated()]

    # No credentials needed, but a stale `Authorization` header still fails authentication (401).
    @extend_schema(
        request=CredentialsSerializer,
        responses={200: TokenResponseSerializer, **errors(ErrorCode.AUTHENTICATION_FAILED)},
        auth=[],
    )
    def post(self, request):
        credentials = CredentialsSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        instance, token = AuthToken.objects.create(user=credentials.validated_data["user"])
        return Response({"token": token, "expires_at": instance.expiry})

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """The logged-in user and their memberships; needs no active tenant."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class ActiveTenantView(TenantScopedViewMixin, APIView):
    """The tenant this request acts for."""

    @extend_schema(responses=TenantSerializer)
    def get(self, request):
        return Response(TenantSerializer(request.tenant, context={"request": request}).data)


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not ready", never a 500
        # The driver's message names hosts and users: it goes to the log, not to anonymous callers.
        logger.exception("readyz: the database is not reachable")
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
