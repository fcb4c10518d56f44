"""Back-tests of the shipped scenarios against the bundled BACI trade."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import critmin
from critmin.scenarios.backtest import ALL, BACKTEST_COLUMNS, backtest, plan_of, summarize, window_shares
from critmin.scenarios.library import load_shipped
from critmin.scenarios.run import run_scenario
from critmin.scenarios.spec import ScenarioError


@pytest.fixture(scope="module")
def nickel(bundled: critmin.Critmin) -> pd.DataFrame:
    return backtest(bundled, load_shipped("nickel_ore_indonesia_2020"))


@pytest.fixture(scope="module")
def rare_earths(bundled: critmin.Critmin) -> pd.DataFrame:
    return backtest(bundled, load_shipped("rare_earths_japan_2010"))


def _row(frame: pd.DataFrame, importer: str, after_year: int) -> pd.Series:
    hit = frame[(frame["importer"] == importer) & (frame["after_year"] == after_year)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_reproduces_the_published_indonesian_nickel_ore_exports(nickel: pd.DataFrame) -> None:
    """PROVENANCE.md (G1, H3): IDN 260400 exports 28.9 Mt in 2019, 3.8 Mt in 2020, 0.37 Mt in 2021."""
    y2020, y2021 = _row(nickel, ALL, 2020), _row(nickel, ALL, 2021)
    assert y2020["base_flow_t"] / 1e6 == pytest.approx(28.9, abs=0.05)
    assert y2020["actual_flow_t"] / 1e6 == pytest.approx(3.8, abs=0.05)
    assert y2021["actual_flow_t"] / 1e6 == pytest.approx(0.37, abs=0.005)


def test_a_full_ban_removes_the_whole_flow_in_each_year_it_covers(nickel: pd.DataFrame) -> None:
    for year in (2020, 2021):
        rows = nickel[nickel["after_year"] == year]
        assert np.allclose(rows["model_flow_change_pct"], -100.0, atol=1e-6)
        assert rows["window_share"].iloc[0] == pytest.approx(365 / 731)


def test_actual_changes_are_after_minus_base(nickel: pd.DataFrame, rare_earths: pd.DataFrame) -> None:
    for frame in (nickel, rare_earths):
        assert list(frame.columns) == list(BACKTEST_COLUMNS)
        assert np.allclose(frame["actual_flow_change_t"], frame["actual_flow_t"] - frame["base_flow_t"])
        assert np.allclose(
            frame["actual_imports_change_t"], frame["actual_imports_t"] - frame["base_imports_t"]
        )
        others = (frame["actual_imports_t"] - frame["actual_flow_t"]) - (
            frame["base_imports_t"] - frame["base_flow_t"]
        )
        assert np.allclose(frame["actual_others_change_t"], others)
        assert np.allclose(
            frame["model_others_change_t"], frame["model_imports_change_t"] - frame["model_flow_change_t"]
        )
        assert frame["provenance"].str.contains("baci").all()


def test_china_japan_rare_earth_flow_matches_the_published_2010_figure(rare_earths: pd.DataFrame) -> None:
    """PROVENANCE.md (G1): Japan imported 23,154 t of rare earths from China in 2010."""
    japan = _row(rare_earths, "JPN", 2010)
    assert japan["actual_flow_t"] == pytest.approx(23_154, abs=1)
    assert japan["actual_flow_change_t"] > 0, "the flow rose in 2010, against the model's cut"
    assert japan["model_flow_change_t"] < 0


def test_the_two_rare_earth_events_split_between_2010_and_2011(bundled: critmin.Critmin) -> None:
    scenario = load_shipped("rare_earths_japan_2010")
    result = run_scenario(bundled, scenario)
    network = result.networks["rare_earths"]
    shares = window_shares(scenario.events, network, [2009, 2010, 2011, 2012])
    assert shares[2009] == 0 and shares[2012] == 0
    assert shares[2010] > shares[2011] > 0, "the halt to Japan falls in 2010"
    assert shares[2010] + shares[2011] == pytest.approx(1.0, abs=0.01)


def test_graphite_window_splits_the_licence_period_across_the_new_year(bundled: critmin.Critmin) -> None:
    scenario = load_shipped("graphite_china_2023")
    network = run_scenario(bundled, scenario).networks["HS 250410"]
    shares = window_shares(scenario.events, network, [2023, 2024])
    assert shares[2023] == pytest.approx(31 / 60)
    assert shares[2024] == pytest.approx(29 * 365 / 366 / 60)


def test_default_importers_are_the_largest_customers(bundled: critmin.Critmin) -> None:
    scenario = load_shipped("nickel_ore_indonesia_2020")
    scenario = scenario.model_copy(update={"backtest": {"after_years": 2020}})
    frame = backtest(bundled, scenario, top=3)
    assert list(frame["importer"]) == ["CHN", "UKR", "MKD", ALL]


def test_summary_measures(nickel: pd.DataFrame) -> None:
    summary = summarize(nickel)
    assert list(summary["after_year"]) == [2020, 2021]
    first = summary.iloc[0]
    each = nickel[(nickel["after_year"] == 2020) & (nickel["importer"] != ALL)]
    assert first["importers"] == len(each) == 4
    assert first["imports_hit_rate"] == pytest.approx(each["imports_direction_hit"].mean())
    gap = (each["model_flow_change_pct"] - each["actual_flow_change_pct"]).abs().mean()
    assert first["flow_pct_mae"] == pytest.approx(gap)
    assert first["flow_pct_mae_no_change"] == pytest.approx(each["actual_flow_change_pct"].abs().mean())
    assert first["restricted_model_pct"] == pytest.approx(-100.0)


def test_after_year_without_data_is_a_clear_error(bundled: critmin.Critmin) -> None:
    scenario = load_shipped("nickel_ore_indonesia_2020")
    with pytest.raises(
        ScenarioError, match=r"backtest\.after_years: 2026: no HS92 trade in HS 260400.*1995-2024"
    ):
        backtest(bundled, scenario, after_years=[2026])
    with pytest.raises(
        ScenarioError, match=r"backtest\.after_years: 2019 is not after the network year 2019"
    ):
        backtest(bundled, scenario, after_years=2019)


def test_bad_backtest_mapping_names_the_field() -> None:
    scenario = load_shipped("nickel_ore_indonesia_2020")
    with pytest.raises(ScenarioError, match=r"backtest\.after_year: unknown key"):
        plan_of(scenario.model_copy(update={"backtest": {"after_year": 2020}}))
    with pytest.raises(ScenarioError, match=r"backtest\.after_years: expected a year"):
        plan_of(scenario.model_copy(update={"backtest": {"after_years": ["2020"]}}))
    with pytest.raises(ScenarioError, match=r"backtest\.importers: expected ISO3"):
        plan_of(scenario, importers=["china"])
    with pytest.raises(ScenarioError, match=r"backtest\.after_years: name the year"):
        plan_of(scenario.model_copy(update={"backtest": None}))


def test_an_importer_outside_the_network_is_named(bundled: critmin.Critmin) -> None:
    scenario = load_shipped("graphite_china_2023")
    with pytest.raises(ScenarioError, match=r"backtest\.importers: ATA not in the HS 250410 network of 2023"):
        backtest(bundled, scenario, importers=["KOR", "ATA"])


def test_a_scenario_beyond_the_data_has_no_backtest(bundled: critmin.Critmin) -> None:
    with pytest.raises(ScenarioError, match="no back-test: BACI trade in the bundle ends in 2024"):
        backtest(bundled, load_shipped("cobalt_drc_2025"))


def test_undated_events_start_the_year_after_the_network(bundled: critmin.Critmin) -> None:
    scenario = load_shipped("nickel_ore_indonesia_2020")
    event = scenario.events[0].model_copy(update={"start": None, "duration_days": 365})
    network = run_scenario(bundled, scenario).networks["nickel"]
    shares = window_shares([event], network, [2019, 2020, 2021])
    assert shares == pytest.approx({2019: 0.0, 2020: 365 / 366, 2021: 0.0})
