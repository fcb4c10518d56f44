"""CEPII BACI importer: real files (PROVENANCE sections 2, G1, H1, H3) and bad input."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critmin.errors import IngestError, UnknownNamesError
from critmin.harmonize.commodities import catalog
from critmin.harmonize.hs import CONFIDENCE, NO_COMMODITY, commodity_for_hs, hs_catalog
from critmin.ingest import baci
from critmin.schema import STAGES, TRADE
from critmin.store import Store

G1 = "geopolrisk/baci_hs92_minerals_1995_2024.csv"
ATLAS_2022 = "baci/baci_hs17_v202601_atlas31codes_2022.csv"
ATLAS_2024 = "baci/baci_hs17_v202601_atlas31codes_2024.csv"
H1 = "baci/baci_hs17_v202601_atlas30codes_2024_with_qty.csv"
HEADER = "t,i,j,k,v,q\n"


def sql(table: pa.Table, query: str) -> list[tuple]:
    con = duckdb.connect()
    con.register("trade", table)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def g1(raw_data: Path) -> baci.Parsed:
    return baci.parse(raw_data / G1)


@pytest.fixture(scope="module")
def g1_lines(raw_data: Path) -> list[str]:
    with open(raw_data / G1, encoding="utf-8") as handle:
        return [next(handle) for _ in range(2000)]


def write(folder: Path, body: str, name: str = "BACI_HS92_Y2020_V202601.csv") -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


# -- real files --------------------------------------------------------------------------------


def test_g1_release_and_shape(g1: baci.Parsed) -> None:
    """G1 is BACI HS92, most likely release V202601 (PROVENANCE H3); 1,264,888 rows, 74 codes, 30 years."""
    assert g1.release == "BACI HS92 V202601"
    assert g1.dataset == "baci_hs92"
    assert g1.release_date == date(2026, 1, 15)
    assert "approximate" in g1.notes and "H3" in g1.notes
    table = g1.tables["trade"]
    assert set(table.column_names) == set(TRADE.column_names)
    assert g1.counts == {"rows": 1_264_888, "rows_without_quantity": 61_682, "years": 30, "products": 74}


def test_g1_japan_rare_earth_imports_2010(g1: baci.Parsed) -> None:
    """PROVENANCE G1: 2010 rare-earth (2846xx + 280530) imports of Japan, China 23,154 t.

    PROVENANCE says "of about 25,000 t"; the file's own total over all partners is 29,485 t
    (284610 13,723 t + 284690 9,961 t + 280530 5,801 t), so China had 78.5%.
    """
    rows = sql(
        g1.tables["trade"],
        "SELECT exporter, sum(quantity_t) FROM trade WHERE year = 2010 AND importer = 'JPN' "
        "AND (hs6 LIKE '2846%' OR hs6 = '280530') GROUP BY 1 ORDER BY 2 DESC",
    )
    assert rows[0][0] == "CHN"
    assert round(rows[0][1]) == 23_154
    assert round(sum(r[1] for r in rows)) == 29_485


def test_g1_drc_cobalt_and_indonesia_nickel_ore(g1: baci.Parsed) -> None:
    """PROVENANCE G1/H3: DR Congo 810510 exports 2022 359,834 t (top); Indonesia 260400 28.9 Mt (2019),
    3.8 Mt (2020), 0.37 Mt (2021) after the ore export ban."""
    table = g1.tables["trade"]
    top = sql(
        table,
        "SELECT exporter, sum(quantity_t) FROM trade WHERE year = 2022 AND hs6 = '810510' "
        "GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    )
    assert top[0][0] == "COD" and round(top[0][1]) == 359_834
    ore = dict(
        sql(
            table,
            "SELECT year, sum(quantity_t) FROM trade WHERE exporter = 'IDN' AND hs6 = '260400' GROUP BY 1",
        )
    )
    assert round(ore[2019] / 1e6, 1) == 28.9
    assert round(ore[2020] / 1e6, 1) == 3.8
    assert round(ore[2021] / 1e6, 2) == 0.37


def test_g1_country_codes(g1: baci.Parsed) -> None:
    """PROVENANCE H3: 58 (Belgium-Luxembourg, to 1998) and 56 both BEL; 736/729 both SDN; 490 is Taiwan."""
    table = g1.tables["trade"]
    assert sql(table, "SELECT min(year), max(year) FROM trade WHERE exporter = 'BEL'") == [(1995, 2024)]
    assert sql(table, "SELECT min(year), max(year) FROM trade WHERE exporter = 'SDN'") == [(1995, 2024)]
    assert sql(table, "SELECT count(*) FROM trade WHERE exporter = 'TWN'") == [(14_122,)]
    assert sql(table, "SELECT count(*) FROM trade WHERE 'S19' IN (exporter, importer)") == [(0,)]
    kept = sql(table, "SELECT DISTINCT exporter FROM trade WHERE exporter IN ('ZA1', 'ANT', 'SCG', 'PUS')")
    assert {r[0] for r in kept} == {"ZA1", "ANT", "SCG", "PUS"}


def test_g1_values_are_thousands_of_usd(g1: baci.Parsed, raw_data: Path) -> None:
    """BACI v is in thousand USD: the stored value is v x 1000, summed over the whole file."""
    con = duckdb.connect()
    total_v = con.execute(f"SELECT sum(v) FROM read_csv('{raw_data / G1}')").fetchall()[0][0]
    stored = sql(g1.tables["trade"], "SELECT sum(value_usd) FROM trade")[0][0]
    assert stored == pytest.approx(total_v * 1000, rel=1e-12)


def test_atlas_2022_lithium_carbonate_shares(raw_data: Path) -> None:
    """PROVENANCE 2a: 2022 has 23,167 flows and $388.5 bn; lithium carbonate (283691) exporters
    by value: Chile 79.7%, Argentina 6.2%."""
    parsed = baci.parse(raw_data / ATLAS_2022)
    assert parsed.release == "BACI HS17 V202601" and parsed.dataset == "baci_hs17"
    table = parsed.tables["trade"]
    assert sql(table, "SELECT count(*), round(sum(value_usd) / 1e9, 1), min(year), max(year) FROM trade") == [
        (23_167, 388.5, 2022, 2022)
    ]
    shares = sql(
        table,
        "SELECT exporter, sum(value_usd) / sum(sum(value_usd)) OVER () FROM trade WHERE hs6 = '283691' "
        "GROUP BY 1 ORDER BY 2 DESC LIMIT 2",
    )
    assert [(e, round(s * 100, 1)) for e, s in shares] == [("CHL", 79.7), ("ARG", 6.2)]
    assert table["quantity_t"].null_count == table.num_rows


def test_h1_lithium_carbonate_tonnage_and_same_values_as_2a(raw_data: Path) -> None:
    """PROVENANCE H1: 283691 in 2024 is 327,223 t, Chile 73.7% of tonnage; values equal 2a's to the dollar."""
    h1 = baci.parse(raw_data / H1).tables["trade"]
    row = sql(
        h1,
        "SELECT sum(quantity_t), sum(quantity_t) FILTER (exporter = 'CHL') / sum(quantity_t) "
        "FROM trade WHERE hs6 = '283691'",
    )[0]
    assert int(row[0]) == 327_223 and round(row[1] * 100, 1) == 73.7
    assert h1.num_rows == 21_723 and h1["quantity_t"].null_count == 1_030
    values = baci.parse(raw_data / ATLAS_2024).tables["trade"]
    con = duckdb.connect()
    con.register("a", h1)
    con.register("b", values)
    joined = con.execute(
        "SELECT count(*), max(abs(a.value_usd - b.value_usd)) "
        "FROM a JOIN b USING (year, exporter, importer, hs6)"
    ).fetchall()[0]
    assert joined[0] == 21_723 and joined[1] < 1e-6


