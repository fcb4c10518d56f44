"""The partnership brief end to end: `critmin brief` on the bundled data, its HTML page and its PDF."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import critmin
from critmin import derisking
from critmin.charts import format_value
from critmin.cli.main import app
from critmin.errors import CritminError
from critmin.reports import brief as brief_module
from critmin.reports.brief import Brief, BriefOptions, collect
from critmin.reports.html import render
from critmin.reports.pdf import PdfError, find_browser, print_pdf

FOCUS = ("rare_earths", "graphite_natural")
FORBIDDEN_TAGS = {
    "script",
    "link",
    "img",
    "iframe",
    "object",
    "embed",
    "base",
    "image",
    "use",
    "foreignobject",
}


@dataclass
class Run:
    """One `critmin brief` run through the CLI, with the Brief it computed."""

    exit_code: int
    stdout: str
    stderr: str
    html_file: Path
    brief: Brief
    page: str


@pytest.fixture(scope="module")
def run(bundled: critmin.Critmin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """`critmin brief IND JPN -n 1000 -m rare_earths -m graphite_natural --pdf`, collecting only once."""
    out = tmp_path_factory.mktemp("brief") / "sub" / "x.html"
    seen: list[Brief] = []
    real = brief_module.collect

    def spy(db: critmin.Critmin, options: BriefOptions | None = None, **kwargs: Any) -> Brief:
        seen.append(real(db, options, **kwargs))
        return seen[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRITMIN_HOME", str(tmp_path_factory.mktemp("home")))
        patch.setattr(brief_module, "collect", spy)
        args = ["--db", str(bundled.path), "brief", "IND", "JPN", "--out", str(out), "-n", "1000"]
        args += [a for m in FOCUS for a in ("-m", m)]
        result = CliRunner().invoke(app, [*args, "--pdf"])
    assert result.exit_code == 0, result.stderr or result.output
    assert len(seen) == 1
    yield Run(result.exit_code, result.stdout, result.stderr, out, seen[0], out.read_text(encoding="utf-8"))


# HTML parsing helpers ---------------------------------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None
    children: list[Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def all_text(self) -> str:
        return "".join(self.text) + "".join(c.all_text() for c in self.children)

    def find_all(self, tag: str) -> list[Node]:
        found = [c for c in self.children if c.tag == tag]
        for child in self.children:
            found.extend(child.find_all(tag))
        return found


VOID = {"meta", "br", "hr", "input", "wbr", "col", "area", "source", "track"}


class TreeBuilder(HTMLParser):
    """A minimal DOM from html.parser (the page is generated, so its tags are balanced)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.current = self.root
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.tags.append((tag, node.attrs))
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.tags.append((tag, node.attrs))
        self.current.children.append(node)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.current.tag == tag, f"</{tag}> closes <{self.current.tag}>"
        assert self.current.parent is not None
        self.current = self.current.parent

    def handle_data(self, data: str) -> None:
        self.current.text.append(data)


def parse(page: str) -> TreeBuilder:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.current is builder.root, "unclosed tags"
    return builder


def tables(root: Node) -> dict[str, list[dict[str, str]]]:
    """Caption -> rows as {header: cell text}."""
    out: dict[str, list[dict[str, str]]] = {}
    for element in root.find_all("table"):
        caption = element.find_all("caption")[0].all_text()
        headers = [th.all_text() for th in element.find_all("th")]
        rows = [[td.all_text() for td in tr.find_all("td")] for tr in element.find_all("tbody")[0].children]
        out[caption] = [
            dict(zip(headers, cells, strict=True)) for cells in rows if len(cells) == len(headers)
        ]
    return out


@pytest.fixture(scope="module")
def tree(run: Run) -> TreeBuilder:
    return parse(run.page)


# the CLI ---------------------------------------------------------------------------------------


def test_cli_writes_the_page_and_the_pdf_with_the_options_given(run: Run) -> None:
    opts = run.brief.options
    assert opts.partners == ("IND", "JPN") and opts.focus == FOCUS
    assert opts.draws == 1000 and opts.sourcing_draws == 2000
    assert run.page == render(run.brief)
    pdf = run.html_file.with_suffix(".pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert f"wrote {run.html_file}" in run.stdout and f"wrote {pdf}" in run.stdout


def test_cli_with_one_partner_exits_1_and_writes_nothing(bundled: critmin.Critmin, tmp_path: Path) -> None:
    out = tmp_path / "one.html"
    result = CliRunner().invoke(app, ["--db", str(bundled.path), "brief", "IND", "--out", str(out), "--pdf"])
    assert result.exit_code == 1
    assert "partners: name at least two countries" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and not out.with_suffix(".pdf").exists()


# the page --------------------------------------------------------------------------------------


def test_the_page_refers_to_nothing_outside_itself(run: Run, tree: TreeBuilder) -> None:
    tags = {tag for tag, _ in tree.tags}
    assert not tags & FORBIDDEN_TAGS
    assert "<script" not in run.page.lower()
    for tag, attrs in tree.tags:
        assert "src" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), tag
        for name in ("href", "xlink:href"):
            if name in attrs:
                assert attrs[name].startswith("#"), attrs[name]
        for name, value in attrs.items():
            if name != "xmlns" and not name.startswith("xmlns:"):  # namespace names, not resources
                assert "http" not in value, (tag, name, value)
                assert all(u.startswith("url(#") for u in re.findall(r"url\([^)]*\)", value)), value
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", run.page, flags=re.I)
    # the only url() references are to gradients inside the same SVG
    assert all(u.startswith("url(#") for u in re.findall(r"url\([^)]*\)", run.page))
    assert "@import" not in run.page


