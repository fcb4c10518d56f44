"""Official critical-mineral lists (hand-compiled reference table) into ``lists``.

The file ``critical_mineral_lists.csv`` has one row per listed mineral with the columns
``jurisdiction, list_name, list_year, mineral, designation_detail, source, verification_note``.
It was compiled by critmin from the official publications (US Federal Register, EU CRMA
annexes, India's Ministry of Mines, JOGMEC/METI) and checked row by row; each row's
``source`` is kept as its citation and ``verification_note`` as its verification status.

What this importer does
-----------------------
- Places the jurisdiction: a country name or code becomes ISO3, the EU becomes ``EUU``.
- Maps every listed name (``"bauxite/alumina/aluminium"``, ``"carbon(graphite)"``,
  ``"platinum group elements"``, ``"phosphorous"``, ``"metallurgical_coal"``, ...) to a catalog
  commodity through ``names_lists.csv``, keeping the name as listed in ``listed_name``. Groups
  map to the group id (``pgm``, ``rare_earths``, ``rare_earths_heavy``, ``rare_earths_light``).
- Refuses a repeated header row, an empty name, a list year that is not a year, and duplicate
  (jurisdiction, list, year, commodity, listed name) rows.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import IngestError
from critmin.harmonize.commodities import map_names
from critmin.harmonize.countries import to_iso3
from critmin.ingest.base import Parsed, SourceInfo, sha256_of
from critmin.ingest.common import LINE, read_csv_records
from critmin.schema import LISTS

INFO = SourceInfo(
    source="critmin_lists",
    title="Official critical-mineral lists (USA 2022 and 2025, EU 2023, India 2023, Japan)",
    publisher="critmin (compiled from official publications)",
    licence="Compiled by critmin from public official publications (facts; CC BY 4.0 for the compilation)",
    citation=(
        "critmin reference table of official critical-mineral lists, compiled from: US Federal Register "
        "87 FR 10381 (2022) and the 2025 final list (7 Nov 2025); Regulation (EU) 2024/1252 Annexes I-II; "
        "Ministry of Mines (India), Critical Minerals for India (2023); JOGMEC/METI rare-metal stockpiling "
        "scope. Each row cites its own source."
    ),
    url="",
    bundled=True,
)

COLUMNS = (
    "jurisdiction",
    "list_name",
    "list_year",
    "mineral",
    "designation_detail",
    "source",
    "verification_note",
)
MAPPING_SOURCE = "lists"
"""The ``source`` value of this table's rows in ``names_lists.csv``."""

RELEASE = "lists 2026-11"
RELEASE_DATE = date(2026, 11, 25)
"""Date the compilation was completed and checked (the file and PROVENANCE.md of 25 Nov 2026)."""

FIRST_LIST_YEAR = 1990


def parse(
    path: Path, *, release: str | None = None, release_date: date | None = None, **options: object
) -> Parsed:
    """Parse the critical-mineral lists table into ``lists``.

    Parameters
    ----------
    path
        ``critical_mineral_lists.csv``.
    release, release_date
        Label and date of the compilation; by default :data:`RELEASE` and :data:`RELEASE_DATE`.
    **options
        Other importer options (such as ``progress``) are accepted and unused: the file is small.

    Returns
    -------
    Parsed
        One ``lists`` frame, one row per jurisdiction, list, year and listed mineral.

    Raises
    ------
    IngestError
        Missing columns, a repeated header, an empty name, a bad year, an unknown jurisdiction
        or mineral name, or duplicate rows.
    """
    records = read_csv_records(path, required=COLUMNS)
    if records.empty:
        raise IngestError("no data rows", path=str(path), line=2)
    for column in COLUMNS:
        records[column] = records[column].str.strip()

    header_again = records["mineral"].str.lower() == "mineral"
    _fail_rows(
        records,
        header_again,
        "the header repeated as a data row (two files pasted together?)",
        path,
        "mineral",
    )
    for column in ("jurisdiction", "list_name", "list_year", "mineral"):
        _fail_rows(records, records[column] == "", f"empty {column}", path, column)

    years = pd.to_numeric(records["list_year"], errors="coerce")
    this_year = date.today().year
    bad_year = years.isna() | (years % 1 != 0) | (years < FIRST_LIST_YEAR) | (years > this_year + 1)
    _fail_rows(
        records,
        bad_year,
        f"list_year is not a year between {FIRST_LIST_YEAR} and {this_year + 1}",
        path,
        "list_year",
    )

    codes, _ = to_iso3(records["jurisdiction"], path=str(path))
    records["code"] = codes

    mapped = map_names(MAPPING_SOURCE, records["mineral"], path=str(path))
    dropped = ~mapped["keep"]
    _fail_rows(
        records,
        dropped,
        "names_lists.csv drops this name, but every listed mineral must be kept",
        path,
        "mineral",
    )

    table = pd.DataFrame(
        {
            "jurisdiction": records["code"].astype(str),
            "list_name": records["list_name"],
            "list_year": years.astype("int16"),
            "commodity": mapped["commodity"],
            "listed_name": records["mineral"],
            "designation": records["designation_detail"],
            "citation": records["source"],
            "verification": records["verification_note"],
        }
    )
    duplicated = table.duplicated(list(LISTS.key), keep=False)
    if duplicated.any():
        shown = records.loc[duplicated, ["jurisdiction", "list_name", "list_year", "mineral", LINE]]
        raise IngestError.from_rows(
            "the same mineral listed twice in one list",
            shown,
            total=len(table),
            path=str(path),
            column="mineral",
        )

    sizes = table.groupby(["jurisdiction", "list_year"]).size().reset_index(name="n")
    summary = "; ".join(
        f"{j} {y}: {n}" for j, y, n in zip(sizes["jurisdiction"], sizes["list_year"], sizes["n"], strict=True)
    )
    notes = (
        f"{len(table)} listed minerals in {len(sizes)} lists ({summary}). Names mapped through "
        "names_lists.csv; the name as listed is kept in listed_name. Hand-compiled reference table: "
        "each row cites its own source; verification notes say confirmed, partly confirmed or unverified."
    )
    return Parsed(
        info=INFO,
        dataset="lists",
        release=release or RELEASE,
        release_date=release_date or RELEASE_DATE,
        path=path,
        sha256=sha256_of(path),
        tables={LISTS.name: table[LISTS.column_names].reset_index(drop=True)},
        notes=notes,
        counts={LISTS.name: len(table)},
    )


def _fail_rows(records: pd.DataFrame, bad: pd.Series, message: str, path: Path, column: str) -> None:
    """Raise showing the first rows where ``bad`` holds, with their line numbers."""
    mask = np.asarray(bad, dtype=bool)
    if mask.any():
        shown = records.loc[mask, list(dict.fromkeys(["jurisdiction", "list_year", "mineral", column, LINE]))]
        raise IngestError.from_rows(message, shown, total=len(records), path=str(path), column=column)
