"""``/``: one country at a glance: its most critical minerals, and where one mineral's imports come from."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from critmin import services
from critmin.web.routes.pages import exposure, lookups
from critmin.web.routes.pages.render import guarded, render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
@guarded
def overview(
    request: Request,
    country: str = "IND",
    mineral: str | None = None,
    year: int | None = None,
    method: str = "eu",
) -> HTMLResponse:
    """The overview: a country's criticality chart, a map of one mineral's suppliers, its exposures."""
    names = lookups.lookups(request)
    iso3 = lookups.country(names, country, "country")
    method = lookups.method(method)
    year = lookups.year(names, year)
    profile = services.exposures(names.db, iso3, year=year, method=method)
    minerals = exposure.choices(profile, names)
    chosen = lookups.commodity(names, mineral) if mineral else exposure.default_mineral(profile)
    if chosen not in dict(minerals):
        chosen = exposure.default_mineral(profile)
    name = names.places[iso3]
    suppliers = (
        exposure.supplier_blocks(names, iso3, chosen, exposure.stage_of(profile, chosen), year)
        if chosen
        else []
    )
    return render(
        request,
        "overview.html.j2",
        title=f"Overview: {name}",
        current="overview",
        state=exposure.state(country=iso3, mineral=chosen, year=year, method=method),
        countries=names.places,
        years=names.years,
        methods=lookups.METHODS,
        choices=minerals,
        chart=exposure.criticality_chart(names, iso3, method, year),
        suppliers=suppliers,
        exposures=exposure.exposures_table(
            profile.head(exposure.TOP_BARS),
            names,
            method=method,
            caption=f"{name}: most critical minerals ({lookups.METHODS[method]}), {year}",
        ),
    )
