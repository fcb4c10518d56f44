"""The dashboard in a real browser: Playwright driving Debian's Chromium against a live server.

Every page loads at 1280x800 without console errors or failed requests, asks nothing of any host
but the test server, has an ``h1`` and Vega-drawn charts with accessible names; the skip link works
from the keyboard; the scenario builder's numbers on screen equal the library's; the partnership's
studies arrive as deferred fragments. On the charts: hovering a mark shows its value, unit, source
and vintage; the year selector changes the plotted marks; CSV, PNG and SVG exports each download a
real file (the CSV holds the selected year's rows). Screenshots of every page are kept
in ``artifacts/screenshots/`` (git-ignored). The browser is Debian's (``make browser``): nothing is
ever downloaded.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, ViewportSize, sync_playwright

import critmin
from critmin.scenarios.library import load_shipped
from critmin.scenarios.run import run_scenario
from critmin.scenarios.spec import Scenario, parse_scenario
from critmin.web.config import WebConfig
from live_server import live_server

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = {
    "overview": "/",
    "mineral_rare_earths": "/minerals/rare_earths",
    "country_JPN": "/countries/JPN",
    "scenario_builder": "/scenarios/new",
    "partnership_IND_JPN": "/partnership?a=IND&b=JPN",
    "compare_IND_JPN_USA": "/compare?countries=IND,JPN,USA",
    "chokepoints_IND": "/chokepoints?country=IND&commodity=rare_earths",
    "events": "/events?as_of=2026-04-01&countries=IND,JPN",
}
WITHOUT_CHARTS = {"scenario_builder", "events"}
"""Pages of forms and tables only."""
PAGE_TIMEOUT_MS = 120_000
JOB_TIMEOUT_MS = 90_000
FORM: dict[str, Any] = {
    "exporter": "CHN",
    "commodity": "graphite_natural",
    "fraction": 0.5,
    "duration_days": 90,
    "year": 2023,
}
SHIPPED = "rare_earths_japan_2010"


@dataclass
class Watch:
    """What one page did in the browser: requests, failures, console errors, uncaught errors."""

    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        """Record the page's traffic and errors from now on."""
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {_failure(r)}"))
        page.on("console", lambda m: self._console(m))
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} at {message.location}")

    def check(self, base_url: str) -> None:
        """No error, no failed request, nothing asked of another host."""
        assert self.errors == []
        assert self.failed == []
        foreign = [u for u in self.requests if not (u.startswith(base_url + "/") or u.startswith("data:"))]
        assert foreign == []


def _failure(request: Request) -> str:
    return str(request.failure)


@dataclass
class Site:
    """The live server's base URL and the module's browser."""

    base_url: str
    browser: Browser

    def open(self) -> tuple[Page, Watch]:
        """A fresh page (own context) at 1280x800 that records what it does."""
        context = self.browser.new_context(viewport=VIEWPORT)
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        page = context.new_page()
        watch = Watch()
        watch.attach(page)
        return page, watch


