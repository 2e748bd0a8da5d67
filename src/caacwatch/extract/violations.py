"""Violation cues: which of the six grave violations (or of the two related categories monitors record next to
them: military use of schools and hospitals, deprivation of liberty) a sentence alleges, and why.

Plain Python over text and sentence boundaries (no spaCy), so the same rules serve the cheap pre-filter and
the full analysis. The rules live in ``data/violations.yaml``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from caacwatch.extract.lexicons import ViolationLexicon, ViolationRule, party_lexicon, violation_lexicon

Span = tuple[int, int]
RULE_VERSION = 2
# Given (trigger, target) spans: True when the parse links them, False when it does not, None when unknown.
LinkCheck = Callable[[Span, Span], bool | None]
URL = re.compile(r"(?:https?://|www\.)\S+")


@dataclass(frozen=True)
class ViolationCue:
    """One sentence that alleges one violation."""

    violation: str
    trigger: Span
    target: Span
    sentence: int
    context: str  # sentence | neighbour | party | document
    self_targeting: bool
    confidence: float
    linked: bool | None = None  # does the dependency parse connect trigger and target?

    @property
    def rule(self) -> str:
        kind = "self" if self.self_targeting else "trigger_target"
        link = {True: "+linked", False: "+unlinked", None: ""}[self.linked]
        return f"violations.{self.violation}.{kind}+{self.context}{link}/{RULE_VERSION}"


# A cue found without the parser can still gain LINK_BONUS from it, so the pre-filter keeps every document
# whose best parser-free cue could reach the relevance threshold once linked.
PREFILTER_MIN_CONFIDENCE = 0.40
ROUGH_LINE = re.compile(r"[^\n]+")
ROUGH_SENTENCE = re.compile(r".+?(?:[.!?][\"\u201d\u2019']?(?=\s)|$)")


def prefilter(text: str, lexicon: ViolationLexicon | None = None) -> bool:
    """Cheap, high-recall test run before the parser: could this text allege any grave violation?

    Stage 1 (a few whole-text regular-expression searches): some rule's trigger (or self-targeting
    phrase), one of its targets and its conflict context all occur somewhere in the text. Stage 2 (only
    for survivors): the same cue rules as the full analysis on rough regex sentences, keeping the document
    when a cue could reach the relevance threshold. No tokeniser, no model.
    """
    lexicon = lexicon or violation_lexicon()
    if not _stage_one(text, lexicon):
        return False
    from caacwatch.extract.parties import find_party_mentions

    parties = [m.span for m in find_party_mentions(text)]
    cues = find_violation_cues(text, rough_sentences(text), party_spans=parties, lexicon=lexicon)
    return any(c.confidence >= PREFILTER_MIN_CONFIDENCE for c in cues)


def _stage_one(text: str, lexicon: ViolationLexicon) -> bool:
    named_party: bool | None = None  # looked up at most once, and only when a rule needs it
    for rule in lexicon.rules.values():
        if not _has_act_and_target(text, rule, lexicon):
            continue
        if _has_context(text, rule, lexicon):
            return True
        if named_party is None:
            # The full analysis also takes a named party as conflict context ("abducted by Maoists").
            named_party = party_lexicon().alias_pattern.search(text) is not None
        if named_party:
            return True
    return False


def _has_act_and_target(text: str, rule: ViolationRule, lexicon: ViolationLexicon) -> bool:
    if rule.self_targeting is not None and rule.self_targeting.search(text):
        return True
    return bool(rule.triggers.search(text)) and any(lexicon.classes[t].search(text) for t in rule.targets)


def rough_sentences(text: str) -> list[Span]:
    """Sentence spans by punctuation and line breaks: good enough to bucket cues without a parser."""
    spans = []
    for line in ROUGH_LINE.finditer(text):
        for sentence in ROUGH_SENTENCE.finditer(line.group()):
            if sentence.group().strip():
                spans.append((line.start() + sentence.start(), line.start() + sentence.end()))
    return spans


def _has_context(text: str, rule: ViolationRule, lexicon: ViolationLexicon) -> bool:
    return any(lexicon.classes[c].search(text) for c in rule.context)


def find_violation_cues(
    text: str,
    sentences: Sequence[Span],
    *,
    party_spans: Sequence[Span] = (),
    skip_spans: Sequence[Span] = (),
    lexicon: ViolationLexicon | None = None,
    link_check: LinkCheck | None = None,
) -> list[ViolationCue]:
    """Every (sentence, violation) pair the rules support, with trigger and target spans.

    ``party_spans``: where parties to a conflict are named (a party in the sentence is conflict context).
    ``skip_spans``: boilerplate lines, never evidence of anything.
    ``link_check``: optional syntactic test (from the parser) that the target is what the trigger is about.

    Each pattern scans the whole text once; matches are then bucketed by sentence (far faster than
    searching sentence by sentence, which matters because the pre-filter runs this on every candidate).
    """
    lexicon = lexicon or violation_lexicon()
    scan = _scan(text, lexicon)
    index = _SentenceIndex(scan.text, sentences, skip_spans, scan)
    class_hits: dict[str, dict[int, list[Span]]] = {}

    def hits_of(name: str) -> dict[int, list[Span]]:
        if name not in class_hits:
            class_hits[name] = index.bucket(lexicon.classes[name])
        return class_hits[name]

    party_sentences = {index.sentence_of(start) for start, _ in party_spans} - {None}
    cues: list[ViolationCue] = []
    for rule in lexicon.rules.values():
        self_hits = index.bucket(rule.self_targeting) if rule.self_targeting is not None else {}
        trigger_hits = index.bucket(rule.triggers)
        if not self_hits and not trigger_hits:
            continue  # the other patterns of the rule are only scanned when it could fire
        context_hits = _union(hits_of(c) for c in rule.context)
        document_context = sum(len(hits) for hits in context_hits.values())
        target_hits = _union(hits_of(t) for t in rule.targets)
        excluded = set(index.bucket(rule.exclude)) if rule.exclude is not None else set()
        for sentence in sorted((set(self_hits) | set(trigger_hits)) - excluded):
            found = (
                _first(self_hits.get(sentence))
                or _nearest_target(trigger_hits.get(sentence, []), target_hits.get(sentence, []), lexicon.window)
                or _pronoun_target(index, sentence, trigger_hits.get(sentence, []), target_hits.get(sentence - 1))
            )
            if found is None:
                continue
            context = _context_kind(sentence, len(sentences), context_hits, party_sentences, document_context)
            if context is None:
                continue
            trigger, target, self_targeting = found
            cue = ViolationCue(
                violation=rule.violation,
                trigger=trigger,
                target=target,
                sentence=sentence,
                context=context,
                self_targeting=self_targeting,
                confidence=_confidence(trigger, target, self_targeting, context),
            )
            cues.append(_with_link(cue, link_check))
    cues = _apply_overrides(cues, lexicon, scan.text)
    return sorted(cues, key=lambda c: (c.sentence, c.trigger))


def _apply_overrides(cues: list[ViolationCue], lexicon: ViolationLexicon, text: str) -> list[ViolationCue]:
    """A related category's cue removes, in its sentence, the cues of the violations it overrides whose
    trigger is one of the override words or lies inside it: "soldiers occupied the school" is military use,
    not an attack; "boys were seized and detained by security forces" is detention, not abduction."""
    overriding = [c for c in cues if lexicon.rules[c.violation].overrides]
    if not overriding:
        return cues
    dropped: set[int] = set()
    for related in overriding:
        extent = (min(related.trigger[0], related.target[0]), max(related.trigger[1], related.target[1]))
        for name, pattern in lexicon.rules[related.violation].overrides.items():
            for index, cue in enumerate(cues):
                if cue.violation != name or cue.sentence != related.sentence:
                    continue
                inside = extent[0] <= cue.trigger[0] and cue.trigger[1] <= extent[1]
                if inside or pattern.fullmatch(text, cue.trigger[0], cue.trigger[1]):
                    dropped.add(index)
    return [cue for index, cue in enumerate(cues) if index not in dropped]


@dataclass
class _Scan:
    """Every match of every pattern of the lexicon in one (URL-masked) text."""

    text: str
    spans: dict[int, list[Span]]  # id(pattern) -> match spans, filled on first use

    def spans_of(self, pattern: re.Pattern[str]) -> list[Span]:
        found = self.spans.get(id(pattern))
        if found is None:
            found = self.spans[id(pattern)] = [m.span() for m in pattern.finditer(self.text)]
        return found


_SCAN_CACHE: OrderedDict[tuple[int, str], _Scan] = OrderedDict()
# Larger than a batch of the analyzer: the whole batch is pre-filtered before any of it is parsed.
_SCAN_CACHE_SIZE = 512


def _scan(text: str, lexicon: ViolationLexicon) -> _Scan:
    """Scan once per text: the pre-filter and the pipeline component analyse the same text one after the
    other, so the second call is served from this small cache (and the matches it already found)."""
    key = (id(lexicon), text)
    cached = _SCAN_CACHE.get(key)
    if cached is not None:
        _SCAN_CACHE.move_to_end(key)
        return cached
    # Patterns are scanned lazily (``_Scan.spans_of``): a rule whose triggers do not occur never pays for its
    # targets, context and exclusions.
    scan = _Scan(mask_urls(text), {})
    _SCAN_CACHE[key] = scan
    if len(_SCAN_CACHE) > _SCAN_CACHE_SIZE:
        _SCAN_CACHE.popitem(last=False)
    return scan


class _SentenceIndex:
    """Maps text offsets to sentence numbers; boilerplate sentences map to none."""

    def __init__(self, text: str, sentences: Sequence[Span], skip_spans: Sequence[Span], scan: _Scan) -> None:
        self.text = text
        self.scan = scan
        self.sentences = list(sentences)
        self.starts = [s for s, _ in self.sentences]
        self.skipped = {i for i, span in enumerate(self.sentences) if _overlaps_any(span, skip_spans)}

    def sentence_of(self, offset: int) -> int | None:
        i = bisect_right(self.starts, offset) - 1
        if i < 0 or offset >= self.sentences[i][1] or i in self.skipped:
            return None
        return i

    def bucket(self, pattern: re.Pattern[str]) -> dict[int, list[Span]]:
        hits: dict[int, list[Span]] = {}
        for span in self.scan.spans_of(pattern):
            i = self.sentence_of(span[0])
            if i is not None:
                hits.setdefault(i, []).append(span)
        return hits


def _union(buckets: Iterable[dict[int, list[Span]]]) -> dict[int, list[Span]]:
    merged: dict[int, list[Span]] = {}
    for bucket in buckets:
        for i, spans in bucket.items():
            merged.setdefault(i, []).extend(spans)
    return merged


def _first(spans: list[Span] | None) -> tuple[Span, Span, bool] | None:
    return (spans[0], spans[0], True) if spans else None


def _nearest_target(triggers: list[Span], targets: list[Span], window: int) -> tuple[Span, Span, bool] | None:
    """The trigger with the nearest target within the window; None when no trigger has a target near it."""
    best: tuple[int, Span, Span] | None = None
    for trigger in triggers:
        for target in targets:
            distance = _distance(trigger, target)  # 0 when the trigger names its target ("forced children to")
            if distance <= window and (best is None or distance < best[0]):
                best = (distance, trigger, target)
    return None if best is None else (best[1], best[2], False)


PRONOUN = re.compile(r"(?i)\b(?:they|them|their|he|him|his|she|her)\b")


def _pronoun_target(index: _SentenceIndex, sentence: int, triggers: list[Span],
                    previous_targets: list[Span] | None) -> tuple[Span, Span, bool] | None:
    """ "...abducting children. Or forcing them to serve as sex slaves.": a pronoun in the trigger sentence
    may stand for children named in the sentence before. Scored as a far target (no parse link)."""
    if not triggers or not previous_targets:
        return None
    start, end = index.sentences[sentence]
    if not PRONOUN.search(index.text, start, end):
        return None
    return triggers[0], previous_targets[-1], False


def _context_kind(
    sentence: int,
    sentence_count: int,
    context_hits: dict[int, list[Span]],
    party_sentences: set[int | None],
    document_context: int,
) -> str | None:
    """Where the armed-conflict context comes from, or None when there is none near enough."""
    if sentence in context_hits:
        return "sentence"
    if sentence in party_sentences:
        return "party"
    if any(0 <= n < sentence_count and n in context_hits for n in (sentence - 1, sentence + 1)):
        return "neighbour"
    # An article saturated with conflict vocabulary lends context to a sentence that lacks its own.
    if document_context >= 5 and party_sentences:
        return "document"
    return None


def mask_urls(text: str) -> str:
    """Blank out URLs (same length, so offsets hold): words inside a link are not allegations."""
    return URL.sub(lambda m: " " * len(m.group()), text)


def _with_link(cue: ViolationCue, link_check: LinkCheck | None) -> ViolationCue:
    if link_check is None or cue.self_targeting:
        return cue
    linked = link_check(cue.trigger, cue.target)
    if linked is None:
        return cue
    confidence = cue.confidence + (LINK_BONUS if linked else -LINK_PENALTY)
    return replace(cue, linked=linked, confidence=round(max(0.0, min(confidence, 0.95)), 2))


# Confidence is additive evidence: conflict context near the sentence, how close the victim or target is to
# the act, and (added by the parser) whether the two are syntactically linked. Calibrated so that a trigger
# and a target in one sentence with conflict context pass the relevance threshold (0.55) only when they
# are close or linked; context from the document alone never suffices without a self-targeting phrase.
BASE_CONFIDENCE = 0.3
CONTEXT_WEIGHT = {"sentence": 0.25, "party": 0.2, "neighbour": 0.1, "document": -0.1}
SELF_TARGETING_WEIGHT = 0.3
NEAR_WEIGHT, FAR_WEIGHT, NEAR_CHARS = 0.15, 0.05, 60
LINK_BONUS, LINK_PENALTY = 0.15, 0.2


def _confidence(trigger: Span, target: Span, self_targeting: bool, context: str) -> float:
    score = BASE_CONFIDENCE + CONTEXT_WEIGHT[context]
    if self_targeting:
        score += SELF_TARGETING_WEIGHT
    elif _distance(trigger, target) <= NEAR_CHARS:
        score += NEAR_WEIGHT
    else:
        score += FAR_WEIGHT
    return round(max(0.0, min(score, 0.95)), 2)


def _distance(a: Span, b: Span) -> int:
    if a[1] <= b[0]:
        return b[0] - a[1]
    if b[1] <= a[0]:
        return a[0] - b[1]
    return 0


def _overlaps(a: Span, b: Span) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _overlaps_any(span: Span, others: Sequence[Span]) -> bool:
    return any(_overlaps(span, other) for other in others)


