"""Deterministic scenario runs on the bundled data, and ``critmin scenario run``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli.main import app
from critmin.scenarios.run import run_scenario
from critmin.scenarios.spec import ScenarioError, parse_scenario

EMBARGO = {
    "name": "CHN withholds rare earths from JPN",
    "year": 2009,
    "events": [
        {
            "type": "export_restriction",
            "exporter": "CHN",
            "commodity": "rare_earths",
            "fraction": 1.0,
            "targets": ["JPN"],
            "start": "2010-09-07",
            "duration_days": 60,
        }
    ],
    "stockpiles": [{"country": "JPN", "days_of_cover": 20}],
}


def _chn_to_jpn_tonnes(db: critmin.Critmin, year: int) -> float:
    trade = db.trade(year=year, exporter="CHN", importer="JPN", commodity="rare_earths")
    assert trade["quantity_t"].notna().all()
    return float(trade["quantity_t"].sum())


@pytest.fixture(scope="module")
def embargo(bundled: critmin.Critmin):
    return run_scenario(bundled, parse_scenario(EMBARGO))


def test_first_order_loss_is_the_withheld_flow_over_the_event(bundled: critmin.Critmin, embargo) -> None:
    """Japan's first-order loss is China's 2009 rare-earth exports to it (BACI tonnes) times 60/365."""
    jpn = embargo.country("JPN").iloc[0]
    expected = _chn_to_jpn_tonnes(bundled, 2009) * 60 / 365
    assert jpn["first_order_t"] == pytest.approx(expected, rel=1e-9)
    chn = embargo.country("CHN").iloc[0]
    assert chn["retained_t"] == pytest.approx(expected, rel=1e-9)
    withheld = embargo.flows[(embargo.flows["exporter"] == "CHN") & (embargo.flows["importer"] == "JPN")]
    assert withheld["restricted_t"].iloc[0] == pytest.approx(expected, rel=1e-9)


def test_stocks_cover_days_then_run_out(embargo) -> None:
    """A 20-day stock is drawn whole before consumption is cut, and runs out inside the 60 days."""
    jpn = embargo.country("JPN").iloc[0]
    assert jpn["stock_drawn_t"] == pytest.approx(jpn["stock_t"])
    assert jpn["days_of_cover_used"] == pytest.approx(20.0)
    assert jpn["consumption_cut_t"] > 0
    assert dt.date(2010, 9, 7) < jpn["stock_runs_out"] < dt.date(2010, 11, 6)
    assert embargo.horizon.days == 60


def test_every_country_balances(embargo) -> None:
    """Per country: change in imports - change in exports + stock drawn = unused retained - consumption cut.

    Conservation of the flows: every tonne a link loses or gains is a tonne its two ends gain or lose.
    """
    flows = embargo.flows
    change = flows["new_t"] - flows["base_t"]
    imports = change.groupby(flows["importer"]).sum()
    exports = change.groupby(flows["exporter"]).sum()
    c = embargo.countries.set_index("country")
    lhs = imports.reindex(c.index, fill_value=0) - exports.reindex(c.index, fill_value=0) + c["stock_drawn_t"]
    rhs = c["retained_t"] - c["retained_used_t"] - c["consumption_cut_t"]

    assert np.abs(lhs - rhs).max() <= c["unresolved_t"].max() + 1e-6
    assert (flows["new_t"] >= -1e-9).all()
    assert (c[["loss_t", "consumption_cut_t", "stock_drawn_t", "received_t"]] >= 0).all().all()


def test_through_splits_each_countrys_shock(embargo) -> None:
    """Which suppliers a loss came through: shares sum to one, China's restriction first for Japan."""
    jpn = embargo.through[embargo.through["country"] == "JPN"]
    assert jpn["share"].sum() == pytest.approx(1.0)
    top = jpn.iloc[0]
    assert (top["via"], top["channel"]) == ("CHN", "export restriction")
    # China covers its own shortfalls from what it withholds: it asks nobody for more
    assert embargo.flows.loc[embargo.flows["importer"] == "CHN", "raised_t"].sum() == 0

    # Japan cannot ask China for more: the restricted link is closed to requests
    asked = embargo.flows[(embargo.flows["exporter"] == "CHN") & (embargo.flows["importer"] == "JPN")]
    assert asked["raised_t"].iloc[0] == 0


