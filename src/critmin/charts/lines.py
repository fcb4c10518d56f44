"""Line charts: curves over any x (a sourcing frontier) and series over the years."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from critmin.charts import base
from critmin.charts.format import format_value

POINT_SIZE = 70


def lines(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    series: str,
    x_title: str,
    y_title: str,
    unit: str,
    title: str,
    source: str,
    vintage: str,
    points: pd.DataFrame | None = None,
    x_unit: str | None = None,
) -> dict[str, Any]:
    """One line per series over a numeric x, with optional labelled points (the current mix).

    Parameters
    ----------
    frame
        One row per point of each line: columns ``x``, ``y``, ``series`` (optional ``year`` for a year
        selector, ``source``/``vintage`` for each row's own provenance).
    x, y, series
        Column names.
    x_title, y_title
        Axis titles.
    unit
        Unit of ``y`` (the tooltip's value); ``x_unit`` that of ``x`` (default: the same).
    title, source, vintage
        Title, and the source and vintage for the caption and the tooltips.
    points
        Marked points drawn over the lines: columns ``x``, ``y`` and ``label``
        (their legend text; without it, the ``series`` column).

    Returns
    -------
    dict
        The Vega-Lite spec.
    """
    xu = unit if x_unit is None else x_unit
    year_col = base.year_column(frame, None)
    marks = frame.assign(**{series: frame[series].astype(str)})
    rows = _rows(marks, x, y, series, year_col, unit=unit, xu=xu, source=source, vintage=vintage)
    if points is not None and not points.empty:
        extra = points.copy()
        extra[series] = (points["label"] if "label" in points.columns else points[series]).astype(str)
        extra["_point"] = True
        rows += _rows(extra, x, y, series, None, unit=unit, xu=xu, source=source, vintage=vintage)
    if not rows:
        raise ValueError("frame: no rows to draw")
    tips = base.tooltip(alt.Tooltip(f"{series}:N", title="series"), alt.Tooltip("x_text:N", title=x_title))
    encode: dict[str, Any] = {
        "x": alt.X(f"{x}:Q", axis=base.axis(xu, x_title)),
        "y": alt.Y(f"{y}:Q", axis=base.axis(unit, y_title)),
        "color": alt.Color(f"{series}:N", legend=alt.Legend(title=None, orient="bottom")),
        "tooltip": tips,
        "description": alt.Description("label:N"),
    }
    curve = (
        alt.Chart()
        .transform_filter("!datum._point")
        .mark_line(point=alt.OverlayMarkDef(size=30))
        .encode(**encode, order=alt.Order(f"{x}:Q"))
    )
    layers: list[alt.Chart] = [curve]
    if points is not None and not points.empty:
        layers.append(
            alt.Chart()
            .transform_filter("datum._point")
            .mark_point(filled=True, size=POINT_SIZE, shape="diamond")
            .encode(**encode)
        )
    chart = alt.layer(*layers, data=base.source_data()).properties(width=base.WIDTH, height=300)
    return base.finish(
        chart,
        rows,
        title=title,
        source=source,
        vintage=vintage,
        description=f"Line chart: {title}, {y_title} against {x_title}",
        kind="lines",
    )


def _rows(
    frame: pd.DataFrame,
    x: str,
    y: str,
    series: str,
    year_col: str | None,
    *,
    unit: str,
    xu: str,
    source: str,
    vintage: str,
) -> list[dict[str, Any]]:
    columns = [series, x, y, *([year_col] if year_col else [])]
    rows = base.records(frame, columns)
    flag = list(frame["_point"]) if "_point" in frame.columns else [False] * len(rows)
    rows = [
        {**r, "_point": bool(p), "x_text": format_value(r[x], xu)} for r, p in zip(rows, flag, strict=True)
    ]
    if year_col and year_col != base.YEAR:
        rows = base.renamed(rows, year_col, base.YEAR)
    rows = base.with_provenance(rows, frame, value=y, unit=unit, source=source, vintage=vintage)
    return base.labelled(rows, series, "x_text")


def timeseries(
    frame: pd.DataFrame,
    *,
    y: str,
    series: str,
    unit: str,
    title: str,
    source: str,
    vintage: str,
    year: str = base.YEAR,
) -> dict[str, Any]:
    """One line per series over the years; clicking a legend entry brings that series forward.

    Parameters
    ----------
    frame
        One row per series and year: columns ``year``, ``y``, ``series`` (e.g. ``"HHI, mine,
        MCS 2024"``); optional ``source``/``vintage`` columns give each row its own provenance.
    y, series
        Column names of the numbers and the line labels (the legend).
    unit, title, source, vintage
        As for :func:`lines`.
    year
        Column holding the year (the x axis; no year selector: every year is shown).

    Returns
    -------
    dict
        The Vega-Lite spec.
    """
    if year not in frame.columns:
        raise ValueError(f"year: no column {year!r} in the frame (columns: {list(frame.columns)})")
    rows = base.records(frame.assign(**{series: frame[series].astype(str)}), [series, year, y])
    rows = base.renamed(rows, year, "t")
    rows = base.with_provenance(rows, frame, value=y, unit=unit, source=source, vintage=vintage)
    rows = [{**r, "label": f"{r[series]}, {r['t']}: {r['value_text']}"} for r in rows]
    if not rows:
        raise ValueError("frame: no rows to draw")
    pick = alt.selection_point(name="series_pick", fields=[series], bind="legend")
    chart = (
        alt.Chart(base.source_data())
        .mark_line(point=True)
        .encode(
            x=alt.X("t:O", title="year"),
            y=alt.Y(f"{y}:Q", axis=base.axis(unit, y)),
            color=alt.Color(f"{series}:N", legend=alt.Legend(title=None, orient="bottom", columns=2)),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.15)),
            tooltip=base.tooltip(
                alt.Tooltip(f"{series}:N", title="series"), alt.Tooltip("t:O", title="year")
            ),
            description=alt.Description("label:N"),
        )
        .add_params(pick)
        .properties(width=base.WIDTH, height=280)
    )
    return base.finish(
        chart,
        rows,
        title=title,
        source=source,
        vintage=vintage,
        description=f"Time series: {title}, {y} by year for each {series}",
        kind="timeseries",
    )
