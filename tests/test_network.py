"""The trade network of a commodity-year, checked against the store's BACI rows and USGS production."""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pandas as pd
import pytest

import critmin
from critmin.errors import CritminError
from critmin.scenarios.network import Network, build_network
from critmin.scenarios.spec import ScenarioError

RARE_EARTH_CODES = ("280530", "284610", "284690")
TONNES = {"t": 1.0, "kt": 1e3, "Mt": 1e6, "kg": 1e-3}


@pytest.fixture(scope="module")
def rare_earths(bundled: critmin.Critmin) -> Network:
    """Rare earths 2020: 181 of 2,267 BACI rows lack a quantity, and USGS gives mine output in REO."""
    return build_network(bundled, 2020, commodity="rare_earths")


@pytest.fixture(scope="module")
def niobium(bundled: critmin.Critmin) -> Network:
    """Niobium 2010: every BACI row has a quantity, so the tonnes are plain sums."""
    return build_network(bundled, 2010, commodity="niobium")


def baci_tonnes(db: critmin.Critmin, year: int, codes: tuple[str, ...]) -> pd.DataFrame:
    """Tonnes per exporter and importer, computed in SQL from the store's rows.

    Missing quantities take the value at the median unit value (USD per tonne) of the same HS code
    over the rows that have both, as the network module documents; self-trade and the world total
    are not flows.
    """
    con = duckdb.connect()
    con.register("trade", db.trade(year=year, hs6=list(codes)))
    return con.sql(
        """
        WITH t AS (
            SELECT * FROM trade WHERE exporter <> importer AND exporter <> 'WLD' AND importer <> 'WLD'
        ), uv AS (
            SELECT hs6, median(value_usd / quantity_t) AS usd_per_t FROM t
            WHERE quantity_t > 0 AND value_usd > 0 GROUP BY hs6
        )
        SELECT exporter, importer,
               sum(coalesce(quantity_t, value_usd / usd_per_t, 0)) AS tonnes,
               sum(CASE WHEN quantity_t IS NULL THEN coalesce(value_usd / usd_per_t, 0) ELSE 0 END) AS imputed
        FROM t LEFT JOIN uv USING (hs6)
        GROUP BY exporter, importer
        """
    ).df()


def check_matches_baci(db: critmin.Critmin, network: Network) -> None:
    pairs = baci_tonnes(db, network.year, network.hs_codes)
    expected = pairs.groupby("exporter")["tonnes"].sum()
    index = [network.index(code) for code in expected.index]
    np.testing.assert_allclose(network.exports[index], expected.to_numpy(), rtol=1e-9)
    expected = pairs.groupby("importer")["tonnes"].sum()
    index = [network.index(code) for code in expected.index]
    np.testing.assert_allclose(network.imports[index], expected.to_numpy(), rtol=1e-9)
    # every link, and nothing else
    rows = [network.index(code) for code in pairs["exporter"]]
    cols = [network.index(code) for code in pairs["importer"]]
    np.testing.assert_allclose(network.flows[rows, cols], pairs["tonnes"].to_numpy(), rtol=1e-9)
    assert network.flows.sum() == pytest.approx(pairs["tonnes"].sum(), rel=1e-12)
    assert network.imputed_share == pytest.approx(
        pairs["imputed"].sum() / pairs["tonnes"].sum(), rel=1e-9, abs=0
    )


# -- the flows -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rare_earths", "niobium"])
def test_flows_non_negative_and_no_self_flows(name: str, request: pytest.FixtureRequest) -> None:
    network: Network = request.getfixturevalue(name)
    n = network.size
    assert network.flows.shape == (n, n)
    assert (network.flows >= 0).all()
    assert np.isfinite(network.flows).all()
    assert (np.diag(network.flows) == 0).all()
    assert (network.production >= 0).all()
    assert network.flows.sum() > 0


