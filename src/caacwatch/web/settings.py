"""The web workbench's Django settings, as plain data (no Django import here).

Django is configured once per process, by :func:`caacwatch.store.config.configure`, and whichever
command comes first (the CLI, ``serve``, a test) must install the same apps: otherwise a
database migrated by ``caacwatch ingest`` would lack the tables of the workbench (users,
sessions, the audit log) and vice versa. So the store's base configuration always merges
:func:`web_settings`; it costs ~30 ms at start-up and the store still never imports web code.

``serve`` overrides ``DEBUG``, ``ALLOWED_HOSTS`` and the secret key (see :mod:`caacwatch.web.server`).
"""

from __future__ import annotations

import logging
import os
import re
from importlib.util import find_spec
from pathlib import Path
from typing import Any

WEB_APPS = [
    "django.contrib.admin",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_htmx",
    "caacwatch.web",
]

LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# The dashboard map draws vector boundaries shipped with the app; an online tile layer is optional:
# CAACWATCH_TILE_URL="https://tiles.example.org/{z}/{x}/{y}.png" (a Leaflet URL template; "{s}." may
# lead the host) and CAACWATCH_TILE_ATTRIBUTION (plain text). The CSP then lets images come from
# that origin, and from nowhere else.
_TILE_URL = re.compile(r"(?P<origin>https?://(?:\{s\}\.)?[A-Za-z0-9.-]+(?::\d{1,5})?)/[^\s'\";,]*")


def tile_settings(environ: dict[str, str] | None = None) -> tuple[str, str, str]:
    """(tile URL template, its attribution, the CSP) from the environment; no tiles by default."""
    environ = os.environ if environ is None else environ
    url = environ.get("CAACWATCH_TILE_URL", "").strip()
    if not url:
        return "", "", CONTENT_SECURITY_POLICY
    match = _TILE_URL.fullmatch(url)
    if match is None:
        logging.getLogger("caacwatch.web").warning(
            "CAACWATCH_TILE_URL ignored: not an http(s) URL template like https://host/{z}/{x}/{y}.png")
        return "", "", CONTENT_SECURITY_POLICY
    origin = match["origin"].replace("{s}.", "*.")
    csp = CONTENT_SECURITY_POLICY.replace("img-src 'self' data:;", f"img-src 'self' data: {origin};")
    return url, environ.get("CAACWATCH_TILE_ATTRIBUTION", "").strip(), csp


def _leaflet_static() -> list[tuple[str, str]]:
    """Leaflet's JS, CSS and images as static files under leaflet/, straight from the django-leaflet
    package. Its Django app is not installed: the map uses only these files, and the app's admin
    module would import django.contrib.gis into every process (~0.2 s) at start-up."""
    spec = find_spec("leaflet")
    for location in (spec.submodule_search_locations or []) if spec else []:
        static = Path(location) / "static" / "leaflet"
        if (static / "leaflet.js").is_file():
            return [("leaflet", str(static))]
    return []


def web_settings() -> dict[str, Any]:
    """Settings for the workbench; ``INSTALLED_APPS`` lists the apps to add to the store's."""
    tile_url, tile_attribution, csp = tile_settings()
    return {
        "INSTALLED_APPS": list(WEB_APPS),
        "DEBUG": False,
        "ALLOWED_HOSTS": list(LOOPBACK_HOSTS),
        "ROOT_URLCONF": "caacwatch.web.urls",
        "MIDDLEWARE": _middleware(),
        "TEMPLATES": _templates(),
        "STATIC_URL": "/static/",
        # Static files come straight from the installed packages (no collectstatic step and no
        # writable STATIC_ROOT needed); the set is scanned once at start-up.
        "WHITENOISE_USE_FINDERS": True,
        "WHITENOISE_AUTOREFRESH": False,
        "STATICFILES_DIRS": _leaflet_static(),
        "WHITENOISE_MIMETYPES": {".geojson": "application/geo+json"},
        "CAACWATCH_TILE_URL": tile_url,
        "CAACWATCH_TILE_ATTRIBUTION": tile_attribution,
        "LOGIN_URL": "/login",
        "LOGIN_REDIRECT_URL": "/",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": 12 * 3600,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "CAACWATCH_CSP": csp,
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        "REST_FRAMEWORK": _rest_framework(),
        "SPECTACULAR_SETTINGS": {
            "TITLE": "caacwatch workbench API",
            "DESCRIPTION": "Incidents of grave violations against children in armed conflict: read, review, audit.",
            "VERSION": "1",
            "SERVE_INCLUDE_SCHEMA": False,
            "SERVE_PERMISSIONS": ["caacwatch.web.roles.IsViewer"],
            "COMPONENT_SPLIT_REQUEST": True,
        },
    }


def _middleware() -> list[str]:
    return [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "caacwatch.web.middleware.RequestIdMiddleware",
        "caacwatch.web.middleware.SecurityHeadersMiddleware",
        "caacwatch.web.middleware.RejectNulMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
        "django_htmx.middleware.HtmxMiddleware",
        "caacwatch.web.middleware.LoginRequiredMiddleware",
    ]


def _templates() -> list[dict[str, Any]]:
    return [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [],
            "APP_DIRS": True,
            "OPTIONS": {
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                    "caacwatch.web.views.role_context",
                ],
            },
        }
    ]


def _rest_framework() -> dict[str, Any]:
    return {
        # Token first: its "WWW-Authenticate: Token" makes anonymous API calls 401, not 403.
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "caacwatch.web.tokens.TokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
        "DEFAULT_PERMISSION_CLASSES": ["caacwatch.web.roles.IsViewer"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
        # Every error body has "detail" (validation errors too: see caacwatch.web.api.exception_handler).
        "EXCEPTION_HANDLER": "caacwatch.web.api.exception_handler",
        "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
        # ?format= is the export format of /api/incidents/export, not DRF's renderer override.
        "URL_FORMAT_OVERRIDE": None,
    }
