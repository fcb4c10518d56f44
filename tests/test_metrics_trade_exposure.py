"""Trade exposure: published BACI figures, invariants, and the fast path against the reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import critmin
from critmin.metrics.timeseries import trade_exposure_all, trade_exposure_chunks
from critmin.metrics.trade_exposure import KEYS, import_shares, trade_exposure

RARE_EARTHS = {"rare_earths": ["280530", "284610", "284690"]}
COMPOUNDS_2846 = {"rare_earth_compounds": ["284610", "284690"]}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> critmin.Critmin:
    return critmin.open(tmp_path_factory.mktemp("trade") / "critmin.duckdb")


@pytest.fixture(scope="module")
def places(db: critmin.Critmin) -> pd.DataFrame:
    return db.places()


def _world_share(shares: pd.DataFrame, commodity: str, year: int, exporter: str) -> pd.Series:
    row = shares[
        (shares["importer"] == "WLD")
        & (shares["commodity"] == commodity)
        & (shares["year"] == year)
        & (shares["exporter"] == exporter)
    ]
    assert len(row) == 1
    return row.iloc[0]


# -- published figures ------------------------------------------------------------------------------


def test_chile_lithium_carbonate_2022(db: critmin.Critmin, places: pd.DataFrame) -> None:
    """Chile's share of world exports of lithium carbonate (HS 283691) in 2022, by value.

    Source: shared/data/PROVENANCE.md, H3 (BACI HS92 G1: Chile 81.9%, Argentina 6.5%, China 6.2%)
    and 2a (BACI HS17 V202601 extract: Chile 79.7%, Argentina 6.2%, China 6.0%). Tolerance 0.05
    percentage points (the figures are quoted to one decimal).
    """
    hs92 = import_shares(db.trade(year=2022, hs6="283691"), aggregates=places)
    chile = _world_share(hs92, "283691", 2022, "CHL")
    assert chile["share_usd"] == pytest.approx(0.819, abs=5e-4)
    assert _world_share(hs92, "283691", 2022, "ARG")["share_usd"] == pytest.approx(0.065, abs=5e-4)
    assert _world_share(hs92, "283691", 2022, "CHN")["share_usd"] == pytest.approx(0.062, abs=5e-4)
    hs17 = import_shares(db.trade(year=2022, hs6="283691", nomenclature="HS17"), aggregates=places)
    assert _world_share(hs17, "283691", 2022, "CHL")["share_usd"] == pytest.approx(0.797, abs=5e-4)
    assert _world_share(hs17, "283691", 2022, "ARG")["share_usd"] == pytest.approx(0.062, abs=5e-4)


def test_japan_rare_earth_imports_2010(db: critmin.Critmin, places: pd.DataFrame) -> None:
    """Japan's 2010 rare-earth imports (2846xx + 280530): China 23,154 t of 29,485 t = 78.5%.

    Source: PROVENANCE.md G1 ("China 23,154 t of about 25,000 t"; the total over all suppliers
    with a quantity is 29,485 t, and two of the 60 flows have no quantity). Tolerance 1 t and
    0.05 percentage points.
    """
    trade = db.trade(year=2010, hs6=RARE_EARTHS["rare_earths"])
    out = trade_exposure(trade, RARE_EARTHS, aggregates=places, importers=["JPN"])
    row = out[out["importer"] == "JPN"].iloc[0]
    assert row["basis"] == "quantity"
    assert row["imports_t"] == pytest.approx(29_485, abs=1)
    assert row["top1_exporter"] == "CHN"
    assert row["top1_share"] * row["imports_t"] == pytest.approx(23_154, abs=1)
    assert row["top1_share"] == pytest.approx(0.785, abs=5e-4)
    assert 0.99 < row["quantity_coverage"] < 1.0


@pytest.mark.parametrize(("year", "published"), [(2010, 0.435), (2024, 0.101)])
def test_japan_share_of_world_2846_imports(
    db: critmin.Critmin, places: pd.DataFrame, year: int, published: float
) -> None:
    """Japan took 43.5% of world HS 2846 imports (by value) in 2010 and 10.1% in 2024.

    Source: PROVENANCE.md H3 (checks on BACI HS92 G1). Tolerance 0.05 percentage points.
    """
    trade = db.trade(year=year, hs6=COMPOUNDS_2846["rare_earth_compounds"])
    out = trade_exposure(trade, COMPOUNDS_2846, aggregates=places, importers=["JPN"])
    assert out.loc[out["importer"] == "JPN", "world_share_usd"].iloc[0] == pytest.approx(published, abs=5e-4)


def test_dr_congo_cobalt_810510_2022(db: critmin.Critmin, places: pd.DataFrame) -> None:
    """DR Congo had 63.8% of world 810510 exports by value in 2022, 359,834 t (79.8% of tonnage).

    Source: PROVENANCE.md H3 and G1. Tolerances 0.05 percentage points and 1 t.
    """
    shares = import_shares(db.trade(year=2022, hs6="810510"), aggregates=places)
    congo = _world_share(shares, "810510", 2022, "COD")
    assert congo["share_usd"] == pytest.approx(0.638, abs=5e-4)
    assert congo["quantity_t"] == pytest.approx(359_834, abs=1)
    assert congo["share_t"] == pytest.approx(0.798, abs=5e-4)


# -- units: apparent consumption and NIR only where they agree -----------------------------------------


@pytest.fixture(scope="module")
def recent(db: critmin.Critmin, places: pd.DataFrame) -> pd.DataFrame:
    trade = db.trade(year=[2021, 2022, 2023, 2024])
    return trade_exposure(
        trade,
        db.hs_codes(),
        db.governance(indicator="pv"),
        db.production(),
        aggregates=places,
        importers=["JPN", "IND", "USA", "CHN"],
    )


def _row(frame: pd.DataFrame, importer: str, commodity: str, year: int) -> pd.Series:
    hit = frame[(frame["importer"] == importer) & (frame["commodity"] == commodity) & (frame["year"] == year)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_nir_where_units_agree(recent: pd.DataFrame) -> None:
    """Unwrought aluminium (760110, exact) against USGS smelter output: NIR = (M − X)/(P + M − X)."""
    japan = _row(recent, "JPN", "aluminum", 2022)
    assert japan["note"] == "not listed as a producer: production taken as 0"
    assert japan["production_t"] == 0
    expected = (japan["imports_t"] - japan["exports_t"]) / (japan["imports_t"] - japan["exports_t"])
    assert japan["nir"] == pytest.approx(expected)
    china = _row(recent, "CHN", "aluminum", 2022)
    assert china["production_t"] > 30e6  # USGS: about 40 Mt, in kt converted to tonnes
    assert china["apparent_consumption_t"] == pytest.approx(
        china["production_t"] + china["imports_t"] - china["exports_t"]
    )
    assert china["nir"] == pytest.approx(
        (china["imports_t"] - china["exports_t"]) / china["apparent_consumption_t"]
    )
    assert (
        "usgs_mcs" in china["provenance"] and "baci" in china["provenance"] and "wgi" in china["provenance"]
    )


def test_no_nir_when_units_differ(recent: pd.DataFrame) -> None:
    """Copper ore is traded in gross weight but produced in Cu content; cobalt codes are proxies."""
    copper = _row(recent, "CHN", "copper", 2022)
    assert np.isnan(copper["nir"]) and np.isnan(copper["apparent_consumption_t"])
    assert copper["note"] == "production basis 'Cu content' is not the gross weight of the traded goods"
    cobalt = _row(recent, "JPN", "cobalt", 2022)
    assert np.isnan(cobalt["nir"]) and "not all 'exact'" in cobalt["note"]


def test_governance_threshold_is_a_parameter(db: critmin.Critmin, places: pd.DataFrame) -> None:
    """Raising the threshold can only add suppliers to the weak-governance share."""
    trade = db.trade(year=2022, hs6="810510")
    gov = db.governance(indicator="pv")
    low = trade_exposure(trade, None, gov, aggregates=places, threshold=-1.0)
    high = trade_exposure(trade, None, gov, aggregates=places, threshold=0.0)
    assert (high["share_weak_governance"] >= low["share_weak_governance"] - 1e-12).all()
    world = high[high["importer"] == "WLD"].iloc[0]
    assert world["share_weak_governance"] > 0.6  # DR Congo (pv about -1.8) alone is 79.8% by tonnage
    assert world["governance_coverage"] == pytest.approx(1.0, abs=1e-3)


# -- the fast path equals the per-group reference on the bundled data -----------------------------------


def test_fast_path_equals_reference_on_bundled_data(db: critmin.Critmin, places: pd.DataFrame) -> None:
    trade = db.trade(year=[2010, 2016, 2020, 2022, 2024])
    inputs = (trade, db.hs_codes(), db.governance(indicator="pv"), db.production())
    importers = ["JPN", "IND", "USA", "DEU", "COD"]
    reference = trade_exposure(*inputs, aggregates=places, importers=[*importers, "WLD"])
    fast = trade_exposure_all(*inputs, aggregates=places)
    fast = fast[fast["importer"].isin([*importers, "WLD"])]
    _assert_same(reference, fast)
    assert len(reference) > 1000


def test_chunks_equal_the_whole_frame_on_bundled_data(db: critmin.Critmin, places: pd.DataFrame) -> None:
    """A year at a time gives the rows of the whole frame: each year once, sorted, same values and dtypes."""
    trade = db.trade(year=[2016, 2020, 2022, 2024])
    inputs = (trade, db.hs_codes(), db.governance(indicator="pv"), db.production())
    whole = trade_exposure_all(*inputs, aggregates=places)
    chunks = list(trade_exposure_chunks(*inputs, aggregates=places))
    assert [frame["year"].unique().tolist() for frame in chunks] == [[2016], [2020], [2022], [2024]]
    for frame in chunks:
        keys = frame[["importer", "commodity", "stage"]].astype(str)
        assert keys.equals(keys.sort_values(list(keys.columns), ignore_index=True))
        shared = frame.dtypes.drop(["note", "provenance"])  # these two have each year's categories
        assert (shared == whole.dtypes.drop(["note", "provenance"])).all()
    joined = pd.concat(
        [frame.astype({"note": str, "provenance": str}) for frame in chunks], ignore_index=True
    )
    joined = joined.sort_values(list(KEYS), ignore_index=True, key=lambda c: c.astype(str))
    expected = whole.astype({"note": str, "provenance": str})
    pd.testing.assert_frame_equal(joined, expected, check_exact=True)
    assert (whole["importer"] == "WLD").any() and whole["nir"].notna().any()


def _assert_same(reference: pd.DataFrame, fast: pd.DataFrame) -> None:
    fast = fast.astype({c: str for c in ("importer", "commodity", "stage", "basis", "note", "provenance")})
    joined = reference.merge(fast, on=list(KEYS), how="outer", suffixes=("_a", "_b"), indicator=True)
    assert (joined["_merge"] == "both").all()
    for column in reference.columns:
        if column in KEYS:
            continue
        a, b = joined[f"{column}_a"], joined[f"{column}_b"]
        if column == "top1_exporter":
            assert (a.fillna("") == b.astype(object).fillna("")).all()
        elif a.dtype.kind in "fiu":
            assert np.allclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float), equal_nan=True), column
        else:
            assert (a.astype(str) == b.astype(str)).all(), column


# -- invariants ------------------------------------------------------------------------------------------

COUNTRIES = ["AAA", "BBB", "CCC", "DDD", "S19"]
flows = st.lists(
    st.tuples(
        st.sampled_from(COUNTRIES),
        st.sampled_from(COUNTRIES[:4]),
        st.sampled_from(["111111", "222222"]),
        st.sampled_from([2020, 2021]),
        st.floats(1.0, 1e6),
        st.one_of(st.none(), st.just(0.0), st.floats(0.001, 1e5)),  # BACI quantities have 3 decimals
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda r: (r[0], r[1], r[2], r[3]),
)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["exporter", "importer", "hs6", "year", "value_usd", "quantity_t"])
    frame = frame[frame["exporter"] != frame["importer"]]
    frame["quantity_t"] = frame["quantity_t"].astype(float)
    return frame.assign(source="baci", release="test", vintage_id=1).reset_index(drop=True)


GOVERNANCE = pd.DataFrame(
    {
        "country": ["AAA", "BBB", "CCC", "DDD"] * 2,
        "year": [2020] * 4 + [2021] * 4,
        "estimate": [-1.0, 0.5, -0.6, 1.2, -0.2, 0.4, -0.9, 1.0],
        "source": "wgi",
        "release": "test",
        "vintage_id": 2,
    }
)


@settings(max_examples=30, deadline=None)
@given(flows)
def test_shares_sum_to_one_with_unattributed(rows: list[tuple]) -> None:
    trade = _frame(rows)
    if trade.empty:
        return
    shares = import_shares(trade, aggregates=["S19"])
    sums = shares.groupby(list(KEYS))["share"].sum()  # aggregates' shares are the unattributed part
    assert np.allclose(sums.dropna(), 1.0)
    summary = trade_exposure(trade, None, GOVERNANCE, aggregates=["S19"])
    attributed = shares[~shares["is_aggregate"]].groupby(list(KEYS))["share"].sum()
    merged = summary.set_index(list(KEYS)).join(attributed.rename("attributed"))
    ok = merged["share_unattributed"].notna()
    assert np.allclose(merged.loc[ok, "attributed"].fillna(0) + merged.loc[ok, "share_unattributed"], 1.0)


@settings(max_examples=30, deadline=None)
@given(flows)
def test_hhi_bounds_and_single_supplier(rows: list[tuple]) -> None:
    trade = _frame(rows)
    if trade.empty:
        return
    out = trade_exposure(trade, None, GOVERNANCE, aggregates=["S19"])
    rated = out[out["suppliers"] > 0]
    assert (rated["hhi"] >= 1 / rated["suppliers"] - 1e-12).all()
    assert (rated["hhi"] <= 1 + 1e-12).all()
    single = rated[rated["suppliers"] == 1]
    assert np.allclose(single["hhi"], 1.0)
    assert ((out["share_weak_governance"] >= -1e-12) & (out["share_weak_governance"] <= 1 + 1e-12)).all()


@settings(max_examples=25, deadline=None)
@given(flows, st.randoms(use_true_random=False), st.floats(0.001, 1000.0))
def test_row_order_and_scale_invariance(rows: list[tuple], rng: object, factor: float) -> None:
    trade = _frame(rows)
    if trade.empty:
        return
    base = trade_exposure(trade, None, GOVERNANCE, aggregates=["S19"])
    order = list(range(len(trade)))
    rng.shuffle(order)  # type: ignore[attr-defined]
    shuffled = trade_exposure(trade.iloc[order], None, GOVERNANCE, aggregates=["S19"])
    pd.testing.assert_frame_equal(base, shuffled, check_exact=False, rtol=1e-9)
    scaled = trade.assign(value_usd=trade["value_usd"] * factor, quantity_t=trade["quantity_t"] * factor)
    rescaled = trade_exposure(scaled, None, GOVERNANCE, aggregates=["S19"])
    for column in ("hhi", "top1_share", "share_unattributed", "share_weak_governance", "world_share_usd"):
        assert np.allclose(base[column], rescaled[column], equal_nan=True, rtol=1e-9), column
    assert (base["top1_exporter"].fillna("") == rescaled["top1_exporter"].fillna("")).all()


@settings(max_examples=30, deadline=None)
@given(flows)
def test_fast_path_equals_reference_on_random_frames(rows: list[tuple]) -> None:
    trade = _frame(rows)
    if trade.empty:
        return
    reference = trade_exposure(trade, None, GOVERNANCE, aggregates=["S19"])
    _assert_same(reference, trade_exposure_all(trade, None, GOVERNANCE, aggregates=["S19"]))
    groups = {"both": ["111111", "222222"]}
    _assert_same(
        trade_exposure(trade, groups, GOVERNANCE, aggregates=["S19"]),
        trade_exposure_all(trade, groups, GOVERNANCE, aggregates=["S19"]),
    )


def test_metrics_do_no_io() -> None:
    source = Path(critmin.__file__).parent / "metrics"
    for name in ("trade_exposure.py", "timeseries.py"):
        text = (source / name).read_text()
        assert "read_" not in text.replace("read_reference", "") and "open(" not in text, name
