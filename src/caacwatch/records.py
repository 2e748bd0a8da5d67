"""Typed records that cross boundaries: ingest -> extract -> JSON/CLI/store/workers.

These pydantic models *are* the public JSON contract of ``caacwatch analyze``
(schema ``caacwatch.analysis/1``). spaCy objects never leave the extraction
package: everything is converted to these records first.

Spans are ``[start, end)`` character offsets into ``Document.text``.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "caacwatch.analysis/1"

Span = tuple[int, int]

Violation = Literal[
    "recruitment_use",
    "killing_maiming",
    "sexual_violence",
    "attacks_schools_hospitals",
    "abduction",
    "denial_humanitarian_access",
]
VIOLATIONS: tuple[str, ...] = get_args(Violation)
ClaimKind = Literal["direct", "indirect", "according_to", "unattributed"]
Stance = Literal["accuses", "denies", "confirms", "calls_for_investigation", "reports"]
SourceType = Literal[
    "person", "official", "government", "military", "un", "ngo", "outlet", "armed_group",
    "witness", "organisation", "unknown",
]
DatePrecision = Literal["day", "week", "month", "year", "decade", "unknown"]
PlacePrecision = Literal["point", "city", "admin1", "region", "country"]
EvidenceKind = Literal[
    "testimony", "official_statement", "physical_evidence", "image_video", "document",
]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextSpan(_Record):
    """A piece of the document text and where it is."""

    text: str
    span: Span


class Boilerplate(TextSpan):
    """A line that is not article content (``READ MORE``, a picture caption...)."""

    kind: str = Field(description="e.g. read_more, caption, representative_image, share")


class Document(_Record):
    """An ingested document: the text every span indexes, plus what we know about it."""

    id: str | None = None
    text: str
    title: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    outlet: str | None = None
    author: str | None = None
    published: str | None = Field(default=None, description="ISO 8601 date or datetime")
    language: str | None = None
    content_type: str | None = None
    sha256: str | None = Field(default=None, description="SHA-256 of the original bytes")
    boilerplate: list[Boilerplate] = Field(default_factory=list)


class Source(_Record):
    text: str
    span: Span | None = None
    name: str = Field(description="resolved name (a pronoun is resolved to its antecedent)")
    type: SourceType = "unknown"
    role: str | None = None
    party: str | None = Field(default=None, description="party to a conflict the source belongs to")
    resolved_from: str | None = Field(
        default=None, description="the pronoun or short mention that was resolved to `name`"
    )


class Claim(_Record):
    id: str
    kind: ClaimKind
    cue: TextSpan | None = None
    source: Source | None = None
    content: TextSpan
    hedges: list[TextSpan] = Field(default_factory=list)
    via: list[str] = Field(default_factory=list)
    stance: Stance = "reports"
    rule: str


class Perpetrator(_Record):
    name: str
    party: str | None = None
    type: str | None = Field(default=None, description="state | non_state | other | unknown")
    span: Span | None = None
    mentions: list[str] = Field(default_factory=list, description="how the text names the perpetrator")


class Victims(_Record):
    count: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    sex: Literal["male", "female", "mixed", "unknown"] = "unknown"
    spans: list[Span] = Field(default_factory=list)


class Location(_Record):
    name: str
    admin1: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")
    lat: float | None = None
    lon: float | None = None
    precision: PlacePrecision = "country"
    span: Span | None = None


class TimeRef(_Record):
    text: str | None = None
    span: Span | None = None
    date: str | None = Field(default=None, description="ISO date, truncated to its precision")
    precision: DatePrecision = "unknown"
    basis: Literal["explicit", "relative_to_published", "published"] = "explicit"


class Evidence(_Record):
    kind: EvidenceKind
    text: str
    span: Span


class Allegation(_Record):
    id: str
    violation: Violation
    perpetrator: Perpetrator | None = None
    victims: Victims = Field(default_factory=Victims)
    locations: list[Location] = Field(default_factory=list)
    time: TimeRef | None = None
    claims: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    confidence: float
    rule: str
    trigger: TextSpan


class PipelineInfo(_Record):
    caacwatch: str
    model: str
    prefilter: Literal["passed", "rejected"] = Field(
        description="rejected: the cheap pre-filter found no possible allegation, so the parser did not run"
    )


class Analysis(_Record):
    schema_: str = Field(default=SCHEMA, alias="schema")
    id: str | None = None
    document: Document
    relevant: bool
    claims: list[Claim] = Field(default_factory=list)
    allegations: list[Allegation] = Field(default_factory=list)
    places: list[Location] = Field(default_factory=list)
    dates: list[TimeRef] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    pipeline: PipelineInfo

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json_dict(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


class ErrorRecord(_Record):
    """A batch line that could not be analysed; the batch goes on."""

    id: str | None = None
    error: str
    code: str
