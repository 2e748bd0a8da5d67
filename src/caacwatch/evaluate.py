"""Score ``caacwatch analyze`` output against labelled articles (pure Python, no spaCy).

Inputs are the public JSON contract (``Analysis.to_json_dict()``) keyed by document id, and a labels
file in the format of the labelling guidelines (one JSON object a line)::

    {"id": "...", "relevant": true, "violations": [...], "violations_optional": [...],
     "countries": [...], "countries_optional": [...], "country_alternatives": {"SY": ["IL"]},
     "perpetrators": [...], "sources": [...], "children_victims": 276}

Scoring rules (all figures are micro-averaged over the labelled documents):

* **relevance** - precision/recall/F1 of ``analysis["relevant"]`` against the label.
* **violations** - (document, violation) pairs. Predicted violations are the ``violation`` codes of the
  document's allegations, and only when the analysis says ``relevant``. The labels know the six grave
  violations only (GUIDELINES.md counts military use of schools as an attack): an allegation of the
  related category ``military_use_schools_hospitals`` is scored as ``attacks_schools_hospitals`` and one of
  ``deprivation_of_liberty`` is not scored at all (see :data:`LABEL_CODES`); an analysis whose only
  allegations are not scored counts as not relevant, and the other figures below only read scored
  allegations. A predicted code listed in the
  label's ``violations_optional`` is neutral: neither a true nor a false positive.
* **countries** - (document, country) pairs. Predicted countries are the ``country`` values of all
  locations of all allegations of a relevant analysis. ``countries_optional`` are neutral;
  ``country_alternatives`` (``{"SY": ["IL"]}``) accept IL in place of SY: the gold SY is found if SY or IL
  is predicted, and a predicted IL is then not a false positive.
* **sources** - recall: a gold source is found when it *fuzzy-matches* (see :func:`names_match`) any
  predicted source name: ``claims[*].source.name``, ``claims[*].source.text`` or ``claims[*].via[*]``.
* **perpetrators** - recall, same fuzzy rule against ``allegations[*].perpetrator.name``, ``.party`` and
  ``.mentions``.
* **children_victims** - reported only: the fraction of documents labelled with a number whose largest
  allegation ``victims.count`` equals it.

Sources and perpetrators are, like violations and countries, only taken from analyses that say
``relevant``: an irrelevant record is never shown to a user. A labelled document with no analysis (or an
error record instead of one) counts as "not relevant, nothing extracted" and is listed in
``Report.missing``.

Zero division follows the vacuous-truth convention: with nothing predicted precision is 1.0, with
nothing to find recall is 1.0, and F1 is 0.0 when precision + recall is 0. So a perfect empty answer on an
empty gold set scores 1.0 everywhere, and an empty answer on a non-empty gold set scores F1 = 0.
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caacwatch.errors import CaacError, E
from caacwatch.records import VIOLATIONS, Document

__all__ = [
    "LABEL_CODES",
    "Counts",
    "DocErrors",
    "Label",
    "Recall",
    "Report",
    "Shortfall",
    "compare_minimums",
    "format_report",
    "load_labels",
    "names_match",
    "normalise_name",
    "parse_label",
    "score",
]

JACCARD_MIN = 0.5
"""Two names whose normalised token sets overlap at least this much (Jaccard) match."""

_COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
_LIST_FIELDS = ("violations", "violations_optional", "countries", "countries_optional", "perpetrators", "sources")


# --------------------------------------------------------------------------- labels


@dataclass(frozen=True)
class Label:
    """One labelled article (see the labelling guidelines)."""

    id: str
    relevant: bool
    violations: frozenset[str] = frozenset()
    violations_optional: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    countries_optional: frozenset[str] = frozenset()
    country_alternatives: Mapping[str, frozenset[str]] = field(default_factory=dict)
    perpetrators: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    children_victims: int | None = None


def load_labels(path: str | Path) -> dict[str, Label]:
    """Read and validate a JSON Lines labels file; return the labels keyed by document id.

    Raises ``CaacError`` E205 when the file does not exist and E204 (with the line number) when a line
    is not a valid label or repeats an id. Blank lines are skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise CaacError(E.E205, path=path)
    labels: dict[str, Label] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            label = parse_line(line, path, number)
            if label.id in labels:
                raise CaacError(E.E204, path=path, line=number, reason=f"duplicate id {label.id!r}")
            labels[label.id] = label
    return labels


