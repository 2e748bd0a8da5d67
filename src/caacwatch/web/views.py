"""Server-rendered pages. Each shows what a JSON twin in :mod:`caacwatch.web.api` returns (the
same :mod:`caacwatch.web.reads` call), and the review forms post here and redirect back.

Article text is always passed to templates as plain strings (escaped there): highlights are
pieces of text with a class name, never HTML built in Python.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.forms import AuthenticationForm
from django.core.paginator import Paginator
from django.db import connections, router
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caacwatch.errors import CaacError
from caacwatch.records import CATEGORIES
from caacwatch.web import forms, reads, review, throttle
from caacwatch.web.audit import Actor
from caacwatch.web.roles import has_role, role_of


def role_context(request) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role = role_of(user) if user is not None else None
    return {"role": role, "is_analyst": has_role(user, "analyst") if role else False,
            "is_admin": has_role(user, "admin") if role else False}


def requires(role: str):
    """Refuse (403) a signed-in user below ``role``; anonymous users never get here (middleware)."""
    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not has_role(request.user, role):
                return HttpResponseForbidden(f"This needs the {role} role.")
            return view(request, *args, **kwargs)
        return wrapper
    return decorator


# --- open pages ----------------------------------------------------------------------------
@require_GET
def healthz(request):
    """Liveness and database reachability; no authentication."""
    from caacwatch.store.models import Incident

    try:
        connections[router.db_for_read(Incident)].ensure_connection()
    except Exception:  # noqa: BLE001 - any driver error means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_view(request):
    """Sign-in, with a lockout after repeated failures for one username from one address."""
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    form = AuthenticationForm(request, data=request.POST or None)
    status, locked = 200, None
    if request.method == "POST":
        username, address = request.POST.get("username", ""), throttle.client_address(request)
        if throttle.is_locked(username, address):
            form = AuthenticationForm(request, initial={"username": username})
            status, locked = 429, "Too many failed sign-ins: try again in 15 minutes."
        elif form.is_valid():
            auth_login(request, form.get_user())
            throttle.clear(username, address)
            return redirect(next_url)
        else:
            throttle.record_failure(username, address)
    return render(request, "caacwatch_web/login.html", {"form": form, "next": next_url, "locked": locked}, status=status)


@require_POST
def logout_view(request):
    auth_logout(request)
    return redirect("/login")


# --- reading ---------------------------------------------------------------------------------
@requires("viewer")
def dashboard(request):
    data = reads.dashboard(role_of(request.user))
    return render(request, "caacwatch_web/dashboard.html", {"data": data, "chart": _charts(data), "map": _map_options(data)})


def _map_options(data: dict[str, Any]) -> dict[str, str]:
    """What map.js reads from the map's data attributes: the located incidents as compact JSON
    rows [incident, lat, lon, violation, status, place] (for viewers the place is the region and
    the point the region's: ``reads.map_points``) (an attribute, escaped like any other:
    the CSP allows no inline script, not even a JSON block), and the optional online tile layer."""
    import json

    from django.conf import settings

    rows = [[p["incident"], round(p["lat"], 4), round(p["lon"], 4), p["violation"], p["status"], p.get("name") or ""]
            for p in data["points"]]
    return {"points": json.dumps(rows, ensure_ascii=False, separators=(",", ":")),
            "tile_url": getattr(settings, "CAACWATCH_TILE_URL", ""),
            "tile_attribution": getattr(settings, "CAACWATCH_TILE_ATTRIBUTION", "")}


def _charts(data: dict[str, Any]) -> dict[str, Any]:
    """Bar geometry computed here, so the charts need no script and no inline style (the map is
    drawn by map.js from ``data.points``)."""
    related = data.get("by_related_category") or {}
    top = max([1, *data["by_violation"].values(), *related.values(),
               *(r["n"] for r in data["by_country"]), *(r["n"] for r in data["by_month"])])
    bars = lambda rows: [{**r, "width": round(300 * r["n"] / top, 1)} for r in rows]  # noqa: E731
    months = data["by_month"]
    peak = max([1, *(m["n"] for m in months)])
    step = 600 / max(len(months), 1)
    timeline = [{**m, "x": round(i * step, 1), "w": round(max(step - 2, 1), 1), "h": round(100 * m["n"] / peak, 1),
                 "y": round(110 - 100 * m["n"] / peak, 1)} for i, m in enumerate(months)]
    return {
        "violations": bars([{"key": k, "n": v} for k, v in data["by_violation"].items()]),
        "related": bars([{"key": k, "n": v} for k, v in related.items()]),
        "countries": bars([{"key": r["country"], "n": r["n"]} for r in data["by_country"][:30]]),
        "timeline": timeline,
    }


def not_found(request, exception=None):
    """404s under /api/ answer JSON like the rest of the API; pages keep Django's HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "not found"}, status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


