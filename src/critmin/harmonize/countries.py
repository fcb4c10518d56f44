"""Countries to ISO3, aggregates kept apart.

Names are placed in this order: the aggregate table (``World total``, ``Other countries``,
the EU, BACI's "n.e.s." areas), our alias table (``data/reference/country_aliases.csv``:
names and legacy codes our sources use that country_converter misplaces or does not know),
then country_converter. A name none of them places stops the import with the list of names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from critmin.data import read_reference
from critmin.errors import UnknownNamesError

WORLD = "WLD"
OTHER = "OTH"
EU = "EUU"

_AGGREGATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^world(\s+total)?\b.*$", re.I), WORLD),
    (re.compile(r"^total$", re.I), WORLD),
    (re.compile(r"^other(\s+countries)?\b.*$", re.I), OTHER),
    (re.compile(r"^(rest of (the )?world|others)$", re.I), OTHER),
    (re.compile(r"^(european union|eu|eu-?27|eu27)$", re.I), EU),
)


@dataclass(frozen=True)
class Place:
    """Where a name lands: an ISO3 (or aggregate) code and whether it is an aggregate."""

    code: str
    is_aggregate: bool


@functools.cache
def aliases() -> dict[str, str]:
    """Lower-cased alias name -> ISO3, from the bundled alias table."""
    table = read_reference("country_aliases.csv")
    return {name.strip().lower(): code for name, code in zip(table["name"], table["iso3"], strict=True)}


@functools.cache
def aggregate_codes() -> dict[str, str]:
    """Aggregate code -> description, from the bundled aggregate table."""
    table = read_reference("aggregates.csv")
    return dict(zip(table["code"], table["name"], strict=True))


@functools.cache
def aggregate_places() -> frozenset[str]:
    """Every place code that is no country ("OTH", "WLD", "USA+CAN" ...), from ``places.csv``."""
    table = read_reference("places.csv")
    return frozenset(table.loc[table["is_aggregate"].astype(str).str.lower() == "true", "code"])


@functools.cache
def known_codes() -> frozenset[str]:
    """Every code a place may have: country_converter's ISO3 codes and the aggregates (``places.csv``)."""
    return frozenset(read_reference("places.csv")["code"])


@functools.cache
def _converter() -> object:
    import country_converter as coco

    return coco.CountryConverter()


def _aggregate(name: str) -> str | None:
    for pattern, code in _AGGREGATE_PATTERNS:
        if pattern.match(name):
            return code
    return None


@functools.lru_cache(maxsize=4096)
def _place_one(name: str) -> Place | None:
    clean = " ".join(name.split())
    if not clean:
        return None
    code = _aggregate(clean)
    if code:
        return Place(code, True)
    alias = aliases().get(clean.lower())
    if alias:
        return Place(alias, alias in aggregate_codes())
    if clean.upper() in aggregate_codes():
        return Place(clean.upper(), True)
    found = _converter().convert(clean, to="ISO3", not_found=None)  # type: ignore[attr-defined]
    # country_converter hands an unplaceable name back unchanged, so "XYZ" would pass as a code.
    if isinstance(found, str) and found in known_codes() and found not in aggregate_codes():
        return Place(found, False)
    return None


def place_names(names: Iterable[str], *, path: str | None = None) -> dict[str, Place]:
    """Place every distinct name, or raise listing all that cannot be placed.

    Parameters
    ----------
    names
        Country names or codes as the source spells them (footnote digits already removed).
    path
        The file the names come from, named in the error.

    Raises
    ------
    UnknownNamesError
        Listing every name that could not be placed.
    """
    distinct = sorted({n for n in names if isinstance(n, str)})
    placed: dict[str, Place] = {}
    unknown: list[str] = []
    for name in distinct:
        where = _place_one(name)
        if where is None:
            unknown.append(name)
        else:
            placed[name] = where
    if unknown:
        raise UnknownNamesError("country", unknown, path=path)
    return placed


def to_iso3(names: pd.Series, *, path: str | None = None) -> tuple[pd.Series, pd.Series]:
    """Map a Series of names to (code, is_aggregate) Series.

    Raises
    ------
    UnknownNamesError
        When any name cannot be placed.
    """
    placed = place_names(names.dropna().unique(), path=path)
    codes = names.map(lambda n: placed[n].code if n in placed else None)
    is_aggregate = names.map(lambda n: placed[n].is_aggregate if n in placed else False).astype(bool)
    return codes, is_aggregate
