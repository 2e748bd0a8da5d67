"""Near-duplicate documents: syndicated copies and re-saves of one story, grouped under the first seen.

A news stream carries the same story many times: syndicated copies, re-saves of a live story as the
toll rises (a changed headline, a figure, a paragraph added), copies with an inserted lead-in
("Here's what you need to know:") and a clickbait title prefix ("Breaking:"). Counting each as a
separate report would multiply one source into many, so the linking stage groups them under a
canonical document. Distinct stories on the same topic, or documents built from one template, must
stay apart.

The pieces, each usable on its own (the database loader reimplements the index lookup in SQL):

1. :func:`shingle_set` / :func:`shingles` - the text, normalised, as a set of hashed word 5-grams;
2. :func:`signature` - a MinHash of that set (:class:`Signature`, 517 bytes with :meth:`Signature.to_bytes`);
3. :func:`band_keys` - LSH band keys of the signature: documents sharing a key are *candidates*
   (a table indexed on the key finds them);
4. :func:`similarity` - the exact Jaccard and containment of two texts' shingle sets, which
   :func:`is_near_duplicate` decides on and :func:`reason` explains (stored with every merge);
5. :func:`within_published_window` - an optional guard on publication dates;
6. :class:`NearDuplicateIndex` - all of it in memory, for tests and the benchmark.

A store uses them so: keep ``signature(text).to_bytes()`` and the ``band_keys`` of each canonical
document; for a new document, fetch the documents sharing a key, keep those for which
``is_near_duplicate(similarity(new, old))`` (and ``within_published_window``) holds, and record
``reason(...)`` with the merge. Short texts: under :data:`MIN_WORDS` normalised words a text is never a
near-duplicate by shingles and has no band keys.

Every threshold is a module constant with how it was chosen: by measuring the pairs of the shared
corpus (``../shared/corpus/articles.jsonl``, 17,864 articles); ``benchmarks/near_duplicates.py``
repeats the measurement.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
from datasketch import MinHash

# --- parameters -----------------------------------------------------------------------------------

SHINGLE_WORDS = 5
"""Words per shingle. On all corpus pairs sharing any text, 3-grams put 6,500 unrelated pairs at
Jaccard 0.05-0.2 (common phrases), 5-grams 2,400, while the pairs above 0.9 barely change (2,751 vs
2,724): 5-grams separate unrelated texts better at no cost for copies. A one-word edit changes five
shingles, so a re-save with a new figure stays high (Golan strike, 11 -> 12 dead: Jaccard 0.79)."""

MIN_WORDS = 25
"""Texts shorter than this (normalised words) are never near-duplicates by shingles: twenty-odd
shingles cannot tell a re-save from a one-line template (the White House's 'To view the letter from
the Physician to the President, visit: <link>' notices differ only in a link). Such texts get no band
keys either; group them by exact text hash or URL instead."""

JACCARD_THRESHOLD = 0.6
"""Jaccard of the shingle sets at or above which two texts are near-duplicates. Measured on the 3,127
corpus pairs at 0.6 or more: the news pairs are one story (re-saves, copies, a BBC page and its update),
the exceptions are templates - White House emergency declarations for California, New Jersey and New
York within two days (0.64-0.75), and 55-word pages that are a title plus one stock paragraph (0.73-0.78).
Pairs at 0.5-0.6 are mostly re-saves that grew (Golan strike 01888 vs 02024: 0.51) but also templated
letters sent the same day (0.51) and disaster declarations a week apart (0.52-0.54), hence 0.6."""

CONTAINMENT_THRESHOLD = 0.85
"""Share of the smaller text's shingles found in the larger one, at or above which the smaller is a
near-duplicate (a copy with a lead-in, a re-save with paragraphs added) whatever the Jaccard. Of the 59
corpus pairs at 0.85 or more with a Jaccard under 0.6, 52 are one story growing (a 103-word first version
inside its 341-word update: 1.00, Jaccard 0.30); the others are six pairs of 55-word boilerplate pages
(see :data:`CONTAINMENT_MIN_WORDS`) and an internship notice re-issued two years later (see
:data:`MAX_PUBLISHED_GAP`). Below 0.85 distinct documents sharing a template or background appear
(national-emergency letters: 0.79; Child Soldiers Prevention Act memoranda of two years: 0.82)."""

CONTAINMENT_MIN_WORDS = 80
"""Containment alone decides only when the smaller text has at least this many words: a 56-word page
that is a title plus a stock promotional paragraph is 87% 'contained' in every article carrying that
paragraph. The shortest true containment pair measured had 103 words."""

MAX_PUBLISHED_GAP = timedelta(days=7)
"""Two documents published further apart than this are not grouped (when both dates are known).
Re-saves and syndicated copies follow within days, and a story re-saved for weeks is chained through
its intermediate versions; recurring templated documents are months or a year apart and share up to
91% of their shingles (Child Soldiers Prevention Act determinations 2023 and 2024: Jaccard 0.73;
national-emergency letters of two years: 0.91). The text alone cannot tell those apart. On the corpus
the guard keeps six White House template groups apart and splits two CNN stories re-saved 8-12 days
apart with no version in between (1,978 documents grouped instead of 1,986)."""

NUM_PERM = 128
"""MinHash permutations. The signature only finds candidates (every decision is verified exactly), so
its accuracy matters only through the band scheme's recall; 128 gives 64 bands of 2 rows."""

BANDS = 64
ROWS = 2
"""LSH banding: 64 bands of 2 rows. A pair becomes a candidate with probability 1-(1-J^2)^64: 0.93 at
Jaccard 0.2, 0.99 at 0.25, so pairs decided by containment (Jaccard down to 0.28 when the smaller text
is a third of the larger) are still found; an unrelated pair (Jaccard < 0.01) becomes a candidate with
probability < 0.007. Measured on the corpus: all 3,180 pairs that :func:`is_near_duplicate` accepts
share a band key (32 bands of 4 rows: 3,163; 42 of 3: 3,174), for 0.32 exact verifications per document
(``benchmarks/near_duplicates.py --recall``)."""

MINHASH_SEED = 20240727
SIGNATURE_FORMAT = 1
"""Version byte of :meth:`Signature.to_bytes`. Stored signatures and band keys depend on every
parameter above; change one and the store must be re-signed, so bump :data:`METHOD_VERSION`."""

METHOD_VERSION = 1
PARAMETERS = f"shingles{SHINGLE_WORDS}-minhash{NUM_PERM}-lsh{BANDS}x{ROWS}-seed{MINHASH_SEED}/{METHOD_VERSION}"
"""One string naming the scheme, for a store to record beside its signatures and band keys."""

_HEADER = struct.Struct("<BI")  # format version, word count
_BAND = struct.Struct("<H")
# The e-mail branch starts only where a run of address characters starts: unanchored, it was retried at
# every position of a long run of word characters (quadratic: 500 KB without spaces took 10 minutes).
_URL = re.compile(r"(?:https?://|www\.)\S+|(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")
_LOW32 = np.uint64(0xFFFFFFFF)


# --- text -> shingles ----------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Casefolded NFKC text without links, punctuation or symbols, single-spaced.

    Curly and straight quotes, dashes, markdown and line breaks all vanish, so a copy that only
    re-typesets the text is identical. Links go first: a URL splits into a dozen 'words' that would
    make a one-line notice look long and two notices linking one site look alike.
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _URL.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", text).split())


def _hash64(gram: str) -> int:
    """A stable unsigned 64-bit hash (blake2b): the same in every process, unlike ``hash()``."""
    return int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass(frozen=True, eq=False)
class ShingleSet:
    """A text's shingles as a sorted array of unique uint64 hashes, and its normalised word count."""

    hashes: np.ndarray
    words: int

    def __len__(self) -> int:
        return int(self.hashes.size)


def shingle_set(text: str) -> ShingleSet:
    """Hash the word :data:`SHINGLE_WORDS`-grams of the normalised text (the whole text if shorter)."""
    words = normalise(text).split()
    n = SHINGLE_WORDS
    grams = {" ".join(words[i : i + n]) for i in range(max(1, len(words) - n + 1))} if words else set()
    hashes = np.fromiter((_hash64(g) for g in grams), dtype=np.uint64, count=len(grams))
    hashes.sort()
    return ShingleSet(hashes=hashes, words=len(words))


def shingles(text: str) -> set[int]:
    """The text's shingles as stable 64-bit integers (see :func:`shingle_set` for the array form)."""
    return set(shingle_set(text).hashes.tolist())


# --- MinHash signatures and LSH band keys --------------------------------------------------------


@cache
def _prototype() -> MinHash:
    """An empty MinHash with the fixed permutations; copies share them instead of regenerating."""
    return MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, hashfunc=int, scheme="affine32")


