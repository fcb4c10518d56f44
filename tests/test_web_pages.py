"""The dashboard's pages: Vega-Lite chart specs, sourced downloadable tables, state in the URL, no traces."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import critmin
from critmin.scenarios.run import run_scenario
from critmin.scenarios.spec import parse_scenario
from critmin.web.app import create_app
from critmin.web.config import WebConfig
from critmin.web.routes.pages import scenario_document

HTML = {"Accept": "text/html"}
SPEC = re.compile(
    r'<figure class="vl-chart" id="([^"]+)"><script type="application/json" class="vl-spec">(.*?)</script>'
)
SCRIPTS = [
    {"src": "/static/vendor/vega-bundle.js", "defer": None},
    {"src": "/static/charts.js", "defer": None},
    {"src": "/static/app.js", "defer": None},
]
FORM = {
    "shipped": "",
    "exporter": "CHN",
    "commodity": "rare_earths",
    "fraction": "0.5",
    "duration_days": "200",
    "targets": "JPN, USA",
    "year": "",
}


@pytest.fixture(scope="module")
def client(bundled: critmin.Critmin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    token = tmp_path_factory.mktemp("web") / "token"
    app = create_app(WebConfig(db_path=bundled.path, token_file=token))
    with TestClient(app) as test_client:
        yield test_client


def specs(text: str) -> dict[str, dict[str, Any]]:
    """The page's Vega-Lite specs by figure id."""
    return {ident: json.loads(body) for ident, body in SPEC.findall(text)}


def tooltip_fields(spec: dict[str, Any]) -> set[str]:
    """The titles of every field any mark of the spec shows in its tooltip."""
    found: set[str] = set()
    layers = [spec, *spec.get("layer", [])]
    for layer in layers:
        tips = layer.get("encoding", {}).get("tooltip", [])
        found |= {t.get("title", t.get("field")) for t in (tips if isinstance(tips, list) else [tips])}
    return found


