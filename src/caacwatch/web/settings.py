"""The web workbench's Django settings, as plain data (no Django import here).

Django is configured once per process, by :func:`caacwatch.store.config.configure`, and whichever
command comes first (the CLI, ``serve``, a test) must install the same apps: otherwise a
database migrated by ``caacwatch ingest`` would lack the tables of the workbench (users,
sessions, the audit log) and vice versa. So the store's base configuration always merges
:func:`web_settings`; it costs ~30 ms at start-up and the store still never imports web code.

``serve`` overrides ``DEBUG``, ``ALLOWED_HOSTS`` and the secret key (see :mod:`caacwatch.web.server`).
"""

from __future__ import annotations

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


def web_settings() -> dict[str, Any]:
    """Settings for the workbench; ``INSTALLED_APPS`` lists the apps to add to the store's."""
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
        "LOGIN_URL": "/login",
        "LOGIN_REDIRECT_URL": "/",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_AGE": 12 * 3600,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "CAACWATCH_CSP": CONTENT_SECURITY_POLICY,
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
        "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
        # ?format= is the export format of /api/incidents/export, not DRF's renderer override.
        "URL_FORMAT_OVERRIDE": None,
    }
