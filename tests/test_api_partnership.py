"""REST API: partnership studies and the brief, as sync answers and as jobs on real worker processes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import critmin
from critmin.derisking import evaluate_projects, shared_losses, sourcing_study
from critmin.partnership import products
from critmin.partnership import stockpile as stock
from critmin.partnership.projects import parse_projects
from critmin.scenarios.montecarlo import run_montecarlo
from critmin.web.app import create_app
from critmin.web.config import WebConfig

PROJECT: dict[str, Any] = {
    "name": "Test refinery",
    "country": "AUS",
    "commodity": "rare_earths",
    "stage": "refinery",
    "capacity_t": 10_000,
    "start_year": 2027,
    "offtake": {"JPN": 0.5},
}


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory, bundled: critmin.Critmin) -> Iterator[TestClient]:
    """Two workers, so the (slow) brief runs beside the other jobs."""
    folder = tmp_path_factory.mktemp("web-partnership")
    config = WebConfig(db_path=bundled.path, token_file=folder / "token", workers=2)
    with TestClient(create_app(config)) as client:
        yield client


@pytest.fixture(scope="module")
def brief_job(app_client: TestClient) -> str:
    """The brief, submitted first (it takes longest)."""
    body = {"partners": ["IND", "JPN"], "draws": 100, "seed": 0, "pdf": False}
    response = app_client.post("/api/briefs/runs", json=body)
    assert response.status_code == 202
    job: str = response.json()["job"]
    return job


def wait(client: TestClient, job: str, timeout: float = 90.0) -> dict[str, Any]:
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


def submit(client: TestClient, path: str, body: dict[str, Any]) -> str:
    """Submit a job (the test computes the library's figures while it runs)."""
    response = client.post(path, json=body)
    assert response.status_code == 202, response.text
    job: str = response.json()["job"]
    assert response.json()["status_url"] == f"/api/jobs/{job}"
    return job


def finish(client: TestClient, job: str) -> dict[str, Any]:
    """Wait for a job that must succeed."""
    status = wait(client, job)
    assert status["status"] == "done", status["error"]
    assert status["progress"] == 1.0
    return status


def table(client: TestClient, job: str, name: str) -> tuple[pd.DataFrame, list[str]]:
    body = client.get(f"/api/jobs/{job}/results/{name}", params={"limit": 10_000}).json()
    return pd.DataFrame(body["rows"]), body["sources"]


def test_brief_is_queued_first(brief_job: str) -> None:
    assert len(brief_job) == 32


def test_joint_tables(app_client: TestClient) -> None:
    response = app_client.get("/api/partnership/joint", params={"partners": ["IND", "JPN"], "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["total"] > 5 and len(body["rows"]) == 5 and body["offset"] == 0
    assert response.headers["x-total-count"] == str(body["total"])
    assert {"commodity", "IND_imports_t", "JPN_imports_t"} <= set(body["rows"][0])
    assert body["sources"] and all("BACI" in s or "USGS" in s or "WGI" in s for s in body["sources"])
    bad = app_client.get("/api/partnership/joint", params={"partners": ["IND", "XXX"]})
    assert bad.status_code == 400 and "XXX" in bad.json()["detail"]
    assert app_client.get("/api/partnership/joint", params={"part": "nope"}).status_code == 422
    assert app_client.get("/api/partnership/joint", params={"partners": ["IND"]}).status_code == 422


def test_losses_equal_the_library(app_client: TestClient, bundled: critmin.Critmin) -> None:
    body = {"partners": ["IND", "JPN"], "commodities": ["cobalt"], "n": 500, "seed": 3}
    job = submit(app_client, "/api/partnership/losses/runs", body)
    expected = shared_losses(bundled, ["IND", "JPN"], ["cobalt"], n=500, seed=3).together
    finish(app_client, job)
    together, sources = table(app_client, job, "together")
    assert sources
    assert together["p_all"].tolist() == pytest.approx(expected["p_all"].tolist())
    assert together["p_IND"].tolist() == pytest.approx(expected["p_IND"].tolist())


def test_sourcing_equals_the_library(app_client: TestClient, bundled: critmin.Critmin) -> None:
    body = {"importer": "JPN", "commodity": "rare_earths", "n": 500, "seed": 2, "points": 4}
    job = submit(app_client, "/api/partnership/sourcing/runs", body)
    study = sourcing_study(bundled, "JPN", "rare_earths", n=500, seed=2, points=4)
    status = finish(app_client, job)
    assert set(status["results"]) == {"suppliers", "frontier", "summary"}
    summary, sources = table(app_client, job, "summary")
    assert sources and len(summary) == 1
    assert summary["current_cvar"].item() == pytest.approx(study.current["cvar"])
    assert summary["optimum_cvar"].item() == pytest.approx(study.optimum.cvar, rel=1e-6)
    frontier, _ = table(app_client, job, "frontier")
    assert len(frontier) == len(study.frontier)


def test_stockpile_equals_the_library(app_client: TestClient, bundled: critmin.Critmin) -> None:
    body = {"partners": ["IND", "JPN"], "commodity": "cobalt", "n": 500, "seed": 4, "p": [0.9, 0.95]}
    job = submit(app_client, "/api/partnership/stockpile/runs", body)
    result = run_montecarlo(bundled, ["IND", "JPN"], ["cobalt"], n=500, seed=4)
    expected = pd.concat(
        [
            stock.size_from_montecarlo(result, net, partners=["IND", "JPN"], p=[0.9, 0.95])
            for net in result.losses
        ]
    )
    finish(app_client, job)
    sizes, sources = table(app_client, job, "stockpile")
    assert sources
    assert sizes["stock_t"].tolist() == pytest.approx(expected["stock_t"].tolist())


def test_projects_equal_the_library(app_client: TestClient, bundled: critmin.Critmin) -> None:
    body = {"partners": ["IND", "JPN"], "n": 500, "seed": 5, "projects": [PROJECT]}
    job = submit(app_client, "/api/partnership/projects/runs", body)
    expected = evaluate_projects(bundled, parse_projects([PROJECT]), ["IND", "JPN"], n=500, seed=5).ranking
    finish(app_client, job)
    ranking, _ = table(app_client, job, "ranking")
    assert ranking["cvar95_cut_t"].tolist() == pytest.approx(expected["cvar95_cut_t"].tolist())
    bad = {**body, "projects": [{**PROJECT, "capacity_t": -1}]}
    response = app_client.post("/api/partnership/projects/runs", json=bad)
    assert response.status_code == 400 and "capacity_t" in response.json()["detail"]
    unknown = {**body, "projects": [{**PROJECT, "commodity": "unobtainium"}]}
    response = app_client.post("/api/partnership/projects/runs", json=unknown)
    assert response.status_code == 400 and "unobtainium" in response.json()["detail"]


def test_products_needs_and_exposure(app_client: TestClient) -> None:
    mix = [{"product": "battery_nmc811", "quantity": 6_000_000, "unit": "kWh"}]
    response = app_client.post("/api/partnership/products", json={"country": "IND", "mix": mix})
    assert response.status_code == 200, response.text
    body = response.json()
    intensity = products.intensities()
    rows = intensity[intensity["product"] == "battery_nmc811"]
    want = dict(zip(rows["commodity"], rows["kg_per_unit"] * 6_000_000 / 1000, strict=True))
    got = {row["commodity"]: row["need_t"] for row in body["needs"]["rows"]}
    assert got == pytest.approx(want)
    assert body["needs"]["sources"] and body["exposure"]["sources"]
    assert {row["commodity"] for row in body["exposure"]["rows"]} <= set(want)
    bad = {"country": "IND", "mix": [{**mix[0], "product": "flux_capacitor"}]}
    unknown = app_client.post("/api/partnership/products", json=bad)
    assert unknown.status_code == 400 and "flux_capacitor" in unknown.json()["detail"]
    wrong = app_client.post("/api/partnership/products", json={"country": "QQQ", "mix": mix})
    assert wrong.status_code == 400 and "QQQ" in wrong.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body", "status", "named"),
    [
        ("/api/partnership/losses/runs", {"n": 200_001}, 422, "n"),
        ("/api/partnership/losses/runs", {"partners": ["IND"]}, 422, "partners"),
        ("/api/partnership/losses/runs", {"commodities": ["unobtainium"]}, 400, "unobtainium"),
        ("/api/partnership/sourcing/runs", {"importer": "ZZZ", "commodity": "cobalt"}, 400, "ZZZ"),
        (
            "/api/partnership/sourcing/runs",
            {"importer": "JPN", "commodity": "cobalt", "alpha": 1},
            422,
            "alpha",
        ),
        ("/api/partnership/stockpile/runs", {"p": [1.5]}, 422, "p"),
        ("/api/briefs/runs", {"draws": 10}, 422, "draws"),
    ],
)
def test_bounds(app_client: TestClient, path: str, body: dict[str, Any], status: int, named: str) -> None:
    before = len(app_client.get("/api/jobs").json())
    response = app_client.post(path, json=body)
    assert response.status_code == status
    assert named in response.json()["detail"]
    assert len(app_client.get("/api/jobs").json()) == before


def test_brief_html(app_client: TestClient, brief_job: str) -> None:
    status = wait(app_client, brief_job, timeout=120)
    assert status["status"] == "done", status["error"]
    assert status["progress"] == 1.0 and "html" in status["results"]
    response = app_client.get(f"/api/jobs/{brief_job}/results/html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Critical-mineral partnership brief: India and Japan" in response.text
