"""Charts as Vega-Lite specs (critmin.charts) and their static SVG: what the brief and the dashboard draw.

Replaces the tests of the hand-drawn SVG renderers (``reports/charts.py``, ``svgbase.py``,
``worldmap.py``): number formats, escaping, accessible labels, sources on every figure, unmapped
countries, the bundled outlines and the scripts that built them.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import struct
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest
import vl_convert

import critmin
from critmin import charts
from critmin.charts import base, maps
from critmin.charts.format import axis_format
from critmin.charts.svg import SUBTITLE_CHARS, VL_VERSION
from critmin.data import reference_path
from critmin.metrics.trade_exposure import import_shares

REPO = Path(__file__).resolve().parents[1]
SVG = "{http://www.w3.org/2000/svg}"
SOURCE, VINTAGE = "CEPII BACI HS92", "V202601"
PROVENANCE = {"source": SOURCE, "vintage": VINTAGE}


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def walk(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict inside a spec."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def tooltip_titles(spec: dict[str, Any]) -> set[str]:
    titles: set[str] = set()
    for node in walk({k: v for k, v in spec.items() if k != "datasets"}):
        tips = node.get("tooltip")
        if isinstance(tips, list):
            titles.update(str(t.get("title", t.get("field"))) for t in tips if isinstance(t, dict))
    return titles


def marks(svg: str, role: str) -> list[ET.Element]:
    """The drawn marks of one kind (``bar``, ``point``, ``geoshape``), as parsed elements."""
    return [e for e in ET.fromstring(svg).iter() if e.get("aria-roledescription") == role]


def texts(svg: str) -> list[str]:
    return ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]


def luminance(colour: str) -> float:
    if colour.startswith("#"):
        r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    else:
        r, g, b = (int(n) for n in re.findall(r"\d+", colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def check_svg(svg: str, spec: dict[str, Any]) -> ET.Element:
    """One accessible, self-contained <svg>: role, aria-label, title, caption, nothing to fetch."""
    assert svg.count("<svg") == 1 and svg.startswith("<svg")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img" and root.get("aria-label") == spec["description"]
    assert root.findtext(f"{SVG}title") == spec["title"]["text"]
    assert "Source:" in spec["description"]
    assert any(t.startswith("Source: ") for t in texts(svg))
    for marker in ("<script", "<image", "<foreignObject", "@import", "javascript:"):
        assert marker not in svg
    assert not re.search(r"""href\s*=\s*["'](?!#)""", svg)
    assert set(re.findall(r"https?://[^\"]*", svg)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }
    assert all(u.startswith("url(#") for u in re.findall(r"url\([^)]*\)", svg))
    return root


# -- number formats ---------------------------------------------------------------------------------


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
        (0.0897, "t per t/yr", "0.0897 t per t/yr"),
        (math.nan, "t", "n/a"),
        (math.inf, "share", "n/a"),
        (None, "share", "n/a"),
    ],
)
def test_format_value(value: float | None, unit: str, expected: str) -> None:
    assert charts.format_value(value, unit) == expected


def test_axes_in_shares_are_percent() -> None:
    assert axis_format("share") == ".0%" and axis_format("t") is None


# -- the builders: valid specs with sourced tooltips -------------------------------------------------

BARS = pd.DataFrame({"country": ["China", "Vietnam", "France", "Estonia"], "t": [1234.0, 300.0, 61.7, 0.0]})
GROUPED = pd.DataFrame(
    {
        "mineral": ["cobalt", "cobalt", "lithium", "lithium", "rare earths", "rare earths"],
        "partner": ["India", "Japan"] * 3,
        "reliance": [0.52, 1.0, None, 0.25, 0.97, None],
    }
)
STACKED = pd.DataFrame(
    [
        ("rare earths", s, v)
        for s, v in {
            "CHN": 66.0,
            "VNM": 12.0,
            "FRA": 8.0,
            "MYS": 6.0,
            "EST": 3.0,
            "THA": 2.0,
            "IND": 1.0,
        }.items()
    ]
    + [("cobalt", s, v) for s, v in {"COD": 5.0, "CHN": 2.0, "FIN": 1.0, "VNM": 0.5}.items()]
    + [("graphite", s, v) for s, v in {"CHN": 0.9, "MOZ": 0.1}.items()],
    columns=["mineral", "supplier", "share"],
)
FRONTIER = pd.DataFrame(
    {"cost": [0.0, 0.04, 0.1, 0.23], "cvar": [0.31, 0.22, 0.18, 0.151], "series": "frontier"}
)
POINTS = pd.DataFrame({"cost": [0.0, 0.23], "cvar": [0.35, 0.151], "label": ["current <mix>", "least risk"]})
MAP = pd.DataFrame({"iso3": ["CHN", "USA", "AUS", "MMR", "IND", "BRA", "RUS", "NGA"]}).assign(
    share=[0.692, 0.12, 0.074, 0.056, 0.007, 0.005, 0.006, 0.004]
)
SERIES = pd.DataFrame(
    {
        "year": [2020, 2021, 2022] * 2,
        "hhi": [0.5, 0.52, 0.55, 0.3, 0.31, 0.29],
        "series": ["mine"] * 3 + ["refinery"] * 3,
    }
)