def test_every_table_is_a_figure_with_its_source(tree: TreeBuilder) -> None:
    found = tree.root.find_all("table")
    assert len(found) >= 10
    for element in found:
        assert element.parent is not None and element.parent.tag == "figure"
        captions = [c for c in element.parent.children if c.tag == "figcaption"]
        assert len(captions) == 1 and captions[0].attrs.get("class") == "source"
        text = captions[0].all_text()
        assert text.startswith("Source: ") and len(text) > len("Source: ") + 3


def test_every_section_in_the_contents_exists(tree: TreeBuilder) -> None:
    nav = tree.root.find_all("nav")
    assert len(nav) == 1
    targets = [a.attrs["href"][1:] for a in nav[0].find_all("a")]
    ids = {s.attrs.get("id") for s in tree.root.find_all("section")}
    assert targets and set(targets) == ids and len(targets) == len(ids)
    for target in targets:
        headings = [h for h in tree.root.find_all("h2") if h.attrs.get("id") == f"{target}-title"]
        assert len(headings) == 1 and headings[0].all_text().strip()


def expected_figures(brief: Brief) -> int:
    """The charts and maps the brief draws for its data (see critmin.reports.html)."""
    production = brief.production
    maps = sum(1 for c in brief.options.focus[:3] if not production[production["commodity"] == c].empty)
    return (
        (not brief.shared.empty)
        + maps
        + (brief.joint is not None)
        + (brief.losses is not None)
        + (brief.projects is not None and not brief.projects.ranking.empty)
        + len(brief.sourcing)
        + (not brief.chokepoints.empty)
    )


def chart_svgs(page: str) -> list[str]:
    return re.findall(r'<figure class="chart">(.*?)</figure>', page, flags=re.S)


def test_every_chart_is_valid_svg_labelled_for_screen_readers(run: Run, tree: TreeBuilder) -> None:
    charts = [c for f in tree.root.find_all("figure") if f.attrs.get("class") == "chart" for c in f.children]
    # 1 supply-risk chart, 2 production maps, import sources, CVaR95, projects, 2 sourcing frontiers,
    # chokepoints
    assert len(charts) == expected_figures(run.brief) == 9
    assert all(c.tag == "svg" for c in charts)
    assert run.page.count("<svg") == len(charts)
    for svg in charts:
        assert svg.attrs.get("role") == "img"
        assert svg.attrs.get("aria-label", "").strip()
        assert "Source:" in svg.attrs["aria-label"]
        assert svg.find_all("title")
    texts = chart_svgs(run.page)
    assert len(texts) == len(charts)
    for text in texts:
        assert ET.fromstring(text).tag == "{http://www.w3.org/2000/svg}svg"
    ids = re.findall(r'\bid="([^"]+)"', "".join(texts))
    assert len(ids) == len(set(ids))  # each figure's gradients and clip paths have their own ids


def svg_texts(svg: str) -> list[str]:
    """The visible text of an SVG: every <text> element's content."""
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]


def test_the_charts_draw_the_briefs_numbers(run: Run) -> None:
    svgs = {ET.fromstring(s).findtext("{http://www.w3.org/2000/svg}title"): s for s in chart_svgs(run.page)}
    assert run.brief.losses is not None and run.brief.projects is not None
    # the CVaR95 bars are labelled with the simulated shares, as in the loss table
    cvar = svgs["CVaR95: mean loss in the worst 5% of simulated years, share of apparent consumption"]
    summary = run.brief.losses.result.summary
    shown = svg_texts(cvar)
    for record in summary.to_dict("records"):
        assert format_value(record["cvar95_share"], "share") in shown
    # the projects' bars: the best project's cut per tonne, and its name on the axis
    best = run.brief.projects.ranking.iloc[0]
    bars = svgs["CVaR95 cut per tonne a year of capacity (both partners)"]
    assert format_value(float(best["cut_per_t"]), "t per t/yr") in svg_texts(bars)
    assert any(str(best["project"])[:20] in t for t in svg_texts(bars))
    assert "each project's own sources in the table below" in bars
    # hovering a map's country names its share of world production
    production = run.brief.production
    rare = production[production["commodity"] == "rare_earths"]
    top = rare.sort_values("share", ascending=False).iloc[0]
    name = run.brief.places.get(top["country"], top["country"])
    label = html.escape(f"{name}: {format_value(float(top['share']), 'share')}")
    maps = [s for t, s in svgs.items() if t and t.startswith("Rare earths: share of world mine production")]
    assert len(maps) == 1
    assert f"<title>{label}</title>" in maps[0] and f'aria-label="{label}"' in maps[0]


