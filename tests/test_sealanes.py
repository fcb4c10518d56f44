"""Sea routes and chokepoints on the real trade pairs of the bundle, searoute's real network."""

from __future__ import annotations

import sys

import duckdb
import numpy as np
import pandas as pd
import pytest
import searoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import critmin
from critmin import services
from critmin.data import bundle_dir
from critmin.derived.refresh import sea_routes
from critmin.errors import CritminError
from critmin.scenarios.network import build_network
from critmin.scenarios.run import run_scenario
from critmin.scenarios.spec import ScenarioError, parse_scenario
from critmin.schema import CHOKEPOINT_EXPOSURE, SEA_ROUTES
from critmin.sealanes.network import METHOD_VERSION, crossed, sea_network
from critmin.sealanes.reference import chokepoints, land_borders, landlocked, ports
from critmin.sealanes.routes import closure_effect, route_pairs

INSIDE_THE_GULF = {"QAT", "KWT", "BHR", "IRQ"}
"""Countries whose every port lies inside the Strait of Hormuz."""
GULF_COASTS = INSIDE_THE_GULF | {"SAU", "ARE", "IRN"}
ALL_PORTS = sorted((p.locode, p.lon, p.lat) for group in ports().values() for p in group)


@pytest.fixture(scope="module")
def trade_pairs() -> list[tuple[str, str]]:
    """Every exporter -> importer pair of the bundled BACI table."""
    path = bundle_dir() / "trade.parquet"
    found = duckdb.sql(f"SELECT DISTINCT exporter, importer FROM '{path}' ORDER BY 1, 2").fetchall()
    return [(str(e), str(i)) for e, i in found]


@pytest.fixture(scope="module")
def routed(trade_pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return route_pairs(trade_pairs)


def test_every_trade_pair_gets_one_route_row(
    routed: pd.DataFrame, trade_pairs: list[tuple[str, str]]
) -> None:
    expected = {p for p in trade_pairs if p[0] != p[1]}
    assert set(zip(routed["exporter"], routed["importer"], strict=True)) == expected
    assert len(routed) == len(expected)
    assert set(routed["mode"]) == {"sea", "overland", "unrouted"}
    assert (routed["method_version"] == METHOD_VERSION).all()
    sea = routed[routed["mode"] == "sea"]
    assert sea["distance_km"].gt(0).all() and sea["origin_port"].notna().all()


def test_routes_leaving_the_persian_gulf_pass_hormuz(routed: pd.DataFrame) -> None:
    leaving = routed[
        routed["exporter"].isin(INSIDE_THE_GULF)
        & ~routed["importer"].isin(GULF_COASTS)
        & (routed["mode"] == "sea")
    ]
    assert len(leaving) > 100
    passes = leaving["chokepoints"].str.split().map(lambda ids: "hormuz" in ids)
    assert passes.all(), leaving.loc[~passes, ["exporter", "importer", "chokepoints"]]


def test_chile_to_japan_passes_neither_hormuz_nor_malacca(routed: pd.DataFrame) -> None:
    row = routed[(routed["exporter"] == "CHL") & (routed["importer"] == "JPN")].iloc[0]
    assert row["mode"] == "sea"
    assert not {"hormuz", "malacca"} & set(row["chokepoints"].split())


def test_europe_to_china_goes_by_suez_and_malacca(routed: pd.DataFrame) -> None:
    row = routed[(routed["exporter"] == "NLD") & (routed["importer"] == "CHN")].iloc[0]
    assert {"suez", "bab_el_mandeb", "malacca"} <= set(row["chokepoints"].split())


def test_overland_rules(routed: pd.DataFrame) -> None:
    by_pair = routed.set_index(["exporter", "importer"])
    assert frozenset(("DEU", "FRA")) in land_borders()
    assert by_pair.loc[("DEU", "FRA"), "mode"] == "overland"
    assert by_pair.loc[("CHN", "IND"), "mode"] == "sea", "the Himalaya: a sea neighbour"
    assert "ZMB" in landlocked()
    assert by_pair.loc[("ZMB", "CHN"), "origin_port"] in {"TZDAR", "ZADUR"}, "a land-locked gateway"
    unrouted = routed[routed["mode"] == "unrouted"]
    assert unrouted["exporter"].isin(["ZA1", "S19"]).any(), "BACI's aggregates are not routed"


def test_a_route_is_the_one_searoute_computes() -> None:
    network = sea_network()
    for origin, destination in [((139.63, 35.46), (4.44, 51.90)), ((-70.40, -23.66), (121.50, 31.40))]:
        theirs = searoute.searoute(list(origin), list(destination), restrictions=["northwest", "bering"])
        ours = network.route(origin, destination)
        assert ours is not None
        assert ours.distance_km == pytest.approx(theirs.properties["length"], rel=1e-3)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(ALL_PORTS), st.sampled_from(ALL_PORTS))
