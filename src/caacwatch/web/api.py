"""The JSON API: a twin of every page, the review actions, the audit log, users (DRF).

Authentication: ``Authorization: Token <token>`` (``caacwatch tokens create``) or the session of
a signed-in browser (with CSRF). Roles are checked by each view's permission class; anonymous
callers get 401. Confidentiality (``docs/mrm.md``): viewers get incidents without restricted fields
(:mod:`caacwatch.web.reads` applies the store's rule) and no documents, allegations or sources (403). Errors are ``{"detail": "..."}`` with 400 (bad input), 404 or 409 (a change
the current state does not allow).
"""

from __future__ import annotations

import io
from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from caacwatch.errors import CaacError
from caacwatch.records import CATEGORIES
from caacwatch.web import reads, review
from caacwatch.web.audit import Actor, entry_json
from caacwatch.web.roles import ROLES, IsAdmin, IsAnalyst, IsViewer, role_of

STATUSES = review.STATUSES
EXPORT_MODES = ("standard", "public")
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "hxl": "text/csv; charset=utf-8",
    "json": "application/json",
    "geojson": "application/geo+json",
}
MAX_PAGE_SIZE = 500

FILTER_PARAMETERS = [
    OpenApiParameter("violation", str, enum=list(CATEGORIES)),
    OpenApiParameter("violation_class", str, enum=list(reads.VIOLATION_CLASSES),
                     description="grave_violation (the six) or related_category"),
    OpenApiParameter("country", str, description="ISO 3166-1 alpha-2, e.g. UA"),
    OpenApiParameter("perpetrator", str, description="principal perpetrator party"),
    OpenApiParameter("status", str, enum=list(STATUSES)),
    OpenApiParameter("since", OpenApiTypes.DATE, description="first reported on or after"),
    OpenApiParameter("until", OpenApiTypes.DATE, description="first reported on or before"),
    OpenApiParameter("flag", str, many=True, enum=list(reads.FLAGS)),
    OpenApiParameter("q", str, description="text in the summary or in any report (viewers: in the public-safe summary)"),
]
PAGE_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1}, description="1-based page number, at most `pages`"),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                     description=f"1 to {MAX_PAGE_SIZE} (default 50)"),
]
AUDIT_FORMATS = ("json", "jsonl")

class Entry(serializers.Serializer):
    """An audit entry as the API shows it."""

    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = serializers.CharField()
    username = serializers.CharField()
    request_id = serializers.CharField(allow_blank=True)
    action = serializers.CharField()
    incident = serializers.IntegerField(allow_null=True)
    object_type = serializers.CharField()
    object_id = serializers.CharField(allow_blank=True)
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


Detail = inline_serializer("Detail", {"detail": serializers.CharField()})
ERRORS = {400: Detail, 401: Detail, 403: Detail, 404: Detail}


def _entry(entry: Any) -> dict[str, Any]:
    data = entry_json(entry)
    data["username"] = data["user"]
    return data


def exception_handler(exc, context):
    """DRF's handler, with validation errors in the documented shape: ``{"detail": "field: message; ...",
    "errors": {field: [messages]}}`` (DRF alone answers ``{field: [messages]}``, with no ``detail``)."""
    from rest_framework.exceptions import ValidationError
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, ValidationError):
        errors = response.data
        if not (isinstance(errors, dict) and isinstance(errors.get("detail"), str)):
            response.data = {"detail": _error_text(errors) or "invalid input", "errors": errors}
    return response


def _error_text(errors: Any, prefix: str = "") -> str:
    if isinstance(errors, dict):
        return "; ".join(_error_text(v, f"{prefix}{k}." if k != "non_field_errors" else prefix) for k, v in errors.items())
    if isinstance(errors, list):
        return "; ".join(t for t in (_error_text(v, prefix) for v in errors) if t)
    return f"{prefix.rstrip('.')}: {errors}" if prefix else str(errors)


def _error(exc: review.ReviewError | CaacError) -> Response:
    code = exc.status if isinstance(exc, review.ReviewError) else status.HTTP_400_BAD_REQUEST
    return Response({"detail": str(exc)}, status=code)


class BadInput(ValueError):
    """A query parameter out of range (answered with 400)."""


def _int_param(request, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.query_params.get(name, default))
    except (TypeError, ValueError) as exc:
        raise BadInput(f"{name} must be a whole number") from exc
    if not low <= value <= high:
        raise BadInput(f"{name} must be between {low} and {high}")
    return value


