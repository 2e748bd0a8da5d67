"""API tokens, sent as ``Authorization: Token <token>``.

Only the SHA-256 of a token is stored (a stolen database copy yields no usable token); tokens are
256-bit random, so a hash lookup needs no slow KDF and brute force is hopeless. Token-authenticated
requests need no CSRF token: nothing a browser sends automatically can carry one.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: Any, name: str = "") -> str:
    """A new token for ``user``; returns the token (it cannot be shown again)."""
    from caacwatch.web.models import ApiToken

    token = secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, key_hash=hash_token(token), prefix=token[:6])
    return token


def user_for_token(token: str) -> Any | None:
    from caacwatch.web.models import ApiToken

    row = ApiToken.objects.select_related("user").filter(key_hash=hash_token(token)).first()
    if row is None or not row.user.is_active:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(id=row.id).update(last_used_at=now)  # at most one write per 5 minutes
    return row.user


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request) -> tuple[Any, str] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization: Token <token>")
        try:
            token = header[1].decode("ascii")
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed("invalid token") from exc
        user = user_for_token(token)
        if user is None:
            raise exceptions.AuthenticationFailed("invalid token")
        return user, token

    def authenticate_header(self, request) -> str:
        return self.keyword


class TokenScheme(OpenApiAuthenticationExtension):
    """Describes the token header in the OpenAPI document."""

    target_class = "caacwatch.web.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Token <token>` (create one with `caacwatch tokens create USER`)"}
