"""Sea lanes: how much of the partners' focus-mineral imports passes each chokepoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from critmin import charts
from critmin.reports.html.tables import Column, Names, Section, figure, note, sources_of, table

if TYPE_CHECKING:
    from critmin.reports.brief import Brief

SHOWN_SHARE = 0.01
"""Rows of the table: a chokepoint carrying at least this share of a mineral's imports."""


def sealanes(brief: Brief, names: Names) -> Section:
    """Per partner, the share of its focus-mineral imports (by value) through each chokepoint."""
    section = Section("sealanes", "Sea lanes and chokepoints")
    section.paragraphs = [
        "The share of each partner's imports of the focus minerals that sails through each strait or "
        "canal, by value (BACI trade; each flow on its shortest sea route between the two countries' "
        "ports on searoute's maritime network; overland and unrouted flows count in the totals). A "
        "closure of one is a scenario (critmin scenario run hormuz_closure_90d)."
    ]
    rows = brief.chokepoints
    if rows.empty:
        section.blocks.append(note("No focus-mineral import of the partners passes a chokepoint."))
        return section
    provenance = sources_of(rows["provenance"])
    overall = _overall(rows, names)
    section.blocks.append(
        figure(
            charts.grouped_bars(
                overall,
                category="chokepoint_name",
                value="share",
                group="name",
                unit="share",
                title=f"Focus-mineral imports through each chokepoint, {brief.year}, share of value",
                source=provenance,
                vintage=sources_of(rows["release"]),
            ),
            "chokepoints",
        )
    )
    shown = rows[rows["share_usd"] >= SHOWN_SHARE].assign(
        name=[names.place(p) for p in rows.loc[rows["share_usd"] >= SHOWN_SHARE, "partner"]],
        mineral=[names.mineral(c) for c in rows.loc[rows["share_usd"] >= SHOWN_SHARE, "commodity"]],
    )
    columns = [
        Column("Partner", "name"),
        Column("Mineral", "mineral"),
        Column("Stage", "stage"),
        Column("Chokepoint", "chokepoint_name"),
        Column("Share of value", "share_usd", "share"),
        Column("Share of tonnes", "share_t", "share"),
        Column("Value through it", "value_usd", "USD"),
    ]
    section.blocks.append(
        table(
            shown.to_dict("records"),
            columns,
            caption=f"Focus-mineral imports through a chokepoint (at least {SHOWN_SHARE:.0%}), {brief.year}",
            source=provenance,
        )
    )
    return section


def _overall(rows: pd.DataFrame, names: Names) -> pd.DataFrame:
    """Per partner and chokepoint: value through it over the value of all focus-mineral imports."""
    totals = rows.drop_duplicates(["partner", "commodity", "stage"]).groupby("partner")["imports_usd"].sum()
    through = rows.groupby(["partner", "chokepoint_name"])["value_usd"].sum().reset_index()
    through["share"] = through["value_usd"] / through["partner"].map(totals)
    through["name"] = [names.place(p) for p in through["partner"]]
    return through.sort_values(["chokepoint_name", "partner"])
