"""World choropleth maps as inline SVG, drawn from bundled Natural Earth 1:110m outlines.

The outlines (``critmin/data/reference/world_110m.json``, built by ``scripts/build_world_map.py``) are
already projected (Equal Earth) and simplified, so a map is plain string assembly: no GIS library, no
network, no external references in the output.
"""

from __future__ import annotations

import bisect
import itertools
import json
import math
import re
import statistics
from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import Any

from critmin.data import reference_path
from critmin.reports import svgbase as sb

GEOMETRY_FILE = "world_110m.json"
NO_DATA = "#e5e5e5"
OUTLINE = "#FFFFFF"
HIGHLIGHT_STROKE = "#111111"
MAX_CLASSES = 6
DEFAULT_CLASSES = 5
#: ColorBrewer YlGnBu sequential ramps (colour-blind safe), light to dark, by number of classes.
RAMPS: dict[int, tuple[str, ...]] = {
    1: ("#41b6c4",),
    2: ("#a1dab4", "#225ea8"),
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
}
ISO3 = re.compile(r"[A-Z]{3}")


@cache
def geometry() -> dict[str, Any]:
    """The bundled world outlines: ``viewbox`` and ``countries`` (ISO3 -> ``name``, path ``d``), cached."""
    with reference_path(GEOMETRY_FILE).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _checked(values: Mapping[str, float]) -> dict[str, float]:
    """``values`` as floats keyed by ISO3, or ValueError naming the offending key."""
    out = {}
    for key, value in values.items():
        if not isinstance(key, str) or not ISO3.fullmatch(key):
            raise ValueError(f"values: key {key!r} is not an ISO 3166-1 alpha-3 code (three capital letters)")
        if isinstance(value, bool):
            raise ValueError(f"values[{key!r}]: not a number: {value!r}")
        out[key] = sb.check_number(value, f"values[{key!r}]")
    return out


def unmapped(values: Mapping[str, float]) -> list[str]:
    """The keys of ``values`` that have no outline on the map (sorted), for a footnote.

    Raises
    ------
    ValueError
        For a key that is not an ISO3 code or a value that is not a finite number.
    """
    countries = geometry()["countries"]
    return sorted(key for key in _checked(values) if key not in countries)


def _round_significant(value: float, digits: int = 2) -> float:
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def class_edges(values: Sequence[float], bins: Sequence[float] | None = None) -> list[float]:
    """Class edges ``e0 < e1 < ... < ek`` (``k`` classes; ``[v, v]`` when all values are equal).

    Parameters
    ----------
    values
        The finite values to classify.
    bins
        Explicit edges (2 to 7, strictly increasing, finite) covering every value; default: quintiles
        of ``values`` rounded to two significant figures, between the minimum and the maximum.
    """
    if bins is not None:
        edges = [sb.check_number(edge, f"bins[{i}]") for i, edge in enumerate(bins)]
        if not 2 <= len(edges) <= MAX_CLASSES + 1:
            raise ValueError(f"bins: need 2 to {MAX_CLASSES + 1} edges (1 to {MAX_CLASSES} classes)")
        if any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError(f"bins: edges must be strictly increasing, got {edges}")
        return edges
    if not values:
        return []
    lo, hi = min(values), max(values)
    if lo == hi:
        return [lo, hi]
    cuts = statistics.quantiles(values, n=DEFAULT_CLASSES, method="inclusive") if len(values) > 1 else []
    interior = sorted({c for c in (_round_significant(q) for q in cuts) if lo < c < hi})
    return [lo, *interior, hi]


def _class_of(value: float, edges: list[float]) -> int:
    return min(bisect.bisect_right(edges[1:-1], value), max(len(edges) - 2, 0))