def parse_line(line: str, path: Path, number: int) -> Label:
    """Parse one labels line, turning any problem into an E204 error naming the line."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CaacError(E.E204, path=path, line=number, reason=f"not valid JSON ({exc.msg})") from exc
    try:
        return parse_label(obj)
    except ValueError as exc:
        raise CaacError(E.E204, path=path, line=number, reason=str(exc)) from exc


def parse_label(obj: Any) -> Label:
    """Validate one decoded label object and build a :class:`Label`; raise ``ValueError`` if invalid."""
    if not isinstance(obj, dict):
        raise ValueError(f"a JSON object is required, got {type(obj).__name__}")
    label_id = obj.get("id")
    if not isinstance(label_id, str) or not label_id.strip():
        raise ValueError("field 'id' must be a non-empty string")
    relevant = obj.get("relevant")
    if not isinstance(relevant, bool):
        raise ValueError("field 'relevant' must be true or false")
    lists = {name: _string_list(obj, name) for name in _LIST_FIELDS}
    _check_codes(lists["violations"] + lists["violations_optional"], VIOLATIONS, "violation")
    _check_countries(lists["countries"] + lists["countries_optional"])
    if not relevant and (lists["violations"] or lists["countries"]):
        raise ValueError("an irrelevant article cannot have violations or countries")
    return Label(
        id=label_id,
        relevant=relevant,
        violations=frozenset(lists["violations"]),
        violations_optional=frozenset(lists["violations_optional"]),
        countries=frozenset(lists["countries"]),
        countries_optional=frozenset(lists["countries_optional"]),
        country_alternatives=_alternatives(obj.get("country_alternatives")),
        perpetrators=tuple(lists["perpetrators"]),
        sources=tuple(lists["sources"]),
        children_victims=_victim_count(obj.get("children_victims")),
    )


def _string_list(obj: dict, name: str) -> list[str]:
    """Return ``obj[name]`` as a list of non-empty strings (missing or null: empty list)."""
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ValueError(f"field {name!r} must be a list of non-empty strings")
    return value


def _check_codes(codes: Iterable[str], allowed: Iterable[str], what: str) -> None:
    unknown = sorted(set(codes) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {what} code(s) {unknown}; use one of {sorted(allowed)}")


def _check_countries(codes: Iterable[str]) -> None:
    bad = sorted(code for code in codes if not _COUNTRY_CODE.match(code))
    if bad:
        raise ValueError(f"country codes must be ISO 3166-1 alpha-2 in upper case, got {bad}")


def _alternatives(value: Any) -> dict[str, frozenset[str]]:
    """Validate ``country_alternatives``: ``{"SY": ["IL", ...]}`` (missing or null: no alternatives)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError("field 'country_alternatives' must be an object mapping a code to a list of codes")
    alternatives: dict[str, frozenset[str]] = {}
    for code, accepted in value.items():
        if not isinstance(accepted, list) or not all(isinstance(item, str) for item in accepted):
            raise ValueError(f"country_alternatives[{code!r}] must be a list of codes")
        _check_countries([code, *accepted])
        alternatives[code] = frozenset(accepted)
    return alternatives


def _victim_count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("field 'children_victims' must be a non-negative integer or null")
    return value


# --------------------------------------------------------------------------- fuzzy names

_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b")
_NON_WORD = re.compile(r"[^\w\s]|_")
_LEADING_THE = re.compile(r"^the\s+")


def normalise_name(name: str) -> str:
    """Normalise a name for fuzzy matching.

    Lower case, accents folded, possessive ``'s`` dropped, punctuation turned into spaces, a leading
    "the" dropped, whitespace collapsed: ``"The Daily Mail's"`` -> ``"daily mail"``.
    """
    text = unicodedata.normalize("NFKD", name)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    text = _POSSESSIVE.sub("", text)
    text = " ".join(_NON_WORD.sub(" ", text).split())
    return _LEADING_THE.sub("", text)


def names_match(gold: str, predicted: str) -> bool:
    """Whether two names refer to the same source or perpetrator, by a deliberately lenient rule.

    After :func:`normalise_name`, the names match when one's token sequence occurs inside the other's
    (``"UN"`` in ``"UN officials"``, but not ``"un"`` in ``"unknown gunmen"``), or when the Jaccard overlap
    of their token sets is at least :data:`JACCARD_MIN` (``"Gaza Health Ministry"`` ~
    ``"Gaza Ministry of Health"``). Names that normalise to nothing never match.
    """
    gold_tokens = normalise_name(gold).split()
    predicted_tokens = normalise_name(predicted).split()
    if not gold_tokens or not predicted_tokens:
        return False
    if _contains(gold_tokens, predicted_tokens) or _contains(predicted_tokens, gold_tokens):
        return True
    gold_set, predicted_set = set(gold_tokens), set(predicted_tokens)
    return len(gold_set & predicted_set) / len(gold_set | predicted_set) >= JACCARD_MIN


