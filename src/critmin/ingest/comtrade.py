"""UN Comtrade extracts into exporter -> importer ``trade`` rows.

Layouts, told apart by the header:

``mirror``
    ``year,reporter,partner,cmd,flow,value,netwgt,qty,qtyunit`` (or, trimmed, ``reporter,partner,
    cmd,flow,value,netwgt`` with the year in the file name): raw Comtrade pulls of both flows of
    all reporters (``comtrade_raw_mirror_atlas31codes_<year>.csv``), HS17 per PROVENANCE 3a.
``api``
    Comtrade API columns (``refYear, reporterCode, flowCode, partnerCode, classificationCode,
    cmdCode, netWgt, primaryValue``, ...), one reporter's own figures per row; the
    nomenclature comes from ``classificationCode`` (H0 -> HS92 ... H6 -> HS22).

Reporter and partner are UN M49 codes, placed through BACI's code table (which uses the same
numbers) plus Comtrade's own areas: 0 World -> ``WLD``, 568/577 Other Europe/Africa nes, 837
bunkers, 838 free zones, 839 special categories, 899 areas nes (aggregate codes), 490 "Other
Asia, nes" -> ``TWN`` as in BACI. Values are USD (``value``/``primaryValue``: CIF for imports,
FOB for exports); ``netwgt`` kg / 1000 -> ``quantity_t`` (NULL where empty, and where it is 0
with a positive value: Comtrade writes 0 for a weight not reported). Commodity codes are
stored as published: the API files have some HS4 headings (2846, 8105, 7501, ...).

Reconciliation rule (documented choice)
---------------------------------------
1. **Exact duplicate rows are removed and counted** (about 54% of the mirror files: the source
   pulled overlapping queries).
2. **One row per (year, reporter, partner, code, flow): the largest value.** The rows left sharing
   such a key are customs-procedure and transport-mode breakdowns whose identifying columns the
   source dropped, shipped together with their total. In the 2022 file, in 4,692 of the 6,449
   keys with several rows the largest row equals the sum of the others, and in the rest the
   others add up to a multiple of it (several breakdowns of the same total). So the largest row
   is the total; summing would double count. The dropped rows are counted.
3. **Importer's report preferred, exporter's used where the importer did not report.** An import
   (M) row of reporter R from partner P is the flow P -> R; an export (X) row is R -> P. For each
   (year, exporter, importer, code) the importer-reported row is kept (customs records imports
   most carefully, and BACI also starts from importer reports); the exporter's mirror row fills
   pairs the importer did not report. Values therefore mix CIF (M) and FOB (X) bases; no CIF/FOB
   adjustment is made (BACI does that: prefer BACI for shares). Flows to or from World (partner
   0) are kept as aggregate rows (``WLD``): a reporter's own totals.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from critmin.errors import IngestError, UnknownNamesError
from critmin.ingest.baci import country_codes, duck_error
from critmin.ingest.base import Parsed, SourceInfo, sha256_of
from critmin.ingest.common import LINE, require_non_negative
from critmin.schema import TRADE

INFO = SourceInfo(
    source="comtrade",
    title="UN Comtrade Database",
    publisher="United Nations Statistics Division",
    licence="UN Comtrade terms of use (attribution; no commercial resale)",
    citation="United Nations Statistics Division, UN Comtrade Database, https://comtradeplus.un.org",
    url="https://comtradeplus.un.org",
    bundled=False,
)

DATASET = "comtrade"

COMTRADE_AREAS: dict[int, str] = {
    0: "WLD",
    10: "ATA",
    234: "FRO",
    336: "VAT",
    527: "O19",
    636: "A19",
    581: "UMI",
    568: "E19",
    577: "F19",
    837: "X1",
    838: "X2",
    839: "X3",
    899: "_X",
}
"""M49 codes Comtrade uses that BACI's code table lacks -> place code (aggregates in aggregates.csv)."""

CLASSIFICATIONS = {
    "H0": "HS92",
    "H1": "HS96",
    "H2": "HS02",
    "H3": "HS07",
    "H4": "HS12",
    "H5": "HS17",
    "H6": "HS22",
}

MIRROR_TYPES = {
    "year": "SMALLINT", "reporter": "INTEGER", "partner": "INTEGER", "cmd": "VARCHAR", "flow": "VARCHAR",
    "value": "DOUBLE", "netwgt": "DOUBLE", "qty": "DOUBLE", "qtyunit": "INTEGER",
}  # fmt: skip
API_TYPES = {
    "refYear": "SMALLINT", "reporterCode": "INTEGER", "partnerCode": "INTEGER", "flowCode": "VARCHAR",
    "classificationCode": "VARCHAR", "cmdCode": "VARCHAR", "netWgt": "DOUBLE", "primaryValue": "DOUBLE",
}  # fmt: skip
API_NAMES = {
    "refYear": "year", "reporterCode": "reporter", "partnerCode": "partner", "flowCode": "flow",
    "cmdCode": "cmd", "netWgt": "netwgt", "primaryValue": "value",
}  # fmt: skip