def built() -> dict[str, dict[str, Any]]:
    return {
        "bar": charts.bar(BARS, category="country", value="t", unit="t", title="Imports", **PROVENANCE),
        "grouped_bars": charts.grouped_bars(
            GROUPED,
            category="mineral",
            value="reliance",
            group="partner",
            unit="share",
            title="Reliance",
            **PROVENANCE,
        ),
        "stacked_shares": charts.stacked_shares(
            STACKED, category="mineral", part="supplier", share="share", title="Sources", top=4, **PROVENANCE
        ),
        "lines": charts.lines(
            FRONTIER,
            x="cost",
            y="cvar",
            series="series",
            x_title="premium",
            y_title="CVaR95",
            unit="share",
            x_unit="share",
            title="Frontier",
            points=POINTS,
            **PROVENANCE,
        ),
        "timeseries": charts.timeseries(SERIES, y="hhi", series="series", unit="", title="HHI", **PROVENANCE),
        "choropleth": charts.choropleth(
            MAP, iso3="iso3", value="share", unit="share", title="Mine share", **PROVENANCE
        ),
    }


@pytest.fixture(scope="module")
def specs() -> dict[str, dict[str, Any]]:
    return built()


@pytest.fixture(scope="module")
def svgs(specs: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {kind: charts.render_svg(spec, ident=f"c-{kind}") for kind, spec in specs.items()}


@pytest.mark.parametrize("kind", sorted(built()))
def test_every_builder_gives_a_valid_sourced_spec(kind: str, specs: dict[str, dict[str, Any]]) -> None:
    spec = specs[kind]
    assert "vega-lite" in spec["$schema"]
    assert spec["usermeta"]["critmin"]["kind"] == kind
    assert spec["title"]["subtitle"] == f"Source: {SOURCE} ({VINTAGE})"
    assert spec["description"].endswith(f"Source: {SOURCE} ({VINTAGE}).")
    json.dumps(spec, allow_nan=False)  # JSON-safe: no NaN, numpy or dates
    assert vl_convert.vegalite_to_vega(spec, vl_version=VL_VERSION)  # compiles
    assert {"value", "unit", "source", "vintage"} <= tooltip_titles(spec)
    rows = spec["datasets"][base.ROWS]
    assert rows and all(r["source"] == SOURCE and r["vintage"] == VINTAGE and r["value_text"] for r in rows)


@pytest.mark.parametrize("kind", sorted(built()))
def test_every_chart_renders_to_one_accessible_svg(
    kind: str, specs: dict[str, Any], svgs: dict[str, str]
) -> None:
    check_svg(svgs[kind], specs[kind])


def test_bar_labels_values_with_their_unit_and_highlights(svgs: dict[str, str]) -> None:
    bars = marks(svgs["bar"], "bar")
    assert [b.get("aria-label") for b in bars] == [
        "China: 1,234 t",
        "Vietnam: 300 t",
        "France: 61.7 t",
        "Estonia: 0 t",
    ]
    assert [b.findtext(f"{SVG}title") for b in bars] == [b.get("aria-label") for b in bars]  # hover text
    assert {"1,234 t", "300 t", "61.7 t", "0 t", "tonnes"} <= set(texts(svgs["bar"]))
    marked = charts.render_svg(
        charts.bar(
            BARS,
            category="country",
            value="t",
            unit="t",
            title="T",
            highlight=["Vietnam"],
            sort=None,
            **PROVENANCE,
        )
    )
    fills = {b.get("aria-label", "").split(":")[0]: b.get("fill") for b in marks(marked, "bar")}
    assert list(fills) == list(BARS["country"])  # sort=None keeps the frame's order
    assert fills["Vietnam"] == base.HIGHLIGHT and {fills["China"], fills["France"]} == {base.BAR}


def test_bar_axis_title_can_be_given() -> None:
    spec = charts.bar(
        BARS, category="country", value="t", unit="t", title="T", x_title="imports, tonnes", **PROVENANCE
    )
    assert "imports, tonnes" in texts(charts.render_svg(spec))


def test_grouped_bars_draw_no_bar_for_a_missing_value(specs: dict[str, Any], svgs: dict[str, str]) -> None:
    rows = specs["grouped_bars"]["datasets"][base.ROWS]
    assert [r["value_text"] for r in rows] == ["52%", "100%", "n/a", "25%", "97%", "n/a"]
    labels = [b.get("aria-label") for b in marks(svgs["grouped_bars"], "bar")]
    assert labels == [
        "cobalt, India: 52%",
        "cobalt, Japan: 100%",
        "lithium, Japan: 25%",
        "rare earths, India: 97%",
    ]
    fills = {
        label: b.get("fill") for label, b in zip(labels, marks(svgs["grouped_bars"], "bar"), strict=True)
    }
    assert fills["cobalt, India: 52%"] == fills["rare earths, India: 97%"] != fills["cobalt, Japan: 100%"]
    assert {"India", "Japan"} <= set(texts(svgs["grouped_bars"]))  # the legend


def _bars(spec: dict[str, Any]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for r in spec["datasets"][base.ROWS]:
        out.setdefault(r["mineral"], {})[r["supplier"]] = (
            out.get(r["mineral"], {}).get(r["supplier"], 0) + r["share"]
        )
    return out


def test_stacked_shares_fill_each_bar_and_merge_the_rest_into_other(specs: dict[str, Any]) -> None:
    bars = _bars(specs["stacked_shares"])
    assert list(bars) == ["rare earths", "cobalt", "graphite"]
    for shares in bars.values():
        assert sum(shares.values()) == pytest.approx(1.0)
    rare = bars["rare earths"]
    assert list(rare) == ["CHN", "VNM", "FRA", "MYS", "other"]  # the top 4 of this bar, then the rest
    assert rare["other"] == pytest.approx(6 / 98) and rare["CHN"] == pytest.approx(66 / 98)
    assert "other" not in bars["graphite"]


def test_stacked_shares_overall_keeps_few_colours_the_same_in_every_bar() -> None:
    spec = charts.stacked_shares(
        STACKED,
        category="mineral",
        part="supplier",
        share="share",
        title="S",
        top=2,
        overall=True,
        **PROVENANCE,
    )
    bars = _bars(spec)
    # CHN and COD have the largest summed shares over the three bars; everything else is "other"
    assert {s for shares in bars.values() for s in shares} == {"CHN", "COD", "other"}
    assert bars["rare earths"]["other"] == pytest.approx(32 / 98) and "COD" not in bars["rare earths"]
    assert bars["graphite"] == pytest.approx({"CHN": 0.9, "other": 0.1})
    colour = spec["encoding"]["color"]["scale"]
    assert colour["domain"] == ["CHN", "COD", "other"] and colour["range"][-1] == base.OTHER
    svg = charts.render_svg(spec)
    fills: dict[str, set[str | None]] = {}
    for segment in marks(svg, "bar"):
        fills.setdefault(segment.get("aria-label", "").split(", ")[1].split(":")[0], set()).add(
            segment.get("fill")
        )
    assert all(len(f) == 1 for f in fills.values()) and len({next(iter(f)) for f in fills.values()}) == 3


def test_lines_draw_the_curve_and_the_labelled_points(specs: dict[str, Any], svgs: dict[str, str]) -> None:
    points = [p.get("aria-label") for p in marks(svgs["lines"], "point")]
    assert "frontier, 4%: 22%" in points
    assert "current <mix>, 0%: 35%" in points and "least risk, 23%: 15.1%" in points
    assert {"premium", "CVaR95", "current <mix>", "least risk", "frontier"} <= set(texts(svgs["lines"]))
    rows = specs["lines"]["datasets"][base.ROWS]
    assert {r["x_text"] for r in rows} >= {"0%", "4%", "10%", "23%"}


def test_timeseries_draws_every_year_of_every_series(svgs: dict[str, str]) -> None:
    points = [p.get("aria-label") for p in marks(svgs["timeseries"], "point")]
    assert "mine, 2022: 0.55" in points and "refinery, 2020: 0.3" in points and len(points) == 6


def test_text_is_escaped() -> None:
    nasty = 'A<&>"b'
    spec = charts.bar(
        pd.DataFrame({"c": [nasty], "v": [1.0]}),
        category="c",
        value="v",
        unit="t",
        title="T <&> x",
        source="S & <co>",
        vintage="v1",
    )
    svg = charts.render_svg(spec)
    assert "<&>" not in svg and "&lt;&amp;&gt;" in svg
    root = check_svg(svg, spec)
    assert root.findtext(f"{SVG}title") == "T <&> x"
    assert nasty in texts(svg) and "Source: S & <co> (v1)" in texts(svg)
    assert [b.get("aria-label") for b in marks(svg, "bar")] == [f"{nasty}: 1 t"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: charts.bar(
                BARS.iloc[:0], category="country", value="t", unit="t", title="T", **PROVENANCE
            ),
            "no rows",
        ),
        (lambda: charts.bar(BARS, category="country", value="t", unit="t", title=" ", **PROVENANCE), "title"),
        (
            lambda: charts.bar(
                BARS, category="country", value="t", unit="t", title="T", source="", vintage="v"
            ),
            "source",
        ),
        (
            lambda: charts.bar(BARS, category="name", value="t", unit="t", title="T", **PROVENANCE),
            "no column",
        ),
        (
            lambda: charts.choropleth(
                MAP.assign(iso3="chn"), iso3="iso3", value="share", unit="", title="T", **PROVENANCE
            ),
            "iso3",
        ),
    ],
)
def test_bad_input_is_refused_naming_the_field(call: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- render_svg ---------------------------------------------------------------------------------------


def test_ids_are_prefixed_so_two_figures_on_a_page_never_clash(
    specs: dict[str, Any], svgs: dict[str, str]
) -> None:
    plain = charts.render_svg(specs["choropleth"])
    assert re.findall(r'\bid="([^"]+)"', plain) == ["gradient-1"]  # the legend's gradient
    one, two = svgs["choropleth"], charts.render_svg(specs["choropleth"], ident="other")
    ids_one, ids_two = set(re.findall(r'\bid="([^"]+)"', one)), set(re.findall(r'\bid="([^"]+)"', two))
    assert ids_one == {"c-choropleth-gradient-1"} and ids_two == {"other-gradient-1"}
    refs = re.findall(r"url\(#([^)]+)\)", one)
    assert refs and set(refs) <= ids_one
    with pytest.raises(ValueError, match="ident"):
        charts.render_svg(specs["bar"], ident="1 bad")


def test_the_same_spec_always_gives_the_same_svg(specs: dict[str, Any], svgs: dict[str, str]) -> None:
    """Vega's id counter runs on across drawings; the ids are renumbered so the output does not."""
    for kind in ("choropleth", "stacked_shares"):
        assert charts.render_svg(specs[kind], ident=f"c-{kind}") == svgs[kind]


def test_every_mark_gets_a_hover_title_unless_asked_not_to(specs: dict[str, Any]) -> None:
    with_titles = charts.render_svg(specs["bar"])
    assert all(b.findtext(f"{SVG}title") for b in marks(with_titles, "bar"))
    without = charts.render_svg(specs["bar"], hover=False)
    assert not any(b.findtext(f"{SVG}title") for b in marks(without, "bar"))
    assert ET.fromstring(without).findtext(f"{SVG}title") == "Imports"  # the chart keeps its own


def test_a_long_source_caption_is_wrapped_not_cut() -> None:
    source = "; ".join(f"source number {i} release {2000 + i}" for i in range(12))
    spec = charts.bar(BARS, category="country", value="t", unit="t", title="T", source=source, vintage=source)
    root = ET.fromstring(charts.render_svg(spec))
    (caption,) = [t for t in root.iter(f"{SVG}text") if "source number" in "".join(t.itertext())]
    lines = ["".join(span.itertext()) for span in caption.iter(f"{SVG}tspan")]
    assert len(lines) >= 3 and all(len(line) <= SUBTITLE_CHARS for line in lines)
    assert " ".join(lines) == f"Source: {source}"
    assert spec["title"]["subtitle"] == f"Source: {source}"  # the spec itself is left as it was


# -- maps ---------------------------------------------------------------------------------------------


def test_the_map_draws_every_outline_and_colours_by_value(
    specs: dict[str, Any], svgs: dict[str, str]
) -> None:
    shapes = marks(svgs["choropleth"], "geoshape")
    outlines = maps.outlines()
    assert len(shapes) == len(outlines) + len(MAP)  # every country grey, then the ones with a value
    labels = {s.get("aria-label") for s in shapes}
    assert {"China: 69.2%", "United States of America: 12%", "France: no data"} <= labels
    filled = {
        s.get("aria-label", "").split(":")[0]: s.get("fill", "")
        for s in shapes
        if s.get("fill") != maps.NO_DATA
    }
    assert set(filled) == {maps.names()[c] for c in MAP["iso3"]}
    ordered = [maps.names()[c] for c in MAP.sort_values("share")["iso3"]]
    shades = [luminance(filled[c]) for c in ordered]
    assert shades == sorted(shades, reverse=True) and shades[-1] < shades[0]  # darker is higher
    assert "share" in texts(svgs["choropleth"])  # the legend's title


def test_partners_are_outlined_in_black() -> None:
    spec = charts.choropleth(
        MAP, iso3="iso3", value="share", unit="share", title="T", highlight=["IND", "JPN"], **PROVENANCE
    )
    shapes = marks(charts.render_svg(spec), "geoshape")
    strokes = {
        s.get("aria-label", "").split(":")[0]: (s.get("stroke"), s.get("stroke-width")) for s in shapes
    }
    assert strokes["India"] == strokes["Japan"] == (maps.HIGHLIGHT_STROKE, str(maps.HIGHLIGHT_WIDTH))
    assert strokes["China"] == (maps.OUTLINE, str(maps.STROKE_WIDTH))


def test_a_map_with_one_year_column_still_joins_its_values() -> None:
    spec = charts.choropleth(
        MAP.assign(year=2024), iso3="iso3", value="share", unit="share", title="T", **PROVENANCE
    )
    labels = {s.get("aria-label") for s in marks(charts.render_svg(spec), "geoshape")}
    assert "China: 69.2% (2024)" in labels


def test_a_map_over_years_shows_the_latest_and_names_given_labels() -> None:
    frame = pd.DataFrame(
        {
            "iso3": ["CHN", "CHN", "AUS"],
            "share": [0.6, 0.7, 0.1],
            "year": [2023, 2024, 2024],
            "name": ["PRC", "PRC", "Oz"],
        }
    )
    spec = charts.choropleth(
        frame, iso3="iso3", value="share", unit="share", title="T", label="name", **PROVENANCE
    )
    assert spec["usermeta"]["critmin"]["years"] == [2023, 2024]
    labels = {s.get("aria-label") for s in marks(charts.render_svg(spec), "geoshape")}
    assert {"PRC: 70% (2024)", "Oz: 10% (2024)"} <= labels and "PRC: 60% (2023)" not in labels


def test_unmapped_codes_are_reported_and_left_out() -> None:
    values = pd.concat([MAP, pd.DataFrame({"iso3": ["WLD", "ZZZ"], "share": [1.0, 0.03]})], ignore_index=True)
    assert charts.unmapped(values["iso3"]) == ["WLD", "ZZZ"]
    assert charts.unmapped(MAP["iso3"]) == []
    svg = charts.render_svg(
        charts.choropleth(values, iso3="iso3", value="share", unit="share", title="T", **PROVENANCE)
    )
    labels = [s.get("aria-label", "") for s in marks(svg, "geoshape")]
    assert len(labels) == len(maps.outlines()) + len(MAP) and not any(
        label.startswith(("WLD", "ZZZ")) for label in labels
    )


# -- the bundled outlines, and the scripts that built them --------------------------------------------


def test_the_outlines_have_the_countries_and_their_provenance() -> None:
    path = reference_path(maps.OUTLINES_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    codes = [f["id"] for f in data["features"]]
    assert len(codes) == len(set(codes)) >= 170
    for code in ("CHN", "IND", "JPN", "AUS", "FRA", "NOR", "USA", "COD", "XKX"):
        assert code in codes, code
    assert "ATA" not in codes and all(re.fullmatch(r"[A-Z]{3}", c) for c in codes)
    assert data["licence"].startswith("public domain") and data["projection"] == "Equal Earth"
    assert all(f["properties"]["name"] for f in data["features"])
    assert (path.parent / "world_110m.md").exists()


def test_the_geojson_is_what_its_script_builds_from_the_projected_outlines() -> None:
    script = _script("build_world_geojson")
    world = json.loads(reference_path("world_110m.json").read_text(encoding="utf-8"))
    assert script.build(world)["features"] == list(maps.outlines())


def _inside(point: tuple[float, float], feature: dict[str, Any]) -> bool:
    """Even-odd point-in-polygon over every ring of a GeoJSON MultiPolygon."""
    px, py = point
    hit = False
    for polygon in feature["geometry"]["coordinates"]:
        for ring in polygon:
            for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
                if (y0 > py) != (y1 > py) and px < x0 + (py - y0) * (x1 - x0) / (y1 - y0):
                    hit = not hit
    return hit


@pytest.mark.parametrize(
    ("code", "lon", "lat"),
    [
        ("FRA", 2.35, 48.85),  # Paris
        ("NOR", 9.5, 61.5),
        ("CHN", 116.4, 39.9),  # Beijing
        ("IND", 77.2, 28.6),  # Delhi
        ("JPN", 138.2, 36.6),  # Nagano
        ("AUS", 135.0, -25.0),
        ("USA", -98.0, 39.0),
        ("COD", 25.2, 0.5),  # Kisangani
    ],
)
def test_outlines_contain_a_known_inland_point(code: str, lon: float, lat: float) -> None:
    features = {f["id"]: f for f in maps.outlines()}
    point = _script("build_world_map").to_view(lon, lat)
    assert _inside(point, features[code])
    assert not any(_inside(point, features[o]) for o in ("FRA", "CHN", "AUS", "USA") if o != code)


def test_equal_earth_centre_symmetry_and_aspect() -> None:
    script = _script("build_world_map")
    assert script.equal_earth(0.0, 0.0) == (0.0, 0.0)
    assert script.to_view(0.0, 0.0) == pytest.approx((500.0, 0.0))
    for lon, lat in [(30.0, 10.0), (120.0, -45.0), (179.0, 80.0)]:
        x, y = script.equal_earth(lon, lat)
        assert script.equal_earth(-lon, lat) == pytest.approx((-x, y))
        assert script.equal_earth(lon, -lat) == pytest.approx((x, -y))
        assert x > 0 and (y > 0) == (lat > 0)
    # width-to-height ratio of the whole map, as published (Šavrič, Patterson & Jenny 2018)
    ratio = script.equal_earth(180.0, 0.0)[0] / script.equal_earth(0.0, 90.0)[1]
    assert ratio == pytest.approx(2.05458, abs=1e-5)
    assert script.to_view(-180.0, 0.0)[0] == pytest.approx(0.0, abs=1e-9)
    assert script.to_view(180.0, 0.0)[0] == pytest.approx(1000.0)


@pytest.mark.parametrize(
    ("lon0", "lon1", "lat0", "lat1"), [(-180, 180, -90, 90), (0, 10, 0, 10), (40, 70, 50, 85)]
)
def test_equal_earth_is_equal_area(lon0: float, lon1: float, lat0: float, lat1: float) -> None:
    script, steps = _script("build_world_map"), 400
    edge = [(lon0 + (lon1 - lon0) * i / steps, lat0) for i in range(steps)]
    edge += [(lon1, lat0 + (lat1 - lat0) * i / steps) for i in range(steps)]
    edge += [(lon1 - (lon1 - lon0) * i / steps, lat1) for i in range(steps)]
    edge += [(lon0, lat1 - (lat1 - lat0) * i / steps) for i in range(steps)]
    pts = [script.equal_earth(lon, lat) for lon, lat in edge]
    area = abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True))) / 2
    sphere = math.radians(lon1 - lon0) * (math.sin(math.radians(lat1)) - math.sin(math.radians(lat0)))
    assert area == pytest.approx(sphere, rel=1e-4)


