"""The web app's core: token, bounds, headers, errors without traces, jobs in real worker processes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Depends
from fastapi.testclient import TestClient

import critmin
from critmin.cli.serve import is_loopback
from critmin.errors import CritminError
from critmin.web import security
from critmin.web.app import create_app
from critmin.web.config import Limits, WebConfig
from critmin.web.jobs import JobManager, _public_error


@pytest.fixture(scope="module")
def token_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("token") / "web-token.sha256"
    token = security.ensure_token(path)
    assert token is not None
    return path, token


@pytest.fixture(scope="module")
def client(bundled: critmin.Critmin, token_file: tuple[Path, str]) -> Iterator[TestClient]:
    config = WebConfig(db_path=bundled.path, token_file=token_file[0], limits=Limits(max_body_bytes=1000))
    app = create_app(config)

    @app.post("/api/test/write", dependencies=[Depends(security.require_token)])
    def write() -> dict[str, str]:
        return {"written": "yes"}

    @app.get("/api/test/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /home/user/.ssh")

    @app.get("/api/test/refused")
    def refused() -> None:
        raise CritminError("commodity: no such mineral 'unobtainium'")

    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_token_is_shown_once_and_only_its_hash_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "t"
    token = security.ensure_token(path)
    assert token is not None and len(token) >= 40
    stored = path.read_text().strip()
    assert stored == security.digest(token) and token not in path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600
    assert security.ensure_token(path) is None  # not shown again
    renewed = security.ensure_token(path, renew=True)
    assert renewed is not None and renewed != token


def test_writes_need_the_token(client: TestClient, token_file: tuple[Path, str]) -> None:
    missing = client.post("/api/test/write")
    assert missing.status_code == 401 and "Authorization: Bearer" in missing.json()["detail"]
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = client.post("/api/test/write", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "wrong token" in wrong.json()["detail"]
    right = client.post("/api/test/write", headers={"Authorization": f"Bearer {token_file[1]}"})
    assert right.status_code == 200 and right.json() == {"written": "yes"}


def test_errors_never_leak_a_trace(client: TestClient) -> None:
    response = client.get("/api/test/boom")
    assert response.status_code == 500
    detail = response.json()["detail"]
    assert re.fullmatch(r"internal error \(reference [0-9a-f]{12}\); the server log has the details", detail)
    assert "secret" not in response.text and "Traceback" not in response.text
    refused = client.get("/api/test/refused")
    assert refused.status_code == 400 and refused.json() == {
        "detail": "commodity: no such mineral 'unobtainium'"
    }


def test_bodies_over_the_limit_are_refused_unread(client: TestClient) -> None:
    response = client.post("/api/test/write", content=b"x" * 5000, headers={"Content-Type": "text/plain"})
    assert response.status_code == 413 and "1,000 bytes" in response.json()["detail"]


def test_security_headers_and_offline_docs(client: TestClient) -> None:
    health = client.get("/api/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["store"] == "present"
    csp = health.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    assert health.headers["x-content-type-options"] == "nosniff"
    docs = client.get("/docs")
    assert docs.status_code == 200
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", docs.text)
    assert assets and all(a.startswith("/static/docs/") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"] == "critmin"


def test_a_scenario_job_runs_in_a_worker_and_pages_its_results(
    client: TestClient, bundled: critmin.Critmin
) -> None:
    from critmin.scenarios.library import load_shipped
    from critmin.scenarios.run import run_scenario

    manager: JobManager = client.app.state.jobs  # type: ignore[attr-defined]
    job = manager.submit("scenario", {"shipped": "graphite_china_2023"})
    done = manager.wait(job.id, timeout=300)
    assert done.status == "done" and done.progress == 1.0 and done.started is not None
    status = client.get(f"/api/jobs/{job.id}").json()
    assert status["results"] == ["countries", "flows", "notes", "through"]
    page = client.get(f"/api/jobs/{job.id}/results/countries", params={"offset": 2, "limit": 3})
    expected = run_scenario(bundled, load_shipped("graphite_china_2023")).countries
    assert page.headers["x-total-count"] == str(len(expected))
    rows = page.json()["rows"]
    assert [r["country"] for r in rows] == list(expected["country"].iloc[2:5])
    assert rows[0]["consumption_cut_t"] == pytest.approx(float(expected["consumption_cut_t"].iloc[2]))
    assert any("baci" in s for s in page.json()["sources"])
    csv = client.get(f"/api/jobs/{job.id}/results/countries", params={"format": "csv", "limit": 2})
    assert csv.headers["content-type"].startswith("text/csv") and len(csv.text.strip().splitlines()) == 3
    assert client.get(f"/api/jobs/{job.id}/results/nothing").status_code == 404
    assert client.get("/api/jobs/" + "0" * 32).status_code == 404
    assert client.get("/api/jobs/not-an-id").status_code == 422


def test_failures_are_reported_without_a_trace() -> None:
    assert _public_error(CritminError("x: bad")) == "x: bad"
    assert _public_error(KeyError("/secret/path")) == "internal error (KeyError); see the server log"


def test_job_limit_and_unknown_kinds(bundled: critmin.Critmin) -> None:
    from critmin.web.jobs import JobError, JobLimitError

    manager = JobManager(bundled.path, workers=1, max_jobs=1)
    try:
        with pytest.raises(JobError, match="kind: no task 'nope'"):
            manager.submit("nope", {})
        first = manager.submit("scenario", {"shipped": "graphite_china_2023"})
        with pytest.raises(JobLimitError, match="at most 1"):
            manager.submit("scenario", {"shipped": "graphite_china_2023"})
        assert manager.wait(first.id, timeout=300).status == "done"
        bad = manager.submit("scenario", {"spec": {"name": "x", "events": []}})
        failed = manager.wait(bad.id, timeout=300)
        assert failed.status == "failed" and failed.error and "Traceback" not in failed.error
    finally:
        manager.shutdown()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("192.168.1.4", False)],
)
def test_only_loopback_is_private(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_cache_keys_change_when_an_import_replaces_the_store(tmp_path: Path) -> None:
    """Pages and profiles are cached under store_key: a replaced store file gives a new key."""
    import os
    import shutil
    from types import SimpleNamespace

    from critmin.web.deps import keyed_store, store_key

    db = tmp_path / "critmin.duckdb"
    db.write_bytes(b"old")
    request = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(config=SimpleNamespace(db_path=db))))
    before = store_key(request)  # type: ignore[arg-type]
    assert store_key(request) == before  # type: ignore[arg-type]
    copy = tmp_path / "copy.duckdb"
    shutil.copyfile(db, copy)
    copy.write_bytes(b"new and longer")
    os.replace(copy, db)
    after = store_key(request)  # type: ignore[arg-type]
    assert after != before and after.startswith(str(db))
    assert keyed_store(after).path == db
