"""World Bank Worldwide Governance Indicators (WGI): the official long CSV into ``governance``.

The file is the long table that comes with ``wgidataset.xlsx``: one row per economy, year and
indicator, with the columns ``codeindyr, code, countryname, year, indicator, estimate,
stddev, nsource, pctrank, pctranklower, pctrankupper``. Missing values are ``..``.

What this importer does
-----------------------
- Checks the header (a wide or other WGI layout is refused, naming the missing columns), that
  ``codeindyr`` is ``code + indicator + year`` on every row (a shifted column would break it)
  and that the indicators are exactly the six WGI ones.
- Places WGI's own codes (``ZAR`` DR Congo, ``ROM`` Romania, ``TMP`` Timor-Leste, ``ADO``
  Andorra, ``KSV`` Kosovo, ``WBG`` West Bank and Gaza) through the alias table and checks
  every other code is a real ISO3 code. ``ANT`` (Netherlands Antilles, estimates 2004-2013) is
  kept under its former code, which the aggregate table lists as a former territory.
- Keeps rows whose estimate is missing (``..``) with NULL values: the economy is in the WGI
  universe that year but has no estimate. Their number is in the vintage notes.
- The percentile bounds (``pctranklower``, ``pctrankupper``) are checked but not stored.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import IngestError
from critmin.harmonize.countries import EU, OTHER, WORLD, to_iso3
from critmin.ingest.base import Parsed, SourceInfo, sha256_of
from critmin.ingest.common import LINE, read_csv_records
from critmin.schema import GOVERNANCE

INFO = SourceInfo(
    source="wgi",
    title="Worldwide Governance Indicators",
    publisher="World Bank",
    licence="CC BY 4.0",
    citation=(
        "Kaufmann, D., Kraay, A. and Mastruzzi, M., Worldwide Governance Indicators, 2024 update "
        "(World Bank, www.govindicators.org); methodology: Kaufmann & Kraay (2024), The Worldwide "
        "Governance Indicators: Methodology and 2024 Update, World Bank Policy Research Working Paper 10952"
    ),
    url="https://www.worldbank.org/en/publication/worldwide-governance-indicators",
    bundled=True,
)

INDICATORS: dict[str, str] = {
    "va": "Voice and Accountability",
    "pv": "Political Stability and Absence of Violence/Terrorism",
    "ge": "Government Effectiveness",
    "rq": "Regulatory Quality",
    "rl": "Rule of Law",
    "cc": "Control of Corruption",
}
"""The six WGI indicators by their code in the long file."""

COLUMNS = (
    "codeindyr",
    "code",
    "countryname",
    "year",
    "indicator",
    "estimate",
    "stddev",
    "nsource",
    "pctrank",
    "pctranklower",
    "pctrankupper",
)
MISSING = ".."
NUMERIC = ("estimate", "stddev", "nsource", "pctrank", "pctranklower", "pctrankupper")

RELEASE_DATES: dict[str, date] = {
    "WGI 2024 update": date(2024, 11, 7),
}
"""Publication dates of the releases we know. 2024 update: the World Bank's Open Knowledge
Repository lists its methodology paper (Policy Research Working Paper 10952, "Methodology and
2024 Update", 214 economies, 1996-2023) as published 2024-11-07; no separate date for the data
files was found, and our copy was uploaded to GitHub on 2024-12-11, so the release is no later."""

ESTIMATE_BOUND = 5.0
"""WGI estimates are standard-normal units (about -2.5 to 2.5); beyond +-5 the column is wrong."""


def parse(
    path: Path, *, release: str | None = None, release_date: date | None = None, **options: object
) -> Parsed:
    """Parse the WGI long CSV into the ``governance`` table.

    Parameters
    ----------
    path
        ``wgidataset.csv`` (long format, as shipped with the WGI Excel file).
    release
        The release label; by default ``"WGI <last year + 1> update"`` (the update published in
        year Y carries estimates up to Y-1).
    release_date
        Publication date; required for a release not in :data:`RELEASE_DATES`.
    **options
        Other importer options (such as ``progress``) are accepted and unused: the file is small.

    Returns
    -------
    Parsed
        One ``governance`` frame; rows without an estimate are kept with NULL values.

    Raises
    ------
    IngestError
        Missing columns, a broken ``codeindyr``, an unknown or missing indicator, a value that is
        not a number, an out-of-range value, an unknown country code or a duplicate key.
    """
    records = read_csv_records(path, required=COLUMNS)
    if records.empty:
        raise IngestError("no data rows", path=str(path), line=2)
    for column in ("code", "indicator", "year"):
        records[column] = records[column].str.strip()

    years = pd.to_numeric(records["year"], errors="coerce")
    _fail_rows(records, years.isna() | (years % 1 != 0), "year is not a whole number", path, "year")
    records["year"] = years.astype(int)

    unknown = ~records["indicator"].isin(list(INDICATORS))
    _fail_rows(
        records, unknown, f"indicator not one of the six WGI codes {list(INDICATORS)}", path, "indicator"
    )
    absent = sorted(set(INDICATORS) - set(records["indicator"]))
    if absent:
        raise IngestError(f"indicator(s) {absent} never occur; a WGI release has all six", path=str(path))

    expected = records["code"] + records["indicator"] + records["year"].astype(str)
    _fail_rows(
        records,
        records["codeindyr"].str.strip() != expected,
        "codeindyr is not code + indicator + year (shifted or edited columns?)",
        path,
        "codeindyr",
    )

    values = {column: _numbers(records, column, path) for column in NUMERIC}
    _check_ranges(records, values, path)

    codes, _ = to_iso3(records["code"], path=str(path))
    records["country"] = codes
    groups = records["country"].isin([WORLD, OTHER, EU])
    _fail_rows(records, groups, "a group of countries where an economy is expected", path, "code")

    table = pd.DataFrame(
        {
            "country": records["country"].astype(str),
            "year": records["year"].astype("int16"),
            "indicator": records["indicator"],
            "estimate": values["estimate"],
            "stddev": values["stddev"],
            "nsource": values["nsource"],
            "pctrank": values["pctrank"],
        }
    )
    duplicated = table.duplicated(list(GOVERNANCE.key), keep=False)
    if duplicated.any():
        shown = records.loc[duplicated, ["code", "year", "indicator", LINE]]
        raise IngestError.from_rows(
            "duplicate (country, year, indicator)", shown, total=len(table), path=str(path), column="code"
        )

    last_year = int(table["year"].max())
    label = release or f"WGI {last_year + 1} update"
    published = release_date or RELEASE_DATES.get(label)
    if published is None:
        raise IngestError(
            f"no known publication date for release {label!r}; pass release_date=", path=str(path)
        )
    missing = int(table["estimate"].isna().sum())
    legacy = sorted(
        f"{code}->{iso}"
        for code, iso in set(zip(records["code"], records["country"], strict=True))
        if code != iso
    )
    notes = (
        f"{table['country'].nunique()} economies, years {int(table['year'].min())}-{last_year}, "
        f"indicators {', '.join(INDICATORS)}. {missing} of {len(table)} rows have no estimate ('..') "
        f"and are kept with NULL values. WGI codes placed through aliases: {', '.join(legacy)}. "
        f"Release date {published.isoformat()}: publication of the update's methodology paper "
        "(World Bank Policy Research Working Paper 10952) on the Open Knowledge Repository."
    )
    return Parsed(
        info=INFO,
        dataset="wgi",
        release=label,
        release_date=published,
        path=path,
        sha256=sha256_of(path),
        tables={GOVERNANCE.name: table[GOVERNANCE.column_names].reset_index(drop=True)},
        notes=notes,
        counts={GOVERNANCE.name: len(table), "missing_estimates": missing},
    )


def _numbers(records: pd.DataFrame, column: str, path: Path) -> pd.Series:
    """A numeric column where ``..`` (or an empty cell) is missing and anything else must be a number."""
    text = records[column].str.strip()
    blank = text.isin([MISSING, ""])
    numbers = pd.to_numeric(text.where(~blank), errors="coerce")
    _fail_rows(
        records, numbers.isna() & ~blank, f"{column} is neither a number nor '{MISSING}'", path, column
    )
    return numbers.astype("float64")


def _check_ranges(records: pd.DataFrame, values: dict[str, pd.Series], path: Path) -> None:
    """Reject values no WGI release can hold: negative errors or counts, percentiles beyond 0-100."""
    checks = {
        "estimate": values["estimate"].abs() > ESTIMATE_BOUND,
        "stddev": values["stddev"] < 0,
        "nsource": values["nsource"] < 0,
    }
    for column in ("pctrank", "pctranklower", "pctrankupper"):
        checks[column] = (values[column] < 0) | (values[column] > 100)
    for column, bad in checks.items():
        _fail_rows(records, bad.fillna(False).astype(bool), f"{column} out of range", path, column)


def _fail_rows(records: pd.DataFrame, bad: pd.Series, message: str, path: Path, column: str) -> None:
    """Raise showing the first rows where ``bad`` holds, with their line numbers."""
    mask = np.asarray(bad, dtype=bool)
    if mask.any():
        shown = records.loc[mask, list(dict.fromkeys(["code", "year", "indicator", column, LINE]))]
        raise IngestError.from_rows(message, shown, total=len(records), path=str(path), column=column)