def test_store_round_trip_and_reimport_is_noop(g1: baci.Parsed, store: Store) -> None:
    """The whole of G1 goes into the store once; adding the same file again changes nothing."""
    first = store.add([g1])[0]
    assert first.status == "added" and first.rows == {"trade": 1_264_888}
    assert store.add([g1])[0].status == "unchanged"
    cobalt = store.select("trade", {"year": 2022, "hs6": "810510", "exporter": "COD"})
    assert round(cobalt["quantity_t"].sum()) == 359_834
    assert set(cobalt["release"]) == {"BACI HS92 V202601"}


def test_progress_callback_start_and_end(raw_data: Path) -> None:
    calls: list[tuple[int, int]] = []
    baci.parse(raw_data / ATLAS_2024, progress=lambda done, total: calls.append((done, total)))
    size = (raw_data / ATLAS_2024).stat().st_size
    assert calls[0] == (0, size) and calls[-1] == (size, size)


# -- layouts and options ------------------------------------------------------------------------


def test_bundled_codes_and_zero_padding(tmp_path: Path) -> None:
    """Without a code file beside the data the bundled table is used; k 10111 becomes 010111."""
    path = write(tmp_path, HEADER + "2020,251,699,10111,1.5,2\n2020,490,392,283691,2.5,\n")
    parsed = baci.parse(path)
    table = parsed.tables["trade"].to_pandas()
    assert list(table["hs6"]) == ["010111", "283691"]
    assert list(table["exporter"]) == ["FRA", "TWN"]
    assert list(table["value_usd"]) == [1500.0, 2500.0]
    assert table["quantity_t"].isna().tolist() == [False, True]
    assert "bundled" in parsed.notes


