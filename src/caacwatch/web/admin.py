"""The Django admin (admins only): users and groups come from django.contrib.auth; the
workbench's tables are shown read-only (the audit log cannot be changed anyway)."""

from django.contrib import admin

from caacwatch.web.models import ApiToken, AuditEntry, LoginFailure

admin.site.site_header = "caacwatch administration"


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    list_display = ("seq", "at", "username", "action", "incident_id_ref", "note")
    list_filter = ("action",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens can be revoked (deleted) here; they are created with ``caacwatch tokens create``."""

    list_display = ("prefix", "user", "name", "created_at", "last_used_at")
    readonly_fields = ("user", "name", "key_hash", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("username", "address", "at")
