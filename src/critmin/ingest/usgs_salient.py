"""USGS MCS2022–2024 per-commodity salient tables (``*_salient.csv``): U.S. statistics.

Columns ``DataSource, Commodity, Year`` then one column per statistic, named
``<Statistic>_<detail>_<unit>`` (``USprod_Mine_t``, ``Price_Spot_dlb``, ``NIR_pct``).
Every value becomes a ``salient`` row (country USA, detail = the column name as published);
``NIR_*`` columns also go to ``import_reliance``. Files that hold a world table in place of
salient data (three MCS2024 files, PROVENANCE.md 1b) are refused.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from critmin.errors import IngestError
from critmin.harmonize.commodities import map_names
from critmin.ingest.base import Parsed
from critmin.ingest.common import LINE, parse_values, read_csv_records
from critmin.ingest.usgs import RELEASE_DATES, finish, parsed_file, salient_unit

STATISTICS = {
    "usprod": "Production",
    "prod": "Production",
    "imports": "Import",
    "exports": "Export",
    "consump": "Consumption",
    "price": "Price",
    "stocks": "Stock",
    "employment": "Employment",
    "nir": "Net import reliance",
}
"""Column-name prefix -> statistic; other prefixes are kept as published."""
_RELEASE = re.compile(r"mcs[ _]?(20\d\d)", re.I)
_WORDS = re.compile(r"^(?:Less than|More than|Included)\b.*$|^[A-Za-z][A-Za-z ,.()'\"½-]*$")
_RANGE = re.compile(r"^[0-9][0-9,.]*\s*[–-]\s*[0-9][0-9,.]*$")
"""Published words ("Less than 1/2 unit.") and ranges ("50–300") are kept verbatim as flags;
a leading ``e`` glued to a number (``e150``) is the estimate marker: value kept, flag ``e``;
``−`` (U+2212) is a minus sign and ``>50%`` a bound."""


def parse(path: Path, **options: object) -> Parsed:
    """Parse one ``*_salient.csv`` file of MCS2022, MCS2023 or MCS2024.

    Raises
    ------
    IngestError
        A file holding a world table (the ``_DEFECTIVE_contains_world_table`` files), an
        unknown commodity label, a bad year or value, or a duplicate key.
    """
    path = Path(path)
    rows = read_csv_records(path, encoding="utf-8")
    header = [c for c in rows.columns if c != LINE]
    if header[:3] == ["Source", "Country", "Type"] or "DEFECTIVE" in path.name:
        raise IngestError(
            "this salient file holds a world production table instead of U.S. salient statistics "
            "(defective in the USGS source: PROVENANCE.md 1b); use the world file or another release",
            path=str(path),
            line=1,
        )
    if header[:3] != ["DataSource", "Commodity", "Year"]:
        raise IngestError(
            f"expected columns DataSource, Commodity, Year first; the header has {header[:5]}",
            path=str(path),
            line=1,
        )
    rows = rows[rows["Commodity"].str.strip() != ""].copy()
    if rows.empty:
        raise IngestError("no data rows", path=str(path), line=2)
    release = _release(rows, path)
    rows["commodity"] = map_names("usgs_mcs_label", rows["Commodity"], None, path=str(path))["commodity"]
    years = pd.to_numeric(rows["Year"].str.strip(), errors="coerce")
    if years.isna().any():
        bad = rows[years.isna()]
        raise IngestError.from_rows(
            "Year is not a year", bad[["Year", LINE]], total=len(rows), path=str(path)
        )
    rows["year"] = years.astype(int)
    parts = []
    for col in header[3:]:
        if not col or col.split(".")[0] == "" or col.startswith("Unnamed"):
            filled = rows[rows[col].str.strip() != ""]
            if len(filled):
                raise IngestError(
                    "values beyond the last named column: the header is missing column(s), so the values "
                    "cannot be assigned to statistics reliably (misaligned in the source)",
                    path=str(path),
                    line=int(filled[LINE].iloc[0]),
                )
            continue
        text = rows[col].str.strip().str.replace("\u2212", "-", regex=False).str.removesuffix("%")
        marked = text.str.match(r"^e[0-9]")
        text = text.where(~marked, text.str[1:])
        words = text[
            (text.str.match(_WORDS) | text.str.match(_RANGE)) & ~text.isin(["W", "NA", "XX", "E", "Large"])
        ]
        value, flag = parse_values(
            text, path=path, column=col, lines=rows[LINE], extra_flags={w: w for w in words.unique()}
        )
        flag[marked] = "e"
        prefix, _, rest = col.partition("_")
        part = rows[["commodity", "year", LINE]].copy()
        part["statistic"] = STATISTICS.get(prefix.lower(), prefix)
        part["detail"] = col
        part["unit"] = salient_unit(rest.rsplit("_", 1)[-1]) if rest else ""
        part["value"] = value
        part["flag"] = flag.fillna("")
        parts.append(part[(text != "")])
    long = pd.concat(parts, ignore_index=True)
    long["country"] = "USA"
    salient = finish(long, "salient", path=path, value=None)
    nir = long[long["statistic"] == "Net import reliance"].copy()
    nir["value_pct"] = nir["value"]
    tables = {
        "salient": salient,
        "import_reliance": finish(nir, "import_reliance", path=path, value="value_pct"),
    }
    return parsed_file(path, release, tables, "salient")


def _release(rows: pd.DataFrame, path: Path) -> str:
    labels = {s.replace(" ", "").upper() for s in rows["DataSource"] if s.strip()}
    named = _RELEASE.search(path.name)
    from_name = f"MCS{named.group(1)}" if named else None
    if len(labels) > 1 or (labels and from_name and labels != {from_name}):
        raise IngestError(
            f"DataSource says {sorted(labels)} but the file name says {from_name}",
            path=str(path),
            column="DataSource",
        )
    release = next(iter(labels)) if labels else from_name
    if release not in RELEASE_DATES:
        raise IngestError(f"unknown release {release}; known {sorted(RELEASE_DATES)}", path=str(path))
    return release