@dataclass(frozen=True, eq=False)
class Signature:
    """The MinHash of a text's shingles (``NUM_PERM`` uint32 values) and the text's word count.

    The word count travels with it so that :func:`band_keys` can refuse texts too short to match.
    """

    hashvalues: np.ndarray
    words: int

    def to_bytes(self) -> bytes:
        """Version byte, word count (uint32), then the values as little-endian uint32: 517 bytes."""
        words = min(self.words, 0xFFFFFFFF)
        return _HEADER.pack(SIGNATURE_FORMAT, words) + self.hashvalues.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Signature:
        """Read :meth:`to_bytes` output (a database driver may hand back a ``memoryview``)."""
        raw = bytes(data)
        if len(raw) != _HEADER.size + 4 * NUM_PERM:
            raise ValueError(f"a signature is {_HEADER.size + 4 * NUM_PERM} bytes, got {len(raw)}")
        version, words = _HEADER.unpack_from(raw)
        if version != SIGNATURE_FORMAT:
            raise ValueError(f"signature format {version} is not {SIGNATURE_FORMAT}: re-sign the documents")
        values = np.frombuffer(raw, dtype="<u4", offset=_HEADER.size).astype(np.uint32)
        return cls(hashvalues=values, words=words)

    def estimate_jaccard(self, other: Signature) -> float:
        """MinHash estimate of the Jaccard of the two shingle sets (for eyeballing; decide exactly)."""
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / NUM_PERM

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Signature):
            return NotImplemented
        return self.words == other.words and bool(np.array_equal(self.hashvalues, other.hashvalues))

    __hash__ = None  # type: ignore[assignment]