def test_shapefile_reader_on_a_hand_made_file() -> None:
    script = _script("build_world_map")

    def record(number: int, content: bytes) -> bytes:
        return struct.pack(">ii", number, len(content) // 2) + content

    square = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0), (0.0, 0.0)]
    hole = [(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8), (0.2, 0.2)]
    points = square + hole
    polygon = struct.pack("<i4dii", 5, 0, 0, 1, 1, 2, len(points)) + struct.pack("<2i", 0, len(square))
    polygon += struct.pack(f"<{2 * len(points)}d", *[c for p in points for c in p])
    body = record(1, polygon) + record(2, struct.pack("<i", 0))
    header = struct.pack(">i20xi", 9994, (100 + len(body)) // 2) + struct.pack(
        "<ii4d32x", 1000, 5, 0, 0, 1, 1
    )
    assert script.read_shp(header + body) == [[square, hole], []]

    fields = [("name", 10), ("iso_a3", 3)]
    head_len = 32 + 32 * len(fields) + 1
    rec_len = 1 + sum(n for _, n in fields)
    dbf = struct.pack("<B3xIHH20x", 3, 2, head_len, rec_len)
    for name, length in fields:
        dbf += name.encode().ljust(11, b"\x00") + b"C" + b"\x00" * 4 + bytes([length, 0]) + b"\x00" * 14
    dbf += b"\x0d" + b" " + "Côte".encode("latin-1").ljust(10) + b"CIV" + b"*" + b"Gone".ljust(10) + b"-99"
    assert script.read_dbf(dbf) == [{"name": "Côte", "iso_a3": "CIV"}]


