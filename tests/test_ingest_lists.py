"""Critical-mineral lists importer on the real compiled table, and on broken copies of it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import IngestError, UnknownNamesError
from critmin.harmonize.commodities import catalog
from critmin.ingest import lists
from critmin.ingest.base import Parsed
from critmin.schema import LISTS
from critmin.store import Store

LISTS_FILE = Path("lists/critical_mineral_lists.csv")


@pytest.fixture(scope="module")
def parsed(raw_data: Path) -> Parsed:
    return lists.parse(raw_data / LISTS_FILE)


@pytest.fixture(scope="module")
def table(parsed: Parsed) -> pd.DataFrame:
    return parsed.tables["lists"]


@pytest.fixture
def copy(raw_data: Path, tmp_path: Path) -> Path:
    path = tmp_path / "lists.csv"
    path.write_bytes((raw_data / LISTS_FILE).read_bytes())
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_list_sizes_match_the_official_lists(table: pd.DataFrame) -> None:
    """PROVENANCE.md section 6a: USA 2022 has 50 minerals (87 FR 10381), USA 2025 has 60 (the 50 plus
    boron, copper, lead, metallurgical coal, phosphate, potash, rhenium, silicon, silver, uranium),
    EU 2023 has 34 CRMs, India 2023 has 30 and Japan's stockpiling scope 34."""
    sizes = table.groupby(["jurisdiction", "list_year"]).size().to_dict()
    assert sizes == {
        ("USA", 2022): 50,
        ("USA", 2025): 60,
        ("EUU", 2023): 34,
        ("IND", 2023): 30,
        ("JPN", 2020): 34,
    }
    usa = table[table["jurisdiction"] == "USA"]
    added = set(usa.loc[usa["list_year"] == 2025, "commodity"]) - set(
        usa.loc[usa["list_year"] == 2022, "commodity"]
    )
    assert added == {
        "boron",
        "copper",
        "lead",
        "coal_coking",
        "phosphate_rock",
        "potash",
        "rhenium",
        "silicon",
        "silver",
        "uranium",
    }


def test_eu_strategic_designations(table: pd.DataFrame) -> None:
    """CRMA Annex I lists 17 strategic raw materials (OJ 3 May 2024); 'rare earth elements for magnets'
    is one of them but covers both the EU's heavy and light REE rows. Copper and nickel are strategic
    without being critical under the 2023 thresholds, but both are on the list of 34."""
    eu = table[table["jurisdiction"] == "EUU"]
    strategic = eu[eu["designation"].str.startswith("strategic")]
    assert len(strategic) == 18
    magnets = int(strategic["designation"].str.contains("REEs for magnets").sum())
    assert magnets == 2
    assert len(strategic) - (magnets - 1) == 17
    assert {"copper", "nickel", "rare_earths_heavy", "rare_earths_light"} <= set(strategic["commodity"])


def test_group_names_map_to_group_ids_and_keep_listed_name(table: pd.DataFrame) -> None:
    """Groups map to the group id; the name as listed is kept."""
    by_name = table.drop_duplicates("listed_name").set_index("listed_name")["commodity"]
    assert by_name["bauxite/alumina/aluminium"] == "aluminum"
    assert by_name["platinum group metals"] == "pgm"
    assert by_name["platinum group elements"] == "pgm"
    assert by_name["rare earth elements"] == "rare_earths"
    assert by_name["heavy rare earth elements"] == "rare_earths_heavy"
    assert by_name["carbon(graphite)"] == "graphite_natural"
    assert by_name["metallurgical_coal"] == by_name["coking coal"] == "coal_coking"
    assert by_name["phosphorous"] == "phosphate_rock"
    assert set(table["commodity"]) <= set(catalog()["commodity"])


def test_columns_citations_and_keys(parsed: Parsed, table: pd.DataFrame) -> None:
    assert list(table.columns) == LISTS.column_names
    assert not table.duplicated(list(LISTS.key)).any()
    assert (table["citation"] != "").all()
    assert table["verification"].str.match(r"^(confirmed|partly confirmed|unverified)").all()
    india = table[table["jurisdiction"] == "IND"]
    assert india["citation"].str.contains("Ministry of Mines").all()
    assert parsed.info.bundled
    assert parsed.release == "lists 2026-11"


def test_store_round_trip(parsed: Parsed, store: Store) -> None:
    store.add([parsed])
    rows = store.select("lists", {"jurisdiction": "EUU", "list_year": 2023})
    assert len(rows) == 34
    assert "gallium" in set(rows["commodity"])


def test_wrong_columns_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "lists.csv"
    path.write_text("country,year,mineral\nUSA,2022,cobalt\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"missing column\(s\) \['jurisdiction', 'list_name', 'list_year'"):
        lists.parse(path)


def test_repeated_header_row_is_refused(copy: Path) -> None:
    lines = _lines(copy)
    _write(copy, [*lines[:5], lines[0], *lines[5:]])
    with pytest.raises(IngestError, match="header repeated") as err:
        lists.parse(copy)
    assert err.value.line == 6


def test_wrong_encoding_names_the_line(copy: Path) -> None:
    copy.write_bytes(copy.read_bytes().replace(b",antimony,", b",antim\xf6ny,", 1))
    with pytest.raises(IngestError, match="not valid utf-8") as err:
        lists.parse(copy)
    assert err.value.line == 3


def test_truncated_file_is_refused(copy: Path) -> None:
    data = copy.read_bytes()
    copy.write_bytes(data[: data.rindex(b",")])
    with pytest.raises(IngestError, match="truncated"):
        lists.parse(copy)


def test_unknown_mineral_is_refused(copy: Path) -> None:
    lines = _lines(copy)
    lines[3] = lines[3].replace(",arsenic,", ",unobtainium,")
    _write(copy, lines)
    with pytest.raises(UnknownNamesError, match="unobtainium"):
        lists.parse(copy)


def test_unknown_jurisdiction_is_refused(copy: Path) -> None:
    lines = _lines(copy)
    lines[1] = "Atlantis" + lines[1][len("USA") :]
    _write(copy, lines)
    with pytest.raises(UnknownNamesError, match="Atlantis"):
        lists.parse(copy)


def test_three_letter_typo_jurisdiction_is_refused(copy: Path) -> None:
    lines = _lines(copy)
    lines[2] = "USX" + lines[2][len("USA") :]
    _write(copy, lines)
    with pytest.raises(IngestError, match="USX"):
        lists.parse(copy)


def test_duplicate_rows_are_refused(copy: Path) -> None:
    lines = _lines(copy)
    _write(copy, [*lines, lines[4]])
    with pytest.raises(IngestError, match="listed twice") as err:
        lists.parse(copy)
    assert err.value.line == 5


def test_bad_year_names_line_and_column(copy: Path) -> None:
    lines = _lines(copy)
    lines[7] = lines[7].replace(",2022,", ",22,", 1)
    _write(copy, lines)
    with pytest.raises(IngestError, match="list_year") as err:
        lists.parse(copy)
    assert (err.value.line, err.value.column) == (8, "list_year")
