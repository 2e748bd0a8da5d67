"""The API against its own OpenAPI document, with schemathesis: every operation of
``/api/openapi.json`` is called with generated parameters and bodies — valid ones, invalid ones,
and valid ones aimed at the incidents, allegations, documents and sources that exist — on a real
``caacwatch serve`` holding the monitor fixtures.

Each response must not be a server error, must have a documented status code and content type, and
its body must match the documented schema (every error has ``detail``). Reads run as an admin (so the
admin-only reads are reached), changes as an analyst, ``POST /api/users`` as a second admin used for
nothing else (it may reset any user, itself included). Bounded: 20 examples per operation.

The operations are listed here (one test each, so a failure names its operation) and a test checks
that the list is the document's: a new endpoint fails it until it is added, and so gets fuzzed.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest

from tests.web_served import Served, populated_database, serving, users_with_tokens

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 20

OPERATIONS = [
    ("GET", "/api/allegations/{id}"),
    ("PATCH", "/api/allegations/{id}"),
    ("GET", "/api/audit"),
    ("GET", "/api/audit/verify"),
    ("GET", "/api/dashboard"),
    ("GET", "/api/documents/{id}"),
    ("GET", "/api/incidents"),
    ("GET", "/api/incidents/{id}"),
    ("GET", "/api/incidents/{id}/history"),
    ("POST", "/api/incidents/{id}/merge"),
    ("POST", "/api/incidents/{id}/notes"),
    ("POST", "/api/incidents/{id}/review"),
    ("POST", "/api/incidents/{id}/split"),
    ("POST", "/api/incidents/{id}/sources/{source}/rating"),
    ("POST", "/api/incidents/{id}/public-summary"),
    ("GET", "/api/incidents/export"),
    ("GET", "/api/me"),
    ("GET", "/api/review-queue"),
    ("GET", "/api/sources"),
    ("GET", "/api/sources/{name}"),
    ("GET", "/api/users"),
    ("POST", "/api/users"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory, analyzer):
    directory = tmp_path_factory.mktemp("schema")
    db = populated_database(directory, analyzer)
    tokens = users_with_tokens(db, {"admin": "admin", "analyst": "analyst", "users": "admin"})
    with serving(db, directory) as server:
        server.tokens.update(tokens)
        yield server


def _get_json(served: Served, path: str):
    request = urllib.request.Request(served.base + path, headers={"Authorization": f"Token {served.tokens['admin']}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def existing(served: Served) -> dict[str, object]:
    """Path parameters that name stored objects, so that generated bodies reach past the 404."""
    incidents = _get_json(served, "/api/incidents")["results"]
    detail = _get_json(served, f"/api/incidents/{incidents[0]['id']}")
    report = detail["reports"][0]
    sources = _get_json(served, "/api/sources")["results"]
    assert incidents and report["allegations"] and sources, "the fixtures should give incidents, allegations and sources"
    rated = _get_json(served, f"/api/incidents/{incidents[-1]['id']}")["sources"]
    assert rated, "the incident whose sources are rated has typed sources"
    return {
        "incident": incidents[-1]["id"],
        "allegation": report["allegations"][0]["id"],
        "document": report["document"],
        "source": sources[0]["name"],
        "source_row": rated[0]["id"],
    }


@pytest.fixture(scope="module")
def api_schema(served: Served):
    return schemathesis.openapi.from_url(
        served.base + "/api/openapi.json", headers={"Authorization": f"Token {served.tokens['admin']}"},
    )


def _token_for(served: Served, method: str, path: str) -> str:
    if method == "GET":
        return served.tokens["admin"]
    return served.tokens["users" if path == "/api/users" else "analyst"]


def _known_path_parameters(path: str, existing: dict[str, object]) -> dict[str, object] | None:
    if "{name}" in path:
        return {"name": existing["source"]}
    if "{id}" not in path:
        return None
    kind = path.split("/")[2]  # incidents, allegations, documents
    known = {"id": existing[kind.rstrip("s")]}
    if "{source}" in path:  # an incident's typed source (its IncidentSource id)
        known["source"] = existing["source_row"]
    return known


def test_every_operation_of_the_document_is_fuzzed(api_schema):
    found = {(result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)
    assert api_schema.raw_schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_conforms_to_the_document(api_schema, served, existing, method, path):
    operation = api_schema[path][method]
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    known = _known_path_parameters(path, existing)
    if known is not None:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    headers = {"Authorization": f"Token {_token_for(served, method, path)}"}

    @given(case=st.one_of(strategies))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def conforms(case):
        response = case.call(base_url=served.base, headers=headers, timeout=30)
        if response.status_code >= 500:
            query = urllib.parse.urlencode(case.query or {}, doseq=True)
            pytest.fail(f"{case.method} {case.formatted_path}?{query} body={case.body!r} answered "
                        f"{response.status_code}; server log:\n{served.log_tail()}")
        case.validate_response(response, checks=CHECKS, headers=headers)

    conforms()
