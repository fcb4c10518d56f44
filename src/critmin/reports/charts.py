"""Small dependency-free inline-SVG charts for briefs and the dashboard.

Every function takes plain Python values and returns one ``<svg>`` string that is valid XML: ``role="img"``
and ``aria-label`` (the title) for screen readers, a visible title line, axis labels where relevant, a
one-line ``Source: ...`` caption, and a ``<title>`` hover text on every bar, point and segment giving its
exact value, formatted, with its unit. Colours come from the Okabe–Ito colour-blind-safe palette; the font
is ``system-ui, sans-serif``; no external references. Bad input raises ``ValueError`` naming the field.

Numbers use :func:`format_value` unless a formatter is given: unit ``"share"`` renders a fraction 0.125 as
``"12.5%"``, ``"%"`` a percent 12.5 as ``"12.5%"``, ``"t"`` 1234 as ``"1,234 t"``, anything else as at
least three significant figures followed by the unit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from critmin.reports.svgbase import (
    BAR,
    CAPTION_H,
    GRID,
    HIGHLIGHT,
    INK,
    MARGIN,
    MUTED,
    OTHER,
    PALETTE,
    TITLE_H,
    Formatter,
    axis_caption,
    bar,
    check_number,
    check_text,
    check_width,
    circle,
    esc,
    fit,
    format_value,
    label_column,
    legend,
    line,
    nice_ticks,
    num,
    rect,
    svg,
    text,
    text_colour,
    text_width,
    tick_format,
    value_axis,
)

__all__ = ["bar_chart", "format_value", "grouped_bars", "line_chart", "stacked_shares"]


BAR_H = 18
ROW_GAP = 6
INLINE_LABEL_MIN = 0.07
PAD = 8  # inner padding of the line-chart plot, so markers clear the axes


def bar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str,
    source: str,
    highlight: Collection[str] = (),
    value_format: Formatter | None = None,
    width: int = 640,
) -> str:
    """Horizontal bars in the order given, value labels at the bar ends.

    Parameters
    ----------
    rows
        ``(label, value)`` pairs; values may be negative (bars then extend left of a zero line).
    title, unit, source
        Title line, unit of the values (see :func:`format_value`; also the axis label) and source caption.
    highlight
        Labels drawn in a second colour (bar and label).
    value_format
        Formatter for value labels and hover text; default ``format_value(v, unit)``.
    width
        Width in pixels.

    Returns
    -------
    str
        The ``<svg>`` markup.
    """
    title, source = check_text(title, "title"), check_text(source, "source")
    width = check_width(width)
    if not rows:
        raise ValueError("rows: empty")
    labels = [str(label) for label, _ in rows]
    values = [check_number(v, f"rows[{i}] ({labels[i]!r})") for i, (_, v) in enumerate(rows)]
    marked = {str(h) for h in highlight}
    if marked - set(labels):
        raise ValueError(f"highlight: not among the row labels: {sorted(marked - set(labels))}")
    fmt = value_format or (lambda v: format_value(v, unit))
    texts = [fmt(v) for v in values]
    label_w = label_column(labels, width)
    scale, x0, x1 = value_axis(values, texts, MARGIN + label_w + 6, width)
    body, y = [], float(TITLE_H)
    for label, value, shown in zip(labels, values, texts, strict=True):
        colour = HIGHLIGHT if label in marked else BAR
        body.append(
            text(
                MARGIN + label_w,
                y + BAR_H / 2 + 4,
                fit(label, label_w),
                anchor="end",
                fill=HIGHLIGHT if label in marked else INK,
                weight="bold" if label in marked else None,
                cls="label",
            )
        )
        body += bar(scale, value, y, BAR_H, colour, f"{label}: {shown}", shown)
        y += BAR_H + ROW_GAP
    body.append(line(scale(0.0), TITLE_H - 3, scale(0.0), y - ROW_GAP + 3, stroke=MUTED))
    body += axis_caption(unit, x0, x1, y + 12)
    return svg(width, y + 16 + CAPTION_H, title, source, body)


def grouped_bars(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    unit: str,
    source: str,
    value_format: Formatter | None = None,
    width: int = 640,
) -> str:
    """Horizontal grouped bars: one group per category, one bar per series, and a legend.

    Parameters
    ----------
    categories
        Group labels (e.g. minerals).
    series
        Series name (e.g. a country) -> one value per category; ``None`` means no data and is drawn as
        an ``"n/a"`` label, not a bar. At most 8 series.
    title, unit, source, value_format, width
        As in :func:`bar_chart`.

    Returns
    -------
    str
        The ``<svg>`` markup.
    """
    title, source = check_text(title, "title"), check_text(source, "source")
    width = check_width(width)
    cats = [str(c) for c in categories]
    if not cats:
        raise ValueError("categories: empty")
    if not series:
        raise ValueError("series: empty")
    if len(series) > len(PALETTE):
        raise ValueError(f"series: at most {len(PALETTE)} series, got {len(series)}")
    data: dict[str, list[float | None]] = {}
    for name, vals in series.items():
        if len(vals) != len(cats):
            raise ValueError(f"series[{name!r}]: {len(vals)} values for {len(cats)} categories")
        data[str(name)] = [
            None if v is None else check_number(v, f"series[{name!r}][{i}]") for i, v in enumerate(vals)
        ]
    fmt = value_format or (lambda v: format_value(v, unit))
    present = [v for vals in data.values() for v in vals if v is not None]
    texts = [fmt(v) for v in present]
    colours = dict(zip(data, PALETTE, strict=False))
    items, legend_h = legend(list(colours.items()), MARGIN, TITLE_H - 6, width - 2 * MARGIN)
    label_w = label_column(cats, width)
    scale, x0, x1 = value_axis(present or [0.0], texts, MARGIN + label_w + 6, width)
    bar_h, top = 14.0, TITLE_H - 6 + legend_h + 8
    body, y = [items], top
    for c, cat in enumerate(cats):
        group_h = len(data) * (bar_h + 2) - 2
        body.append(text(MARGIN + label_w, y + group_h / 2 + 4, fit(cat, label_w), anchor="end", cls="label"))
        for name, vals in data.items():
            v = vals[c]
            if v is None:
                body.append(
                    text(
                        scale(0.0) + 4,
                        y + bar_h / 2 + 4,
                        "n/a",
                        size=11,
                        fill=MUTED,
                        cls="na",
                        hover=f"{cat}, {name}: no data",
                    )
                )
            else:
                shown = fmt(v)
                body += bar(scale, v, y, bar_h, colours[name], f"{cat}, {name}: {shown}", shown)
            y += bar_h + 2
        y += 10 - 2
    body.append(line(scale(0.0), top - 3, scale(0.0), y - 7, stroke=MUTED))
    body += axis_caption(unit, x0, x1, y + 6)
    return svg(width, y + 10 + CAPTION_H, title, source, body)


def _normalised(rows: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    if not rows:
        raise ValueError("rows: empty")
    out: dict[str, dict[str, float]] = {}
    for row, shares in rows.items():
        if not shares:
            raise ValueError(f"rows[{row!r}]: no suppliers")
        clean = {str(k): check_number(v, f"rows[{row!r}][{k!r}]") for k, v in shares.items()}
        negative = [k for k, v in clean.items() if v < 0]
        if negative:
            raise ValueError(f"rows[{row!r}][{negative[0]!r}]: negative share {clean[negative[0]]!r}")
        total = sum(clean.values())
        if total <= 0:
            raise ValueError(f"rows[{row!r}]: shares sum to zero")
        out[str(row)] = {k: v / total for k, v in clean.items()}
    return out


def stacked_shares(
    rows: Mapping[str, Mapping[str, float]],
    *,
    title: str,
    source: str,
    top: int = 6,
    width: int = 640,
) -> str:
    """One 100 % stacked horizontal bar per row (e.g. per mineral: supplier -> share of imports).

    Shares are normalised per row. The ``top`` suppliers overall (by the sum of their normalised shares
    across rows; ties by name) get stable distinct colours, the same in every row, and keep that order
    inside each bar; all others (and a supplier literally named ``"Other"``) merge into a grey "Other"
    segment drawn last. Segments wider than 7 % of the bar carry an inline label.

    Parameters
    ----------
    rows
        Row label -> supplier -> non-negative weight (shares or tonnes).
    title, source
        Title line and source caption.
    top
        Suppliers with their own colour, 1 to 8.
    width
        Width in pixels.

    Returns
    -------
    str
        The ``<svg>`` markup.
    """
    title, source = check_text(title, "title"), check_text(source, "source")
    width = check_width(width)
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= len(PALETTE):
        raise ValueError(f"top: must be an integer from 1 to {len(PALETTE)}, got {top!r}")
    shares = _normalised(rows)
    totals: dict[str, float] = {}
    for weights in shares.values():
        for k, v in weights.items():
            if k != "Other":
                totals[k] = totals.get(k, 0.0) + v
    ranked = [k for k, v in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])) if v > 0][:top]
    colours = dict(zip(ranked, PALETTE, strict=False))
    has_other = any(v > 0 for w in shares.values() for k, v in w.items() if k not in colours)
    keys = [*ranked, "Other"] if has_other else ranked
    items, legend_h = legend(
        [(k, colours.get(k, OTHER)) for k in keys], MARGIN, TITLE_H - 6, width - 2 * MARGIN
    )
    label_w = label_column(list(shares), width)
    x0, x1 = MARGIN + label_w + 6, width - MARGIN - 8
    body, y = [items], TITLE_H - 6 + legend_h + 8
    for row, row_shares in shares.items():
        body.append(text(MARGIN + label_w, y + BAR_H / 2 + 4, fit(row, label_w), anchor="end", cls="label"))
        rest = [k for k, v in row_shares.items() if k not in colours and v > 0]
        parts = [(k, row_shares.get(k, 0.0)) for k in ranked]
        parts.append(("Other", sum(row_shares[k] for k in rest)))
        body.append(f'<g class="stack" data-row="{esc(row)}">')
        cum = 0.0
        for name, share in parts:
            if share <= 0:
                continue
            left, cum = x0 + cum * (x1 - x0), cum + share
            seg_w = x0 + cum * (x1 - x0) - left
            fill = colours.get(name, OTHER)
            who = f"Other ({len(rest)} suppliers)" if name == "Other" else name
            body.append(
                rect(left, y, seg_w, BAR_H, fill, f"{row}, {who}: {format_value(share, 'share')}", "segment")
            )
            if share > INLINE_LABEL_MIN:
                body.append(
                    text(
                        left + seg_w / 2,
                        y + BAR_H / 2 + 4,
                        fit(name, seg_w - 4, 11),
                        size=11,
                        anchor="middle",
                        fill=text_colour(fill),
                        cls="segment-label",
                    )
                )
        body.append("</g>")
        y += BAR_H + ROW_GAP
    for i in range(5):
        tx = x0 + i / 4 * (x1 - x0)
        body.append(text(tx, y + 8, f"{25 * i}%", size=10, anchor="middle", fill=MUTED, cls="tick"))
    body.append(text((x0 + x1) / 2, y + 22, "Share", size=11, anchor="middle", fill=MUTED, cls="axis-label"))
    return svg(width, y + 28 + CAPTION_H, title, source, body)


def _xy(item: Sequence[object], field: str, size: int) -> tuple[float, float]:
    if len(item) != size:
        raise ValueError(f"{field}: expected {size} items, got {len(item)}")
    return check_number(item[0], f"{field}.x"), check_number(item[1], f"{field}.y")


def line_chart(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    source: str,
    points: Sequence[tuple[float, float, str]] = (),
    x_format: Formatter | None = None,
    y_format: Formatter | None = None,
    width: int = 640,
) -> str:
    """Lines with markers on "nice" 1-2-5 axes, a legend when there is more than one series, and points.

    Parameters
    ----------
    series
        Series name -> ``(x, y)`` pairs, drawn in the order given (at most 8 series).
    title, x_label, y_label, source
        Title line, axis labels and source caption.
    points
        ``(x, y, label)`` annotations drawn as ringed markers with their label (e.g. the current
        portfolio on a risk–cost frontier).
    x_format, y_format
        Formatters for tick labels and hover text; default :func:`format_value` without unit (ticks then
        show just the decimals the step needs).
    width
        Width in pixels.

    Returns
    -------
    str
        The ``<svg>`` markup; tick lines carry ``class="xtick"``/``"ytick"`` and ``data-value``.
    """
    title, source = check_text(title, "title"), check_text(source, "source")
    x_label, y_label = check_text(x_label, "x_label"), check_text(y_label, "y_label")
    width = check_width(width)
    if not series:
        raise ValueError("series: empty")
    if len(series) > len(PALETTE):
        raise ValueError(f"series: at most {len(PALETTE)} series, got {len(series)}")
    data: dict[str, list[tuple[float, float]]] = {}
    for name, pairs in series.items():
        if not pairs:
            raise ValueError(f"series[{name!r}]: empty")
        data[str(name)] = [_xy(p, f"series[{name!r}][{i}]", 2) for i, p in enumerate(pairs)]
    marks = [(*_xy(p, f"points[{i}]", 3), str(p[2])) for i, p in enumerate(points)]
    xs = [x for s in data.values() for x, _ in s] + [m[0] for m in marks]
    ys = [y for s in data.values() for _, y in s] + [m[1] for m in marks]
    x_ticks, y_ticks = nice_ticks(min(xs), max(xs)), nice_ticks(min(ys), max(ys))
    xf, yf = x_format or (lambda v: format_value(v)), y_format or (lambda v: format_value(v))
    xt, yt = x_format or tick_format(x_ticks), y_format or tick_format(y_ticks)
    colours = dict(zip(data, PALETTE, strict=False))
    body, top = [], float(TITLE_H)
    if len(data) > 1:
        items, legend_h = legend(list(colours.items()), MARGIN, TITLE_H - 6, width - 2 * MARGIN)
        body.append(items)
        top += legend_h + 2
    left = MARGIN + 18 + max(text_width(yt(t), 10) for t in y_ticks) + 6
    right, plot_h = width - MARGIN - 10, 240.0
    bottom = top + plot_h

    def px(x: float) -> float:
        return left + PAD + (x - x_ticks[0]) / (x_ticks[-1] - x_ticks[0]) * (right - left - 2 * PAD)

    def py(y: float) -> float:
        return bottom - PAD - (y - y_ticks[0]) / (y_ticks[-1] - y_ticks[0]) * (plot_h - 2 * PAD)

    for t in y_ticks:
        body.append(line(left, py(t), right, py(t), GRID, f' class="ytick" data-value="{t!r}"'))
        body.append(text(left - 4, py(t) + 3.5, yt(t), size=10, anchor="end", fill=MUTED, cls="tick"))
    for t in x_ticks:
        body.append(line(px(t), bottom, px(t), bottom + 4, MUTED, f' class="xtick" data-value="{t!r}"'))
        body.append(text(px(t), bottom + 15, xt(t), size=10, anchor="middle", fill=MUTED, cls="tick"))
    body.append(line(left, bottom, right, bottom, MUTED))
    body.append(line(left, top, left, bottom, MUTED))
    body.append(
        text((left + right) / 2, bottom + 30, x_label, size=11, anchor="middle", fill=INK, cls="axis-label")
    )
    mid = (top + bottom) / 2
    body.append(
        text(
            MARGIN + 10,
            mid,
            y_label,
            size=11,
            anchor="middle",
            cls="axis-label",
            extra=f' transform="rotate(-90 {num(MARGIN + 10)} {num(mid)})"',
        )
    )
    for name, xy in data.items():
        coords = " ".join(f"{num(px(x))},{num(py(y))}" for x, y in xy)
        body.append(
            f'<polyline class="line" data-series="{esc(name)}" points="{coords}" fill="none" '
            f'stroke="{colours[name]}" stroke-width="2"><title>{esc(name)}</title></polyline>'
        )
        for x, y in xy:
            hover = f"{name}: {x_label} {xf(x)}, {y_label} {yf(y)}"
            extra = f' data-series="{esc(name)}"'
            body.append(circle(px(x), py(y), 3.5, colours[name], hover, "marker", extra))
    for x, y, label in marks:
        hover = f"{label}: {x_label} {xf(x)}, {y_label} {yf(y)}"
        anchor, dx = ("end", -9) if px(x) > (left + right) / 2 else ("start", 9)
        ring = f' stroke="{INK}" stroke-width="2"'
        body.append(circle(px(x), py(y), 6, "#FFFFFF", hover, "point", ring))
        body.append(
            text(px(x) + dx, py(y) - 8, label, size=11, anchor=anchor, weight="bold", cls="point-label")
        )
    return svg(width, bottom + 38 + CAPTION_H, title, source, body)