def test_bigger_embargo_loses_more(bundled: critmin.Critmin, embargo) -> None:
    half = json.loads(json.dumps(EMBARGO))
    half["events"][0]["fraction"] = 0.5
    smaller = run_scenario(bundled, parse_scenario(half))
    assert smaller.countries["loss_t"].sum() < embargo.countries["loss_t"].sum()
    assert smaller.country("JPN")["first_order_t"].iloc[0] == pytest.approx(
        embargo.country("JPN")["first_order_t"].iloc[0] / 2
    )


def test_rows_carry_their_sources(embargo) -> None:
    prov = embargo.countries["provenance"].iloc[0]
    assert "BACI HS92" in prov and "absorb_share=0.5" in prov


def test_outage_and_demand_shock_on_two_networks(bundled: critmin.Critmin) -> None:
    """A combination: a cobalt production outage and a nickel demand shock each hit their own network."""
    spec = parse_scenario(
        {
            "name": "combined",
            "year": 2023,
            "events": [
                {"type": "production_outage", "country": "COD", "commodity": "cobalt", "fraction": 0.5},
                {"type": "demand_shock", "country": "JPN", "commodity": "nickel", "fraction": 0.2},
            ],
        }
    )
    result = run_scenario(bundled, spec)
    assert set(result.networks) == {"cobalt", "nickel"}
    cod = result.countries[(result.countries["network"] == "cobalt") & (result.countries["country"] == "COD")]
    network = result.networks["cobalt"]
    assert cod["first_order_t"].iloc[0] == pytest.approx(0.5 * network.production[network.index("COD")])
    total = result.countries.groupby("network")[["loss_t", "unresolved_t"]].sum()
    first = result.countries.groupby("network")["first_order_t"].sum()
    np.testing.assert_allclose(total["loss_t"] + total["unresolved_t"], first, rtol=1e-9)


def test_unknown_country_is_named(bundled: critmin.Critmin) -> None:
    bad = json.loads(json.dumps(EMBARGO))
    bad["events"][0]["targets"] = ["ATA"]
    with pytest.raises(ScenarioError, match="ATA neither trades nor produces rare_earths in 2009"):
        run_scenario(bundled, parse_scenario(bad))