def _contains(outer: list[str], inner: list[str]) -> bool:
    """Whether ``inner`` occurs as a contiguous run of tokens in ``outer``."""
    width = len(inner)
    return any(outer[start : start + width] == inner for start in range(len(outer) - width + 1))


# --------------------------------------------------------------------------- figures


def _safe_ratio(numerator: int, denominator: int, empty: float) -> float:
    return numerator / denominator if denominator else empty


@dataclass
class Counts:
    """True/false positive and false negative counts, with P/R/F1 (vacuous-truth zero division)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 1.0 when nothing was predicted."""
        return _safe_ratio(self.tp, self.tp + self.fp, 1.0)

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 1.0 when there was nothing to find."""
        return _safe_ratio(self.tp, self.tp + self.fn, 1.0)

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall; 0.0 when both are 0."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def add(self, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
        self.tp += tp
        self.fp += fp
        self.fn += fn

    def as_dict(self) -> dict[str, float | int]:
        return {
            "tp": self.tp, "fp": self.fp, "fn": self.fn,
            "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4),
        }


@dataclass
class Recall:
    """How many of the gold items were found (1.0 when there was nothing to find)."""

    found: int = 0
    total: int = 0

    @property
    def value(self) -> float:
        return _safe_ratio(self.found, self.total, 1.0)

    def add(self, found: int, total: int) -> None:
        self.found += found
        self.total += total

    def as_dict(self) -> dict[str, float | int]:
        return {"found": self.found, "total": self.total, "recall": round(self.value, 4)}


@dataclass
class DocErrors:
    """What went wrong on one labelled document (empty fields: nothing wrong there)."""

    id: str
    relevance: str | None = None  # "false_positive" | "false_negative"
    missing_violations: list[str] = field(default_factory=list)
    extra_violations: list[str] = field(default_factory=list)
    missing_countries: list[str] = field(default_factory=list)
    extra_countries: list[str] = field(default_factory=list)
    missed_sources: list[str] = field(default_factory=list)
    missed_perpetrators: list[str] = field(default_factory=list)
    children_victims: tuple[int, int | None] | None = None  # (gold, predicted) when they differ

    def is_empty(self) -> bool:
        return not any(value for name, value in vars(self).items() if name != "id")

    def as_dict(self) -> dict[str, Any]:
        """The non-empty fields only (plus the id)."""
        out: dict[str, Any] = {"id": self.id}
        for name, value in vars(self).items():
            if name == "children_victims" and value is not None:
                out[name] = {"gold": value[0], "predicted": value[1]}
            elif name != "id" and value:
                out[name] = value
        return out


@dataclass
class Report:
    """Scores of a set of analyses against labels, plus the per-document error list."""

    documents: int = 0
    relevance: Counts = field(default_factory=Counts)
    violations: Counts = field(default_factory=Counts)
    per_violation: dict[str, Counts] = field(default_factory=lambda: {code: Counts() for code in VIOLATIONS})
    countries: Counts = field(default_factory=Counts)
    sources: Recall = field(default_factory=Recall)
    perpetrators: Recall = field(default_factory=Recall)
    children_victims: Recall = field(default_factory=Recall)
    missing: list[str] = field(default_factory=list)
    errors: list[DocErrors] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        """The headline figures, flat, as used by the accuracy gate (``accuracy_minimums.json``).

        ``children_victims`` is reported only, not gated.
        """
        return {
            "relevance_precision": self.relevance.precision,
            "relevance_recall": self.relevance.recall,
            "relevance_f1": self.relevance.f1,
            "violations_precision": self.violations.precision,
            "violations_recall": self.violations.recall,
            "violations_f1": self.violations.f1,
            "countries_precision": self.countries.precision,
            "countries_recall": self.countries.recall,
            "countries_f1": self.countries.f1,
            "sources_recall": self.sources.value,
            "perpetrators_recall": self.perpetrators.value,
        }

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of everything in the report."""
        return {
            "documents": self.documents,
            "relevance": self.relevance.as_dict(),
            "violations": self.violations.as_dict(),
            "per_violation": {code: counts.as_dict() for code, counts in self.per_violation.items()},
            "countries": self.countries.as_dict(),
            "sources": self.sources.as_dict(),
            "perpetrators": self.perpetrators.as_dict(),
            "children_victims": {
                "correct": self.children_victims.found,
                "total": self.children_victims.total,
                "accuracy": round(self.children_victims.value, 4),
            },
            "figures": {name: round(value, 4) for name, value in self.figures().items()},
            "missing": list(self.missing),
            "errors": [errors.as_dict() for errors in self.errors],
        }


