"""World choropleth: bundled outlines, projection, SVG structure, classes, escaping, errors, real data."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

import critmin
from critmin.data import reference_path
from critmin.reports import worldmap
from critmin.reports.svgbase import format_value

REPO = Path(__file__).resolve().parents[1]
NS = {"s": "http://www.w3.org/2000/svg"}


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_world_map", REPO / "scripts" / "build_world_map.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


script = _load_script()


def _rings(d: str) -> list[list[tuple[float, float]]]:
    """Parse the path data the build script writes: ``M x y l dx dy ... z`` per ring."""
    rings = []
    for part in re.findall(r"M([^z]*)z", d):
        head, _, rest = part.partition("l")
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", head + " " + rest)]
        x, y = numbers[0], numbers[1]
        ring = [(x, y)]
        for dx, dy in zip(numbers[2::2], numbers[3::2], strict=True):
            x, y = x + dx, y + dy
            ring.append((x, y))
        rings.append(ring)
    return rings


def _inside(point: tuple[float, float], rings: list[list[tuple[float, float]]]) -> bool:
    """Even-odd point-in-polygon over all rings."""
    px, py = point
    inside = False
    for ring in rings:
        for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y0 > py) != (y1 > py) and px < x0 + (py - y0) * (x1 - x0) / (y1 - y0):
                inside = not inside
    return inside


def _paths(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)
    return {p.get("data-iso3"): p for p in root.iter("{http://www.w3.org/2000/svg}path")}


def _luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


# --- bundled geometry --------------------------------------------------------------------------


def test_geometry_file_has_the_countries_and_provenance() -> None:
    path = reference_path("world_110m.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    countries = data["countries"]
    assert len(countries) >= 170
    for code in ("CHN", "IND", "JPN", "AUS", "FRA", "NOR", "USA", "COD", "XKX"):
        assert code in countries, code
    assert "ATA" not in countries and "-99" not in countries
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in countries)
    assert data["licence"].startswith("public domain")
    assert data["projection"] == "Equal Earth"
    assert data["viewbox"][0] == 0 and data["viewbox"][2] == 1000
    assert path.stat().st_size < 150_000
    assert (path.parent / "world_110m.md").exists()


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
    countries = worldmap.geometry()["countries"]
    point = script.to_view(lon, lat)
    assert _inside(point, _rings(countries[code]["d"]))
    others = [other for other in ("FRA", "CHN", "AUS", "USA") if other != code]
    assert not any(_inside(point, _rings(countries[other]["d"])) for other in others)


def test_outlines_lie_inside_the_viewbox() -> None:
    data = worldmap.geometry()
    x, y, w, h = data["viewbox"]
    for code, country in data["countries"].items():
        for ring in _rings(country["d"]):
            assert len(ring) >= 3, code
            assert all(
                x - 0.01 <= px <= x + w + 0.01 and y - 0.01 <= py <= y + h + 0.01 for px, py in ring
            ), code


# --- projection (the build script) -------------------------------------------------------------


def test_equal_earth_centre_and_symmetry() -> None:
    assert script.equal_earth(0.0, 0.0) == (0.0, 0.0)
    assert script.to_view(0.0, 0.0) == pytest.approx((500.0, 0.0))
    for lon, lat in [(30.0, 10.0), (120.0, -45.0), (179.0, 80.0)]:
        x, y = script.equal_earth(lon, lat)
        mx, my = script.equal_earth(-lon, lat)
        assert (mx, my) == pytest.approx((-x, y))
        assert script.equal_earth(lon, -lat) == pytest.approx((x, -y))
        assert x > 0 and (y > 0) == (lat > 0)
    # Width-to-height ratio of the whole map, as published (Šavrič, Patterson & Jenny 2018).
    assert script.equal_earth(180.0, 0.0)[0] / script.equal_earth(0.0, 90.0)[1] == pytest.approx(
        2.05458, abs=1e-5
    )
    assert script.to_view(-180.0, 0.0)[0] == pytest.approx(0.0, abs=1e-9)
    assert script.to_view(180.0, 0.0)[0] == pytest.approx(1000.0)


def _projected_area(lon0: float, lon1: float, lat0: float, lat1: float, steps: int = 400) -> float:
    """Shoelace area of a lon/lat cell's projected outline, edges sampled densely."""
    edge = [(lon0 + (lon1 - lon0) * i / steps, lat0) for i in range(steps)]
    edge += [(lon1, lat0 + (lat1 - lat0) * i / steps) for i in range(steps)]
    edge += [(lon1 - (lon1 - lon0) * i / steps, lat1) for i in range(steps)]
    edge += [(lon0, lat1 - (lat1 - lat0) * i / steps) for i in range(steps)]
    pts = [script.equal_earth(lon, lat) for lon, lat in edge]
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True))) / 2