def test_rare_earth_tonnes_equal_baci(bundled: critmin.Critmin, rare_earths: Network) -> None:
    assert rare_earths.hs_codes == RARE_EARTH_CODES
    assert rare_earths.stage == "refinery"
    assert rare_earths.commodity == "rare_earths"
    assert 0 < rare_earths.imputed_share < 0.01
    check_matches_baci(bundled, rare_earths)
    # the same through plain pandas, on the rows that carry a quantity: the imputed rows only add
    china = bundled.trade(year=2020, exporter="CHN", hs6=list(RARE_EARTH_CODES))
    known = china.loc[china["importer"] != "CHN", "quantity_t"].sum()
    imputed_world = rare_earths.imputed_share * rare_earths.flows.sum()
    assert 0 <= rare_earths.exports[rare_earths.index("CHN")] - known <= imputed_world * (1 + 1e-9)


def test_niobium_tonnes_are_plain_sums(bundled: critmin.Critmin, niobium: Network) -> None:
    trade = bundled.trade(year=2010, commodity="niobium")
    assert trade["quantity_t"].notna().all()
    assert niobium.imputed_share == 0.0
    exports = trade.groupby("exporter")["quantity_t"].sum()
    imports = trade.groupby("importer")["quantity_t"].sum()
    for code in set(exports.index) | set(imports.index):
        i = niobium.index(code)
        assert niobium.exports[i] == pytest.approx(exports.get(code, 0.0), rel=1e-12, abs=0)
        assert niobium.imports[i] == pytest.approx(imports.get(code, 0.0), rel=1e-12, abs=0)
    check_matches_baci(bundled, niobium)


def test_hs_codes_give_the_same_network_as_the_commodity(
    bundled: critmin.Critmin, rare_earths: Network
) -> None:
    by_codes = build_network(bundled, 2020, hs_codes=list(reversed(RARE_EARTH_CODES)))
    assert by_codes.label == "HS " + "+".join(RARE_EARTH_CODES)
    assert by_codes.commodity == "rare_earths"
    assert by_codes.stage == "refinery"
    assert by_codes.nodes == rare_earths.nodes
    np.testing.assert_allclose(by_codes.flows, rare_earths.flows, rtol=1e-12, atol=0)
    np.testing.assert_allclose(by_codes.production, rare_earths.production, rtol=1e-12, atol=0)


def test_one_code_is_a_sub_network(bundled: critmin.Critmin, rare_earths: Network) -> None:
    compounds = build_network(bundled, 2020, hs_codes=["284690"])
    assert compounds.hs_codes == ("284690",)
    check_matches_baci(bundled, compounds)
    for code in compounds.nodes:
        if rare_earths.has(code):
            assert compounds.exports[compounds.index(code)] <= rare_earths.exports[
                rare_earths.index(code)
            ] * (1 + 1e-12)


def test_building_twice_gives_identical_arrays(bundled: critmin.Critmin, rare_earths: Network) -> None:
    """The same network read again must be bit-for-bit the same (the same seed gives identical numbers).

    The store returns BACI rows in no fixed order, so the per-link sums must not depend on it.
    """
    for _ in range(6):
        again = build_network(bundled, 2020, commodity="rare_earths")
        np.testing.assert_array_equal(again.flows, rare_earths.flows)
        np.testing.assert_array_equal(again.production, rare_earths.production)
        assert again.imputed_share == rare_earths.imputed_share


# -- nodes ---------------------------------------------------------------------------------------