def test_padded_na_quantity(tmp_path: Path) -> None:
    """Some BACI releases write a missing q as a blank-padded NA."""
    path = write(
        tmp_path, HEADER + "2020,251,699,283691,   1.500,          NA\n2020,251,392,283691,2.5,  3.250\n"
    )
    table = baci.parse(path).tables["trade"]
    assert table["quantity_t"].to_pylist() == [None, 3.25]


def test_zip_release_with_years(raw_data: Path, g1_lines: list[str], tmp_path: Path) -> None:
    """A BACI release zip: members per year and the code file; years= picks some of them."""
    rows = g1_lines[1:]
    archive = tmp_path / "BACI_HS92_V202601.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for year in (2001, 2002):
            body = HEADER + "".join(line.replace("1995,", f"{year},", 1) for line in rows)
            zipped.writestr(f"BACI_HS92_Y{year}_V202601.csv", body)
        zipped.write(raw_data / "baci/country_codes_V202601.csv", "country_codes_V202601.csv")
    whole = baci.parse(archive)
    one = baci.parse(archive, years=[2002])
    assert whole.counts["rows"] == 2 * len(rows) and whole.counts["years"] == 2
    assert one.counts["rows"] == len(rows)
    assert sql(one.tables["trade"], "SELECT DISTINCT year FROM trade") == [(2002,)]
    assert one.sha256 != whole.sha256 and one.release == "BACI HS92 V202601"
    with pytest.raises(IngestError, match="years"):
        baci.parse(archive, years="1990")


# -- bad input ----------------------------------------------------------------------------------


