"""Disruptions (the shipped scenarios replayed, the Monte Carlo of supplier disruptions) and stockpiles."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from critmin import charts
from critmin.reports.html.tables import Column, Names, Section, figure, pct, sources_of, table

if TYPE_CHECKING:
    from critmin.reports.brief import Brief


def disruption(brief: Brief, names: Names) -> Section:
    """Each shipped scenario's losses, and the simulated losses per partner and together."""
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
    cvar = pd.DataFrame(
        [
            {"network": names.network(n), "partner": names.place(p), "cvar95_share": _value(summary, n, p)}
            for n in summary["network"].unique()
            for p in partners
        ]
    )
    provenance = sources_of(summary["provenance"])
    section.blocks.append(
        figure(
            charts.grouped_bars(
                cvar,
                category="network",
                value="cvar95_share",
                group="partner",
                unit="share",
                x_title="CVaR95, share of apparent consumption",
                title="CVaR95: mean loss in the worst 5% of simulated years, share of apparent consumption",
                source=provenance,
                vintage=provenance,
            ),
            "cvar-chart",
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


def _value(frame: pd.DataFrame, network: str, country: str) -> float | None:
    """A partner's CVaR95 share in one network (``None``: not simulated, or not finite)."""
    rows = frame[(frame["network"] == network) & (frame["country"] == country)]
    if rows.empty:
        return None
    value = float(rows["cvar95_share"].iloc[0])
    return value if math.isfinite(value) else None


def stockpiles(brief: Brief, names: Names) -> Section:
    """The stock covering the simulated loss in most years, per partner and pooled."""
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