class _Page(HTMLParser):
    """What the checks need from a page: title, links and sources, tables, skip link, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.urls: list[str] = []
        self.in_title = False
        self.tables = 0
        self.captions = 0
        self.sources = 0
        self.downloads = 0
        self.scripts: list[dict[str, str | None]] = []
        self.current: list[str] = []
        self.inline_handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        self.inline_handlers += [k for k, _ in attrs if k.startswith("on")]
        self.in_title = tag == "title" and not self.title
        self.tables += tag == "table"
        self.captions += tag == "caption"
        self.sources += tag == "figcaption" and "source" in (found.get("class") or "")
        self.downloads += tag == "figure" and bool(found.get("data-download"))
        if tag == "script":
            self.scripts.append(found)
        if found.get("aria-current") == "page":
            self.current.append(found.get("href") or "")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data

    def handle_endtag(self, tag: str) -> None:
        self.in_title = False


def check_page(text: str, title: str) -> _Page:
    """The common checks: title, landmarks, charts as accessible SVG, sourced tables, nothing external."""
    page = _Page()
    page.feed(text)
    assert title in page.title
    assert 'href="#main"' in text and "Skip to content" in text
    assert '<main id="main"' in text and "Data vintages:" in text
    assert not [u for u in page.urls if u.startswith(("http:", "https:", "//"))]
    assert [s for s in page.scripts if "src" in s] == SCRIPTS
    assert all(s == {"type": "application/json", "class": "vl-spec"} for s in page.scripts if "src" not in s)
    assert not page.inline_handlers
    assert page.tables == page.captions == page.sources == page.downloads
    for ident, spec in specs(text).items():
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/"), ident
        assert "Source:" in spec["description"] and spec["title"]["subtitle"].startswith("Source:")
        assert {"value", "unit", "source", "vintage"} <= tooltip_fields(spec), ident
        rows = spec["datasets"][spec["usermeta"]["critmin"]["rows"]]
        assert rows and all(r["source"] and r["unit"] is not None for r in rows), ident
        assert f'id="{ident}"' in text and 'class="vl-view" role="img" aria-label="' in text
    assert "Traceback" not in text
    return page


def test_overview(client: TestClient) -> None:
    response = client.get("/", params={"country": "IND"}, headers=HTML)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = check_page(response.text, "Overview: India")
    assert page.current == ["/"] and page.tables >= 2
    charts = specs(response.text)
    assert set(charts) == {"criticality-chart", "suppliers-map"}
    assert charts["criticality-chart"]["usermeta"]["critmin"]["year_param"] == "year_shown"
    assert {layer["mark"]["type"] for layer in charts["suppliers-map"]["layer"]} == {"geoshape"}
    assert "top minerals by EU supply risk" in response.text
    assert 'href="/minerals/' in response.text and 'href="/countries/' in response.text


def test_url_carries_the_state(client: TestClient) -> None:
    url = "/?country=JPN&mineral=lithium&year=2022&method=geopolrisk"
    text = client.get(url, headers=HTML).text
    check_page(text, "Overview: Japan")
    chosen = {"country": "JPN", "mineral": "lithium", "year": "2022", "method": "geopolrisk"}
    for name, value in chosen.items():
        assert f'value="{value}" selected' in text, name
    chart = specs(text)["criticality-chart"]
    assert [p["value"] for p in chart["params"] if p["name"] == "year_shown"] == [2022]
    assert "GeoPolRisk" in chart["title"]["text"] and "where its Lithium" in text
    rows = chart["datasets"]["rows"]
    assert {r["year"] for r in rows} >= {2021, 2022} and all(r["source"] for r in rows)


def test_pages_read_the_same_numbers_as_on_demand(
    client: TestClient, bundled: critmin.Critmin, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The precomputed path and the on-demand path (``WebConfig.baseline``) show equal tables."""
    token = tmp_path_factory.mktemp("baseline") / "token"
    baseline = create_app(WebConfig.baseline(bundled.path, token))
    cells = re.compile(r'data-field="([A-Za-z0-9_]+)" data-value="([^"]*)"')
    with TestClient(baseline) as slow:
        urls = ("/?country=JPN&year=2023", "/countries/IND?method=usgs", "/compare?countries=IND,JPN,USA")
        for url in urls:
            fast_cells = cells.findall(client.get(url, headers=HTML).text)
            slow_cells = cells.findall(slow.get(url, headers=HTML).text)
            assert fast_cells and len(fast_cells) == len(slow_cells), url
            for (field, a), (other, b) in zip(fast_cells, slow_cells, strict=True):
                assert field == other
                try:
                    assert float(a) == pytest.approx(float(b), rel=1e-9, abs=1e-12), (url, field)
                except ValueError:
                    assert a == b, (url, field)


def test_country_page(client: TestClient) -> None:
    response = client.get("/countries/ind", headers=HTML)
    assert response.status_code == 200
    page = check_page(response.text, "Country: India")
    assert page.current == ["/countries/IND"]
    assert "import sources of its most critical minerals" in response.text
    assert 'data-field="import_reliance"' in response.text
    assert set(specs(response.text)) == {"criticality-chart", "suppliers-chart"}


def test_mineral_page_names_other_countries_without_a_dead_link(client: TestClient) -> None:
    """USGS's "Other countries" row reads as such, and is not linked to a country page that does not exist."""
    text = client.get("/minerals/graphite_natural", params={"year": 2025}, headers=HTML).text
    assert 'data-country="OTH" data-field="name">Other countries</td>' in text
    assert "/countries/OTH" not in text and ">OTH<" not in text
    assert 'href="/countries/CHN">China</a>' in text


def test_mineral_page(client: TestClient) -> None:
    response = client.get("/minerals/rare_earths", params={"year": 2021}, headers=HTML)
    assert response.status_code == 200
    check_page(response.text, "Mineral: Rare earths")
    text = response.text
    assert "share of world mine production" in text and "production concentration (HHI" in text
    assert "Largest Rare earths trade flows by value, 2021" in text
    charts = specs(text)
    assert {"producers-map-mine", "producers-bars-mine", "hhi-series"} <= set(charts)
    series = charts["hhi-series"]["datasets"]["rows"]
    assert len({r["t"] for r in series}) >= 3 and len({r["series"] for r in series}) >= 2
    assert all(r["hhi_10000"] is None or 0 < r["hhi_10000"] <= 10_000 for r in series)
    bars = charts["producers-bars-mine"]
    assert [p["value"] for p in bars["params"] if p["name"] == "year_shown"] == [2021]
    assert 'data-field="hhi_wgi"' in text and "concentration per stage, release and year" in text


