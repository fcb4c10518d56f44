"""The sea-lane reference tables bundled with critmin (see ``docs/sealanes.md`` for their sources)."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

from critmin.data import reference_path

Point = tuple[float, float]


@dataclass(frozen=True)
class Chokepoint:
    """A strait or canal, with the gate segment across it that marks a passage."""

    id: str
    name: str
    marker: Point
    """Where maps mark it (lon, lat): in the strait, on the gate."""
    gate: tuple[Point, Point]
    source: str
    url: str


@dataclass(frozen=True)
class Port:
    """A port a country's seaborne trade is routed from or to."""

    iso3: str
    locode: str
    name: str
    lon: float
    lat: float
    rule: str
    """``main``, ``alternate`` or ``gateway`` (curated), or ``largest_city`` (nearest its largest city)."""


def _rows(name: str) -> list[dict[str, str]]:
    with reference_path(name).open(newline="") as f:
        return list(csv.DictReader(f))


@functools.cache
def chokepoints() -> tuple[Chokepoint, ...]:
    """The chokepoints of ``chokepoints.csv``, in file order."""
    return tuple(
        Chokepoint(
            row["id"],
            row["name"],
            (float(row["lon"]), float(row["lat"])),
            (
                (float(row["gate_lon1"]), float(row["gate_lat1"])),
                (float(row["gate_lon2"]), float(row["gate_lat2"])),
            ),
            row["source"],
            row["url"],
        )
        for row in _rows("chokepoints.csv")
    )


@functools.cache
def ports() -> dict[str, tuple[Port, ...]]:
    """Each country's routing ports (ISO3 -> ports), from ``sea_ports.csv``."""
    found: dict[str, list[Port]] = {}
    for row in _rows("sea_ports.csv"):
        lon, lat = float(row["lon"]), float(row["lat"])
        port = Port(row["iso3"], row["locode"], row["name"], lon, lat, row["rule"])
        found.setdefault(port.iso3, []).append(port)
    return {iso3: tuple(found[iso3]) for iso3 in sorted(found)}


@functools.cache
def land_borders() -> frozenset[frozenset[str]]:
    """Pairs of countries that share a land border (GeoNames)."""
    return frozenset(frozenset((row["a"], row["b"])) for row in _rows("land_borders.csv"))


@functools.cache
def sea_neighbours() -> dict[frozenset[str], str]:
    """Neighbours whose trade goes by sea all the same (pair -> why)."""
    return {frozenset((row["a"], row["b"])): row["why"] for row in _rows("sea_neighbours.csv")}


@functools.cache
def landlocked() -> frozenset[str]:
    """Countries without a sea coast."""
    return frozenset(row["iso3"] for row in _rows("landlocked.csv"))
