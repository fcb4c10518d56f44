"""The brief's first sections: the key findings, and the minerals both partners depend on."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from critmin import charts
from critmin.charts import format_value
from critmin.reports.html.tables import (
    Column,
    Names,
    Section,
    figure,
    note,
    partner_pair,
    pct,
    sources_of,
    table,
)

if TYPE_CHECKING:
    from critmin.reports.brief import Brief

SHARED_BARS = 12
"""Minerals in the supply-risk chart (the table lists them all)."""


def summary(brief: Brief, names: Names) -> Section:
    """Key findings: the headline figures of the sections below, in sentences."""
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
    section.blocks = [note(n) for n in brief.notes]
    return section


def shared(brief: Brief, names: Names) -> Section:
    """The minerals both partners import, by the lower of their two EU supply-risk scores."""
    a, b = partner_pair(brief)
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
    top = frame.head(SHARED_BARS)
    labels = [f"{names.mineral(c)} ({s})" for c, s in zip(top["commodity"], top["stage"], strict=True)]
    long = pd.concat(
        [
            pd.DataFrame({"mineral": labels, "partner": names.place(p), "score": list(top[f"score_{p}"])})
            for p in (a, b)
        ],
        ignore_index=True,
    )
    source = sources_of(top["provenance"])
    section.blocks.append(
        figure(
            charts.grouped_bars(
                long,
                category="mineral",
                value="score",
                group="partner",
                unit="",
                title=f"EU supply-risk score, {brief.year}",
                x_title="supply-risk score (EU method)",
                source=source,
                vintage=source,
            ),
            "shared-chart",
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