def test_nodes_are_the_traders_and_the_producers(bundled: critmin.Critmin, rare_earths: Network) -> None:
    trade = bundled.trade(year=2020, commodity="rare_earths")
    trade = trade[trade["exporter"] != trade["importer"]]
    traders = set(trade["exporter"]) | set(trade["importer"])
    producers = set(bundled.production(commodity="rare_earths", year=2020)["country"])
    assert producers, "the bundle has USGS rare-earth production for 2020"
    nodes = set(rare_earths.nodes)
    assert traders <= nodes
    assert producers <= nodes
    assert nodes <= traders | producers
    assert "WLD" not in nodes
    assert len(nodes) == rare_earths.size
    assert list(rare_earths.nodes) == sorted(nodes)
    for code in nodes:
        assert rare_earths.has(code)
        assert rare_earths.nodes[rare_earths.index(code)] == code
    # every node trades or produces something
    active = (rare_earths.exports + rare_earths.imports + rare_earths.production) > 0
    producers_without_output = {c for c in producers if rare_earths.production[rare_earths.index(c)] == 0}
    assert {rare_earths.nodes[i] for i in np.flatnonzero(~active)} <= producers_without_output


def test_unknown_place_is_a_scenario_error_naming_it(rare_earths: Network, niobium: Network) -> None:
    with pytest.raises(ScenarioError, match=r"XKX neither trades nor produces rare_earths in 2020"):
        rare_earths.index("XKX")
    assert not rare_earths.has("XKX")
    absent = next(code for code in rare_earths.nodes if not niobium.has(code))
    with pytest.raises(ScenarioError, match=rf"^{absent} .*niobium in 2010 \(HS 720293\)"):
        niobium.index(absent)


# -- production and consumption ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rare_earths", "niobium"])
def test_consumption_is_apparent_and_non_negative(name: str, request: pytest.FixtureRequest) -> None:
    network: Network = request.getfixturevalue(name)
    implied = np.maximum(network.exports - network.imports, 0.0)
    assert (network.production >= implied).all()
    assert (network.consumption >= 0).all()
    scale = network.flows.sum()
    apparent = network.production + network.imports - network.exports
    np.testing.assert_allclose(network.consumption, apparent, rtol=0, atol=1e-9 * scale)
    assert network.consumption.sum() == pytest.approx(network.production.sum(), rel=1e-9)


def test_production_basis_labels(bundled: critmin.Critmin, rare_earths: Network, niobium: Network) -> None:
    usgs = bundled.production(commodity="rare_earths", year=2020)
    usgs = usgs[usgs["form"] == ""]
    assert usgs["country"].is_unique
    assert set(usgs["stage"]) == {"mine"} and set(usgs["basis"]) == {"REO"}
    usgs_t = dict(zip(usgs["country"], usgs["value"] * usgs["unit"].map(TONNES), strict=True))
    implied = np.maximum(rare_earths.exports - rare_earths.imports, 0.0)
    labelled = 0
    for i, code in enumerate(rare_earths.nodes):
        label = rare_earths.production_basis[i]
        listed = usgs_t.get(code, 0.0)
        if listed > 0 and listed >= implied[i]:
            # mine output in REO stands in for traded compounds: an approximation, and labelled so
            assert label == "usgs approx (REO, mine)", code
            assert rare_earths.production[i] == pytest.approx(listed, rel=1e-12)
            labelled += 1
        else:
            assert label == "trade-implied", code
            assert rare_earths.production[i] == implied[i]
    assert labelled >= 5
    china = rare_earths.index("CHN")
    assert rare_earths.production_basis[china] == "usgs approx (REO, mine)"
    assert rare_earths.production[china] == pytest.approx(usgs_t["CHN"])
    assert re.search(r"\bbaci BACI HS92 \S+ #\d+", rare_earths.provenance)
    assert re.search(r"\busgs_mcs MCS\d{4} #\d+", rare_earths.provenance)
    # USGS has no niobium-in-ferroniobium series for 2010: every figure is the trade-implied minimum
    assert set(niobium.production_basis) == {"trade-implied"}
    assert "usgs" not in niobium.provenance
    for tag in set(bundled.trade(year=2010, commodity="niobium")["vintage_id"]):
        assert f"#{tag}" in niobium.provenance