# -- real data ------------------------------------------------------------------------------------------


def test_rare_earth_production_map_on_bundled_data(bundled: critmin.Critmin) -> None:
    frame = bundled.production(commodity="rare_earths").dropna(subset=["value"])
    latest = frame[frame["year"] == frame["year"].max()]
    totals = latest.groupby("country")["value"].sum()
    shares = (totals / totals.sum()).rename("share").reset_index()
    assert len(shares) >= 5 and shares.sort_values("share").iloc[-1]["country"] == "CHN"
    spec = charts.choropleth(
        shares,
        iso3="country",
        value="share",
        unit="share",
        title="Rare earths",
        highlight=["IND", "JPN"],
        **PROVENANCE,
    )
    svg = charts.render_svg(spec, ident="rare")
    check_svg(svg, spec)
    drawn = [c for c in shares["country"] if c in maps.names()]
    assert set(drawn) | set(charts.unmapped(shares["country"])) == set(shares["country"])
    filled = [s for s in marks(svg, "geoshape") if s.get("fill") != maps.NO_DATA]
    assert len(filled) == len(drawn)
    darkest = min(filled, key=lambda s: luminance(s.get("fill", "")))
    china = float(shares.set_index("country").loc["CHN", "share"])
    assert darkest.get("aria-label") == f"China: {charts.format_value(china, 'share')}"