@requires("viewer")
def incident_list(request):
    try:
        flt = reads.filter_from_params(request.GET)
        error = None
    except CaacError as exc:
        flt, error = reads.WebFilter(), str(exc)
    role = role_of(request.user)
    paginator = Paginator(reads.filtered_queryset(flt, role).values_list("id", flat=True), 50)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "incidents": reads.incident_dicts(list(page.object_list), role), "page": page, "filter": flt, "error": error,
        "query": reads.filter_query_string(flt), "violations": CATEGORIES, "flags": reads.FLAGS,
        "statuses": [s for s, _ in forms.STATUS_CHOICES], "classes": reads.VIOLATION_CLASSES,
    }
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request  # a restore needs the whole page
    template = "caacwatch_web/_incident_rows.html" if partial else "caacwatch_web/incidents.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@requires("viewer")
def incident_page(request, id: int):
    role = role_of(request.user)
    data = reads.incident_view(id, role)
    if data is None:
        raise Http404("no such incident")
    full = reads.sees_everything(role)
    context: dict[str, Any] = {
        "incident": data,
        "counts": _counts_table(data, full),
        "location_precision_meaning": reads.LOCATION_PRECISION.get(data.get("location_precision")),
        "date_precision_meaning": reads.DATE_PRECISION.get(data.get("date_precision")),
        "notes": [h for h in data["history"] if h["note"]],
    }
    if full:
        texts = _document_texts([report["document"] for report in data["reports"]])
        for report in data["reports"]:
            report["pieces"] = reads.highlight(texts.get(report["document"], ""), report["spans"])
        allegations = [a for r in data["reports"] for a in r["allegations"]]
        context.update({
            "review_form": forms.ReviewForm(allowed=data["allowed_transitions"]),
            "note_form": forms.NoteForm(),
            "merge_form": forms.MergeForm(),
            "split_form": forms.SplitForm(choices=[(a["id"], f"#{a['id']} {a['trigger']} (document {a['document']})") for a in allegations]),
            "summary_form": forms.PublicSummaryForm(initial={"text": data.get("public_summary") or data.get("public_summary_proposed") or ""}),
            "rating_choices": forms.RATING_CHOICES,
        })
    return render(request, "caacwatch_web/incident.html", context)


def _counts_table(incident: dict[str, Any], full: bool) -> list[dict[str, Any]]:
    """One row per figure some report gives: kept value, range, estimated, and (analysts and
    admins only) which source and document gave each figure."""
    counts = incident.get("counts") or {}
    rows = []
    for figure in reads.FIGURES:
        item = counts.get(figure)
        if not isinstance(item, dict):
            continue
        low, high = item.get("min"), item.get("max")
        rows.append({
            "figure": figure.replace("_", " "),
            "value": item.get("value"),
            "range": f"{low}–{high}" if low is not None and high is not None and low != high else "",
            "estimated": bool(item.get("estimated")),
            "by_source": (item.get("by_source") or []) if full else [],
        })
    return rows


def _document_texts(ids: list[int]) -> dict[int, str]:
    """The texts of an incident's documents, in one query."""
    from caacwatch.store.models import Document

    return dict(Document.objects.filter(id__in=ids).values_list("id", "text"))


@requires("analyst")
def document_page(request, id: int):
    data = reads.document_view(id)
    if data is None:
        raise Http404("no such document")
    data["pieces"] = reads.highlight(data["text"], data["spans"])
    return render(request, "caacwatch_web/document.html", {"document": data})


@requires("analyst")
def source_list(request):
    return render(request, "caacwatch_web/sources.html", {"sources": reads.sources_index()})


@requires("analyst")
def source_page(request, name: str):
    data = reads.source_view(name, role=role_of(request.user))
    if data is None:
        raise Http404("no claims by this source")
    return render(request, "caacwatch_web/source.html", {"source": data})


