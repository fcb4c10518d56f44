"""Shared helpers for the inline-SVG charts: escaping, number formats, "nice" ticks, text, legend, frame.

Everything here is a pure function on plain values returning strings; no external references (no fonts,
URLs or scripts) ever appear in the output.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

FONT = "system-ui, sans-serif"
#: Okabe–Ito colour-blind-safe palette, ordered so that neighbours contrast well.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
BAR = "#0072B2"
HIGHLIGHT = "#D55E00"
OTHER = "#BBBBBB"
INK = "#222222"
MUTED = "#666666"
GRID = "#DDDDDD"
MARGIN = 12
TITLE_H = 34
CAPTION_H = 26
MIN_WIDTH = 240

Formatter = Callable[[float], str]


def esc(text: object) -> str:
    """Text escaped for XML content and attribute values."""
    return html.escape(str(text), quote=True)


def num(value: float) -> str:
    """A pixel coordinate, two decimals at most."""
    out = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if out in ("", "-0") else out


def significant(value: float) -> str:
    """At least three significant figures, thousands separators, no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    digits = math.floor(math.log10(abs(value)))
    decimals = min(max(0, 2 - digits), 12)
    out = f"{round(value, decimals):,.{decimals}f}"
    if decimals:
        out = out.rstrip("0").rstrip(".")
    return "0" if out == "-0" else out


def format_value(value: float, unit: str = "") -> str:
    """A number formatted for a label, with its unit.

    Parameters
    ----------
    value
        The number.
    unit
        ``"share"``: ``value`` is a fraction in [0, 1] shown as a percent (0.125 -> ``"12.5%"``);
        ``"%"``: ``value`` is already a percent (12.5 -> ``"12.5%"``); ``"t"``: tonnes (1234 ->
        ``"1,234 t"``); ``""``: the bare number (0.37249 -> ``"0.372"``); anything else is appended
        after a space. Numbers keep at least three significant figures, all integer digits, and
        thousands separators.

    Returns
    -------
    str
        The label; ``"n/a"`` for NaN or infinite values.
    """
    value = float(value)
    if not math.isfinite(value):
        return "n/a"
    if unit == "share":
        return f"{significant(100 * value)}%"
    if unit == "%":
        return f"{significant(value)}%"
    return f"{significant(value)} {unit}" if unit else significant(value)


def unit_label(unit: str) -> str:
    """An axis label for a unit (``"share"`` -> ``"Share"``, ``"t"`` -> ``"Tonnes"``)."""
    return {"share": "Share", "t": "Tonnes", "%": "Percent"}.get(unit, unit)


def check_text(value: object, field: str) -> str:
    """A non-empty string, or ValueError naming ``field``."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{field}: must be a non-empty string, got {value!r}")
    return value


def check_number(value: object, field: str) -> float:
    """A finite float, or ValueError naming ``field``."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{field}: not a number: {value!r}") from None
    if not math.isfinite(out):
        raise ValueError(f"{field}: not finite: {value!r}")
    return out


def check_width(width: int) -> int:
    """The chart width in pixels, at least :data:`MIN_WIDTH`."""
    if isinstance(width, bool) or not isinstance(width, int) or width < MIN_WIDTH:
        raise ValueError(f"width: must be an integer of at least {MIN_WIDTH} px, got {width!r}")
    return width


def nice_step(span: float, target: int = 5) -> float:
    """A 1-2-5 step giving about ``target`` intervals over ``span`` (> 0)."""
    raw = span / target
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if raw <= factor * power * 1.0000001:
            return factor * power
    return 10.0 * power  # pragma: no cover - unreachable


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """Ticks on a 1-2-5 step covering [lo, hi]; the first and last are the axis limits."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step(hi - lo, target)
    decimals = max(0, -math.floor(math.log10(step))) + 1
    start, stop = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(i * step, decimals) for i in range(start, stop + 1)]


def tick_format(ticks: Sequence[float]) -> Formatter:
    """A formatter showing just enough decimals to tell the ticks apart."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))

    def fmt(value: float) -> str:
        out = f"{value:,.{decimals}f}"
        return "0" if out.strip("-0.,") == "" else out

    return fmt


def text_width(text: str, size: float = 12) -> float:
    """Estimated rendered width of ``text`` (system sans-serif averages about 0.58 em per glyph)."""
    return len(text) * size * 0.58


def fit(text: str, width: float, size: float = 12) -> str:
    """``text`` shortened with an ellipsis to fit ``width``."""
    if text_width(text, size) <= width:
        return text
    keep = max(0, int(width / (size * 0.58)) - 1)
    return text[:keep] + "…" if keep else ""


def text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = 12,
    anchor: str = "start",
    fill: str = INK,
    weight: str | None = None,
    cls: str | None = None,
    hover: str | None = None,
    extra: str = "",
) -> str:
    """A ``<text>`` element; ``hover`` adds a ``<title>`` child."""
    attrs = f'x="{num(x)}" y="{num(y)}" font-size="{num(size)}" fill="{fill}"'
    if anchor != "start":
        attrs += f' text-anchor="{anchor}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    if cls:
        attrs += f' class="{esc(cls)}"'
    inner = esc(content) + (f"<title>{esc(hover)}</title>" if hover else "")
    return f"<text {attrs}{extra}>{inner}</text>"


