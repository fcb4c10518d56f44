"""Export-restriction measures (hand-compiled reference table) into ``restrictions``.

The file ``export_restrictions_critical_minerals_curated.csv`` has one row per measure with the
columns ``country, materials, hs_codes_indicative, measure_type, announced, effective,
legal_instrument, source, verification_status``. It was compiled by critmin from public
reports of each measure; ``source`` is kept as the citation and ``verification_status`` as the
verification.

What this importer does
-----------------------
- One output row per measure and catalog commodity it covers. The free-text ``materials`` is
  mapped through ``names_restrictions.csv``: every materials text must have rows there (one per
  commodity); the row's ``detail`` is the phrase of the text that names the commodity, and it
  must occur in the text (an optional ``[...]`` suffix only tells two rows with the same phrase
  apart), so a mapping cannot silently outlive an edit of the text.
- A measure that covers no mineral (the US waiver for Chabahar port) is mapped to ``-`` and kept
  as one row with an empty ``commodity``: later analyses need it, and no commodity is invented.
- ``measure_id`` is ``<ISO3>-<first date>-<measure type slug>``, e.g.
  ``CHN-2023-07-03-export-licensing``: the first date of ``announced``, else of ``effective``
  (``"reported 2010-09-23"`` counts), as written; the slug is the first words of
  ``measure_type`` up to a bracket, comma, semicolon or a linking word.
- Dates: a text that starts with ``n/a``, ``none`` or ``not`` (not announced, not formalised,
  not stated) is NULL. Otherwise the text must start with a date, optionally after ``about``;
  a date given to the month (``2021-07``) is stored as the first day of that month. ``X to Y``
  gives the end of a time-limited measure (``effective_to``, such as the Chabahar waiver's
  2026-04-26). Anything else stops the import.
- ``country`` is where the restricted exports come from: a parenthesised remark is removed
  (``"Myanmar (Kachin Independence Army-held crossings)"``), and the one two-sided entry,
  ``"China (import side) / Myanmar"`` (China's border closure cutting Myanmar's rare-earth
  exports), is placed in Myanmar; the measure type says that China closed the crossing.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.errors import IngestError, UnknownNamesError
from critmin.harmonize.commodities import DROP, all_names, catalog
from critmin.harmonize.countries import to_iso3
from critmin.ingest.base import Parsed, SourceInfo, sha256_of
from critmin.ingest.common import LINE, read_csv_records
from critmin.schema import RESTRICTIONS

INFO = SourceInfo(
    source="critmin_restrictions",
    title="Export restrictions on critical minerals (curated measures, 2010-2025)",
    publisher="critmin (compiled from public reports and official announcements)",
    licence="Compiled by critmin from public official publications (facts; CC BY 4.0 for the compilation)",
    citation=(
        "critmin reference table of export-restriction measures on critical minerals, compiled from "
        "official announcements (MOFCOM/GAC, ARECOMS, Indonesian MEMR, Zimbabwe SI 213/2022, ...) as "
        "reported by Xinhua, Reuters, AFP, law firms and reposts; each row cites its own sources"
    ),
    url="",
    bundled=True,
)

COLUMNS = (
    "country",
    "materials",
    "hs_codes_indicative",
    "measure_type",
    "announced",
    "effective",
    "legal_instrument",
    "source",
    "verification_status",
)
MAPPING_SOURCE = "restrictions"
RELEASE = "restrictions 2026-11"
RELEASE_DATE = date(2026, 11, 25)
"""Date the compilation was completed and checked (the file and PROVENANCE.md of 25 Nov 2026)."""

COUNTRY_TEXT = {"China (import side) / Myanmar": "Myanmar"}
"""Country cells that name two sides: the exporting country whose flows the measure cuts."""

_DATE = r"(\d{4})-(\d{2})(?:-(\d{2}))?"
_START = re.compile(rf"^(?:about\s+)?{_DATE}")
_END = re.compile(rf"^(?:about\s+)?{_DATE}\s+to\s+(?:about\s+)?{_DATE}")
_ANY_DATE = re.compile(r"\d{4}-\d{2}(?:-\d{2})?")
_NO_DATE = re.compile(r"^(n/a|none|not\b)", re.I)
_REMARK = re.compile(r"\s*\([^)]*\)\s*$")
_SLUG_STOP = {"to", "of", "by", "and", "for", "incl", "except", "then", "under", "disrupting", "halting"}
SLUG_WORDS = 4


def parse(
    path: Path, *, release: str | None = None, release_date: date | None = None, **options: object
) -> Parsed:
    """Parse the curated export-restriction table into ``restrictions``.

    Parameters
    ----------
    path
        ``export_restrictions_critical_minerals_curated.csv``.
    release, release_date
        Label and date of the compilation; by default :data:`RELEASE` and :data:`RELEASE_DATE`.
    **options
        Other importer options (such as ``progress``) are accepted and unused: the file is small.

    Raises
    ------
    IngestError
        Missing columns, an unknown country, an unmapped materials text, a date in another form,
        a measure without any date, or two measures with the same id.
    """
    measures = read_measures(path)
    commodities = _commodities(measures, path)
    table = measures.merge(commodities, on="materials", how="inner")
    out = pd.DataFrame(
        {
            "measure_id": table["measure_id"],
            "country": table["country"],
            "commodity": table["commodity"],
            "materials": table["materials"],
            "hs_codes": table["hs_codes_indicative"],
            "measure_type": table["measure_type"],
            "announced": table["announced_date"],
            "effective": table["effective_date"],
            "effective_to": table["effective_to"],
            "legal_instrument": table["legal_instrument"],
            "citation": table["source"],
            "verification": table["verification_status"],
        }
    ).drop_duplicates(["measure_id", "commodity"])
    without = int((out["commodity"] == "").sum())
    notes = (
        f"{len(measures)} measures, {len(out)} measure-commodity rows; {without} measure(s) cover no "
        "mineral and are kept with an empty commodity (the Chabahar sanctions waiver). Dates given to the "
        "month are stored as its first day; 'n/a', 'none' and 'not ...' dates are NULL; 'X to Y' gives "
        "effective_to, the end of a time-limited measure. Hand-compiled reference table: each "
        "row cites its own sources."
    )
    return Parsed(
        info=INFO,
        dataset="restrictions",
        release=release or RELEASE,
        release_date=release_date or RELEASE_DATE,
        path=path,
        sha256=sha256_of(path),
        tables={RESTRICTIONS.name: out[RESTRICTIONS.column_names].reset_index(drop=True)},
        notes=notes,
        counts={RESTRICTIONS.name: len(out), "measures": len(measures)},
    )


def read_measures(path: Path) -> pd.DataFrame:
    """Read the measures, one row each, with their country, id and dates.

    Returns
    -------
    pandas.DataFrame
        The file's columns (``country`` renamed ``country_text``), ``_line``, ``country`` (ISO3),
        ``measure_id``, and ``announced_date``, ``effective_date`` and ``effective_to``
        (``datetime.date`` or None).

    Raises
    ------
    IngestError
        As :func:`parse`.
    """
    records = read_csv_records(path, required=COLUMNS)
    if records.empty:
        raise IngestError("no data rows", path=str(path), line=2)
    for column in COLUMNS:
        records[column] = records[column].str.strip()
    for column in ("country", "materials", "measure_type"):
        _fail_rows(records, records[column] == "", f"empty {column}", path, column)

    names = records["country"].map(lambda text: COUNTRY_TEXT.get(text, _REMARK.sub("", text)))
    codes, is_aggregate = to_iso3(names, path=str(path))
    records["code"] = codes
    _fail_rows(records, is_aggregate, "a group of countries where one country is expected", path, "country")

    for column in ("announced", "effective"):
        spans = [
            _dates(text, path, int(line), column)
            for text, line in zip(records[column], records[LINE], strict=True)
        ]
        records[f"{column}_date"] = [start for start, _ in spans]
        if column == "effective":
            records["effective_to"] = [end for _, end in spans]

    records["measure_id"] = [
        _measure_id(code, announced, effective, kind, path, int(line))
        for code, announced, effective, kind, line in zip(
            records["code"],
            records["announced"],
            records["effective"],
            records["measure_type"],
            records[LINE],
            strict=True,
        )
    ]
    duplicated = records["measure_id"].duplicated(keep=False)
    if duplicated.any():
        shown = records.loc[duplicated, ["measure_id", "country", "materials", LINE]]
        raise IngestError.from_rows(
            "two rows give the same measure (same country, date and measure type)",
            shown,
            total=len(records),
            path=str(path),
            column="measure_type",
        )
    return records.rename(columns={"country": "country_text", "code": "country"})


def _dates(text: str, path: Path, line: int, column: str) -> tuple[date | None, date | None]:
    """(start, end) of a date cell under the rules of the module docstring."""
    if not text or _NO_DATE.match(text):
        return None, None
    start = _START.match(text)
    if start is None:
        raise IngestError(
            f"{text!r} is not a date (YYYY-MM-DD or YYYY-MM, optionally 'X to Y') nor n/a, none or not ...",
            path=str(path),
            line=line,
            column=column,
        )
    span = _END.match(text)
    end = _to_date(span.groups()[3:], text, path, line, column) if span else None
    return _to_date(start.groups(), text, path, line, column), end


def _to_date(parts: tuple[str | None, ...], text: str, path: Path, line: int, column: str) -> date:
    year, month, day = parts
    try:
        return date(int(str(year)), int(str(month)), int(day) if day else 1)
    except ValueError as exc:
        raise IngestError(f"{text!r}: {exc}", path=str(path), line=line, column=column) from exc


def _measure_id(code: str, announced: str, effective: str, kind: str, path: Path, line: int) -> str:
    found = _ANY_DATE.search(announced) or _ANY_DATE.search(effective)
    if found is None:
        raise IngestError(
            "neither announced nor effective holds a date: the measure cannot be identified",
            path=str(path),
            line=line,
            column="announced",
        )
    head = re.split(r"[(,;]", kind, maxsplit=1)[0].lower()
    words: list[str] = []
    for word in re.findall(r"[a-z0-9]+", head):
        if word in _SLUG_STOP or len(words) == SLUG_WORDS:
            break
        words.append(word)
    return f"{code}-{found.group(0)}-{'-'.join(words)}"


def _commodities(measures: pd.DataFrame, path: Path) -> pd.DataFrame:
    """(materials, commodity) pairs from ``names_restrictions.csv``, checked against the texts."""
    names = all_names()
    table = names[names["source"] == MAPPING_SOURCE]
    key = table["source_name"].str.strip().str.lower()
    texts = measures.drop_duplicates("materials")
    unknown = sorted(
        set(texts["materials"]) - set(texts["materials"][texts["materials"].str.lower().isin(set(key))])
    )
    if unknown:
        raise UnknownNamesError(f"{MAPPING_SOURCE} materials", unknown, path=str(path))
    rows = []
    for text in texts["materials"]:
        mine = table[key == text.lower()]
        for detail, commodity in zip(mine["detail"], mine["commodity"], strict=True):
            phrase = re.sub(r"\s*\[[^\]]*\]$", "", detail).lower()
            if phrase not in text.lower():
                raise IngestError(
                    f"names_restrictions.csv maps {text!r} with the phrase {detail!r}, which the text no "
                    "longer contains: update the mapping",
                    path=str(path),
                    column="materials",
                )
            rows.append((text, commodity))
    pairs = pd.DataFrame(rows, columns=["materials", "commodity"])
    none = pairs["commodity"] == DROP
    mixed = set(pairs.loc[none, "materials"]) & set(pairs.loc[~none, "materials"])
    if mixed:
        raise IngestError(f"materials mapped both to '-' and to commodities: {sorted(mixed)}", path=str(path))
    unknown_ids = sorted(set(pairs.loc[~none, "commodity"]) - set(catalog()["commodity"]))
    if unknown_ids:
        raise UnknownNamesError(
            "catalog commodity id (in names_restrictions.csv)", unknown_ids, path=str(path)
        )
    pairs.loc[none, "commodity"] = ""
    return pairs


def _fail_rows(records: pd.DataFrame, bad: pd.Series, message: str, path: Path, column: str) -> None:
    """Raise showing the first rows where ``bad`` holds, with their line numbers."""
    mask = np.asarray(bad, dtype=bool)
    if mask.any():
        shown = records.loc[mask, list(dict.fromkeys(["country", "materials", column, LINE]))]
        raise IngestError.from_rows(message, shown, total=len(records), path=str(path), column=column)