def _cli(db: critmin.Critmin, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--db", str(db.path), *args])
    return result.exit_code, result.output


def test_cli_runs_a_spec_file_to_table_json_and_files(bundled: critmin.Critmin, tmp_path: Path) -> None:
    spec = tmp_path / "embargo.json"
    spec.write_text(json.dumps(EMBARGO))
    code, out = _cli(bundled, "scenario", "run", str(spec))
    assert code == 0, out
    assert "JPN" in out and "Sources: baci BACI HS92" in out
    code, out = _cli(bundled, "scenario", "run", str(spec), "--format", "json", "--country", "jpn")
    rows = json.loads(out)
    assert [r["country"] for r in rows] == ["JPN"]
    code, out = _cli(bundled, "scenario", "run", str(spec), "--format", "csv", "--out", str(tmp_path / "res"))
    assert code == 0, out
    written = {p.name for p in (tmp_path / "res").iterdir()}
    assert written == {"countries.csv", "through.csv", "flows.csv"}
    assert "JPN" in set(pd.read_csv(tmp_path / "res" / "countries.csv")["country"])


def test_cli_bad_spec_names_file_and_field(bundled: critmin.Critmin, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "name: x\nevents:\n  - type: export_restriction\n    exporter: CHN\n    commodity: rare_earths\n"
        "    fraction: 1.5\n"
    )
    code, out = _cli(bundled, "scenario", "run", str(spec))
    assert code == 1
    assert f"{spec}: events[0].fraction: Input should be less than or equal to 1" in out
    assert "Traceback" not in out


def test_cli_lists_the_shipped_scenarios(bundled: critmin.Critmin) -> None:
    code, out = _cli(bundled, "scenario", "list", "--format", "json")
    assert code == 0, out
    rows = json.loads(out)
    assert {"rare_earths_japan_2010", "nickel_ore_indonesia_2020"} <= {r["id"] for r in rows}
    assert all(r["source"] for r in rows)


def test_cli_runs_a_shipped_scenario_by_id(bundled: critmin.Critmin) -> None:
    code, out = _cli(bundled, "scenario", "run", "nickel_ore_indonesia_2020", "--format", "json")
    assert code == 0, out
    rows = {r["country"]: r for r in json.loads(out)}
    assert rows["CHN"]["first_order_t"] > 0 and rows["IDN"]["retained_t"] > 0
    code, out = _cli(bundled, "scenario", "run", "no_such_scenario")
    assert code == 1 and "no such file, and no shipped scenario" in out


def test_cli_montecarlo_is_seeded_and_writes_its_tables(bundled: critmin.Critmin, tmp_path: Path) -> None:
    args = [
        "scenario",
        "montecarlo",
        "-c",
        "IND",
        "-c",
        "jpn",
        "-m",
        "rare_earths",
        "-n",
        "400",
        "--seed",
        "5",
    ]
    code, first = _cli(bundled, *args, "--format", "json")
    assert code == 0, first
    code, again = _cli(bundled, *args, "--format", "json")
    assert json.loads(first) == json.loads(again)
    rows = {r["country"]: r for r in json.loads(first)}
    assert set(rows) == {"IND", "JPN"}
    assert rows["JPN"]["cvar95_t"] >= rows["JPN"]["p95_t"] >= 0
    assert "WGI" in rows["JPN"]["provenance"]
    code, out = _cli(bundled, *args, "--out", str(tmp_path / "mc"))
    assert code == 0, out
    contributions = pd.read_csv(tmp_path / "mc" / "contributions.csv")
    jpn = contributions[contributions["country"] == "JPN"]
    assert jpn["contribution_t"].sum() == pytest.approx(rows["JPN"]["cvar95_t"], rel=1e-9)
    code, table = _cli(bundled, *args)
    assert code == 0 and "Who drives the tail" in table and "Sources:" in table


def test_cli_montecarlo_refuses_a_probability_above_one(bundled: critmin.Critmin) -> None:
    code, out = _cli(bundled, "scenario", "montecarlo", "-c", "JPN", "-m", "nickel", "--probability", "1.5")
    assert code == 2 and "--probability" in out


def test_cli_montecarlo_stockpile_lowers_the_loss(bundled: critmin.Critmin) -> None:
    """What stockpiles buy: 90 days of cover lowers Japan's expected loss and CVaR95 on the same draws."""
    args = ["scenario", "montecarlo", "-c", "JPN", "-m", "rare_earths", "-n", "300", "--format", "json"]
    _, plain = _cli(bundled, *args)
    code, stocked = _cli(bundled, *args, "--stock-days", "JPN=90")
    assert code == 0, stocked
    before, after = json.loads(plain)[0], json.loads(stocked)[0]
    assert after["expected_loss_t"] < before["expected_loss_t"]
    assert after["cvar95_t"] <= before["cvar95_t"]
    code, out = _cli(bundled, *args, "--stock-days", "JPN:90")
    assert code == 1 and "write ISO3=DAYS" in out


def test_cli_montecarlo_draws_chokepoint_closures(bundled: critmin.Critmin, tmp_path: Path) -> None:
    args = ["scenario", "montecarlo", "-c", "IND", "-m", "cobalt", "-n", "400", "--seed", "2"]
    lanes = ["--chokepoints", "--chokepoint-probability", "malacca=0.5", "--chokepoint-days", "malacca=60"]
    code, out = _cli(bundled, *args, *lanes, "--out", str(tmp_path / "mc"))
    assert code == 0, out
    drawn = pd.read_csv(tmp_path / "mc" / "chokepoints.csv").set_index("chokepoint")
    assert drawn.loc["malacca", "probability"] == 0.5 and drawn.loc["malacca", "duration_days"] == 60
    assert drawn.loc["malacca", "basis"] == "override" and "episode" in drawn.loc["suez", "basis"]
    contributions = pd.read_csv(tmp_path / "mc" / "contributions.csv")
    assert "malacca" in set(contributions.loc[contributions["kind"] == "chokepoint", "supplier"])
    code, table = _cli(bundled, *args, *lanes)
    assert code == 0 and "Chokepoint closures drawn" in table
    code, out = _cli(bundled, *args, "--chokepoint-probability", "hormoz=0.1")
    assert code == 1 and "unknown chokepoint 'hormoz'" in out
    code, out = _cli(bundled, *args, "--chokepoint-days", "suez=ninety")
    assert code == 1 and "write CHOKEPOINT=VALUE" in out
