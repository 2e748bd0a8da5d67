"""Near-duplicate detection: properties (hypothesis), unit tests on sentences written for these tests,
and the real corpus (``../shared/corpus/articles.jsonl``, read in place; skipped when absent).

The corpus expectations are what was measured (see ``benchmarks/near_duplicates.py``), including the
pairs deliberately *not* grouped.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caacwatch.link import near_duplicates as nd

CORPUS_ARTICLES = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "articles.jsonl"

# --- texts written for these tests ------------------------------------------------------------------

STORY = """Shelling hits school sheltering families in Varenko

Shelling hit a primary school in the town of Varenko on Tuesday morning, killing four children and
wounding eleven others, the regional health office said. The school was being used as a shelter by about
three hundred displaced families when the first shell struck the eastern wing shortly after eight o'clock.
Teachers said the pupils had gathered in the courtyard for morning assembly.

A spokesman for the regional administration blamed the Northern Front militia, which has been fighting
government forces for control of the district since March. The militia did not respond to a request for
comment. Aid workers at the scene described collapsed classrooms and blood on the stairwell.

The district hospital, already short of surgeons and anaesthetics, appealed for blood donations. The
United Nations children's agency said attacks on schools were grave violations and called for an
independent investigation. Local officials said it was the third attack on a school in the district this year.
"""

# The same story re-saved two hours later: new figures, a new headline, a paragraph added.
RESAVE = (
    STORY.replace("Shelling hits school sheltering families in Varenko", "Six children killed as shelling hits Varenko school")
    .replace("killing four children and\nwounding eleven others", "killing six children and\nwounding fourteen others")
    + """
Two of the wounded children died overnight in the district hospital, a doctor there said. Families
spent the night searching the rubble for belongings, and the regional governor declared three days of mourning.
"""
)

# A different strike the same day, on the same topic, ending with the same stock paragraph.
OTHER_STRIKE = """Drone strike damages clinic in Osterby

A drone strike damaged a maternity clinic in the village of Osterby late on Tuesday, wounding two nurses
and a pregnant woman, according to the village council. The council said the drone came from the south
and hit the roof of the clinic's generator room, cutting power to the delivery ward for several hours.
Patients were moved to a school gym across the road while engineers repaired the wiring.

The Northern Front militia denied any involvement and accused government forces of staging the attack.
A government spokesman rejected the accusation and said the militia had used drones in the area before.

The district hospital, already short of surgeons and anaesthetics, appealed for blood donations. The
United Nations children's agency said attacks on schools were grave violations and called for an
independent investigation. Local officials said it was the third attack on a school in the district this year.
"""

BRIEFING_BOILERPLATE = """The humanitarian coordinator reminds all parties of their obligations under international
humanitarian law, including the protection of civilians and civilian infrastructure. Humanitarian partners
continue to deliver assistance where access allows. This update is produced with the support of the cluster
coordinators and covers the period since the previous update."""

BRIEFING_MONDAY = f"""Situation update, Monday

Fighting continued along the northern road, where two bridges were damaged overnight. Partners report
that about four thousand people left the villages of Kessa and Lorn for the regional capital, most of them
women and children. Three mobile health teams were deployed to the transit site, and water trucking
resumed after a two-day pause caused by insecurity.

{BRIEFING_BOILERPLATE}
"""

BRIEFING_TUESDAY = f"""Situation update, Tuesday

A convoy of twelve trucks carrying food and hygiene kits reached the eastern districts for the first time in
a month. Schools in the regional capital reopened for children displaced from the north, with classes held
in two shifts. Partners warn that stocks of vaccines will run out by the end of the month unless the airport
reopens to cargo flights.

