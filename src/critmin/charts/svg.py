"""Static SVG of a spec, for the brief: rendered by vl-convert (no browser), labelled for screen readers."""

from __future__ import annotations

import html
import re
from typing import Any

import altair as alt
import vl_convert

VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
"""The Vega-Lite version Altair writes (``6.4``), which vl-convert renders."""
ROOT = re.compile(r"<svg\b([^>]*)>")


def render_svg(spec: dict[str, Any]) -> str:
    """The chart as one ``<svg>`` element: the default view (the latest year), no scripts or links.

    The root gets ``role="img"``, an ``aria-label`` (the spec's ``description``) and a ``<title>``
    (the spec's title), so screen readers name the chart; each mark keeps Vega's own ARIA label.

    Parameters
    ----------
    spec
        A Vega-Lite spec from one of the builders.

    Returns
    -------
    str
        The SVG markup.
    """
    drawn = vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION)
    label = html.escape(str(spec.get("description") or _title(spec)), quote=True)
    title = html.escape(_title(spec))
    match = ROOT.search(drawn)
    if match is None:
        raise ValueError("vl-convert returned no <svg> element")
    head = f'<svg{match.group(1)} role="img" aria-label="{label}"><title>{title}</title>'
    return drawn[: match.start()] + head + drawn[match.end() :]


def _title(spec: dict[str, Any]) -> str:
    title = spec.get("title", "chart")
    return str(title.get("text", "chart")) if isinstance(title, dict) else str(title)
