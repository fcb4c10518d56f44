"""Alerts on the event register, and events turned into scenarios (critmin.events.alerts, .scenario)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import critmin
from critmin.events import alerts, scenario
from critmin.profiles import country_profile
from critmin.scenarios.library import load_shipped
from critmin.scenarios.run import run_scenario

MOFCOM_URL = "https://www.interos.ai/resources/chinas-graphite-controls-full-text-translation/"


def event(**fields: object) -> dict[str, object]:
    """An event row with the contract's columns; ``fields`` override the defaults."""
    row: dict[str, object] = {
        "event_id": "test-event",
        "type": "export_control",
        "actor": "CHN",
        "targets": "",
        "commodities": "",
        "hs_codes": "",
        "valid_from": None,
        "valid_to": None,
        "status": "in_force",
        "fraction": None,
        "title": "A test event",
        "evidence": "",
        "publisher": "Test publisher",
        "url": "https://example.org/event",
        "published": dt.date(2026, 1, 1),
        "notes": "",
    }
    row.update(fields)
    return row


CHABAHAR = event(
    event_id="usa-chabahar-waiver-2025",
    type="sanction_waiver",
    actor="USA",
    targets="IND",
    valid_from=dt.date(2025, 10, 29),
    valid_to=dt.date(2026, 4, 26),
    title="US conditional sanctions waiver for Chabahar port",
    publisher="Ministry of External Affairs, India",
    url="https://www.mea.gov.in/",
    published=dt.date(2025, 10, 30),
)
GRAPHITE = event(
    event_id="chn-graphite-2023",
    commodities="graphite_natural",
    hs_codes="250410",
    valid_from=dt.date(2023, 12, 1),
    title="China's export controls on graphite items",
    publisher="MOFCOM and GAC",
    url=MOFCOM_URL,
    published=dt.date(2023, 10, 20),
)