# --------------------------------------------------------------------------- what an analysis predicts


@dataclass(frozen=True)
class _Prediction:
    """What one analysis (JSON dict) claims, reduced to what the labels describe."""

    relevant: bool
    violations: frozenset[str]
    countries: frozenset[str]
    sources: tuple[str, ...]
    perpetrators: tuple[str, ...]
    children_victims: int | None


_NOTHING = _Prediction(False, frozenset(), frozenset(), (), (), None)

# The labels (GUIDELINES.md) code the six grave violations only, and count military use of schools under
# attacks on schools and hospitals. Since caacwatch.analysis/2 records military use and deprivation of
# liberty as related categories apart from the six, scoring maps them onto the labels' codes: military use
# counts as attacks_schools_hospitals, deprivation of liberty is not scored (no label code exists for it).
LABEL_CODES: dict[str, str | None] = {
    **{code: code for code in VIOLATIONS},
    "military_use_schools_hospitals": "attacks_schools_hospitals",
    "deprivation_of_liberty": None,
}


def label_code(violation: str | None) -> str | None:
    """The labels' code an allegation's ``violation`` is scored as (None: not scored)."""
    return LABEL_CODES.get(violation) if violation else None


def _predict(analysis: Mapping[str, Any] | None) -> _Prediction:
    """Reduce an analysis dict to a :class:`_Prediction`; an irrelevant analysis predicts nothing."""
    if not analysis or analysis.get("relevant") is not True:
        return _NOTHING
    every = analysis.get("allegations") or []
    allegations = [a for a in every if label_code(a.get("violation")) is not None]
    if every and not allegations:
        return _NOTHING  # only deprivation of liberty: not relevant in the labels' sense
    return _Prediction(
        relevant=True,
        violations=frozenset(code for a in allegations if (code := label_code(a.get("violation")))),
        countries=frozenset(
            loc["country"] for a in allegations for loc in a.get("locations") or [] if loc.get("country")
        ),
        sources=tuple(_source_names(analysis.get("claims") or [])),
        perpetrators=tuple(_perpetrator_names(allegations)),
        children_victims=max(
            (a["victims"]["count"] for a in allegations if (a.get("victims") or {}).get("count") is not None),
            default=None,
        ),
    )


