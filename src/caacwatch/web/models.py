"""The workbench's own tables. None has a foreign key into the store or to users on purpose: the
audit log must survive (and never be rewritten by) a cascade, a ``SET NULL`` or a user deletion."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """An attempt to change or remove an audit entry."""


class AuditQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused too (they bypass ``save()``/``delete()``)."""

    def update(self, **kwargs):
        raise AppendOnlyError("the audit log is append-only")

    def delete(self):
        raise AppendOnlyError("the audit log is append-only")


class AuditEntry(models.Model):
    """One change, hash-chained to the one before it (see :mod:`caacwatch.web.audit`).

    ``before``/``after`` hold canonical JSON *text*: the hash is computed over exactly what is
    stored, so a database's JSON type cannot reorder or re-format what was hashed.
    """

    seq = models.BigIntegerField(unique=True, help_text="1, 2, 3 ... the chain order")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    username = models.CharField(max_length=150)
    user_id_ref = models.BigIntegerField(null=True)
    request_id = models.CharField(max_length=64, default="")
    action = models.CharField(max_length=40, db_index=True)
    incident_id_ref = models.BigIntegerField(null=True, db_index=True)
    object_type = models.CharField(max_length=40, default="incident")
    object_id = models.CharField(max_length=64, default="")
    before = models.TextField(default="null")
    after = models.TextField(default="null")
    note = models.TextField(default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the audit log is append-only")


class ApiToken(models.Model):
    """An API token: only its SHA-256 is stored; the token itself is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="first characters, to tell tokens apart")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True)


class LoginFailure(models.Model):
    """A failed sign-in, counted per (username, address) for the lockout."""

    username = models.CharField(max_length=150)
    address = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["username", "address", "at"], name="login_failure_key")]


class IncidentMerge(models.Model):
    """Incident ``merged`` was merged into ``into`` (the store has no field for the pointer)."""

    merged = models.BigIntegerField(unique=True)
    into = models.BigIntegerField(db_index=True)
    at = models.DateTimeField(default=timezone.now)


class InstanceSecret(models.Model):
    """The secret key ``serve`` generated for this database (when $CAACWATCH_SECRET_KEY is unset)."""

    name = models.CharField(max_length=40, unique=True)
    value = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