@pytest.mark.parametrize(
    ("lon0", "lon1", "lat0", "lat1"), [(-180, 180, -90, 90), (0, 10, 0, 10), (40, 70, 50, 85)]
)
def test_equal_earth_is_equal_area(lon0: float, lon1: float, lat0: float, lat1: float) -> None:
    sphere = math.radians(lon1 - lon0) * (math.sin(math.radians(lat1)) - math.sin(math.radians(lat0)))
    assert _projected_area(lon0, lon1, lat0, lat1) == pytest.approx(sphere, rel=1e-4)


def test_shapefile_reader_on_a_hand_made_file() -> None:
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
    shapes = script.read_shp(header + body)
    assert shapes == [[square, hole], []]

    fields = [("name", 10), ("iso_a3", 3)]
    head_len = 32 + 32 * len(fields) + 1
    rec_len = 1 + sum(n for _, n in fields)
    dbf = struct.pack("<B3xIHH20x", 3, 2, head_len, rec_len)
    for name, length in fields:
        dbf += name.encode().ljust(11, b"\x00") + b"C" + b"\x00" * 4 + bytes([length, 0]) + b"\x00" * 14
    dbf += b"\x0d" + b" " + "Côte".encode("latin-1").ljust(10) + b"CIV" + b"*" + b"Gone".ljust(10) + b"-99"
    assert script.read_dbf(dbf) == [{"name": "Côte", "iso_a3": "CIV"}]


# --- the SVG -----------------------------------------------------------------------------------

VALUES = {"CHN": 69.2, "USA": 12.0, "AUS": 7.4, "MMR": 5.6, "IND": 0.7, "BRA": 0.5, "RUS": 0.6, "NGA": 0.4}


def _map(**kwargs: object) -> str:
    options: dict[str, object] = {"title": "Rare earths <mine> share", "unit": "%", "source": "USGS & co"}
    options.update(kwargs)
    values = options.pop("values", VALUES)
    return worldmap.choropleth(values, **options)  # type: ignore[arg-type]


def test_svg_parses_and_is_accessible_and_self_contained() -> None:
    svg = _map(width=640)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Rare earths <mine> share"
    assert root.get("width") == "640"
    inner = root.find("s:svg", NS)
    assert inner is not None
    assert [float(v) for v in inner.get("viewBox", "").split()] == worldmap.geometry()["viewbox"]
    assert "href" not in svg and "<script" not in svg and "http" not in svg.replace('xmlns="http', "")
    assert len(_paths(svg)) == len(worldmap.geometry()["countries"])
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert any("USGS & co" in t for t in texts)  # caption
    assert "no data" in texts  # legend


def test_fills_follow_values_and_no_data_is_grey() -> None:
    paths = _paths(_map())
    fills = {code: paths[code].get("fill") for code in VALUES}
    assert all(fill != worldmap.NO_DATA for fill in fills.values())
    assert paths["FRA"].get("fill") == worldmap.NO_DATA
    darkest = min(_luminance(f) for f in fills.values() if f)
    assert _luminance(fills["CHN"] or "") == darkest
    ordered = sorted(VALUES, key=VALUES.__getitem__)
    lum = [_luminance(fills[c] or "") for c in ordered]
    assert all(b <= a for a, b in itertools.pairwise(lum))  # never lighter as values grow
    assert len(set(fills.values())) >= 5