def _source_names(claims: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    """``source.name``, ``source.text`` and every ``via`` of the claims."""
    for claim in claims:
        source = claim.get("source") or {}
        yield from _strings([source.get("name"), source.get("text"), *(claim.get("via") or [])])


def _perpetrator_names(allegations: Iterable[Mapping[str, Any]]) -> Iterable[str]:
    """``perpetrator.name``, ``.party`` and ``.mentions`` (how the text names it) of the allegations."""
    for allegation in allegations:
        perpetrator = allegation.get("perpetrator") or {}
        yield from _strings([perpetrator.get("name"), perpetrator.get("party"), *perpetrator.get("mentions", [])])


def _strings(values: Iterable[Any]) -> list[str]:
    return [value for value in values if isinstance(value, str) and value]


# --------------------------------------------------------------------------- scoring


def score(analyses: Mapping[str, Mapping[str, Any]], labels: Mapping[str, Label]) -> Report:
    """Score analyses (``Analysis.to_json_dict()`` keyed by document id) against labels.

    Every labelled document is scored; analyses of unlabelled documents are ignored. See the module
    docstring for the rules.
    """
    report = Report(documents=len(labels))
    for doc_id in sorted(labels):
        label = labels[doc_id]
        analysis = analyses.get(doc_id)
        if analysis is None or "relevant" not in analysis:
            report.missing.append(doc_id)
        errors = _score_document(report, label, _predict(analysis))
        if not errors.is_empty():
            report.errors.append(errors)
    return report


def _score_document(report: Report, label: Label, predicted: _Prediction) -> DocErrors:
    """Add one document's counts to ``report`` and return what it got wrong."""
    errors = DocErrors(id=label.id)
    errors.relevance = _score_relevance(report.relevance, label.relevant, predicted.relevant)
    errors.missing_violations, errors.extra_violations = _score_violations(report, label, predicted)
    errors.missing_countries, errors.extra_countries = _score_countries(report.countries, label, predicted)
    errors.missed_sources = _score_names(report.sources, label.sources, predicted.sources)
    errors.missed_perpetrators = _score_names(report.perpetrators, label.perpetrators, predicted.perpetrators)
    if label.children_victims is not None:
        correct = predicted.children_victims == label.children_victims
        report.children_victims.add(found=int(correct), total=1)
        if not correct:
            errors.children_victims = (label.children_victims, predicted.children_victims)
    return errors


def _score_relevance(counts: Counts, gold: bool, predicted: bool) -> str | None:
    counts.add(tp=int(gold and predicted), fp=int(predicted and not gold), fn=int(gold and not predicted))
    if predicted and not gold:
        return "false_positive"
    if gold and not predicted:
        return "false_negative"
    return None


def _score_violations(report: Report, label: Label, predicted: _Prediction) -> tuple[list[str], list[str]]:
    """Count (doc, violation) pairs; optional codes are neutral. Return (missing, extra)."""
    gold = label.violations
    scored = predicted.violations - (label.violations_optional - gold)
    missing, extra = sorted(gold - scored), sorted(scored - gold)
    report.violations.add(tp=len(gold & scored), fp=len(extra), fn=len(missing))
    for code in gold & scored:
        report.per_violation.setdefault(code, Counts()).add(tp=1)
    for code in extra:
        report.per_violation.setdefault(code, Counts()).add(fp=1)
    for code in missing:
        report.per_violation.setdefault(code, Counts()).add(fn=1)
    return missing, extra


def _score_countries(counts: Counts, label: Label, predicted: _Prediction) -> tuple[list[str], list[str]]:
    """Count (doc, country) pairs with optional and alternative codes. Return (missing, extra)."""
    accounted_for = set(label.countries_optional)
    missing = []
    for code in sorted(label.countries):
        accepted = {code} | label.country_alternatives.get(code, frozenset())
        hits = accepted & predicted.countries
        if hits:
            accounted_for |= hits
        else:
            missing.append(code)
    extra = sorted(predicted.countries - accounted_for - label.countries)
    counts.add(tp=len(label.countries) - len(missing), fp=len(extra), fn=len(missing))
    return missing, extra


def _score_names(recall: Recall, gold: Iterable[str], predicted: tuple[str, ...]) -> list[str]:
    """Add fuzzy-match recall of ``gold`` names against ``predicted``; return the gold names missed."""
    gold = list(dict.fromkeys(gold))
    missed = [name for name in gold if not any(names_match(name, other) for other in predicted)]
    recall.add(found=len(gold) - len(missed), total=len(gold))
    return missed


# --------------------------------------------------------------------------- accuracy gate


@dataclass(frozen=True)
class Shortfall:
    """A figure below its saved minimum."""

    figure: str
    value: float
    minimum: float

    def __str__(self) -> str:
        return f"{self.figure} = {self.value:.4f} < minimum {self.minimum:.4f}"


def compare_minimums(figures: Mapping[str, float], minimums: Mapping[str, float]) -> list[Shortfall]:
    """Return every figure that falls below its minimum (a minimum for an unknown figure is a shortfall).

    A tolerance of 1e-9 absorbs float noise; minimums are saved rounded down, so an unchanged pipeline
    always passes.
    """
    shortfalls = []
    for name, minimum in sorted(minimums.items()):
        value = figures.get(name, float("-inf"))
        if value < minimum - 1e-9:
            shortfalls.append(Shortfall(name, value, minimum))
    return shortfalls


# --------------------------------------------------------------------------- human-readable output


def format_report(report: Report, *, show_errors: bool = True, width: int = 110) -> str:
    """Render the report as text: a table of figures, per-violation scores and the error list."""
    from rich.console import Console  # imported here: plain scoring must not pay for rich

    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None, highlight=False)
    console.print(_figures_table(report))
    console.print(_per_violation_table(report))
    if report.missing:
        console.print(
            f"No analysis for {len(report.missing)} labelled document(s): {', '.join(report.missing)}",
            markup=False,
            soft_wrap=True,
        )
    if show_errors:
        console.print(f"\nErrors ({len(report.errors)} of {report.documents} documents):")
        for errors in report.errors:
            console.print(_error_line(errors), soft_wrap=True, markup=False)
    return buffer.getvalue()


