"""Who supplies the partners (production maps, import sources) and how their trade fits together."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
from markupsafe import Markup

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
    slug,
    sources_of,
    table,
)

if TYPE_CHECKING:
    from critmin.reports.brief import Brief

MAPS = 3
"""World production maps drawn (the first focus minerals)."""
TOP_SUPPLIERS = 6
"""Suppliers with their own colour in the import-sources chart (the largest over all its bars); the
rest are summed as ``other`` in each bar."""


def supply(brief: Brief, names: Names) -> Section:
    """World mine-production maps of the first focus minerals, and each partner's import sources."""
    section = Section("supply", "Who supplies them")
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
        section.blocks.extend(_production_map(brief, names, commodity, rows))
    if brief.joint is not None:
        sources = _import_sources(brief, names)
        if not sources.empty:
            provenance = sources_of(brief.joint.common["provenance"])
            section.blocks.append(
                figure(
                    charts.stacked_shares(
                        sources,
                        category="row",
                        part="supplier",
                        share="share",
                        title=f"Import sources of the focus minerals, {brief.year}",
                        source=provenance,
                        vintage=provenance,
                        top=TOP_SUPPLIERS,
                        overall=True,
                    ),
                    "import-sources",
                )
            )
    return section


def _production_map(brief: Brief, names: Names, commodity: str, rows: pd.DataFrame) -> list[Markup]:
    """The world map of one mineral's mine production, and a note listing the countries not drawn."""
    values = {str(c): float(s) for c, s in zip(rows["country"], rows["share"], strict=True)}
    year = int(rows["year"].iloc[0])
    estimated = " (estimated)" if bool(rows["estimated"].any()) else ""
    releases = sources_of(rows["release"])
    source = f"USGS Mineral Commodity Summaries, {releases}, mine production {year}{estimated}"
    frame = pd.DataFrame(
        {"iso3": list(values), "share": list(values.values()), "name": [names.place(c) for c in values]}
    )
    blocks = [
        figure(
            charts.choropleth(
                frame,
                iso3="iso3",
                value="share",
                unit="share",
                title=f"{names.mineral(commodity)}: share of world mine production, {year}{estimated}",
                source=source,
                vintage=releases,
                label="name",
                highlight=brief.options.partners,
            ),
            f"map-{slug(commodity)}",
        )
    ]
    missing = charts.unmapped(values)
    if missing:
        blocks.append(
            note(
                "Not drawn (too small for the 1:110m map or not a country): "
                + ", ".join(f"{names.place(c)} {pct(values[c])}" for c in missing)
            )
        )
    return blocks


def _import_sources(brief: Brief, names: Names) -> pd.DataFrame:
    """Long form: one row per focus mineral, stage and partner (``row``) and supplier, with its share."""
    assert brief.joint is not None
    shares = brief.joint.shares
    out: list[dict[str, object]] = []
    for commodity in brief.options.focus:
        for partner in brief.options.partners:
            mine = shares[(shares["importer"] == partner) & (shares["commodity"] == commodity)]
            for stage, group in mine.groupby("stage"):
                label = f"{names.mineral(commodity)} ({stage}) · {partner}"
                out.extend(
                    {"row": label, "supplier": names.place(e), "share": float(s)}
                    for e, s in zip(group["exporter"], group["share"], strict=True)
                    if s > 0
                )
    return pd.DataFrame(out, columns=["row", "supplier", "share"])


def complementarity(brief: Brief, names: Names) -> Section:
    """The trade complementarity index both ways, complementary flows and diversification candidates."""
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
    a, b = partner_pair(brief)
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
