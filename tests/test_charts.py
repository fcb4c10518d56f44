"""Inline-SVG charts: valid XML, accessible, sourced, geometrically right, escaped, validated."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

import critmin
from critmin.metrics.trade_exposure import import_shares
from critmin.reports import charts
from critmin.reports.svgbase import OTHER, nice_ticks

NS = {"s": "http://www.w3.org/2000/svg"}
SOURCE = "CEPII BACI HS92, 2024"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def hover(el: ET.Element) -> str:
    title = el.find("s:title", NS)
    assert title is not None and title.text, f"no <title> on {el.tag}"
    return title.text


def texts(root: ET.Element, cls: str) -> list[ET.Element]:
    return root.findall(f".//s:text[@class='{cls}']", NS)


def check_common(svg: str, title: str) -> ET.Element:
    """Accessibility, title line, source caption, fonts and no external references."""
    root = parse(svg)
    assert root.get("role") == "img" and root.get("aria-label") == title
    assert root.get("font-family") == "system-ui, sans-serif"
    assert hover(root) == title
    assert [t.text for t in texts(root, "chart-title")] == [title]
    captions = texts(root, "source")
    assert len(captions) == 1 and captions[0].text == f"Source: {SOURCE}"
    for marker in ("href", "<script", "url(", "@import", "@font-face", "<image"):
        assert marker not in svg
    assert re.findall(r"https?://[^\"]*", svg) == ["http://www.w3.org/2000/svg"]
    return root


def width_of(el: ET.Element) -> float:
    return float(el.get("width", "nan"))


# -- formatting and ticks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (0.125, "share", "12.5%"),
        (1.0, "share", "100%"),
        (12.5, "%", "12.5%"),
        (1234, "t", "1,234 t"),
        (0.5, "t", "0.5 t"),
        (0.37249, "", "0.372"),
        (1234567.8, "USD", "1,234,568 USD"),
        (-0.0042, "", "-0.0042"),
        (0, "t", "0 t"),
        (math.nan, "t", "n/a"),
    ],
)
def test_format_value(value: float, unit: str, expected: str) -> None:
    assert charts.format_value(value, unit) == expected


@pytest.mark.parametrize(
    ("lo", "hi"), [(0, 1), (0.13, 0.41), (-3.2, 7.9), (1000, 1234), (5, 5), (0.001, 0.0013)]
)
def test_nice_ticks_are_1_2_5_steps_covering_the_range(lo: float, hi: float) -> None:
    ticks = nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi and 3 <= len(ticks) <= 12
    steps = {round(b - a, 12) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-6


# -- bar chart --------------------------------------------------------------------------------------


def test_bar_chart_lengths_proportional_labels_and_highlight() -> None:
    rows = [("CHN", 1234.0), ("VNM", 300.0), ("FRA", 61.7), ("EST", 0.0)]
    svg = charts.bar_chart(rows, title="Rare-earth imports", unit="t", source=SOURCE, highlight=["VNM"])
    root = check_common(svg, "Rare-earth imports")
    bars = root.findall(".//s:rect[@class='bar']", NS)
    assert len(bars) == len(rows)
    for (label, value), bar in zip(rows, bars, strict=True):
        assert hover(bar) == f"{label}: {charts.format_value(value, 't')}"
        assert width_of(bar) == pytest.approx(width_of(bars[0]) * value / rows[0][1], abs=0.02)
    assert [t.text for t in texts(root, "value")] == ["1,234 t", "300 t", "61.7 t", "0 t"]
    assert [t.text for t in texts(root, "label")] == [r[0] for r in rows]
    fills = {hover(b).split(":")[0]: b.get("fill") for b in bars}
    assert fills["VNM"] != fills["CHN"] and len({fills["CHN"], fills["FRA"], fills["EST"]}) == 1
    assert [t.text for t in texts(root, "axis-label")] == ["Tonnes"]


def test_bar_chart_negative_values_extend_left_of_zero() -> None:
    svg = charts.bar_chart([("a", 2.0), ("b", -1.0)], title="Net", unit="", source=SOURCE)
    a, b = parse(svg).findall(".//s:rect[@class='bar']", NS)
    assert float(b.get("x", "0")) + width_of(b) == pytest.approx(float(a.get("x", "0")), abs=0.02)
    assert width_of(a) == pytest.approx(2 * width_of(b), abs=0.02)


def test_bar_chart_custom_formatter_used_for_labels_and_hover() -> None:
    svg = charts.bar_chart(
        [("x", 0.5)], title="T", unit="share", source=SOURCE, value_format=lambda v: f"{v:.2f} idx"
    )
    root = parse(svg)
    assert hover(root.find(".//s:rect[@class='bar']", NS)) == "x: 0.50 idx"  # type: ignore[arg-type]


def test_text_is_escaped() -> None:
    nasty = 'A<&>"b'
    svg = charts.bar_chart([(nasty, 1.0)], title="T <&> x", unit="t", source="S & <co>")
    assert "&lt;&amp;&gt;" in svg and "<&>" not in svg
    root = parse(svg)
    assert texts(root, "label")[0].text == nasty
    assert root.get("aria-label") == "T <&> x"
    assert texts(root, "source")[0].text == "Source: S & <co>"
    stacked = charts.stacked_shares({"r<1>": {"a&b": 1.0}}, title="t", source="s")
    assert parse(stacked).find(".//s:g[@class='stack']", NS).get("data-row") == "r<1>"  # type: ignore[union-attr]


# -- grouped bars -----------------------------------------------------------------------------------


def test_grouped_bars_none_is_na_not_a_bar() -> None:
    cats = ["cobalt", "lithium", "rare earths"]
    series = {"IND": [0.52, None, 0.97], "JPN": [1.0, 0.25, None]}
    svg = charts.grouped_bars(cats, series, title="Import reliance", unit="share", source=SOURCE)
    root = check_common(svg, "Import reliance")
    bars = root.findall(".//s:rect[@class='bar']", NS)
    assert [hover(b) for b in bars] == [
        "cobalt, IND: 52%",
        "cobalt, JPN: 100%",
        "lithium, JPN: 25%",
        "rare earths, IND: 97%",
    ]
    na = texts(root, "na")
    assert [t.text for t in na] == ["n/a", "n/a"]
    assert [hover(t) for t in na] == ["lithium, IND: no data", "rare earths, JPN: no data"]
    assert width_of(bars[2]) == pytest.approx(width_of(bars[1]) / 4, abs=0.02)
    legend = [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)]
    assert legend == ["IND", "JPN"]
    assert bars[0].get("fill") == bars[3].get("fill") != bars[1].get("fill")


# -- stacked shares ---------------------------------------------------------------------------------


def segments(root: ET.Element) -> dict[str, list[tuple[str, ET.Element]]]:
    out = {}
    for group in root.findall(".//s:g[@class='stack']", NS):
        out[group.get("data-row", "")] = [
            (hover(r).split(", ", 1)[1].split(":")[0], r) for r in group.findall("s:rect", NS)
        ]
    return out


def test_stacked_shares_rows_fill_the_bar_and_colours_are_stable() -> None:
    rows = {
        "rare earths": {"CHN": 66.0, "VNM": 12.0, "FRA": 8.0, "MYS": 6.0, "EST": 3.0, "THA": 2.0, "IND": 1.0},
        "cobalt": {"COD": 5.0, "CHN": 2.0, "FIN": 1.0, "VNM": 0.5},
        "graphite": {"CHN": 0.9, "MOZ": 0.1},
    }
    svg = charts.stacked_shares(rows, title="JPN import sources", source=SOURCE, top=4)
    root = check_common(svg, "JPN import sources")
    segs = segments(root)
    assert list(segs) == list(rows)
    spans = []
    for row, parts in segs.items():
        rects = [r for _, r in parts]
        left = float(rects[0].get("x", "nan"))
        right = float(rects[-1].get("x", "nan")) + width_of(rects[-1])
        assert sum(width_of(r) for r in rects) == pytest.approx(right - left, abs=0.5)
        spans.append((left, right))
        total = sum(rows[row].values())
        for name, r in parts:
            if not name.startswith("Other"):
                assert width_of(r) == pytest.approx((right - left) * rows[row][name] / total, abs=0.05)
    assert all(s == pytest.approx(spans[0], abs=0.5) for s in spans)
    fills: dict[str, set[str | None]] = {}
    for parts in segs.values():
        for name, r in parts:
            fills.setdefault(name.split(" (")[0], set()).add(r.get("fill"))
    assert all(len(f) == 1 for f in fills.values())  # the same supplier keeps its fill in every row
    own = {name: next(iter(f)) for name, f in fills.items() if name != "Other"}
    assert len(set(own.values())) == len(own) and OTHER not in own.values()
    assert fills["Other"] == {OTHER}
    legend = [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)]
    assert legend[-1] == "Other" and len(legend) == 5 and legend[0] == "CHN"


def test_stacked_shares_merges_beyond_top_into_other() -> None:
    rows = {"a": {"X": 5.0, "Y": 3.0, "Z": 1.5, "W": 0.5}, "b": {"X": 1.0, "Y": 1.0}}
    root = parse(charts.stacked_shares(rows, title="t", source=SOURCE, top=2))
    segs = segments(root)
    names = [name for name, _ in segs["a"]]
    assert names == ["X", "Y", "Other (2 suppliers)"]
    widths = {name: width_of(r) for name, r in segs["a"]}
    assert widths["Other (2 suppliers)"] == pytest.approx(widths["X"] * 2.0 / 5.0, abs=0.05)
    assert hover(segs["a"][2][1]) == "a, Other (2 suppliers): 20%"
    assert [name for name, _ in segs["b"]] == ["X", "Y"]
    labels = [t.text for t in texts(root, "segment-label")]
    assert labels.count("Other") == 1 and labels.count("X") == 2


def test_stacked_shares_inline_labels_only_on_wide_segments() -> None:
    rows = {"r": {"big": 0.9, "mid": 0.08, "tiny": 0.02}}
    root = parse(charts.stacked_shares(rows, title="t", source=SOURCE))
    assert [t.text for t in texts(root, "segment-label")] == ["big", "mid"]


# -- line chart -------------------------------------------------------------------------------------


def axis(root: ET.Element, cls: str, coord: str) -> tuple[float, float, float, float]:
    """Two ticks' data values and pixel positions."""
    ticks = root.findall(f".//s:line[@class='{cls}']", NS)
    assert len(ticks) >= 3
    first, last = ticks[0], ticks[-1]
    return (
        float(first.get("data-value", "nan")),
        float(first.get(coord, "nan")),
        float(last.get("data-value", "nan")),
        float(last.get(coord, "nan")),
    )


