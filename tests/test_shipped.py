"""The shipped scenarios: valid, sourced, dated as the register dates them, and runnable on the bundle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import critmin
from critmin.scenarios.backtest import plan_of
from critmin.scenarios.library import load_shipped, shipped_ids, shipped_text
from critmin.scenarios.network import build_network
from critmin.scenarios.run import run_scenario
from critmin.scenarios.spec import ChokepointClosure, ExportRestriction, ScenarioError

SHIPPED = {
    "cobalt_drc_2025",
    "gallium_germanium_china_2023",
    "graphite_china_2023",
    "nickel_ore_indonesia_2020",
    "rare_earths_japan_2010",
}
CLOSURES = {"hormuz_closure_90d", "red_sea_diversions_2024"}
"""Chokepoint closures (critmin.sealanes), not export restrictions of the register."""
NOT_IN_BUNDLE = {"gallium_germanium_china_2023"}
RUNNABLE = sorted(SHIPPED - NOT_IN_BUNDLE)


def test_the_restrictions_and_the_closures_are_shipped() -> None:
    assert set(shipped_ids()) == SHIPPED | CLOSURES


def test_unknown_id_names_the_shipped_ones() -> None:
    with pytest.raises(ScenarioError, match=r"no shipped scenario 'nickel'.*nickel_ore_indonesia_2020"):
        load_shipped("nickel")


@pytest.mark.parametrize("scenario_id", sorted(SHIPPED))
def test_each_validates_and_names_a_source_with_a_url(scenario_id: str) -> None:
    scenario = load_shipped(scenario_id)
    assert scenario.year is not None, "the network year is stated, not left to the latest"
    assert any(s.url and s.url.startswith(("http://", "https://")) for s in scenario.sources)
    assert all(s.citation.strip() for s in scenario.sources)
    assert "assum" in scenario.description.lower(), "the description says what is assumed"
    assert any(isinstance(e, ExportRestriction) for e in scenario.events)
    plan = plan_of(scenario)
    assert plan.skip or plan.after_years, "a back-test plan, or the reason there is none"
    assert "backtest:" in shipped_text(scenario_id)


@pytest.mark.parametrize("scenario_id", sorted(SHIPPED))
def test_each_starts_on_a_date_of_the_restriction_register(
    bundled: critmin.Critmin, scenario_id: str
) -> None:
    register = bundled.restrictions()
    effective = set(zip(register["country"], pd.to_datetime(register["effective"]).dt.date, strict=True))
    events = [e for e in load_shipped(scenario_id).events if isinstance(e, ExportRestriction)]
    assert any((e.exporter, e.start) in effective for e in events)


@pytest.mark.parametrize("scenario_id", RUNNABLE)
def test_each_runs_on_the_bundled_store(bundled: critmin.Critmin, scenario_id: str) -> None:
    scenario = load_shipped(scenario_id)
    result = run_scenario(bundled, scenario)
    assert not result.countries.empty
    assert (result.countries["year"] == scenario.year).all()
    exporters = {e.exporter for e in scenario.events if isinstance(e, ExportRestriction)}
    retained = result.countries.set_index("country")["retained_t"]
    assert all(retained.get(code, 0.0) > 0 for code in exporters), "the restricting exporter withholds tonnes"
    assert result.countries["first_order_t"].sum() > 0
    assert (result.countries["loss_t"] >= -1e-6).all()


def test_gallium_germanium_is_not_in_the_bundle(bundled: critmin.Critmin) -> None:
    """The reason the Ga/Ge scenario is not run on the bundle, as its description states it."""
    hs17 = bundled.trade(year=2022, hs6="811292", nomenclature="HS17")
    assert len(hs17) > 0 and hs17["quantity_t"].isna().all(), "2022 HS17 flows carry values only"
    germanium = bundled.trade(hs6="811230")
    flows = germanium.groupby("year").size()
    assert flows.loc[:2006].min() >= 150 and flows.loc[2007:].max() <= 38 and flows.index.max() == 2016
    assert germanium[germanium["exporter"] == "CHN"]["year"].max() == 2009
    assert "gallium" not in set(bundled.hs_codes().query("nomenclature == 'HS92'")["commodity"])
    assert "THE BUNDLED DATA CANNOT RUN IT" in load_shipped("gallium_germanium_china_2023").description


def test_rare_earth_quota_fraction_follows_from_the_quota_and_2009_exports(bundled: critmin.Critmin) -> None:
    """0.31 = 1 - 30,258 t (2010 quota) / China's 2009 exports in the bundled BACI data."""
    scenario = load_shipped("rare_earths_japan_2010")
    network = build_network(bundled, 2009, commodity="rare_earths")
    exports = network.exports[network.index("CHN")]
    quota, halt = scenario.events
    assert isinstance(quota, ExportRestriction) and isinstance(halt, ExportRestriction)
    assert quota.fraction == pytest.approx(1 - 30_258 / exports, abs=0.005)
    assert quota.fraction + halt.fraction == pytest.approx(1.0), "Japan's supply from China stops in the halt"
    assert halt.targets == ("JPN",)