def _handle(func):
    """Turn input errors into 400/404/409 responses."""
    def wrapper(self, request, *args, **kwargs):
        try:
            return func(self, request, *args, **kwargs)
        except (review.ReviewError, CaacError) as exc:
            return _error(exc)
        except BadInput as exc:
            return Response({"detail": str(exc)}, status=400)
    wrapper.__name__, wrapper.__doc__ = func.__name__, func.__doc__
    wrapper.__wrapped__ = func
    return wrapper


# --- incidents -------------------------------------------------------------------------------
class IncidentList(APIView):
    permission_classes = [IsViewer]

    @extend_schema(
        operation_id="incidents_list", parameters=FILTER_PARAMETERS + PAGE_PARAMETERS,
        responses={200: inline_serializer("IncidentPage", {
            "count": serializers.IntegerField(), "page": serializers.IntegerField(),
            "page_size": serializers.IntegerField(), "pages": serializers.IntegerField(),
            "results": serializers.ListField(child=serializers.DictField()),
        }), **ERRORS},
    )
    @_handle
    def get(self, request):
        """Incidents, newest first, filtered; the JSON twin of the incident list page."""
        flt = reads.filter_from_params(request.query_params)
        size = _int_param(request, "page_size", 50, 1, MAX_PAGE_SIZE)
        role = role_of(request.user)
        paginator = Paginator(reads.filtered_queryset(flt, role).values_list("id", flat=True), size)
        number = _int_param(request, "page", 1, 1, max(paginator.num_pages, 1))
        ids = list(paginator.page(number).object_list)
        return Response({"count": paginator.count, "page": number, "page_size": size,
                         "pages": paginator.num_pages, "results": reads.incident_dicts(ids, role)})


