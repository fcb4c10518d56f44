"""Build ``src/critmin/data/reference/world_110m.geo.json``: the bundled outlines as GeoJSON polygons.

Input: ``world_110m.json`` (Natural Earth 1:110m countries, projected with Equal Earth and written as
SVG path data by ``scripts/build_world_map.py``). Each country's path is ``M x y l dx dy ... z`` per
ring and was drawn with ``fill-rule="evenodd"``, so a ring inside an odd number of the country's other
rings is a hole (Lesotho in South Africa). The output keeps the projected coordinates (x east, y down,
one decimal) and makes the nesting explicit: one GeoJSON polygon per outer ring with its holes, outer
rings with a positive and holes with a negative shoelace area in those coordinates, so a renderer
filling with the non-zero rule (Vega's ``geoshape`` with ``projection: {"type": "identity"}``) draws
the same map.

Usage::

    python scripts/build_world_geojson.py            # reads and writes under src/critmin/data/reference
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "critmin" / "data" / "reference"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

Ring = list[tuple[float, float]]


def rings_of(d: str) -> list[Ring]:
    """The closed rings of SVG path data ``M x y l dx dy ... z`` (absolute move, relative lines)."""
    rings = []
    for part in re.findall(r"M([^z]*)z", d):
        numbers = [float(n) for n in NUMBER.findall(part)]
        x, y = numbers[0], numbers[1]
        ring = [(x, y)]
        for dx, dy in zip(numbers[2::2], numbers[3::2], strict=True):
            x, y = round(x + dx, 1), round(y + dy, 1)
            ring.append((x, y))
        ring.append(ring[0])
        rings.append(ring)
    return rings


def signed_area(ring: Ring) -> float:
    """Shoelace area, positive for counter-clockwise in x-right, y-up terms."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) / 2


def inside(point: tuple[float, float], ring: Ring) -> bool:
    """Ray casting: is ``point`` inside ``ring``."""
    x, y = point
    hit = False
    for (x0, y0), (x1, y1) in itertools.pairwise(ring):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            hit = not hit
    return hit


def oriented(ring: Ring, positive: bool) -> list[list[float]]:
    """``ring`` as GeoJSON positions, reversed if needed so its signed area has the sign asked for."""
    if (signed_area(ring) > 0) != positive:
        ring = ring[::-1]
    return [[x, y] for x, y in ring]


def polygons(rings: list[Ring]) -> list[list[list[list[float]]]]:
    """Even-odd nesting made explicit: each outer ring with the holes directly inside it."""
    depth = [sum(inside(r[0], o) for o in rings if o is not r) for r in rings]
    outers = [i for i, d in enumerate(depth) if d % 2 == 0]
    out = {i: [oriented(rings[i], True)] for i in outers}
    for i, d in enumerate(depth):
        if d % 2 == 1:
            around = [o for o in outers if depth[o] == d - 1 and inside(rings[i][0], rings[o])]
            out[around[0]].append(oriented(rings[i], False))
    return [out[i] for i in outers]


def build(world: dict[str, object]) -> dict[str, object]:
    countries: dict[str, dict[str, str]] = world["countries"]  # type: ignore[assignment]
    features = [
        {
            "type": "Feature",
            "id": code,
            "properties": {"name": country["name"]},
            "geometry": {"type": "MultiPolygon", "coordinates": polygons(rings_of(country["d"]))},
        }
        for code, country in countries.items()
    ]
    return {
        "type": "FeatureCollection",
        "source": world["source"],
        "licence": world["licence"],
        "via": f"world_110m.json ({world['via']})",
        "projection": world["projection"],
        "units": world["units"],
        "features": features,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, default=REFERENCE / "world_110m.json")
    parser.add_argument("--out", type=Path, default=REFERENCE / "world_110m.geo.json")
    args = parser.parse_args()
    collection = build(json.loads(args.world.read_text(encoding="utf-8")))
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"{args.out}: {len(collection['features'])} countries, {args.out.stat().st_size:,} bytes")  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