@requires("viewer")
def review_queue(request):
    return render(request, "caacwatch_web/review.html", {"queue": reads.review_queue(role_of(request.user))})


@requires("analyst")
def audit_page(request):
    from caacwatch.web.audit import entry_json
    from caacwatch.web.models import AuditEntry

    entries = [entry_json(e) for e in AuditEntry.objects.order_by("-seq")[:200]]
    return render(request, "caacwatch_web/audit.html", {"entries": entries})


# --- review actions (POST, then back to the incident) ----------------------------------------
def _act(request, id: int, action) -> HttpResponse:
    try:
        message = action()
        messages.success(request, message)
    except review.ReviewError as exc:
        messages.error(request, str(exc))
    return redirect("incident", id=id)


def _invalid(request, id: int, form) -> HttpResponse:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return redirect("incident", id=id)


@require_POST
@requires("analyst")
def incident_review(request, id: int):
    form = forms.ReviewForm(request.POST)
    if not form.is_valid():
        return _invalid(request, id, form)
    data = form.cleaned_data
    level = data.get("level") or None
    done = f"Status: {data['status'].replace('_', ' ')}" + (f" ({level.replace('_', ' ')})." if level else ".")
    return _act(request, id, lambda: review.change_status(id, data["status"], data["note"], Actor.from_request(request),
                                                          level=level) and done)


@require_POST
@requires("analyst")
def source_rating(request, id: int, source: int):
    form = forms.RatingForm(request.POST)
    if not form.is_valid():
        return _invalid(request, id, form)
    data = form.cleaned_data
    changes = {"reliability": data.get("reliability") or None, "credibility": data.get("credibility") or None}
    return _act(request, id, lambda: review.rate_source(id, source, changes, data.get("note"), Actor.from_request(request))
                and "Source rating saved.")


@require_POST
@requires("analyst")
def public_summary(request, id: int):
    form = forms.PublicSummaryForm(request.POST)
    if not form.is_valid():
        return _invalid(request, id, form)
    data = form.cleaned_data
    return _act(request, id, lambda: review.set_public_summary(id, data.get("text"), data.get("note"), Actor.from_request(request))
                and "Public summary saved.")


@require_POST
@requires("analyst")
def incident_note(request, id: int):
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        return _invalid(request, id, form)
    return _act(request, id, lambda: review.add_note(id, form.cleaned_data["note"], Actor.from_request(request)) and "Note added.")


@require_POST
@requires("analyst")
def incident_merge(request, id: int):
    form = forms.MergeForm(request.POST)
    if not form.is_valid():
        return _invalid(request, id, form)
    other = form.cleaned_data["other"]
    return _act(request, id, lambda: review.merge(id, other, form.cleaned_data["note"], Actor.from_request(request))
                and f"Incident {other} merged into this one.")


@require_POST
@requires("analyst")
def incident_split(request, id: int):
    # isdigit() alone lets "²" through, which int() refuses: only ASCII digits are ids.
    ids = [int(v) for v in request.POST.getlist("allegations") if v.isascii() and v.isdigit()]
    form = forms.SplitForm(request.POST, choices=[(i, str(i)) for i in ids])
    if not form.is_valid():
        return _invalid(request, id, form)

    def run() -> str:
        entry = review.split(id, form.cleaned_data["allegations"], form.cleaned_data["note"], Actor.from_request(request))
        return f"Split off as incident {entry.object_id}."

    return _act(request, id, run)


@requires("analyst")
def allegation_edit(request, id: int):
    from caacwatch.store.models import Allegation

    allegation = Allegation.objects.filter(id=id).first()
    if allegation is None:
        raise Http404("no such allegation")
    current = reads.allegation_json(allegation)
    current["event_date"] = allegation.event_date
    form = forms.AllegationForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        changes = form.changes(current)
        target = allegation.incident_id
        try:
            if changes:
                review.edit_allegation(id, changes, form.cleaned_data["note"], Actor.from_request(request))
                messages.success(request, "Allegation updated.")
            else:
                messages.info(request, "Nothing changed.")
        except review.ReviewError as exc:
            messages.error(request, str(exc))
        return redirect("incident", id=target) if target else redirect("document", id=allegation.document_id)
    return render(request, "caacwatch_web/allegation_edit.html", {"form": form, "allegation": current})
