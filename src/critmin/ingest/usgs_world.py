"""USGS MCS2022–2024 per-commodity world tables (``*_world.csv``).

Columns ``Source, Country, Type, Prod_<unit>[_est]_<year>..., Prod_notes, Reserves_<unit>,
Reserves_notes`` and sometimes ``Cap_...``; the unit (and for some files a qualifier such
as ``Sponge``, ``Pigment`` or ``ore``) sits in the column name (PROVENANCE.md 1b–1d).
Quirks handled: UTF-8 BOM, trailing empty columns and blank rows, thousands separators,
footnote digits and estimate markers glued to country names, barite's duplicate reserves
column, ``MCS 2024`` with a space, an empty Source column, fluorspar's Type header.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from critmin.errors import IngestError
from critmin.harmonize.commodities import map_names
from critmin.ingest.base import Parsed
from critmin.ingest.common import LINE, parse_values, read_csv_records
from critmin.ingest.usgs import RELEASE_DATES, finish, parsed_file, place_countries, short_basis, unit_of

_CODE = re.compile(r"mcs(20\d\d)-?([a-z-]+)_world\.csv$", re.I)
_VALUE_COLUMN = re.compile(r"^(Prod|Cap|Reserves)_(.+)$", re.I)
QUALIFIERS: dict[str, dict[str, str]] = {
    "sponge": {},
    "pigment": {"commodity": "titanium_dioxide_pigment", "stage": "plant", "form": ""},
    "ore": {"form": "ore", "basis": "gross weight"},
    "ore_k2o_equiv": {"form": ""},
}
"""Qualifiers in value-column names and what they change in the mapped row."""
WORDS = (
    "less than ½ unit.",
    "included in world total.",
    "included with ilmenite",
    'categorized as "large"',
    "very small",
    "small",
    "moderate",
)
"""Published words in value cells, kept verbatim as flags (value NaN); lower case. Cells
starting "Included ..." are flags too. ``XX`` (not applicable) cells are dropped: e.g. the
reserve cells of copper refinery rows."""


def parse(path: Path, **options: object) -> Parsed:
    """Parse one ``*_world.csv`` file of MCS2022, MCS2023 or MCS2024.

    Raises
    ------
    IngestError
        Unknown layout, commodity Type, country or unit; bad values; negative quantities;
        duplicate keys. Each names the file and line.
    """
    path = Path(path)
    found = _CODE.search(path.name)
    if not found:
        raise IngestError("file name should look like mcs2024-<code>_world.csv", path=str(path))
    code = found.group(2).lower()
    rows = read_csv_records(path, encoding="utf-8", required=("Source", "Country"))
    header = [c for c in rows.columns if c != LINE]
    rows = rows.rename(columns={header[2]: "Type"})
    rows = rows[rows["Country"].str.strip() != ""].copy()
    if rows.empty:
        raise IngestError("no data rows", path=str(path), line=2)
    release = _release(rows, found.group(1), path)
    _check_blank_columns(rows, header, path)
    rows["Type"] = rows["Type"].map(lambda t: " ".join(str(t).split()))
    mapped = map_names("usgs_world", pd.Series(code, index=rows.index), rows["Type"], path=str(path))
    rows = rows.join(mapped)
    rows["country"], rows["is_aggregate"], rows["glued_e"] = place_countries(
        rows, "Country", path=path, glued_estimate=True
    )
    qualifier = rows["Country"].str.extract(r"\(([^()]+)\)\s*$")[0].fillna("")
    repeat = rows.duplicated(["Type", "country"]) & (qualifier != "")
    rows.loc[repeat, "form"] = qualifier[repeat]
    reserves_year = int(release[3:]) - 1
    long = _melt(rows, header, reserves_year, path)
    long = long[long["keep"]]
    long["source_label"] = code + ": " + long["Type"] + " [" + long["column"] + "]" + long["unit_note"]
    tables = {
        name: finish(long[long["table"] == name], name, path=path)
        for name in ("production", "capacity", "reserves")
        if (long["table"] == name).any()
    }
    return parsed_file(path, release, tables, "world")


def _release(rows: pd.DataFrame, year_in_name: str, path: Path) -> str:
    sources = {s.replace(" ", "").upper() for s in rows["Source"] if s.strip()}
    from_name = f"MCS{year_in_name}"
    if len(sources) > 1 or (sources and sources != {from_name}):
        raise IngestError(
            f"Source column says {sorted(sources)} but the file name says {from_name}",
            path=str(path),
            column="Source",
        )
    if from_name not in RELEASE_DATES:
        raise IngestError(f"unknown release {from_name}; known {sorted(RELEASE_DATES)}", path=str(path))
    return from_name


def _check_blank_columns(rows: pd.DataFrame, header: list[str], path: Path) -> None:
    """Columns without a header must be empty or repeat the reserves column (barite)."""
    reserves = [c for c in header if c.lower().startswith("reserves_") and "note" not in c.lower()]
    for col in header:
        if "note" in col.lower() and rows[col].str.strip().str.fullmatch(r"[0-9][0-9,]*").sum() > 1:
            raise IngestError(
                "numbers in a notes column: the header is missing a column, so values cannot be assigned "
                "reliably (misaligned in the source)",
                path=str(path),
                column=col,
            )
        if col.split(".")[0] != "" or not rows[col].str.strip().any():
            continue
        filled = rows[col].str.strip()
        if not filled[filled != ""].str.match(r"^[0-9][0-9,. ]*$").all():
            continue  # notes spilled past the last header (mcs2024-vermi): text, not values
        if not reserves:
            raise IngestError("values in a column without a header", path=str(path), column=col)
        a, _ = parse_values(rows[col], path=path, column=col, lines=rows[LINE])
        b, _ = parse_values(rows[reserves[0]], path=path, column=reserves[0], lines=rows[LINE])
        if not a.fillna(-1).equals(b.fillna(-1)):
            raise IngestError(
                f"a column without a header holds values that differ from {reserves[0]}", path=str(path)
            )


def _parse_column(name: str, path: Path) -> tuple[str, str, str, int | None, bool, str] | None:
    """(table, unit, basis, year, estimated, qualifier) of a value column, None for notes."""
    found = _VALUE_COLUMN.match(name)
    if not found or "note" in name.lower():
        return None
    kind = found.group(1).lower()
    tokens = found.group(2).split("_")
    year = int(tokens.pop()) if re.fullmatch(r"20\d\d", tokens[-1]) else None
    estimated = any(t.lower() == "est" for t in tokens)
    tokens = [t for t in tokens if t.lower() != "est"]
    units = [t for t in tokens if t.lower() in ("t", "kt", "mt", "mmt", "kg", "mct", "kct", "mcm")]
    if len(units) != 1:
        raise IngestError(f"cannot read the unit of column {name!r}", path=str(path), line=1, column=name)
    unit, basis = unit_of(units[0], path=path, line=1)
    qualifier = "_".join(t for t in tokens if t not in units).lower()
    if qualifier and qualifier not in QUALIFIERS:
        raise IngestError(f"unknown qualifier {qualifier!r} in column {name!r}", path=str(path), column=name)
    table = {"prod": "production", "cap": "capacity", "reserves": "reserves"}[kind]
    if table != "reserves" and year is None:
        raise IngestError(f"no year in column {name!r}", path=str(path), line=1, column=name)
    return table, unit, basis, year, estimated, qualifier


UNIT_FROM_NOTES = " (unit: thousand metric tons, as Prod_notes says; the header says t)"
"""Appended to the source label of a value whose header unit contradicts its notes: mcs2023-chrom's
``Prod_t_2021`` columns hold thousand tonnes (Finland 2,270 = 2.27 Mt of chromite, as MCS2024 has it
under ``Prod_kt_2022``)."""


def _notes_say_thousand_tonnes(rows: pd.DataFrame, header: list[str]) -> pd.Series:
    """Rows whose production notes state the unit as thousand metric tons."""
    columns = [c for c in header if c.lower().startswith("prod_note")]
    said = pd.Series(False, index=rows.index)
    for col in columns:
        said |= rows[col].astype(str).str.strip().str.lower().str.startswith("units are thousand metric tons")
    return said


def _melt(rows: pd.DataFrame, header: list[str], reserves_year: int, path: Path) -> pd.DataFrame:
    notes = rows[[c for c in header if "note" in c.lower()]].astype(str).agg(" ".join, axis=1).str.lower()
    type_basis = rows["Type"].map(short_basis)
    parts = []
    for col in header:
        spec = _parse_column(col, path)
        if spec is None:
            continue
        table, unit, unit_basis, year, estimated, qualifier = spec
        part = rows.copy()
        text = rows[col].str.strip()
        marked = text.str.match(r"^e[0-9]")
        wordy = text.str.lower().isin(WORDS) | text.str.lower().str.startswith("included ")
        extra = {t: t for t in text[wordy].unique()}
        part["value"], flag = parse_values(
            text.where(~marked, text.str[1:]), path=path, column=col, lines=rows[LINE], extra_flags=extra
        )
        part["flag"] = flag.fillna("")
        part["column"] = col
        part["unit_note"] = ""
        part["unit"] = unit
        if table == "production" and unit == "t":
            thousands = _notes_say_thousand_tonnes(rows, header)
            part.loc[thousands, ["unit", "unit_note"]] = ["kt", UNIT_FROM_NOTES]
        part["year"] = reserves_year if year is None else year
        also = notes.str.contains("estimat") & notes.str.contains(str(part["year"].iloc[0]))
        part["estimated"] = estimated | also | part["glued_e"] | marked
        part["basis"] = type_basis.where(type_basis != "", unit_basis)
        part["table"] = table
        if table == "production":
            part.loc[part["Type"].str.lower().str.match(r"(clinker|plant) capacity"), "table"] = "capacity"
        for key, value in QUALIFIERS.get(qualifier, {}).items():
            part[key] = value
        parts.append(part)
    if not parts:
        raise IngestError("no Prod_, Cap_ or Reserves_ value columns", path=str(path), line=1)
    long = pd.concat(parts, ignore_index=True)
    return long[(long["value"].notna() | (long["flag"] != "")) & (long["flag"] != "XX")]
