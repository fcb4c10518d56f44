"""The dashboard's pages: server-rendered HTML (Jinja2, autoescaped) with inline SVG charts and maps.

Pages: ``/`` (overview of one country), ``/minerals/{commodity}``, ``/countries/{iso3}``,
``/scenarios/new`` (the scenario builder; its script posts to the API, a plain form POST to
``/scenarios/run`` works without JavaScript), ``/fragments/scenario/{job_id}`` (a finished
scenario job's results as an HTML fragment) and ``/partnership``. Heavy computations are cached
per store path in the app process. No inline scripts: the CSP allows only ``/static/app.js``.
"""

from __future__ import annotations

import functools
import html
import inspect
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

import jinja2
import pandas as pd
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from critmin import derisking, profiles
from critmin.api import Critmin
from critmin.errors import CritminError
from critmin.metrics.concentration import supply_concentration
from critmin.metrics.trade_exposure import import_shares
from critmin.reports import brief, charts, worldmap
from critmin.reports.svgbase import format_value
from critmin.scenarios.library import load_shipped, shipped_ids
from critmin.scenarios.spec import parse_scenario
from critmin.web.deps import Jobs, keyed_store, store_key
from critmin.web.jobs import Job, UnknownJobError

router = APIRouter(include_in_schema=False)

NAV = (
    ("overview", "/", "Overview"),
    ("minerals", "/minerals/rare_earths", "Minerals"),
    ("countries", "/countries/IND", "Countries"),
    ("scenarios", "/scenarios/new", "Scenario builder"),
    ("partnership", "/partnership", "Partnership"),
)
CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]{2}$")
COMMODITY = re.compile(r"^[A-Za-z0-9_ ()-]{1,60}$")
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
TOP_BARS = 12
TOP_FLOWS = 15
DEFAULT_MIN_IMPORTS_T = 100.0
"""The overview maps by default the most critical mineral the country imports at least this much of."""
RESULT_ROWS = 40
PROJECT_DRAWS = 2000
SOURCING_DRAWS = 4000
SOURCING_COMMODITY = "rare_earths"
WAIT_SECONDS = 120.0
"""How long the no-JavaScript scenario POST waits for its job."""


class PageError(CritminError):
    """A page cannot be shown: bad input (``status`` 4xx) with a message for the reader."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --- templates -----------------------------------------------------------------------------------


def _template(name: str) -> str:
    return resources.files("critmin.web").joinpath("templates", name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment: templates from the package, autoescape on, undefined names fail."""
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(_template), autoescape=True, undefined=jinja2.StrictUndefined
    )


def _nav(current: str) -> list[dict[str, Any]]:
    return [{"href": href, "label": label, "current": key == current} for key, href, label in NAV]