def test_compare_page(client: TestClient) -> None:
    response = client.get("/compare", params={"countries": "ind, JPN,usa", "method": "usgs"}, headers=HTML)
    assert response.status_code == 200
    text = response.text
    check_page(text, "Compare")
    chart = specs(text)["compare-chart"]
    assert {r["name"] for r in chart["datasets"]["rows"]} == {"India", "Japan", "United States"}
    for code in ("IND", "JPN", "USA"):
        assert f'data-field="score_{code}"' in text
    for bad in ("IND", "IND,JPN,USA,DEU,FRA", "IND,XXX"):
        refused = client.get("/compare", params={"countries": bad}, headers=HTML)
        assert refused.status_code in (400, 404) and "countries" in refused.text, bad


def test_scenario_builder_form(client: TestClient) -> None:
    response = client.get("/scenarios/new", headers=HTML)
    assert response.status_code == 200
    text = response.text
    check_page(text, "Scenario builder")
    for name in ("shipped", "exporter", "commodity", "fraction", "duration_days", "targets", "year"):
        assert f'<label for="{name}">' in text and f'name="{name}"' in text
    assert text.count("<fieldset>") == 2 and 'aria-live="polite"' in text and "<progress" in text
    assert 'action="/scenarios/run"' in text and 'method="post"' in text


def test_scenario_without_javascript_matches_library(client: TestClient, bundled: critmin.Critmin) -> None:
    response = client.post("/scenarios/run", data=FORM, headers=HTML)
    assert response.status_code == 200
    check_page(response.text, "Scenario builder")
    expected = run_scenario(bundled, parse_scenario(scenario_document(FORM)["spec"])).countries
    for country in ("JPN", "USA"):
        row = expected[expected["country"] == country].iloc[0]
        for field in ("loss_t", "share_of_consumption"):
            shown = re.search(
                rf'data-country="{country}" data-field="{field}" data-value="([^"]+)"', response.text
            )
            assert shown is not None, (country, field)
            assert float(shown.group(1)) == float(row[field])
    assert "Largest losses, share of apparent consumption" in response.text


def test_scenario_fragment_and_bad_input(client: TestClient) -> None:
    submitted = client.post("/scenarios/run", data={**FORM, "fraction": "2"}, headers=HTML)
    assert submitted.status_code == 400 and "fraction" in submitted.text and "Traceback" not in submitted.text
    assert client.get("/fragments/scenario/" + "0" * 32, headers=HTML).status_code == 404
    assert client.get("/fragments/scenario/nothex", headers=HTML).status_code == 404


def test_partnership(client: TestClient) -> None:
    response = client.get("/partnership", headers=HTML)
    assert response.status_code == 200
    page = check_page(response.text, "Partnership: India and Japan")
    assert page.current == ["/partnership"]
    text = response.text
    assert "EU supply risk of both partners" in text and "Minerals both India and Japan import" in text
    assert set(specs(text)) == {"joint-chart"}
    assert text.count('class="study deferred"') == 3  # projects, each partner's sourcing frontier: jobs


@pytest.mark.parametrize(
    "url",
    [
        "/?country=XXX",
        "/countries/ZZZ",
        "/countries/%3Cscript%3E",
        "/minerals/unobtainium",
        "/partnership?a=IND&b=IND",
    ],
)
def test_bad_input_gives_html_error_page(client: TestClient, url: str) -> None:
    response = client.get(url, headers=HTML)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text and "<script>" not in response.text
    assert f"Error {response.status_code}" in response.text


def test_static_assets_served(client: TestClient) -> None:
    assert "scenarioDocument" in client.get("/static/app.js").text
    assert ":focus-visible" in client.get("/static/app.css").text
    assert not Path(critmin.web.__file__).with_name("static").joinpath(".keep").exists()