def signature_of(shingled: ShingleSet) -> Signature:
    """The MinHash of a shingle set. Only the low 32 bits of each shingle feed the 32-bit scheme:
    a few thousand shingles collide there with negligible probability, and values stay uint32 (half
    the bytes of the 64-bit scheme)."""
    minhash = _prototype().copy()
    minhash.update_batch((shingled.hashes & _LOW32).tolist())
    return Signature(hashvalues=minhash.digest().astype(np.uint32), words=shingled.words)


def signature(text: str) -> Signature:
    """The MinHash signature of a text (fixed seed: the same in every process and run)."""
    return signature_of(shingle_set(text))


def band_keys(sig: Signature) -> list[tuple[int, int]]:
    """``(band, key)`` for each of :data:`BANDS` bands; ``key`` is a signed 64-bit hash of the band
    index and its :data:`ROWS` values, so it fits a ``BigIntegerField`` and is unique across bands.

    A text under :data:`MIN_WORDS` words gets no keys: it can never be a near-duplicate by shingles,
    and the empty sets of blank texts would otherwise all share every key.
    """
    if sig.words < MIN_WORDS:
        return []
    values = sig.hashvalues.astype("<u4")
    keys = []
    for band in range(BANDS):
        payload = _BAND.pack(band) + values[band * ROWS : (band + 1) * ROWS].tobytes()
        digest = hashlib.blake2b(payload, digest_size=8).digest()
        keys.append((band, int.from_bytes(digest, "little", signed=True)))
    return keys