def test_loss_table_shows_the_simulated_cvar_shares(run: Run, tree: TreeBuilder) -> None:
    assert run.brief.losses is not None
    summary = run.brief.losses.result.summary
    rows = tables(tree.root)["Simulated losses per partner"]
    assert len(rows) == len(summary) >= 4
    names = run.brief.places
    shown = {(r["Partner"], r["Network"]): r for r in rows}
    for record in summary.to_dict("records"):
        commodity, stage, year = record["network"].split("/")
        row = shown[(names[record["country"]], f"{run.brief.minerals[commodity]} ({stage}, {year})")]
        assert row["CVaR95 share"] == format_value(record["cvar95_share"], "share")
        assert row["CVaR95"] == format_value(record["cvar95_t"], "t")


def test_sourcing_table_shows_the_optimisers_weights(run: Run, tree: TreeBuilder) -> None:
    every = tables(tree.root)
    for partner, study in run.brief.sourcing.items():
        caption = f"{run.brief.places[partner]}: current and least-risk shares (2,000 draws, seed 0)"
        rows = {r["Supplier"]: r for r in every[caption]}
        top = study.suppliers.iloc[0]
        weight = study.optimum.weights[study.optimum.suppliers.index(top["supplier"])]
        row = rows[run.brief.places[top["supplier"]]]
        assert row["Least-risk share"] == format_value(weight, "share")
        assert row["Current share"] == format_value(top["current_share"], "share")


def test_the_real_brief_has_no_notes_and_all_its_studies(run: Run) -> None:
    brief = run.brief
    assert brief.notes == []
    assert not brief.shared.empty and brief.joint is not None and brief.projects is not None
    assert set(brief.sourcing) == {"IND", "JPN"}
    assert set(brief.timings) >= {"Monte Carlo", "projects", "sourcing IND", "sourcing JPN"}


def test_a_failing_step_is_noted_and_the_rest_still_computed(
    bundled: critmin.Critmin, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(what: str) -> Any:
        def raiser(*_: Any, **__: Any) -> Any:
            raise CritminError(f"no data for {what} <here>")

        return raiser

    monkeypatch.setattr(brief_module, "pair_profile", refuse("pair profile"))
    monkeypatch.setattr(derisking, "scenario_losses", refuse("scenarios"))
    monkeypatch.setattr(derisking, "evaluate_projects", refuse("projects"))
    options = BriefOptions(draws=500, sourcing_draws=1000, focus=("rare_earths",))
    brief = collect(bundled, options)
    assert brief.notes == [
        "minerals both depend on: left out: no data for pair profile <here>",
        "shipped scenarios: left out: no data for scenarios <here>",
        "projects: left out: no data for projects <here>",
    ]
    assert brief.shared.empty and brief.scenarios.empty and brief.projects is None
    assert brief.losses is not None and set(brief.sourcing) == {"IND", "JPN"}
    page = render(brief)
    assert "projects: left out: no data for projects &lt;here&gt;" in page
    assert "<here>" not in page
    assert "No shared exposure could be computed." in page


# the PDF ---------------------------------------------------------------------------------------


def test_a_tiny_page_prints_to_a_pdf(tmp_path: Path) -> None:
    page = tmp_path / "tiny.html"
    page.write_text("<!doctype html><title>t</title><p>Hello, brief.</p>", encoding="utf-8")
    target = print_pdf(page, tmp_path / "out" / "tiny.pdf")
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    assert re.search(rb"/Type\s*/Page\b", data)


def test_a_missing_browser_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRITMIN_CHROMIUM", "/nonexistent/chromium-xyz")
    with pytest.raises(PdfError, match="/nonexistent/chromium-xyz"):
        find_browser()


def test_a_missing_html_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PdfError, match=r"absent\.html: no such HTML file"):
        print_pdf(tmp_path / "absent.html", tmp_path / "absent.pdf", browser="unused")
    assert not (tmp_path / "absent.pdf").exists()


def test_the_sea_lane_section_shows_each_partners_chokepoints(run: Run, tree: TreeBuilder) -> None:
    rows = run.brief.chokepoints
    assert set(rows["partner"]) == {"IND", "JPN"}
    assert set(rows["commodity"]) <= set(run.brief.options.focus)
    assert "sealanes" in {s.attrs.get("id") for s in tree.root.find_all("section")}
    found = tables(tree.root)
    caption = next(c for c in found if c.startswith("Focus-mineral imports through a chokepoint"))
    shown = rows[rows["share_usd"] >= 0.01]
    assert len(found[caption]) == len(shown) > 0
    first = found[caption][0]
    expected = shown.iloc[0]
    assert first["Chokepoint"] == expected["chokepoint_name"]
    assert first["Share of value"] == format_value(float(expected["share_usd"]), "share")
