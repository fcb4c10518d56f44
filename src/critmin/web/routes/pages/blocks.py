"""Building blocks of the pages: sourced tables, charts, notes and sections.

A table is described in Python (:class:`Col` per column, rows from a frame) and written by the
``parts/table.html.j2`` macro; numeric cells carry their exact value in ``data-value`` (the
float's repr), so a test can compare a number on the page with the library's, and the page's
script can download the table as CSV. Charts are Vega-Lite specs from :mod:`critmin.charts`,
embedded by ``static/charts.js``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from markupsafe import Markup

from critmin.charts import format_value
from critmin.charts.html import chart_block
from critmin.harmonize.countries import aggregate_places
from critmin.web.routes.pages.render import environment

SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Col:
    """A table column: header, row key, unit (``None``: text), optional link."""

    header: str
    key: str
    unit: str | None = None
    href: Callable[[Mapping[str, Any]], str | None] | None = None


@dataclass(frozen=True)
class Cell:
    """One cell as the template writes it."""

    text: str
    field: str
    numeric: bool = False
    value: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class Row:
    """One row: the value of the key column (``data-<key>``) and its cells."""

    mark: str
    cells: list[Cell]


@dataclass(frozen=True)
class TableView:
    """What the table macro needs."""

    caption: str
    source: str
    headers: list[str]
    rows: list[Row]
    key: str | None
    ident: str | None
    download: str


@dataclass
class Section:
    """One titled part of a page."""

    anchor: str
    title: str
    blocks: list[Markup] = field(default_factory=list)


def slug(text: str) -> str:
    """A file-name-safe lower-case form of ``text``."""
    return SLUG.sub("-", text.lower()).strip("-")[:80] or "table"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts with string keys."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def finite(value: Any) -> bool:
    """Whether ``value`` is a real, finite number (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(float(value))


def _cell(row: Mapping[str, Any], column: Col) -> Cell:
    value = row.get(column.key)
    if column.unit is not None:
        if value is not None and finite(value):
            number = float(value)
            return Cell(format_value(number, column.unit), column.key, True, repr(number))
        return Cell("n/a", column.key, True)
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    shown = "" if missing else ("yes" if value is True else "no" if value is False else str(value))
    href = column.href(row) if column.href is not None and shown else None
    return Cell(shown, column.key, href=href)


def table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Col],
    *,
    caption: str,
    source: str,
    key: str | None = None,
    ident: str | None = None,
) -> Markup:
    """An accessible table with caption and source footnote, downloadable as CSV.

    ``key`` names the column whose value marks each row and cell (``data-country="JPN"``).
    """
    view = TableView(
        caption=caption,
        source=source,
        headers=[c.header for c in columns],
        rows=[Row(str(r[key]) if key else "", [_cell(r, c) for c in columns]) for r in rows],
        key=key,
        ident=ident,
        download=f"{slug(ident or caption)}.csv",
    )
    macro = environment().get_template("parts/table.html.j2").module.table  # type: ignore[attr-defined]
    return Markup(macro(view))


def chart(spec: Mapping[str, Any], ident: str, *, year: int | None = None) -> Markup:
    """A Vega-Lite chart, embedded in the page by ``static/charts.js``.

    ``year`` (the page's year, from its URL) is the year selector's starting value when the chart
    has a selector offering that year; otherwise the selector starts at the latest year.
    """
    return chart_block(with_year(dict(spec), year), ident)


def with_year(spec: dict[str, Any], year: int | None) -> dict[str, Any]:
    """``spec`` with its year selector starting at ``year`` (when it offers that year)."""
    meta = spec.get("usermeta", {}).get("critmin", {})
    name = meta.get("year_param")
    if year is None or name is None or year not in meta.get("years", []):
        return spec
    params = [dict(p, value=year) if p.get("name") == name else p for p in spec.get("params", [])]
    return {**spec, "params": params}


def note(text: str) -> Markup:
    """A short paragraph of explanation."""
    return Markup('<p class="note">{}</p>').format(text)


def heading(text: str) -> Markup:
    """A sub-heading inside a section."""
    return Markup("<h3>{}</h3>").format(text)


def sources_of(values: Iterable[object]) -> str:
    """The distinct provenance strings of a column, joined."""
    parts: list[str] = []
    for value in values:
        if isinstance(value, str) and value:
            parts.extend(p.strip() for p in value.split(";") if p.strip())
    return "; ".join(dict.fromkeys(parts)) or "critmin computation"


def mineral_href(row: Mapping[str, Any]) -> str:
    """The link to a row's mineral page."""
    return f"/minerals/{row['commodity']}"


def country_href(field: str) -> Callable[[Mapping[str, Any]], str | None]:
    """The link to the country page of a row's ``field``; none for an aggregate ("OTH", "USA+CAN")."""

    def href(row: Mapping[str, Any]) -> str | None:
        code = str(row[field])
        return None if code in aggregate_places() else f"/countries/{code}"

    return href
