"""``/countries/{iso3}``: which minerals a country depends on, how critically, and where it buys them."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from critmin import charts, services
from critmin.web.routes.pages import exposure, lookups
from critmin.web.routes.pages.blocks import Section, chart, note
from critmin.web.routes.pages.exposure import releases_of, state
from critmin.web.routes.pages.lookups import Lookups
from critmin.web.routes.pages.render import guarded, render

router = APIRouter(include_in_schema=False)

SUPPLIERS_SHOWN = 5
"""Suppliers named per mineral in the suppliers chart; the rest are summed as "Others"."""


def _suppliers(names: Lookups, iso3: str, profile: pd.DataFrame, year: int) -> Section:
    section = Section("suppliers", "Suppliers")
    imported = profile[profile["top1_exporter"].notna()].head(exposure.TOP_BARS)
    if imported.empty:
        section.blocks.append(note("No imports of the scored minerals in the trade data."))
        return section
    sources = services.import_sources(names.db, iso3, year=year)
    keys = set(zip(imported["commodity"], imported["stage"], strict=True))
    mine = sources[[k in keys for k in zip(sources["commodity"], sources["stage"], strict=True)]]
    mine = mine[mine["share"] > 0].sort_values("share", ascending=False)
    rows = []
    for (commodity, stage), group in mine.groupby(["commodity", "stage"], sort=False):
        label = f"{names.minerals.get(str(commodity), str(commodity))} ({stage})"
        for _, row in group.head(SUPPLIERS_SHOWN).iterrows():
            rows.append(
                {
                    "label": label,
                    "name": names.label(row["exporter"]),
                    "share": float(row["share"]),
                    "release": row["release"],
                }
            )
        rest = float(group["share"].iloc[SUPPLIERS_SHOWN:].sum())
        if rest > 0:
            rows.append(
                {"label": label, "name": "Others", "share": rest, "release": group["release"].iloc[0]}
            )
    frame = pd.DataFrame(rows)
    name = names.label(iso3)
    section.blocks.append(
        chart(
            charts.stacked_shares(
                frame,
                category="label",
                part="name",
                share="share",
                title=f"{name}: import sources of its most critical minerals, {year}",
                source=f"CEPII BACI {releases_of(frame, 'release')}, {year} imports",
                vintage=releases_of(frame, "release"),
            ),
            "suppliers-chart",
        )
    )
    return section


@router.get("/countries/{iso3}", response_class=HTMLResponse)
@guarded
def country_page(request: Request, iso3: str, year: int | None = None, method: str = "eu") -> HTMLResponse:
    """A country: its exposures (chart over the years and table) and its suppliers."""
    names = lookups.lookups(request)
    code = lookups.country(names, iso3, "iso3")
    method = lookups.method(method)
    year = lookups.year(names, year)
    profile = services.exposures(names.db, code, year=year, method=method)
    name = names.places[code]
    exposures = Section("exposures", "Exposures")
    criticality = exposure.criticality_chart(names, code, method, year)
    if criticality is not None:
        exposures.blocks.append(criticality)
    exposures.blocks.append(
        exposure.exposures_table(
            profile,
            names,
            method=method,
            caption=f"{name}: exposures by mineral and stage ({lookups.METHODS[method]}, "
            f"most critical first), {year}",
        )
    )
    return render(
        request,
        "country.html.j2",
        title=f"Country: {name}",
        current="countries",
        intro=f"Which minerals {name} depends on and where it buys them.",
        state=state(iso3=code, year=year, method=method),
        countries=names.places,
        years=names.years,
        methods=lookups.METHODS,
        sections=[exposures, _suppliers(names, code, profile, year)],
    )


@router.get("/countries", response_class=HTMLResponse)
@guarded
def country_chooser(
    request: Request, iso3: str = "IND", year: int | None = None, method: str = "eu"
) -> RedirectResponse:
    """The country form's target: redirect to the chosen country's page."""
    code = lookups.country(lookups.lookups(request), iso3, "iso3")
    query = f"?method={lookups.method(method)}" + (f"&year={year}" if year else "")
    return RedirectResponse(f"/countries/{code}{query}", status_code=303)
