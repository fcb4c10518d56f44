"""USGS Mineral Commodity Summaries 2026 data release: the one long table of all chapters.

``MCS2026_Commodities_Data.csv`` (cp1252) holds, per chapter, U.S. salient statistics,
U.S. import sources 2021–24 and the world production / capacity / reserves tables. This
module turns it into the canonical ``production``, ``capacity``, ``reserves``, ``salient``,
``import_reliance`` and ``import_sources`` tables (PROVENANCE.md section 1a).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import IngestError
from critmin.harmonize.commodities import map_names
from critmin.ingest.base import Parsed, sha256_of
from critmin.ingest.common import LINE, parse_values, read_csv_records
from critmin.ingest.usgs import DATASET, INFO, finish, place_countries, salient_unit, short_basis, unit_of

RELEASE = "MCS2026"
RELEASE_DATE = date(2026, 2, 6)
ENCODING = "cp1252"
COLUMNS = (
    "MCS chapter",
    "Section",
    "Commodity",
    "Country",
    "Statistics",
    "Statistics_detail",
    "Unit",
    "Year",
    "Value",
    "Notes",
    "Other notes",
)
SALIENT_SECTION = "Salient Statistics—United States"
IMPORT_SECTION = "Import Sources"
WORLD_TABLES = {"Production": "production", "Capacity": "capacity", "Reserves": "reserves"}
WORDS = (
    "Small",
    "Very small",
    "Moderate",
    "Moderate to large",
    "Variable, depending on type of product",
    "Variable, depending on size, type, and quality",
)
"""Published qualitative values kept verbatim as flags (value NaN)."""
_RANGE = re.compile(r"^[0-9][0-9,.]*\s*[–-]\s*[0-9][0-9,.]*$")
_LOST = re.compile(r"^\?[0-9][0-9,.]*$")
"""``?1``: a character cp1252 cannot hold (a minus sign in the source) became ``?``."""
_ROUNDED = re.compile(r"(?:[:,]\s*|\s*\()rounded\)?\s*$", re.I)
MICA_BLOCKS = ("Scrap and flake", "Sheet")


def parse(path: Path, **options: object) -> Parsed:
    """Parse ``MCS2026_Commodities_Data.csv`` into canonical tables.

    Raises
    ------
    IngestError
        Wrong encoding, malformed or truncated CSV, unknown commodity label, country or
        unit, a value that is neither a number nor a known token, negative quantities,
        or duplicate keys; each names the file and line.
    """
    path = Path(path)
    rows = read_csv_records(path, encoding=ENCODING, required=COLUMNS)
    for col in COLUMNS:
        rows[col] = rows[col].str.split().str.join(" ")  # also turns no-break spaces into spaces
    if rows.empty:
        raise IngestError("no data rows", path=str(path), line=2)
    values, flags = _values(rows, path)
    rows["value"] = values
    rows["flag"] = flags.fillna("")
    salient_rows = rows[rows["Section"] == SALIENT_SECTION]
    import_rows = rows[rows["Section"] == IMPORT_SECTION]
    world_rows = rows[~rows.index.isin(salient_rows.index.union(import_rows.index))]
    tables = _world(world_rows, path)
    tables.update(_salient(salient_rows, path))
    tables["import_sources"] = _import_sources(import_rows, path)
    return Parsed(
        info=INFO,
        dataset=DATASET,
        release=RELEASE,
        release_date=RELEASE_DATE,
        path=path,
        sha256=sha256_of(path),
        tables=tables,
        notes="MCS2026 data release (doi:10.5066/P1WKQ63T); the CSV predates the PDF's v1.3 revision.",
        counts={name: len(frame) for name, frame in tables.items()},
    )


def _values(rows: pd.DataFrame, path: Path) -> tuple[pd.Series, pd.Series]:
    text = rows["Value"]
    special = text.isin(WORDS) | text.str.match(_RANGE) | text.str.match(_LOST)
    extra = {t: t for t in text[special].unique()}
    return parse_values(text, path=path, column="Value", lines=rows[LINE], extra_flags=extra)


def _years(rows: pd.DataFrame, path: Path) -> pd.Series:
    years = pd.to_numeric(rows["Year"], errors="coerce")
    bad = years.isna() | (years < 1900) | (years > 2100)
    if bad.any():
        raise IngestError.from_rows(
            "Year is not a year",
            rows.loc[bad, ["Year", LINE]],
            total=len(rows),
            path=str(path),
            column="Year",
        )
    return years.astype(int)


def _estimated(rows: pd.DataFrame, years: pd.Series) -> pd.Series:
    notes = rows["Notes"].str.lower()
    said = notes.str.contains(r"\bestimated\.", regex=True) | notes.str.startswith("estimated")
    latest = (years == years.max()) & ~notes.str.contains("reported", regex=False)
    return (said | latest).astype(bool)


def _world(rows: pd.DataFrame, path: Path) -> dict[str, pd.DataFrame]:
    unknown = ~rows["Statistics"].isin(list(WORLD_TABLES))
    if unknown.any():
        raise IngestError.from_rows(
            "world-table rows must be Production, Capacity or Reserves",
            rows.loc[unknown, ["Section", "Statistics", LINE]],
            total=len(rows),
            path=str(path),
            column="Statistics",
        )
    rows = rows.copy()
    rows["detail_key"] = rows["Statistics_detail"].str.replace(_ROUNDED, "", regex=True).str.strip()
    mapped = map_names("usgs_mcs2026", rows["Commodity"], rows["detail_key"], path=str(path))
    rows = rows.join(mapped)[mapped["keep"]]
    rows["country"], rows["is_aggregate"], _ = place_countries(rows, "Country", path=path)
    rows["year"] = _years(rows, path)
    rows["estimated"] = _estimated(rows, rows["year"])
    units = [unit_of(u, path=path, line=ln) for u, ln in zip(rows["Unit"], rows[LINE], strict=True)]
    rows["unit"] = [u for u, _ in units]
    chapter_basis = rows["Other notes"].map(_chapter_basis)
    detail_basis = rows["detail_key"].map(short_basis)
    unit_basis = pd.Series([b for _, b in units], index=rows.index)
    rows["basis"] = detail_basis.where(detail_basis != "", chapter_basis).where(
        (detail_basis != "") | (chapter_basis != ""), unit_basis
    )
    rows["source_label"] = rows["Commodity"] + ": " + rows["Statistics_detail"]
    out: dict[str, pd.DataFrame] = {}
    for statistic, table in WORLD_TABLES.items():
        part = rows[rows["Statistics"] == statistic]
        out[table] = finish(part, table, path=path)
    return out


def _chapter_basis(note: str) -> str:
    found = re.match(r"^\(Data in (.*?),? unless otherwise specified\)", note or "")
    if not found:
        return ""
    parts = found.group(1).split(",", 1)
    return short_basis(parts[1]) if len(parts) > 1 else ""


def _labels(rows: pd.DataFrame, path: Path) -> pd.Series:
    mapped = map_names("usgs_mcs_label", rows["Commodity"], None, path=str(path))
    return mapped["commodity"]


def _salient(rows: pd.DataFrame, path: Path) -> dict[str, pd.DataFrame]:
    rows = rows.copy()
    rows["commodity"] = _labels(rows, path)
    rows["country"], _, _ = place_countries(rows, "Country", path=path)
    rows["year"] = _years(rows, path)
    rows["statistic"] = rows["Statistics"]
    rows["detail"] = _salient_detail(rows)
    rows["unit"] = rows["Unit"].map(salient_unit)
    salient = finish(rows, "salient", path=path, value=None)
    nir = rows[rows["Statistics"] == "Net import reliance"].copy()
    nir["value_pct"] = nir["value"]
    reliance = finish(nir, "import_reliance", path=path, value="value_pct")
    return {"salient": salient, "import_reliance": reliance}


def _salient_detail(rows: pd.DataFrame) -> pd.Series:
    """Statistics_detail, made unique where the source repeats it.

    The mica chapter lists scrap-and-flake then sheet statistics under one label with the
    same details: the sheet block starts at its "Sold or used" row. Labels that map to one
    commodity and repeat a detail (e.g. "Granite Only" under dimension stone) get the
    label as prefix.
    """
    detail = rows["Statistics_detail"].copy()
    mica = rows["Commodity"].str.lower() == "mica (natural)"
    if mica.any():
        block = pd.Series(0, index=rows.index)
        for _, group in rows[mica].groupby("Year", sort=False):
            starts = group.index[group["Statistics"] == "Sold or used"]
            if len(starts):
                block.loc[group.index[group.index >= starts[0]]] = 1
        prefix = block[mica].map(lambda b: MICA_BLOCKS[b])
        detail.loc[mica] = prefix + ": " + detail[mica]
    key = pd.DataFrame({"c": rows["commodity"], "s": rows["Statistics"], "d": detail, "y": rows["Year"]})
    clash = key.duplicated(keep=False) & (rows.groupby("commodity")["Commodity"].transform("nunique") > 1)
    detail.loc[clash] = rows.loc[clash, "Commodity"] + ": " + detail[clash]
    return detail


def _import_sources(rows: pd.DataFrame, path: Path) -> pd.DataFrame:
    rows = rows.copy()
    bad_unit = rows["Unit"] != "percent"
    if bad_unit.any():
        raise IngestError.from_rows(
            "import-source shares must be in percent",
            rows.loc[bad_unit, ["Unit", LINE]],
            total=len(rows),
            path=str(path),
            column="Unit",
        )
    rows["commodity"] = _labels(rows, path)
    rows["exporter"], rows["is_aggregate"], _ = place_countries(rows, "Country", path=path)
    rows["importer"] = "USA"
    rows["detail"] = rows["Statistics_detail"]
    rows["period"] = rows["Year"].str.replace("-", "–", regex=False)
    rows["share_pct"] = rows["value"].astype(float)
    over = rows["share_pct"] > 100
    if over.any():
        raise IngestError.from_rows(
            "share above 100%",
            rows.loc[over, ["Commodity", "Country", "Value", LINE]],
            total=len(rows),
            path=str(path),
            column="Value",
        )
    rows.loc[rows["share_pct"].isna() & (rows["flag"] == ""), "share_pct"] = np.nan
    return finish(rows, "import_sources", path=path, value="share_pct")
