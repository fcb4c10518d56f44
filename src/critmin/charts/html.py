"""A chart's HTML container for the dashboard: the spec as inert JSON, the view, the caption.

``static/charts.js`` finds each ``figure.vl-chart``, reads its ``script.vl-spec`` and embeds the
chart in its ``div.vl-view``; without scripts the figure still shows its caption.
"""

from __future__ import annotations

import json
import re
from typing import Any

from markupsafe import Markup, escape

IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def spec_json(spec: dict[str, Any]) -> str:
    r"""The spec as JSON safe in a ``<script>`` element: ``<``, ``>``, ``&`` as JSON ``\\u`` escapes."""
    text = json.dumps(spec, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _ESCAPES[m.group(0)], text)


def chart_block(spec: dict[str, Any], ident: str) -> Markup:
    """The ``<figure class="vl-chart">`` that ``static/charts.js`` turns into a live chart.

    Parameters
    ----------
    spec
        A Vega-Lite spec from :mod:`critmin.charts`.
    ident
        The figure's HTML id (a letter, then letters, digits, ``-`` or ``_``), unique on the page.

    Returns
    -------
    markupsafe.Markup
        The figure; its caption repeats the chart's description (source and vintage included).
    """
    if not IDENT.fullmatch(ident):
        raise ValueError(f"ident: {ident!r} is not a valid HTML id (a letter, then letters, digits, - or _)")
    description = escape(str(spec.get("description", "")))
    return Markup(
        f'<figure class="vl-chart" id="{ident}">'
        f'<script type="application/json" class="vl-spec">{spec_json(spec)}</script>'
        f'<div class="vl-view" role="img" aria-label="{description}"></div>'
        f"<figcaption>{description}</figcaption></figure>"
    )