def test_a_routes_chokepoints_do_not_depend_on_the_direction(
    a: tuple[str, float, float], b: tuple[str, float, float]
) -> None:
    network = sea_network()
    there = network.route(a[1:], b[1:])
    back = network.route(b[1:], a[1:])
    assert (there is None) == (back is None)
    if there is not None and back is not None:
        assert set(there.chokepoints) == set(back.chokepoints)
        assert there.distance_km == pytest.approx(back.distance_km, rel=1e-9)


@given(
    st.tuples(st.floats(-10, 10), st.floats(-10, 10)),
    st.tuples(st.floats(-10, 10), st.floats(-10, 10)),
)
def test_the_gate_crossing_is_symmetric(a: tuple[float, float], b: tuple[float, float]) -> None:
    gate = ((0.0, -5.0), (0.0, 5.0))
    there, back = crossed(gate, np.array([[a, b]])), crossed(gate, np.array([[b, a]]))
    assert there[0] == back[0]
    if there[0]:
        assert (a[0] <= 0) != (b[0] <= 0), "a crossing changes side"
        lat = a[1] + (b[1] - a[1]) * (0 - a[0]) / (b[0] - a[0])
        assert -5 - 1e-9 <= lat <= 5 + 1e-9, "within the gate"


def test_closing_a_chokepoint_leaves_the_routes_that_avoid_it(routed: pd.DataFrame) -> None:
    network = sea_network()
    closed = network.without(["panama"])
    sample = routed[
        (routed["mode"] == "sea") & ~routed["chokepoints"].fillna("").str.contains("panama")
    ].head(300)
    again = route_pairs(zip(sample["exporter"], sample["importer"], strict=True), closed)
    assert again["distance_km"].to_numpy() == pytest.approx(sample["distance_km"].to_numpy())
    with pytest.raises(ValueError, match="unknown chokepoint"):
        network.without(["atlantis"])


def test_a_closure_reroutes_where_a_way_round_exists() -> None:
    effect = closure_effect([("CHN", "NLD"), ("QAT", "JPN"), ("CHL", "JPN")], ["suez"]).set_index("exporter")
    assert effect.loc["CHN", "rerouted"] and 8 < effect.loc["CHN", "extra_days"] < 20, "round the Cape"
    assert "cape_of_good_hope" in effect.loc["CHN", "alternative_chokepoints"]
    assert not effect.loc["CHL", "passes"]
    hormuz = closure_effect([("QAT", "JPN"), ("ARE", "JPN")], ["hormuz"]).set_index("exporter")
    assert hormuz.loc["QAT", "passes"] and not hormuz.loc["QAT", "rerouted"], "no way out of the Gulf"
    assert hormuz.loc["ARE", "rerouted"] and hormuz.loc["ARE", "port_switch"], "by Fujairah"


def test_the_derived_exposure_shares_are_shares(bundled: critmin.Critmin) -> None:
    rows = bundled.store.read_derived(CHOKEPOINT_EXPOSURE.name)
    assert len(rows) > 1000
    assert rows["share_usd"].between(0, 1 + 1e-12).all()
    shares_t = rows["share_t"].dropna()
    assert shares_t.between(0, 1 + 1e-12).all()
    modes = rows["seaborne_t"] + rows["overland_t"] + rows["unrouted_t"]
    assert (modes <= rows["imports_t"].fillna(0) * (1 + 1e-9) + 1e-6).all()
    assert set(rows["chokepoint"]) <= {c.id for c in chokepoints()}


