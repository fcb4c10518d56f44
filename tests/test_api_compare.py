"""``/api/compare`` and the profile endpoints read through :mod:`critmin.services`, on the bundled store.

The same store is served twice: with its derived tables (the default) and computed on demand
(``precomputed=False``, the handle opened with ``derived=False``), and the answers are compared.
The two paths add floating-point numbers in different orders, so floats agree to ~1e-15
relative, not always to the last bit; everything else (rows, order, columns, text) is equal.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pandas.testing import assert_frame_equal

import critmin
from critmin import profiles, services
from critmin.web.app import create_app
from critmin.web.config import WebConfig

RTOL = 1e-12


def _client(bundled: critmin.Critmin, folder: Path, *, precomputed: bool) -> TestClient:
    config = WebConfig(
        db_path=bundled.path, token_file=folder / "token", precomputed=precomputed, cache_responses=False
    )
    return TestClient(create_app(config))


@pytest.fixture(scope="module")
def client(bundled: critmin.Critmin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The server as deployed: the pooled handle reading the derived tables."""
    with _client(bundled, tmp_path_factory.mktemp("fast"), precomputed=True) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def on_demand(bundled: critmin.Critmin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The same store with every service computing on demand (no derived tables)."""
    with _client(bundled, tmp_path_factory.mktemp("slow"), precomputed=False) as test_client:
        yield test_client


def body(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def same_answer(fast: dict[str, Any], slow: dict[str, Any]) -> None:
    """Two JSON table answers agree: envelope exactly, rows and their order to float round-off."""
    assert {k: v for k, v in fast.items() if k != "rows"} == {k: v for k, v in slow.items() if k != "rows"}
    assert [list(row) for row in fast["rows"]] == [list(row) for row in slow["rows"]]
    assert_frame_equal(pd.DataFrame(fast["rows"]), pd.DataFrame(slow["rows"]), rtol=RTOL)


def test_the_server_reads_the_derived_tables(client: TestClient, bundled: critmin.Critmin) -> None:
    app: Any = client.app
    db = app.state.readers.get()
    assert db.derived and db.pool is not None
    assert services.uses_derived(db)


@pytest.mark.parametrize(
    "params",
    [{}, {"method": "geopolrisk", "year": 2022, "stage": "mine"}, {"method": "usgs", "all_minerals": True}],
)
def test_country_profile_is_the_same_with_and_without_derived_tables(
    client: TestClient, on_demand: TestClient, params: dict[str, Any]
) -> None:
    fast = body(client.get("/api/profiles/country/JPN", params=params))
    slow = body(on_demand.get("/api/profiles/country/JPN", params=params))
    assert fast["total"] > 0
    same_answer(fast, slow)


def test_exposures_service_equals_the_profile(bundled: critmin.Critmin) -> None:
    on_demand = critmin.Critmin(bundled.path, derived=False)
    assert services.uses_derived(bundled) and not services.uses_derived(on_demand)
    fast = services.exposures(bundled, "IND", method="usgs")
    assert_frame_equal(fast, profiles.country_profile(on_demand, "IND", method="usgs"), rtol=RTOL)


def test_pair_profile_is_the_same_with_and_without_derived_tables(
    client: TestClient, on_demand: TestClient
) -> None:
    fast = body(client.get("/api/profiles/pair/IND/JPN"))
    slow = body(on_demand.get("/api/profiles/pair/IND/JPN"))
    assert fast["total"] > 0
    same_answer(fast, slow)


def test_compare_has_one_row_per_mineral_with_each_countrys_scores(client: TestClient) -> None:
    response = client.get("/api/compare", params={"country": ["JPN", "IND"]})
    answer = body(response)
    wide = pd.DataFrame(answer["rows"])
    assert answer["total"] == len(wide) > 0 and answer["sources"]
    assert response.headers["X-Total-Count"] == str(len(wide))
    assert not wide.duplicated(["commodity", "stage"]).any()
    assert {"score_JPN", "score_IND", "import_reliance_JPN", "top1_exporter_IND", "max_score"} <= set(wide)
    keys = ["commodity", "stage"]
    seen: set[tuple[str, str]] = set()
    for code in ("JPN", "IND"):
        profile = client.get(f"/api/profiles/country/{code}", params={"limit": 10_000})
        own = pd.DataFrame(body(profile)["rows"])
        seen |= set(own[keys].itertuples(index=False, name=None))
        joined = own[[*keys, "score"]].merge(wide[[*keys, f"score_{code}"]], on=keys, how="left")
        assert len(joined) == len(own)
        pd.testing.assert_series_equal(joined["score"], joined[f"score_{code}"], check_names=False)
    assert set(wide[keys].itertuples(index=False, name=None)) == seen
    highest = wide[["score_JPN", "score_IND"]].max(axis=1)
    pd.testing.assert_series_equal(wide["max_score"], highest, check_names=False)
    scored = wide["max_score"].notna()
    assert wide["max_score"][scored].is_monotonic_decreasing
    assert list(scored) == sorted(scored, reverse=True)  # unscored rows last


def test_compare_is_the_service_and_the_same_on_demand(
    client: TestClient, on_demand: TestClient, bundled: critmin.Critmin
) -> None:
    params: dict[str, Any] = {"country": ["USA", "EUU", "CHN"], "method": "usgs", "year": 2022}
    fast = body(client.get("/api/compare", params=params))
    same_answer(fast, body(on_demand.get("/api/compare", params=params)))
    service = services.compare(bundled, ["USA", "EUU", "CHN"], year=2022, method="usgs")
    assert fast["total"] == len(service)
    assert list(fast["rows"][0]) == list(service.columns)
    assert set(pd.DataFrame(fast["rows"])["year"]) == {2022}


def test_compare_as_csv(client: TestClient) -> None:
    params: dict[str, Any] = {"country": ["JPN", "IND"], "format": "csv", "limit": 5, "offset": 2}
    response = client.get("/api/compare", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="compare-JPN-IND-eu.csv"' in response.headers["content-disposition"]
    table = pd.read_csv(io.StringIO(response.text))
    rows = pd.DataFrame(body(client.get("/api/compare", params={"country": ["JPN", "IND"]}))["rows"])
    assert list(table.columns) == list(rows.columns)
    assert list(table["commodity"]) == list(rows["commodity"].iloc[2:7])
    assert response.headers["X-Total-Count"] == str(len(rows))


@pytest.mark.parametrize(
    ("countries", "status", "named"),
    [
        (["JPN"], 422, "country"),
        (["JPN", "IND", "USA", "DEU", "CHN"], 422, "country"),
        ([], 422, "country"),
        (["JPN", "jpn"], 400, "different countries"),
        (["JPN", "Japan"], 400, "different countries"),
        (["JPN", "ZZZ"], 400, "ZZZ"),
        (["JPN", "JPN"], 400, "country"),
    ],
)
def test_compare_refuses_bad_countries_naming_the_field(
    client: TestClient, countries: list[str], status: int, named: str
) -> None:
    response = client.get("/api/compare", params={"country": countries})
    assert response.status_code == status, response.text
    assert named in response.json()["detail"]
    if status == 400:
        assert "country" in response.json()["detail"]


def test_compare_refuses_a_bad_method(client: TestClient) -> None:
    response = client.get("/api/compare", params={"country": ["JPN", "IND"], "method": "xyz"})
    assert response.status_code == 422 and "method" in response.json()["detail"]


def test_compare_is_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/compare"]["get"]
    assert "side by side" in operation["description"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"country", "year", "method", "format", "offset", "limit"}