# --- exact verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class Similarity:
    """Exact overlap of two texts' shingle sets.

    ``containment`` is |A∩B| / min(|A|, |B|): how much of the smaller text is inside the larger,
    which stays high when a lead-in or paragraphs are added while the Jaccard falls.
    """

    jaccard: float
    containment: float
    shared: int
    shingles: tuple[int, int]
    words: tuple[int, int]


def compare(a: ShingleSet, b: ShingleSet) -> Similarity:
    """The :class:`Similarity` of two shingle sets (shingle each text once, compare many times)."""
    shared = int(np.intersect1d(a.hashes, b.hashes, assume_unique=True).size)
    union = len(a) + len(b) - shared
    smaller = min(len(a), len(b))
    return Similarity(
        jaccard=shared / union if union else 0.0,
        containment=shared / smaller if smaller else 0.0,
        shared=shared,
        shingles=(len(a), len(b)),
        words=(a.words, b.words),
    )


def similarity(a: str, b: str) -> Similarity:
    """Exact Jaccard and containment of two texts' shingle sets: run it on LSH candidates."""
    return compare(shingle_set(a), shingle_set(b))


def _method(sim: Similarity) -> str | None:
    """Which test makes the pair near-duplicates, or None: the single place the thresholds apply."""
    if min(sim.words) < MIN_WORDS:
        return None
    if sim.jaccard >= JACCARD_THRESHOLD:
        return "jaccard"
    if sim.containment >= CONTAINMENT_THRESHOLD and min(sim.words) >= CONTAINMENT_MIN_WORDS:
        return "containment"
    return None


def is_near_duplicate(sim: Similarity) -> bool:
    """Both texts have :data:`MIN_WORDS` words, and Jaccard >= :data:`JACCARD_THRESHOLD`, or the
    smaller text (>= :data:`CONTAINMENT_MIN_WORDS` words) is >= :data:`CONTAINMENT_THRESHOLD` inside
    the larger."""
    return _method(sim) is not None


def reason(sim: Similarity) -> dict[str, Any]:
    """Why the pair was (or was not) grouped, as a small JSON-able dict to store with the merge.

    ``method`` is ``near_duplicates.jaccard/1``, ``near_duplicates.containment/1`` or
    ``near_duplicates.none/1``; there is deliberately no ``rule`` key, which the store sets itself.
    """
    method = _method(sim)
    if method == "jaccard":
        why = f"{SHINGLE_WORDS}-word shingles: Jaccard {sim.jaccard:.2f} >= {JACCARD_THRESHOLD}"
    elif method == "containment":
        why = (
            f"{SHINGLE_WORDS}-word shingles: {sim.containment:.0%} of the shorter text is in the other "
            f"(>= {CONTAINMENT_THRESHOLD:.0%}; Jaccard {sim.jaccard:.2f})"
        )
    elif min(sim.words) < MIN_WORDS:
        why = f"a text has fewer than {MIN_WORDS} words: not decided by shingles"
    else:
        why = f"below thresholds (Jaccard {sim.jaccard:.2f}, containment {sim.containment:.2f})"
    return {
        "method": f"near_duplicates.{method or 'none'}/{METHOD_VERSION}",
        "jaccard": round(sim.jaccard, 3),
        "containment": round(sim.containment, 3),
        "shared_shingles": sim.shared,
        "words": list(sim.words),
        "why": why,
    }


