"""Charts as Vega-Lite specifications, built with Altair: one spec for the dashboard and the brief.

Each builder (:func:`bar`, :func:`grouped_bars`, :func:`stacked_shares`, :func:`lines`,
:func:`timeseries`, :func:`choropleth`) takes a frame and returns a JSON-serialisable Vega-Lite spec
(a ``dict``) with its data inline, tooltips giving each mark's value, unit, source and vintage, a
year selector when the data holds more than one year, a title, a source caption, an accessible
description and ``usermeta`` naming the chart for exports. The dashboard embeds a spec with
:func:`critmin.charts.html.chart_block` and ``static/charts.js``; the brief draws the same spec as
static SVG with :func:`render_svg`. :func:`critmin.charts.assets.vega_bundle` is the JavaScript
(Vega, Vega-Lite, Vega-Embed) the app serves.

Layering rule: the chart builders are pure: values and frames in, spec dicts and strings out. They
never import the store, the API, the studies (``derisking``, ``scenarios``), ingest or the CLI.
"""

from __future__ import annotations

from critmin.charts.bars import bar, grouped_bars, stacked_shares
from critmin.charts.format import format_value
from critmin.charts.lines import lines, timeseries
from critmin.charts.maps import choropleth, unmapped
from critmin.charts.svg import render_svg

__all__ = [
    "bar",
    "choropleth",
    "format_value",
    "grouped_bars",
    "lines",
    "render_svg",
    "stacked_shares",
    "timeseries",
    "unmapped",
]
