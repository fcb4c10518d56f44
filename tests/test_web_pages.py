"""The dashboard's pages: HTML with inline SVG charts, sourced tables, no external URLs, no traces."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import critmin
from critmin.scenarios.run import run_scenario
from critmin.scenarios.spec import parse_scenario
from critmin.web.app import create_app
from critmin.web.config import WebConfig
from critmin.web.routes.pages import scenario_document

HTML = {"Accept": "text/html"}
SVG_TAG = re.compile(r"<svg\b|</svg>")
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


def svgs(text: str) -> list[str]:
    """The outermost ``<svg>`` elements of a page (maps nest one inside another)."""
    found, depth, start = [], 0, 0
    for match in SVG_TAG.finditer(text):
        if match.group() == "</svg>":
            depth -= 1
            if depth == 0:
                found.append(text[start : match.end()])
        else:
            start = match.start() if depth == 0 else start
            depth += 1
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
    assert page.scripts == [{"src": "/static/app.js", "defer": None}]
    assert not page.inline_handlers
    assert page.tables == page.captions == page.sources
    for svg in svgs(text):
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.get("aria-label")
    assert "Traceback" not in text
    return page


def test_overview(client: TestClient) -> None:
    response = client.get("/", params={"country": "IND"}, headers=HTML)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = check_page(response.text, "Overview: India")
    assert page.current == ["/"] and page.tables >= 2
    assert len(svgs(response.text)) >= 2  # criticality chart and the exposure map
    assert "top minerals by EU supply risk" in response.text
    assert 'href="/minerals/' in response.text and 'href="/countries/' in response.text


def test_country_page(client: TestClient) -> None:
    response = client.get("/countries/ind", headers=HTML)
    assert response.status_code == 200
    page = check_page(response.text, "Country: India")
    assert page.current == ["/countries/IND"]
    assert "import sources of its most critical minerals" in response.text
    assert 'data-field="import_reliance"' in response.text


def test_mineral_page(client: TestClient) -> None:
    response = client.get("/minerals/rare_earths", headers=HTML)
    assert response.status_code == 200
    check_page(response.text, "Mineral: Rare earths")
    text = response.text
    assert "share of world mine production" in text and "production concentration (HHI" in text
    assert "Largest Rare earths trade flows" in text or "trade flows by tonnes" in text
    assert len(svgs(text)) >= 3  # map, shares, HHI line


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
    assert "EU supply-risk score of both partners" in text
    assert "Candidate projects, best first" in text
    assert "least shortfall risk (CVaR95)" in text


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
