"""Sea-lane events: the register's chokepoint, sea-lane alerts, and a closure scenario from an event."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli.main import app
from critmin.errors import CritminError, IngestError
from critmin.events import alerts, register, service
from critmin.events.scenario import from_event
from critmin.scenarios.spec import ChokepointClosure

RED_SEA = "red-sea-shipping-attacks-2023"
HORMUZ = "irn-majlis-hormuz-closure-2025"


def test_the_register_names_the_chokepoint_of_each_sea_lane_event(bundled: critmin.Critmin) -> None:
    events = bundled.events().set_index("event_id")
    assert events.loc[RED_SEA, "chokepoint"] == "bab_el_mandeb"
    assert events.loc[HORMUZ, "chokepoint"] == "hormuz"
    assert events.loc[RED_SEA, "url"].startswith("https://www.imf.org/")


def test_an_unknown_chokepoint_is_refused_with_the_field(tmp_path: Path) -> None:
    text = register.bundled_path().read_text(encoding="utf-8").replace(",bab_el_mandeb\n", ",red_sea\n")
    bad = tmp_path / "events.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(IngestError, match=r"chokepoint.*unknown chokepoint 'red_sea'") as raised:
        register.read_events(bad)
    assert "events.csv" in str(raised.value) and "line" in str(raised.value)


def test_a_register_file_without_the_chokepoint_column_still_reads(tmp_path: Path) -> None:
    frame = pd.read_csv(register.bundled_path(), dtype=str, keep_default_na=False)
    old = tmp_path / "old.csv"
    frame[frame["chokepoint"] == ""].drop(columns="chokepoint").to_csv(old, index=False)
    read = register.read_events(old)
    assert (read["chokepoint"] == "").all() and len(read) == (frame["chokepoint"] == "").sum()


def test_a_disruption_on_a_lane_alerts_the_countries_whose_imports_pass_it(bundled: critmin.Critmin) -> None:
    found = service.register_alerts(bundled, dt.date(2025, 6, 25), ["JPN", "IND"])
    lane = found[found["alert"] == "disruption_on_sea_lane"]
    assert set(lane["event_id"]) == {HORMUZ}, "the Red Sea episode has ended by then"
    lanes = service.lanes(bundled, ["JPN", "IND"])
    hormuz = lanes[(lanes["chokepoint"] == "hormuz") & (lanes["share_usd"] >= 0.1)]
    assert set(zip(lane["country"], lane["commodity"], strict=True)) == set(
        zip(hormuz["importer"], hormuz["commodity"], strict=True)
    )
    row = lane.iloc[0]
    assert "Strait of Hormuz" in row["message"] and "by value" in row["message"]
    assert (lane["severity"] == "high").sum() == hormuz.groupby(["importer", "commodity"])[
        "share_usd"
    ].max().ge(0.25).sum()


def test_no_lane_alert_far_from_the_event_or_without_lanes(bundled: critmin.Critmin) -> None:
    far = service.register_alerts(bundled, dt.date(2025, 12, 1), ["JPN"])
    assert "disruption_on_sea_lane" not in set(far["alert"])
    events = bundled.events()[list(alerts.EVENT_COLUMNS)]
    without = alerts.evaluate(events, dt.date(2025, 6, 25), ["JPN"], None)
    assert "disruption_on_sea_lane" not in set(without["alert"])
    with pytest.raises(ValueError, match="lanes: missing column"):
        alerts.evaluate(events, dt.date(2025, 6, 25), ["JPN"], None, lanes=pd.DataFrame({"importer": []}))


def test_a_lane_event_becomes_a_closure_scenario(bundled: critmin.Critmin) -> None:
    row = service.event_row(bundled, RED_SEA)
    with pytest.raises(ValueError, match="pass the commodities the closure hits"):
        from_event(row)
    spec = from_event(row, commodities=["rare_earths"])
    (event,) = spec.events
    assert isinstance(event, ChokepointClosure)
    assert event.chokepoint == "bab_el_mandeb" and event.fraction == 0.5
    assert (
        event.start == dt.date(2023, 11, 19)
        and event.duration_days == (dt.date(2024, 12, 31) - event.start).days
    )
    assert RED_SEA in spec.name and spec.sources[0].url == row["url"]
    made = service.event_scenario(bundled, RED_SEA, commodities=["rare earths"], year=2023)
    assert made.spec.events[0] == event
    assert "rare_earths (given)" in made.spec.description
    with pytest.raises(CritminError):
        service.event_scenario(bundled, RED_SEA, commodities=["unobtainium"])


def test_cli_runs_a_lane_event_on_a_commodity(bundled: critmin.Critmin) -> None:
    result = CliRunner().invoke(
        app, ["--db", str(bundled.path), "events", "scenario", HORMUZ, "-c", "aluminum", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_json(io.StringIO(result.stdout))
    assert (frame["event_id"] == HORMUZ).all() and frame["loss_t"].sum() > 0
