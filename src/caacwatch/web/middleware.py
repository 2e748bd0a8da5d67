"""Request ids, security headers, and "sign in first" for every page.

* Every response carries ``X-Request-ID`` (a fresh random id; the audit log records it).
* A strict Content-Security-Policy (no inline script or style anywhere: JS and CSS are static
  files), ``frame-ancestors 'none'``, ``Permissions-Policy``, ``Cross-Origin-Resource-Policy``;
  ``X-Content-Type-Options``/``Referrer-Policy``/``X-Frame-Options`` come from Django's middleware.
* Anonymous visitors of a page are redirected to /login; the API (/api/...) answers 401 itself
  (DRF), /healthz, /login and /static/ are open.
* A URL with a NUL character in its path or query is refused with 400: no stored text holds one,
  and PostgreSQL refuses it in a query parameter (it would otherwise be a 500 wherever a filter,
  a search or a source name reaches the database).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest, HttpResponseForbidden, JsonResponse

OPEN_PATHS = ("/healthz", "/login")
OPEN_PREFIXES = ("/static/", "/api/")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CAACWATCH_CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        response.setdefault("X-Content-Type-Options", "nosniff")
        if not request.path.startswith("/static/"):
            response.setdefault("Cache-Control", "no-store")  # incident data stays out of shared caches
        return response


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
            message = "the URL holds a NUL character"
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


class LoginRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        path = request.path
        if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        from caacwatch.web.roles import role_of

        if role_of(request.user) is None and path != "/logout":
            return HttpResponseForbidden("Your account has no role: ask an admin.")
        return None
