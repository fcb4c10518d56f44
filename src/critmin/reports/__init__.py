"""Rendering of briefs: HTML with inline SVG charts and maps, and PDF.

Layering rule: the renderers (the ``html`` package and ``pdf``) are pure functions on values and
frames; they draw charts and maps only through :mod:`critmin.charts` (Vega-Lite specs rendered to
static SVG by :func:`critmin.charts.render_svg`). Only ``brief`` reads, and it reads through
:mod:`critmin.derisking` and the public API, never the store, SQL, the importers or the CLI.
"""
