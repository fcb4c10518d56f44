"""World choropleth: Vega-Lite ``geoshape`` on the bundled Natural Earth 1:110m outlines.

The outlines (``critmin/data/reference/world_110m.geo.json``, built by
``scripts/build_world_geojson.py``) are already projected with Equal Earth, x east and y down, so the
map uses the ``identity`` projection. Every country is drawn; a lookup by ISO3 (and year, with the
year selector) joins the values, and countries with no value stay grey.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from functools import cache
from typing import Any, Final

import altair as alt
import pandas as pd

from critmin.charts import base
from critmin.charts.format import axis_format
from critmin.data import reference_path

OUTLINES_FILE = "world_110m.geo.json"
WORLD = "world"
"""Name of the outlines' dataset in the spec."""
NO_DATA = "#e5e5e5"
OUTLINE = "#ffffff"
HIGHLIGHT_STROKE = "#111111"
STROKE_WIDTH = 0.5
HIGHLIGHT_WIDTH = 1.5
SCHEME: Final = "yellowgreenblue"
MAP_WIDTH = 620
MAP_HEIGHT = 280
ISO3 = re.compile(r"[A-Z]{3}")


@cache
def outlines() -> tuple[dict[str, Any], ...]:
    """The bundled country outlines: GeoJSON features with ``id`` (ISO3) and ``properties.name``."""
    with reference_path(OUTLINES_FILE).open(encoding="utf-8") as handle:
        return tuple(json.load(handle)["features"])


def names() -> dict[str, str]:
    """ISO3 -> the outline's country name."""
    return {f["id"]: f["properties"]["name"] for f in outlines()}


def unmapped(codes: Iterable[str]) -> list[str]:
    """The codes that have no outline on the map (too small for 1:110m, or not a country), sorted."""
    drawn = names()
    return sorted({str(c) for c in codes} - set(drawn))


def choropleth(
    frame: pd.DataFrame,
    *,
    iso3: str,
    value: str,
    unit: str,
    title: str,
    source: str,
    vintage: str,
    year: str | None = None,
    label: str | None = None,
    highlight: Collection[str] = (),
) -> dict[str, Any]:
    """A world map coloured by ``value`` per country (sequential colour-blind-safe scale).

    Parameters
    ----------
    frame
        One row per country (per year): columns ``iso3`` (ISO 3166-1 alpha-3) and ``value``; optional
        ``source``/``vintage`` columns give each row its own provenance.
    iso3, value
        Column names of the country codes and the numbers.
    unit
        Unit of the values (see :func:`~critmin.charts.format.format_value`).
    title, source, vintage
        Title, and the source and vintage for the caption and the tooltips.
    year
        Column holding the year (default ``"year"`` if present); several years give a selector.
    label
        Column with the country names to show (default: the outlines' names).
    highlight
        ISO3 codes outlined in black (the partners).

    Returns
    -------
    dict
        The Vega-Lite spec; ``datasets`` holds the rows and the outlines (``world``).
    """
    bad = sorted({str(c) for c in frame[iso3] if not ISO3.fullmatch(str(c))}) if iso3 in frame else []
    if bad:
        raise ValueError(f"{iso3}: not ISO 3166-1 alpha-3 codes: {bad[:10]} ({len(bad)} of {len(frame)})")
    year_col = base.year_column(frame, year)
    columns = [iso3, value, *([year_col] if year_col else []), *([label] if label else [])]
    rows = base.records(frame, columns)
    drawn = names()
    out = []
    for row in rows:
        code = str(row.pop(iso3))
        when = row.pop(year_col) if year_col else None
        name = str(row.pop(label)) if label and row.get(label) is not None else drawn.get(code, code)
        out.append({"iso3": code, "name": name, **row, **({base.YEAR: when} if year_col else {})})
    out = base.with_provenance(out, frame, value=value, unit=unit, source=source, vintage=vintage)
    several = len(base.years_of(out)) > 1
    out = [{**r, "key": _key(r, several)} for r in out]
    out = base.labelled(out, "name")
    if not out:
        raise ValueError("frame: no rows to draw")
    key = f"datum.id + '|' + {base.YEAR_PARAM}" if several else "datum.id"
    marked = sorted({str(h) for h in highlight})
    fields = ["iso3", "name", value, "value_text", "unit", "source", "vintage", "label", base.YEAR]
    tips = [
        alt.Tooltip("country:N", title="country"),
        alt.Tooltip("shown:N", title="value"),
        alt.Tooltip("unit:N", title="unit"),
        alt.Tooltip("source:N", title="source"),
        alt.Tooltip("vintage:N", title="vintage"),
    ]
    shape = {
        "stroke": _stroke(marked),
        "strokeWidth": _stroke_width(marked),
        "tooltip": tips,
        "description": alt.Description("label:N"),
    }
    blank = alt.Chart().mark_geoshape(fill=NO_DATA).encode(**shape)
    filled = (
        alt.Chart()
        .transform_filter(f"isValid(datum['{value}'])")
        .mark_geoshape()
        .encode(
            color=alt.Color(
                f"{value}:Q", scale=alt.Scale(scheme=SCHEME, zero=True), legend=_legend(unit or value, unit)
            ),
            **shape,
        )
    )
    chart = (
        alt.layer(blank, filled, data=alt.NamedData(name=WORLD))
        .transform_calculate(key=key, country="datum.properties.name")
        .transform_lookup(lookup="key", from_=alt.LookupData(alt.NamedData(name=base.ROWS), "key", fields))
        .transform_calculate(
            shown="isValid(datum.value_text) ? datum.value_text : 'no data'",
            label="isValid(datum.label) ? datum.label : datum.country + ': no data'",
        )
        .project(type="identity", reflectY=False)
        .properties(width=MAP_WIDTH, height=MAP_HEIGHT)
    )
    return base.finish(
        chart,
        out,
        title=title,
        source=source,
        vintage=vintage,
        description=f"World map: {title}; countries without a value are grey",
        kind="choropleth",
        datasets={WORLD: list(outlines())},
        filter_year=False,
    )


def _legend(title: str, unit: str) -> alt.Legend:
    return alt.Legend(title=title, orient="bottom", format=axis_format(unit) or alt.Undefined)


def _key(row: dict[str, Any], several: bool) -> str:
    """The lookup key: ISO3 and year when the map has a year selector, else the ISO3 alone."""
    if several and row.get(base.YEAR) is not None:
        return f"{row['iso3']}|{row[base.YEAR]}"
    return str(row["iso3"])


def _stroke(marked: list[str]) -> Any:
    if not marked:
        return alt.value(OUTLINE)
    return alt.condition(
        alt.FieldOneOfPredicate(field="id", oneOf=marked), alt.value(HIGHLIGHT_STROKE), alt.value(OUTLINE)
    )


def _stroke_width(marked: list[str]) -> Any:
    if not marked:
        return alt.value(STROKE_WIDTH)
    return alt.condition(
        alt.FieldOneOfPredicate(field="id", oneOf=marked), alt.value(HIGHLIGHT_WIDTH), alt.value(STROKE_WIDTH)
    )
