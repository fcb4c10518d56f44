"""``/minerals/{commodity}``: who produces a mineral at each stage, how concentrated, who trades it."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from critmin import charts, services
from critmin.web.routes.pages import lookups
from critmin.web.routes.pages.blocks import (
    Col,
    Section,
    chart,
    country_href,
    heading,
    note,
    records,
    sources_of,
    table,
)
from critmin.web.routes.pages.exposure import releases_of, state
from critmin.web.routes.pages.lookups import Lookups
from critmin.web.routes.pages.render import guarded, render

router = APIRouter(include_in_schema=False)

TOP_PRODUCERS = 10
TOP_FLOWS = 15
HHI_HIGH = 2500
"""HHI above this (0–10,000) is highly concentrated (US DOJ/FTC merger guidelines)."""


def _usgs(frame: pd.DataFrame) -> str:
    return f"USGS Mineral Commodity Summaries {releases_of(frame, 'release')}"


def _producers(names: Lookups, commodity: str, year: int | None) -> Section:
    section = Section("producers", "Producers by stage")
    producers = services.mineral_producers(names.db, commodity)
    if producers.empty:
        section.blocks.append(note("No production of this mineral in the store."))
        return section
    mineral = names.minerals.get(commodity, commodity)
    producers = producers.assign(name=[names.label(c) for c in producers["country"]])
    for stage, group in producers.groupby("stage", sort=True):
        shown = year if year in set(group["year"]) else int(group["year"].max())
        source = f"{_usgs(group)}, {stage} production"
        section.blocks.append(heading(str(stage).capitalize()))
        section.blocks.append(
            chart(
                charts.choropleth(
                    group,
                    iso3="country",
                    value="share",
                    unit="share",
                    title=f"{mineral}: share of world {stage} production",
                    source=source,
                    vintage=releases_of(group, "release"),
                    year="year",
                    label="name",
                ),
                f"producers-map-{stage}",
                year=shown,
            )
        )
        top = group.sort_values("share", ascending=False).groupby("year", sort=False).head(TOP_PRODUCERS)
        section.blocks.append(
            chart(
                charts.bar(
                    top,
                    category="name",
                    value="share",
                    unit="share",
                    title=f"{mineral}: largest {stage} producers, share of world",
                    source=source,
                    vintage=releases_of(group, "release"),
                    year="year",
                ),
                f"producers-bars-{stage}",
                year=shown,
            )
        )
        this_year = group[group["year"] == shown].sort_values("share", ascending=False)
        section.blocks.append(
            table(
                records(this_year),
                [
                    Col("Country", "name", href=country_href("country")),
                    Col("Production", "value", str(this_year["unit"].iloc[0]) if "unit" in this_year else ""),
                    Col("Share of world", "share", "share"),
                    Col("Estimated", "estimated"),
                    Col("Release", "release"),
                ],
                caption=f"{mineral}: {stage} production by country, {shown}",
                source=f"{_usgs(this_year)}, {stage} production {shown}",
                key="country",
                ident=f"producers-table-{stage}",
            )
        )
    return section


def _concentration(names: Lookups, commodity: str) -> Section:
    section = Section("concentration", "Concentration over time")
    series = services.mineral_concentration(names.db, commodity)
    mineral = names.minerals.get(commodity, commodity)
    if series.empty or not series["hhi_10000"].notna().any():
        section.blocks.append(note("No production series to compute concentration from."))
        return section
    series = series.assign(
        series=[f"{s}, {r}" for s, r in zip(series["stage"], series["release"], strict=True)]
    )
    source = f"critmin HHI on {sources_of(series['provenance'])}"
    section.blocks.append(
        chart(
            charts.timeseries(
                series,
                y="hhi_10000",
                series="series",
                unit="",
                title=f"{mineral}: production concentration (HHI, 0–10,000) by year, per stage and release",
                source=source,
                vintage=releases_of(series, "release"),
            ),
            "hhi-series",
        )
    )
    if "hhi_wgi" in series.columns and series["hhi_wgi"].notna().any():
        section.blocks.append(
            chart(
                charts.timeseries(
                    series,
                    y="hhi_wgi",
                    series="series",
                    unit="",
                    title=f"{mineral}: governance-weighted concentration (HHI_WGI) by year",
                    source=f"{source}; World Bank WGI",
                    vintage=releases_of(series, "release"),
                ),
                "hhi-wgi-series",
            )
        )
    section.blocks.append(
        note(f"HHI above {HHI_HIGH:,} is highly concentrated (US DOJ/FTC merger guidelines).")
    )
    section.blocks.append(
        table(
            records(series.sort_values(["stage", "release", "year"])),
            [
                Col("Stage", "stage"),
                Col("Release", "release"),
                Col("Year", "year"),
                Col("HHI", "hhi_10000", ""),
                Col("Top producer", "top1_country", href=country_href("top1_country")),
                Col("Top producer share", "top1_share", "share"),
                Col("HHI_WGI", "hhi_wgi", ""),
                Col("HHI_WGI,t", "hhi_wgi_t", ""),
            ],
            caption=f"{mineral}: concentration per stage, release and year",
            source=source,
            ident="concentration-table",
        )
    )
    return section


def _flows(names: Lookups, commodity: str, year: int | None) -> tuple[Section, list[int]]:
    section = Section("trade", "Trade flows")
    years = services.exposure_years(names.db)
    shown = year if year in years else (years[-1] if years else None)
    flows = services.mineral_flows(names.db, commodity, shown, TOP_FLOWS)
    mineral = names.minerals.get(commodity, commodity)
    if flows.empty:
        section.blocks.append(note("No HS92 trade of this mineral in the store."))
        return section, years
    top = flows
    top = top.assign(
        origin=[names.label(e) for e in top["exporter"]],
        destination=[names.label(i) for i in top["importer"]],
    )
    section.blocks.append(
        table(
            records(top),
            [
                Col("Exporter", "origin", href=country_href("exporter")),
                Col("Importer", "destination", href=country_href("importer")),
                Col("Tonnes", "quantity_t", "t"),
                Col("Value", "value_usd", "USD"),
            ],
            caption=f"Largest {mineral} trade flows by value, {shown}",
            source=f"CEPII BACI {releases_of(top, 'release')}, {shown} (HS92 codes of {commodity})",
            ident="flows-table",
        )
    )
    return section, years


@router.get("/minerals/{commodity}", response_class=HTMLResponse)
@guarded
def mineral_page(request: Request, commodity: str, year: int | None = None) -> HTMLResponse:
    """A mineral: producers by stage (map, bars, table), concentration over the years, trade flows."""
    names = lookups.lookups(request)
    cid = lookups.commodity(names, commodity)
    name = names.minerals.get(cid, cid)
    trade, years = _flows(names, cid, year)
    sections = [_producers(names, cid, year), _concentration(names, cid), trade]
    return render(
        request,
        "mineral.html.j2",
        title=f"Mineral: {name}",
        current="minerals",
        intro=f"Who produces {name} at each stage, how concentrated that is over the years, "
        "and who trades it.",
        state=state(commodity=cid, year=year),
        minerals=sorted(names.minerals.items(), key=lambda item: item[1]),
        years=years,
        sections=sections,
    )


@router.get("/minerals", response_class=HTMLResponse)
@guarded
def mineral_chooser(
    request: Request, commodity: str = "rare_earths", year: int | None = None
) -> RedirectResponse:
    """The mineral form's target: redirect to the chosen mineral's page."""
    cid = lookups.commodity(lookups.lookups(request), commodity)
    return RedirectResponse(f"/minerals/{cid}" + (f"?year={year}" if year else ""), status_code=303)