KNOWN_PULLS: dict[str, tuple[str, date]] = {
    "comtrade_raw_mirror_atlas31codes_2022.csv": ("Comtrade pull 2022 HS17 (atlas)", date(2026, 1, 15)),
    "comtrade_raw_mirror_atlas31codes_2024.csv": ("Comtrade pull 2024 HS17 (atlas)", date(2026, 1, 15)),
    "comtrade_pnnl_cmm_goldqa_selected_pairs_2020_2024.csv": (
        "Comtrade API pull 2020-2024 (PNNL)",
        date(2025, 6, 30),
    ),
    "comtrade_china_imports_hs2846_by_origin_1993_2024.csv": (
        "Comtrade API pull CHN 2846",
        date(2025, 6, 30),
    ),
}
"""File name -> (release label, approximate pull date). The pull dates are not recorded: the mirror
files sit in the same commits as BACI V202601 extracts (so January 2026 at the earliest), the
API files hold 2024 data (so 2025 at the earliest); the dates are stated as approximate."""


def parse(path: Path, **options: object) -> Parsed:
    """Parse a Comtrade extract into ``trade`` rows (see the module docstring for the rules).

    Parameters
    ----------
    path
        A ``mirror`` or ``api`` layout CSV.
    **options
        ``year`` (mirror files without a year column; default from the file name),
        ``nomenclature`` (mirror files; default "HS17", PROVENANCE 3a), ``release`` and
        ``release_date`` (default from :data:`KNOWN_PULLS`, else required).

    Raises
    ------
    IngestError
        Wrong header, malformed CSV, empty or negative values, unknown flows;
        :class:`~critmin.errors.UnknownNamesError` for unknown M49 codes.
    """
    path = Path(path)
    header = _header(path)
    if "refYear" in header:
        frame = _read(path, header, API_TYPES).rename(columns=API_NAMES)
        frame["nomenclature"] = _nomenclatures(frame, path)
    elif header[:6] == ["year", "reporter", "partner", "cmd", "flow", "value"] or header == [
        "reporter", "partner", "cmd", "flow", "value", "netwgt",
    ]:  # fmt: skip
        frame = _read(path, header, MIRROR_TYPES)
        if "year" not in frame.columns:
            frame.insert(0, "year", _year(path, options))
        frame["nomenclature"] = str(options.get("nomenclature") or "HS17")
    else:
        raise IngestError(
            f"unexpected header {header}; expected Comtrade mirror columns (year,reporter,partner,cmd,flow,"
            "value,netwgt,...) or API columns (refYear,reporterCode,partnerCode,flowCode,cmdCode,...)",
            path=str(path),
            line=1,
        )
    trade, counts, notes = reconcile(frame, path)
    release, released = _release(path, options)
    return Parsed(
        info=INFO,
        dataset=DATASET,
        release=release,
        release_date=released,
        path=path,
        sha256=sha256_of(path),
        tables={TRADE.name: trade},
        notes="; ".join([*notes, f"pull date not recorded: release date {released} is approximate"]),
        counts=counts,
    )


