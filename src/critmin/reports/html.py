"""The brief as one self-contained HTML page: inline SVG charts and maps, inline CSS, no scripts.

:func:`render` takes a :class:`~critmin.reports.brief.Brief` and returns the page. Nothing in it
refers to anything outside the file (no fonts, stylesheets, scripts or images to fetch), so it
opens offline and prints to PDF as it is. Every table and chart carries the sources and vintages
of its figures.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd
from markupsafe import Markup

from critmin.reports import charts, worldmap
from critmin.reports.svgbase import format_value

if TYPE_CHECKING:
    from critmin.reports.brief import Brief

TEMPLATE = "brief.html.j2"
MAPS = 3
"""World production maps drawn (the first focus minerals)."""
TOP_SUPPLIERS = 6
SHOWN_SHARE = 0.005
"""Sourcing rows shown: suppliers with at least this current or least-risk share ..."""
TOP_SOURCING_ROWS = 15
PROJECT_SOURCE = "project source"
"""... at most this many, largest current share first."""


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
    """``None``: text; else a :func:`~critmin.reports.svgbase.format_value` unit (``share``, ``t``, ...)."""


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


def figure(svg: str) -> Markup:
    """An inline SVG chart or map (its title and source are inside the SVG)."""
    return Markup(f'<figure class="chart">{svg}</figure>')


def sources_of(values: Iterable[object], *, leave_out: str | None = None) -> str:
    """The distinct provenance strings, joined; parts starting with ``leave_out`` are dropped."""
    parts: list[str] = []
    for value in values:
        if isinstance(value, str) and value:
            parts.extend(p.strip() for p in value.split(";") if p.strip())
    if leave_out is not None:
        parts = [p for p in parts if not p.startswith(leave_out)]
    return "; ".join(dict.fromkeys(parts)) or "critmin computation"


class _Names:
    def __init__(self, brief: Brief) -> None:
        self.places = brief.places
        self.minerals = brief.minerals

    def place(self, code: object) -> str:
        return self.places.get(str(code), str(code))

    def mineral(self, code: object) -> str:
        return self.minerals.get(str(code), str(code).replace("_", " "))

    def network(self, label: object) -> str:
        commodity, stage, year = [*str(label).split("/"), "", ""][:3]
        return f"{self.mineral(commodity)} ({stage}, {year})"


def render(brief: Brief) -> str:
    """The brief as an HTML page (a string)."""
    names = _Names(brief)
    builders: list[Callable[[Brief, _Names], Section]] = [
        _summary,
        _shared,
        _supply,
        _complementarity,
        _disruption,
        _stockpiles,
        _projects,
        _sourcing,
        _methods,
    ]
    sections = [build(brief, names) for build in builders]
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


def _partner_pairs(brief: Brief) -> tuple[str, str]:
    return brief.options.partners[0], brief.options.partners[1]


def _summary(brief: Brief, names: _Names) -> Section:
    a, b = _partner_pairs(brief)
    section = Section("summary", "Key findings")
    points = []
    if not brief.shared.empty:
        top = ", ".join(names.mineral(c) for c in brief.shared["commodity"].head(5))
        points.append(f"Highest joint supply risk (EU method, {brief.year} trade): {top}.")
    if brief.losses is not None:
        table_ = brief.losses.result.summary
        for network in table_["network"].unique()[:1]:
            rows = table_[table_["network"] == network].set_index("country")
            figures = [
                f"{names.place(p)} {pct(float(rows.loc[p, 'cvar95_share']))}"
                for p in brief.options.partners
                if p in rows.index
            ]
            points.append(
                f"{names.network(network)}: in the worst 5% of {brief.options.draws:,} simulated years of "
                "supplier "
                f"disruptions the average loss of apparent consumption (CVaR95) is {', '.join(figures)}."
            )
        together = brief.losses.together
        both = together[together["p_all"] > 0]
        if not both.empty:
            row = both.sort_values("p_all", ascending=False).iloc[0]
            points.append(
                f"Both partners lose more than {pct(float(row['threshold']))} of their use of "
                f"{names.network(row['network'])} in the same year in {pct(float(row['p_all']))} of "
                "simulated years: "
                "much of their risk is shared."
            )
    if brief.projects is not None and not brief.projects.ranking.empty:
        best = brief.projects.ranking.iloc[0]
        points.append(
            f"Of {len(brief.projects.ranking)} candidate projects, {best['project']} cuts the partners' "
            "summed CVaR95 "
            f"most per tonne of capacity ({format_value(float(best['cut_per_t']), '')} t per t/yr)."
        )
    for partner, study in brief.sourcing.items():
        points.append(
            f"{names.place(partner)}'s {names.network(study.network)} imports: CVaR95 of the shortfall "
            f"{pct(study.current['cvar'])} of needs at current shares, {pct(study.optimum.cvar)} at the "
            "least-risk "
            "shares within suppliers' exports (first-order model)."
        )
    section.paragraphs = points
    section.blocks = [Markup(f"<p class='note'>{html.escape(n)}</p>") for n in brief.notes]
    _ = (a, b)
    return section


def _shared(brief: Brief, names: _Names) -> Section:
    a, b = _partner_pairs(brief)
    section = Section("shared", "Minerals both depend on")
    frame = brief.shared
    if frame.empty:
        section.paragraphs = ["No shared exposure could be computed."]
        return section
    section.paragraphs = [
        f"Minerals and stages both {names.place(a)} and {names.place(b)} import in {brief.year}, ranked by "
        "the lower "
        "of their two EU supply-risk scores (EU CRM methodology 2017, on BACI import shares, USGS "
        "production and "
        "WGI governance). A high joint score means both are exposed.",
        f"Lists: {names.place(a)}: {frame.attrs.get(f'list_{a}', 'none')}; {names.place(b)}: "
        f"{frame.attrs.get(f'list_{b}', 'none')}.",
    ]
    top = frame.head(12)
    labels = [f"{names.mineral(c)} ({s})" for c, s in zip(top["commodity"], top["stage"], strict=True)]
    section.blocks.append(
        figure(
            charts.grouped_bars(
                labels,
                {names.place(a): list(top[f"score_{a}"]), names.place(b): list(top[f"score_{b}"])},
                title=f"EU supply-risk score, {brief.year}",
                unit="",
                source=sources_of(top["provenance"]),
            )
        )
    )
    rows = [{**r, "mineral": names.mineral(r["commodity"])} for r in frame.to_dict("records")]
    section.blocks.append(
        table(
            rows,
            [
                Column("Mineral", "mineral"),
                Column("Stage", "stage"),
                Column(f"SR {a}", f"score_{a}", ""),
                Column(f"SR {b}", f"score_{b}", ""),
                Column("Joint", "joint_score", ""),
                Column(f"On {a}'s list", f"listed_{a}"),
                Column(f"On {b}'s list", f"listed_{b}"),
                Column("Common suppliers (share of each's imports)", "common_suppliers"),
            ],
            caption="Shared exposures (EU supply risk, SR)",
            source=sources_of(frame["provenance"]),
        )
    )
    return section


def _supply(brief: Brief, names: _Names) -> Section:
    section = Section("supply", "Who supplies them")
    partners = brief.options.partners
    section.paragraphs = [
        "Where each focus mineral is mined (share of world mine production, USGS) and where each partner "
        "buys it "
        "(share of its imports by supplier, BACI, tonnes where quantities cover the value, else USD)."
    ]
    production = brief.production
    for commodity in list(brief.options.focus)[:MAPS]:
        rows = production[production["commodity"] == commodity] if not production.empty else production
        if rows.empty:
            continue
        values = {str(c): float(s) for c, s in zip(rows["country"], rows["share"], strict=True)}
        year = int(rows["year"].iloc[0])
        estimated = " (estimated)" if bool(rows["estimated"].any()) else ""
        releases = sources_of(rows["release"])
        source = f"USGS Mineral Commodity Summaries, {releases}, mine production {year}{estimated}"
        missing = worldmap.unmapped(values)
        section.blocks.append(
            figure(
                worldmap.choropleth(
                    values,
                    title=f"{names.mineral(commodity)}: share of world mine production, {year}{estimated}",
                    unit="share",
                    source=source,
                    highlight=partners,
                    labels={c: f"{names.place(c)}: {pct(v)}" for c, v in values.items()},
                )
            )
        )
        if missing:
            section.blocks.append(
                Markup(
                    "<p class='note'>Not drawn (too small for the 1:110m map or not a country): "
                    + html.escape(", ".join(f"{names.place(c)} {pct(values[c])}" for c in missing))
                    + "</p>"
                )
            )
    if brief.joint is not None:
        shares = brief.joint.shares
        rows_by: dict[str, dict[str, float]] = {}
        for commodity in brief.options.focus:
            for partner in partners:
                mine = shares[(shares["importer"] == partner) & (shares["commodity"] == commodity)]
                for stage, group in mine.groupby("stage"):
                    label = f"{names.mineral(commodity)} ({stage}) · {partner}"
                    rows_by[label] = {
                        names.place(e): float(s)
                        for e, s in zip(group["exporter"], group["share"], strict=True)
                        if s > 0
                    }
        rows_by = {k: v for k, v in rows_by.items() if v}
        if rows_by:
            section.blocks.append(
                figure(
                    charts.stacked_shares(
                        rows_by,
                        title=f"Import sources of the focus minerals, {brief.year}",
                        source=sources_of(brief.joint.common["provenance"]),
                        top=TOP_SUPPLIERS,
                    )
                )
            )
    return section


def _complementarity(brief: Brief, names: _Names) -> Section:
    section = Section("complementarity", "How the partners' trade fits together")
    joint = brief.joint
    if joint is None:
        section.paragraphs = ["Not computed."]
        return section
    tci = joint.complementarity
    sentences = [
        f"{names.place(r['exporter'])}'s mineral exports match {names.place(r['importer'])}'s mineral "
        "imports with a "
        f"trade complementarity index of {format_value(float(r['tci']), '')} (0: no overlap, 100: "
        "identical mixes)."
        for r in tci.to_dict("records")
        if math.isfinite(float(r["tci"]))
    ]
    section.paragraphs = [
        *sentences,
        "What one partner exports that the other imports (overlap = the smaller of the two, USD), and "
        "third countries "
        "both could diversify to: exporters with at least 2% of world exports that hold under 5% of each "
        "partner's "
        "imports, ranked by world share, then WGI political stability.",
    ]
    listed = set().union(*brief.listed.values()) if brief.listed else set(joint.flows["commodity"])
    flows = [
        {
            **r,
            "mineral": names.mineral(r["commodity"]),
            "from": names.place(r["exporter"]),
            "to": names.place(r["importer"]),
        }
        for r in joint.flows[joint.flows["commodity"].isin(listed)].head(12).to_dict("records")
    ]
    section.blocks.append(
        table(
            flows,
            [
                Column("From", "from"),
                Column("To", "to"),
                Column("Mineral", "mineral"),
                Column("Stage", "stage"),
                Column("Exports (USD)", "exports_usd", "USD"),
                Column("Imports (USD)", "imports_usd", "USD"),
                Column("Traded between them (USD)", "bilateral_usd", "USD"),
                Column("Overlap (USD)", "overlap_usd", "USD"),
            ],
            caption=f"Complementary flows in minerals on either partner's list, {joint.year}",
            source=sources_of(joint.flows["provenance"]),
        )
    )
    cands = joint.candidates
    cands = cands[cands["commodity"].isin(brief.options.focus) & (cands["rank"] <= 3)]
    rows = [
        {**r, "mineral": names.mineral(r["commodity"]), "country": names.place(r["candidate"])}
        for r in cands.to_dict("records")
    ]
    a, b = _partner_pairs(brief)
    section.blocks.append(
        table(
            rows,
            [
                Column("Mineral", "mineral"),
                Column("Stage", "stage"),
                Column("Candidate", "country"),
                Column("World export share", "world_share", "share"),
                Column("WGI political stability", "governance_score", ""),
                Column(f"Share of {a}'s imports", f"{a}_share", "share"),
                Column(f"Share of {b}'s imports", f"{b}_share", "share"),
            ],
            caption="Diversification candidates for the focus minerals (top 3 each)",
            source=sources_of(cands["provenance"]),
        )
    )
    return section


def _disruption(brief: Brief, names: _Names) -> Section:
    section = Section("disruption", "Disruptions: history replayed and simulated years")
    partners = brief.options.partners
    scenarios = brief.scenarios
    section.paragraphs = [
        "Each shipped scenario is a historical export restriction, run on the trade network of its year "
        "and replayed "
        f"on {brief.year}'s; the loss is the cut in apparent consumption after the shock cascades through "
        "the trade "
        "network (after Marchand et al. 2016)."
    ]
    if not scenarios.empty:
        rows = [{**r, "country": names.place(r["partner"])} for r in scenarios.to_dict("records")]
        section.blocks.append(
            table(
                rows,
                [
                    Column("Scenario", "name"),
                    Column("Run", "run"),
                    Column("Network year", "year", ""),
                    Column("Partner", "country"),
                    Column("Loss", "loss_t", "t"),
                    Column("Share of consumption", "loss_share", "share"),
                    Column("Note", "note"),
                ],
                caption="Shipped scenarios: each partner's loss",
                source=sources_of(scenarios["provenance"]),
            )
        )
    if brief.losses is None:
        return section
    summary = brief.losses.result.summary
    opts = brief.options
    section.paragraphs.append(
        f"Monte Carlo: {opts.draws:,} simulated years (seed {opts.seed}) in which each exporter is "
        "disrupted with a "
        "probability from its WGI political stability (1% to 20%) and withholds a Beta-distributed share "
        "of its "
        "exports (mean 30%); both partners face the same draws."
    )
    networks = list(summary["network"].unique())
    section.blocks.append(
        figure(
            charts.grouped_bars(
                [names.network(n) for n in networks],
                {names.place(p): [_value(summary, n, p, "cvar95_share") for n in networks] for p in partners},
                title="CVaR95: mean loss in the worst 5% of simulated years, share of apparent consumption",
                unit="share",
                source=sources_of(summary["provenance"]),
            )
        )
    )
    rows = [
        {**r, "mineral": names.network(r["network"]), "partner": names.place(r["country"])}
        for r in summary.to_dict("records")
    ]
    section.blocks.append(
        table(
            rows,
            [
                Column("Network", "mineral"),
                Column("Partner", "partner"),
                Column("Apparent consumption", "consumption_t", "t"),
                Column("Expected loss", "expected_loss_t", "t"),
                Column("CVaR95", "cvar95_t", "t"),
                Column("CVaR95 share", "cvar95_share", "share"),
                Column("P(loss > 10%)", "p_loss_above_10pct", "share"),
            ],
            caption="Simulated losses per partner",
            source=sources_of(summary["provenance"]),
        )
    )
    together = brief.losses.together
    rows = [{**r, "mineral": names.network(r["network"])} for r in together.to_dict("records")]
    section.blocks.append(
        table(
            rows,
            [
                Column("Network", "mineral"),
                *[Column(f"P({p} loses > 5%)", f"p_{p}", "share") for p in partners],
                Column("P(both in the same year)", "p_all", "share"),
                Column("Correlation of losses", "correlation", ""),
            ],
            caption="Shared losses: how often the partners lose together",
            source=sources_of(together["provenance"]),
        )
    )
    contributions = brief.losses.result.contributions
    top = contributions.sort_values("contribution_t", ascending=False).groupby(["network", "country"]).head(3)
    rows = [
        {
            **r,
            "mineral": names.network(r["network"]),
            "partner": names.place(r["country"]),
            "from": names.place(r["supplier"]),
        }
        for r in top.sort_values(["network", "country"]).to_dict("records")
    ]
    section.blocks.append(
        table(
            rows,
            [
                Column("Network", "mineral"),
                Column("Partner", "partner"),
                Column("Supplier", "from"),
                Column("Disruption probability", "probability", "share"),
                Column("Contribution to CVaR95", "contribution_t", "t"),
                Column("Share of CVaR95", "share_of_cvar95", "share"),
            ],
            caption="Where the tail risk comes from: the three largest contributions per partner",
            source=sources_of(top["provenance"]),
        )
    )
    return section


def _value(frame: pd.DataFrame, network: str, country: str, column: str) -> float | None:
    rows = frame[(frame["network"] == network) & (frame["country"] == country)]
    if rows.empty:
        return None
    value = float(rows[column].iloc[0])
    return value if math.isfinite(value) else None


def _stockpiles(brief: Brief, names: _Names) -> Section:
    section = Section("stockpiles", "Stockpiles")
    frame = brief.stockpiles
    section.paragraphs = [
        f"The stock that covers the simulated loss in {pct(brief.options.coverage)} of years, per partner "
        "and pooled "
        "(one stock either partner draws on). Pooling saves when the partners rarely lose in the same year; "
        "quantiles are not additive, so the saving can be zero."
    ]
    if frame.empty:
        return section
    rows = [
        {
            **r,
            "mineral": names.network(r["network"]),
            "who": names.place(r["partner"]) if r["partner"] != "POOLED" else f"Pooled ({r['members']})",
        }
        for r in frame.to_dict("records")
    ]
    section.blocks.append(
        table(
            rows,
            [
                Column("Network", "mineral"),
                Column("Holder", "who"),
                Column("Apparent consumption", "consumption_t", "t"),
                Column("Stock", "stock_t", "t"),
                Column("Days of cover", "days_of_cover", "days"),
                Column("Pooling saving", "pooling_saving_t", "t"),
                Column("Note", "note"),
            ],
            caption=f"Stockpile sizes for {pct(brief.options.coverage)} coverage",
            source=sources_of(frame["provenance"]),
        )
    )
    return section


def _projects(brief: Brief, names: _Names) -> Section:
    section = Section("projects", "Joint projects ranked")
    ranking = brief.projects
    section.paragraphs = [
        "Each candidate (a real announced or operating project; capacities and offtakes from the sources "
        "in the "
        "project file, assumptions marked there) is added to a copy of its mineral's trade network, its "
        "contracted "
        "sales replacing the buyers' other imports. Ranked by the cut in the partners' summed CVaR95 per "
        "tonne a year "
        "of capacity, on the same simulated years before and after."
    ]
    if ranking is None:
        return section
    rows = [
        {**r, "where": names.place(r["country"]), "mineral": names.mineral(r["commodity"])}
        for r in ranking.ranking.to_dict("records")
    ]
    section.blocks.append(
        figure(
            charts.bar_chart(
                [(str(r["project"]), float(r["cut_per_t"])) for r in rows],
                title="CVaR95 cut per tonne a year of capacity (both partners)",
                unit="t per t/yr",
                source=sources_of(ranking.ranking["provenance"], leave_out=PROJECT_SOURCE)
                + "; each project's own sources in the table below",
            )
        )
    )
    section.blocks.append(
        table(
            rows,
            [
                Column("Rank", "rank", ""),
                Column("Project", "project"),
                Column("Country", "where"),
                Column("Mineral", "mineral"),
                Column("Capacity (t/yr)", "capacity_t", "t"),
                Column("CVaR95 before", "cvar95_before_t", "t"),
                Column("CVaR95 cut", "cvar95_cut_t", "t"),
                Column("Cut", "cvar95_cut_share", "share"),
            ],
            caption="Candidate projects",
            source=sources_of(ranking.ranking["provenance"]),
        )
    )
    evaluation = ranking.evaluation
    rows = [{**r, "who": names.place(r["partner"])} for r in evaluation.to_dict("records")]
    section.blocks.append(
        table(
            rows,
            [
                Column("Project", "project"),
                Column("Partner", "who"),
                Column("Offtake", "offtake_share", "share"),
                Column("Import HHI before", "import_hhi_before", ""),
                Column("after", "import_hhi_after", ""),
                Column("CVaR95 share before", "cvar95_share_before", "share"),
                Column("after", "cvar95_share_after", "share"),
            ],
            caption="Each partner before and after",
            source=sources_of(evaluation["provenance"], leave_out=PROJECT_SOURCE)
            + "; project sources as in the table above",
        )
    )
    return section


def _sourcing(brief: Brief, names: _Names) -> Section:
    section = Section("sourcing", "Sourcing: the risk–cost frontier")
    section.paragraphs = [
        "The import shares that minimise the CVaR95 of the shortfall (Rockafellar–Uryasev linear "
        "programme, HiGHS), "
        "for each price-premium budget. The premium is each supplier's BACI unit value over the current "
        "mix's "
        "average (the current shares cost 0). Suppliers are limited to their exports. First-order model: "
        "lost "
        "deliveries are not replaced within the year."
    ]
    for partner, study in brief.sourcing.items():
        who = names.place(partner)
        frontier = study.frontier
        points = [
            (
                0.0 if abs(study.current["cost"]) < 1e-12 else study.current["cost"],
                study.current["cvar"],
                "current shares",
            )
        ]
        points.append((study.optimum.cost, study.optimum.cvar, "least risk"))
        section.blocks.append(
            figure(
                charts.line_chart(
                    {
                        "frontier": list(
                            zip(frontier["cost"].astype(float), frontier["cvar"].astype(float), strict=True)
                        )
                    },
                    title=f"{who}: {names.network(study.network)}, CVaR95 against price premium",
                    x_label="price premium over the current mix",
                    y_label="CVaR95 of the shortfall (share of needs)",
                    source=study.provenance,
                    points=points,
                    x_format=lambda v: format_value(v, "share"),
                    y_format=lambda v: format_value(v, "share"),
                )
            )
        )
        shares = study.suppliers.assign(
            optimal=study.optimum.weights[
                [study.optimum.suppliers.index(s) for s in study.suppliers["supplier"]]
            ]
        )
        larger = shares[["current_share", "optimal"]].max(axis=1)
        shares = shares[larger > SHOWN_SHARE].head(TOP_SOURCING_ROWS)
        rows = [{**r, "who": names.place(r["supplier"])} for r in shares.to_dict("records")]
        section.blocks.append(
            table(
                rows,
                [
                    Column("Supplier", "who"),
                    Column("Current share", "current_share", "share"),
                    Column("Least-risk share", "optimal", "share"),
                    Column("Exports / needs", "capacity_share", ""),
                    Column("Unit value (USD/t)", "unit_value_usd_t", "USD/t"),
                    Column("Premium", "premium", "share"),
                    Column("Disruption probability", "probability", "share"),
                ],
                caption=f"{who}: current and least-risk shares ({study.draws:,} draws, seed {study.seed})",
                source=study.provenance,
            )
        )
    return section


METHODS = (
    (
        "Supply risk",
        "EU criticality methodology (European Commission 2017, Methodology for establishing the EU list of "
        "critical "
        "raw materials): SR = (HHI of global supply weighted by WGI governance) × import reliance, on the "
        "partner's "
        "own imports.",
    ),
    (
        "Trade complementarity",
        "Michaely (1996), World Bank WITS: TC = 100 (1 − ½ Σ|m_ik − x_jk|) over the catalog's HS codes.",
    ),
    (
        "Cascade",
        "Marchand et al. (2016), Fragility of the global food trade network, Environmental Research Letters "
        "11:095009, adapted to minerals: a short country absorbs half its shortfall and passes the rest on "
        "by cutting "
        "exports and asking its other suppliers for more.",
    ),
    (
        "Disruptions",
        "Each exporter's annual disruption probability p = 0.01 + 0.19 Φ(−pv), pv its WGI political "
        "stability "
        "estimate; severity Beta with mean 0.3. An assumption, not a fit to past disruptions.",
    ),
    (
        "Sourcing optimiser",
        "Rockafellar and Uryasev (2000), Optimization of conditional value-at-risk, Journal of Risk 2(3): "
        "21–41; "
        "solved with SciPy's HiGHS with exact constraint generation.",
    ),
    (
        "Stockpiles",
        "The p-quantile of the simulated annual losses, per partner and of their sum (pooled).",
    ),
)


def _methods(brief: Brief, names: _Names) -> Section:
    section = Section("methods", "Methodology and sources")
    opts = brief.options
    section.paragraphs = [f"{title}: {text}" for title, text in METHODS]
    section.paragraphs.append(
        f"Run: critmin {brief.version}, generated {brief.generated}; partners {', '.join(opts.partners)}; "
        f"trade year {brief.year}; {opts.draws:,} Monte Carlo draws, {opts.sourcing_draws:,} for sourcing; "
        "seed "
        f"{opts.seed}; stock coverage {pct(opts.coverage)}."
    )
    rows = [{**r, "released": str(r["release_date"])[:10]} for r in brief.sources.to_dict("records")]
    section.blocks.append(
        table(
            rows,
            [
                Column("Source", "source"),
                Column("Release", "release"),
                Column("Released", "released"),
                Column("Files", "files", ""),
                Column("Licence", "licence"),
                Column("Citation", "citation"),
                Column("URL", "url"),
            ],
            caption="Data sources and vintages in the store",
            source="the store's vintage register (critmin data status)",
        )
    )
    timings = [{"step": k, "seconds": v} for k, v in brief.timings.items()]
    section.blocks.append(
        table(
            timings,
            [Column("Step", "step"), Column("Seconds", "seconds", "s")],
            caption="Computation time",
            source="this run",
        )
    )
    return section
