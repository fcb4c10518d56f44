"""The sea-lane reference tables bundled with critmin (see ``docs/sealanes.md`` for their sources)."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import statistics
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


RECORD_YEARS = (1950, 2025)
"""The years ``chokepoint_disruptions.csv`` covers (inclusive)."""
ZERO_EPISODES = 0.5
"""Episodes counted for a chokepoint with none in the record (a rate of zero is not a finding)."""
YEAR_DAYS = 365


@dataclass(frozen=True)
class ClosureRate:
    """A chokepoint's default closure in the Monte Carlo, from the record of past disruptions."""

    chokepoint: str
    probability: float
    """Closures starting per year: episodes (or :data:`ZERO_EPISODES`) over the record's years."""
    duration_days: int
    """Median episode length in days, each capped at a year (all episodes' median when none)."""
    fraction: float
    """Median share of traffic stopped (all episodes' median when none)."""
    episodes: int
    basis: str


@dataclass(frozen=True)
class Episode:
    """One past disruption of a chokepoint (a row of ``chokepoint_disruptions.csv``)."""

    chokepoint: str
    start: dt.date
    end: dt.date | None
    """None: still running at the end of the record."""
    fraction: float
    description: str
    source: str
    url: str

    @property
    def days(self) -> int:
        """Length in days, capped at a year; a running episode counts to the record's last day."""
        end = self.end or dt.date(RECORD_YEARS[1], 12, 31)
        return min(YEAR_DAYS, (end - self.start).days + 1)


@functools.cache
def closure_record() -> tuple[Episode, ...]:
    """The episodes of ``chokepoint_disruptions.csv``, in file order."""
    return tuple(
        Episode(
            row["chokepoint"],
            dt.date.fromisoformat(row["start"]),
            dt.date.fromisoformat(row["end"]) if row["end"] else None,
            float(row["fraction"]),
            row["description"],
            row["source"],
            row["url"],
        )
        for row in _rows("chokepoint_disruptions.csv")
    )


@functools.cache
def closure_rates() -> dict[str, ClosureRate]:
    """Each chokepoint's default annual closure probability, duration and fraction (by id)."""
    record = closure_record()
    years = RECORD_YEARS[1] - RECORD_YEARS[0] + 1
    all_days = statistics.median(e.days for e in record)
    all_fraction = statistics.median(e.fraction for e in record)
    span = f"{RECORD_YEARS[0]}-{RECORD_YEARS[1]}"
    out = {}
    for point in chokepoints():
        own = [e for e in record if e.chokepoint == point.id]
        if own:
            days = statistics.median(e.days for e in own)
            fraction = statistics.median(e.fraction for e in own)
            starts = ", ".join(str(e.start.year) for e in own)
            basis = f"{len(own)} episode(s) in {span} ({starts}): {len(own)}/{years} a year"
        else:
            days, fraction = all_days, all_fraction
            basis = (
                f"no episode in {span}: {ZERO_EPISODES}/{years} a year; all episodes' median days, fraction"
            )
        probability = max(len(own), ZERO_EPISODES) / years
        out[point.id] = ClosureRate(point.id, probability, int(days), float(fraction), len(own), basis)
    return out