def rect(x: float, y: float, w: float, h: float, fill: str, hover: str, cls: str = "bar") -> str:
    """A ``<rect>`` with a ``<title>`` hover text."""
    return (
        f'<rect class="{cls}" x="{num(x)}" y="{num(y)}" width="{num(max(w, 0.0))}" height="{num(h)}" '
        f'fill="{fill}"><title>{esc(hover)}</title></rect>'
    )


def line(x1: float, y1: float, x2: float, y2: float, stroke: str = GRID, extra: str = "") -> str:
    """A one-pixel ``<line>``."""
    return (
        f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" stroke="{stroke}" '
        f'stroke-width="1"{extra}/>'
    )


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (``#RRGGBB``)."""
    r, g, b = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "#FFFFFF"


def legend(items: Sequence[tuple[str, str]], x: float, y: float, width: float) -> tuple[str, float]:
    """Swatches and names flowed into lines within ``width``; returns the markup and its height."""
    parts, cx, cy = ['<g class="legend">'], x, y
    for name, colour in items:
        w = 18 + text_width(name) + 14
        if cx > x and cx + w > x + width:
            cx, cy = x, cy + 18
        parts.append(
            f'<rect class="swatch" x="{num(cx)}" y="{num(cy)}" width="12" height="12" fill="{colour}"/>'
        )
        parts.append(text(cx + 16, cy + 10.5, name, size=12, cls="legend-label"))
        cx += w
    parts.append("</g>")
    return "".join(parts), (cy - y) + 18 if items else 0.0


def svg(width: float, height: float, title: str, source: str, body: Sequence[str]) -> str:
    """The whole chart: frame, title line, ``body`` and the one-line source caption at the bottom."""
    caption = source if source.lower().startswith("source") else f"Source: {source}"
    shown = fit(caption, width - 2 * MARGIN, 11)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(width)}" height="{num(height)}" '
        f'viewBox="0 0 {num(width)} {num(height)}" role="img" aria-label="{esc(title)}" '
        f'font-family="{FONT}">'
    )
    return "".join(
        [
            head,
            f"<title>{esc(title)}</title>",
            f'<rect x="0" y="0" width="{num(width)}" height="{num(height)}" fill="#FFFFFF"/>',
            text(MARGIN, 22, title, size=15, weight="bold", cls="chart-title"),
            *body,
            text(
                MARGIN,
                height - 9,
                shown,
                size=11,
                fill=MUTED,
                cls="source",
                hover=caption if shown != caption else None,
            ),
            "</svg>",
        ]
    )


def label_column(labels: Sequence[str], width: int) -> float:
    """Width of the category-label column (at most 35 % of the chart)."""
    return min(max(text_width(s) for s in labels) + 8, width * 0.35)


def value_axis(
    values: Sequence[float], texts: Sequence[str], left: float, width: int
) -> tuple[Callable[[float], float], float, float]:
    """A linear value scale from ``left`` leaving room for end labels; returns it and the plot span."""
    pad = max((text_width(t) for t in texts), default=0.0) + 8
    lo, hi = min(0.0, *values), max(0.0, *values)
    x0 = left + (pad if lo < 0 else 0.0)
    x1 = width - MARGIN - (pad if hi > 0 or lo == hi else 0.0)
    span = (hi - lo) or 1.0

    def scale(v: float) -> float:
        return x0 + (v - lo) / span * (x1 - x0)

    return scale, x0, x1


def bar(
    scale: Callable[[float], float], v: float, y: float, h: float, fill: str, hover: str, label: str
) -> list[str]:
    """A bar from zero to ``v`` with its value label at the bar end."""
    zero, end = scale(0.0), scale(v)
    anchor, tx = ("end", end - 4) if v < 0 else ("start", end + 4)
    return [
        rect(min(zero, end), y, abs(end - zero), h, fill, hover),
        text(tx, y + h / 2 + 4, label, size=11, anchor=anchor, fill=INK, cls="value"),
    ]


def axis_caption(unit: str, x0: float, x1: float, y: float) -> list[str]:
    """The value-axis label for ``unit`` centred under [x0, x1], if the unit has one."""
    label = unit_label(unit)
    return (
        [text((x0 + x1) / 2, y, label, size=11, anchor="middle", fill=MUTED, cls="axis-label")]
        if label
        else []
    )


def circle(cx: float, cy: float, r: float, fill: str, hover: str, cls: str, extra: str = "") -> str:
    """A ``<circle>`` with a ``<title>`` hover text."""
    return (
        f'<circle class="{cls}" cx="{num(cx)}" cy="{num(cy)}" r="{num(r)}" fill="{fill}"{extra}>'
        f"<title>{esc(hover)}</title></circle>"
    )
