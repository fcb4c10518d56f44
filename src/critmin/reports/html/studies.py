"""The joint projects ranked, the risk–cost sourcing frontier, and the methodology and sources."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from critmin import charts
from critmin.reports.html.tables import Column, Names, Section, figure, pct, slug, sources_of, table

if TYPE_CHECKING:
    from critmin.reports.brief import Brief

SHOWN_SHARE = 0.005
"""Sourcing rows shown: suppliers with at least this current or least-risk share ..."""
TOP_SOURCING_ROWS = 15
"""... at most this many, largest current share first."""
PROJECT_SOURCE = "project source"
"""Provenance parts of the projects' own sources (left out where the table lists them)."""
PROJECT = "project "
"""Provenance parts naming the projects or their sources (left out of the chart's caption)."""
FRONTIER = "least-risk frontier"


def projects(brief: Brief, names: Names) -> Section:
    """The candidate projects ranked by the cut in the partners' summed CVaR95 per tonne of capacity."""
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
    data = sources_of(ranking.ranking["provenance"], leave_out=PROJECT)
    source = f"{data}; each project's own sources in the table below"
    if rows:
        bars = pd.DataFrame(
            {"project": [str(r["project"]) for r in rows], "cut_per_t": [r["cut_per_t"] for r in rows]}
        )
        section.blocks.append(
            figure(
                charts.bar(
                    bars,
                    category="project",
                    value="cut_per_t",
                    unit="t per t/yr",
                    title="CVaR95 cut per tonne a year of capacity (both partners)",
                    source=source,
                    vintage=data,
                    sort=None,
                ),
                "projects-chart",
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


def sourcing(brief: Brief, names: Names) -> Section:
    """Each partner's risk–cost frontier and its least-risk import shares against the current ones."""
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
        frontier = pd.DataFrame(
            {
                "cost": study.frontier["cost"].astype(float).to_numpy(),
                "cvar": study.frontier["cvar"].astype(float).to_numpy(),
                "series": FRONTIER,
            }
        )
        current = 0.0 if abs(study.current["cost"]) < 1e-12 else float(study.current["cost"])
        points = pd.DataFrame(
            {
                "cost": [current, float(study.optimum.cost)],
                "cvar": [float(study.current["cvar"]), float(study.optimum.cvar)],
                "label": ["current shares", "least risk"],
            }
        )
        section.blocks.append(
            figure(
                charts.lines(
                    frontier,
                    x="cost",
                    y="cvar",
                    series="series",
                    x_title="price premium over the current mix",
                    y_title="CVaR95 of the shortfall (share of needs)",
                    unit="share",
                    x_unit="share",
                    title=f"{who}: {names.network(study.network)}, CVaR95 against price premium",
                    source=study.provenance,
                    vintage=study.provenance,
                    points=points,
                ),
                f"frontier-{slug(partner)}",
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
    (
        "Figures",
        "Charts and maps are Vega-Lite specifications (the dashboard's own) drawn as static SVG by "
        "vl-convert; the maps use Natural Earth 1:110m outlines in the Equal Earth projection.",
    ),
)


def methods(brief: Brief, names: Names) -> Section:
    """The methods with their references, the run's parameters, the sources and the step times."""
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
