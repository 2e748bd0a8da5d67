"""Roles: viewer (read), analyst (review), admin (users, settings). Each includes the ones before.

A role is a Django group of that name; an admin is also ``is_staff``/``is_superuser`` so that
/admin/ (admins only) works. A signed-in user in no group has no role and is refused everywhere.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

ROLES = ("viewer", "analyst", "admin")
_RANK = {name: rank for rank, name in enumerate(ROLES, start=1)}


def role_of(user: Any) -> str | None:
    """The highest role of ``user`` (``None`` for anonymous users and users with no role)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return "admin"
    cached = getattr(user, "_caacwatch_role", False)
    if cached is not False:
        return cached
    names = set(user.groups.values_list("name", flat=True))
    role = max((r for r in ROLES if r in names), key=_RANK.__getitem__, default=None)
    user._caacwatch_role = role
    return role


def has_role(user: Any, needed: str) -> bool:
    role = role_of(user)
    return role is not None and _RANK[role] >= _RANK[needed]


def set_role(user: Any, role: str) -> None:
    """Put ``user`` in exactly the group ``role``; admins also get the staff and superuser flags."""
    from django.contrib.auth.models import Group

    if role not in _RANK:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    group, _ = Group.objects.get_or_create(name=role)
    user.is_staff = user.is_superuser = role == "admin"
    user.save()
    user.groups.set([group])
    user._caacwatch_role = role


def create_user(username: str, password: str, role: str) -> Any:
    """Create (or update the password and role of) ``username``; the password is validated."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first() or user_model(username=username)
    validate_password(password, user)
    user.set_password(password)
    user.is_active = True
    user.save()
    set_role(user, role)
    return user


class _RolePermission(BasePermission):
    role = "viewer"
    message = "your role does not allow this"

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, self.role)


class IsViewer(_RolePermission):
    role = "viewer"


class IsAnalyst(_RolePermission):
    role = "analyst"


class IsAdmin(_RolePermission):
    role = "admin"
