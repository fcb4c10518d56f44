"""The brief as one self-contained HTML page: inline SVG charts and maps, inline CSS, no scripts.

:func:`render` takes a :class:`~critmin.reports.brief.Brief` and returns the page. Its charts and
maps are the dashboard's Vega-Lite specs (:mod:`critmin.charts`), drawn as static SVG by
:func:`critmin.charts.render_svg`. Nothing in the page refers to anything outside the file (no
fonts, stylesheets, scripts or images to fetch), so it opens offline and prints to PDF as it is.
Every table and chart carries the sources and vintages of its figures.

The sections are built in :mod:`.summary` (key findings, shared exposures), :mod:`.supply` (who
supplies them, complementarity), :mod:`.disruption` (disruptions, stockpiles), :mod:`.sealanes`
(chokepoints) and :mod:`.studies` (projects, sourcing, methods), on the helpers of :mod:`.tables`;
the page template is ``critmin/reports/templates/brief.html.j2``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING

import jinja2

from critmin.reports.html.disruption import disruption, stockpiles
from critmin.reports.html.sealanes import sealanes
from critmin.reports.html.studies import methods, projects, sourcing
from critmin.reports.html.summary import shared, summary
from critmin.reports.html.supply import complementarity, supply
from critmin.reports.html.tables import Column, Names, Section, figure, pct, sources_of, table, tonnes

if TYPE_CHECKING:
    from critmin.reports.brief import Brief

__all__ = ["Column", "Section", "figure", "pct", "render", "sources_of", "table", "tonnes"]

TEMPLATE = "brief.html.j2"
SECTIONS: tuple[Callable[[Brief, Names], Section], ...] = (
    summary,
    shared,
    supply,
    complementarity,
    disruption,
    sealanes,
    stockpiles,
    projects,
    sourcing,
    methods,
)
"""The section builders, in the order of the page."""


def render(brief: Brief) -> str:
    """The brief as an HTML page (a string)."""
    names = Names(brief)
    sections = [build(brief, names) for build in SECTIONS]
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template), autoescape=True, undefined=jinja2.StrictUndefined
    )
    partners = [names.place(p) for p in brief.options.partners]
    return environment.get_template(TEMPLATE).render(
        title=f"Critical-mineral partnership brief: {' and '.join(partners)}",
        brief=brief,
        sections=sections,
        partners=partners,
    )


def _template(name: str) -> str:
    return resources.files("critmin.reports").joinpath("templates", name).read_text(encoding="utf-8")
