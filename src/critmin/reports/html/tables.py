"""What every section of the brief shares: sections, tables, figures, number formats, sources, names."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from critmin.charts import format_value, render_svg

if TYPE_CHECKING:
    from critmin.reports.brief import Brief


@dataclass
class Section:
    """One numbered section of the brief."""

    anchor: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    blocks: list[Markup] = field(default_factory=list)


@dataclass(frozen=True)
class Column:
    """A table column: header, row key, and how to format the value."""

    header: str
    key: str
    unit: str | None = None
    """``None``: text; else a :func:`~critmin.charts.format_value` unit (``share``, ``t``, ...)."""


def pct(value: float) -> str:
    """A share in [0, 1] as a percent."""
    return format_value(value, "share")


def tonnes(value: float) -> str:
    """Tonnes with separators."""
    return format_value(value, "t")


def _cell(value: Any, unit: str | None) -> tuple[str, bool]:
    if unit is None:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "", False
        if isinstance(value, bool):
            return ("yes" if value else "no"), False
        return str(value), False
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a", True
    return format_value(float(value), unit), True


def table(
    rows: Iterable[Mapping[Any, Any]], columns: Sequence[Column], *, caption: str, source: str
) -> Markup:
    """An accessible HTML table (caption, column headers) with its source line underneath."""
    head = "".join(f'<th scope="col">{html.escape(c.header)}</th>' for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            text, numeric = _cell(row.get(c.key), c.unit)
            cells.append(
                f'<td class="num">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}">No rows.</td></tr>')
    return Markup(
        f'<figure class="table"><table><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f'<figcaption class="source">Source: {html.escape(source)}</figcaption></figure>'
    )


def figure(spec: dict[str, Any], ident: str) -> Markup:
    """A chart or map: the Vega-Lite ``spec`` drawn as inline SVG (its title and source are inside).

    ``ident`` (unique on the page) prefixes the ids inside the SVG, so no two figures share one.
    """
    return Markup(f'<figure class="chart">{render_svg(spec, ident=ident)}</figure>')


def note(text: str) -> Markup:
    """A short remark under a table or figure."""
    return Markup(f"<p class='note'>{html.escape(text)}</p>")


def sources_of(values: Iterable[object], *, leave_out: str | None = None) -> str:
    """The distinct provenance strings, joined; parts starting with ``leave_out`` are dropped."""
    parts: list[str] = []
    for value in values:
        if isinstance(value, str) and value:
            parts.extend(p.strip() for p in value.split(";") if p.strip())
    if leave_out is not None:
        parts = [p for p in parts if not p.startswith(leave_out)]
    return "; ".join(dict.fromkeys(parts)) or "critmin computation"


def slug(text: object) -> str:
    """A code as an id fragment (``rare_earths`` -> ``rare-earths``)."""
    return "".join(c if c.isalnum() else "-" for c in str(text).lower()).strip("-") or "x"


class Names:
    """Display names of the brief's countries, minerals and trade networks."""

    def __init__(self, brief: Brief) -> None:
        self.places = brief.places
        self.minerals = brief.minerals

    def place(self, code: object) -> str:
        """A country's name (the code when it has none)."""
        return self.places.get(str(code), str(code))

    def mineral(self, code: object) -> str:
        """A mineral's name (the code, spaced, when it has none)."""
        return self.minerals.get(str(code), str(code).replace("_", " "))

    def network(self, label: object) -> str:
        """A trade network ``commodity/stage/year`` as ``Mineral (stage, year)``."""
        commodity, stage, year = [*str(label).split("/"), "", ""][:3]
        return f"{self.mineral(commodity)} ({stage}, {year})"


def partner_pair(brief: Brief) -> tuple[str, str]:
    """The first two partners."""
    return brief.options.partners[0], brief.options.partners[1]
