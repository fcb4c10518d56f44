"""USGS Mineral Commodity Summaries: source description, dispatcher and shared helpers.

``parse(path)`` picks the right importer for a USGS MCS file: the long MCS2026 table
(:mod:`critmin.ingest.usgs_mcs2026`), a per-commodity world table of MCS2022–2024
(:mod:`critmin.ingest.usgs_world`) or a per-commodity salient table
(:mod:`critmin.ingest.usgs_salient`). The helpers below (units, countries, table checks)
are shared by the three.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from pathlib import Path

import pandas as pd

from critmin.errors import IngestError, UnknownNamesError
from critmin.harmonize.commodities import catalog
from critmin.harmonize.countries import to_iso3
from critmin.ingest.base import Parsed, SourceInfo, sha256_of
from critmin.ingest.common import LINE, require_non_negative, strip_footnote
from critmin.schema import TABLES

INFO = SourceInfo(
    source="usgs_mcs",
    title="Mineral Commodity Summaries data releases",
    publisher="U.S. Geological Survey",
    licence="Public domain (U.S. Government work; CC0)",
    citation=(
        "U.S. Geological Survey, Mineral Commodity Summaries data releases "
        "(MCS2022: doi:10.5066/P9KKMCP4; MCS2023: doi:10.5066/P9WCYUI6; "
        "MCS2024 ver. 2.0: doi:10.5066/P144BA54; MCS2026: doi:10.5066/P1WKQ63T)"
    ),
    url="https://www.usgs.gov/centers/national-minerals-information-center/mineral-commodity-summaries",
    bundled=True,
)

DATASET = "usgs_mcs"

RELEASE_DATES = {"MCS2022": date(2022, 1, 31), "MCS2023": date(2023, 1, 31), "MCS2024": date(2024, 3, 6)}
"""Publication dates of the per-commodity releases; MCS2024 is ver. 2.0 (revision file of 2024-03-06)."""

UNITS: dict[str, tuple[str, str]] = {
    "metric tons": ("t", ""),
    "tons": ("t", ""),
    "thousand metric tons": ("kt", ""),
    "million metric tons": ("Mt", ""),
    "thousand metric dry tons": ("kt", "dry weight"),
    "kilograms": ("kg", ""),
    "million carats": ("Mct", ""),
    "thousands of carats": ("kct", ""),
    "million cubic meters": ("Mm3", ""),
    "million liters": ("ML", ""),
    "percent": ("%", ""),
    "number": ("count", ""),
    "t": ("t", ""),
    "kt": ("kt", ""),
    "mt": ("Mt", ""),
    "mmt": ("Mt", ""),
    "kg": ("kg", ""),
    "mct": ("Mct", ""),
    "kct": ("kct", ""),
    "mcm": ("Mm3", ""),
    "pct": ("%", ""),
}
"""Published unit (lower case) -> (short unit, basis it implies). Values are never converted.
In the world-file column names ``mt`` and ``mmt`` both mean million metric tons (MCS2024
iron ore and steel files; MCS2023 spells the same columns ``Mt``)."""

_CONTENT = re.compile(
    r"(rare-earth-oxide(?: \(REO\))? equivalent|[a-z]+ oxide equivalent|"
    r"[A-Za-z0-9]+ oxide \([A-Za-z0-9]+\)(?: equivalent| content)?|"
    r"[A-Za-z0-9-]+ (?:content|equivalent)|gross weight|usable ore|crude ore|marketable phosphate rock|"
    r"elemental iodine|contained [a-z]+)",
    re.I,
)


@functools.cache
def short_basis(text: str) -> str:
    """Content basis as a short label: ``"lithium content"`` -> ``"Li content"``, REO, ...

    Parameters
    ----------
    text
        Any USGS phrase (a detail, a Type, a unit note); the first basis phrase in it is used.
    """
    found = _CONTENT.search(text or "")
    if not found:
        return ""
    phrase = " ".join(found.group(1).split())
    lower = phrase.lower()
    if "rare-earth-oxide" in lower or "(reo)" in lower:
        return "REO"
    oxide = re.match(r"^[a-z0-9 ]*oxide \(([A-Za-z0-9]+)\)", phrase, re.I)
    if oxide:
        return f"{oxide.group(1)} equivalent" if "equivalent" in lower else f"{oxide.group(1)} content"
    word = re.match(r"^(?:contained )?([a-z]+)(?: (content|equivalent))?$", lower)
    if word:
        names = catalog()["name"].str.lower().str.split(" (", regex=False).str[0]
        symbols = dict(zip(names, catalog()["symbol"], strict=True))
        symbol = symbols.get(word.group(1), "")
        if symbol and len(symbol) <= 2:
            return f"{symbol} {word.group(2) or 'content'}"
    return lower


def unit_of(text: str, *, path: Path, line: int | None = None) -> tuple[str, str]:
    """Short unit and implied basis of a published unit, or an error naming it."""
    key = " ".join(str(text).split()).lower()
    if key not in UNITS:
        raise IngestError(f"unknown unit {text!r}; known: {sorted(UNITS)}", path=str(path), line=line)
    return UNITS[key]


GROUPS = {"United States and Canada": "USA+CAN", "China, Germany, and Russia": "CHN+DEU+RUS"}
"""Rows USGS publishes for several countries together: kept as aggregates under a joined code."""


def salient_unit(text: str) -> str:
    """Short unit of a salient statistic; prices and other units are kept as published."""
    key = " ".join(str(text).split()).lower()
    return UNITS[key][0] if key in UNITS else " ".join(str(text).split())


def place_countries(
    frame: pd.DataFrame, column: str, *, path: Path, glued_estimate: bool = False
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Clean USGS country names and place them as ISO3 codes, aggregates apart.

    Footnote digits glued to names are removed (``New Caledonia11``). With
    ``glued_estimate`` a trailing ``e`` glued to a known name (``Japane``: the USGS
    estimate marker lost its superscript) is removed too and reported.

    Returns
    -------
    (codes, is_aggregate, marked_estimated)

    Raises
    ------
    IngestError
        Showing the first rows whose country cannot be placed.
    """
    names = frame[column].fillna("").map(lambda n: strip_footnote(" ".join(str(n).split())))
    marked = pd.Series(False, index=frame.index)
    if glued_estimate:
        known = _known_names()
        glued = names.map(lambda n: n.endswith("e") and n.lower() not in known and n[:-1].lower() in known)
        names = names.where(~glued, names.str[:-1])
        marked = glued.astype(bool)
        qualified = names.str.extract(r"^(.*\S)\s*\(([^()]+)\)$")
        has_qualifier = qualified[0].notna() & ~names.str.lower().isin(known)
        names = names.where(~has_qualifier, qualified[0])
    group = names.isin(list(GROUPS))
    try:
        codes, aggregate = to_iso3(names[~group], path=str(path))
    except UnknownNamesError as exc:
        bad = frame[names.isin(exc.names)]
        raise IngestError.from_rows(
            f"unknown country name(s) {exc.names}; add them to country_aliases.csv if they are real places",
            bad[[column, LINE]] if LINE in bad.columns else bad[[column]],
            total=len(frame),
            path=str(path),
            column=column,
        ) from exc
    codes = codes.reindex(names.index)
    aggregate = aggregate.reindex(names.index)
    codes[group] = names[group].map(GROUPS)
    aggregate[group] = True
    return codes, aggregate.astype(bool), marked


