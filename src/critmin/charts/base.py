"""What every chart shares: JSON-safe rows, tooltip fields, the year selector, title, caption, metadata.

A chart's rows carry, besides the plotted fields, ``value_text`` (the value formatted by
:func:`~critmin.charts.format.format_value`), ``unit``, ``source`` and ``vintage``, so tooltips, the
marks' ARIA descriptions and the CSV export all show them. The rows live in the spec's top-level
``datasets`` under :data:`ROWS`; the year selector is the param :data:`YEAR_PARAM` filtering on the
row field ``year``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from critmin.charts.format import axis_format, format_value

ROWS = "rows"
"""Name of the dataset holding the plotted rows (``spec["datasets"][ROWS]``)."""
YEAR = "year"
YEAR_PARAM = "year_shown"
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""Okabe–Ito colour-blind-safe palette."""
BAR = "#0072B2"
HIGHLIGHT = "#D55E00"
OTHER = "#BBBBBB"
WIDTH = 560
FONT = "system-ui, sans-serif"
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "title": {"anchor": "start", "fontSize": 14, "subtitleFontSize": 11, "subtitleColor": "#57606a"},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 260},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 260},
    "range": {"category": list(PALETTE)},
}


def json_value(value: Any) -> Any:
    """A cell as a JSON value: numpy scalars to Python, NaN/inf/NA to ``None``, dates to ISO text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()
    return str(value)


def records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """The ``columns`` of ``frame`` as JSON-safe dicts, in row order."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"frame: no column {missing} (columns: {list(frame.columns)})")
    return [
        {c: json_value(v) for c, v in zip(columns, row, strict=True)}
        for row in frame[list(columns)].itertuples(index=False, name=None)
    ]


def with_provenance(
    rows: list[dict[str, Any]], frame: pd.DataFrame, *, value: str, unit: str, source: str, vintage: str
) -> list[dict[str, Any]]:
    """``rows`` with ``value_text``, ``unit``, ``source`` and ``vintage`` added to each.

    A frame with its own ``source`` or ``vintage`` column keeps each row's own (a missing cell takes
    the chart's ``source`` or ``vintage``).
    """
    own = {c: list(frame[c]) for c in ("source", "vintage") if c in frame.columns}
    out = []
    for i, row in enumerate(rows):
        number = row[value]
        out.append(
            {
                **row,
                "value_text": format_value(number, unit),
                "unit": unit,
                "source": _text(own["source"][i]) if "source" in own else source,
                "vintage": _text(own["vintage"][i]) if "vintage" in own else vintage,
            }
        )
        out[-1]["source"] = out[-1]["source"] or source
        out[-1]["vintage"] = out[-1]["vintage"] or vintage
    return out


def labelled(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """``rows`` with ``label``: the key fields, then the formatted value (and year), for ARIA text."""
    out = []
    for row in rows:
        what = ", ".join(str(row[k]) for k in keys if row.get(k) is not None)
        when = f" ({row[YEAR]})" if row.get(YEAR) is not None else ""
        out.append({**row, "label": f"{what}: {row['value_text']}{when}"})
    return out


def renamed(rows: list[dict[str, Any]], old: str, new: str) -> list[dict[str, Any]]:
    """``rows`` with field ``old`` renamed ``new`` (the old name gone, so it cannot start a selector)."""
    return [{(new if k == old else k): v for k, v in r.items()} for r in rows]


def _text(value: Any) -> str:
    cleaned = json_value(value)
    return "" if cleaned is None else str(cleaned)


def year_column(frame: pd.DataFrame, year: str | None) -> str | None:
    """The column holding the year: ``year`` if given (it must exist), else ``"year"`` if present."""
    if year is not None:
        if year not in frame.columns:
            raise ValueError(f"year: no column {year!r} in the frame (columns: {list(frame.columns)})")
        return year
    return YEAR if YEAR in frame.columns else None


def years_of(rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """The distinct years of the rows, ascending."""
    return sorted({int(r[YEAR]) for r in rows if r.get(YEAR) is not None})


def year_selector(years: Sequence[int]) -> alt.Parameter | None:
    """A select input over ``years`` defaulting to the latest; ``None`` for one year or none."""
    if len(years) < 2:
        return None
    return alt.param(
        name=YEAR_PARAM,
        value=max(years),
        bind=alt.binding_select(options=list(years), name="Year "),
    )


def tooltip(*fields: alt.Tooltip) -> list[alt.Tooltip]:
    """Tooltip fields followed by the formatted value, unit, source and vintage (and year)."""
    return [
        *fields,
        alt.Tooltip("value_text:N", title="value"),
        alt.Tooltip("unit:N", title="unit"),
        alt.Tooltip("source:N", title="source"),
        alt.Tooltip("vintage:N", title="vintage"),
    ]


def axis(unit: str, title: str | None) -> alt.Axis:
    """An axis for values in ``unit`` (percent labels for shares, Vega's default otherwise)."""
    return alt.Axis(title=title, format=axis_format(unit) or alt.Undefined)


def slug(text: str) -> str:
    """A short file-name-safe id from a title."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return words[:60].rstrip("-") or "chart"


def caption(source: str, vintage: str) -> str:
    """The source line under a chart's title."""
    return f"Source: {source}" + (f" ({vintage})" if vintage and vintage not in source else "")


def finish(
    chart: alt.Chart | alt.LayerChart | alt.FacetChart,
    rows: list[dict[str, Any]],
    *,
    title: str,
    source: str,
    vintage: str,
    description: str,
    kind: str,
    datasets: Mapping[str, Any] | None = None,
    filter_year: bool = True,
) -> dict[str, Any]:
    """The chart as a validated Vega-Lite dict with its rows, title, caption, description, usermeta.

    Parameters
    ----------
    chart
        The Altair chart drawing :func:`source_data`.
    rows
        The plotted rows (JSON-safe), stored as ``datasets[ROWS]``.
    title, source, vintage
        Title, and the source and vintage for the caption.
    description
        What the chart shows, for screen readers (the caption is appended).
    kind
        The builder's name, kept in ``usermeta``.
    datasets
        Other named datasets the chart reads (the map's outlines).
    filter_year
        With more than one year in ``rows``: add the selector's filter on the rows (``False`` when the
        chart uses the selector otherwise, as the map's lookup does).

    Returns
    -------
    dict
        The Vega-Lite spec, validated against the schema by Altair (the datasets, free-form in the
        schema, are added after validation, so a large map's outlines are not walked).
    """
    for name, text in (("title", title), ("source", source)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{name}: must be a non-empty string, got {text!r}")
    years = years_of(rows)
    selector = year_selector(years)
    ident = slug(title)
    described = f"{description}. {caption(source, vintage)}."
    if selector is not None:
        chart = chart.add_params(selector)
        if filter_year:
            chart = chart.transform_filter(year_filter())
    spec: dict[str, Any] = chart.properties(
        title=alt.Title(title, subtitle=caption(source, vintage)),
        description=described,
        usermeta={
            "critmin": {
                "id": ident,
                "file": ident,
                "kind": kind,
                "rows": ROWS,
                "year_param": selector.name if selector is not None else None,
                "year_field": YEAR if selector is not None else None,
                "years": years,
            }
        },
        config=CONFIG,
    ).to_dict()
    spec["datasets"] = {ROWS: rows, **(datasets or {})}
    return spec


def year_filter() -> str:
    """The filter expression of the year selector (used only when the selector exists)."""
    return f"datum.{YEAR} == {YEAR_PARAM}"


def source_data() -> alt.NamedData:
    """The chart's data: the named rows dataset."""
    return alt.NamedData(name=ROWS)