def to_pixel(value: float, ticks: tuple[float, float, float, float]) -> float:
    v0, p0, v1, p1 = ticks
    return p0 + (value - v0) / (v1 - v0) * (p1 - p0)


def test_line_chart_maps_data_to_pixels_via_ticks() -> None:
    frontier = [(1.0, 0.31), (1.04, 0.22), (1.1, 0.18), (1.23, 0.151)]
    other = [(1.0, 0.4), (1.2, 0.2)]
    svg = charts.line_chart(
        {"frontier": frontier, "naive": other},
        title="Risk and cost",
        x_label="Cost index",
        y_label="CVaR",
        source=SOURCE,
        points=[(1.02, 0.35, "current <mix>")],
    )
    root = check_common(svg, "Risk and cost")
    xt, yt = axis(root, "xtick", "x1"), axis(root, "ytick", "y1")
    assert xt[0] <= 1.0 and xt[2] >= 1.23 and yt[0] <= 0.151 and yt[2] >= 0.4
    markers = root.findall(".//s:circle[@class='marker']", NS)
    assert len(markers) == len(frontier) + len(other)
    for (x, y), m in zip([*frontier, *other], markers, strict=True):
        assert float(m.get("cx", "nan")) == pytest.approx(to_pixel(x, xt), abs=0.02)
        assert float(m.get("cy", "nan")) == pytest.approx(to_pixel(y, yt), abs=0.02)
    assert hover(markers[1]) == "frontier: Cost index 1.04, CVaR 0.22"
    (point,) = root.findall(".//s:circle[@class='point']", NS)
    assert float(point.get("cx", "nan")) == pytest.approx(to_pixel(1.02, xt), abs=0.02)
    assert float(point.get("cy", "nan")) == pytest.approx(to_pixel(0.35, yt), abs=0.02)
    assert texts(root, "point-label")[0].text == "current <mix>"
    assert [t.text for t in texts(root, "axis-label")] == ["Cost index", "CVaR"]
    assert [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)] == ["frontier", "naive"]
    single = parse(charts.line_chart({"a": frontier}, title="t", x_label="x", y_label="y", source=SOURCE))
    assert single.find(".//s:g[@class='legend']", NS) is None


