"""Build ``src/critmin/data/reference/world_110m.json``: country outlines for offline SVG maps.

Source: Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (public domain), as shipped in the
geopandas 0.14.4 wheel (``geopandas/datasets/naturalearth_lowres``). The shapefile is read with the small
``struct``-based reader below (no GIS dependency), projected with the Equal Earth projection
(Šavrič, Patterson & Jenny 2018, Int. J. Geogr. Inf. Sci. 33(3), doi:10.1080/13658816.2018.1504949),
scaled to a viewBox 1000 units wide, lightly simplified and written as SVG path data.

Usage::

    python scripts/build_world_map.py --wheel /tmp/geo/geopandas-0.14.4-py3-none-any.whl \
        --out src/critmin/data/reference/world_110m.json
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import struct
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "critmin" / "data" / "reference" / "world_110m.json"
WHEEL_MEMBER = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres"

# Equal Earth constants (Šavrič, Patterson & Jenny 2018, eq. 2).
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3.0) / 2.0

WIDTH = 1000.0
# Half-width of the unit-sphere projection: x at lon = 180°, lat = 0°.
X_MAX = 2.0 * math.sqrt(3.0) * math.pi / (3.0 * A1)
SCALE = WIDTH / (2.0 * X_MAX)
PAD = 4.0  # viewBox padding around the data, in output units

# Natural Earth leaves ISO_A3 as "-99" for these; fix them by name (Kosovo: the user-assigned XKX).
ISO_FIXES = {"France": "FRA", "Norway": "NOR", "Kosovo": "XKX"}
DROP = {"ATA"}

MIN_STEP = 0.6  # drop a point closer than this (output units) to the previous kept point
MIN_RING = 4  # points in a kept ring, closing point included


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth projection of a point on the unit sphere.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees.

    Returns
    -------
    tuple of float
        ``(x, y)`` with y pointing north; ``(0, 0)`` is lon 0°, lat 0°.
    """
    lam = math.radians(lon)
    theta = math.asin(M * math.sin(math.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


def to_view(lon: float, lat: float) -> tuple[float, float]:
    """Project to output units: x in [0, 1000] west to east, y pointing down, equator at y = 0."""
    x, y = equal_earth(lon, lat)
    return (x + X_MAX) * SCALE, -y * SCALE


# --- shapefile reading -------------------------------------------------------------------------


def read_dbf(data: bytes, encoding: str = "latin-1") -> list[dict[str, str]]:
    """Records of a dBASE III table as dicts of stripped text."""
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields: list[tuple[str, int]] = []
    pos = 32
    while data[pos] != 0x0D:
        name = data[pos : pos + 11].split(b"\x00", 1)[0].decode("ascii")
        length = data[pos + 16]
        fields.append((name, length))
        pos += 32
    records = []
    for i in range(n_records):
        start = header_len + i * record_len
        row = data[start : start + record_len]
        if row[:1] == b"*":  # deleted
            continue
        offset = 1
        record = {}
        for name, length in fields:
            record[name] = row[offset : offset + length].decode(encoding).strip()
            offset += length
        records.append(record)
    return records


def read_shp(data: bytes) -> list[list[list[tuple[float, float]]]]:
    """Rings of each record of a polygon shapefile (shape type 5); a null shape gives no rings."""
    (code,) = struct.unpack(">i", data[0:4])
    if code != 9994:
        raise ValueError(f"not a shapefile (file code {code})")
    (file_type,) = struct.unpack("<i", data[32:36])
    if file_type != 5:
        raise ValueError(f"shape type {file_type} is not Polygon (5)")
    shapes = []
    pos = 100
    while pos < len(data):
        _number, words = struct.unpack(">ii", data[pos : pos + 8])
        content = data[pos + 8 : pos + 8 + 2 * words]
        pos += 8 + 2 * words
        (shape_type,) = struct.unpack("<i", content[:4])
        if shape_type == 0:
            shapes.append([])
            continue
        if shape_type != 5:
            raise ValueError(f"record shape type {shape_type} is not Polygon (5)")
        n_parts, n_points = struct.unpack("<ii", content[36:44])
        parts = list(struct.unpack(f"<{n_parts}i", content[44 : 44 + 4 * n_parts]))
        start = 44 + 4 * n_parts
        coords = struct.unpack(f"<{2 * n_points}d", content[start : start + 16 * n_points])
        points = list(zip(coords[0::2], coords[1::2], strict=True))
        bounds = [*parts, n_points]
        shapes.append([points[bounds[k] : bounds[k + 1]] for k in range(n_parts)])
    return shapes


# --- geometry ----------------------------------------------------------------------------------


def simplify(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop points closer than ``MIN_STEP`` to the previous kept point; the ring stays closed."""
    kept = [ring[0]]
    for point in ring[1:-1]:
        if math.dist(point, kept[-1]) >= MIN_STEP:
            kept.append(point)
    kept.append(ring[0])
    return kept


def ring_area(ring: list[tuple[float, float]]) -> float:
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))) / 2


def path_data(rings: list[list[tuple[int, int]]]) -> str:
    """SVG path data from rings in tenths of a unit: absolute move, relative lines, closed."""
    out = []
    for ring in rings:
        x, y = ring[0]
        steps = [f"M{_num(x)} {_num(y)}l"]
        numbers = []
        for nx, ny in ring[1:-1]:
            numbers += [nx - x, ny - y]
            x, y = nx, ny
        text = ""
        for value in numbers:
            token = _num(value)
            text += token if token.startswith("-") or not text else " " + token
        steps.append(text)
        out.append("".join(steps) + "z")
    return "".join(out)


def _num(tenths: int) -> str:
    """A number given in tenths, written with at most one decimal."""
    sign = "-" if tenths < 0 else ""
    whole, frac = divmod(abs(tenths), 10)
    return f"{sign}{whole}" if frac == 0 else f"{sign}{whole}.{frac}"


def country_rings(rings: list[list[tuple[float, float]]]) -> list[list[tuple[int, int]]]:
    """Project, simplify and round a country's rings to integer tenths of an output unit."""
    projected = [[to_view(lon, lat) for lon, lat in ring] for ring in rings if len(ring) >= MIN_RING]
    kept = []
    for ring in projected:
        small = simplify(ring)
        rounded = [(round(x * 10), round(y * 10)) for x, y in small]
        deduped = [rounded[0]]
        for point in rounded[1:]:
            if point != deduped[-1]:
                deduped.append(point)
        if len(deduped) >= MIN_RING:
            kept.append(deduped)
    if not kept and projected:  # a tiny country: keep its largest ring as it is
        largest = max(projected, key=ring_area)
        kept.append([(round(x * 10), round(y * 10)) for x, y in largest])
    return kept


def build(shp: bytes, dbf: bytes, via: str) -> dict[str, object]:
    records = read_dbf(dbf)
    shapes = read_shp(shp)
    if len(records) != len(shapes):
        raise ValueError(f"{len(records)} table records but {len(shapes)} shapes")
    countries: dict[str, dict[str, str]] = {}
    xs: list[int] = []
    ys: list[int] = []
    for record, rings in zip(records, shapes, strict=True):
        name = record["name"]
        iso3 = record["iso_a3"]
        if iso3 == "-99":
            iso3 = ISO_FIXES.get(name, "-99")
        if iso3 == "-99" or iso3 in DROP:
            continue
        if iso3 in countries:
            raise ValueError(f"duplicate iso_a3 {iso3} ({name})")
        kept = country_rings(rings)
        if not kept:
            continue
        for ring in kept:
            xs += [p[0] for p in ring]
            ys += [p[1] for p in ring]
        countries[iso3] = {"name": name, "d": path_data(kept)}
    top = math.floor(min(ys) / 10 - PAD)
    bottom = math.ceil(max(ys) / 10 + PAD)
    return {
        "source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries",
        "licence": "public domain (Natural Earth)",
        "via": via,
        "projection": "Equal Earth",
        "units": "x = 0 at 180°W and 1000 at 180°E; y down, equator at y = 0",
        "viewbox": [0, top, int(WIDTH), bottom - top],
        "countries": dict(sorted(countries.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--wheel", type=Path, help="geopandas-0.14.4-py3-none-any.whl")
    source.add_argument("--shapefile", type=Path, help="naturalearth_lowres.shp (the .dbf beside it)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    if args.wheel:
        raw = args.wheel.read_bytes()
        with zipfile.ZipFile(args.wheel) as wheel:
            shp = wheel.read(WHEEL_MEMBER + ".shp")
            dbf = wheel.read(WHEEL_MEMBER + ".dbf")
        via = (
            f"geopandas 0.14.4 wheel {args.wheel.name} (sha256 {hashlib.sha256(raw).hexdigest()}), "
            f"{WHEEL_MEMBER}.shp"
        )
    else:
        shp = args.shapefile.read_bytes()
        dbf = args.shapefile.with_suffix(".dbf").read_bytes()
        via = f"{args.shapefile.name} (sha256 {hashlib.sha256(shp).hexdigest()})"
    world = build(shp, dbf, via)
    args.out.write_text(json.dumps(world, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(world['countries'])} countries, {args.out.stat().st_size:,} bytes")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
