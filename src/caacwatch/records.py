"""Typed records that cross boundaries: ingest -> extract -> JSON/CLI/store/workers.

These pydantic models *are* the public JSON contract of ``caacwatch analyze``
(schema ``caacwatch.analysis/2``; what changed from ``/1`` is in
``docs/mrm.md``). spaCy objects never leave the extraction
package: everything is converted to these records first.

Spans are ``[start, end)`` character offsets into ``Document.text``.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "caacwatch.analysis/2"

Span = tuple[int, int]

GraveViolation = Literal[
    "recruitment_use",
    "killing_maiming",
    "sexual_violence",
    "attacks_schools_hospitals",
    "abduction",
    "denial_humanitarian_access",
]
# Recorded by monitors next to the six, never counted as one of them (MRM Field Manual).
RelatedCategory = Literal["military_use_schools_hospitals", "deprivation_of_liberty"]
Violation = Literal[GraveViolation, RelatedCategory]
VIOLATIONS: tuple[str, ...] = get_args(GraveViolation)  # the six grave violations
RELATED_CATEGORIES: tuple[str, ...] = get_args(RelatedCategory)
CATEGORIES: tuple[str, ...] = VIOLATIONS + RELATED_CATEGORIES  # every code an allegation may carry
ViolationClass = Literal["grave_violation", "related_category"]
ClaimKind = Literal["direct", "indirect", "according_to", "unattributed"]
Stance = Literal["accuses", "denies", "confirms", "calls_for_investigation", "reports"]
SourceType = Literal[
    "person", "official", "government", "military", "un", "ngo", "outlet", "armed_group",
    "witness", "organisation", "unknown",
]
DatePrecision = Literal["day", "week", "month", "year", "decade", "unknown"]
PlacePrecision = Literal["point", "city", "admin1", "region", "country"]
# Kinds of information behind an allegation (MRM/Primero "type of source" of information).
SourceKind = Literal[
    "testimony", "official_statement", "photograph", "video", "satellite_imagery", "document", "media_report",
]
EvidenceKind = Literal[SourceKind, "physical_evidence"]
# Who the source of an allegation is. primary: victim, witness, alleged_perpetrator; secondary: the rest.
SourceCategory = Literal["primary", "secondary"]
SourceClass = Literal["victim", "witness", "alleged_perpetrator", "official", "un", "ngo", "media", "other"]
Rating = Literal["high", "medium", "low"]
PerpetratorType = Literal["state_armed_force", "non_state_armed_group", "other_party", "unknown"]
RecruitmentRole = Literal["combatant", "support", "unknown"]
# ACLED's precision codes. Location: 1 the town itself; 2 near a town, or a small area (district);
# 3 a region (province/oblast) or larger. Date: 1 the exact day; 2 within a week; 3 within a month.
# None when the text gives no location (date) at all: a finer code is never invented.
PrecisionCode = Literal[1, 2, 3]


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
    type: PerpetratorType = Field(
        default="unknown",
        description="state_armed_force | non_state_armed_group | other_party | unknown (from parties.yaml)",
    )
    span: Span | None = None
    mentions: list[str] = Field(default_factory=list, description="how the text names the perpetrator")


class Victims(_Record):
    """The child victims of one allegation, counted conservatively (see ``docs/mrm.md``, "Counting").

    ``count`` is the lowest figure the text supports; ``count_max`` the top of a stated range. A vague
    quantity ("dozens") gives the figure of ``data/quantities.yaml`` and ``estimated`` True, as do "about",
    "more than", "at least" and a range. ``sex_unknown = count - boys - girls`` (a figure not stated counts
    0) whenever ``count`` is known, so ``boys + girls + sex_unknown == count`` with missing figures as 0:
    "12 children, including five girls" gives girls 5, boys None, sex_unknown 7. For killing and maiming
    ``killed`` and ``injured`` are separate figures (None for other violations, and when the text does not
    split them: "killed or injured 40 children"). Ages: ``min_age``..``max_age``; a group named by one age
    ("16-year-olds") has ``min_age`` only (shown "16+"). ``rule`` names the counting rule that gave
    ``count`` (``quantities.vague:dozens/1``, ``victims.sum_boys_girls/1``...). The counting rules are in
    ``extract/victims.py``.
    """

    count: int | None = None
    count_max: int | None = None
    estimated: bool = False
    quantity: TextSpan | None = Field(default=None, description="the words the count was read from")
    killed: int | None = None
    injured: int | None = None
    boys: int | None = None
    girls: int | None = None
    sex_unknown: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    sex: Literal["male", "female", "mixed", "unknown"] = "unknown"
    role: RecruitmentRole | None = Field(default=None, description="recruitment_use only")
    role_evidence: TextSpan | None = None
    spans: list[Span] = Field(default_factory=list)
    rule: str | None = None


class Location(_Record):
    name: str
    admin1: str | None = None
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2")
    lat: float | None = None
    lon: float | None = None
    precision: PlacePrecision = "country"
    geo_precision: PrecisionCode | None = Field(default=None, description="ACLED location precision 1/2/3")
    span: Span | None = None


class TimeRef(_Record):
    text: str | None = None
    span: Span | None = None
    date: str | None = Field(default=None, description="ISO date, truncated to its precision")
    precision: DatePrecision = "unknown"
    time_precision: PrecisionCode | None = Field(default=None, description="ACLED date precision 1/2/3")
    basis: Literal["explicit", "relative_to_published", "published"] = "explicit"


class Evidence(_Record):
    kind: EvidenceKind
    text: str
    span: Span


class AllegationSource(_Record):
    """Who an allegation comes from, typed as monitors type sources; ratings are proposals an analyst edits."""

    name: str
    category: SourceCategory
    type: SourceClass
    kinds: list[SourceKind] = Field(default_factory=list)
    party: str | None = Field(default=None, description="party to the conflict the source belongs to")
    relay: bool = Field(default=False, description="passes on another source's words (an outlet citing)")
    reliability: Rating = "medium"
    credibility: Rating = "medium"
    claims: list[str] = Field(default_factory=list)
    span: Span | None = None
    rule: str


class Allegation(_Record):
    id: str
    violation: Violation
    violation_class: ViolationClass = "grave_violation"
    perpetrator: Perpetrator | None = None
    victims: Victims = Field(default_factory=Victims)
    locations: list[Location] = Field(default_factory=list)
    time: TimeRef | None = Field(
        default=None, description="the most precise event date (day, week or month); a year alone gives none"
    )
    location_precision: PrecisionCode | None = Field(default=None, description="most precise geo_precision")
    date_precision: PrecisionCode | None = Field(default=None, description="time.time_precision")
    claims: list[str] = Field(default_factory=list)
    sources: list[AllegationSource] = Field(default_factory=list)
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


def span_problems(analysis: dict, text: str) -> list[str]:
    """What is wrong with the spans of an analysis JSON (``to_json_dict()``): a ``span``/``spans`` outside
    ``text``, or a ``span`` beside a ``text`` that is not that piece of the text. Empty when all is well."""
    problems: list[str] = []
    _walk_spans(analysis, text, "", problems)
    return problems


def _walk_spans(node: object, text: str, path: str, problems: list[str]) -> None:
    if isinstance(node, list):
        for index, child in enumerate(node):
            _walk_spans(child, text, f"{path}[{index}]", problems)
        return
    if not isinstance(node, dict):
        return
    spans = ([node["span"]] if node.get("span") is not None else []) + list(node.get("spans") or [])
    for start, end in spans:
        if not 0 <= start < end <= len(text):
            problems.append(f"{path}: span {start}..{end} outside a text of {len(text)} characters")
    if node.get("span") is not None and isinstance(node.get("text"), str):
        start, end = node["span"]
        if text[start:end] != node["text"]:
            problems.append(f"{path}: {node['text']!r} is not the text at {start}..{end}: {text[start:end]!r}")
    for key, child in node.items():
        _walk_spans(child, text, f"{path}.{key}", problems)