def render(
    request: Request, template: str, *, title: str, current: str = "", status: int = 200, **context: Any
) -> HTMLResponse:
    """A page from ``template`` in the common layout (nav, footer with the data vintages)."""
    vintages = ""
    try:
        vintages = _vintages(_path(request))
    except Exception:  # the footer must never break a page (or an error page)
        vintages = "unavailable"
    body = (
        environment()
        .get_template(template)
        .render(title=title, nav=_nav(current), vintages=vintages, **context)
    )
    return HTMLResponse(body, status_code=status)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An error page for browsers in the common layout (no trace)."""
    try:
        return render(request, "error.html.j2", title=f"Error {status}", status=status, detail=detail)
    except Exception:  # fall back to plain HTML rather than fail twice
        title = f"<!doctype html><title>critmin: error {status}</title><h1>Error {status}</h1>"
        return HTMLResponse(f"{title}<p>{html.escape(detail)}</p>", status_code=status)


# --- cached reads (per store path) ----------------------------------------------------------------


def _db(path: str) -> Critmin:
    """The store a cache key (:func:`critmin.web.deps.store_key`) names."""
    return keyed_store(path)


@functools.lru_cache(maxsize=4)
def _vintages(path: str) -> str:
    frame = _db(path).vintages()
    releases = frame.groupby("source")["release"].agg(lambda r: ", ".join(sorted(set(r.astype(str)))))
    return "; ".join(f"{source}: {release}" for source, release in releases.items())


@functools.lru_cache(maxsize=4)
def _places(path: str) -> dict[str, str]:
    frame = _db(path).places()
    frame = frame[~frame["is_aggregate"].astype(bool)].sort_values("name")
    return {str(c): str(n) for c, n in zip(frame["code"], frame["name"], strict=True)}


@functools.lru_cache(maxsize=4)
def _minerals(path: str) -> dict[str, str]:
    frame = _db(path).commodities()
    return {str(c): str(n) for c, n in zip(frame["commodity"], frame["name"], strict=True)}


@functools.lru_cache(maxsize=4)
def _traded_minerals(path: str) -> dict[str, str]:
    """Catalog commodities with HS92 codes (the ones a scenario can hit), id -> name."""
    codes = _db(path).hs_codes()
    traded = set(codes.loc[codes["nomenclature"] == "HS92", "commodity"])
    names = _minerals(path)
    return dict(sorted(((c, names.get(c, c)) for c in traded), key=lambda item: item[1]))


@functools.lru_cache(maxsize=32)
def _country_profile(path: str, iso3: str) -> pd.DataFrame:
    return profiles.country_profile(_db(path), iso3)


@functools.lru_cache(maxsize=32)
def _import_shares(path: str, iso3: str, year: int) -> tuple[pd.DataFrame, str]:
    db = _db(path)
    trade = db.trade(year=year, importer=iso3)
    if trade.empty:
        return pd.DataFrame(), ""
    codes = db.hs_codes()
    shares = import_shares(trade, codes[codes["nomenclature"] == "HS92"], aggregates=db.places())
    # import_shares adds the world (importer WLD) beside the country: keep the country's own rows.
    shares = shares[
        (shares["importer"] == iso3) & ~shares["is_aggregate"].astype(bool) & (shares["share"] > 0)
    ]
    releases = ", ".join(sorted(set(trade["release"].astype(str))))
    return (
        shares,
        f"CEPII BACI {releases}, {year} imports (tonnes where quantities cover the value, else USD)",
    )


@functools.lru_cache(maxsize=32)
def _mineral(path: str, commodity: str) -> dict[str, Any]:
    db = _db(path)
    production = db.production(commodity, aggregates=True)
    production = production[production["form"] == ""]
    shares = []
    for stage, group in production.groupby("stage"):
        if stage == "mine":
            mine = brief.production_shares(db, [commodity])
            if not mine.empty:
                shares.append(mine)
            continue
        latest = group[group["year"] == group["year"].max()]
        countries = latest[~latest["is_aggregate"].astype(bool) & latest["value"].notna()]
        world = latest.loc[latest["country"] == "WLD", "value"]
        total = float(world.iloc[0]) if len(world) else float(countries["value"].sum())
        if total > 0:
            shares.append(countries.assign(share=countries["value"] / total))
    concentration = supply_concentration(production) if not production.empty else pd.DataFrame()
    years = db.trade_years(nomenclature="HS92")
    flows = pd.DataFrame()
    year = max(years) if years else None
    if year is not None:
        trade = db.trade(year=year, commodity=commodity)
        if not trade.empty:
            flows = (
                trade.groupby(["exporter", "importer"], as_index=False)
                .agg(quantity_t=("quantity_t", "sum"), value_usd=("value_usd", "sum"))
                .assign(release=", ".join(sorted(set(trade["release"].astype(str)))))
            )
    return {
        "shares": pd.concat(shares, ignore_index=True) if shares else pd.DataFrame(),
        "concentration": concentration,
        "flows": flows,
        "year": year,
    }


@functools.lru_cache(maxsize=16)
def _pair(path: str, a: str, b: str) -> pd.DataFrame:
    return profiles.pair_profile(_db(path), a, b)


@functools.lru_cache(maxsize=16)
def _projects(path: str, a: str, b: str) -> pd.DataFrame:
    ranking = derisking.evaluate_projects(
        _db(path), derisking.candidate_projects(), [a, b], n=PROJECT_DRAWS
    ).ranking
    return ranking


@functools.lru_cache(maxsize=16)
def _sourcing(path: str, iso3: str) -> derisking.SourcingStudy | str:
    try:
        return derisking.sourcing_study(_db(path), iso3, SOURCING_COMMODITY, n=SOURCING_DRAWS)
    except CritminError as error:
        return str(error)


# --- validation ---------------------------------------------------------------------------------


def _country(path: str, value: str, field: str) -> str:
    code = value.strip().upper()
    if not CODE.match(code) or code not in _places(path):
        raise PageError(
            f"{field}: no country {value[:20]!r} in the store (use an ISO3 code such as IND)", 404
        )
    return code


def _commodity(path: str, value: str) -> str:
    if not COMMODITY.match(value):
        raise PageError(f"commodity: {value[:40]!r} is not a commodity id", 404)
    try:
        return _db(path).commodity_id(value)
    except CritminError as error:
        raise PageError(f"commodity: {error}", 404) from None


def _path(request: Request) -> str:
    """The cache key of the store: its path and file stamp, so an import is never hidden by a cache."""
    return store_key(request)


def _error_of(request: Request, error: Exception) -> HTMLResponse:
    if isinstance(error, PageError):
        return error_page(request, error.status, str(error))
    if isinstance(error, UnknownJobError):
        return error_page(request, 404, str(error.args[0]) if error.args else "no such job")
    return error_page(request, 400, str(error))


def _guarded(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Turn page errors and critmin errors into HTML error pages.

    A plain (``def``) handler stays plain, so FastAPI runs it in its thread pool and a page that
    computes for seconds never holds the event loop.
    """
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def waiting(request: Request, *args: Any, **kwargs: Any) -> Any:
            try:
                return await handler(request, *args, **kwargs)
            except (CritminError, ValueError) as error:
                return _error_of(request, error)

        return waiting

    @functools.wraps(handler)
    def plain(request: Request, *args: Any, **kwargs: Any) -> Any:
        try:
            return handler(request, *args, **kwargs)
        except (CritminError, ValueError) as error:
            return _error_of(request, error)

    return plain


# --- building blocks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """A table column: header, row key, unit (``None``: text), optional link."""

    header: str
    key: str
    unit: str | None = None
    href: Callable[[Mapping[str, Any]], str] | None = None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(float(value))