def test_explicit_bins_set_the_classes() -> None:
    svg = _map(bins=[0, 1, 10, 100])
    root = ET.fromstring(svg)
    swatches = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("class") == "swatch"]
    assert len(swatches) == 4  # three classes and no data
    paths = _paths(svg)
    assert paths["IND"].get("fill") == paths["NGA"].get("fill") != paths["AUS"].get("fill")
    with pytest.raises(ValueError, match="CHN"):
        _map(bins=[0, 10, 50])
    with pytest.raises(ValueError, match="increasing"):
        _map(bins=[0, 10, 10, 100])


def test_highlight_outlines_partners() -> None:
    root = ET.fromstring(_map(highlight=["IND", "JPN"]))
    groups = {g.get("class"): g for g in root.iter("{http://www.w3.org/2000/svg}g")}
    marked = {p.get("data-iso3") for p in groups["highlight"].iter("{http://www.w3.org/2000/svg}path")}
    assert marked == {"IND", "JPN"}
    assert groups["highlight"].get("stroke") == worldmap.HIGHLIGHT_STROKE
    assert float(groups["highlight"].get("stroke-width", 0)) > 2 * float(
        groups["countries"].get("stroke-width", 0)
    )
    plain = {p.get("data-iso3") for p in groups["countries"].iter("{http://www.w3.org/2000/svg}path")}
    assert "IND" not in plain and "CHN" in plain


def test_titles_are_escaped_and_use_labels() -> None:
    paths = _paths(_map(labels={"CHN": 'a <&> "b"'}))
    assert paths["CHN"].findtext("s:title", namespaces=NS) == 'China: a <&> "b" (USGS & co)'
    assert paths["USA"].findtext("s:title", namespaces=NS) == "United States of America: 12% (USGS & co)"
    assert paths["FRA"].findtext("s:title", namespaces=NS) == "France: no data (USGS & co)"


def test_unmapped_codes_are_reported_and_left_out() -> None:
    values = {**VALUES, "ZZZ": 3.0, "WLD": 100.0}
    assert worldmap.unmapped(values) == ["WLD", "ZZZ"]
    assert worldmap.unmapped(VALUES) == []
    paths = _paths(_map(values=values))
    assert "ZZZ" not in paths and "WLD" not in paths


@pytest.mark.parametrize(
    ("values", "field"),
    [({"CHN": math.nan}, "CHN"), ({"USA": math.inf}, "USA"), ({"chn": 1.0}, "chn"), ({"CH": 1.0}, "CH")],
)
def test_bad_values_name_the_key(values: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(field))):
        _map(values=values)
    with pytest.raises(ValueError, match=re.escape(repr(field))):
        worldmap.unmapped(values)


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="highlight"):
        _map(highlight=["india"])
    with pytest.raises(ValueError, match="title"):
        _map(title="")
    with pytest.raises(ValueError, match="source"):
        _map(source=" ")


def test_rare_earth_shares_from_bundled_data(bundled: critmin.Critmin) -> None:
    frame = bundled.production(commodity="rare_earths").dropna(subset=["value"])
    latest = frame[frame["year"] == frame["year"].max()]
    totals = latest.groupby("country")["value"].sum()
    shares = (100 * totals / totals.sum()).to_dict()
    assert len(shares) >= 5
    svg = worldmap.choropleth(
        shares,
        title="Rare-earth mine production",
        unit="%",
        source="USGS MCS",
        highlight=["IND", "JPN"],
    )
    paths = _paths(svg)
    mapped = [c for c in shares if c in paths]
    assert set(mapped) | set(worldmap.unmapped(shares)) == set(shares)
    darkest = min(_luminance(paths[c].get("fill") or "") for c in mapped)
    assert _luminance(paths["CHN"].get("fill") or "") == darkest
    assert max(shares, key=shares.__getitem__) == "CHN"
    expected = f"China: {format_value(shares['CHN'], '%')} (USGS MCS)"
    assert paths["CHN"].findtext("s:title", namespaces=NS) == expected