class IncidentExport(APIView):
    permission_classes = [IsViewer]

    @extend_schema(
        operation_id="incidents_export",
        parameters=[OpenApiParameter("format", str, enum=list(EXPORT_TYPES), description="default csv"),
                    OpenApiParameter("mode", str, enum=list(EXPORT_MODES),
                                     description="standard (default): what your role may see; public: publication "
                                                 "mode, only public-safe fields (any role)"),
                    *FILTER_PARAMETERS],
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/json"): OpenApiTypes.ANY,
                   (200, "application/geo+json"): OpenApiTypes.OBJECT, **ERRORS},
    )
    @_handle
    def get(self, request):
        """The filtered list as CSV, JSON, GeoJSON or HXL (the same writers as ``caacwatch incidents``):
        with everything for analysts and admins, without restricted fields for viewers; ``mode=public``
        gives the publication export (only public-safe fields) to any role."""
        from caacwatch.export import write_incidents

        fmt = request.query_params.get("format", "csv")
        if fmt not in EXPORT_TYPES:
            raise BadInput(f"format must be one of {', '.join(EXPORT_TYPES)}")
        mode = request.query_params.get("mode", "standard")
        if mode not in EXPORT_MODES:
            raise BadInput(f"mode must be one of {', '.join(EXPORT_MODES)}")
        role = role_of(request.user)
        flt = reads.filter_from_params(request.query_params)
        buffer = io.StringIO()
        write_incidents(reads.iter_filtered(flt, role), fmt, buffer,
                        visibility=reads.export_visibility(role, public=mode == "public"))
        extension = "csv" if fmt in ("csv", "hxl") else fmt
        prefix = "incidents-public" if mode == "public" else "incidents"
        response = HttpResponse(buffer.getvalue(), content_type=EXPORT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{prefix}-{fmt}.{extension}"'
        return response


class IncidentDetail(APIView):
    permission_classes = [IsViewer]

    @extend_schema(operation_id="incidents_retrieve", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, id: int):
        """An incident with its reports, claims (attribution chains), spans, evidence hashes,
        linking decisions, history and the status changes allowed from here (viewers: the incident
        without restricted fields, no reports or decisions, history without notes)."""
        data = reads.incident_view(id, role_of(request.user))
        if data is None:
            return Response({"detail": f"no incident {id}"}, status=404)
        return Response(data)


class ReviewRequest(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES)
    note = serializers.CharField(max_length=10000, help_text="required: why")
    level = serializers.ChoiceField(choices=review.LEVELS, required=False, allow_null=True,
                                    help_text="required with verified (and only then): who verified it")


class ReviewAction(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(operation_id="incidents_review", request=ReviewRequest,
                   responses={200: OpenApiTypes.OBJECT, 409: Detail, **ERRORS})
    @_handle
    def post(self, request, id: int):
        """Change the verification status (reported_not_verified → pending_verification → verified |
        reported_not_verified | not_a_violation | did_not_occur; a decided incident re-opens to
        pending_verification) with a note; ``verified`` needs a ``level``."""
        body = ReviewRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        entry = review.change_status(id, data["status"], data["note"], Actor.from_request(request), level=data.get("level"))
        from caacwatch.store.models import Incident

        incident = Incident.objects.only("status", "verified_by", "verified_at", "verification_level").get(id=id)
        return Response({"id": id, "status": incident.status, "verification_level": incident.verification_level,
                         "verified_by": incident.verified_by,
                         "verified_at": incident.verified_at.isoformat() if incident.verified_at else None,
                         "entry": _entry(entry)})


class IncidentHistory(APIView):
    permission_classes = [IsViewer]

    @extend_schema(operation_id="incidents_history", responses={200: Entry(many=True), **ERRORS})
    def get(self, request, id: int):
        """The incident's audit entries, oldest first: who, when, action, before, after, note."""
        from caacwatch.store.models import Incident

        if not Incident.objects.filter(id=id).exists():
            return Response({"detail": f"no incident {id}"}, status=404)
        return Response([{**e, "username": e["user"]} for e in reads.history(id, role_of(request.user))])


class NoteRequest(serializers.Serializer):
    note = serializers.CharField(max_length=10000)


class IncidentNotes(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(operation_id="incidents_note", request=NoteRequest, responses={201: Entry, **ERRORS})
    @_handle
    def post(self, request, id: int):
        """Add a review note (it goes into the audit log)."""
        body = NoteRequest(data=request.data)
        body.is_valid(raise_exception=True)
        entry = review.add_note(id, body.validated_data["note"], Actor.from_request(request))
        return Response(_entry(entry), status=201)


class MergeRequest(serializers.Serializer):
    other = serializers.IntegerField(min_value=1, help_text="the incident merged into this one")
    note = serializers.CharField(max_length=10000)


class IncidentMerge(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(operation_id="incidents_merge", request=MergeRequest, responses={200: OpenApiTypes.OBJECT, 409: Detail, **ERRORS})
    @_handle
    def post(self, request, id: int):
        """Merge incident ``other`` into this one (``other`` becomes not_a_violation and points here)."""
        body = MergeRequest(data=request.data)
        body.is_valid(raise_exception=True)
        entry = review.merge(id, body.validated_data["other"], body.validated_data["note"], Actor.from_request(request))
        return Response({"id": id, "merged": body.validated_data["other"], "entry": _entry(entry)})


class SplitRequest(serializers.Serializer):
    allegations = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=1, max_length=1000)
    note = serializers.CharField(max_length=10000)


class IncidentSplit(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(operation_id="incidents_split", request=SplitRequest, responses={201: OpenApiTypes.OBJECT, **ERRORS})
    @_handle
    def post(self, request, id: int):
        """Move the given allegations (ids) into a new incident."""
        body = SplitRequest(data=request.data)
        body.is_valid(raise_exception=True)
        entry = review.split(id, body.validated_data["allegations"], body.validated_data["note"], Actor.from_request(request))
        return Response({"id": id, "new": int(entry.object_id), "entry": _entry(entry)}, status=201)


class RatingRequest(serializers.Serializer):
    reliability = serializers.ChoiceField(choices=review.RATINGS, required=False, allow_null=True,
                                          help_text="high | medium | low; null: back to the extractor's proposal")
    credibility = serializers.ChoiceField(choices=review.RATINGS, required=False, allow_null=True,
                                          help_text="high | medium | low; null: back to the extractor's proposal")
    note = serializers.CharField(max_length=10000, required=False, allow_blank=True)


class SourceRating(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(operation_id="incidents_source_rating", request=RatingRequest,
                   responses={200: OpenApiTypes.OBJECT, **ERRORS})
    @_handle
    def post(self, request, id: int, source: int):
        """Set a source's reliability and/or credibility for this incident (the analyst's rating wins
        over the proposal; audited); the incident's kept figures are recounted."""
        body = RatingRequest(data=request.data)
        body.is_valid(raise_exception=True)
        changes = {k: v for k, v in body.validated_data.items() if k in ("reliability", "credibility")}
        entry = review.rate_source(id, source, changes, body.validated_data.get("note"), Actor.from_request(request))
        return Response({"id": id, "source": source, "before": entry_json(entry)["before"],
                         "after": entry_json(entry)["after"], "entry": _entry(entry)})


class PublicSummaryRequest(serializers.Serializer):
    text = serializers.CharField(max_length=review.MAX_PUBLIC_SUMMARY, allow_blank=True, trim_whitespace=True,
                                 help_text="no names of victims or witnesses, no place finer than the region; "
                                           "empty: back to the proposal")
    note = serializers.CharField(max_length=10000, required=False, allow_blank=True)


class PublicSummary(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(operation_id="incidents_public_summary", request=PublicSummaryRequest,
                   responses={200: OpenApiTypes.OBJECT, 409: Detail, **ERRORS})
    @_handle
    def post(self, request, id: int):
        """Edit the incident's public-safe summary (audited)."""
        body = PublicSummaryRequest(data=request.data)
        body.is_valid(raise_exception=True)
        entry = review.set_public_summary(id, body.validated_data["text"], body.validated_data.get("note"),
                                          Actor.from_request(request))
        return Response({"id": id, **(entry_json(entry)["after"] or {}), "entry": _entry(entry)})


# --- allegations, documents, sources -------------------------------------------------------
class AllegationEdit(serializers.Serializer):
    violation = serializers.ChoiceField(choices=list(CATEGORIES), required=False)
    perpetrator_name = serializers.CharField(max_length=300, allow_null=True, required=False)
    perpetrator_party = serializers.CharField(max_length=200, allow_null=True, required=False)
    perpetrator_type = serializers.CharField(max_length=32, allow_null=True, required=False)
    victims_count = serializers.IntegerField(min_value=0, max_value=10_000_000, allow_null=True, required=False)
    victims_min_age = serializers.IntegerField(min_value=0, max_value=17, allow_null=True, required=False)
    victims_max_age = serializers.IntegerField(min_value=0, max_value=17, allow_null=True, required=False)
    victims_sex = serializers.ChoiceField(choices=["unknown", "male", "female", "mixed"], required=False)
    countries = serializers.ListField(child=serializers.RegexField(r"^[A-Z]{2}$"), max_length=20, required=False)
    event_date = serializers.DateField(allow_null=True, required=False)
    event_date_precision = serializers.ChoiceField(choices=["day", "week", "month", "year", "unknown"], required=False)
    role = serializers.ChoiceField(choices=["report", "follow_up", "denial", "retraction"], required=False)
    note = serializers.CharField(max_length=10000)


class AllegationDetail(APIView):
    permission_classes = [IsAnalyst]  # an allegation holds the article's words and the victims' details

    @extend_schema(operation_id="allegations_retrieve", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, id: int):
        """One allegation's fields."""
        from caacwatch.store.models import Allegation

        allegation = Allegation.objects.filter(id=id).first()
        if allegation is None:
            return Response({"detail": f"no allegation {id}"}, status=404)
        return Response(reads.allegation_json(allegation))

    @extend_schema(operation_id="allegations_edit", request=AllegationEdit, responses={200: OpenApiTypes.OBJECT, **ERRORS})
    @_handle
    def patch(self, request, id: int):
        """Correct an allegation's fields (with a note); its incident is recomputed."""
        body = AllegationEdit(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        note = changes.pop("note")
        entry = review.edit_allegation(id, changes, note, Actor.from_request(request))
        from caacwatch.store.models import Allegation

        return Response({**reads.allegation_json(Allegation.objects.get(id=id)), "entry": _entry(entry)})


class DocumentDetail(APIView):
    permission_classes = [IsAnalyst]  # restricted: article text and source identities

    @extend_schema(operation_id="documents_retrieve", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, id: int):
        """A stored document: text, evidence hashes, claims, allegations with their spans."""
        data = reads.document_view(id)
        if data is None:
            return Response({"detail": f"no document {id}"}, status=404)
        return Response(data)


class SourceList(APIView):
    permission_classes = [IsAnalyst]  # restricted: article text and source identities

    @extend_schema(operation_id="sources_list", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request):
        """Named sources, with how many claims each has made."""
        return Response({"results": reads.sources_index()})


class SourceDetail(APIView):
    permission_classes = [IsAnalyst]  # restricted: article text and source identities

    @extend_schema(operation_id="sources_retrieve", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request, name: str):
        """Everything a source has alleged: its claims and the incidents they support."""
        data = reads.source_view(name, role=role_of(request.user))
        if data is None:
            return Response({"detail": "no claims by this source"}, status=404)
        return Response(data)


class ReviewQueue(APIView):
    permission_classes = [IsViewer]

    @extend_schema(operation_id="review_queue", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request):
        """New incidents (reported_not_verified), oldest first, and those pending verification."""
        return Response(reads.review_queue(role_of(request.user)))


class Dashboard(APIView):
    permission_classes = [IsViewer]

    @extend_schema(operation_id="dashboard", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request):
        """Counts by class, violation (grave) and related category, status, country and month; located
        incidents for the map (at their region for viewers)."""
        return Response(reads.dashboard(role_of(request.user)))


# --- audit, users, me ------------------------------------------------------------------------
class AuditLog(APIView):
    permission_classes = [IsAnalyst]

    @extend_schema(operation_id="audit_list",
                   parameters=[OpenApiParameter("format", str, enum=list(AUDIT_FORMATS), description="default json"),
                               OpenApiParameter("after", {"type": "integer", "minimum": 0, "maximum": 2**62}, description="a seq (default 0)")],
                   responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "application/x-ndjson"): OpenApiTypes.STR,
                              **ERRORS})
    @_handle
    def get(self, request):
        """The audit log: ``format=jsonl`` streams all of it (an export); ``json`` gives 1000
        entries after ``after`` (a seq), with ``next``."""
        from caacwatch.web.audit import canonical_json, iter_entries
        from caacwatch.web.models import AuditEntry

        fmt = request.query_params.get("format", "json")
        if fmt not in AUDIT_FORMATS:
            raise BadInput(f"format must be one of {', '.join(AUDIT_FORMATS)}")
        if fmt == "jsonl":
            lines = (canonical_json(_entry(e)) + "\n" for e in iter_entries())
            response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
            response["Content-Disposition"] = 'attachment; filename="caacwatch-audit.jsonl"'
            return response
        after = _int_param(request, "after", 0, 0, 2**62)
        entries = [_entry(e) for e in AuditEntry.objects.filter(seq__gt=after).order_by("seq")[:1000]]
        return Response({"results": entries, "next": entries[-1]["seq"] if len(entries) == 1000 else None})


class AuditVerify(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(operation_id="audit_verify", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request):
        """Recompute the hash chain (as ``caacwatch audit verify``)."""
        from caacwatch.web.audit import verify

        return Response(verify().to_json())


class UserCreate(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]{1,150}$")
    password = serializers.CharField(min_length=10, max_length=200, write_only=True)
    role = serializers.ChoiceField(choices=list(ROLES))


def _user_json(user: Any) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": role_of(user), "is_active": user.is_active,
            "last_login": user.last_login.isoformat() if user.last_login else None}


class Users(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(operation_id="users_list", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request):
        """Every user with their role (admins only)."""
        from django.contrib.auth import get_user_model

        users = get_user_model().objects.order_by("username").prefetch_related("groups")
        return Response({"results": [_user_json(u) for u in users]})

    @extend_schema(operation_id="users_create", request=UserCreate, responses={201: OpenApiTypes.OBJECT, **ERRORS})
    @_handle
    def post(self, request):
        """Create a user, or reset an existing user's password and role (audited)."""
        from django.core.exceptions import ValidationError
        from django.db import router, transaction

        from caacwatch.web.audit import append
        from caacwatch.web.models import AuditEntry
        from caacwatch.web.roles import create_user

        body = UserCreate(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            with transaction.atomic(using=router.db_for_write(AuditEntry)):
                user = create_user(data["username"], data["password"], data["role"])
                append("user_set", Actor.from_request(request), incident_id=None, object_type="user",
                       object_id=user.id, after={"username": user.username, "role": data["role"]})
        except ValidationError as exc:
            return Response({"detail": " ".join(exc.messages)}, status=400)
        return Response(_user_json(user), status=201)


class Me(APIView):
    permission_classes = [IsViewer]

    @extend_schema(operation_id="me", responses={200: OpenApiTypes.OBJECT, **ERRORS})
    def get(self, request):
        """Who is calling, and with which role."""
        return Response(_user_json(request.user))