# -- validation -------------------------------------------------------------------------------------

GOOD = {"title": "t", "source": SOURCE}


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: charts.bar_chart([], unit="t", **GOOD), "rows"),
        (lambda: charts.bar_chart([("a", math.nan)], unit="t", **GOOD), "rows[0]"),
        (lambda: charts.bar_chart([("a", 1), ("b", math.inf)], unit="t", **GOOD), "rows[1]"),
        (lambda: charts.bar_chart([("a", 1)], unit="t", title="", source=SOURCE), "title"),
        (lambda: charts.bar_chart([("a", 1)], unit="t", title="t", source=" "), "source"),
        (lambda: charts.bar_chart([("a", 1)], unit="t", highlight=["z"], **GOOD), "highlight"),
        (lambda: charts.bar_chart([("a", 1)], unit="t", width=50, **GOOD), "width"),
        (lambda: charts.grouped_bars([], {"a": []}, unit="t", **GOOD), "categories"),
        (lambda: charts.grouped_bars(["x"], {}, unit="t", **GOOD), "series"),
        (lambda: charts.grouped_bars(["x", "y"], {"IND": [1.0]}, unit="t", **GOOD), "series['IND']"),
        (lambda: charts.grouped_bars(["x"], {"IND": [math.nan]}, unit="t", **GOOD), "series['IND'][0]"),
        (lambda: charts.stacked_shares({}, **GOOD), "rows"),
        (lambda: charts.stacked_shares({"re": {"CHN": -0.1, "VNM": 1}}, **GOOD), "rows['re']['CHN']"),
        (lambda: charts.stacked_shares({"re": {"CHN": math.nan}}, **GOOD), "rows['re']['CHN']"),
        (lambda: charts.stacked_shares({"re": {"CHN": 0.0}}, **GOOD), "rows['re']"),
        (lambda: charts.stacked_shares({"re": {}}, **GOOD), "rows['re']"),
        (lambda: charts.stacked_shares({"re": {"CHN": 1}}, top=0, **GOOD), "top"),
        (lambda: charts.line_chart({}, x_label="x", y_label="y", **GOOD), "series"),
        (lambda: charts.line_chart({"a": []}, x_label="x", y_label="y", **GOOD), "series['a']"),
        (lambda: charts.line_chart({"a": [(1, 2, 3)]}, x_label="x", y_label="y", **GOOD), "series['a'][0]"),
        (
            lambda: charts.line_chart({"a": [(1, math.nan)]}, x_label="x", y_label="y", **GOOD),
            "series['a'][0].y",
        ),
        (lambda: charts.line_chart({"a": [(1, 2)]}, x_label="", y_label="y", **GOOD), "x_label"),
        (
            lambda: charts.line_chart(
                {"a": [(1, 2)]}, x_label="x", y_label="y", points=[(math.inf, 1, "p")], **GOOD
            ),
            "points[0].x",
        ),
    ],
)
def test_bad_input_names_the_field(call, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"^" + re.escape(field) + r"[: ]"):
        call()