@pytest.fixture(scope="module")
def site(bundled: critmin.Critmin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One live server and one Chromium for the module."""
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: run `make browser` (never download a browser)"
    token = tmp_path_factory.mktemp("browser") / "token"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with (
        live_server(WebConfig(db_path=bundled.path, token_file=token)) as base_url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            yield Site(base_url, browser)
        finally:
            browser.close()


def shoot(page: Page, name: str) -> None:
    """Keep a full-page screenshot as a test artefact."""
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    assert (SCREENSHOTS / f"{name}.png").stat().st_size > 0


def check_charts(page: Page) -> int:
    """Every chart is drawn by Vega in its figure, an image with an accessible name; returns their count."""
    figures = page.locator("main figure.vl-chart")
    for i in range(figures.count()):
        figure = figures.nth(i)
        drawn = figure.locator(".vl-view svg.marks")
        drawn.wait_for(state="attached")
        assert (drawn.get_attribute("aria-label") or "").strip(), f"chart {i} has no accessible name"
        assert "Source:" in (figure.locator("figcaption").text_content() or "")
    return figures.count()


def check_supplier_tables(page: Page) -> None:
    """A suppliers table lists each supplier once, and their shares of imports sum to at most 1."""
    for table in page.locator("table:has(tbody tr[data-exporter])").all():
        exporters = table.locator("tbody tr[data-exporter]").evaluate_all(
            "rows => rows.map(r => r.dataset.exporter)"
        )
        assert len(exporters) == len(set(exporters)), f"a supplier listed twice: {exporters}"
        shares = table.locator('td[data-field="share"][data-value]').evaluate_all(
            "cells => cells.map(c => Number(c.dataset.value))"
        )
        assert sum(shares) <= 1 + 1e-9


def test_watch_catches_errors_and_foreign_requests(site: Site) -> None:
    """The detectors the page checks rely on do fire (on a blank page, no network)."""
    page, watch = site.open()
    page.goto(site.base_url + "/static/app.css")
    watch.check(site.base_url)
    page.evaluate("() => console.error('boom')")
    page.evaluate("() => setTimeout(() => { throw new Error('thrown'); }, 0)")
    page.wait_for_timeout(100)
    assert any("boom" in e for e in watch.errors)
    assert any("thrown" in e for e in watch.errors)
    with pytest.raises(AssertionError):
        watch.check(site.base_url)
    page.context.close()
    # Only the test server and data: URLs pass.
    Watch(requests=[site.base_url + "/static/app.js", "data:,"]).check(site.base_url)
    with pytest.raises(AssertionError):
        Watch(requests=[site.base_url + "/", "http://example.invalid/x"]).check(site.base_url)
    with pytest.raises(AssertionError):  # a look-alike host is another host
        Watch(requests=[site.base_url + ".example.invalid/x"]).check(site.base_url)


def test_gitignore_keeps_artifacts_out() -> None:
    assert "/artifacts/" in (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_loads_cleanly(site: Site, name: str) -> None:
    page, watch = site.open()
    response = page.goto(site.base_url + PAGES[name], wait_until="load")
    assert response is not None and response.status == 200
    assert page.locator("h1").count() == 1
    assert page.locator("h1").inner_text().strip()
    charts = check_charts(page)
    if name not in WITHOUT_CHARTS:
        assert charts > 0, "a dashboard page without a chart"
    if name == "events":
        assert "usa-chabahar-waiver-2025" in page.content()  # the waiver's expiry is an alert that day
    # Every number in a table carries its source in the table's footnote.
    for table in page.locator("figure.table").all():
        assert table.locator("figcaption.source").inner_text().startswith("Source: ")
    check_supplier_tables(page)
    shoot(page, name)
    watch.check(site.base_url)
    page.context.close()


def test_docs_renders_operations_offline(site: Site) -> None:
    page, watch = site.open()
    response = page.goto(site.base_url + "/docs", wait_until="load")
    assert response is not None and response.status == 200
    page.locator(".opblock").first.wait_for(state="visible")
    assert page.locator(".opblock").count() > 10
    assert page.locator("h1, h2").first.inner_text().strip()
    assert page.locator("h1").count() >= 1
    shoot(page, "docs")
    watch.check(site.base_url)
    assert any("/static/docs/swagger-ui-bundle.js" in u for u in watch.requests)
    assert any(u.endswith("/openapi.json") for u in watch.requests)
    page.context.close()


def test_skip_link_moves_focus_to_main(site: Site) -> None:
    page, watch = site.open()
    page.goto(site.base_url + "/countries/JPN")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.tagName, document.activeElement.textContent]")
    assert focused == ["A", "Skip to content"]
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'main'")
    assert page.evaluate("() => document.activeElement.tagName") == "MAIN"
    watch.check(site.base_url)
    page.context.close()


def screen_values(page: Page) -> dict[str, dict[str, float | None]]:
    """The result table's numbers: country -> field -> float(data-value) (None where n/a)."""
    cells = page.locator("#scenario-table td[data-country][data-field]").evaluate_all(
        "cells => cells.map(c => [c.dataset.country, c.dataset.field, c.dataset.value ?? null])"
    )
    values: dict[str, dict[str, float | None]] = {}
    for country, name, value in cells:
        values.setdefault(country, {})[name] = None if value is None else float(value)
    return values


def assert_matches_library(page: Page, db: critmin.Critmin, spec: Scenario) -> int:
    """The on-screen loss and share of every listed country equal the library's; returns the count."""
    expected: pd.DataFrame = run_scenario(db, spec).countries
    shown = screen_values(page)
    assert shown, "no result rows on screen"
    assert len(shown) == min(len(expected), 40)
    rows = expected.set_index("country")
    assert not rows.index.duplicated().any()
    assert list(shown) == [str(c) for c in expected["country"].head(len(shown))]
    library = {name: rows[name].astype(float).to_dict() for name in ("loss_t", "share_of_consumption")}
    for country, fields in shown.items():
        for name, values in library.items():
            want = values[country]
            got = fields[name]
            if math.isnan(want):
                assert got is None, (country, name)
            else:
                assert got == want, (country, name, got, want)
    top = expected[expected["loss_t"] > 0]
    assert not top.empty and str(top["country"].iloc[0]) in shown
    return len(shown)


def wait_for_result(page: Page) -> None:
    """Wait until the builder's script has shown the finished job's fragment."""
    page.locator("#scenario-result #scenario-table").wait_for(state="visible", timeout=JOB_TIMEOUT_MS)
    assert page.locator("#run-message").inner_text() == "Done."


def test_builder_run_matches_library(site: Site, bundled: critmin.Critmin) -> None:
    page, watch = site.open()
    page.goto(site.base_url + "/scenarios/new")
    page.get_by_label("Exporter", exact=True).select_option(FORM["exporter"])
    page.get_by_label("Commodity", exact=True).select_option(FORM["commodity"])
    page.get_by_label("Fraction of exports cut").fill(str(FORM["fraction"]))
    page.get_by_label("Duration (days)").fill(str(FORM["duration_days"]))
    page.get_by_label("Network year (optional)").fill(str(FORM["year"]))
    page.get_by_role("button", name="Run scenario").click()
    wait_for_result(page)
    spec = parse_scenario(
        {
            "name": f"{FORM['exporter']} restricts {FORM['commodity']} exports",
            "year": FORM["year"],
            "events": [
                {
                    "type": "export_restriction",
                    "exporter": FORM["exporter"],
                    "commodity": FORM["commodity"],
                    "fraction": FORM["fraction"],
                    "duration_days": FORM["duration_days"],
                }
            ],
        },
        "test",
    )
    assert page.locator("#result-title").inner_text() == f"Result: {spec.name}"
    assert assert_matches_library(page, bundled, spec) > 5
    assert check_charts(page) >= 1  # the fragment's charts are embedded once inserted
    # The script moved focus to the result's heading for screen-reader users.
    assert page.evaluate("() => document.activeElement.id") == "result-title"
    shoot(page, "scenario_result_custom")
    watch.check(site.base_url)
    assert any(u.endswith("/api/scenarios/runs") for u in watch.requests)
    page.context.close()


def test_builder_runs_shipped_scenario(site: Site, bundled: critmin.Critmin) -> None:
    page, watch = site.open()
    page.goto(site.base_url + "/scenarios/new")
    page.get_by_label("Scenario", exact=True).select_option(SHIPPED)
    page.get_by_role("button", name="Run scenario").click()
    wait_for_result(page)
    spec = load_shipped(SHIPPED)
    assert page.locator("#result-title").inner_text() == f"Result: {spec.name}"
    assert assert_matches_library(page, bundled, spec) > 0
    shoot(page, "scenario_result_shipped")
    watch.check(site.base_url)
    page.context.close()


def test_partnership_studies_run_deferred(site: Site) -> None:
    """The page comes first; its project ranking runs as a job and its fragment, with a chart, follows."""
    page, watch = site.open()
    page.goto(site.base_url + "/partnership?a=IND&b=JPN")
    study = page.locator('.study[data-kind="projects"]')
    study.locator("table").first.wait_for(state="visible", timeout=JOB_TIMEOUT_MS)
    assert "Source: " in study.locator("figcaption.source").first.inner_text()
    check_charts(page)
    watch.check(site.base_url)
    assert any("/fragments/study" in u for u in watch.requests)
    page.context.close()


CHART_PAGE = "/minerals/rare_earths"
BARS = "#producers-bars-mine"


def mark_labels(page: Page, chart: str) -> list[str]:
    """The ARIA labels of a chart's bars (``name: value (year)``), as Vega drew them."""
    labels: list[str] = page.locator(f"{chart} .vl-view svg.marks .mark-rect path").evaluate_all(
        "marks => marks.map(m => m.getAttribute('aria-label') || '')"
    )
    return labels


def test_chart_tooltip_shows_value_unit_source_vintage(site: Site) -> None:
    page, watch = site.open()
    page.goto(site.base_url + CHART_PAGE)
    check_charts(page)
    bar = page.locator(f"{BARS} .vl-view svg.marks .mark-rect path").first
    bar.hover()
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    for title in ("value", "unit", "source", "vintage"):
        assert title in text, (title, text)
    assert "China" in text and "%" in text and "USGS" in text
    watch.check(site.base_url)
    page.context.close()


def test_route_map_tooltip_names_the_flow_its_chokepoints_and_source(site: Site) -> None:
    page, watch = site.open()
    page.goto(site.base_url + "/chokepoints?country=IND&commodity=rare_earths&chokepoint=malacca")
    check_charts(page)
    routes = page.locator("#route-map .vl-view svg.marks path[aria-roledescription='geoshape']")
    assert routes.count() > 1, "the outlines and at least one route"
    # a route is a stroke without fill: hover a point on the line, not its bounding box's centre
    page.locator("#route-map").scroll_into_view_if_needed()
    point = page.locator("#route-map .vl-view svg.marks path").evaluate_all(
        """paths => {
            const lines = paths.filter(p => (p.getAttribute('aria-label') || '').includes(' to India'));
            const width = p => parseFloat(p.getAttribute('stroke-width') || '0');
            const line = lines.reduce((a, b) => (width(b) > width(a) ? b : a));
            const middle = line.getPointAtLength(line.getTotalLength() / 2);
            const screen = middle.matrixTransform(line.getScreenCTM());
            return [screen.x, screen.y, line.getAttribute('aria-label')];
        }"""
    )
    page.mouse.move(point[0] - 20, point[1] - 20)
    page.mouse.move(point[0], point[1], steps=5)
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible")
    text = tooltip.inner_text()
    for title in ("flow", "value", "chokepoints", "source", "vintage"):
        assert title in text, (title, text)
    under = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).getAttribute('aria-label') || ''", [point[0], point[1]]
    )
    assert " to India" in under and under.split(":")[0] in text, "the tooltip of the route under the pointer"
    assert "BACI" in text and "searoute" in text
    watch.check(site.base_url)
    page.context.close()


