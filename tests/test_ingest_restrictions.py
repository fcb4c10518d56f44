"""Export-restriction importer on the real curated table, and on broken copies of it."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import IngestError, UnknownNamesError
from critmin.harmonize.commodities import catalog
from critmin.ingest import restrictions
from critmin.ingest.base import Parsed
from critmin.schema import RESTRICTIONS
from critmin.store import Store

RESTRICTIONS_FILE = Path("policy/export_restrictions_critical_minerals_curated.csv")


@pytest.fixture(scope="module")
def parsed(raw_data: Path) -> Parsed:
    return restrictions.parse(raw_data / RESTRICTIONS_FILE)


@pytest.fixture(scope="module")
def table(parsed: Parsed) -> pd.DataFrame:
    return parsed.tables["restrictions"]


@pytest.fixture(scope="module")
def measures(raw_data: Path) -> pd.DataFrame:
    return restrictions.read_measures(raw_data / RESTRICTIONS_FILE)


@pytest.fixture
def rows(raw_data: Path) -> list[list[str]]:
    """The real file as a list of CSV records (header first), to corrupt one field at a time."""
    text = (raw_data / RESTRICTIONS_FILE).read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "restrictions.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def _set(rows: list[list[str]], row: int, column: str, value: str) -> list[list[str]]:
    rows[row][rows[0].index(column)] = value
    return rows


def test_22_measures_and_ga_ge_2023(measures: pd.DataFrame, table: pd.DataFrame) -> None:
    """PROVENANCE.md section 7a: 22 measures; China's gallium/germanium export licensing, MOFCOM/GAC
    Announcement No. 23 of 2023, announced 3 Jul 2023, effective 1 Aug 2023."""
    assert len(measures) == 22
    assert table["measure_id"].nunique() == 22
    gage = table[table["measure_id"] == "CHN-2023-07-03-export-licensing"]
    assert set(gage["commodity"]) == {"gallium", "germanium"}
    assert set(gage["effective"]) == {date(2023, 8, 1)}
    assert set(gage["announced"]) == {date(2023, 7, 3)}
    assert gage["legal_instrument"].str.contains("No. 23 of 2023").all()


def test_chabahar_waiver_is_kept_without_commodity(measures: pd.DataFrame, table: pd.DataFrame) -> None:
    """The US conditional sanctions waiver for Chabahar port (28 Oct 2025, valid to 26 Apr 2026) is not a
    mineral measure but is stored, with an empty commodity."""
    waiver = table[table["country"] == "USA"]
    assert len(waiver) == 1
    assert waiver["commodity"].iloc[0] == ""
    assert waiver["announced"].iloc[0] == date(2025, 10, 28)
    assert waiver["effective"].iloc[0] == date(2025, 10, 29)
    assert waiver["effective_to"].iloc[0] == date(2026, 4, 26)
    assert measures.loc[measures["country"] == "USA", "effective_to"].iloc[0] == date(2026, 4, 26)


def test_date_rules(measures: pd.DataFrame) -> None:
    """Month-only dates become the first of the month; n/a, none and 'not ...' are NULL."""
    by_id = measures.set_index("measure_id")
    assert by_id.loc["MMR-2021-07-border-crossing-closure", "effective_date"] == date(2021, 7, 1)
    assert by_id.loc["MMR-2021-07-border-crossing-closure", "announced_date"] is None
    assert by_id.loc["IND-2025-06-government-request", "effective_date"] is None
    assert by_id.loc["NAM-2023-06-08-export-ban", "effective_date"] is None
    suspension = by_id.loc["CHN-2025-11-07-suspension"]
    assert (suspension["effective_date"], suspension["effective_to"]) == (
        date(2025, 11, 7),
        date(2026, 11, 10),
    )
    staged = by_id.loc["CHN-2025-10-09-export-licensing"]
    assert (staged["effective_date"], staged["effective_to"]) == (date(2025, 10, 9), None)


def test_commodities_and_countries(parsed: Parsed, table: pd.DataFrame) -> None:
    assert list(table.columns) == RESTRICTIONS.column_names
    assert not table.duplicated(list(RESTRICTIONS.key)).any()
    assert set(table["commodity"]) - {""} <= set(catalog()["commodity"])
    assert set(table["country"]) == {"CHN", "MMR", "IND", "IDN", "COD", "ZWE", "NAM", "USA"}
    heavy = table[table["measure_id"] == "CHN-2025-04-04-export-licensing"]
    assert set(heavy["commodity"]) == {
        "samarium",
        "gadolinium",
        "terbium",
        "dysprosium",
        "lutetium",
        "scandium",
        "yttrium",
    }
    namibia = table[table["country"] == "NAM"]
    assert set(namibia["commodity"]) == {"lithium", "cobalt", "manganese", "graphite_natural", "rare_earths"}
    assert parsed.info.bundled and parsed.release == "restrictions 2026-11"


def test_store_round_trip(parsed: Parsed, store: Store) -> None:
    store.add([parsed])
    stored = store.select("restrictions", {"commodity": "gallium"})
    assert len(stored) == 3
    assert date(2023, 8, 1) in set(pd.to_datetime(stored["effective"]).dt.date)


def test_wrong_columns_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, [["country", "materials", "date"], ["China", "gallium", "2023-07-03"]])
    with pytest.raises(IngestError, match=r"missing column\(s\) \['hs_codes_indicative', 'measure_type'"):
        restrictions.parse(path)


def test_wrong_encoding_names_the_line(rows: list[list[str]], tmp_path: Path) -> None:
    path = _write(tmp_path, rows)
    path.write_bytes(path.read_bytes().replace(b"Zimbabwe", b"Zimb\xe4bwe", 1))
    with pytest.raises(IngestError, match="not valid utf-8") as err:
        restrictions.parse(path)
    assert err.value.line == 21


def test_truncated_file_is_refused(rows: list[list[str]], tmp_path: Path) -> None:
    path = _write(tmp_path, rows)
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(b"News18")])
    with pytest.raises(IngestError, match="truncated"):
        restrictions.parse(path)


def test_unknown_country_is_refused(rows: list[list[str]], tmp_path: Path) -> None:
    path = _write(tmp_path, _set(rows, 5, "country", "Atlantis"))
    with pytest.raises(UnknownNamesError, match="Atlantis"):
        restrictions.parse(path)


def test_unmapped_materials_are_refused(rows: list[list[str]], tmp_path: Path) -> None:
    path = _write(tmp_path, _set(rows, 3, "materials", "gallium and germanium"))
    with pytest.raises(UnknownNamesError, match="gallium and germanium"):
        restrictions.parse(path)


def test_bad_date_names_line_and_column(rows: list[list[str]], tmp_path: Path) -> None:
    path = _write(tmp_path, _set(rows, 3, "effective", "1 Aug 2023"))
    with pytest.raises(IngestError, match="not a date") as err:
        restrictions.parse(path)
    assert (err.value.line, err.value.column) == (4, "effective")


def test_impossible_date_is_refused(rows: list[list[str]], tmp_path: Path) -> None:
    path = _write(tmp_path, _set(rows, 3, "announced", "2023-02-30"))
    with pytest.raises(IngestError, match="day is out of range") as err:
        restrictions.parse(path)
    assert (err.value.line, err.value.column) == (4, "announced")


def test_duplicate_measure_is_refused(rows: list[list[str]], tmp_path: Path) -> None:
    path = _write(tmp_path, [*rows, rows[3]])
    with pytest.raises(IngestError, match="same measure") as err:
        restrictions.parse(path)
    assert err.value.line == 4
