"""Bar charts: horizontal bars, bars grouped by country, and stacked shares of suppliers."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import altair as alt
import pandas as pd

from critmin.charts import base

BAR_STEP = 22
GROUPED_STEP = 14
OTHER_LABEL = "other"


def bar(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    unit: str,
    title: str,
    source: str,
    vintage: str,
    year: str | None = None,
    highlight: Collection[str] = (),
    sort: str | None = "-x",
    x_title: str | None = None,
) -> dict[str, Any]:
    """Horizontal bars, one per category, with value labels at the bar ends.

    Parameters
    ----------
    frame
        One row per category (per year, with a year column): columns ``category`` and ``value``;
        optional ``source``/``vintage`` columns give each row its own provenance.
    category, value
        Column names of the bar labels and the numbers (``None``/NaN: no bar).
    unit
        Unit of the values (see :func:`~critmin.charts.format.format_value`), also the axis title.
    title, source, vintage
        Title, source and vintage/release for the caption and the tooltips.
    year
        Column holding the year (default: ``"year"`` if the frame has it); with more than one year a
        selector shows one year at a time, the latest first.
    highlight
        Categories drawn in a second colour.
    sort
        ``"-x"``: largest first; ``None``: the frame's order.
    x_title
        Title of the value axis (default: the unit, see :func:`unit_title`).

    Returns
    -------
    dict
        The Vega-Lite spec.
    """
    year_col = base.year_column(frame, year)
    columns = [category, value, *([year_col] if year_col else [])]
    rows = base.records(frame, columns)
    if year_col and year_col != base.YEAR:
        rows = base.renamed(rows, year_col, base.YEAR)
    rows = base.with_provenance(rows, frame, value=value, unit=unit, source=source, vintage=vintage)
    rows = base.labelled(rows, category)
    if not rows:
        raise ValueError("frame: no rows to draw")
    marked = sorted({str(h) for h in highlight})
    order = [str(r[category]) for r in rows] if sort is None else sort
    y = alt.Y(f"{category}:N", sort=order, title=None)
    colour: Any = alt.value(base.BAR)
    if marked:
        colour = alt.condition(
            alt.FieldOneOfPredicate(field=category, oneOf=marked),
            alt.value(base.HIGHLIGHT),
            alt.value(base.BAR),
        )
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            y=y,
            x=alt.X(f"{value}:Q", axis=base.axis(unit, x_title or unit_title(unit))),
            color=colour,
            tooltip=base.tooltip(alt.Tooltip(f"{category}:N"), *_year_tip(rows)),
            description=alt.Description("label:N"),
        )
    )
    labels = (
        alt.Chart()
        .mark_text(align="left", dx=3, fontSize=10)
        .encode(y=y, x=alt.X(f"{value}:Q"), text=alt.Text("value_text:N"))
    )
    chart = alt.layer(bars, labels, data=base.source_data()).properties(
        width=base.WIDTH, height=alt.Step(BAR_STEP)
    )
    return base.finish(
        chart,
        rows,
        title=title,
        source=source,
        vintage=vintage,
        description=f"Horizontal bar chart: {title}, {value} by {category}",
        kind="bar",
    )


def unit_title(unit: str) -> str:
    """An axis title for a unit (``"share"`` -> ``"share"``, ``"t"`` -> ``"tonnes"``)."""
    return {"t": "tonnes", "%": "percent", "": "value"}.get(unit, unit)


def _year_tip(rows: list[dict[str, Any]]) -> list[alt.Tooltip]:
    return [alt.Tooltip(f"{base.YEAR}:O", title="year")] if base.years_of(rows) else []


def grouped_bars(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    group: str,
    unit: str,
    title: str,
    source: str,
    vintage: str,
    year: str | None = None,
    x_title: str | None = None,
) -> dict[str, Any]:
    """Bars side by side: for each category, one bar per group (2–4 countries), colour by group.

    Parameters
    ----------
    frame
        Long form, one row per category and group (per year): columns ``category``, ``group``,
        ``value``; optional ``source``/``vintage`` columns.
    category, value, group
        Column names of the row labels, the numbers and the groups (the legend).
    unit, title, source, vintage, year, x_title
        As for :func:`bar`.

    Returns
    -------
    dict
        The Vega-Lite spec.
    """
    year_col = base.year_column(frame, year)
    columns = [category, group, value, *([year_col] if year_col else [])]
    rows = base.records(frame, columns)
    if year_col and year_col != base.YEAR:
        rows = base.renamed(rows, year_col, base.YEAR)
    rows = base.with_provenance(rows, frame, value=value, unit=unit, source=source, vintage=vintage)
    rows = base.labelled(rows, category, group)
    if not rows:
        raise ValueError("frame: no rows to draw")
    groups = list(dict.fromkeys(str(r[group]) for r in rows))
    categories = list(dict.fromkeys(str(r[category]) for r in rows))
    y = alt.Y(f"{category}:N", sort=categories, title=None)
    y_offset = alt.YOffset(f"{group}:N", sort=groups)
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            y=y,
            yOffset=y_offset,
            x=alt.X(f"{value}:Q", axis=base.axis(unit, x_title or unit_title(unit))),
            color=alt.Color(
                f"{group}:N",
                sort=groups,
                scale=alt.Scale(range=list(base.PALETTE[: len(groups)])),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=base.tooltip(alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{group}:N"), *_year_tip(rows)),
            description=alt.Description("label:N"),
        )
    )
    labels = (
        alt.Chart()
        .mark_text(align="left", dx=2, fontSize=9)
        .encode(y=y, yOffset=y_offset, x=alt.X(f"{value}:Q"), text=alt.Text("value_text:N"))
    )
    chart = alt.layer(bars, labels, data=base.source_data()).properties(
        width=base.WIDTH, height=alt.Step(GROUPED_STEP)
    )
    return base.finish(
        chart,
        rows,
        title=title,
        source=source,
        vintage=vintage,
        description=f"Grouped bar chart: {title}, {value} by {category} for {', '.join(groups)}",
        kind="grouped_bars",
    )


def top_shares(frame: pd.DataFrame, *, category: str, part: str, share: str, top: int) -> pd.DataFrame:
    """Each category's ``top`` largest parts by share, the rest summed as ``other``, shares renormalised.

    Rows with a missing or non-positive share are dropped; other columns keep their first value per
    category.
    """
    kept = frame[frame[share].notna() & (frame[share] > 0)]
    out = []
    for _, rows in kept.groupby(category, sort=False):
        rows = rows.sort_values(share, ascending=False)
        total = float(rows[share].sum())
        head = rows.head(top).copy()
        rest = total - float(head[share].sum())
        if rest > 0 and len(rows) > top:
            other = head.iloc[[0]].copy()
            other[part] = OTHER_LABEL
            other[share] = rest
            head = pd.concat([head, other], ignore_index=True)
        head[share] = head[share] / total
        head["order"] = range(len(head))
        out.append(head)
    return pd.concat(out, ignore_index=True) if out else kept.assign(order=[])


def top_shares_overall(
    frame: pd.DataFrame, *, category: str, part: str, share: str, top: int
) -> pd.DataFrame:
    """The ``top`` parts with the largest summed share over all categories, the rest as ``other``.

    Shares are first normalised to sum to 1 per category; parts are ranked by their summed normalised
    share (ties by name); in each category the other parts are summed into one ``other`` row. The
    ``order`` column is the part's overall rank (``other`` last), so a part keeps its place and its
    colour in every bar.
    """
    kept = frame[frame[share].notna() & (frame[share] > 0)]
    if kept.empty:
        return kept.assign(order=[])
    kept = kept.assign(**{share: kept[share] / kept.groupby(category, sort=False)[share].transform("sum")})
    totals = kept.groupby(part)[share].sum()
    ranked = sorted((p for p in totals.index if str(p) != OTHER_LABEL), key=lambda p: (-totals[p], str(p)))
    rank = {p: i for i, p in enumerate(ranked[:top])}
    out = []
    for _, rows in kept.groupby(category, sort=False):
        mine = rows[rows[part].isin(list(rank))].copy()
        rest = float(rows.loc[~rows[part].isin(list(rank)), share].sum())
        if rest > 0:
            other = rows.iloc[[0]].copy()
            other[part] = OTHER_LABEL
            other[share] = rest
            mine = pd.concat([mine, other], ignore_index=True)
        mine["order"] = [rank.get(p, len(rank)) for p in mine[part]]
        out.append(mine.sort_values("order", kind="stable"))
    return pd.concat(out, ignore_index=True)


def stacked_shares(
    frame: pd.DataFrame,
    *,
    category: str,
    part: str,
    share: str,
    title: str,
    source: str,
    vintage: str,
    year: str | None = None,
    top: int = 6,
    overall: bool = False,
) -> dict[str, Any]:
    """One bar per category split into its parts' shares (import sources of each mineral).

    Parameters
    ----------
    frame
        Long form, one row per category and part: columns ``category``, ``part``, ``share``.
    category, part, share
        Column names of the bars, their segments (the legend) and the shares.
    title, source, vintage, year
        As for :func:`bar`.
    top
        Largest parts shown per category; the rest become one ``other`` segment (grey). Shares are
        normalised to sum to 1 per bar.
    overall
        Choose the ``top`` parts over all bars (by their summed shares) instead of in each bar, so at
        most ``top`` colours and ``other`` appear and every part keeps its colour and place in every
        bar (see :func:`top_shares_overall`).

    Returns
    -------
    dict
        The Vega-Lite spec.
    """
    year_col = base.year_column(frame, year)
    keys = [category, *([year_col] if year_col else [])]
    pick = top_shares_overall if overall else top_shares
    shown = pick(
        frame.assign(_key=frame[keys].astype(str).agg("|".join, axis=1)),
        category="_key",
        part=part,
        share=share,
        top=top,
    )
    columns = [category, part, share, "order", *([year_col] if year_col else [])]
    rows = base.records(shown, columns)
    if year_col and year_col != base.YEAR:
        rows = base.renamed(rows, year_col, base.YEAR)
    rows = base.with_provenance(rows, shown, value=share, unit="share", source=source, vintage=vintage)
    rows = base.labelled(rows, category, part)
    if not rows:
        raise ValueError("frame: no positive shares to draw")
    ordered = sorted(rows, key=lambda r: r["order"]) if overall else rows
    parts = [p for p in dict.fromkeys(str(r[part]) for r in ordered) if p != OTHER_LABEL]
    colours = [*(base.PALETTE[i % len(base.PALETTE)] for i in range(len(parts))), base.OTHER]
    categories = list(dict.fromkeys(str(r[category]) for r in rows))
    chart = (
        alt.Chart(base.source_data())
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", sort=categories, title=None),
            x=alt.X(
                f"{share}:Q", stack="zero", axis=base.axis("share", "share"), scale=alt.Scale(domain=[0, 1])
            ),
            color=alt.Color(
                f"{part}:N",
                sort=[*parts, OTHER_LABEL],
                scale=alt.Scale(domain=[*parts, OTHER_LABEL], range=colours),
                legend=alt.Legend(title=None, orient="bottom", columns=4),
            ),
            order=alt.Order("order:Q"),
            tooltip=base.tooltip(alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{part}:N"), *_year_tip(rows)),
            description=alt.Description("label:N"),
        )
        .properties(width=base.WIDTH, height=alt.Step(BAR_STEP))
    )
    return base.finish(
        chart,
        rows,
        title=title,
        source=source,
        vintage=vintage,
        description=f"Stacked bar chart: {title}, share of each {part} in each {category}",
        kind="stacked_shares",
    )