def reconcile(frame: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, dict[str, int], list[str]]:
    """Deduplicate, keep breakdown totals, orient flows and prefer importer reports."""
    where = str(path)
    total = len(frame)
    for column in ("year", "reporter", "partner", "cmd", "flow", "value"):
        empty = frame[frame[column].isna()]
        if len(empty):
            raise IngestError.from_rows("empty field", empty, total=total, path=where, column=column)
    bad_flow = frame[~frame["flow"].isin(["M", "X"])]
    if len(bad_flow):
        raise IngestError.from_rows(
            "flow is neither M nor X", bad_flow, total=total, path=where, column="flow"
        )
    require_non_negative(frame, "value", path=path)
    require_non_negative(frame.dropna(subset=["netwgt"]), "netwgt", path=path)
    deduped = frame.drop_duplicates(subset=[c for c in frame.columns if c != LINE])
    exact = total - len(deduped)
    key = ["nomenclature", "year", "reporter", "partner", "cmd", "flow"]
    totals = deduped.sort_values("value", ascending=False, kind="stable").drop_duplicates(subset=key)
    breakdown = len(deduped) - len(totals)
    places = _places(totals, path)
    totals = totals.assign(
        reporter_code=totals["reporter"].map(places), partner_code=totals["partner"].map(places)
    )
    imports = totals["flow"] == "M"
    weightless = (totals["netwgt"] == 0) & (totals["value"] > 0)
    oriented = pd.DataFrame(
        {
            "nomenclature": totals["nomenclature"],
            "year": totals["year"].astype("int16"),
            "exporter": np.where(imports, totals["partner_code"], totals["reporter_code"]),
            "importer": np.where(imports, totals["reporter_code"], totals["partner_code"]),
            "hs6": totals["cmd"].str.strip(),
            "value_usd": totals["value"],
            "quantity_t": totals["netwgt"].where(~weightless) / 1000.0,
            "by_importer": imports,
            LINE: totals[LINE],
        }
    )
    trade_key = ["nomenclature", "year", "exporter", "importer", "hs6"]
    oriented = oriented.sort_values(["by_importer", LINE], ascending=[False, True], kind="stable")
    chosen = oriented.drop_duplicates(subset=trade_key)
    mirror_dropped = len(oriented) - len(chosen)
    clash = chosen[chosen.duplicated(subset=trade_key, keep=False)]
    if len(clash):
        raise IngestError.from_rows("duplicate trade key after mapping codes", clash, total=total, path=where)
    by_exporter = int((~chosen["by_importer"]).sum())
    counts = {
        "rows_in_file": total,
        "exact_duplicates_removed": exact,
        "breakdown_rows_dropped": breakdown,
        "exporter_rows_superseded_by_importer": mirror_dropped,
        "rows_from_exporter_reports": by_exporter,
        "zero_weight_read_as_unknown": int(weightless.sum()),
        "rows": len(chosen),
    }
    notes = [
        f"{exact} exact duplicate rows removed",
        f"{breakdown} customs/transport breakdown rows dropped (largest row per key kept as the total)",
        f"{mirror_dropped} exporter-reported rows superseded by the importer's report; "
        f"{by_exporter} rows come from exporter reports (no importer report)",
        "values USD (M: CIF, X: FOB, unadjusted); netwgt kg / 1000 = quantity_t",
        f"{int(weightless.sum())} rows with netwgt 0 but a positive value: quantity NULL (not reported)",
    ]
    trade = chosen[TRADE.column_names].reset_index(drop=True)
    return trade, counts, notes


def _places(frame: pd.DataFrame, path: Path) -> dict[int, str]:
    codes = country_codes(None)
    table = dict(zip(codes["code"].astype(int), codes["iso3"], strict=True))
    table.update(COMTRADE_AREAS)
    used = set(frame["reporter"].astype(int)) | set(frame["partner"].astype(int))
    unknown = sorted(str(c) for c in used - set(table))
    if unknown:
        raise UnknownNamesError("M49 country code", unknown, path=str(path))
    return {code: table[code] for code in used}


def _nomenclatures(frame: pd.DataFrame, path: Path) -> pd.Series:
    found = frame["classificationCode"].str.strip().map(CLASSIFICATIONS)
    bad = frame[found.isna()]
    if len(bad):
        raise IngestError.from_rows(
            f"classificationCode not one of {sorted(CLASSIFICATIONS)}",
            bad,
            total=len(frame),
            path=str(path),
            column="classificationCode",
        )
    return found


def _header(path: Path) -> list[str]:
    with open(path, "rb") as handle:
        first = handle.readline(1 << 16)
    try:
        return [h.strip().strip('"') for h in first.decode("utf-8-sig").strip().split(",")]
    except UnicodeDecodeError as exc:
        raise IngestError(f"the header is not UTF-8 text: {exc}", path=str(path), line=1) from exc


def _read(path: Path, header: list[str], types: dict[str, str]) -> pd.DataFrame:
    """Read with DuckDB and explicit types; ``_line`` is the file line of each record."""
    missing = [c for c in types if c not in header and c in API_TYPES]
    if missing:
        raise IngestError(f"missing column(s) {missing}", path=str(path), line=1, column=missing[0])
    columns = ", ".join(f"'{c}': '{types.get(c, 'VARCHAR')}'" for c in header)
    reader = (
        f"read_csv('{str(path).replace(chr(39), chr(39) * 2)}', header = true, auto_detect = false, "
        f"delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        f"columns = {{{columns}}})"
    )
    con = duckdb.connect()
    try:
        frame = con.sql(f"SELECT * FROM {reader}").df()
    except duckdb.Error as exc:
        raise duck_error(exc, str(path)) from exc
    finally:
        con.close()
    frame[LINE] = np.arange(len(frame), dtype=np.int64) + 2
    return frame


def _year(path: Path, options: dict[str, object]) -> int:
    given = options.get("year")
    found = re.search(r"_((?:19|20)\d\d)\.csv$", path.name)
    if given is not None:
        return int(str(given))
    if found:
        return int(found.group(1))
    raise IngestError("this file has no year column and its name no year; pass year=", path=str(path))


def _release(path: Path, options: dict[str, object]) -> tuple[str, date]:
    label, released = KNOWN_PULLS.get(path.name, (None, None))
    given_label = options.get("release")
    given_date = options.get("release_date")
    if given_date is not None:
        released = given_date if isinstance(given_date, date) else date.fromisoformat(str(given_date))
    if given_label:
        label = str(given_label)
    if label is None or released is None:
        raise IngestError(
            "Comtrade pulls have no release label: pass release= and release_date=", path=str(path)
        )
    return label, released