def test_the_service_reads_what_it_would_compute(bundled: critmin.Critmin) -> None:
    stored = services.country_chokepoints(bundled, "IND")
    computed = services.country_chokepoints(critmin.Critmin(bundled.path, derived=False), "IND")
    key = ["commodity", "stage", "chokepoint"]
    left = stored.sort_values(key).reset_index(drop=True)
    right = computed.sort_values(key).reset_index(drop=True)
    assert len(left) > 20
    pd.testing.assert_frame_equal(left[key], right[key])
    np.testing.assert_allclose(left["share_usd"], right["share_usd"], rtol=1e-12)
    assert left["provenance"].str.contains("BACI").all() and left["provenance"].str.contains("searoute").all()
    rare = stored[stored["commodity"] == "rare_earths"]
    assert "malacca" in set(rare["chokepoint"]), "India's rare earths from China pass Malacca"


def test_a_chokepoints_world_flows(bundled: critmin.Critmin) -> None:
    flows = services.chokepoint_flows(bundled, "Strait of Hormuz")
    assert (flows["chokepoint"] == "hormuz").all()
    assert "aluminum" in set(flows["commodity"])
    assert flows["value_usd"].is_monotonic_decreasing
    with pytest.raises(CritminError, match="closest: hormuz"):
        services.chokepoint_flows(bundled, "hormz")


def test_a_refresh_keeps_the_routes_already_computed(
    bundled: critmin.Critmin, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = bundled.store.read_derived(SEA_ROUTES.name)
    asked: list[int] = []

    def counting(pairs, *args, **kwargs):  # type: ignore[no-untyped-def]
        pairs = list(pairs)
        asked.append(len(pairs))
        return route_pairs(pairs, *args, **kwargs)

    monkeypatch.setattr(sys.modules["critmin.derived.refresh"], "route_pairs", counting)
    again = sea_routes(bundled)
    assert asked == [0], "every pair was routed already with this method version"
    assert len(again) == len(stored)


def test_a_closure_event_is_validated() -> None:
    event = {"type": "chokepoint_closure", "chokepoint": "hormz", "commodity": "aluminum"}
    with pytest.raises(ScenarioError, match=r"events\[0\]\.chokepoint: .*unknown chokepoint 'hormz'"):
        parse_scenario({"name": "x", "events": [event]})


def test_a_hormuz_closure_stops_qatar_and_reroutes_the_emirates(bundled: critmin.Critmin) -> None:
    scenario = parse_scenario(
        {
            "name": "Hormuz closed",
            "year": 2024,
            "events": [
                {
                    "type": "chokepoint_closure",
                    "chokepoint": "hormuz",
                    "commodity": "aluminum",
                    "duration_days": 90,
                }
            ],
        }
    )
    result = run_scenario(bundled, scenario)
    flows = result.flows.set_index(["exporter", "importer"])
    network = build_network(bundled, 2024, commodity="aluminum")
    qatar_japan = network.flows[network.index("QAT"), network.index("JPN")]
    assert qatar_japan > 0
    assert flows.loc[("QAT", "JPN"), "restricted_t"] == pytest.approx(qatar_japan * 90 / 365)
    through = result.through
    emirates = through[(through["via"] == "ARE") & (through["channel"] == "hormuz reroute")]
    assert len(emirates) and emirates["shock_t"].gt(0).all(), "late by the way round, not lost"
    assert ("ARE", "JPN") not in set(
        result.flows.loc[result.flows["restricted_t"] > 0].set_index(["exporter", "importer"]).index
    )


def test_closing_a_chokepoint_no_flow_passes_changes_nothing(bundled: critmin.Critmin) -> None:
    network = build_network(bundled, 2024, commodity="beryllium")
    exporters, importers = np.nonzero(network.flows)
    pairs = [(network.nodes[e], network.nodes[j]) for e, j in zip(exporters, importers, strict=True)]
    unused = [c.id for c in chokepoints() if not closure_effect(pairs, [c.id])["passes"].any()]
    assert unused, "some chokepoint carries none of the beryllium flows"
    scenario = parse_scenario(
        {
            "name": "closed where nothing passes",
            "year": 2024,
            "events": [{"type": "chokepoint_closure", "chokepoint": unused[0], "commodity": "beryllium"}],
        }
    )
    result = run_scenario(bundled, scenario)
    assert result.countries["loss_t"].sum() == 0
    assert result.flows.empty
    assert any("no flow passes" in note for note in result.notes)
