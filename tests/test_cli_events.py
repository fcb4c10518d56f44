"""`critmin events alerts` and `critmin events scenario` on the bundled register and store."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli.context import State
from critmin.cli.events import app
from critmin.events.scenario import from_event
from critmin.scenarios.run import run_scenario


def invoke(db: critmin.Critmin, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), obj=State(db=db.path))
    return result.exit_code, result.output


def test_alerts_show_the_chabahar_waiver_expiring(bundled: critmin.Critmin) -> None:
    code, out = invoke(
        bundled, "alerts", "-c", "IND", "-c", "JPN", "--as-of", "2026-04-01", "--format", "json"
    )
    assert code == 0, out
    alerts = pd.DataFrame(json.loads(out))
    waiver = alerts[alerts["event_id"] == "usa-chabahar-waiver-2025"]
    assert list(waiver["alert"]) == ["expires_soon"] and list(waiver["country"]) == ["IND"]
    assert "2026-04-26" in waiver["message"].iloc[0] and "25 days" in waiver["message"].iloc[0]
    code, out = invoke(bundled, "alerts", "-c", "IND", "--as-of", "2026-05-01", "--format", "json")
    assert code == 0, out
    later = pd.DataFrame(json.loads(out))
    assert later.empty or "usa-chabahar-waiver-2025" not in set(later["event_id"])


def test_an_event_becomes_a_scenario_and_the_result_names_it(bundled: critmin.Critmin) -> None:
    code, out = invoke(
        bundled, "scenario", "chn-graphite-2023", "--fraction", "1", "--days", "60", "--format", "json"
    )
    assert code == 0, out
    rows = pd.DataFrame(json.loads(out[out.index("[") :]))
    assert set(rows["event_id"]) == {"chn-graphite-2023"}
    event = bundled.events()
    row = event[event["event_id"] == "chn-graphite-2023"].iloc[0].copy()
    row["commodities"], row["hs_codes"] = "graphite_natural", "250410"  # what the data can carry
    expected = run_scenario(bundled, from_event(row, fraction=1.0, duration_days=60)).countries
    japan = expected.loc[expected["country"] == "JPN", "consumption_cut_t"].iloc[0]
    assert rows.loc[rows["country"] == "JPN", "consumption_cut_t"].iloc[0] == pytest.approx(japan)


def test_events_that_cannot_run_are_explained(bundled: critmin.Critmin) -> None:
    code, out = invoke(bundled, "scenario", "usa-chabahar-waiver-2025")
    assert code == 1 and "cannot become a scenario" in out
    code, out = invoke(bundled, "scenario", "no-such-event")
    assert code == 1 and "no event 'no-such-event'" in out
    code, out = invoke(bundled, "alerts", "--as-of", "April")
    assert code == 1 and "--as-of 'April' is not a date" in out


def test_extract_proposes_the_briefings_events(
    bundled: critmin.Critmin, raw_data: Path, tmp_path: Path
) -> None:
    briefing = raw_data / "seed" / "mea_briefing_2026-01-17.txt"
    code, out = invoke(bundled, "extract", str(briefing), "--published", "2026-01-17", "--format", "json")
    assert code == 0, out
    rows = pd.DataFrame(json.loads(out)).set_index("type")
    assert set(rows.index) == {"working_group", "sanction_waiver", "travel_advisory", "election"}
    assert rows.loc["sanction_waiver", "valid_to"].startswith("2026-04-26")
    assert (rows.loc["working_group", "actor"], rows.loc["working_group", "targets"]) == ("IND", "JPN")
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\xff\xfe\x00bad")
    code, out = invoke(bundled, "extract", str(binary))
    assert code == 1 and "x.txt: cannot read as UTF-8 text" in out
