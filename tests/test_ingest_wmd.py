"""World Mining Data importer on the two real long files, and on broken copies."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import IngestError, UnknownNamesError
from critmin.ingest import wmd
from critmin.ingest.base import Parsed
from critmin.schema import PRODUCTION, STAGES
from critmin.store import Store

WMD_2024 = Path("production_wmd/world_mining_data_2024ed_2018_2022_long.csv")
WMD_COMPILATION = Path("geopolrisk/world_mining_data_2018_2024_long.csv")


@pytest.fixture(scope="module")
def edition(raw_data: Path) -> Parsed:
    return wmd.parse(raw_data / WMD_2024)


@pytest.fixture(scope="module")
def compilation(raw_data: Path) -> Parsed:
    return wmd.parse(raw_data / WMD_COMPILATION)


@pytest.fixture
def small_file(raw_data: Path, tmp_path: Path) -> Path:
    """Header and the 2022 cobalt, lithium and gold rows of the WMD 2024 file (with its total rows)."""
    lines = (raw_data / WMD_2024).read_text(encoding="utf-8").splitlines()
    keep = [lines[0]] + [
        line
        for line in lines[1:]
        if line.startswith(("Cobalt,", "Lithium (Li2O),", "Gold,")) and ",2022," in line
    ]
    path = tmp_path / "wmd_small.csv"
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return path


def _shares(table: pd.DataFrame, commodity: str, year: int) -> pd.Series:
    rows = table[(table["commodity"] == commodity) & (table["year"] == year) & ~table["is_aggregate"]]
    return rows.set_index("country")["value"] / rows["value"].sum() * 100


def _replace_line(path: Path, index: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert old in lines[index]
    lines[index] = lines[index].replace(old, new, 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_2022_shares_match_published_figures(edition: Parsed) -> None:
    """World Mining Data 2024, shares of 2022 production (PROVENANCE.md section 5): DR Congo cobalt
    69.5%, China REO 70.7%, China gallium 98.4%, China germanium 93.5%, Australia 43.3% of lithium
    (as Li2O). Shares are over country rows; the kept total rows are aggregates."""
    table = edition.tables["production"]
    assert _shares(table, "cobalt", 2022)["COD"] == pytest.approx(69.5, abs=0.05)
    assert _shares(table, "rare_earths", 2022)["CHN"] == pytest.approx(70.7, abs=0.1)
    assert _shares(table, "gallium", 2022)["CHN"] == pytest.approx(98.4, abs=0.05)
    assert _shares(table, "germanium", 2022)["CHN"] == pytest.approx(93.5, abs=0.05)
    assert _shares(table, "lithium", 2022)["AUS"] == pytest.approx(43.3, abs=0.05)


def test_stages_bases_and_units(edition: Parsed) -> None:
    table = edition.tables["production"]
    assert list(table.columns) == PRODUCTION.column_names
    assert table["source_label"].nunique() == 65
    assert set(table["stage"]) <= set(STAGES)
    stage = table.drop_duplicates("source_label").set_index("source_label")
    assert stage.loc["Cobalt", "stage"] == "mine"
    assert stage.loc["Rare Earths (REO)", ["stage", "basis"]].tolist() == ["mine", "REO"]
    assert stage.loc["Lithium (Li2O)", "basis"] == "Li2O"
    assert stage.loc["Aluminium", "stage"] == "smelter"
    assert stage.loc["Germanium", "stage"] == "refinery"
    assert stage.loc["Iron (Fe)", ["form", "basis"]].tolist() == ["iron content", "Fe"]
    assert set(table["unit"]) == {"t", "kg", "ct", "Mio m3"}
    assert stage.loc["Diamonds (Gem)", "unit"] == "ct"
    assert (table["estimated"] == (table["flag"] == "e")).all()
    assert not table.duplicated(list(PRODUCTION.key)).any()
    assert not edition.info.bundled
    assert edition.release == "WMD 2024"


def test_totals_are_kept_as_world_aggregates(edition: Parsed) -> None:
    """The source's 'Total' rows (code DELETE) become WLD aggregates; for WMD 2024 they equal the
    country sums."""
    table = edition.tables["production"]
    totals = table[table["is_aggregate"]]
    assert set(totals["country"]) == {"WLD"}
    assert len(totals) == 65 * 5
    cobalt = table[(table["commodity"] == "cobalt") & (table["year"] == 2022)]
    world = cobalt.loc[cobalt["is_aggregate"], "value"].iloc[0]
    assert cobalt.loc[~cobalt["is_aggregate"], "value"].sum() == pytest.approx(world, rel=1e-9)


def test_country_codes_fixed_by_name(edition: Parsed) -> None:
    """French Guiana is coded GUY in the file; Kosovo and Taiwan carry BACI area codes."""
    countries = set(edition.tables["production"]["country"])
    assert {"GUF", "GUY", "XKX", "TWN", "COD"} <= countries
    assert not countries & {"DELETE", "R20", "S19"}


def test_compilation_release_and_copied_values(compilation: Parsed, edition: Parsed) -> None:
    """The 2018-2024 file is a compilation: its 2018-2022 rows that WMD 2024 also has are equal to
    them; Guyana's gold for 2023-2024 copies French Guiana's and is dropped."""
    table = compilation.tables["production"]
    assert compilation.release == "WMD 2018-2024 compilation"
    assert compilation.release_date > edition.release_date
    assert compilation.counts["dropped_copied_values"] == 2
    gold = table[(table["commodity"] == "gold") & (table["country"] == "GUY")]
    assert sorted(gold["year"]) == [2018, 2019, 2020, 2021, 2022]
    keys = list(PRODUCTION.key)
    both = edition.tables["production"].merge(table, on=keys, suffixes=("_a", "_b"))
    assert len(both) == len(edition.tables["production"])
    assert ((both["value_a"] == both["value_b"]) | both["value_a"].isna() & both["value_b"].isna()).all()
    assert _shares(table, "cobalt", 2024)["COD"] > 70


def test_store_round_trip_newest_release_wins(edition: Parsed, compilation: Parsed, store: Store) -> None:
    store.add([edition, compilation])
    rows = store.select("production", {"commodity": "rare_earths", "year": 2022, "country": "CHN"})
    assert len(rows) == 1
    assert rows["release"].iloc[0] == "WMD 2018-2024 compilation"
    older = store.select("production", {"commodity": "rare_earths", "year": 2022}, vintage="WMD 2024")
    assert set(older["release"]) == {"WMD 2024"}


def test_small_file_parses(small_file: Path) -> None:
    parsed = wmd.parse(small_file, release_date=pd.Timestamp("2024-06-17").date())
    assert set(parsed.tables["production"]["commodity"]) == {"cobalt", "lithium", "gold"}
    assert parsed.release == "WMD 2022-2022 extract"


def test_wrong_columns_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "wmd.csv"
    path.write_text("commodity,country,year,value\nCobalt,China,2022,1750\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"missing column\(s\) \['country_code_m49', 'country_iso3'"):
        wmd.parse(path)


def test_truncated_file_is_refused(small_file: Path) -> None:
    text = small_file.read_text(encoding="utf-8").rstrip("\n")
    small_file.write_text(text[: text.rindex(",metr. t")], encoding="utf-8")
    with pytest.raises(IngestError, match="truncated"):
        wmd.parse(small_file)


def test_wrong_encoding_names_the_line(small_file: Path) -> None:
    small_file.write_bytes(small_file.read_bytes().replace(b"Australia", b"Austr\xe4lia", 1))
    with pytest.raises(IngestError, match="not valid utf-8") as err:
        wmd.parse(small_file)
    assert err.value.line is not None and err.value.line > 1


def test_unknown_commodity_is_refused(small_file: Path) -> None:
    _replace_line(small_file, 1, "Cobalt,", "Cobaltite,")
    with pytest.raises(UnknownNamesError, match="Cobaltite"):
        wmd.parse(small_file)


def test_unknown_country_is_refused(small_file: Path) -> None:
    _replace_line(small_file, 1, ",Australia,", ",Atlantis,")
    with pytest.raises(UnknownNamesError, match="Atlantis"):
        wmd.parse(small_file)


def test_country_and_code_disagreeing_are_refused(small_file: Path) -> None:
    _replace_line(small_file, 1, ",AUS,", ",AUT,")
    with pytest.raises(IngestError, match="disagree") as err:
        wmd.parse(small_file)
    assert (err.value.line, err.value.column) == (2, "country_iso3")


def test_duplicate_rows_are_refused(small_file: Path) -> None:
    lines = small_file.read_text(encoding="utf-8").splitlines()
    small_file.write_text("\n".join([*lines, lines[3]]) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match="duplicate rows") as err:
        wmd.parse(small_file)
    assert err.value.line == 4


def test_negative_value_is_refused(small_file: Path) -> None:
    lines = small_file.read_text(encoding="utf-8").splitlines()
    fields = lines[1].split(",")
    assert fields[:2] == ["Cobalt", "Australia"]
    fields[5] = "-" + fields[5]
    lines[1] = ",".join(fields)
    small_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match="negative value") as err:
        wmd.parse(small_file)
    assert err.value.line == 2


def test_garbage_value_unit_and_flag_name_their_column(small_file: Path, tmp_path: Path) -> None:
    original = small_file.read_text(encoding="utf-8")
    for column, index, bad in (("value", 5, "12 t"), ("unit", 6, "tonnes"), ("data_source_flag", 7, "x")):
        lines = original.splitlines()
        fields = lines[2].split(",")
        fields[index] = bad
        lines[2] = ",".join(fields)
        small_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with pytest.raises(IngestError) as err:
            wmd.parse(small_file)
        assert (err.value.line, err.value.column) == (3, column)