def frame(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


@pytest.fixture(scope="module")
def exposures(bundled: critmin.Critmin) -> pd.DataFrame:
    return pd.concat([country_profile(bundled, code, 2024) for code in ("JPN", "IND")], ignore_index=True)


# --- dates -----------------------------------------------------------------------------------


def test_chabahar_waiver_expires_soon_for_india() -> None:
    out = alerts.evaluate(frame(CHABAHAR), "2026-04-01", ["IND", "JPN"], None)
    assert list(out.columns) == list(alerts.ALERT_COLUMNS)
    assert out[["alert", "country", "event_id"]].values.tolist() == [
        ["expires_soon", "IND", "usa-chabahar-waiver-2025"]
    ]
    alert = out.iloc[0]
    assert alert["due"] == dt.date(2026, 4, 26)
    assert alert["severity"] == "medium"
    assert "2026-04-26" in alert["message"] and "25 days" in alert["message"]
    assert alert["source"] == "Ministry of External Affairs, India, https://www.mea.gov.in/, 2025-10-30"


@pytest.mark.parametrize(
    ("valid_to", "as_of", "expected"),
    [
        (dt.date(2026, 5, 1), dt.date(2026, 4, 1), ["expires_soon"]),  # exactly 30 days ahead
        (dt.date(2026, 5, 2), dt.date(2026, 4, 1), []),  # 31 days ahead
        (dt.date(2026, 4, 1), dt.date(2026, 4, 1), ["expires_soon"]),  # expires today
        (dt.date(2026, 3, 31), dt.date(2026, 4, 1), []),  # already expired
        (None, dt.date(2026, 4, 1), []),  # no end
    ],
)
def test_expiry_boundaries(valid_to: dt.date | None, as_of: dt.date, expected: list[str]) -> None:
    row = event(type="sanction", targets="IRN", valid_from=dt.date(2020, 1, 1), valid_to=valid_to)
    out = alerts.evaluate(frame(row), as_of, [], None, horizon_days=30)
    assert out["alert"].tolist() == expected


def test_starts_soon_severity_and_concerned_countries() -> None:
    soon = event(
        event_id="soon", type="export_ban", actor="IDN", commodities="nickel", valid_from="2026-04-05"
    )
    later = event(
        event_id="later", type="import_restriction", actor="USA", targets="CHN", valid_from="2026-04-20"
    )
    lifted = event(event_id="lifted", type="export_ban", status="lifted", valid_from="2026-04-05")
    out = alerts.evaluate(frame(soon, later, lifted), dt.date(2026, 4, 1), ["JPN", "IND"], None)
    # a ban with no targets concerns every watched country; the US measure on China none of them
    assert out[["alert", "severity", "event_id", "country"]].values.tolist() == [
        ["starts_soon", "high", "soon", "IND"],
        ["starts_soon", "high", "soon", "JPN"],
    ]
    assert "4 days after 2026-04-01" in out.iloc[0]["message"]


def test_non_dated_types_raise_no_date_alert() -> None:
    row = event(type="agreement", valid_from="2026-04-10", valid_to="2026-04-20")
    assert alerts.evaluate(frame(row), "2026-04-01", ["JPN"], None).empty


# --- exposures -------------------------------------------------------------------------------


def test_graphite_control_hits_japan_exposure(exposures: pd.DataFrame) -> None:
    out = alerts.evaluate(frame(GRAPHITE), "2023-12-15", ["JPN"], exposures)
    hits = out[out["alert"] == "new_restriction_on_exposure"]
    assert hits[["country", "commodity", "severity"]].values.tolist() == [["JPN", "graphite_natural", "high"]]
    profile = exposures[
        (exposures["importer"] == "JPN") & (exposures["commodity"] == "graphite_natural")
    ].iloc[0]
    assert profile["top1_exporter"] == "CHN" and profile["top1_share"] > 0.8  # real 2024 data
    message = hits.iloc[0]["message"]
    assert f"import reliance {profile['import_reliance']:.1%}" in message
    assert f"top supplier CHN with {profile['top1_share']:.1%} of imports" in message
    assert f"import HHI {profile['import_hhi']:.2f}" in message
    assert "in force from 2023-12-01" in message
    assert hits.iloc[0]["provenance"] == profile["provenance"] and "BACI" in hits.iloc[0]["provenance"]
    assert MOFCOM_URL in hits.iloc[0]["source"]


def test_restriction_only_when_new_and_exposed(exposures: pd.DataFrame) -> None:
    # more than 30 days after it came into force and was announced: no longer new
    assert alerts.evaluate(frame(GRAPHITE), "2024-06-01", ["JPN"], exposures).empty
    # India: reliance 77% and top share (Madagascar) 32.5% in 2024: an alert by default, none above them
    india = exposures[(exposures["importer"] == "IND") & (exposures["commodity"] == "graphite_natural")].iloc[
        0
    ]
    assert 0.5 <= india["import_reliance"] < 0.9 and india["top1_exporter"] != "CHN"
    loose = alerts.evaluate(frame(GRAPHITE), "2023-12-15", ["IND"], exposures)
    assert loose[["alert", "severity"]].values.tolist() == [["new_restriction_on_exposure", "medium"]]
    strict = alerts.evaluate(
        frame(GRAPHITE), "2023-12-15", ["IND"], exposures, reliance_threshold=0.9, concentration_threshold=0.9
    )
    assert strict.empty
    # targeted at someone else: no alert for Japan
    assert alerts.evaluate(frame({**GRAPHITE, "targets": "USA"}), "2023-12-15", ["JPN"], exposures).empty


def test_disruption_at_china_rare_earths(exposures: pd.DataFrame) -> None:
    outage = event(
        event_id="chn-rare-earth-outage",
        type="supply_disruption",
        commodities="rare_earths",
        valid_from="2026-03-20",
        title="Rare-earth separation plants halted",
    )
    out = alerts.evaluate(frame(outage), "2026-04-01", ["JPN", "IND"], exposures)
    assert set(out["alert"]) == {"disruption_at_top_supplier"}
    jpn = out[out["country"] == "JPN"].iloc[0]
    refinery = exposures[
        (exposures["importer"] == "JPN")
        & (exposures["commodity"] == "rare_earths")
        & (exposures["stage"] == "refinery")
    ].iloc[0]
    assert refinery["top1_exporter"] == "CHN"
    assert jpn["severity"] == "high"  # China's share is above 0.25
    assert f"CHN with {refinery['top1_share']:.1%} of imports" in jpn["message"]
    assert "CHN is JPN's top supplier of rare_earths" in jpn["message"]
    # the same outage somewhere that is not the top supplier: nothing
    assert alerts.evaluate(frame({**outage, "actor": "MYS"}), "2026-04-01", ["JPN"], exposures).empty


# --- bad input -------------------------------------------------------------------------------


def test_bad_inputs_name_the_field(exposures: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="as_of"):
        alerts.evaluate(frame(CHABAHAR), "next week", ["IND"], None)
    with pytest.raises(ValueError, match=r"unknown column.*colour"):
        alerts.evaluate(frame({**CHABAHAR, "colour": "red"}), "2026-04-01", ["IND"], None)
    with pytest.raises(ValueError, match=r"missing column.*valid_to"):
        alerts.evaluate(frame(CHABAHAR).drop(columns="valid_to"), "2026-04-01", ["IND"], None)
    with pytest.raises(ValueError, match="valid_to"):
        alerts.evaluate(frame({**CHABAHAR, "valid_to": "soon"}), "2026-04-01", ["IND"], None)
    with pytest.raises(ValueError, match="type"):
        alerts.evaluate(frame({**CHABAHAR, "type": "coup"}), "2026-04-01", ["IND"], None)
    with pytest.raises(ValueError, match="watched"):
        alerts.evaluate(frame(CHABAHAR), "2026-04-01", ["India"], None)
    with pytest.raises(ValueError, match=r"exposures.*top1_share"):
        alerts.evaluate(frame(CHABAHAR), "2026-04-01", ["IND"], exposures.drop(columns="top1_share"))


# --- event to scenario -----------------------------------------------------------------------


def test_graphite_event_builds_the_shipped_scenario() -> None:
    shipped = load_shipped("graphite_china_2023")
    built = scenario.from_event(GRAPHITE, year=2023, fraction=1.0, duration_days=60)
    assert built.events == shipped.events
    assert built.year == shipped.year == 2023
    assert "chn-graphite-2023" in built.name and "chn-graphite-2023" in built.description
    assert built.sources[0].url == MOFCOM_URL
    assert "MOFCOM and GAC" in built.sources[0].citation and "2023-10-20" in built.sources[0].citation


def test_run_event_matches_the_shipped_scenario(bundled: critmin.Critmin) -> None:
    result = scenario.run_event(bundled, pd.Series(GRAPHITE), year=2023, fraction=1.0, duration_days=60)
    expected = run_scenario(bundled, load_shipped("graphite_china_2023"))
    loss = result.country("JPN")["loss_t"].sum()
    assert loss > 0
    assert loss == pytest.approx(expected.country("JPN")["loss_t"].sum())
    assert "chn-graphite-2023" in result.scenario.description  # the result links back


def test_defaults_are_stated() -> None:
    control = scenario.from_event({**GRAPHITE, "hs_codes": "", "targets": "USA,CHN"})
    (restriction,) = control.events
    assert restriction.commodity == "graphite_natural"
    assert restriction.fraction == scenario.DEFAULT_FRACTION
    assert restriction.duration_days == 365 and restriction.start == dt.date(2023, 12, 1)
    assert restriction.targets == ("USA",)  # the actor is not its own target
    assert "assumed default share" in control.description and "no end date" in control.description

    ban = scenario.from_event(
        event(
            type="export_ban",
            actor="IDN",
            commodities="nickel",
            valid_from="2020-01-01",
            valid_to="2020-03-01",
        )
    )
    assert ban.events[0].fraction == 1.0 and ban.events[0].duration_days == 60

    stated = scenario.from_event(event(type="export_control", commodities="gallium,germanium", fraction=0.3))
    assert [(e.commodity, e.fraction) for e in stated.events] == [("gallium", 0.3), ("germanium", 0.3)]

    outage = scenario.from_event(event(type="supply_disruption", actor="COD", commodities="cobalt"))
    assert outage.events[0].type == "production_outage" and outage.events[0].country == "COD"


def test_other_types_cannot_become_scenarios() -> None:
    with pytest.raises(ValueError, match=r"sanction_waiver.*cannot become a scenario"):
        scenario.from_event(CHABAHAR)
    with pytest.raises(ValueError, match="commodities"):
        scenario.from_event(event(type="export_ban"))
    with pytest.raises(ValueError, match="fraction"):
        scenario.from_event({**GRAPHITE, "fraction": 1.5})