def test_japans_import_sources_on_bundled_data(bundled: critmin.Critmin) -> None:
    goods = ["rare_earths", "cobalt", "lithium"]
    trade = bundled.trade(2024, importer="JPN", commodity=goods)
    shares = import_shares(trade, bundled.hs_codes(), aggregates=bundled.places(), world=False)
    shares = shares[shares["share"] > 0].assign(row=lambda f: f["commodity"] + " (" + f["stage"] + ")")
    assert set(shares["year"]) == {2024}  # one year: no selector, but each label names it
    spec = charts.stacked_shares(
        shares,
        category="row",
        part="exporter",
        share="share",
        title="Japan's import sources, 2024",
        overall=True,
        **PROVENANCE,
    )
    svg = charts.render_svg(spec)
    check_svg(svg, spec)
    rare = shares[shares["commodity"] == "rare_earths"].sort_values("share", ascending=False)
    assert rare.iloc[0]["exporter"] == "CHN"  # China is Japan's main rare-earth supplier in BACI 2024
    key = rare.iloc[0]["row"]
    china = float(rare.iloc[0]["share"]) / float(rare["share"].sum())
    segments = [s for s in marks(svg, "bar") if s.get("aria-label", "").startswith(f"{key}, ")]
    widest = max(segments, key=lambda s: float(re.search(r"h(-?[\d.]+)", s.get("d", "")).group(1)))  # type: ignore[union-attr]
    assert widest.get("aria-label") == f"{key}, CHN: {charts.format_value(china, 'share')} (2024)"
    colours = spec["encoding"]["color"]["scale"]["domain"]
    assert "CHN" in colours and len(colours) <= 7