def choropleth(
    values: Mapping[str, float],
    *,
    title: str,
    unit: str,
    source: str,
    highlight: Collection[str] = (),
    labels: Mapping[str, str] | None = None,
    bins: Sequence[float] | None = None,
    width: int = 720,
) -> str:
    """A world map colouring each country by its value, as one inline ``<svg>`` element.

    Parameters
    ----------
    values
        Value per ISO3 code. Codes without an outline on the 1:110m map (small islands, aggregates such as
        ``WLD``) are left out of the map; list them with :func:`unmapped`.
    title
        Shown at the top and used as the ``aria-label``.
    unit
        As in :func:`critmin.reports.svgbase.format_value` (``"share"``, ``"%"``, ``"t"``, ...).
    source
        The data source, in every country's hover text and the caption.
    highlight
        ISO3 codes outlined with a thick dark stroke (e.g. the partners ``IND``, ``JPN``); codes not on the
        map are ignored.
    labels
        Hover text per ISO3 code in place of the formatted value.
    bins
        Class edges; default: quintile classes of the mapped values (see :func:`class_edges`).
    width
        Width in pixels.

    Returns
    -------
    str
        The SVG markup: a sequential colour-blind-safe ramp (ColorBrewer YlGnBu; darker is higher), grey
        for no data, a legend of class ranges and a one-line source caption.

    Raises
    ------
    ValueError
        For a key that is not an ISO3 code, a value that is not finite, a value outside ``bins`` or
        malformed ``bins``, ``title`` or ``source``.
    """
    title = sb.check_text(title, "title")
    source = sb.check_text(source, "source")
    width = sb.check_width(width)
    checked = _checked(values)
    marked = set()
    for code in highlight:
        if not isinstance(code, str) or not ISO3.fullmatch(code):
            raise ValueError(f"highlight: {code!r} is not an ISO 3166-1 alpha-3 code")
        marked.add(code)
    labels = dict(labels or {})
    for code in labels:
        if not isinstance(code, str) or not ISO3.fullmatch(code):
            raise ValueError(f"labels: key {code!r} is not an ISO 3166-1 alpha-3 code")

    world = geometry()
    countries: dict[str, dict[str, str]] = world["countries"]
    mapped = {code: value for code, value in checked.items() if code in countries}
    edges = class_edges(list(mapped.values()), bins)
    if bins is not None:
        for code, value in mapped.items():
            if not edges[0] <= value <= edges[-1]:
                raise ValueError(f"values[{code!r}]: {value} lies outside bins [{edges[0]}, {edges[-1]}]")
    n_classes = max(len(edges) - 1, 1) if edges else 0
    ramp = RAMPS.get(n_classes, ())

    vx, vy, vw, vh = (float(v) for v in world["viewbox"])
    map_w = width - 2 * sb.MARGIN
    scale = map_w / vw
    map_h = vh * scale
    map_top = sb.TITLE_H

    def hover(code: str, name: str) -> str:
        if code in labels:
            shown = labels[code]
        elif code in mapped:
            shown = sb.format_value(mapped[code], unit)
        else:
            shown = "no data"
        return f"{name}: {shown} ({source})"

    plain: list[str] = []
    outlined: list[str] = []
    for code, country in countries.items():
        fill = ramp[_class_of(mapped[code], edges)] if code in mapped else NO_DATA
        element = (
            f'<path class="country" data-iso3="{code}" d="{country["d"]}" fill="{fill}">'
            f"<title>{sb.esc(hover(code, country['name']))}</title></path>"
        )
        (outlined if code in marked else plain).append(element)

    body = [
        f'<svg class="map" x="{sb.num(sb.MARGIN)}" y="{sb.num(map_top)}" width="{sb.num(map_w)}" '
        f'height="{sb.num(map_h)}" viewBox="{sb.num(vx)} {sb.num(vy)} {sb.num(vw)} {sb.num(vh)}">',
        f'<g class="countries" stroke="{OUTLINE}" stroke-width="{sb.num(0.6 / scale)}" '
        'stroke-linejoin="round" fill-rule="evenodd">',
        *plain,
        "</g>",
    ]
    if outlined:
        body += [
            f'<g class="highlight" stroke="{HIGHLIGHT_STROKE}" stroke-width="{sb.num(2.0 / scale)}" '
            'stroke-linejoin="round" fill-rule="evenodd">',
            *outlined,
            "</g>",
        ]
    body.append("</svg>")

    items = []
    for i in range(n_classes):
        lo, hi = edges[i], edges[min(i + 1, len(edges) - 1)]
        low, high = sb.format_value(lo, unit), sb.format_value(hi, unit)
        items.append((low if low == high else f"{low} – {high}", ramp[i]))
    items.append(("no data", NO_DATA))
    legend, legend_h = sb.legend(items, sb.MARGIN, map_top + map_h + 10, map_w)
    body.append(legend)
    height = map_top + map_h + 10 + legend_h + 4 + sb.CAPTION_H
    return sb.svg(width, height, title, source, body)