# -- real data --------------------------------------------------------------------------------------


def test_jpn_import_sources_on_bundled_data(bundled: critmin.Critmin) -> None:
    goods = ["rare_earths", "cobalt", "lithium"]
    trade = bundled.trade(2024, importer="JPN", commodity=goods)
    shares = import_shares(trade, bundled.hs_codes(), aggregates=bundled.places(), world=False)
    shares = shares[shares["share"] > 0]
    rows: dict[str, dict[str, float]] = {}
    for (commodity, stage), grp in shares.groupby(["commodity", "stage"]):
        rows[f"{commodity} ({stage})"] = dict(zip(grp["exporter"], grp["share"], strict=True))
    key = next(k for k in rows if k.startswith("rare_earths"))
    svg = charts.stacked_shares(rows, title="Japan's import sources, 2024", source=SOURCE)
    root = check_common(svg, "Japan's import sources, 2024")
    segs = segments(root)
    assert set(segs) == set(rows)
    rare = pd.Series(rows[key]).sort_values(ascending=False)
    assert rare.index[0] == "CHN"  # China is Japan's main rare-earth supplier in BACI 2024
    names = {name: r for name, r in segs[key]}
    assert "CHN" in names
    assert width_of(names["CHN"]) == max(width_of(r) for r in names.values())
    assert hover(names["CHN"]) == f"{key}, CHN: {charts.format_value(rare['CHN'] / rare.sum(), 'share')}"
    legend = [t.text for t in root.findall(".//s:g[@class='legend']/s:text", NS)]
    assert "CHN" in legend and len(legend) <= 7