def test_truncated_file(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2020,251,699,283691,1.5,2\n2020,251,392,2836")
    with pytest.raises(IngestError, match="truncated") as info:
        baci.parse(path)
    assert info.value.line == 3 and str(path) in str(info.value)


def test_wrong_header(tmp_path: Path) -> None:
    path = write(tmp_path, "year,exporter,importer,product,value\n2020,251,699,283691,1.5\n")
    with pytest.raises(IngestError, match="unexpected header") as info:
        baci.parse(path)
    assert info.value.line == 1


def test_non_numeric_value(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2020,251,699,283691,1.5,2\n2020,251,392,283691,abc,2\n")
    with pytest.raises(IngestError, match="abc") as info:
        baci.parse(path)
    assert (info.value.line, info.value.column) == (3, "v")


def test_negative_quantity(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2020,251,699,283691,1.5,2\n2020,251,392,283691,1.5,-2\n")
    with pytest.raises(IngestError, match="negative q") as info:
        baci.parse(path)
    assert (info.value.line, info.value.column) == (3, "q")


def test_duplicate_key(tmp_path: Path) -> None:
    body = HEADER + "2020,251,699,283691,1.5,2\n2020,251,392,283691,1.5,2\n2020,251,699,283691,7,2\n"
    with pytest.raises(IngestError, match=r"duplicate .*\(2 of 3 rows\)") as info:
        baci.parse(write(tmp_path, body))
    assert info.value.line == 2


def test_duplicate_after_mapping_belgium(tmp_path: Path) -> None:
    """58 and 56 are both BEL: both in one year would give two BEL->IND rows."""
    body = HEADER + "1996,58,699,283691,1.5,2\n1996,56,699,283691,1.5,2\n"
    with pytest.raises(IngestError, match="after mapping"):
        baci.parse(write(tmp_path, body))


def test_belgium_codes_over_several_years(tmp_path: Path) -> None:
    """In a file of several years, 58 and 56 (both BEL) may meet across years, not within one."""
    apart = HEADER + "1996,58,699,283691,1.5,2\n1997,56,699,283691,1.5,2\n"
    table = baci.parse(write(tmp_path, apart)).tables["trade"]
    assert sql(table, "SELECT year, exporter FROM trade ORDER BY 1") == [(1996, "BEL"), (1997, "BEL")]
    together = HEADER + "1996,58,699,283691,1.5,2\n1997,56,699,283691,1.5,2\n1997,58,699,283691,1,2\n"
    with pytest.raises(IngestError, match="after mapping") as info:
        baci.parse(write(tmp_path, together))
    assert "(2 of 3 rows)" in str(info.value) and info.value.line == 3


def test_unknown_country_code(tmp_path: Path) -> None:
    body = HEADER + "2020,251,699,283691,1.5,2\n2020,999,698,283691,1.5,2\n"
    with pytest.raises(UnknownNamesError) as info:
        baci.parse(write(tmp_path, body))
    assert info.value.names == ["698", "999"]


def test_malformed_product_and_empty_value(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="1 to 6 digits") as info:
        baci.parse(write(tmp_path, HEADER + "2020,251,699,28A691,1.5,2\n"))
    assert info.value.line == 2 and info.value.column == "k"
    with pytest.raises(IngestError, match="empty field") as info:
        baci.parse(write(tmp_path, HEADER + "2020,251,699,283691,1,2\n2020,251,392,283691,,2\n"))
    assert (info.value.line, info.value.column) == (3, "v")


def test_unknown_version_needs_option(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2020,251,699,283691,1.5,2\n", name="trade_hs92.csv")
    with pytest.raises(IngestError, match="version"):
        baci.parse(path)
    assert baci.parse(path, version="V202401b").release_date == date(2024, 4, 9)


# -- invariants -----------------------------------------------------------------------------------

CODES = [4, 8, 12, 56, 156, 251, 392, 490, 699, 842]
flows = st.dictionaries(
    keys=st.tuples(
        st.sampled_from(CODES), st.sampled_from(CODES), st.sampled_from(["260300", "283691", "10111"])
    ),
    values=st.tuples(
        st.decimals(min_value=0, max_value=10**7, places=3, allow_nan=False),
        st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False)),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flows)
def test_parse_then_add_is_idempotent_and_keeps_the_total(data: dict) -> None:
    """Property: the stored total value is the file's sum(v) x 1000, and adding twice stores once."""
    body = HEADER + "".join(
        f"2021,{i},{j},{k},{v},{'' if q is None else q}\n" for (i, j, k), (v, q) in data.items()
    )
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), body, name="BACI_HS92_Y2021_V202601.csv")
        store = Store(Path(folder) / "store.duckdb")
        store.add([baci.parse(path)])
        again = store.add([baci.parse(path)])
        assert again[0].status == "unchanged"
        stored = store.query("SELECT count(*) AS n, coalesce(sum(value_usd), 0) AS total FROM trade")
    assert int(stored["n"][0]) == len(data)
    expected = float(sum(v for v, _ in data.values())) * 1000
    assert float(stored["total"][0]) == pytest.approx(expected, rel=1e-9, abs=1e-6)


# -- HS code table ----------------------------------------------------------------------------------


def test_hs_table_is_well_formed() -> None:
    table = hs_catalog()
    assert not table.duplicated(["nomenclature", "hs6"]).any()
    assert table["hs6"].str.fullmatch(r"[0-9]{6}").all()
    assert set(table["confidence"]) <= set(CONFIDENCE)
    assert set(table["stage"]) <= set(STAGES)
    mapped = table[table["commodity"] != NO_COMMODITY]
    assert set(mapped["commodity"]) <= set(catalog()["commodity"])
    assert (table["description"].str.len() > 0).all()


def test_every_g1_and_atlas_code_is_mapped(g1: baci.Parsed, raw_data: Path) -> None:
    """PROVENANCE G1/H3: 74 HS92 codes; 2a/H1: 30 HS17 codes (811231 folded into 811292)."""
    hs92 = pd.Series(sql(g1.tables["trade"], "SELECT DISTINCT hs6 FROM trade ORDER BY 1")).str[0]
    assert len(hs92) == 74
    mapped = commodity_for_hs("HS92", hs92)
    assert mapped.set_index("hs6").loc["260400", "commodity"] == "nickel"
    assert mapped.set_index("hs6").loc["284690", "stage"] == "refinery"
    for name in (ATLAS_2022, ATLAS_2024, H1):
        table = baci.parse(raw_data / name).tables["trade"]
        codes = pd.Series(sql(table, "SELECT DISTINCT hs6 FROM trade")).str[0]
        assert len(codes) == 30
        assert len(commodity_for_hs("HS17", codes)) == 30
    assert len(hs_catalog().query("nomenclature == 'HS17'")) == 31


def test_unmapped_hs_code_is_an_error() -> None:
    with pytest.raises(UnknownNamesError, match="HS92 260500"):
        commodity_for_hs("HS92", pd.Series(["260300", "260500"]))
