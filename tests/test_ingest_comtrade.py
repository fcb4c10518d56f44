"""UN Comtrade importer: real extracts (PROVENANCE sections 3a, 3b, H2) and bad input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import IngestError, UnknownNamesError
from critmin.ingest import comtrade
from critmin.schema import TRADE
from critmin.store import Store

MIRROR_2022 = "comtrade/comtrade_raw_mirror_atlas31codes_2022.csv"
MIRROR_2024 = "comtrade/comtrade_raw_mirror_atlas31codes_2024.csv"
PNNL = "comtrade/comtrade_pnnl_cmm_goldqa_selected_pairs_2020_2024.csv"
CHINA = "comtrade/comtrade_china_imports_hs2846_by_origin_1993_2024.csv"
MIRROR_HEADER = "year,reporter,partner,cmd,flow,value,netwgt,qty,qtyunit\n"


@pytest.fixture(scope="module")
def mirror_2022(raw_data: Path) -> comtrade.Parsed:
    return comtrade.parse(raw_data / MIRROR_2022)


def flow(trade: pd.DataFrame, **where: object) -> pd.DataFrame:
    mask = pd.Series(True, index=trade.index)
    for column, value in where.items():
        mask &= trade[column] == value
    return trade[mask]


def test_mirror_2022_duplicates_counted(mirror_2022: comtrade.Parsed) -> None:
    """PROVENANCE 3a: 166,616 rows in 2022, about 54% exact duplicates, and about 39,000 more rows
    sharing a (reporter, partner, cmd, flow) key."""
    counts = mirror_2022.counts
    assert counts["rows_in_file"] == 166_616
    assert round(counts["exact_duplicates_removed"] / counts["rows_in_file"], 2) == 0.54
    assert 38_000 < counts["breakdown_rows_dropped"] < 40_000
    assert f"{counts['exact_duplicates_removed']} exact duplicate rows removed" in mirror_2022.notes
    assert mirror_2022.info.bundled is False and "no commercial resale" in mirror_2022.info.licence
    assert mirror_2022.dataset == "comtrade" and mirror_2022.release_date == date(2026, 1, 15)
    trade = mirror_2022.tables["trade"]
    assert list(trade.columns) == TRADE.column_names
    assert not trade.duplicated(["nomenclature", "year", "exporter", "importer", "hs6"]).any()
    assert set(trade["nomenclature"]) == {"HS17"} and trade["hs6"].nunique() == 31


def test_china_magnet_exports_to_world_2022(mirror_2022: comtrade.Parsed) -> None:
    """PROVENANCE 3a: China's reported exports of 850511 to World in 2022: $4.58 bn and 121,989 t."""
    row = flow(mirror_2022.tables["trade"], exporter="CHN", importer="WLD", hs6="850511")
    assert len(row) == 1
    assert round(row["value_usd"].iloc[0] / 1e9, 2) == 4.58
    assert round(row["quantity_t"].iloc[0]) == 121_989


def test_importer_report_preferred_over_exporter_mirror(mirror_2022: comtrade.Parsed, raw_data: Path) -> None:
    """Rule 3: a pair both sides report keeps the importer's (M) figure; X fills pairs without M."""
    raw = pd.read_csv(raw_data / MIRROR_2022, dtype={"cmd": str}).drop_duplicates()
    trade = mirror_2022.tables["trade"]
    # Chile (152) exports of lithium carbonate to Japan (392): Japan's import report wins.
    japan = raw.query("reporter == 392 and partner == 152 and cmd == '283691' and flow == 'M'")["value"].max()
    chile = raw.query("reporter == 152 and partner == 392 and cmd == '283691' and flow == 'X'")["value"].max()
    assert japan != chile
    kept = flow(trade, exporter="CHL", importer="JPN", hs6="283691")["value_usd"]
    assert list(kept) == [japan]
    assert mirror_2022.counts["rows_from_exporter_reports"] > 0


def test_mirror_2024_year_from_file_name(raw_data: Path) -> None:
    parsed = comtrade.parse(raw_data / MIRROR_2024)
    trade = parsed.tables["trade"]
    assert set(trade["year"]) == {2024}
    assert parsed.counts["exact_duplicates_removed"] > 0.5 * parsed.counts["rows_in_file"]


