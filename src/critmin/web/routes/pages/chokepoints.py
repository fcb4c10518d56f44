"""``/chokepoints``: a country's imports through the sea-lane chokepoints, and the routes on a map."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from critmin import services
from critmin.charts import bar
from critmin.charts.routes import route_map
from critmin.errors import CritminError
from critmin.sealanes.network import ROUTING
from critmin.sealanes.reference import chokepoints
from critmin.web.routes.pages import lookups
from critmin.web.routes.pages.blocks import Col, Section, chart, mineral_href, note, records, table
from critmin.web.routes.pages.errors import PageError
from critmin.web.routes.pages.exposure import releases_of, state
from critmin.web.routes.pages.render import guarded, render

router = APIRouter(include_in_schema=False)

MAP_SUPPLIERS = 25


def _chokepoint(value: str) -> str:
    try:
        return services.chokepoints.chokepoint(value).id
    except CritminError as error:
        raise PageError(f"chokepoint: {error}", 404) from None


@router.get("/chokepoints", response_class=HTMLResponse)
@guarded
def chokepoints_page(
    request: Request,
    country: str = "IND",
    commodity: str | None = None,
    chokepoint: str = "malacca",
    year: int | None = None,
) -> HTMLResponse:
    """A country's imports per chokepoint, its suppliers' routes, what one chokepoint carries."""
    names = lookups.lookups(request)
    iso3 = lookups.country(names, country, "country")
    year = lookups.year(names, year)
    marked = _chokepoint(chokepoint)
    exposure = services.country_chokepoints(names.db, iso3, year=year)
    points = {p.id: p.name for p in chokepoints()}
    choices = _minerals(exposure, names)
    chosen = lookups.commodity(names, commodity) if commodity else (choices[0][0] if choices else None)
    sections = []
    if chosen is None:
        only = Section("shares", "Imports through each chokepoint")
        only.blocks.append(note(f"None of {names.places[iso3]}'s imports in {year} passes a chokepoint."))
        sections.append(only)
    else:
        sections += [
            _shares(exposure, names, iso3, chosen, year, points),
            _routes(names, iso3, chosen, year, points, marked),
            _all_minerals(exposure, names, iso3, year),
        ]
    sections.append(_carried(names, marked, year, points[marked]))
    return render(
        request,
        "chokepoints.html.j2",
        title=f"Chokepoints: {names.places[iso3]}",
        current="chokepoints",
        intro="How much of a country's imports sails through Hormuz, Bab el-Mandeb, Suez, Malacca, the "
        "Taiwan Strait, Panama or round the Cape, as shares of all its imports of each mineral "
        "(BACI trade; each flow on its shortest sea route between the two countries' ports).",
        state=state(country=iso3, commodity=chosen or "", chokepoint=marked, year=year),
        countries=names.places,
        minerals=choices,
        chokepoints=list(points.items()),
        years=names.years,
        sections=sections,
    )


def _minerals(exposure: pd.DataFrame, names: lookups.Lookups) -> list[tuple[str, str]]:
    """The minerals whose imports pass a chokepoint, largest value through one first."""
    if exposure.empty:
        return []
    order = exposure.groupby("commodity")["value_usd"].max().sort_values(ascending=False)
    return [(str(c), names.minerals.get(str(c), str(c))) for c in order.index]


def _shares(
    exposure: pd.DataFrame,
    names: lookups.Lookups,
    iso3: str,
    commodity: str,
    year: int,
    points: dict[str, str],
) -> Section:
    section = Section(
        "shares", f"{names.minerals.get(commodity, commodity)}: imports through each chokepoint"
    )
    rows = exposure[exposure["commodity"] == commodity]
    stage = str(rows.groupby("stage")["imports_usd"].max().idxmax())
    rows = rows[rows["stage"] == stage].assign(name=lambda f: f["chokepoint"].map(points))
    spec = bar(
        rows,
        category="name",
        value="share_usd",
        unit="share",
        title=f"{names.places[iso3]}: {names.minerals.get(commodity, commodity)} ({stage}) imports "
        f"through each chokepoint, {year}, share of value",
        source=f"BACI via critmin derived tables; {ROUTING}",
        vintage=releases_of(rows, "release"),
        year=None,
    )
    section.blocks.append(chart(spec, "chokepoint-shares"))
    return section


def _routes(
    names: lookups.Lookups, iso3: str, commodity: str, year: int, points: dict[str, str], marked: str
) -> Section:
    section = Section("routes", "Routes of the suppliers")
    mineral = names.minerals.get(commodity, commodity)
    suppliers = services.chokepoints.supplier_routes(names.db, iso3, commodity, year=year)
    by_sea = suppliers[suppliers["mode"] == "sea"].head(MAP_SUPPLIERS)
    if by_sea.empty:
        section.blocks.append(note("No supplier ships by sea."))
        return section
    flows = by_sea.assign(
        label=[
            f"{names.label(e)} to {names.places[iso3]} ({s})"
            for e, s in zip(by_sea["exporter"], by_sea["stage"], strict=True)
        ],
        chokepoints=[
            ", ".join(points[c] for c in str(ids).split()) for ids in by_sea["chokepoints"].fillna("")
        ],
    )
    gates = [(p.name, p.marker[0], p.marker[1]) for p in chokepoints()]
    spec = route_map(
        flows,
        value="value_usd",
        unit="USD",
        title=f"Sea routes of {names.places[iso3]}'s {mineral} imports, {year} "
        f"(the {len(by_sea)} largest sea suppliers)",
        source=f"BACI; {ROUTING}",
        vintage=releases_of(by_sea, "release"),
        gates=gates,
        marked=points[marked],
    )
    section.blocks.append(chart(spec, "route-map"))
    table_rows = suppliers.assign(
        name=[names.label(e) for e in suppliers["exporter"]],
        via=[
            ", ".join(points[c] for c in str(ids).split()) if isinstance(ids, str) else ""
            for ids in suppliers["chokepoints"]
        ],
    )
    columns = [
        Col("Supplier", "name"),
        Col("Stage", "stage"),
        Col("Value", "value_usd", "USD"),
        Col("Tonnes", "quantity_t", "t"),
        Col("Share of imports", "share", "share"),
        Col("Mode", "mode"),
        Col("Chokepoints passed", "via"),
        Col("Distance", "distance_km", "km"),
    ]
    section.blocks.append(
        table(
            records(table_rows.drop(columns=["path"])),
            columns,
            caption=f"{names.places[iso3]}: suppliers of {mineral} and their routes, {year}",
            source=f"{releases_of(suppliers, 'release')}; {ROUTING}",
            key="exporter",
            ident="supplier-routes",
        )
    )
    return section


def _all_minerals(exposure: pd.DataFrame, names: lookups.Lookups, iso3: str, year: int) -> Section:
    section = Section("all", "Every mineral")
    rows = exposure.assign(mineral=[names.minerals.get(str(c), str(c)) for c in exposure["commodity"]])
    columns = [
        Col("Mineral", "mineral", href=mineral_href),
        Col("Stage", "stage"),
        Col("Chokepoint", "chokepoint_name"),
        Col("Share of value", "share_usd", "share"),
        Col("Share of tonnes", "share_t", "share"),
        Col("Value through it", "value_usd", "USD"),
        Col("Tonnes through it", "quantity_t", "t"),
    ]
    section.blocks.append(
        table(
            records(rows),
            columns,
            caption=f"{names.places[iso3]}: imports through each chokepoint by mineral, {year}",
            source="; ".join(dict.fromkeys(rows["provenance"])),
            key="commodity",
            ident="chokepoint-table",
        )
    )
    return section


def _carried(names: lookups.Lookups, marked: str, year: int, title: str) -> Section:
    section = Section("carried", f"What passes the {title}")
    flows = services.chokepoint_flows(names.db, marked, year=year)
    if flows.empty:
        section.blocks.append(note(f"No mineral import in {year} passes the {title}."))
        return section
    rows = flows.assign(mineral=[names.minerals.get(str(c), str(c)) for c in flows["commodity"]])
    columns: list[Col] = [
        Col("Mineral", "mineral", href=mineral_href),
        Col("Stage", "stage"),
        Col("Value", "value_usd", "USD"),
        Col("Tonnes", "quantity_t", "t"),
        Col("Importers", "importers", ""),
        Col("Largest importers", "top_importers"),
    ]
    section.blocks.append(
        table(
            records(rows),
            columns,
            caption=f"The world's mineral imports through the {title}, {year}",
            source="; ".join(dict.fromkeys(rows["provenance"])),
            key="commodity",
            ident="chokepoint-carried",
        )
    )
    return section