def within_published_window(a: datetime | None, b: datetime | None) -> bool:
    """False only when both dates are known and more than :data:`MAX_PUBLISHED_GAP` apart.

    Naive datetimes are taken as UTC so that a naive and an aware date can be compared.
    """
    if a is None or b is None:
        return True
    return abs(_as_utc(a) - _as_utc(b)) <= MAX_PUBLISHED_GAP


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# --- in-memory index -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """A document found to be a near-duplicate: of ``matched_id``, grouped under ``canonical_id``."""

    doc_id: str
    canonical_id: str
    matched_id: str
    similarity: Similarity
    reason: dict[str, Any]


class NearDuplicateIndex:
    """Groups documents as they arrive; the first seen of a group is its canonical document.

    ``add`` looks up LSH candidates, verifies them exactly, and returns the best :class:`Match` (or
    None for a new story). With ``match_copies`` (the default) every document is indexed, so a re-save
    is compared with the latest version too and a copy of a copy joins the first canonical; without
    it only canonical documents are indexed (cheaper: a story's versions are then each compared with
    its first version only).
    """

    def __init__(self, *, match_copies: bool = True) -> None:
        self.match_copies = match_copies
        self._buckets: dict[tuple[int, int], list[str]] = defaultdict(list)
        self._shingles: dict[str, ShingleSet] = {}
        self._published: dict[str, datetime | None] = {}
        self._canonical: dict[str, str] = {}
        self._order: dict[str, int] = {}
        self.comparisons = 0  # exact verifications run: the cost the LSH bands leave

    def __len__(self) -> int:
        return len(self._canonical)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._canonical

    def add(self, doc_id: str, text: str, published: datetime | None = None) -> Match | None:
        """Index a document; return its match among those already added, or None."""
        return self.add_shingled(doc_id, shingle_set(text), published)

    def add_shingled(self, doc_id: str, shingled: ShingleSet, published: datetime | None = None) -> Match | None:
        """:meth:`add` for a text already shingled (the benchmark times the two steps apart)."""
        if doc_id in self._canonical:
            raise ValueError(f"document {doc_id!r} is already in the index")
        keys = band_keys(signature_of(shingled))
        match = self._best_match(doc_id, shingled, keys, published)
        self._order[doc_id] = len(self._order)
        self._shingles[doc_id] = shingled
        self._published[doc_id] = published
        self._canonical[doc_id] = match.canonical_id if match else doc_id
        if match is None or self.match_copies:
            for key in keys:
                self._buckets[key].append(doc_id)
        return match

    def candidates(self, keys: list[tuple[int, int]]) -> list[str]:
        """Indexed documents sharing a band key: most shared bands first, then first seen."""
        hits: dict[str, int] = defaultdict(int)
        for key in keys:
            for doc_id in self._buckets.get(key, ()):
                hits[doc_id] += 1
        return sorted(hits, key=lambda d: (-hits[d], self._order[d]))

    def _best_match(
        self, doc_id: str, shingled: ShingleSet, keys: list[tuple[int, int]], published: datetime | None
    ) -> Match | None:
        best: tuple[tuple[float, float, int], str, Similarity] | None = None
        for candidate in self.candidates(keys):
            if not within_published_window(published, self._published[candidate]):
                continue
            sim = compare(shingled, self._shingles[candidate])
            self.comparisons += 1
            if not is_near_duplicate(sim):
                continue
            rank = (sim.jaccard, sim.containment, -self._order[candidate])
            if best is None or rank > best[0]:
                best = (rank, candidate, sim)
        if best is None:
            return None
        _, matched, sim = best
        return Match(doc_id, self._canonical[matched], matched, sim, reason(sim))

    def canonical_of(self, doc_id: str) -> str:
        """The canonical document of ``doc_id``'s group (itself if it is one)."""
        return self._canonical[doc_id]

    def groups(self) -> dict[str, list[str]]:
        """Groups of two or more documents: canonical id -> member ids (canonical first), in order."""
        members: dict[str, list[str]] = defaultdict(list)
        for doc_id in sorted(self._canonical, key=self._order.__getitem__):
            members[self._canonical[doc_id]].append(doc_id)
        return {canonical: ids for canonical, ids in members.items() if len(ids) > 1}