def _figures_table(report: Report) -> Any:
    from rich.table import Table

    table = Table(title=f"caacwatch evaluation: {report.documents} labelled documents")
    for column in ("measure", "precision", "recall", "F1", "counts"):
        table.add_column(column, justify="left" if column in ("measure", "counts") else "right")
    for name, counts in (
        ("relevance", report.relevance), ("violations", report.violations), ("countries", report.countries),
    ):
        table.add_row(
            name, f"{counts.precision:.3f}", f"{counts.recall:.3f}", f"{counts.f1:.3f}",
            f"tp={counts.tp} fp={counts.fp} fn={counts.fn}",
        )
    for name, recall in (("sources", report.sources), ("perpetrators", report.perpetrators)):
        table.add_row(name, "", f"{recall.value:.3f}", "", f"{recall.found}/{recall.total} found (fuzzy)")
    victims = report.children_victims
    table.add_row(
        "children_victims", "", "", "", f"accuracy {victims.value:.3f} ({victims.found}/{victims.total} exact)"
    )
    return table


def _per_violation_table(report: Report) -> Any:
    from rich.table import Table

    table = Table(title="violations by code")
    for column in ("violation", "precision", "recall", "F1", "tp", "fp", "fn"):
        table.add_column(column, justify="left" if column == "violation" else "right")
    for code, counts in report.per_violation.items():
        table.add_row(
            code, f"{counts.precision:.3f}", f"{counts.recall:.3f}", f"{counts.f1:.3f}",
            str(counts.tp), str(counts.fp), str(counts.fn),
        )
    return table


def _error_line(errors: DocErrors) -> str:
    parts = []
    if errors.relevance:
        parts.append(f"relevance {errors.relevance.replace('_', ' ')}")
    for name in (
        "missing_violations", "extra_violations", "missing_countries", "extra_countries",
        "missed_sources", "missed_perpetrators",
    ):
        values = getattr(errors, name)
        if values:
            parts.append(f"{name.replace('_', ' ')}: {', '.join(values)}")
    if errors.children_victims:
        gold, predicted = errors.children_victims
        parts.append(f"children victims {predicted} (gold {gold})")
    return f"- {errors.id}: " + "; ".join(parts)


# --- running the analyzer on the labelled articles (spaCy is imported only here, lazily) -------------


class MissingArticles(Exception):
    """Labelled ids that are not in the articles file."""


def labelled_lines(articles_path: Path, ids: Iterable[str]) -> list[str]:
    """Stream ``articles_path`` and keep the lines of the given ids (all must be there), in file order."""
    wanted, lines, seen = set(ids), [], set()
    with articles_path.open(encoding="utf-8") as stream:
        for line in stream:
            doc_id = json.loads(line).get("id") if line.strip() else None
            if doc_id in wanted:
                lines.append(line)
                seen.add(doc_id)
    missing = sorted(wanted - seen)
    if missing:
        raise MissingArticles(f"{len(missing)} labelled id(s) not found in {articles_path}: {missing}")
    return lines


def load_documents(articles_path: Path, ids: Iterable[str]) -> tuple[dict[str, Document], dict[str, dict]]:
    """The labelled articles, ingested as ``caacwatch analyze`` ingests a JSON Lines batch.

    Returns the documents by id, and the error records (as dicts) of lines ingestion refused.
    """
    from caacwatch.ingest.jsonl import iter_jsonl

    documents, errors = {}, {}
    for item in iter_jsonl(io.StringIO("".join(labelled_lines(articles_path, ids)))):
        if isinstance(item, Document):
            documents[item.id] = item
        else:
            errors[item.id] = item.model_dump(mode="json")
    return documents, errors


def analyze_documents(documents: Mapping[str, Document], batch_size: int = 64) -> dict[str, dict[str, Any]]:
    """Run the analyzer over the documents; return ``Analysis.to_json_dict()`` keyed by id."""
    from caacwatch.extract.analyzer import Analyzer

    analyzer = Analyzer()
    ids = list(documents)
    analyses = analyzer.analyze_many((documents[doc_id] for doc_id in ids), batch_size=batch_size)
    return {doc_id: analysis.to_json_dict() for doc_id, analysis in zip(ids, analyses, strict=True)}


def run_evaluation(labels_path: Path, articles_path: Path) -> Report:
    """Load labels and articles, analyse the labelled articles and score them."""
    labels = load_labels(labels_path)
    documents, errors = load_documents(articles_path, labels)
    return score({**errors, **analyze_documents(documents)}, labels)
