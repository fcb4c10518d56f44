"""Sea routes on the world map: each flow's route as a line, the chokepoints as marked points.

The bundled outlines are projected with Equal Earth into a frame 1000 units wide (x = 0 at 180° W,
y down, equator at y = 0: ``docs`` of ``world_110m.json``); :func:`to_view` projects the routes' and
chokepoints' longitudes and latitudes the same way, so the layers share the ``identity`` projection.
A route that crosses the antimeridian is cut there (a ``MultiLineString``), not drawn across the map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from critmin.charts import base
from critmin.charts.format import format_value
from critmin.charts.maps import MAP_HEIGHT, MAP_WIDTH, NO_DATA, OUTLINE, WORLD, outlines

# Equal Earth (Šavrič, Patterson & Jenny 2018, eq. 2), as scripts/build_world_map.py projects.
A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3.0) / 2.0
X_MAX = 2.0 * math.sqrt(3.0) * math.pi / (3.0 * A1)
SCALE = 1000.0 / (2.0 * X_MAX)
JUMP = 500.0
"""A step wider than this (half the map) crosses the antimeridian: the line is cut there."""
ROUTE = "#0072B2"
PASSING = "#D55E00"
GATES = "gates"
SHAPES = "route_shapes"
"""The routes' projected geometries, looked up by ``route``: the rows (exported as CSV) stay flat."""


def to_view(lon: float, lat: float) -> tuple[float, float]:
    """A point in the outlines' frame: x in [0, 1000] west to east, y down, equator at y = 0."""
    lam = math.radians(lon)
    theta = math.asin(M * math.sin(math.radians(lat)))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return round((x + X_MAX) * SCALE, 2), round(-y * SCALE, 2)


def geometry(path: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """A route (lon, lat points) as a projected GeoJSON ``MultiLineString``, cut at the antimeridian."""
    pieces: list[list[list[float]]] = [[]]
    previous: tuple[float, float] | None = None
    for lon, lat in path:
        point = to_view(lon, lat)
        if previous is not None and abs(point[0] - previous[0]) > JUMP:
            pieces.append([])
        pieces[-1].append([point[0], point[1]])
        previous = point
    return {"type": "MultiLineString", "coordinates": [p for p in pieces if len(p) > 1]}


def route_map(
    flows: pd.DataFrame,
    *,
    value: str,
    unit: str,
    title: str,
    source: str,
    vintage: str,
    gates: Sequence[tuple[str, float, float]],
    marked: str | None = None,
) -> dict[str, Any]:
    """A world map of sea routes, one line per flow, its width by ``value``.

    Parameters
    ----------
    flows
        One row per flow: ``path`` (a sequence of (lon, lat) points), ``label`` (what the tooltip
        names, e.g. "China to India"), ``chokepoints`` (the names passed, text) and ``value``.
    value, unit
        The column sizing the lines and its unit.
    title, source, vintage
        Title, and the source and vintage for the caption and tooltips.
    gates
        The chokepoints to mark: (name, lon, lat).
    marked
        A chokepoint name: routes passing it are drawn in the highlight colour.
    """
    if flows.empty:
        raise ValueError("flows: no routes to draw")
    rows: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    for row in flows.to_dict("records"):
        shape = geometry(row["path"])
        if not shape["coordinates"]:
            continue
        passes = marked is not None and marked in str(row.get("chokepoints") or "")
        shapes.append({"route": str(row["label"]), "type": "Feature", "geometry": shape, "properties": {}})
        rows.append(
            {
                "route": str(row["label"]),
                "via": str(row.get("chokepoints") or "") or "no chokepoint",
                "passes": "passes " + marked if passes and marked else "other routes",
                value: base.json_value(row[value]),
                "value_text": format_value(row[value], unit),
                "unit": unit,
                "source": source,
                "vintage": vintage,
                "label": f"{row['label']}: {format_value(row[value], unit)}",
            }
        )
    if not rows:
        raise ValueError("flows: no route has two points to draw")
    tips = [
        alt.Tooltip("route:N", title="flow"),
        alt.Tooltip("value_text:N", title="value"),
        alt.Tooltip("unit:N", title="unit"),
        alt.Tooltip("via:N", title="chokepoints"),
        alt.Tooltip("source:N", title="source"),
        alt.Tooltip("vintage:N", title="vintage"),
    ]
    world = alt.Chart(alt.NamedData(name=WORLD)).mark_geoshape(fill=NO_DATA, stroke=OUTLINE, strokeWidth=0.5)
    colour = alt.Color(
        "passes:N",
        scale=alt.Scale(domain=[f"passes {marked}", "other routes"], range=[PASSING, ROUTE])
        if marked
        else alt.Scale(range=[ROUTE]),
        legend=alt.Legend(title=None, orient="bottom") if marked else None,
    )
    # fill "none", not Vega-Lite's transparent default: a route answers the pointer on its stroke only,
    # not over the area its curve encloses (which would hide the routes beneath)
    lines = (
        alt.Chart(alt.NamedData(name=base.ROWS))
        .transform_lookup(
            lookup="route", from_=alt.LookupData(alt.NamedData(name=SHAPES), "route", ["type", "geometry"])
        )
        .mark_geoshape(filled=False, fill="none", strokeCap="round", opacity=0.8)
        .encode(
            stroke=colour,
            strokeWidth=alt.StrokeWidth(f"{value}:Q", scale=alt.Scale(range=[1.5, 6]), legend=None),
            tooltip=tips,
            description=alt.Description("label:N"),
        )
    )
    points = [
        {"name": name, "x": to_view(lon, lat)[0], "y": to_view(lon, lat)[1]} for name, lon, lat in gates
    ]
    markers = (
        alt.Chart(alt.NamedData(name=GATES))
        .mark_point(shape="diamond", filled=True, size=60, color="#111111")
        .encode(longitude="x:Q", latitude="y:Q", tooltip=[alt.Tooltip("name:N", title="chokepoint")])
    )
    chart = (
        alt.layer(world, lines, markers)
        .project(type="identity", reflectY=False)
        .properties(width=MAP_WIDTH, height=MAP_HEIGHT)
    )
    return base.finish(
        chart,
        rows,
        title=title,
        source=source,
        vintage=vintage,
        description=f"World map of sea routes: {title}",
        kind="route_map",
        datasets={WORLD: list(outlines()), GATES: points, SHAPES: shapes},
        filter_year=False,
    )