def test_chart_year_selector_changes_the_plotted_data(site: Site) -> None:
    page, watch = site.open()
    page.goto(site.base_url + CHART_PAGE)
    check_charts(page)
    select = page.locator(f"{BARS} .vega-bindings select")
    years = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert len(years) >= 3 and select.input_value() == years[-1]
    before = mark_labels(page, BARS)
    assert before and all(label.endswith(f"({years[-1]})") for label in before)
    select.select_option(years[0])
    page.wait_for_function(
        "([chart, year]) => Array.from(document.querySelectorAll(chart + ' .mark-rect path'))"
        ".every(m => (m.getAttribute('aria-label') || '').endsWith('(' + year + ')'))",
        arg=[BARS, years[0]],
    )
    after = mark_labels(page, BARS)
    assert after and after != before
    watch.check(site.base_url)
    page.context.close()


@pytest.mark.parametrize("kind", ["CSV", "PNG", "SVG"])
def test_chart_exports_download_a_file(site: Site, kind: str, tmp_path: Path) -> None:
    page, watch = site.open()
    page.goto(site.base_url + CHART_PAGE)
    check_charts(page)
    select = page.locator(f"{BARS} .vega-bindings select")
    chosen = select.locator("option").first.get_attribute("value")
    select.select_option(chosen)
    with page.expect_download() as download_info:
        page.locator(BARS).get_by_role(
            "button", name=f"Download the {'data' if kind == 'CSV' else 'chart'}"
        ).filter(has_text=kind).click()
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert target.suffix == "." + kind.lower() and len(data) > 100
    if kind == "CSV":
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        assert rows and {"year", "share", "unit", "source", "vintage"} <= set(rows[0])
        assert {row["year"] for row in rows} == {chosen} and all(row["source"] for row in rows)
    elif kind == "PNG":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    else:
        assert b"<svg" in data[:500] and b"China" in data
    watch.check(site.base_url)
    page.context.close()
