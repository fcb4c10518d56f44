"""The response cache: repeated GETs answered from memory until the store file changes."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from httpx import ASGITransport, AsyncClient

from critmin.web.cache import ResponseCache, store_state


class Counting:
    """An app that answers with how often it has been called, so a cached answer shows."""

    def __init__(self) -> None:
        self.calls = 0
        app = FastAPI()

        @app.get("/slow/{path:path}")
        async def slow(path: str) -> PlainTextResponse:
            self.calls += 1
            await asyncio.sleep(0.05)  # the other requests arrive while this one is being computed
            return PlainTextResponse(f"slow {path} call {self.calls}")

        @app.get("/{path:path}")
        def read(path: str) -> PlainTextResponse:
            self.calls += 1
            status = 404 if path == "missing" else 200
            padding = "x" * (5000 if path == "big" else 0)
            return PlainTextResponse(f"{path} call {self.calls} {padding}", status)

        @app.post("/{path:path}")
        def write(path: str) -> PlainTextResponse:
            self.calls += 1
            return PlainTextResponse(f"posted {self.calls}")

        self.app = app


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Counting, ResponseCache, TestClient, Path]:
    store = tmp_path / "critmin.duckdb"
    store.write_bytes(b"one")
    counting = Counting()
    cache = ResponseCache(counting.app, store, max_bytes=20_000, max_item_bytes=4_000)
    return counting, cache, TestClient(cache), store  # type: ignore[arg-type]


def test_repeated_get_is_answered_from_memory(setup: Any) -> None:
    counting, cache, client, _ = setup
    first, second = client.get("/api/production?commodity=x"), client.get("/api/production?commodity=x")
    assert first.text == second.text == "api/production call 1 "
    assert first.headers["x-cache"] == "miss" and second.headers["x-cache"] == "hit"
    assert counting.calls == 1 and len(cache) == 1
    assert client.get("/api/production?commodity=y").text.endswith("call 2 ")  # another query, another key


def test_replacing_the_store_file_invalidates(setup: Any) -> None:
    counting, _, client, store = setup
    client.get("/minerals/x")
    replacement = store.with_name("copy.duckdb")
    replacement.write_bytes(b"two!")
    os.replace(replacement, store)  # what an import does
    assert client.get("/minerals/x").text == "minerals/x call 2 "
    assert counting.calls == 2


def test_what_is_never_cached(setup: Any) -> None:
    counting, cache, client, _ = setup
    never = ("/api/jobs/abc", "/api/health", "/fragments/scenario/abc", "/static/app.js", "/missing", "/big")
    for path in never:
        client.get(path)
        client.get(path)
    client.post("/api/scenarios")
    client.post("/api/scenarios")
    client.get("/api/events", headers={"Authorization": "Bearer t"})
    client.get("/api/events", headers={"Authorization": "Bearer t"})
    assert counting.calls == 16 and len(cache) == 0


def test_accept_and_gzip_are_part_of_the_key(setup: Any) -> None:
    counting, _, client, _ = setup
    client.get("/", headers={"Accept": "text/html"})
    client.get("/", headers={"Accept": "application/json"})
    client.get("/", headers={"Accept": "text/html", "Accept-Encoding": "identity"})
    assert counting.calls == 3


def test_cache_is_bounded_least_recently_used_first(setup: Any) -> None:
    _, cache, client, _ = setup
    pad = "y" * 150  # echoed in the body: 200 answers of ~160 bytes exceed the 20,000-byte bound
    for i in range(200):
        client.get(f"/page/{i}/{pad}")
    assert 0 < len(cache) < 200
    assert cache._size <= cache.max_bytes
    assert client.get(f"/page/199/{pad}").headers["x-cache"] == "hit"
    assert client.get(f"/page/0/{pad}").headers["x-cache"] == "miss"


def test_store_state_names_a_missing_store(tmp_path: Path) -> None:
    assert store_state(tmp_path / "nothing.duckdb") == "missing"
    (tmp_path / "a").write_bytes(b"1")
    assert store_state(tmp_path / "a") != "missing"


def test_a_write_empties_the_cache_once_answered(setup: Any) -> None:
    _, cache, client, _ = setup
    client.get("/api/scenarios")
    assert len(cache) == 1
    client.post("/api/scenarios")
    assert len(cache) == 0
    assert client.get("/api/scenarios").text == "api/scenarios call 3 "


def test_a_file_added_to_a_watched_folder_changes_the_key(tmp_path: Path) -> None:
    store, saved = tmp_path / "critmin.duckdb", tmp_path / "scenarios"
    store.write_bytes(b"one")
    saved.mkdir()
    counting = Counting()
    client = TestClient(ResponseCache(counting.app, store, watched=[saved]))  # type: ignore[arg-type]
    client.get("/api/scenarios")
    assert client.get("/api/scenarios").headers["x-cache"] == "hit"
    (saved / "cut.yaml").write_text("name: cut\n")  # what another process saving a scenario does
    os.utime(saved, ns=(0, os.stat(saved).st_mtime_ns + 1_000_000))  # a coarse clock must not hide it
    assert client.get("/api/scenarios").text == "api/scenarios call 2 "


def test_a_job_submission_leaves_the_cache_alone(setup: Any) -> None:
    _, cache, client, _ = setup
    client.get("/api/scenarios")
    for computation in ("/api/montecarlo/runs", "/scenarios/run", "/fragments/study", "/api/events/extract"):
        client.post(computation)
    assert len(cache) == 1 and client.get("/api/scenarios").headers["x-cache"] == "hit"


def test_concurrent_misses_of_one_key_cost_one_computation(setup: Any) -> None:
    counting, cache, _, _ = setup

    async def fifty_at_once() -> list[str]:
        async with AsyncClient(transport=ASGITransport(app=cache), base_url="http://t") as client:
            answers = await asyncio.gather(*(client.get("/slow/page") for _ in range(50)))
            others = await asyncio.gather(*(client.get(f"/slow/other{i}") for i in range(3)))
        return [a.text for a in answers] + [o.text for o in others]

    texts = asyncio.run(fifty_at_once())
    assert texts[:50] == ["slow page call 1"] * 50
    assert counting.calls == 4
