"""The bottom floor's one table: the idempotency keys of POST requests (see core.idempotency)."""

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """A POST's `Idempotency-Key`, claimed in the transaction of the change it made.

    The row is inserted before the view runs and completed with the response before
    the transaction commits, so a committed key always has its change and its answer
    (`response_status` set), and a rolled-back request leaves no key behind. A row
    without a response is a request still running. The tenant is kept by id, not as
    a foreign key: the bottom floor knows no tenant model, and keys live 24 h at most.
    """

    key = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The request's tenant id, or "" for a view without one (a plain value: see the docstring).
    tenant_pk = models.CharField(max_length=64, blank=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=2048)
    body_sha256 = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant_pk", "key"], name="idempotency_key_unique"),
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self):
        return self.key

    @property
    def is_completed(self):
        return self.response_status is not None