@functools.cache
def _known_names() -> frozenset[str]:
    import country_converter as coco

    from critmin.harmonize.countries import aliases

    table = coco.CountryConverter().data
    names = set(table["name_short"].str.lower()) | set(table["name_official"].str.lower())
    return frozenset(names | set(aliases()))


def parsed_file(path: Path, release: str, tables: dict[str, pd.DataFrame], kind: str) -> Parsed:
    """A per-commodity file of a release (``kind`` "world" or "salient") as one vintage."""
    return Parsed(
        info=INFO,
        dataset=DATASET,
        release=release,
        release_date=RELEASE_DATES[release],
        path=path,
        sha256=sha256_of(path),
        tables=dict(tables),
        notes=f"USGS {release} {kind} table {path.name}",
        counts={name: len(frame) for name, frame in tables.items()},
    )


def finish(frame: pd.DataFrame, table_name: str, *, path: Path, value: str | None = "value") -> pd.DataFrame:
    """Check a produced table (no duplicate key, no negative quantity) and keep its columns.

    Raises
    ------
    IngestError
        Showing the first duplicated or negative rows with their line in the file.
    """
    table = TABLES[table_name]
    dup = frame.duplicated(list(table.key), keep=False)
    if dup.any():
        shown = (
            frame.loc[dup, [*table.key, LINE]] if LINE in frame.columns else frame.loc[dup, list(table.key)]
        )
        raise IngestError.from_rows(
            f"duplicate {table_name} key {list(table.key)}", shown, total=len(frame), path=str(path)
        )
    if value is not None:
        require_non_negative(frame, value, path=path)
    out = frame[table.column_names].reset_index(drop=True)
    for col in ("form", "stage", "basis", "detail", "unit"):
        if col in out.columns:
            out[col] = out[col].fillna("").astype(str)
    return out


def parse(path: Path, **options: object) -> Parsed:
    """Parse any USGS MCS file, choosing the importer from its name and header.

    Raises
    ------
    IngestError
        When the file is none of the known USGS layouts.
    """
    path = Path(path)
    head = path.read_bytes()[:4096].decode("utf-8", errors="replace").lstrip("\ufeff")
    first = head.splitlines()[0] if head else ""
    name = path.name.lower()
    if first.startswith("MCS chapter,") or "commodities_data" in name:
        from critmin.ingest import usgs_mcs2026

        return usgs_mcs2026.parse(path, **options)
    if "_salient" in name or first.startswith("DataSource,"):
        from critmin.ingest import usgs_salient

        return usgs_salient.parse(path, **options)
    if name.endswith("_world.csv") or first.startswith("Source,Country,"):
        from critmin.ingest import usgs_world

        return usgs_world.parse(path, **options)
    raise IngestError(
        "not a USGS MCS file this importer knows: expected MCS2026_Commodities_Data.csv, "
        f"*_world.csv or *_salient.csv; header starts {first[:80]!r}",
        path=str(path),
        line=1,
    )
