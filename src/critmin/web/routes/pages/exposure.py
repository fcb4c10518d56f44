"""What the overview and the country page share: a country's exposures as a chart, a map and a table."""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from critmin import charts, services
from critmin.web.routes.pages.blocks import (
    Col,
    chart,
    country_href,
    mineral_href,
    note,
    records,
    sources_of,
    table,
)
from critmin.web.routes.pages.lookups import METHODS, Lookups

TOP_BARS = 12
TOP_FLOWS = 15
DEFAULT_MIN_IMPORTS_T = 100.0
"""The overview maps by default the most critical mineral the country imports at least this much of."""


def exposure_columns(method: str) -> list[Col]:
    """The columns of an exposures table."""
    return [
        Col("Mineral", "mineral", href=mineral_href),
        Col("Stage", "stage"),
        Col(METHODS[method], "score", ""),
        Col("Import reliance", "import_reliance", "share"),
        Col("Imports", "imports_t", "t"),
        Col("Import HHI", "import_hhi", ""),
        Col("Top supplier", "top1_name", href=country_href("top1_exporter")),
        Col("Top supplier share", "top1_share", "share"),
        Col("Imports from weakly governed suppliers", "share_weak_governance", "share"),
        Col("On national list", "listed"),
    ]


def named(frame: pd.DataFrame, names: Lookups) -> pd.DataFrame:
    """``frame`` with readable ``mineral`` and ``top1_name`` columns beside the codes."""
    out = frame.copy()
    out["mineral"] = [names.minerals.get(str(c), str(c)) for c in out["commodity"]]
    if "top1_exporter" in out.columns:
        out["top1_name"] = [names.label(e) if isinstance(e, str) else None for e in out["top1_exporter"]]
    return out


def exposures_table(profile: pd.DataFrame, names: Lookups, *, method: str, caption: str) -> Markup:
    """A country's exposures, most critical first."""
    return table(
        records(named(profile, names)),
        exposure_columns(method),
        caption=caption,
        source=sources_of(profile["provenance"]) if len(profile) else "critmin computation",
        key="commodity",
        ident="exposures-table",
    )


def releases_of(frame: pd.DataFrame, column: str = "provenance") -> str:
    """The distinct sources and releases behind a frame's rows."""
    return sources_of(frame[column]) if column in frame.columns and len(frame) else "critmin computation"


def criticality_chart(names: Lookups, iso3: str, method: str, year: int) -> Markup | None:
    """The country's most critical minerals by the method's score, one set of bars per year."""
    frames = []
    for each in names.years:
        profile = services.exposures(names.db, iso3, year=each, method=method)
        scored = profile[profile["score"].notna()].head(TOP_BARS)
        frames.append(scored)
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if data.empty:
        return None
    data = named(data, names)
    data["label"] = [f"{m} ({s})" for m, s in zip(data["mineral"], data["stage"], strict=True)]
    spec = charts.bar(
        data,
        category="label",
        value="score",
        unit="",
        title=f"{names.label(iso3)}: top minerals by {METHODS[method]}",
        source=f"{METHODS[method]} on {releases_of(data)}",
        vintage=names.vintages,
        year="year",
    )
    return chart(spec, "criticality-chart", year=year)


def default_mineral(profile: pd.DataFrame) -> str | None:
    """The most critical mineral imported in earnest (``DEFAULT_MIN_IMPORTS_T``), else the most critical."""
    imported = profile[profile["top1_exporter"].notna()]
    if imported.empty:
        return None
    if "imports_t" in imported.columns:
        earnest = imported[imported["imports_t"].fillna(0) >= DEFAULT_MIN_IMPORTS_T]
        if not earnest.empty:
            return str(earnest["commodity"].iloc[0])
    return str(imported["commodity"].iloc[0])


def supplier_blocks(names: Lookups, iso3: str, commodity: str, stage: str, year: int) -> list[Markup]:
    """Where the country's imports of one mineral come from: a map over the years and a table."""
    sources = services.import_sources(names.db, iso3, commodity=commodity)
    sources = sources[(sources["stage"] == stage) & (sources["share"] > 0)]
    name, mineral = names.label(iso3), names.minerals.get(commodity, commodity)
    if sources.empty:
        return [note(f"No imports of {mineral} ({stage}) by {name} in the trade data.")]
    sources = sources.assign(name=[names.label(e) for e in sources["exporter"]])
    blocks = [
        chart(
            charts.choropleth(
                sources,
                iso3="exporter",
                value="share",
                unit="share",
                title=f"{name}: where its {mineral} ({stage}) imports come from",
                source=f"CEPII BACI {releases_of(sources, 'release')} (tonnes where quantities cover "
                "the value, else USD)",
                vintage=releases_of(sources, "release"),
                year="year",
                label="name",
            ),
            "suppliers-map",
            year=year,
        )
    ]
    this_year = sources[sources["year"] == year].sort_values("share", ascending=False)
    blocks.append(
        table(
            records(this_year.head(TOP_FLOWS)),
            [
                Col("Supplier", "name", href=country_href("exporter")),
                Col("Share of imports", "share", "share"),
                Col("Tonnes", "quantity_t", "t"),
                Col("Value", "value_usd", "USD"),
            ],
            caption=f"{name}'s largest suppliers of {mineral} ({stage}), {year}",
            source=f"CEPII BACI {releases_of(this_year, 'release')}, {year} imports",
            key="exporter",
            ident="suppliers-table",
        )
    )
    return blocks


def choices(profile: pd.DataFrame, names: Lookups) -> list[tuple[str, str]]:
    """The minerals the country imports, as (id, name) for a select."""
    imported = profile[profile["top1_exporter"].notna()]
    ids = list(dict.fromkeys(str(c) for c in imported["commodity"]))
    return [(c, names.minerals.get(c, c)) for c in ids]


def stage_of(profile: pd.DataFrame, commodity: str) -> str:
    """The stage at which the country imports ``commodity`` most critically."""
    rows = profile[(profile["commodity"] == commodity) & profile["top1_exporter"].notna()]
    return str(rows["stage"].iloc[0]) if len(rows) else str(profile["stage"].iloc[0])


def state(**values: Any) -> dict[str, Any]:
    """A page's state (what its URL carries); a value not chosen is ``None``."""
    return dict(values)