def test_pnnl_api_file(raw_data: Path) -> None:
    """PROVENANCE H2: AUS->CHN 253090 in 2023 $12.52 bn, 3.55 Mt; China's 380110 exports to World
    in 2023 $1.28 bn, 560,974 t; IDN->CHN 7501 in 2024 $5.88 bn, 1.754 Mt; COD->CHN 282200 in 2023
    $2.66 bn, 263,789 t."""
    trade = comtrade.parse(raw_data / PNNL).tables["trade"]
    checks = [
        ("AUS", "CHN", "253090", 2023, 12.52, 3_553_252),
        ("CHN", "WLD", "380110", 2023, 1.28, 560_974),
        ("IDN", "CHN", "7501", 2024, 5.88, 1_754_000),
        ("COD", "CHN", "282200", 2023, 2.66, 263_789),
    ]
    for exporter, importer, code, year, billions, tonnes in checks:
        row = flow(trade, exporter=exporter, importer=importer, hs6=code, year=year)
        assert len(row) == 1, (exporter, importer, code)
        assert round(row["value_usd"].iloc[0] / 1e9, 2) == billions
        assert row["quantity_t"].iloc[0] == pytest.approx(tonnes, rel=1e-3)
    assert set(trade["nomenclature"]) <= {"HS12", "HS17", "HS22"}


def test_china_rare_earth_imports_by_origin(raw_data: Path) -> None:
    """PROVENANCE 3b: top origins of China's 2846 imports in 2024: Myanmar ($818 m, 44,366 t), Laos ($260 m),
    Malaysia ($206 m); the World total row is an aggregate (WLD), not an origin."""
    trade = comtrade.parse(raw_data / CHINA).tables["trade"]
    year = flow(trade, year=2024, importer="CHN")
    origins = year[year["exporter"] != "WLD"].sort_values("value_usd", ascending=False)
    assert list(origins["exporter"].head(3)) == ["MMR", "LAO", "MYS"]
    assert [round(v / 1e6) for v in origins["value_usd"].head(3)] == [818, 260, 206]
    assert round(origins["quantity_t"].iloc[0]) == 44_366
    assert set(flow(trade, year=1993)["nomenclature"]) == {"HS92"}


def test_store_round_trip(mirror_2022: comtrade.Parsed, store: Store) -> None:
    assert store.add([mirror_2022])[0].status == "added"
    assert store.add([mirror_2022])[0].status == "unchanged"
    rows = store.select("trade", {"hs6": "850511", "exporter": "CHN", "importer": "WLD"}, source="comtrade")
    assert round(rows["quantity_t"].iloc[0]) == 121_989


# -- bad input ----------------------------------------------------------------------------------


def write(folder: Path, body: str, name: str = "comtrade_test_2022.csv") -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def parse_body(folder: Path, body: str) -> comtrade.Parsed:
    return comtrade.parse(write(folder, body), release="test", release_date="2026-01-01")


def test_bad_inputs(tmp_path: Path) -> None:
    good = "2022,156,0,850511,M,10.5,3,3,8\n"
    with pytest.raises(IngestError, match="unexpected header") as info:
        parse_body(tmp_path, "a,b,c\n1,2,3\n")
    assert info.value.line == 1
    with pytest.raises(IngestError, match="truncated") as info:
        parse_body(tmp_path, MIRROR_HEADER + good + "2022,156,0,85")
    assert info.value.line == 3
    with pytest.raises(IngestError, match="abc") as info:
        parse_body(tmp_path, MIRROR_HEADER + good + "2022,156,0,850511,X,abc,3,3,8\n")
    assert (info.value.line, info.value.column) == (3, "value")
    with pytest.raises(IngestError, match="negative netwgt") as info:
        parse_body(tmp_path, MIRROR_HEADER + good + "2022,156,0,850511,X,1,-3,3,8\n")
    assert info.value.line == 3
    with pytest.raises(IngestError, match="neither M nor X"):
        parse_body(tmp_path, MIRROR_HEADER + "2022,156,0,850511,RX,1,3,3,8\n")
    with pytest.raises(UnknownNamesError, match="'998'"):
        parse_body(tmp_path, MIRROR_HEADER + "2022,998,0,850511,X,1,3,3,8\n")
    with pytest.raises(IngestError, match="release"):
        comtrade.parse(write(tmp_path, MIRROR_HEADER + good))


def test_duplicates_and_breakdowns_on_a_small_file(tmp_path: Path) -> None:
    """Exact duplicates are dropped and counted; of breakdown rows sharing a key the largest
    (the total) stays; the importer's report beats the exporter's."""
    body = MIRROR_HEADER + (
        "2022,392,152,283691,M,100,10,10,8\n"
        "2022,392,152,283691,M,100,10,10,8\n"
        "2022,392,152,283691,M,60,6,6,8\n"
        "2022,392,152,283691,M,40,4,4,8\n"
        "2022,152,392,283691,X,90,9,9,8\n"
        "2022,152,410,283691,X,70,7,7,8\n"
    )
    parsed = parse_body(tmp_path, body)
    trade = parsed.tables["trade"].set_index(["exporter", "importer"])
    assert parsed.counts["exact_duplicates_removed"] == 1
    assert parsed.counts["breakdown_rows_dropped"] == 2
    assert parsed.counts["exporter_rows_superseded_by_importer"] == 1
    assert trade.loc[("CHL", "JPN"), "value_usd"] == 100
    assert trade.loc[("CHL", "KOR"), "quantity_t"] == pytest.approx(0.007)
    assert len(trade) == 2
