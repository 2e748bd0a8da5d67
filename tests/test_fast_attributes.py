"""The fast attribute ruler sets exactly what spaCy's AttributeRuler sets, with spaCy's precedence.

Every comparison runs both components on copies of the same Doc (or both whole pipelines on the same text)
and asserts the token annotations are identical, token by token, and that the serialised Docs are equal.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import spacy
from spacy.attrs import DEP, ENT_IOB, ENT_TYPE, HEAD, LEMMA, MORPH, NORM, POS, SENT_START, TAG
from spacy.language import Language
from spacy.tokens import Doc

from caacwatch.extract.fast_attributes import (
    FACTORY,
    FastAttributeRuler,
    UnsupportedPattern,
    replace_attribute_ruler,
)
from caacwatch.extract.pipeline import MODEL_NAME, build_pipeline

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
ARRAY_ATTRS = [POS, TAG, MORPH, LEMMA, DEP, HEAD, NORM, SENT_START, ENT_IOB, ENT_TYPE]
BEFORE_RULER = ["attribute_ruler", "lemmatizer", "ner"]

SENTENCES = [
    "Let's go. She's gonna tell 'em that it's been a long day, but they're not gonna listen.",
    '"I ain\'t got nothin\' to say," he said. Y\'all got ta come on, c\'mon! Gon na do it.',
    "There is a school and there are two hospitals; there was an attack, there were 3 (three) victims.",
    "The children, aged 12 and 14, were abducted by the group's fighters on 3 March 2024 -- UNICEF said.",
    "He had done it himself; they did not know whether she would come, although I'd have gone.",
    "We couldn't have known.   It was her book, not his, and its cover was theirs, not ours or yours.",
    "Somebody, anybody, nobody, everyone, everything, nothing, something, someone, anyone, everybody.",
    "I can, you may, it might, we must, they should, she will, he would, 'll we?  We'd, you'll.",
    "This, that, these and those are the ones that matter; which one? Whose is it? What's up?",
    "He gets what he got, doin' and goin' somethin' ol' 'nuff nuthin' for me and us and them and him.",
    "Once upon a time, well, here and then - there: $5, #1, 50% & more... uh, ok?! e.g. 1) first",
    "All but one were killed. But he left. I myself, yourself, herself, itself, ourselves, themselves.",
    "Do you have it? Does she? I am, you are, we're, I'm here and he's been there. Have you? I've.",
    "Being there, he has been seen; it does work. She had had enough. They'd gone.\n\n\n\nNext\tparagraph.",
    "It is raining. I saw it. You saw me. I gave it to you. Give it to me. Is it you?",
    "Bigger, biggest, faster, fastest, more quickly, most quickly. The U.S. and the E.U. agreed.",
    "Tell me if, because, while, since, unless, whereas, whilst, despite, though the rain; save for him.",
    "The vote was 52-48 in favour of the U.N. resolution, per AP/Reuters @ 10:30 a.m. ET on 1/2/2024.",
    "Either you do it or you don't. I did! Did he? Had he known... Has she? He does. An hour ago.",
    "Such a pity; all the children; both the girls; half the town; quite a few. Hmm... oh! Wow.",
    "  Leading spaces, a trailing one and\u00a0a non-breaking space \n",
    "",
]


@pytest.fixture(scope="module")
def original() -> Language:
    return spacy.load(MODEL_NAME)


@pytest.fixture(scope="module")
def fast() -> Language:
    nlp = spacy.load(MODEL_NAME)
    assert replace_attribute_ruler(nlp)
    return nlp


@pytest.fixture(scope="module")
def fast_ruler(original: Language) -> FastAttributeRuler:
    """The fast component on the original pipeline's vocab, to run beside spaCy's on the same Docs."""
    return FastAttributeRuler(original.vocab, original.get_pipe("attribute_ruler").patterns)  # type: ignore[attr-defined]


def token_rows(doc: Doc) -> list[tuple[Any, ...]]:
    return [(t.i, t.text, t.pos_, t.tag_, str(t.morph), t.lemma_, t.dep_, t.head.i, t.ent_type_) for t in doc]


def assert_same(expected: Doc, got: Doc) -> None:
    assert token_rows(got) == token_rows(expected)
    assert (got.to_array(ARRAY_ATTRS) == expected.to_array(ARRAY_ATTRS)).all()
    assert got.to_bytes() == expected.to_bytes()


def apply_both(original: Language, fast_ruler: FastAttributeRuler, doc: Doc) -> tuple[Doc, Doc]:
    expected, got = doc.copy(), doc.copy()
    original.get_pipe("attribute_ruler")(expected)
    fast_ruler(got)
    return expected, got


def fired_patterns(original: Language, docs: list[Doc]) -> set[int]:
    ruler = original.get_pipe("attribute_ruler")
    return {attr_id for doc in docs for attr_id, *_ in ruler.match(doc)}  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- the pipeline


def test_build_pipeline_swaps_in_the_fast_ruler_in_place(original: Language) -> None:
    nlp = build_pipeline()
    assert nlp.get_pipe_meta("attribute_ruler").factory == FACTORY
    assert isinstance(nlp.get_pipe("attribute_ruler"), FastAttributeRuler)
    names = nlp.pipe_names
    assert names.index("parser") < names.index("attribute_ruler") < names.index("lemmatizer")
    # the patterns are the model's own, read when the pipeline is built
    assert nlp.get_pipe("attribute_ruler").patterns == original.get_pipe("attribute_ruler").patterns  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", SENTENCES)
def test_whole_pipeline_identical_on_sentences(original: Language, fast: Language, text: str) -> None:
    assert_same(original(text), fast(text))


def test_identical_on_sentences_through_nlp_pipe(original: Language, fast: Language) -> None:
    for expected, got in zip(original.pipe(SENTENCES), fast.pipe(SENTENCES), strict=True):
        assert_same(expected, got)


# --------------------------------------------------------------------------- docs built from the patterns

CANDIDATE_WORDS = ["nothin'", "nuthin'", "y'", "y", "n't", "nt", "word", "Word", "WORD", "x1", "-", "the"]
SPACES = [" ", "\n", "\n\n", "\t", "  "]


def _satisfying(spec: dict[str, Any], rng: random.Random, tags: list[str], deps: list[str]) -> tuple[str, str, str]:
    """A (word, tag, dep) the token spec matches, found from the spec itself."""
    word, tag, dep = rng.choice(CANDIDATE_WORDS), rng.choice(tags), rng.choice(deps)
    for attr, value in spec.items():
        pick = value
        if isinstance(value, dict):
            if "IN" in value:
                pick = rng.choice(value["IN"])
            elif "NOT_IN" in value:
                pool = tags if attr == "TAG" else deps if attr == "DEP" else CANDIDATE_WORDS
                pick = rng.choice([v for v in pool if v not in value["NOT_IN"]])
            elif "REGEX" in value:
                pick = next(w for w in CANDIDATE_WORDS if re.search(value["REGEX"], w))
        if attr == "LOWER":
            word = rng.choice([pick, pick.upper(), pick.title()])
        elif attr == "TAG":
            tag = pick
        elif attr == "DEP":
            dep = pick
        elif attr == "IS_SPACE":
            word = rng.choice(SPACES) if value else word
    if "IS_SPACE" in spec and not spec["IS_SPACE"] and word.isspace():
        word = "word"
    return word, tag, dep


def pattern_docs(original: Language, n_random: int = 400, seed: int = 7) -> Iterator[Doc]:
    """For every pattern a doc it matches (with the neighbours and overlaps that brings), then random
    mixtures of those tokens with one field changed, so patterns overlap, compete and half-match."""
    rng = random.Random(seed)
    tags = [*original.get_pipe("tagger").labels, ""]  # type: ignore[attr-defined]
    deps = [*original.get_pipe("parser").labels, ""]  # type: ignore[attr-defined]
    pool: list[tuple[str, str, str]] = []
    for pattern in original.get_pipe("attribute_ruler").patterns:  # type: ignore[attr-defined]
        for alternative in pattern["patterns"]:
            tokens = [_satisfying(spec, rng, tags, deps) for spec in alternative]
            pool.extend(tokens)
            yield make(original, [("Then", "RB", "advmod"), *tokens, (".", ".", "punct")])
            yield make(original, tokens)
    for _ in range(n_random):
        tokens = [rng.choice(pool) for _ in range(rng.randint(1, 12))]
        for i in rng.sample(range(len(tokens)), k=max(1, len(tokens) // 3)):
            word, tag, dep = tokens[i]
            field = rng.randrange(3)
            tokens[i] = (
                rng.choice([w for w, _, _ in pool]) if field == 0 else word,
                rng.choice(tags) if field == 1 else tag,
                rng.choice(deps) if field == 2 else dep,
            )
        yield make(original, tokens)


def make(nlp: Language, tokens: list[tuple[str, str, str]]) -> Doc:
    words = [w for w, _, _ in tokens]
    return Doc(
        nlp.vocab,
        words=words,
        spaces=[False] * len(words),
        tags=[t for _, t, _ in tokens],
        deps=[d for _, _, d in tokens],
        heads=list(range(len(words))),
    )


def test_identical_on_docs_built_to_match_every_pattern(original: Language, fast_ruler: FastAttributeRuler) -> None:
    docs = list(pattern_docs(original))
    for doc in docs:
        assert_same(*apply_both(original, fast_ruler, doc))
    # every one of the model's patterns (every kind: TAG, TAG+LOWER, DEP, IS_SPACE, sequences) fired
    assert fired_patterns(original, docs) == set(range(len(original.get_pipe("attribute_ruler").patterns)))  # type: ignore[attr-defined]


def test_identical_without_tags_or_parse(original: Language, fast_ruler: FastAttributeRuler) -> None:
    for text in SENTENCES:
        assert_same(*apply_both(original, fast_ruler, original.make_doc(text)))
        tagged = original(text, disable=["parser", *BEFORE_RULER])
        assert_same(*apply_both(original, fast_ruler, tagged))


# --------------------------------------------------------------------------- precedence and index semantics

CUSTOM_PATTERNS: list[dict[str, Any]] = [
    {"patterns": [[{"IS_SENT_START": False}]], "attrs": {"LEMMA": "not-a-start"}},  # unknown (0) or -1
    {"patterns": [[{"LOWER": "a"}]], "attrs": {"LEMMA": "first"}},
    {"patterns": [[{"TAG": "DT"}]], "attrs": {"LEMMA": "second", "POS": "DET", "MORPH": "Definite=Ind"}},
    {"patterns": [[{"LOWER": "dog"}]], "attrs": {"LEMMA": "canine", "POS": "PROPN"}},
    {"patterns": [[{"LOWER": "big"}, {"LOWER": "dog"}]], "attrs": {"LEMMA": "hound"}, "index": -1},
    {"patterns": [[{"ORTH": "dog"}]], "attrs": {"POS": "NOUN"}},
    {"patterns": [[{"LOWER": "x"}, {"LOWER": "x"}]], "attrs": {"LEMMA": "second-x", "TAG": "XX"}, "index": 1},
    {"patterns": [[{"LOWER": "x"}, {}, {"TEXT": {"IN": ["x", "y"]}}]], "attrs": {"MORPH": "Foo=Bar"}, "index": -2},
    {"patterns": [[{"LOWER": "the"}], [{"LOWER": "an"}]], "attrs": {"POS": "DET", "MORPH": "_"}},
    {"patterns": [[{"TAG": {"NOT_IN": ["DT", ""]}, "LOWER": {"REGEX": "^[a-c]"}}]], "attrs": {"DEP": "dep"}},
    {"patterns": [[{"LOWER": {"REGEX": "o"}}, {"LOWER": {"REGEX": "^d"}}]], "attrs": {"LEMMA": "o-d"}},
    {"patterns": [[{"IS_PUNCT": True}]], "attrs": {"POS": "PUNCT"}},
    {"patterns": [[{"LENGTH": 3, "IS_ALPHA": True}]], "attrs": {"MORPH": "Len=3"}},
    {"patterns": [[{"IS_SENT_START": True}]], "attrs": {"MORPH": "Start=Yes"}},
    {"patterns": [[{"MORPH": {"IN": ["Definite=Ind"]}}]], "attrs": {"LEMMA": "never: matching sees no MORPH"}},
    {"patterns": [[{"SHAPE": "dd"}]], "attrs": {"POS": "NUM", "LEMMA": "##"}},
    {"patterns": [[{"TAG": "NN"}]], "attrs": {"TAG": "NNS"}},
    {"patterns": [[{"TAG": "NNS"}]], "attrs": {"POS": "NOUN"}},  # sees the tag before the rule above
]


def custom_rulers(patterns: list[dict[str, Any]]) -> tuple[Language, FastAttributeRuler]:
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    return nlp, FastAttributeRuler(nlp.vocab, ruler.patterns)  # type: ignore[attr-defined]


def test_precedence_index_and_predicates_match_spacy() -> None:
    nlp, fast_ruler = custom_rulers(CUSTOM_PATTERNS)
    texts = [
        ("a big dog and a dog", ["DT", "JJ", "NN", "CC", "DT", "NN"]),
        ("x x x y x x", ["NN", "NN", "NNS", "NN", "DT", "NN"]),
        ("An old dog , the 12 cats ! a", ["DT", "JJ", "NN", ",", "DT", "CD", "NNS", ".", "DT"]),
        ("bad cod Odd dodo ado", ["JJ", "", "NN", "NNS", "DT"]),
    ]
    for text, tags in texts:
        doc = nlp.make_doc(text)
        for token, tag in zip(doc, tags, strict=True):
            token.tag_ = tag
        doc[0].is_sent_start = True
        doc[1].is_sent_start = False
        expected, got = doc.copy(), doc.copy()
        nlp.get_pipe("attribute_ruler")(expected)
        fast_ruler(got)
        assert_same(expected, got)


def test_later_patterns_win_and_sequences_set_the_indexed_token() -> None:
    nlp, fast_ruler = custom_rulers(CUSTOM_PATTERNS)
    doc = nlp.make_doc("a big dog")
    doc[0].tag_ = "DT"
    fast_ruler(doc)
    assert doc[0].lemma_ == "second"  # pattern 1 beats pattern 0
    assert doc[2].lemma_ == "hound"  # the two-token pattern, index -1, beats the earlier "dog" rule
    assert doc[2].pos_ == "NOUN"  # ... and the later ORTH rule beats both for POS


def test_out_of_range_index_fails_like_spacy() -> None:
    nlp, fast_ruler = custom_rulers([{"patterns": [[{"LOWER": "a"}, {"LOWER": "b"}]], "attrs": {"LEMMA": "z"}, "index": 2}])
    fast_ruler(nlp.make_doc("b a"))  # no match: no error
    for component in (nlp.get_pipe("attribute_ruler"), fast_ruler):
        with pytest.raises(ValueError, match="E1001"):
            component(nlp.make_doc("x a b"))


@pytest.mark.parametrize(
    "pattern",
    [
        {"patterns": [[{"LOWER": "a", "OP": "?"}]], "attrs": {"LEMMA": "z"}},
        {"patterns": [[{"LENGTH": {">=": 2}}]], "attrs": {"LEMMA": "z"}},
        {"patterns": [[{"LOWER": {"FUZZY": "abc"}}]], "attrs": {"LEMMA": "z"}},
        {"patterns": [[{"_": {"flag": True}}]], "attrs": {"LEMMA": "z"}},
        {"patterns": [[{"LOWER": "a"}]], "attrs": {"NORM": "z"}},
    ],
)
def test_unsupported_patterns_keep_spacys_ruler(pattern: dict[str, Any]) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("attribute_ruler").add_patterns([pattern])  # type: ignore[attr-defined]
    with pytest.raises(UnsupportedPattern):
        FastAttributeRuler(nlp.vocab, [pattern])
    with pytest.warns(RuntimeWarning, match="keeping spaCy's attribute_ruler"):
        assert not replace_attribute_ruler(nlp)
    assert nlp.get_pipe_meta("attribute_ruler").factory == "attribute_ruler"


# --------------------------------------------------------------------------- the real corpus


def corpus_texts(n: int) -> list[str]:
    """``n`` articles spread evenly over the corpus, streamed."""
    path = CORPUS / "articles.jsonl"
    with path.open(encoding="utf-8") as lines:
        total = sum(1 for line in lines if line.strip())
    step = max(1, total // n)
    texts = []
    with path.open(encoding="utf-8") as lines:
        for index, line in enumerate(line for line in lines if line.strip()):
            if index % step == 0 and len(texts) < n:
                texts.append(json.loads(line)["text"])
    return texts


@pytest.mark.slow
def test_identical_on_120_corpus_articles(original: Language, fast_ruler: FastAttributeRuler) -> None:
    if not (CORPUS / "articles.jsonl").is_file():
        pytest.skip("../shared/corpus is absent")
    # 120 articles (~40 s): the docs built from every pattern above cover each rule; this is real text
    texts = corpus_texts(120)
    tokens = differing = 0
    for doc in original.pipe(texts, disable=BEFORE_RULER):
        expected, got = apply_both(original, fast_ruler, doc)
        for name in ("lemmatizer", "ner"):  # the rest of the pipeline sees the same input
            original.get_pipe(name)(expected)
            original.get_pipe(name)(got)
        tokens += len(doc)
        differing += int((expected.to_array(ARRAY_ATTRS) != got.to_array(ARRAY_ATTRS)).any(axis=1).sum())
        assert got.to_bytes() == expected.to_bytes()
    assert len(texts) == 120 and tokens > 40_000
    assert differing == 0
