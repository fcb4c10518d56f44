"""Rendering of briefs: inline SVG charts and maps, HTML, PDF.

Layering rule: the renderers (``charts``, ``svgbase``, ``worldmap``, ``html``) are pure functions
on values and frames; only ``brief`` reads, and it reads through :mod:`critmin.derisking` and the
public API, never the store, SQL, the importers or the CLI.
"""