@pytest.mark.parametrize(
    ("scenario_id", "exporter"),
    [("rare_earths_japan_2010", "CHN"), ("nickel_ore_indonesia_2020", "IDN"), ("graphite_china_2023", "CHN")],
)
def test_backtest_importers_are_the_exporters_largest_customers(
    bundled: critmin.Critmin, scenario_id: str, exporter: str
) -> None:
    scenario = load_shipped(scenario_id)
    importers = plan_of(scenario).importers
    assert importers is not None
    event = next(e for e in scenario.events if isinstance(e, ExportRestriction))
    assert scenario.year is not None
    network = build_network(
        bundled, scenario.year, commodity=event.commodity, hs_codes=event.hs_codes, stage=event.stage
    )
    row = network.flows[network.index(exporter)]
    largest = [network.nodes[j] for j in np.argsort(-row, kind="stable")[: len(importers)]]
    assert list(importers) == largest


@pytest.mark.parametrize("scenario_id", sorted(CLOSURES))
def test_each_closure_is_sourced_and_says_why_it_has_no_backtest(scenario_id: str) -> None:
    scenario = load_shipped(scenario_id)
    assert scenario.year is not None
    assert all(isinstance(e, ChokepointClosure) for e in scenario.events)
    assert all(s.url and s.url.startswith("https://") for s in scenario.sources)
    assert "assum" in scenario.description.lower()
    plan = plan_of(scenario)
    assert plan.skip and len(plan.skip) > 40, "the reason there is no back-test"


def test_the_hormuz_closure_stops_the_gulf_and_reroutes_the_bypass_ports(bundled: critmin.Critmin) -> None:
    result = run_scenario(bundled, load_shipped("hormuz_closure_90d"))
    through = result.through
    stopped = set(through.loc[through["channel"] == "hormuz closure", "via"])
    late = set(through.loc[through["channel"] == "hormuz reroute", "via"])
    assert {"QAT", "BHR"} <= stopped, "no way out of the Gulf"
    assert "ARE" in late, "the Emirates ship from Fujairah"
    assert set(result.networks) == {"aluminum", "sulfur"}
    assert result.countries["loss_t"].sum() > 0


def test_the_red_sea_diversions_delay_cargo_but_stop_none(bundled: critmin.Critmin) -> None:
    result = run_scenario(bundled, load_shipped("red_sea_diversions_2024"))
    channels = set(result.through["channel"])
    assert "bab_el_mandeb reroute" in channels and "bab_el_mandeb closure" not in channels
    assert (result.flows["restricted_t"] == 0).all(), "every flow has the way round the Cape"
    first = result.countries["first_order_t"].sum()
    network = result.networks["rare_earths"]
    assert 0 < first < 0.5 * 20 / 365 * (network.flows.sum() + result.networks["aluminum"].flows.sum())
