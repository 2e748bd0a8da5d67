"""URL map: pages at the top, their JSON twins and the actions under /api/, the admin at /admin/."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularJSONAPIView

from caacwatch.web import api, views


class _AdminLogin(RedirectView):
    """The admin signs in through /login (and its throttling), never through a second form."""

    query_string = True
    url = "/login"


pages = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("login", views.login_view, name="login"),
    path("logout", views.logout_view, name="logout"),
    path("incidents", views.incident_list, name="incidents"),
    path("incidents/<int:id>", views.incident_page, name="incident"),
    path("incidents/<int:id>/review", views.incident_review, name="incident-review"),
    path("incidents/<int:id>/note", views.incident_note, name="incident-note"),
    path("incidents/<int:id>/merge", views.incident_merge, name="incident-merge"),
    path("incidents/<int:id>/split", views.incident_split, name="incident-split"),
    path("incidents/<int:id>/sources/<int:source>/rating", views.source_rating, name="incident-source-rating"),
    path("incidents/<int:id>/public-summary", views.public_summary, name="incident-public-summary"),
    path("allegations/<int:id>/edit", views.allegation_edit, name="allegation-edit"),
    path("documents/<int:id>", views.document_page, name="document"),
    path("sources", views.source_list, name="sources"),
    path("sources/<path:name>", views.source_page, name="source"),
    path("review", views.review_queue, name="review"),
    path("audit", views.audit_page, name="audit"),
    path("admin/login/", _AdminLogin.as_view()),
    path("admin/", admin.site.urls),
]

api_urls = [
    path("api/openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("api/me", api.Me.as_view(), name="api-me"),
    path("api/dashboard", api.Dashboard.as_view(), name="api-dashboard"),
    path("api/incidents", api.IncidentList.as_view(), name="api-incidents"),
    path("api/incidents/export", api.IncidentExport.as_view(), name="api-incidents-export"),
    path("api/incidents/<int:id>", api.IncidentDetail.as_view(), name="api-incident"),
    path("api/incidents/<int:id>/review", api.ReviewAction.as_view(), name="api-incident-review"),
    path("api/incidents/<int:id>/history", api.IncidentHistory.as_view(), name="api-incident-history"),
    path("api/incidents/<int:id>/notes", api.IncidentNotes.as_view(), name="api-incident-notes"),
    path("api/incidents/<int:id>/merge", api.IncidentMerge.as_view(), name="api-incident-merge"),
    path("api/incidents/<int:id>/split", api.IncidentSplit.as_view(), name="api-incident-split"),
    path("api/incidents/<int:id>/sources/<int:source>/rating", api.SourceRating.as_view(), name="api-incident-source-rating"),
    path("api/incidents/<int:id>/public-summary", api.PublicSummary.as_view(), name="api-incident-public-summary"),
    path("api/allegations/<int:id>", api.AllegationDetail.as_view(), name="api-allegation"),
    path("api/documents/<int:id>", api.DocumentDetail.as_view(), name="api-document"),
    path("api/sources", api.SourceList.as_view(), name="api-sources"),
    path("api/sources/<path:name>", api.SourceDetail.as_view(), name="api-source"),
    path("api/review-queue", api.ReviewQueue.as_view(), name="api-review-queue"),
    path("api/audit", api.AuditLog.as_view(), name="api-audit"),
    path("api/audit/verify", api.AuditVerify.as_view(), name="api-audit-verify"),
    path("api/users", api.Users.as_view(), name="api-users"),
]

urlpatterns = pages + api_urls
handler404 = "caacwatch.web.views.not_found"
