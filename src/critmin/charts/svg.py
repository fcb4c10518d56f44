"""Static SVG of a spec, for the brief: rendered by vl-convert (no browser), labelled for screen readers."""

from __future__ import annotations

import html
import re
import textwrap
from typing import Any

import altair as alt
import vl_convert

VL_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
"""The Vega-Lite version Altair writes (``6.4``), which vl-convert renders."""
ROOT = re.compile(r"<svg\b([^>]*)>")
MARK = re.compile(r'<(path|rect|line|circle|polygon|polyline)\b([^>]*?\baria-label="([^"]*)"[^>]*?)/>')
"""A self-closing mark element with an ARIA label (Vega's label of one bar, point or country)."""
SUBTITLE_CHARS = 100
"""A longer subtitle (the source caption) is wrapped into lines of at most this many characters."""
IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^)"]+)')
_STEM = re.compile(r"_?\d+$")


def render_svg(spec: dict[str, Any], *, ident: str | None = None, hover: bool = True) -> str:
    """The chart as one ``<svg>`` element: the default view (the latest year), no scripts or links.

    The root gets ``role="img"``, an ``aria-label`` (the spec's ``description``) and a ``<title>``
    (the spec's title), so screen readers name the chart; each mark keeps Vega's own ARIA label. A
    long source caption (the subtitle) is wrapped onto several lines, since a static drawing has no
    tooltip to show what would be cut off.

    Parameters
    ----------
    spec
        A Vega-Lite spec from one of the builders.
    ident
        A prefix for the element ids inside the SVG (its gradients and clip paths, numbered from 1 in
        every drawing, see :func:`numbered_ids`): give each chart of one HTML page its own, so two
        inline SVGs never share an id.
    hover
        Give every mark that has an ARIA label (each bar, point, segment and country) a ``<title>``
        with that label, so a browser shows the mark's value on hover without any script.

    Returns
    -------
    str
        The SVG markup.
    """
    if ident is not None and not IDENT.fullmatch(ident):
        raise ValueError(f"ident: {ident!r} is not a valid id (a letter, then letters, digits, - or _)")
    drawn = vl_convert.vegalite_to_svg(wrapped(spec), vl_version=VL_VERSION)
    match = ROOT.search(drawn)
    if match is None:
        raise ValueError("vl-convert returned no <svg> element")
    label = html.escape(str(spec.get("description") or _title(spec)), quote=True)
    title = html.escape(_title(spec))
    head = f'<svg{match.group(1)} role="img" aria-label="{label}"><title>{title}</title>'
    body = drawn[match.end() :]
    if hover:
        body = MARK.sub(r"<\1\2><title>\3</title></\1>", body)
    body = numbered_ids(body, ident)
    return drawn[: match.start()] + head + body


def wrapped(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` (a shallow copy) with a subtitle longer than :data:`SUBTITLE_CHARS` split into lines."""
    title = spec.get("title")
    if not isinstance(title, dict):
        return spec
    subtitle = title.get("subtitle")
    if not isinstance(subtitle, str) or len(subtitle) <= SUBTITLE_CHARS:
        return spec
    lines = textwrap.wrap(subtitle, SUBTITLE_CHARS, break_long_words=False, break_on_hyphens=False)
    return {**spec, "title": {**title, "subtitle": lines}}


def numbered_ids(svg: str, prefix: str | None = None) -> str:
    """``svg`` with its ids renumbered in order of appearance (and prefixed), references to them too.

    Vega numbers gradients and clip paths with a counter that runs on across drawings, so the same
    spec would get other ids each time; renumbered, a drawing depends on its spec alone. ``gradient_7``
    becomes ``gradient-1`` (``{prefix}-gradient-1`` with a prefix), and ``url(#...)`` and ``href="#..."``
    follow.
    """
    names = list(dict.fromkeys(_ID.findall(svg)))
    if not names:
        return svg
    head = f"{prefix}-" if prefix else ""
    new = {name: f"{head}{_STEM.sub('', name) or 'id'}-{i}" for i, name in enumerate(names, 1)}
    svg = _ID.sub(lambda m: f'id="{new[m.group(1)]}"', svg)
    return _REF.sub(lambda m: m.group(1) + new.get(m.group(2), m.group(2)), svg)


def _title(spec: dict[str, Any]) -> str:
    title = spec.get("title", "chart")
    return str(title.get("text", "chart")) if isinstance(title, dict) else str(title)
