"""REST API and page of the event register: list, get, add, alerts, extraction, event scenarios."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import critmin
from critmin.web.app import create_app
from critmin.web.config import WebConfig
from critmin.web.security import ensure_token

CHABAHAR = "usa-chabahar-waiver-2025"
NEW_EVENT: dict[str, Any] = {
    "event_id": "test-cod-cobalt-2026",
    "type": "export_ban",
    "actor": "COD",
    "targets": "",
    "commodities": "cobalt",
    "valid_from": "2026-02-01",
    "valid_to": "2026-10-01",
    "status": "in_force",
    "fraction": 0.5,
    "title": "Test: DRC cobalt export ban",
    "evidence": "The DRC suspended cobalt exports for four months.",
    "publisher": "Test publisher",
    "url": "https://example.org/cobalt",
    "published": "2026-02-01",
}


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory, bundled: critmin.Critmin
) -> Iterator[tuple[TestClient, str]]:
    """A client on a copy of the bundled store (events are added to it) and the write token."""
    folder = tmp_path_factory.mktemp("web-events")
    db_path = folder / "critmin.duckdb"
    shutil.copy(bundled.path, db_path)
    token = ensure_token(folder / "token")
    assert token is not None
    with TestClient(create_app(WebConfig(db_path=db_path, token_file=folder / "token"))) as client:
        yield client, token


@pytest.fixture(scope="module")
def client(setup: tuple[TestClient, str]) -> TestClient:
    return setup[0]


def ids(body: dict[str, Any]) -> set[str]:
    return {row["event_id"] for row in body["rows"]}


def test_list_filters_and_sources(client: TestClient, bundled: critmin.Critmin) -> None:
    response = client.get("/api/events", params={"limit": 10_000})
    body = response.json()
    assert response.status_code == 200
    assert body["total"] == len(bundled.events()) == int(response.headers["X-Total-Count"])
    first = body["rows"][0]
    assert first["url"].startswith("http") and first["publisher"]
    assert f"{first['publisher']} {first['url']}" in body["sources"]
    assert len(first["valid_from"]) == 10  # YYYY-MM-DD
    active = client.get("/api/events", params={"active_on": "2026-04-01"}).json()
    assert CHABAHAR in ids(active)
    assert CHABAHAR not in ids(client.get("/api/events", params={"active_on": "2026-05-01"}).json())
    waivers = client.get("/api/events", params={"type": "sanction_waiver", "actor": "USA"}).json()
    assert CHABAHAR in ids(waivers) and {r["type"] for r in waivers["rows"]} == {"sanction_waiver"}
    page = client.get("/api/events", params={"limit": 2, "offset": 1}).json()
    assert len(page["rows"]) == 2 and page["total"] == body["total"]


def test_list_refuses_bad_filters(client: TestClient) -> None:
    response = client.get("/api/events", params={"type": "coup"})
    assert response.status_code == 422 and "type" in response.text
    response = client.get("/api/events", params={"active_on": "2026-13-01"})
    assert response.status_code == 422 and "active_on" in response.text
    response = client.get("/api/events", params={"commodity": "unobtainium"})
    assert response.status_code == 400 and "unobtainium" in response.json()["detail"]


def test_get_one(client: TestClient) -> None:
    body = client.get(f"/api/events/{CHABAHAR}").json()
    assert body["event"]["event_id"] == CHABAHAR and body["event"]["type"] == "sanction_waiver"
    assert body["event"]["evidence"] and body["sources"]
    missing = client.get("/api/events/no-such-event")
    assert missing.status_code == 404 and "no-such-event" in missing.json()["detail"]


def test_add_needs_token_validates_and_lists(setup: tuple[TestClient, str]) -> None:
    client, token = setup
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/events", json=NEW_EVENT).status_code == 401
    bad = client.post("/api/events", json={**NEW_EVENT, "commodities": "unobtainium"}, headers=auth)
    assert bad.status_code == 400 and "commodities" in bad.json()["detail"]
    bad = client.post("/api/events", json={**NEW_EVENT, "fraction": 2}, headers=auth)
    assert bad.status_code == 422 and "fraction" in bad.text
    bad = client.post("/api/events", json={**NEW_EVENT, "colour": "red"}, headers=auth)
    assert bad.status_code == 422 and "colour" in bad.text
    created = client.post("/api/events", json=NEW_EVENT, headers=auth)
    assert created.status_code == 201, created.text
    assert created.json()["event_id"] == NEW_EVENT["event_id"]
    listed = client.get("/api/events", params={"commodity": "cobalt", "actor": "COD"}).json()
    assert NEW_EVENT["event_id"] in ids(listed)
    assert "Test publisher https://example.org/cobalt" in listed["sources"]
    again = client.post("/api/events", json=NEW_EVENT, headers=auth)
    assert again.status_code == 400 and "already" in again.json()["detail"]


def test_alerts(client: TestClient) -> None:
    response = client.get(
        "/api/alerts", params={"country": ["IND", "JPN"], "as_of": "2026-04-01", "horizon_days": 30}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    hits = [r for r in body["rows"] if r["event_id"] == CHABAHAR and r["alert"] == "expires_soon"]
    assert any(r["country"] == "IND" for r in hits)
    assert body["sources"]
    bad = client.get("/api/alerts", params={"country": "XXX", "as_of": "2026-04-01"})
    assert bad.status_code == 400 and "country" in bad.json()["detail"]


def test_extract_seed_briefing(client: TestClient, raw_data: Path) -> None:
    text = (raw_data / "seed" / "mea_briefing_2026-01-17.txt").read_text(encoding="utf-8")
    response = client.post(
        "/api/events/extract", json={"text": text, "published": "2026-01-17", "source": "MEA"}
    )
    assert response.status_code == 200, response.text
    rows = response.json()["rows"]
    assert len(rows) == 4
    assert all(r["evidence"] and 0 <= r["confidence"] <= 1 for r in rows)
    too_long = client.post("/api/events/extract", json={"text": "x" * 100_001})
    assert too_long.status_code == 422 and "text" in too_long.text


def test_event_scenario_job(client: TestClient) -> None:
    events = client.get("/api/events", params={"type": "export_control", "limit": 10_000}).json()["rows"]
    event_id = next(r["event_id"] for r in events if r["commodities"])
    response = client.post(f"/api/events/{event_id}/scenario/runs", json={"fraction": 0.5})
    assert response.status_code == 202, response.text
    job = response.json()["job"]
    deadline = time.monotonic() + 50
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = client.get(f"/api/jobs/{job}").json()
        if status["status"] in ("done", "failed"):
            break
        time.sleep(0.1)
    assert status["status"] == "done", status
    assert {"countries", "through", "flows"} <= set(status["results"])
    countries = client.get(f"/api/jobs/{job}/results/countries").json()
    assert countries["rows"] and {r["event_id"] for r in countries["rows"]} == {event_id}
    assert client.post("/api/events/no-such-event/scenario/runs").status_code == 404


def test_events_page(client: TestClient, raw_data: Path) -> None:
    page = client.get("/events", params={"as_of": "2026-04-01", "countries": "IND, JPN"})
    assert page.status_code == 200
    html = page.text
    assert 'id="register-table"' in html and 'id="alerts-table"' in html
    assert f'data-event_id="{CHABAHAR}"' in html and "expires_soon" in html
    assert '<a href="/events" aria-current="page">Events</a>' in html and "<script>" not in html
    text = (raw_data / "seed" / "mea_briefing_2026-01-17.txt").read_text(encoding="utf-8")
    proposed = client.post("/events/extract", data={"text": text, "published": "2026-01-17"})
    assert proposed.status_code == 200 and 'id="proposed-table"' in proposed.text
    assert "4 proposed events" in proposed.text
    assert client.get("/events", params={"as_of": "soon"}).status_code == 400