{BRIEFING_BOILERPLATE}
"""

# The story retold by a rewriting machine: the same facts, other words.
REWRITE = """Four children were killed and eleven hurt on Tuesday when shells struck a primary school in Varenko,
according to regional health officials. Around three hundred displaced families had been sheltering in the
building. The first round landed on the eastern side a little after 8am, while pupils were lined up outside
for assembly. Regional authorities pointed the finger at the Northern Front militia, a group battling the
army for the district since March; it gave no comment. Rescuers spoke of flattened classrooms. The local
hospital, lacking surgeons and anaesthetic drugs, asked residents to give blood, and UNICEF demanded an
independent inquiry, calling attacks on schools grave violations. It was the district's third school attack this year.
"""

PROMO = """Readers can send us their photographs of the week for our weekly gallery. Please submit your best
pictures by Sunday evening and visit the gallery page on Wednesday for a new selection of the best shots from
readers across the country."""

SHORT = "Four children were killed when shelling hit a school in Varenko on Tuesday, officials said."


# --- properties ------------------------------------------------------------------------------------

_SYLLABLES = ["ka", "lo", "mi", "ren", "sa", "tu", "vo", "zel", "an", "dor", "e", "fi", "gu", "ho", "ist", "ju"]
_VOCABULARY = [a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in ("", "n", "s", "ta")]


def _words(min_size: int, max_size: int) -> st.SearchStrategy[list[str]]:
    """Distinct words (so that shingles are distinct: a text of one word repeated has one shingle)."""
    return st.lists(st.sampled_from(_VOCABULARY), min_size=min_size, max_size=max_size, unique=True)


def _prose(words: list[str]) -> str:
    """Words as sentences of up to nine words, capitalised and punctuated, in paragraphs."""
    sentences = [" ".join(words[i : i + 9]).capitalize() + "." for i in range(0, len(words), 9)]
    return "\n\n".join(" ".join(sentences[i : i + 4]) for i in range(0, len(sentences), 4))


texts = _words(nd.MIN_WORDS, 300).map(_prose)
# Lead-ins and added paragraphs are only guaranteed to be caught for texts long enough for containment to
# decide (CONTAINMENT_MIN_WORDS): a 30-word text with a 10-word lead-in is a third new.
long_bodies = _words(nd.CONTAINMENT_MIN_WORDS, 300).map(_prose)
titles = _words(3, 12).map(lambda w: " ".join(w).capitalize())
lead_ins = st.sampled_from(
    ["Here's what you need to know:", "Let's dive into the details:", "Experts revealed that", "Breaking news tonight."]
)
prefixes = st.sampled_from(["Breaking:", "Latest:", "Big News:", "WATCH -"])


@given(texts)
def test_a_text_is_a_near_duplicate_of_itself(text):
    sim = nd.similarity(text, text)
    assert sim.jaccard == 1.0 and sim.containment == 1.0
    assert nd.is_near_duplicate(sim)


@given(titles, long_bodies, lead_ins, prefixes)
def test_a_copy_with_a_lead_in_and_a_title_prefix_is_a_near_duplicate(title, body, lead_in, prefix):
    original = f"{title}\n\n{body}"
    copy = f"{prefix} {title}\n\n{lead_in} {body}"
    sim = nd.similarity(original, copy)
    assert sim.containment >= 0.95
    assert nd.is_near_duplicate(sim), nd.reason(sim)


@given(long_bodies, _words(1, 400).map(_prose))
def test_a_text_with_a_paragraph_appended_is_a_near_duplicate(body, paragraph):
    sim = nd.similarity(body, f"{body}\n\n{paragraph}")
    assert sim.containment == 1.0
    assert nd.is_near_duplicate(sim), nd.reason(sim)


@given(st.text(max_size=400) | texts)
def test_signatures_round_trip_through_bytes(text):
    sig = nd.signature(text)
    data = sig.to_bytes()
    assert len(data) == 5 + 4 * nd.NUM_PERM
    assert nd.Signature.from_bytes(data) == sig
    assert nd.Signature.from_bytes(memoryview(data)) == sig  # as a PostgreSQL driver returns a BinaryField


@given(texts)
def test_band_keys_fit_signed_64_bits_and_are_deterministic(text):
    keys = nd.band_keys(nd.signature(text))
    assert [band for band, _ in keys] == list(range(nd.BANDS))
    assert all(-(2**63) <= key < 2**63 for _, key in keys)
    assert keys == nd.band_keys(nd.signature(text))
    assert keys == nd.band_keys(nd.Signature.from_bytes(nd.signature(text).to_bytes()))


@given(texts, texts)
def test_similarity_is_symmetric(a, b):
    ab, ba = nd.similarity(a, b), nd.similarity(b, a)
    assert (ab.jaccard, ab.containment, ab.shared) == (ba.jaccard, ba.containment, ba.shared)
    assert nd.is_near_duplicate(ab) == nd.is_near_duplicate(ba)


@settings(max_examples=50)
@given(st.text(max_size=200))
def test_shingles_are_unsigned_64_bit_integers(text):
    assert all(0 <= h < 2**64 for h in nd.shingles(text))


# --- normalisation, shingles, stability ------------------------------------------------------------


def test_normalise_folds_case_width_punctuation_links_and_spaces():
    text = "Here’s what you NEED to know —\n see https://example.org/a?b=1, www.example.org or desk@example.org: Ｆｕｌｌ ﬁne"
    assert nd.normalise(text) == "here s what you need to know see or full fine"
    assert nd.normalise("Here's  what\tyou need") == nd.normalise("HERE’S what you need!")


def test_shingles_are_word_five_grams_of_the_normalised_text():
    assert len(nd.shingles("one two three four five")) == 1
    assert len(nd.shingles("one two three four five six")) == 2
    assert nd.shingles("One two, three FOUR five.") == nd.shingles("one two three four five")
    assert nd.shingles("") == set()


def test_hashes_are_pinned():
    """Stored signatures and band keys depend on these values: if this fails, the scheme changed, so
    bump METHOD_VERSION and re-sign stored documents."""
    assert nd.shingles("One two, three FOUR five.") == {16668804351399435582}
    text = " ".join(f"word{i}" for i in range(40))
    assert nd.band_keys(nd.signature(text))[:2] == [(0, -6499944745963270016), (1, -3248625867924098025)]


def test_shingles_and_band_keys_are_the_same_in_another_process():
    code = (
        "from caacwatch.link import near_duplicates as nd; import sys; t = sys.stdin.read(); "
        "print(sorted(nd.shingles(t))[:5], nd.band_keys(nd.signature(t))[:5])"
    )
    here = f"{sorted(nd.shingles(STORY))[:5]} {nd.band_keys(nd.signature(STORY))[:5]}"
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], input=STORY, capture_output=True, text=True, env=env, check=True
        )
        assert out.stdout.strip() == here


def test_signature_from_bytes_rejects_other_lengths_and_formats():
    data = nd.signature(STORY).to_bytes()
    with pytest.raises(ValueError, match="bytes"):
        nd.Signature.from_bytes(data[:-4])
    with pytest.raises(ValueError, match="format"):
        nd.Signature.from_bytes(b"\x09" + data[1:])


def test_signature_estimates_jaccard():
    a, b = nd.signature(STORY), nd.signature(RESAVE)
    exact = nd.similarity(STORY, RESAVE).jaccard
    assert abs(a.estimate_jaccard(b) - exact) < 0.15
    assert a.estimate_jaccard(a) == 1.0


# --- decisions on texts written for these tests --------------------------------------------------


def test_a_resave_with_new_figures_a_new_headline_and_a_paragraph_is_a_near_duplicate():
    sim = nd.similarity(STORY, RESAVE)
    assert nd.is_near_duplicate(sim)
    assert sim.containment > 0.85


def test_another_strike_the_same_day_with_the_same_stock_paragraph_is_not():
    sim = nd.similarity(STORY, OTHER_STRIKE)
    assert sim.shared > 0  # the stock paragraph
    assert not nd.is_near_duplicate(sim), nd.reason(sim)


def test_two_briefings_with_the_same_boilerplate_are_not():
    sim = nd.similarity(BRIEFING_MONDAY, BRIEFING_TUESDAY)
    assert sim.containment > 0.3
    assert not nd.is_near_duplicate(sim), nd.reason(sim)


def test_a_machine_rewrite_is_not_a_near_duplicate_of_its_original():
    sim = nd.similarity(STORY, REWRITE)
    assert sim.jaccard < 0.1
    assert not nd.is_near_duplicate(sim)


def test_a_short_page_of_boilerplate_is_not_contained_in_every_article_carrying_it():
    page = f"Watch: a day at the harbour\n\n{PROMO}"
    article = f"{STORY}\n\n{PROMO}"
    sim = nd.similarity(page, article)
    assert sim.containment >= nd.CONTAINMENT_THRESHOLD  # almost all of the page is the promo
    assert sim.words[0] < nd.CONTAINMENT_MIN_WORDS
    assert not nd.is_near_duplicate(sim)


def test_the_first_short_version_of_a_story_is_contained_in_its_update():
    first = RESAVE.split("The district hospital")[0]  # two paragraphs, as first published
    assert len(nd.normalise(first).split()) >= nd.CONTAINMENT_MIN_WORDS
    sim = nd.similarity(first, RESAVE)
    assert sim.jaccard < nd.JACCARD_THRESHOLD and sim.containment == 1.0
    assert nd.is_near_duplicate(sim)
    assert nd.reason(sim)["method"] == "near_duplicates.containment/1"
    # A one-paragraph first version (72 words) is below CONTAINMENT_MIN_WORDS: not grouped, by design.
    flash = RESAVE.split("A spokesman")[0]
    assert not nd.is_near_duplicate(nd.similarity(flash, RESAVE))


def test_texts_under_min_words_are_never_near_duplicates_and_get_no_band_keys():
    assert len(nd.normalise(SHORT).split()) < nd.MIN_WORDS
    sim = nd.similarity(SHORT, SHORT)
    assert sim.jaccard == 1.0
    assert not nd.is_near_duplicate(sim)
    assert "fewer than" in nd.reason(sim)["why"]
    assert nd.band_keys(nd.signature(SHORT)) == []
    assert nd.band_keys(nd.signature("")) == []


def test_reason_is_small_json_and_leaves_rule_to_the_store():
    reason = nd.reason(nd.similarity(STORY, RESAVE))
    assert set(reason) == {"method", "jaccard", "containment", "shared_shingles", "words", "why"}
    assert "rule" not in reason
    assert json.loads(json.dumps(reason)) == reason
    assert nd.reason(nd.similarity(STORY, OTHER_STRIKE))["method"] == "near_duplicates.none/1"


def test_published_window():
    day = datetime(2024, 7, 27, 12, 0)
    assert nd.within_published_window(day, None) and nd.within_published_window(None, None)
    assert nd.within_published_window(day, day + nd.MAX_PUBLISHED_GAP)
    assert not nd.within_published_window(day, day + nd.MAX_PUBLISHED_GAP + timedelta(seconds=1))
    aware = datetime(2024, 7, 27, 14, 0, tzinfo=timezone(timedelta(hours=2)))  # 12:00 UTC
    assert nd.within_published_window(day, aware)


# --- the in-memory index ---------------------------------------------------------------------------


def test_index_groups_copies_under_the_first_seen_document():
    index = nd.NearDuplicateIndex()
    assert index.add("story", STORY) is None
    assert index.add("other", OTHER_STRIKE) is None
    match = index.add("resave", RESAVE)
    assert match is not None and (match.canonical_id, match.matched_id) == ("story", "story")
    assert match.reason["method"].startswith("near_duplicates.")
    copy = index.add("copy-of-resave", "Breaking: " + RESAVE.replace("Two of the", "Here's what you need to know: Two of the"))
    assert copy is not None and copy.canonical_id == "story"
    assert copy.matched_id == "resave"  # closer to the re-save than to the first version
    assert index.groups() == {"story": ["story", "resave", "copy-of-resave"]}
    assert index.canonical_of("other") == "other"
    assert len(index) == 4 and "resave" in index


def test_index_refuses_a_document_twice():
    index = nd.NearDuplicateIndex()
    index.add("a", STORY)
    with pytest.raises(ValueError, match="already"):
        index.add("a", STORY)


def test_index_of_canonical_documents_only_still_points_copies_at_the_canonical():
    index = nd.NearDuplicateIndex(match_copies=False)
    index.add("story", STORY)
    index.add("resave", RESAVE)
    match = index.add("again", RESAVE)
    assert match is not None and match.matched_id == "story" and match.canonical_id == "story"


def test_index_applies_the_publication_window():
    index = nd.NearDuplicateIndex()
    day = datetime(2024, 7, 1, tzinfo=UTC)
    index.add("last-year", STORY, published=day - timedelta(days=365))
    assert index.add("this-year", STORY, published=day) is None
    assert index.add("next-day", STORY, published=day + timedelta(days=1)).canonical_id == "this-year"


def test_index_does_not_group_short_texts():
    index = nd.NearDuplicateIndex()
    index.add("a", SHORT)
    assert index.add("b", SHORT) is None


# --- the real corpus -------------------------------------------------------------------------------

SCHOOL_STRIKE = ["latest_01867", "latest_01868", "latest_02008", "latest_02136"]
GOLAN = ["latest_01865", "latest_01887", "latest_01888", "latest_02023", "latest_02024", "latest_02155", "latest_02306"]
GOLAN_FOLLOW_UP = ["latest_02056", "latest_02195"]
_LEAD_IN = re.compile(r"^(?:Here[’']s what you need to know:|Let[’']s dive into the details:|Experts revealed that)\s*")
_TITLE_PREFIX = re.compile(r"^(?:Breaking|Latest|Big News):\s*")


@pytest.fixture(scope="module")
def corpus():
    """The articles these tests use, by id, streamed out of the shared corpus (never copied)."""
    if not CORPUS_ARTICLES.is_file():
        pytest.skip("../shared/corpus/articles.jsonl is not beside the repository")
    wanted = set(SCHOOL_STRIKE + GOLAN + GOLAN_FOLLOW_UP)
    found = {}
    with CORPUS_ARTICLES.open(encoding="utf-8") as lines:
        for line in lines:
            head = line[:200]
            if '"badely-bbc-copies-2025"' in head or any(f'"{i}"' in head for i in wanted):
                row = json.loads(line)
                found[row["id"]] = row
    return found


def _stream(corpus, ids):
    """Index the documents in publication order, with their dates; return the index."""
    index = nd.NearDuplicateIndex()
    for doc_id in sorted(ids, key=lambda i: corpus[i]["published"]):
        index.add(doc_id, corpus[doc_id]["text"], datetime.fromisoformat(corpus[doc_id]["published"]))
    return index


def test_corpus_school_strike_resaves_and_their_earlier_version_are_one_group(corpus):
    """01868, 02008 and 02136 are identical re-saves; 01867 (14:35, 'according to the Palestinian
    Ministry of Health') is an earlier version: Jaccard 0.67 with 01868, so it is grouped, first seen."""
    index = _stream(corpus, SCHOOL_STRIKE)
    assert index.groups() == {"latest_01867": SCHOOL_STRIKE}
    assert nd.similarity(corpus["latest_01868"]["text"], corpus["latest_02136"]["text"]).jaccard == 1.0
    early = nd.similarity(corpus["latest_01867"]["text"], corpus["latest_01868"]["text"])
    assert 0.6 <= early.jaccard < 0.7 and nd.is_near_duplicate(early)


def test_corpus_golan_resaves_group_and_rewritten_versions_stay_apart_as_measured(corpus):
    """02024, 02155, 02306 are identical re-saves; 01887 (11 dead), 01888 and 02023 (12 dead) are one
    earlier version re-saved with new figures (Jaccard 0.69-0.86). Between the two versions the intro was
    rewritten: 01888 vs 02024 Jaccard 0.51, containment 0.68, under the thresholds, so they are two
    groups. 01865 (10 dead, 877 words) vs 01887: Jaccard 0.43, containment 0.79: alone."""
    index = _stream(corpus, GOLAN)
    assert index.groups() == {
        "latest_01887": ["latest_01887", "latest_01888", "latest_02023"],
        "latest_02024": ["latest_02024", "latest_02155", "latest_02306"],
    }
    assert index.canonical_of("latest_01865") == "latest_01865"
    between = nd.similarity(corpus["latest_01888"]["text"], corpus["latest_02024"]["text"])
    assert 0.45 < between.jaccard < nd.JACCARD_THRESHOLD and between.containment < nd.CONTAINMENT_THRESHOLD


def test_corpus_different_stories_the_same_day_are_not_grouped(corpus):
    """The school strike and the Golan strike (both 27 July); the Golan strike and its follow-up."""
    for a, b in [("latest_01868", "latest_01888"), ("latest_01867", "latest_01865"), ("latest_02024", "latest_02056")]:
        sim = nd.similarity(corpus[a]["text"], corpus[b]["text"])
        assert sim.jaccard < 0.1 and not nd.is_near_duplicate(sim), (a, b, nd.reason(sim))
    index = _stream(corpus, SCHOOL_STRIKE + GOLAN + GOLAN_FOLLOW_UP)
    canonicals = {index.canonical_of(i) for i in SCHOOL_STRIKE}, {index.canonical_of(i) for i in GOLAN}
    assert canonicals[0].isdisjoint(canonicals[1])
    assert index.canonical_of("latest_02195") == "latest_02056"


def test_corpus_bbc_copies_with_lead_ins_match_the_text_without_them(corpus):
    """The four badely copies insert a lead-in before BBC's first sentence (their originals are not in the
    corpus: no article of another source shares 20% of any copy's shingles). Removing the lead-in gives
    the BBC text back, which must be a near-duplicate of the copy; the two copies about the same Nigerian
    abduction are different stories and are not."""
    copies = {k: v for k, v in corpus.items() if v["source"] == "badely-bbc-copies-2025"}
    assert len(copies) == 4
    for row in copies.values():
        assert _LEAD_IN.match(row["text"]) and _TITLE_PREFIX.match(row["title"])
        original = _TITLE_PREFIX.sub("", row["title"]) + "\n\n" + _LEAD_IN.sub("", row["text"])
        copy = row["title"] + "\n\n" + row["text"]
        sim = nd.similarity(original, copy)
        assert sim.containment >= 0.98 and nd.is_near_duplicate(sim), nd.reason(sim)
    index = nd.NearDuplicateIndex()
    for doc_id in sorted(copies):
        assert index.add(doc_id, copies[doc_id]["text"]) is None
