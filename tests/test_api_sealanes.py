"""The sea-lane endpoints and the chokepoints page, on the bundled store."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import critmin
from critmin import services
from critmin.web.app import create_app
from critmin.web.config import WebConfig

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def client(bundled: critmin.Critmin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("sealanes")
    config = WebConfig(db_path=bundled.path, token_file=folder / "token", cache_responses=False)
    with TestClient(create_app(config)) as test_client:
        yield test_client


def test_the_chokepoints_are_listed_with_gates_and_sources(client: TestClient) -> None:
    body = client.get("/api/chokepoints").json()
    ids = [row["id"] for row in body["rows"]]
    assert {
        "hormuz",
        "bab_el_mandeb",
        "suez",
        "malacca",
        "taiwan_strait",
        "panama",
        "cape_of_good_hope",
    } <= set(ids)
    assert all(row["source"] and row["url"].startswith("https://") for row in body["rows"])
    assert all(len(row["gate"]) == 2 for row in body["rows"])
    assert body["method_version"].startswith("searoute-")


def test_a_countrys_chokepoints_equal_the_service(client: TestClient, bundled: critmin.Critmin) -> None:
    answer = client.get("/api/profiles/chokepoints/JPN", params={"commodity": "rare earths"})
    assert answer.status_code == 200
    body = answer.json()
    expected = services.country_chokepoints(bundled, "JPN", commodity="rare_earths")
    assert body["total"] == len(expected) > 0
    assert [r["chokepoint"] for r in body["rows"]] == list(expected["chokepoint"])
    assert any("BACI" in s for s in body["sources"]) and any("searoute" in s for s in body["sources"])


def test_a_chokepoints_flows_download_as_csv(client: TestClient) -> None:
    answer = client.get("/api/chokepoints/hormuz", params={"format": "csv"})
    assert answer.status_code == 200
    frame = pd.read_csv(io.StringIO(answer.text))
    assert (frame["chokepoint"] == "hormuz").all() and "aluminum" in set(frame["commodity"])
    assert frame["provenance"].str.contains("BACI").all()


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("/api/chokepoints/hormz", "closest: hormuz"),
        ("/api/profiles/chokepoints/XXX", "unknown country 'XXX'"),
        ("/api/profiles/chokepoints/IND?commodity=unobtainium", "unobtainium"),
    ],
)
def test_bad_names_are_refused_with_a_reason(client: TestClient, path: str, says: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 400
    assert says in answer.json()["detail"]


def test_the_page_shows_the_map_the_shares_and_what_passes(
    client: TestClient, bundled: critmin.Critmin
) -> None:
    page = client.get(
        "/chokepoints",
        params={"country": "JPN", "commodity": "rare_earths", "chokepoint": "hormuz"},
        headers=HTML,
    )
    assert page.status_code == 200
    html = page.text
    for ident in (
        "chokepoint-shares",
        "route-map",
        "supplier-routes",
        "chokepoint-table",
        "chokepoint-carried",
    ):
        assert f'id="{ident}"' in html, ident
    assert 'aria-current="page"' in html and ">Chokepoints<" in html
    exposure = services.country_chokepoints(bundled, "JPN")
    first = exposure.iloc[0]
    assert repr(float(first["share_usd"])) in html, "the table carries the service's number"


def test_the_page_refuses_an_unknown_chokepoint(client: TestClient) -> None:
    page = client.get("/chokepoints", params={"chokepoint": "atlantis"}, headers=HTML)
    assert page.status_code == 404 and "unknown chokepoint" in page.text


def test_the_route_maps_rows_are_flat_for_the_csv_export(client: TestClient) -> None:
    html = client.get("/chokepoints", params={"country": "IND", "commodity": "cobalt"}, headers=HTML).text
    opening = '<figure class="vl-chart" id="route-map"><script type="application/json" class="vl-spec">'
    found = re.search(re.escape(opening) + "(.*?)</script>", html)
    assert found
    spec = json.loads(found.group(1))
    rows, shapes = spec["datasets"]["rows"], spec["datasets"]["route_shapes"]
    assert rows and all("geometry" not in row for row in rows), "the exported rows stay flat"
    assert {r["route"] for r in rows} == {s["route"] for s in shapes}
    assert all(s["geometry"]["type"] == "MultiLineString" for s in shapes)
    assert all(0 <= x <= 1000 for s in shapes for line in s["geometry"]["coordinates"] for x, _ in line)
