"""The event register: bundled events with sources, filters, validation, user events, CLI, migration."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli.context import State
from critmin.cli.events import app
from critmin.errors import CritminError, IngestError, SchemaVersionError
from critmin.events import register
from critmin.schema import SCHEMA_VERSION
from critmin.store import Store

REQUIRED_IDS = {
    "chn-rare-earth-quota-2010",
    "chn-rare-earth-japan-halt-2010",
    "chn-gallium-germanium-2023",
    "chn-graphite-2023",
    "chn-antimony-2024",
    "chn-rare-earths-2025-04",
    "chn-rare-earths-2025-10",
    "chn-rare-earths-2025-10-suspension",
    "idn-nickel-ore-ban-2020",
    "cod-cobalt-suspension-2025",
    "cod-cobalt-quota-2025",
    "ind-jpn-jwg-critical-minerals-2026",
    "usa-chabahar-waiver-2025",
    "ind-iran-travel-advisory-2026",
    "mmr-general-election-2025",
}

USER_EVENT = {
    "event_id": "test-user-event-2026",
    "type": "export_ban",
    "actor": "ZWE",
    "commodities": "lithium",
    "valid_from": "2022-12-20",
    "status": "in_force",
    "title": "Zimbabwe bans exports of unprocessed lithium ore",
    "evidence": "Test evidence sentence.",
    "publisher": "Test publisher",
    "url": "https://example.org/zimbabwe-lithium",
    "published": "2022-12-21",
}


@pytest.fixture
def db(store: Store) -> critmin.Critmin:
    """A fresh store holding only the bundled event register."""
    handle = critmin.Critmin(store.path)
    assert register.load_bundled(handle) == 1
    return handle


def test_bundled_register_is_in_the_bundled_store_with_sources(bundled: critmin.Critmin) -> None:
    events = bundled.events()
    assert set(events["event_id"]) >= REQUIRED_IDS
    assert set(events["source"]) == {"critmin_events"}
    assert events["release"].notna().all() and events["vintage_id"].notna().all()
    for column in ("publisher", "url", "evidence", "title"):
        assert (events[column].str.len() > 0).all(), column
    assert events["url"].str.match(r"^https?://").all()
    ga = events.set_index("event_id").loc["chn-gallium-germanium-2023"]
    assert str(ga["valid_from"].date()) == "2023-08-01"
    assert set(ga["commodities"].split(",")) == {"gallium", "germanium"}
    assert "August 1" in ga["evidence"]
    waiver = events.set_index("event_id").loc["usa-chabahar-waiver-2025"]
    assert (waiver["type"], str(waiver["valid_to"].date())) == ("sanction_waiver", "2026-04-26")
    assert "26th April" in waiver["evidence"]


def test_loading_the_register_again_adds_nothing(db: critmin.Critmin) -> None:
    before = len(db.vintages())
    assert register.load_bundled(db) == 0
    assert db.init() >= 0
    assert len(db.vintages()[lambda v: v["source"] == "critmin_events"]) == 1
    assert len(db.vintages()) >= before


def test_filters(db: critmin.Critmin) -> None:
    april = set(db.events(active_on="2026-04-01")["event_id"])
    may = set(db.events(active_on="2026-05-01")["event_id"])
    assert "usa-chabahar-waiver-2025" in april and "usa-chabahar-waiver-2025" not in may
    assert "chn-rare-earth-japan-halt-2010" not in april
    assert set(db.events(commodity="gallium")["event_id"]) == {"chn-gallium-germanium-2023"}
    assert "cod-cobalt-suspension-2025" in set(db.events(commodity="Cobalt")["event_id"])
    assert set(db.events(type="sanction_waiver")["event_id"]) == {"usa-chabahar-waiver-2025"}
    japan = set(db.events(target="JPN")["event_id"])
    assert {"chn-rare-earth-japan-halt-2010", "chn-gallium-germanium-2023"} <= japan
    assert "ind-iran-travel-advisory-2026" not in japan
    assert set(db.events(actor="IND", status="announced")["event_id"]) == {
        "ind-jpn-jwg-critical-minerals-2026"
    }


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("type", "embargo", "unknown type"),
        ("valid_from", "2023-13-01", "not a valid date"),
        ("valid_to", "1 Aug 2023", "not a date"),
        ("commodities", "gallium,unobtainium", "unknown catalog commodity"),
        ("actor", "XXX", "ISO3"),
        ("targets", "JPN,Japan", "ISO3"),
        ("fraction", "1.5", "outside 0-1"),
        ("url", "", "required"),
    ],
)
def test_bad_row_names_file_line_field_and_stores_nothing(
    store: Store, tmp_path: Path, column: str, value: str, message: str
) -> None:
    import pandas as pd

    frame = pd.read_csv(register.bundled_path(), dtype=str, keep_default_na=False)
    frame.loc[2, column] = value
    path = tmp_path / "events_bad.csv"
    frame.to_csv(path, index=False)
    handle = critmin.Critmin(store.path)
    before = store.table_counts()
    with pytest.raises(IngestError) as caught:
        register.load_bundled(handle, path)
    text = str(caught.value)
    assert str(path) in text and "line 4" in text and repr(column) in text and message in text
    assert caught.value.line == 4 and caught.value.column == column
    assert store.table_counts() == before


def test_duplicate_id_in_file_is_refused(tmp_path: Path) -> None:
    lines = register.bundled_path().read_text().splitlines()
    path = tmp_path / "dup.csv"
    path.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(IngestError, match=rf"line {len(lines) + 1}.*already used on line 2"):
        register.read_events(path)


def test_add_event_stores_its_own_vintage_and_refuses_duplicates(db: critmin.Critmin) -> None:
    assert register.add_event(db, USER_EVENT) == "test-user-event-2026"
    added = db.events(actor="ZWE")
    assert list(added["event_id"]) == ["test-user-event-2026"]
    assert added["source"].iloc[0] == "user_events"
    assert added["vintage_id"].iloc[0] not in set(db.events(actor="CHN")["vintage_id"])
    before = len(db.vintages())
    with pytest.raises(CritminError, match="already in the register"):
        register.add_event(db, USER_EVENT)
    with pytest.raises(CritminError, match="already in the register"):
        register.add_event(db, {**USER_EVENT, "event_id": "usa-chabahar-waiver-2025"})
    with pytest.raises(IngestError, match=r"user event.*'published'"):
        register.add_event(db, {**USER_EVENT, "event_id": "other-2026", "published": "yesterday"})
    assert len(db.vintages()) == before


def test_cli_add_list_show(db: critmin.Critmin) -> None:
    runner = CliRunner()
    state = State(db=db.path)
    result = runner.invoke(
        app,
        [
            "add",
            "--id",
            "nam-ore-ban-2023",
            "--type",
            "export_ban",
            "--actor",
            "NAM",
            "--commodities",
            "lithium,cobalt",
            "--from",
            "2023-06-08",
            "--title",
            "Namibia bans exports of unprocessed lithium ore",
            "--url",
            "https://example.org/namibia",
            "--publisher",
            "Test publisher",
            "--published",
            "2023-06-09",
            "--evidence",
            "Test evidence.",
        ],
        obj=state,
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["list", "--commodity", "lithium", "--format", "json"], obj=state)
    assert listed.exit_code == 0, listed.output
    assert [row["event_id"] for row in json.loads(listed.output)] == ["nam-ore-ban-2023"]
    april = runner.invoke(app, ["list", "--active-on", "2026-04-01", "--format", "csv"], obj=state)
    assert "usa-chabahar-waiver-2025" in april.output
    shown = runner.invoke(app, ["show", "usa-chabahar-waiver-2025"], obj=state)
    assert shown.exit_code == 0, shown.output
    for text in (
        "publisher: BIZNAMA NEWS",
        "url: https://biznama.com/?p=10851",
        "published: 2026-01-17",
        "source: critmin_events",
        "valid_to: 2026-04-26",
    ):
        assert text in shown.output
    missing = runner.invoke(app, ["show", "no-such-event"], obj=state)
    assert missing.exit_code == 1
    again = runner.invoke(
        app,
        [
            "add",
            "--id",
            "nam-ore-ban-2023",
            "--type",
            "export_ban",
            "--actor",
            "NAM",
            "--from",
            "2023-06-08",
            "--title",
            "t",
            "--url",
            "https://example.org",
            "--publisher",
            "p",
            "--published",
            "2023-06-09",
            "--evidence",
            "e",
        ],
        obj=state,
    )
    assert again.exit_code == 1


def test_schema_1_store_migrates_and_gets_the_register(store: Store) -> None:
    con = duckdb.connect(str(store.path))
    con.execute("DROP TABLE events")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(SchemaVersionError, match="critmin data migrate"):
        store.vintages()
    handle = critmin.Critmin(store.path)
    assert register.load_bundled(handle) == 1
    assert store.schema_version() == SCHEMA_VERSION == 3
    assert set(handle.events()["event_id"]) >= REQUIRED_IDS


def test_schema_2_store_migrates_and_gets_the_chokepoint_column(store: Store) -> None:
    con = duckdb.connect(str(store.path))
    con.execute("ALTER TABLE events DROP COLUMN chokepoint")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(SchemaVersionError, match="critmin data migrate"):
        store.vintages()
    assert store.migrate() == 2
    assert store.schema_version() == 3
    handle = critmin.Critmin(store.path)
    assert register.load_bundled(handle) == 1
    events = handle.events().set_index("event_id")
    assert events.loc["red-sea-shipping-attacks-2023", "chokepoint"] == "bab_el_mandeb"
