"""REST API: scenarios (shipped, saved), scenario runs and Monte Carlo jobs on real worker processes."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import critmin
from critmin.scenarios.disruption import DisruptionModel
from critmin.scenarios.library import load_shipped, shipped_ids
from critmin.scenarios.montecarlo import run_montecarlo
from critmin.scenarios.run import run_scenario
from critmin.scenarios.spec import parse_scenario
from critmin.web.app import create_app
from critmin.web.config import WebConfig
from critmin.web.security import ensure_token

SPEC: dict[str, Any] = {
    "name": "Test cut of DRC cobalt",
    "year": 2022,
    "events": [{"type": "export_restriction", "exporter": "COD", "commodity": "cobalt", "fraction": 0.5}],
}


@pytest.fixture(scope="module")
def setup(
    tmp_path_factory: pytest.TempPathFactory, bundled: critmin.Critmin
) -> Iterator[tuple[TestClient, str]]:
    """A client on a copy of the bundled store (saved scenarios are written beside it) and the token."""
    folder = tmp_path_factory.mktemp("web-scenarios")
    db_path = folder / "critmin.duckdb"
    shutil.copy(bundled.path, db_path)
    token = ensure_token(folder / "token")
    assert token is not None
    with TestClient(create_app(WebConfig(db_path=db_path, token_file=folder / "token"))) as client:
        yield client, token


@pytest.fixture(scope="module")
def client(setup: tuple[TestClient, str]) -> TestClient:
    return setup[0]


def wait(client: TestClient, job: str, timeout: float = 50.0) -> dict[str, Any]:
    """Poll a job until it is done or failed; the progress never goes backwards."""
    deadline = time.monotonic() + timeout
    last = 0.0
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get(f"/api/jobs/{job}").json()
        assert status["progress"] >= last
        last = status["progress"]
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"job {job} did not finish in {timeout} s")


def table(client: TestClient, job: str, name: str) -> tuple[pd.DataFrame, list[str]]:
    body = client.get(f"/api/jobs/{job}/results/{name}", params={"limit": 10_000}).json()
    return pd.DataFrame(body["rows"]), body["sources"]


def test_list_and_get_shipped(client: TestClient) -> None:
    listed = client.get("/api/scenarios").json()
    assert [s["id"] for s in listed if not s["saved"]] == shipped_ids()
    first = listed[0]
    assert first["name"] == load_shipped(first["id"]).name and first["sources"]
    spec = client.get(f"/api/scenarios/{first['id']}").json()
    assert spec["name"] == first["name"] and spec["events"]
    assert client.get("/api/scenarios/no_such_one").status_code == 404


def test_shipped_run_equals_the_library(client: TestClient, bundled: critmin.Critmin) -> None:
    scenario_id = "rare_earths_japan_2010"
    response = client.post("/api/scenarios/runs", json={"shipped": scenario_id})
    assert response.status_code == 202
    job = response.json()["job"]
    assert response.json()["status_url"] == f"/api/jobs/{job}"
    status = wait(client, job)
    assert status["status"] == "done" and status["progress"] == 1.0
    countries, sources = table(client, job, "countries")
    expected = run_scenario(bundled, load_shipped(scenario_id)).countries
    assert sources
    got = countries.set_index("country")["consumption_cut_t"]
    want = expected.set_index("country")["consumption_cut_t"]
    assert got.loc["JPN"] == pytest.approx(want.loc["JPN"])


def test_bad_spec_is_refused_before_any_job(client: TestClient) -> None:
    before = len(client.get("/api/jobs").json())
    bad = {**SPEC, "events": [{**SPEC["events"][0], "fraction": 2}]}
    response = client.post("/api/scenarios/runs", json={"spec": bad})
    assert response.status_code in (400, 422)
    assert "events[0].fraction" in response.json()["detail"]
    unknown = {**SPEC, "events": [{**SPEC["events"][0], "commodity": "unobtainium"}]}
    response = client.post("/api/scenarios/runs", json={"spec": unknown})
    assert response.status_code == 400 and "unobtainium" in response.json()["detail"]
    too_many = {**SPEC, "events": SPEC["events"] * 51}
    assert client.post("/api/scenarios/runs", json={"spec": too_many}).status_code == 422
    assert client.post("/api/scenarios/runs", json={}).status_code == 422
    assert len(client.get("/api/jobs").json()) == before


def test_save_needs_the_token_then_runs_by_id(
    setup: tuple[TestClient, str], bundled: critmin.Critmin
) -> None:
    client, token = setup
    assert client.post("/api/scenarios", json=SPEC).status_code == 401
    wrong = client.post("/api/scenarios", json=SPEC, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    auth = {"Authorization": f"Bearer {token}"}
    response = client.post("/api/scenarios", json=SPEC, headers=auth)
    assert response.status_code == 201
    scenario_id = response.json()["id"]
    assert scenario_id == "test_cut_of_drc_cobalt"
    assert client.post("/api/scenarios", json=SPEC, headers=auth).status_code == 409
    assert client.post("/api/scenarios?replace=true", json=SPEC, headers=auth).status_code == 201
    shipped = load_shipped("cobalt_drc_2025").model_dump(mode="json", exclude_none=True)
    clash = {**shipped, "name": "cobalt drc 2025"}
    assert client.post("/api/scenarios", json=clash, headers=auth).status_code == 409
    db_path = Path(client.app.state.config.db_path)  # type: ignore[attr-defined]
    assert (db_path.parent / "scenarios" / f"{scenario_id}.yaml").is_file()
    listed = {s["id"]: s for s in client.get("/api/scenarios").json()}
    assert listed[scenario_id]["saved"] is True
    assert client.get(f"/api/scenarios/{scenario_id}").json()["name"] == SPEC["name"]
    job = client.post("/api/scenarios/runs", json={"saved": scenario_id}).json()["job"]
    assert wait(client, job)["status"] == "done"
    countries, _ = table(client, job, "countries")
    expected = run_scenario(bundled, parse_scenario(SPEC)).countries
    assert countries["consumption_cut_t"].sum() == pytest.approx(expected["consumption_cut_t"].sum())


def test_montecarlo_equals_the_library(client: TestClient, bundled: critmin.Critmin) -> None:
    body = {"countries": ["JPN", "IND"], "commodities": ["rare earths"], "n": 500, "seed": 7}
    response = client.post("/api/montecarlo/runs", json=body)
    assert response.status_code == 202
    status = wait(client, response.json()["job"])
    assert status["status"] == "done" and status["progress"] == 1.0
    assert status["results"] == ["chokepoints", "contributions", "summary", "suppliers"]
    summary, sources = table(client, status["id"], "summary")
    expected = run_montecarlo(bundled, ["JPN", "IND"], ["rare_earths"], n=500, seed=7).summary
    assert sources
    got = summary.set_index(["network", "country"])["cvar95_t"]
    want = expected.set_index(["network", "country"])["cvar95_t"]
    assert got.to_dict() == pytest.approx(want.to_dict())
    csv = client.get(f"/api/jobs/{status['id']}/results/contributions", params={"format": "csv"})
    assert csv.status_code == 200 and csv.text.startswith(tuple("abcdefghijklmnopqrstuvwxyz"))


def test_montecarlo_with_chokepoint_closures_equals_the_library(
    client: TestClient, bundled: critmin.Critmin
) -> None:
    lanes = {"chokepoint_probabilities": {"malacca": 0.4}, "chokepoint_days": {"malacca": 90}}
    body = {"countries": ["JPN", "IND"], "commodities": ["cobalt"], "n": 500, "seed": 3, **lanes}
    status = wait(client, client.post("/api/montecarlo/runs", json=body).json()["job"])
    assert status["status"] == "done", status
    model = DisruptionModel(**lanes)  # type: ignore[arg-type]
    expected = run_montecarlo(bundled, ["JPN", "IND"], ["cobalt"], n=500, seed=3, model=model)
    contributions, _ = table(client, status["id"], "contributions")
    got = contributions.groupby(["country", "supplier"])["contribution_t"].sum()
    want = expected.contributions.groupby(["country", "supplier"])["contribution_t"].sum()
    assert got.to_dict() == pytest.approx(want.to_dict(), rel=1e-3, abs=1e-6)
    assert ("IND", "malacca") in got.index
    drawn, _ = table(client, status["id"], "chokepoints")
    assert list(drawn["chokepoint"]) == ["malacca"] and drawn["duration_days"].tolist() == [90]


@pytest.mark.parametrize(
    ("body", "status", "named"),
    [
        (
            {"countries": ["JPN"], "commodities": ["cobalt"], "chokepoint_probabilities": {"hormoz": 0.1}},
            422,
            "hormoz",
        ),
        ({"countries": ["JPN"], "commodities": ["cobalt"], "chokepoint_days": {"suez": 400}}, 422, "suez"),
        ({"countries": ["JPN"], "commodities": ["cobalt"], "n": 200_001}, 422, "n"),
        ({"countries": ["JPN"], "commodities": ["cobalt"], "n": 99}, 422, "n"),
        ({"countries": ["XXX"], "commodities": ["cobalt"], "n": 500}, 400, "XXX"),
        ({"countries": ["JPN"], "commodities": ["unobtainium"], "n": 500}, 400, "unobtainium"),
        ({"countries": ["JPN"] * 9, "commodities": ["cobalt"], "n": 500}, 422, "countries"),
        ({"countries": ["JPN"], "commodities": ["cobalt"], "rho": 1.5}, 422, "rho"),
    ],
)
def test_montecarlo_bounds(client: TestClient, body: dict[str, Any], status: int, named: str) -> None:
    response = client.post("/api/montecarlo/runs", json=body)
    assert response.status_code == status
    assert named in response.json()["detail"]