def test_production_basis_labels_are_known(bundled: critmin.Critmin) -> None:
    for commodity, year in [
        ("cobalt", 2022),
        ("lithium", 2021),
        ("copper", 2020),
        ("graphite_natural", 2023),
    ]:
        network = build_network(bundled, year, commodity=commodity)
        assert len(network.production_basis) == network.size
        for label in network.production_basis:
            assert label in {"usgs", "trade-implied"} or re.fullmatch(r"usgs approx \([^,]+, \w+\)", label), (
                label
            )
        assert any(label.startswith("usgs") for label in network.production_basis), commodity
        implied = np.maximum(network.exports - network.imports, 0.0)
        trade_implied = np.array([label == "trade-implied" for label in network.production_basis])
        np.testing.assert_array_equal(network.production[trade_implied], implied[trade_implied])
        assert (network.production[~trade_implied] >= implied[~trade_implied]).all()
        assert (network.production[~trade_implied] > 0).all()


# -- choosing the goods and the year -------------------------------------------------------------


def test_a_commodity_with_several_stages_needs_the_stage(bundled: critmin.Critmin) -> None:
    with pytest.raises(ScenarioError, match=r"gold trades at stages mine, refinery: say which with 'stage'"):
        build_network(bundled, 2020, commodity="gold")
    mine = build_network(bundled, 2020, commodity="gold", stage="mine")
    refinery = build_network(bundled, 2020, commodity="gold", stage="refinery")
    assert (mine.stage, mine.hs_codes) == ("mine", ("261690",))
    assert (refinery.stage, refinery.hs_codes) == ("refinery", ("710812",))
    with pytest.raises(ScenarioError, match=r"gold has no HS92 HS codes at stage 'smelter'"):
        build_network(bundled, 2020, commodity="gold", stage="smelter")


def test_commodity_by_name(bundled: critmin.Critmin, rare_earths: Network) -> None:
    by_name = build_network(bundled, 2020, commodity="Rare earths")
    assert by_name.commodity == "rare_earths"
    np.testing.assert_allclose(by_name.flows, rare_earths.flows, rtol=1e-12, atol=0)
    with pytest.raises(CritminError, match="unobtainium"):
        build_network(bundled, 2020, commodity="unobtainium")


@pytest.mark.parametrize("year", [1990, 2031])
def test_a_year_without_trade_is_a_clear_error(bundled: critmin.Critmin, year: int) -> None:
    with pytest.raises(
        ScenarioError, match=rf"no HS92 trade in HS 280530, 284610, 284690 for {year} in the store"
    ):
        build_network(bundled, year, commodity="rare_earths")


def test_a_code_that_stopped_is_a_clear_error(bundled: critmin.Critmin) -> None:
    # germanium's HS92 code is last reported in 2016 (PROVENANCE: it stops in G1 after 2016)
    assert build_network(bundled, 2015, commodity="germanium").size > 1
    with pytest.raises(ScenarioError, match=r"no HS92 trade in HS 811230 for 2020"):
        build_network(bundled, 2020, commodity="germanium")


def test_network_rejects_bad_arrays() -> None:
    flows = np.array([[0.0, 1.0], [2.0, 0.0]])
    fields = {"label": "x", "stage": "mine", "year": 2020, "hs_codes": ("000000",), "provenance": "test"}
    ok = Network(
        nodes=("AAA", "BBB"), flows=flows, production=np.zeros(2), production_basis=("a", "b"), **fields
    )
    np.testing.assert_array_equal(ok.exports, [1.0, 2.0])
    np.testing.assert_array_equal(ok.imports, [2.0, 1.0])
    np.testing.assert_array_equal(ok.consumption, [1.0, 0.0])
    with pytest.raises(ValueError, match=">= 0"):
        Network(
            nodes=("AAA", "BBB"), flows=-flows, production=np.zeros(2), production_basis=("a", "b"), **fields
        )
    with pytest.raises(ValueError, match="n x n"):
        Network(nodes=("AAA",), flows=flows, production=np.zeros(1), production_basis=("a",), **fields)