def table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Col],
    *,
    caption: str,
    source: str,
    key: str | None = None,
    ident: str | None = None,
) -> Markup:
    """An accessible table with caption and source footnote; numeric cells carry exact data-values.

    ``key`` names the column whose value marks each row and cell (``data-country="JPN"``), so a test
    can find a number and compare its ``data-value`` (the float's repr) with the library's.
    """
    head = "".join(f'<th scope="col">{html.escape(c.header)}</th>' for c in columns)
    body = []
    for row in rows:
        mark = f' data-{html.escape(key)}="{html.escape(str(row[key]))}"' if key else ""
        cells = []
        for c in columns:
            value = row.get(c.key)
            if c.unit is None:
                shown = (
                    "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
                )
                if isinstance(value, bool):
                    shown = "yes" if value else "no"
                content = html.escape(shown)
                if c.href is not None and shown:
                    content = f'<a href="{html.escape(c.href(row))}">{content}</a>'
                cells.append(f'<td{mark} data-field="{html.escape(c.key)}">{content}</td>')
            elif _finite(value):
                number = float(cast(float, value))
                cells.append(
                    f'<td class="num"{mark} data-field="{html.escape(c.key)}" data-value="{number!r}">'
                    f"{html.escape(format_value(number, c.unit))}</td>"
                )
            else:
                cells.append(f'<td class="num"{mark} data-field="{html.escape(c.key)}">n/a</td>')
        body.append(f"<tr{mark}>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}">No rows.</td></tr>')
    ident_attr = f' id="{html.escape(ident)}"' if ident else ""
    return Markup(
        f'<figure class="table"><div class="scroll"><table{ident_attr}>'
        f"<caption>{html.escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        f'<figcaption class="source">Source: {html.escape(source)}</figcaption></figure>'
    )


def figure(svg: str) -> Markup:
    """An inline SVG chart or map (title, hover texts and source caption are inside it)."""
    return Markup(f'<figure class="chart">{svg}</figure>')


def note(text: str) -> Markup:
    """A short paragraph of explanation."""
    return Markup(f'<p class="note">{html.escape(text)}</p>')


def sources_of(values: Iterable[object]) -> str:
    """The distinct provenance strings of a column, joined."""
    parts: list[str] = []
    for value in values:
        if isinstance(value, str) and value:
            parts.extend(p.strip() for p in value.split(";") if p.strip())
    return "; ".join(dict.fromkeys(parts)) or "critmin computation"


@dataclass
class Section:
    """One titled part of a page."""

    anchor: str
    title: str
    blocks: list[Markup]


def _page(request: Request, *, title: str, current: str, intro: str, sections: list[Section]) -> HTMLResponse:
    return render(request, "page.html.j2", title=title, current=current, intro=intro, sections=sections)


def _mineral_href(row: Mapping[str, Any]) -> str:
    return f"/minerals/{row['commodity']}"


def _country_href(field: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda row: f"/countries/{row[field]}"


# --- pages --------------------------------------------------------------------------------------


def _exposure_columns(names: Mapping[str, str]) -> list[Col]:
    return [
        Col("Mineral", "mineral", href=_mineral_href),
        Col("Stage", "stage"),
        Col("EU supply risk", "score", ""),
        Col("Import reliance", "import_reliance", "share"),
        Col("Imports", "imports_t", "t"),
        Col("Import HHI", "import_hhi", ""),
        Col("Top supplier", "top1_name", href=_country_href("top1_exporter")),
        Col("Top supplier share", "top1_share", "share"),
        Col("Imports from weakly governed suppliers", "share_weak_governance", "share"),
        Col("On national list", "listed"),
    ]


def _profile_rows(frame: pd.DataFrame, path: str) -> list[dict[str, Any]]:
    minerals, places = _minerals(path), _places(path)
    return [
        {
            **r,
            "mineral": minerals.get(str(r["commodity"]), str(r["commodity"])),
            "top1_name": places.get(str(r["top1_exporter"]), r["top1_exporter"])
            if isinstance(r.get("top1_exporter"), str)
            else None,
        }
        for r in _records(frame)
    ]


def _criticality_chart(frame: pd.DataFrame, path: str, name: str) -> Markup | None:
    scored = frame[frame["score"].notna()].head(TOP_BARS)
    if scored.empty:
        return None
    minerals = _minerals(path)
    rows = [
        (f"{minerals.get(c, c)} ({s})", float(v))
        for c, s, v in zip(scored["commodity"], scored["stage"], scored["score"], strict=True)
    ]
    year = int(scored["year"].max())
    return figure(
        charts.bar_chart(
            rows,
            title=f"{name}: top minerals by EU supply risk, {year}",
            unit="",
            source=f"EU CRM methodology 2017 on {sources_of(scored['provenance'])}",
        )
    )


def _default_mineral(imported: pd.DataFrame, choices: list[str]) -> str:
    """The most critical mineral imported in earnest (``DEFAULT_MIN_IMPORTS_T``), else the most critical."""
    if "imports_t" in imported.columns:
        earnest = imported[imported["imports_t"].fillna(0) >= DEFAULT_MIN_IMPORTS_T]
        if not earnest.empty:
            return str(earnest["commodity"].iloc[0])
    return choices[0]


def _exposure_map(
    path: str, iso3: str, profile: pd.DataFrame, mineral: str | None
) -> tuple[list[Markup], str | None, list[str]]:
    """The country's import sources of one mineral: a map and a table."""
    imported = profile[profile["top1_exporter"].notna()]
    choices = list(dict.fromkeys(str(c) for c in imported["commodity"]))
    if not choices:
        return [note("No imports of the minerals scored in the trade data.")], None, choices
    chosen = mineral if mineral in choices else _default_mineral(imported, choices)
    row = imported[imported["commodity"] == chosen].iloc[0]
    year = int(row["year"])
    shares, source = _import_shares(path, iso3, year)
    if shares.empty:
        return [note("No trade data for this country and year.")], chosen, choices
    mine = shares[(shares["commodity"] == chosen) & (shares["stage"] == row["stage"])]
    mine = mine.sort_values("share", ascending=False)
    places, minerals = _places(path), _minerals(path)
    name, mineral_name = places.get(iso3, iso3), minerals.get(chosen, chosen)
    values = {str(e): float(s) for e, s in zip(mine["exporter"], mine["share"], strict=True)}
    blocks: list[Markup] = []
    if values:
        blocks.append(
            figure(
                worldmap.choropleth(
                    values,
                    title=f"{name}: where its {mineral_name} ({row['stage']}) imports come from, {year}",
                    unit="share",
                    source=source,
                    labels={c: f"{places.get(c, c)}: {format_value(v, 'share')}" for c, v in values.items()},
                )
            )
        )
        missing = worldmap.unmapped(values)
        if missing:
            blocks.append(
                note(
                    "Not drawn on the map (too small or not a country): "
                    + ", ".join(f"{places.get(c, c)} {format_value(values[c], 'share')}" for c in missing)
                )
            )
    rows = [
        {**r, "name": places.get(str(r["exporter"]), r["exporter"])} for r in _records(mine.head(TOP_FLOWS))
    ]
    blocks.append(
        table(
            rows,
            [
                Col("Supplier", "name", href=_country_href("exporter")),
                Col("Share of imports", "share", "share"),
                Col("Tonnes", "quantity_t", "t"),
                Col("Value", "value_usd", "USD"),
            ],
            caption=f"{name}'s largest suppliers of {mineral_name} ({row['stage']}), {year}",
            source=source,
            key="exporter",
        )
    )
    return blocks, chosen, choices


@router.get("/", response_class=HTMLResponse)
@_guarded
def overview(request: Request, country: str = "IND", mineral: str | None = None) -> HTMLResponse:
    """The overview: a country's criticality chart, exposure map and table."""
    path = _path(request)
    iso3 = _country(path, country, "country")
    if mineral is not None and not COMMODITY.match(mineral):
        raise PageError("mineral: not a commodity id", 400)
    profile = _country_profile(path, iso3)
    places, minerals = _places(path), _minerals(path)
    name = places[iso3]
    chart = _criticality_chart(profile, path, name)
    exposure, chosen, choices = _exposure_map(path, iso3, profile, mineral)
    top = profile.head(TOP_BARS)
    exposures = table(
        _profile_rows(top, path),
        _exposure_columns(places),
        caption=f"{name}: most critical minerals (EU supply risk)",
        source=sources_of(top["provenance"]),
        key="commodity",
    )
    return render(
        request,
        "overview.html.j2",
        title=f"Overview: {name}",
        current="overview",
        country=iso3,
        countries=places,
        chosen=chosen,
        choices=[(c, minerals.get(c, c)) for c in choices],
        chart=chart,
        exposure=exposure,
        exposures=exposures,
    )


@router.get("/minerals/{commodity}", response_class=HTMLResponse)
@_guarded
def mineral_page(request: Request, commodity: str) -> HTMLResponse:
    """A mineral: producers by stage (map and shares), concentration over time, trade flows."""
    path = _path(request)
    cid = _commodity(path, commodity)
    data = _mineral(path, cid)
    places, minerals = _places(path), _minerals(path)
    name = minerals.get(cid, cid)
    sections: list[Section] = []
    shares: pd.DataFrame = data["shares"]
    producers = Section("producers", "Producers by stage", [])
    if shares.empty:
        producers.blocks.append(note("No production of this mineral in the store."))
    for stage, group in shares.groupby("stage") if not shares.empty else []:
        group = group.sort_values("share", ascending=False)
        year = int(group["year"].max())
        estimated = " (estimated)" if bool(group["estimated"].fillna(False).astype(bool).any()) else ""
        releases = ", ".join(sorted(set(group["release"].astype(str))))
        source = f"USGS Mineral Commodity Summaries {releases}, {stage} production {year}{estimated}"
        values = {str(c): float(s) for c, s in zip(group["country"], group["share"], strict=True)}
        producers.blocks.append(Markup(f"<h3>{html.escape(str(stage).capitalize())}</h3>"))
        producers.blocks.append(
            figure(
                worldmap.choropleth(
                    values,
                    title=f"{name}: share of world {stage} production, {year}{estimated}",
                    unit="share",
                    source=source,
                    labels={c: f"{places.get(c, c)}: {format_value(v, 'share')}" for c, v in values.items()},
                )
            )
        )
        top = group.head(10)
        producers.blocks.append(
            figure(
                charts.bar_chart(
                    [
                        (places.get(str(c), str(c)), float(s))
                        for c, s in zip(top["country"], top["share"], strict=True)
                    ],
                    title=f"{name}: largest {stage} producers, share of world, {year}{estimated}",
                    unit="share",
                    source=source,
                )
            )
        )
    sections.append(producers)
    concentration: pd.DataFrame = data["concentration"]
    trend = Section("concentration", "Concentration over time", [])
    if not concentration.empty and concentration["hhi_10000"].notna().any():
        series = {
            str(stage): [
                (float(y), float(h))
                for y, h in zip(g["year"], g["hhi_10000"], strict=True)
                if math.isfinite(h)
            ]
            for stage, g in concentration.sort_values("year").groupby("stage")
        }
        series = {k: v for k, v in series.items() if v}
        trend.blocks.append(
            figure(
                charts.line_chart(
                    series,
                    title=f"{name}: production concentration (HHI, 0–10,000) by year",
                    x_label="Year",
                    y_label="HHI",
                    source=f"critmin HHI on {sources_of(concentration['provenance'])}",
                    x_format=lambda v: str(int(v)),
                )
            )
        )
        trend.blocks.append(
            note("HHI above 2,500 is highly concentrated (US DOJ/FTC merger guidelines' threshold).")
        )
    else:
        trend.blocks.append(note("No production series to compute concentration from."))
    sections.append(trend)
    flows: pd.DataFrame = data["flows"]
    trade = Section("trade", "Trade flows", [])
    if flows.empty:
        trade.blocks.append(note("No HS92 trade of this mineral in the store."))
    else:
        top_flows = flows.sort_values("quantity_t", ascending=False).head(TOP_FLOWS)
        rows = [
            {
                **r,
                "from": places.get(str(r["exporter"]), r["exporter"]),
                "to": places.get(str(r["importer"]), r["importer"]),
            }
            for r in _records(top_flows)
        ]
        trade.blocks.append(
            table(
                rows,
                [
                    Col("Exporter", "from", href=_country_href("exporter")),
                    Col("Importer", "to", href=_country_href("importer")),
                    Col("Tonnes", "quantity_t", "t"),
                    Col("Value", "value_usd", "USD"),
                ],
                caption=f"Largest {name} trade flows by tonnes, {data['year']}",
                source=f"CEPII BACI {flows['release'].iloc[0]}, {data['year']} (HS92 codes of {cid})",
            )
        )
    sections.append(trade)
    return _page(
        request,
        title=f"Mineral: {name}",
        current="minerals",
        intro=f"Who produces {name} at each stage, how concentrated that is, and who trades it.",
        sections=sections,
    )


@router.get("/countries/{iso3}", response_class=HTMLResponse)
@_guarded
def country_page(request: Request, iso3: str) -> HTMLResponse:
    """A country: its exposures and its suppliers."""
    path = _path(request)
    code = _country(path, iso3, "iso3")
    profile = _country_profile(path, code)
    places, minerals = _places(path), _minerals(path)
    name = places[code]
    exposures = Section("exposures", "Exposures", [])
    chart = _criticality_chart(profile, path, name)
    if chart is not None:
        exposures.blocks.append(chart)
    exposures.blocks.append(
        table(
            _profile_rows(profile, path),
            _exposure_columns(places),
            caption=f"{name}: exposures by mineral and stage (EU supply risk, most critical first)",
            source=sources_of(profile["provenance"]),
            key="commodity",
        )
    )
    suppliers = Section("suppliers", "Suppliers", [])
    imported = profile[profile["top1_exporter"].notna()].head(TOP_BARS)
    rows: dict[str, dict[str, float]] = {}
    source = ""
    if not imported.empty:
        shares, source = _import_shares(path, code, int(imported["year"].max()))
        for commodity, stage in zip(imported["commodity"], imported["stage"], strict=True):
            mine = shares[(shares["commodity"] == commodity) & (shares["stage"] == stage)]
            values = {
                places.get(str(e), str(e)): float(s)
                for e, s in zip(mine["exporter"], mine["share"], strict=True)
            }
            if values:
                rows[f"{minerals.get(commodity, commodity)} ({stage})"] = values
    if rows:
        suppliers.blocks.append(
            figure(
                charts.stacked_shares(
                    rows, title=f"{name}: import sources of its most critical minerals", source=source
                )
            )
        )
    else:
        suppliers.blocks.append(note("No imports of the scored minerals in the trade data."))
    return _page(
        request,
        title=f"Country: {name}",
        current="countries",
        intro=f"Which minerals {name} depends on and where it buys them.",
        sections=[exposures, suppliers],
    )


# --- scenarios ----------------------------------------------------------------------------------


def scenario_document(form: Mapping[str, str]) -> dict[str, Any]:
    """The job parameters of the builder's form: ``{"shipped": id}`` or ``{"spec": {...}}``.

    The same document ``static/app.js`` builds and posts to ``/api/scenarios/runs``.
    """
    shipped = (form.get("shipped") or "").strip()
    if shipped:
        if shipped not in shipped_ids():
            raise PageError(f"shipped: no shipped scenario {shipped[:60]!r}")
        return {"shipped": shipped}
    exporter = (form.get("exporter") or "").strip().upper()
    commodity = (form.get("commodity") or "").strip()
    if not exporter:
        raise PageError("exporter: choose an exporting country")
    if not commodity:
        raise PageError("commodity: choose a commodity")
    try:
        fraction = float(form.get("fraction") or "")
    except ValueError:
        raise PageError("fraction: a number between 0 and 1") from None
    try:
        days = int(form.get("duration_days") or "365")
    except ValueError:
        raise PageError("duration_days: a whole number of days") from None
    event: dict[str, Any] = {
        "type": "export_restriction",
        "exporter": exporter,
        "commodity": commodity,
        "fraction": fraction,
        "duration_days": days,
    }
    targets = [t.strip().upper() for t in re.split(r"[\s,]+", form.get("targets") or "") if t.strip()]
    if targets:
        event["targets"] = targets
    spec: dict[str, Any] = {"name": f"{exporter} restricts {commodity} exports", "events": [event]}
    year = (form.get("year") or "").strip()
    if year:
        try:
            spec["year"] = int(year)
        except ValueError:
            raise PageError("year: a year such as 2022, or empty for the latest") from None
    return {"spec": spec}


def _scenario_name(params: Mapping[str, Any]) -> str:
    if params.get("shipped"):
        return load_shipped(str(params["shipped"])).name
    spec = params.get("spec")
    return str(spec.get("name", "scenario")) if isinstance(spec, dict) else "scenario"


def fragment(job: Job, path: str) -> Markup:
    """A finished scenario job's results: a chart of the largest losses and a table of countries."""
    name = _scenario_name(job.params)
    head = (
        f'<section class="result" id="scenario-result" data-job="{html.escape(job.id)}" '
        'aria-labelledby="result-title">'
    )
    title = f'<h2 id="result-title">Result: {html.escape(name)}</h2>'
    if job.status != "done" or job.result is None:
        message = job.error or f"The job is {job.status} ({format_value(job.progress, 'share')})."
        return Markup(
            f'{head}{title}<p class="note" data-status="{html.escape(job.status)}">'
            f"{html.escape(message)}</p></section>"
        )
    countries: pd.DataFrame = job.result["countries"]
    places = _places(path)
    blocks: list[str] = []
    notes = job.result.get("notes") or []
    if countries.empty:
        blocks.append(str(note("No country is affected in this network.")))
    else:
        source = sources_of(countries["provenance"])
        hit = countries[countries["share_of_consumption"].notna() & (countries["loss_t"] > 0)]
        hit = hit.sort_values("share_of_consumption", ascending=False).head(TOP_BARS)
        if not hit.empty:
            blocks.append(
                str(
                    figure(
                        charts.bar_chart(
                            [
                                (places.get(str(c), str(c)), float(s))
                                for c, s in zip(hit["country"], hit["share_of_consumption"], strict=True)
                            ],
                            title="Largest losses, share of apparent consumption",
                            unit="share",
                            source=f"critmin scenario cascade on {source}",
                        )
                    )
                )
            )
        rows = [
            {**r, "name": places.get(str(r["country"]), r["country"])}
            for r in _records(countries.head(RESULT_ROWS))
        ]
        blocks.append(
            str(
                table(
                    rows,
                    [
                        Col("Country", "name", href=_country_href("country")),
                        Col("Network", "network"),
                        Col("Loss", "loss_t", "t"),
                        Col("Share of consumption", "share_of_consumption", "share"),
                        Col("Stock drawn", "stock_drawn_t", "t"),
                        Col("Provenance", "provenance"),
                    ],
                    caption=f"Countries losing most (first {RESULT_ROWS} of {len(countries)})",
                    source=f"critmin scenario cascade on {source}",
                    key="country",
                    ident="scenario-table",
                )
            )
        )
    blocks.extend(str(note(str(n))) for n in notes)
    return Markup(head + title + "".join(blocks) + "</section>")


def _builder_context(path: str) -> dict[str, Any]:
    return {
        "countries": _places(path),
        "commodities": _traded_minerals(path),
        "shipped": {sid: load_shipped(sid).name for sid in shipped_ids()},
    }


@router.get("/scenarios/new", response_class=HTMLResponse)
@_guarded
def scenario_builder(request: Request) -> HTMLResponse:
    """The scenario builder's form."""
    path = _path(request)
    return render(
        request,
        "scenario_new.html.j2",
        title="Scenario builder",
        current="scenarios",
        result=None,
        **_builder_context(path),
    )


@router.post("/scenarios/run", response_class=HTMLResponse)
@_guarded
async def scenario_run(request: Request, jobs: Jobs) -> HTMLResponse:
    """The builder without JavaScript: run the job, wait for it, show its results in the page."""
    path = _path(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    params = scenario_document(fields)
    if "spec" in params:
        parse_scenario(params["spec"], "spec")
    job = jobs.submit("scenario", params)
    job = await run_in_threadpool(jobs.wait, job.id, WAIT_SECONDS)
    status = 200 if job.status == "done" else (400 if job.status == "failed" else 202)
    return render(
        request,
        "scenario_new.html.j2",
        title="Scenario builder",
        current="scenarios",
        status=status,
        result=fragment(job, path),
        **_builder_context(path),
    )


@router.get("/fragments/scenario/{job_id}", response_class=HTMLResponse)
@_guarded
def scenario_fragment(request: Request, job_id: str, jobs: Jobs) -> HTMLResponse:
    """A scenario job's results as an HTML fragment (for the builder's script)."""
    if not JOB_ID.match(job_id):
        raise PageError("job_id: 32 hexadecimal digits", 404)
    job = jobs.get(job_id)
    if job.kind != "scenario":
        raise PageError(f"job {job_id} is not a scenario run", 404)
    status = 200 if job.status == "done" else (400 if job.status == "failed" else 202)
    return HTMLResponse(str(fragment(job, _path(request))), status_code=status)


# --- partnership --------------------------------------------------------------------------------


@router.get("/partnership", response_class=HTMLResponse)
@_guarded
def partnership(request: Request, a: str = "IND", b: str = "JPN") -> HTMLResponse:
    """Two partners: joint exposures, ranked projects, sourcing frontiers."""
    path = _path(request)
    first, second = _country(path, a, "a"), _country(path, b, "b")
    if first == second:
        raise PageError("b: choose a partner other than a")
    places, minerals = _places(path), _minerals(path)
    na, nb = places[first], places[second]
    joint = Section("joint", "Joint exposures", [])
    pair = _pair(path, first, second)
    if pair.empty:
        joint.blocks.append(note("No mineral both import in the trade data."))
    else:
        top = pair.head(TOP_BARS)
        labels = [f"{minerals.get(c, c)} ({s})" for c, s in zip(top["commodity"], top["stage"], strict=True)]
        joint.blocks.append(
            figure(
                charts.grouped_bars(
                    labels,
                    {
                        na: [float(v) for v in top[f"score_{first}"]],
                        nb: [float(v) for v in top[f"score_{second}"]],
                    },
                    title=f"EU supply-risk score of both partners, {int(top['year'].max())}",
                    unit="",
                    source=sources_of(top["provenance"]),
                )
            )
        )
        rows = [{**r, "mineral": minerals.get(str(r["commodity"]), r["commodity"])} for r in _records(pair)]
        joint.blocks.append(
            table(
                rows,
                [
                    Col("Mineral", "mineral", href=_mineral_href),
                    Col("Stage", "stage"),
                    Col(f"Score {first}", f"score_{first}", ""),
                    Col(f"Score {second}", f"score_{second}", ""),
                    Col("Joint (lower)", "joint_score", ""),
                    Col("Common suppliers (share of each's imports)", "common_suppliers"),
                ],
                caption=f"Minerals both {na} and {nb} import, by joint EU supply risk",
                source=sources_of(pair["provenance"]),
                key="commodity",
            )
        )
    projects = Section("projects", "Ranked projects", [])
    ranking = _projects(path, first, second)
    projects.blocks.append(
        note(
            f"Candidate projects ranked by the cut in the partners' summed CVaR95 shortfall per tonne of "
            f"capacity ({PROJECT_DRAWS:,} simulated years of supplier disruptions)."
        )
    )
    projects.blocks.append(
        table(
            [{**r, "mineral": minerals.get(str(r["commodity"]), r["commodity"])} for r in _records(ranking)],
            [
                Col("Rank", "rank"),
                Col("Project", "project"),
                Col("Country", "country", href=_country_href("country")),
                Col("Mineral", "mineral", href=_mineral_href),
                Col("Capacity", "capacity_t", "t"),
                Col("CVaR95 before", "cvar95_before_t", "t"),
                Col("CVaR95 cut", "cvar95_cut_t", "t"),
                Col("Cut, share", "cvar95_cut_share", "share"),
                Col("Cut per tonne of capacity", "cut_per_t", ""),
            ],
            caption="Candidate projects, best first",
            source=sources_of(ranking["provenance"]) if not ranking.empty else "bundled candidate projects",
            key="rank",
        )
    )
    frontier = Section("frontier", "Sourcing frontier (rare earths)", [])
    series: dict[str, list[tuple[float, float]]] = {}
    points: list[tuple[float, float, str]] = []
    provenance: list[str] = []
    for code, label in ((first, na), (second, nb)):
        study = _sourcing(path, code)
        if isinstance(study, str):
            frontier.blocks.append(note(f"{label}: {study}"))
            continue
        ok = study.frontier[study.frontier["status"] == 0]
        series[label] = [(float(c), float(v)) for c, v in zip(ok["cost"], ok["cvar"], strict=True)]
        points.append((float(study.current["cost"]), float(study.current["cvar"]), f"{label} now"))
        provenance.append(study.provenance)
    series = {k: v for k, v in series.items() if v}
    if series:
        frontier.blocks.insert(
            0,
            figure(
                charts.line_chart(
                    series,
                    title=(
                        "Rare earths: least shortfall risk (CVaR95) for each price premium "
                        f"({SOURCING_DRAWS:,} draws)"
                    ),
                    x_label="Price premium over the current mix",
                    y_label="CVaR95 shortfall, share of needs",
                    source=sources_of(provenance),
                    points=points,
                    x_format=lambda v: format_value(v, "share"),
                    y_format=lambda v: format_value(v, "share"),
                )
            ),
        )
    return render(
        request,
        "partnership.html.j2",
        title=f"Partnership: {na} and {nb}",
        current="partnership",
        a=first,
        b=second,
        countries=places,
        sections=[joint, projects, frontier],
    )


# --- events -------------------------------------------------------------------------------------

EVENT_COLUMNS = (
    Col("Event", "event_id"),
    Col("Type", "type"),
    Col("Actor", "actor"),
    Col("Targets", "targets"),
    Col("Commodities", "commodities"),
    Col("From", "valid_from"),
    Col("To", "valid_to"),
    Col("Status", "status"),
    Col("Title", "title"),
    Col("Source", "publisher", href=lambda row: str(row.get("url") or "")),
    Col("Published", "published"),
)
ALERT_COLUMNS = (
    Col("Severity", "severity"),
    Col("Alert", "alert"),
    Col("Country", "country"),
    Col("Commodity", "commodity"),
    Col("Due", "due"),
    Col("Event", "event_id"),
    Col("Message", "message"),
    Col("Event source", "source"),
)
WATCH_MAX = 10


def _watched(text: str) -> list[str]:
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    if not codes or len(codes) > WATCH_MAX:
        raise PageError(f"countries: give 1 to {WATCH_MAX} ISO3 codes, comma-separated")
    return list(dict.fromkeys(codes))


def _iso_day(text: str, field: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PageError(f"{field}: not a date (YYYY-MM-DD): {text[:20]!r}") from None


def _events_page(
    request: Request,
    *,
    as_of: str,
    countries: str,
    horizon_days: int,
    proposed: list[Markup],
    text: str = "",
    published: str = "",
    source: str = "",
    status: int = 200,
) -> HTMLResponse:
    from critmin.web.routes import events as api

    path = _path(request)
    when = _iso_day(as_of, "as_of")
    if not 1 <= horizon_days <= 3650:
        raise PageError("horizon_days: from 1 to 3650")
    watched = [_country(path, code, "countries") for code in _watched(countries)]
    register = api.iso_dates(_db(path).events())
    found = api.iso_dates(api.alerts_frame(store_key(request), watched, when, horizon_days))
    register_section = Section(
        "register",
        f"Register ({len(register)} events)",
        [
            table(
                _records(register),
                EVENT_COLUMNS,
                caption="Every event in the register, by start date; the source column links to it",
                source=sources_of(register["source"] + " " + register["release"]) if len(register) else "",
                key="event_id",
                ident="register-table",
            )
        ],
    )
    alerts_section = Section(
        "alerts",
        f"Alerts for {', '.join(watched)} as of {when} ({horizon_days} days)",
        [
            table(
                _records(found),
                ALERT_COLUMNS,
                caption="Waivers and restrictions starting or ending, new restrictions on exposed minerals",
                source="; ".join(api.alert_sources(found)) or "critmin event register",
                key="event_id",
                ident="alerts-table",
            )
        ],
    )
    return render(
        request,
        "events.html.j2",
        title="Events",
        status=status,
        as_of=when.isoformat(),
        countries=", ".join(watched),
        horizon_days=horizon_days,
        sections=[alerts_section, register_section],
        proposed=proposed,
        text=text,
        published=published,
        source=source,
        max_text=api.MAX_TEXT,
    )


@router.get("/events", response_class=HTMLResponse)
@_guarded
def events_page(
    request: Request, as_of: str | None = None, countries: str = "IND, JPN", horizon_days: int = 30
) -> HTMLResponse:
    """The register (each row linking its source), the alerts as of a date, the extraction form."""
    import datetime as dt

    return _events_page(
        request,
        as_of=as_of or dt.date.today().isoformat(),
        countries=countries,
        horizon_days=horizon_days,
        proposed=[],
    )


@router.post("/events/extract", response_class=HTMLResponse)
@_guarded
async def events_extract(request: Request) -> HTMLResponse:
    """The extraction form without JavaScript: the events proposed from the text, in the page."""
    import datetime as dt

    from critmin.web.routes import events as api

    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    text = fields.get("text", "")
    if not text.strip() or len(text) > api.MAX_TEXT:
        raise PageError(f"text: give 1 to {api.MAX_TEXT:,} characters")
    published = fields.get("published", "").strip()
    when = _iso_day(published, "published") if published else None
    source = fields.get("source", "").strip()[:300]
    frame = await run_in_threadpool(api.proposed_frame, text, when, source or None)
    frame = api.iso_dates(frame)
    columns = [
        Col("Proposed id", "event_id"),
        Col("Type", "type"),
        Col("Actor", "actor"),
        Col("Targets", "targets"),
        Col("Commodities", "commodities"),
        Col("From", "valid_from"),
        Col("To", "valid_to"),
        Col("Status", "status"),
        Col("Confidence", "confidence", "share"),
        Col("Evidence", "evidence"),
    ]
    proposed = [
        note(f"{len(frame)} proposed events: review them before adding them to the register."),
        table(
            _records(frame),
            columns,
            caption="Events proposed from the text, with the sentence(s) that state each",
            source=f"the text given{f' ({source})' if source else ''}{f', published {when}' if when else ''}",
            key="event_id" if len(frame) else None,
            ident="proposed-table",
        ),
    ]
    return await run_in_threadpool(
        functools.partial(
            _events_page,
            request,
            as_of=(when or dt.date.today()).isoformat(),
            countries="IND, JPN",
            horizon_days=30,
            proposed=proposed,
            text=text,
            published=published,
            source=source,
        )
    )
