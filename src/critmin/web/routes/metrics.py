"""Metrics: country, mineral and pair profiles, comparisons, and supply concentration over the years.

Exposures, pairs, comparisons and a mineral's concentration over the years are read through
:mod:`critmin.services`, as the dashboard's pages read them: from the store's precomputed
derived tables when they are fresh, otherwise computed on demand for one year from
production, trade and governance (1–30 s). The endpoints are therefore plain ``def``: FastAPI
runs them in its thread pool and the server keeps answering other requests meanwhile. Every
table carries ``provenance`` (or ``source`` and ``release``) per row and the JSON envelope's
``sources``.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from critmin import services
from critmin.api import Critmin
from critmin.derived.minerals import GOVERNANCE_COLUMNS
from critmin.errors import CritminError
from critmin.metrics.concentration import split_aggregates, supply_concentration, world_shares
from critmin.profiles import NOMENCLATURE, mineral_profile
from critmin.services.exposures import MAX_COMPARED
from critmin.web.deps import Limit, Offset, Store, store_key
from critmin.web.responses import TableFormat, records, sources, table_response
from critmin.web.routes.data import COUNTRY, Commodities, Fmt, Iso3, Stages

router = APIRouter(prefix="/api", tags=["metrics"])

Iso3Path = Annotated[
    str, Path(pattern=COUNTRY, description="Country: ISO3/ISO2 code or name (IND, IN, India; EUU: the EU).")
]
ProfileYear = Annotated[
    int | None,
    Query(ge=1990, le=2100, description="Year (default: the latest with both production and trade)."),
]
Method = Annotated[
    Literal["eu", "geopolrisk", "usgs"], Query(description="Criticality method: eu, geopolrisk or usgs.")
]
Stage = Annotated[str | None, Query(pattern=r"^[a-z_]{1,30}$", description="Only this stage (mine...).")]
CommodityPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_ ,()\-]{1,60}$", description="Commodity id or name (rare_earths).")
]
MineralPart = Literal["summary", "producers", "exporters", "concentration"]
ComparedCountries = Annotated[
    list[Iso3],
    Query(
        alias="country",
        min_length=2,
        max_length=MAX_COMPARED,
        description=f"A country to compare, code or name (EUU for the EU); give 2 to {MAX_COMPARED}.",
    ),
]


def known_country(db: Critmin, name: str, field: str = "iso3") -> str:
    """The code of a country (or bloc such as EUU) the store's places know, from a code or name.

    Raises a 400 naming the field, with the three closest names for an unknown one.
    """
    try:
        code = db.country_code(name)
    except CritminError as error:
        raise CritminError(f"{field}: {error}") from None
    if code not in set(db.places()["code"]):
        raise CritminError(f"{field}: no country {name!r} in the store; see /api/places")
    return code


def trade_provenance(db: Critmin, commodity_id: str, exporters: pd.DataFrame) -> str:
    """The trade vintages behind a mineral profile's exporters (it has no provenance column)."""
    years = sorted({int(y) for y in exporters["year"].dropna()})
    trade = db.trade(years, commodity=commodity_id, nomenclature=NOMENCLATURE)
    found = trade[["source", "release", "vintage_id"]].drop_duplicates().sort_values("vintage_id")
    return "; ".join(f"{s} {r} #{v}" for s, r, v in found.itertuples(index=False))


def mineral_concentration_over_time(db: Critmin, commodity_id: str, stage: str | None) -> pd.DataFrame:
    """:func:`concentration_over_time` of one commodity, via :func:`critmin.services.mineral_concentration`.

    The service adds HHI_WGI, HHI_WGI,t and ``release``; they are dropped so the API's table
    keeps the columns of :func:`~critmin.metrics.concentration.supply_concentration`.
    """
    frame = services.mineral_concentration(db, commodity_id)
    if stage is not None and len(frame):
        frame = frame[frame["stage"] == stage]
    if frame.empty:
        return pd.DataFrame()
    return frame.drop(columns=[*GOVERNANCE_COLUMNS, "release"], errors="ignore").reset_index(drop=True)


def _table(frame: pd.DataFrame) -> dict[str, Any]:
    return {"total": len(frame), "sources": sources(frame), "rows": records(frame)}


def concentration_over_time(
    db: Critmin, commodity: list[str] | str | None, stage: list[str] | str | None = None
) -> pd.DataFrame:
    """HHI (with bounds for Other countries), top-1 and top-3 shares per commodity, stage and year.

    Computed by :func:`critmin.metrics.concentration.supply_concentration` on the main series
    (``form == ''``) of production read with its World and Other-countries rows, in one read for
    all the commodities asked (:func:`critmin.services.mineral_concentration` gives the same rows
    for one commodity, but one call per commodity is slower for many, far slower on demand).
    """
    production = db.production(commodity, stage, aggregates=True)
    production = production[production["form"] == ""]
    if production.empty:
        return pd.DataFrame()
    return supply_concentration(production).sort_values(["commodity", "stage", "year"], ignore_index=True)


def producer_shares(
    db: Critmin, commodity: list[str] | str | None, stage: list[str] | str | None = None
) -> pd.DataFrame:
    """Each producer's share of world production per commodity, stage and year."""
    production = db.production(commodity, stage, aggregates=True)
    production = production[production["form"] == ""]
    if production.empty:
        return pd.DataFrame()
    shares = world_shares(*split_aggregates(production))
    return shares.sort_values(["commodity", "stage", "year", "share"], ascending=[True, True, True, False])


@router.get("/profiles/country/{iso3}")
def country(
    iso3: Iso3Path,
    db: Store,
    year: ProfileYear = None,
    method: Method = "eu",
    stage: Stage = None,
    all_minerals: Annotated[bool, Query(description="Also minerals it neither imports nor lists.")] = False,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """A country's exposures, most critical first: score, import concentration, top supplier, listed.

    The rows and columns of :func:`critmin.profiles.country_profile`, read through
    :func:`critmin.services.exposures`.
    """
    iso3 = known_country(db, iso3)
    frame = services.exposures(db, iso3, year=year, stage=stage, method=method, all_minerals=all_minerals)
    return table_response(frame, fmt, name=f"profile-{iso3}-{method}", offset=offset, limit=limit)


@functools.lru_cache(maxsize=64)
def _mineral_parts(
    key: str, db: Critmin, commodity_id: str, year: int | None, stage: str | None
) -> dict[str, pd.DataFrame]:
    """A mineral profile's four tables, cached per store state (an import changes the key).

    ``db`` is the server's long-lived handle (:func:`critmin.web.deps.store`), so a cache miss
    reads through its pool of connections instead of opening the store again.
    """
    profile = mineral_profile(db, commodity_id, year, stage=stage)
    exporters = profile.exporters
    if len(exporters) and "provenance" not in exporters.columns:
        exporters = exporters.assign(provenance=trade_provenance(db, commodity_id, exporters))
    return {
        "summary": profile.summary,
        "producers": profile.producers,
        "exporters": exporters,
        "concentration": mineral_concentration_over_time(db, commodity_id, stage),
    }


@router.get("/profiles/mineral/{commodity}")
def mineral(
    request: Request,
    commodity: CommodityPath,
    db: Store,
    year: ProfileYear = None,
    stage: Stage = None,
    part: Annotated[
        MineralPart | None, Query(description="Return only this part, as a table (pageable, csv, parquet).")
    ] = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """A mineral's supply: ``summary`` per stage, ``producers``, ``exporters`` and ``concentration`` by year.

    Without ``part`` all four come in one JSON object, each as ``{total, sources, rows}``.
    ``concentration`` (every year) is read through :func:`critmin.services.mineral_concentration`.
    """
    commodity_id = db.commodity_id(commodity)
    parts = _mineral_parts(store_key(request), db, commodity_id, year, stage)
    if part is not None:
        return table_response(
            parts[part], fmt, name=f"mineral-{commodity_id}-{part}", offset=offset, limit=limit
        )
    body = {"commodity": commodity_id, "year": year, **{name: _table(frame) for name, frame in parts.items()}}
    if year is None and len(parts["summary"]):
        body["year"] = int(parts["summary"]["year"].max())
    return JSONResponse(body)


@router.get("/profiles/pair/{a}/{b}")
def pair(
    a: Iso3Path,
    b: Iso3Path,
    db: Store,
    year: ProfileYear = None,
    method: Method = "eu",
    stage: Stage = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Minerals both countries import, with both scores, the joint score and their common suppliers.

    The rows and columns of :func:`critmin.profiles.pair_profile`, read through
    :func:`critmin.services.pair`.
    """
    a, b = known_country(db, a, "a"), known_country(db, b, "b")
    if a == b:
        raise CritminError(f"b: the pair needs two different countries, not {a} twice")
    frame = services.pair(db, a, b, year=year, stage=stage, method=method)
    return table_response(frame, fmt, name=f"pair-{a}-{b}-{method}", offset=offset, limit=limit)


@router.get("/compare")
def compare(
    db: Store,
    countries: ComparedCountries,
    year: ProfileYear = None,
    method: Method = "eu",
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Two to four countries side by side: one row per commodity and stage any of them imports or lists.

    Columns ``commodity, stage, year``, then for each country ``score_X``,
    ``import_reliance_X`` (EU method; net import reliance ``nir`` for the others),
    ``top1_exporter_X`` and ``top1_share_X``; then ``max_score`` (the highest of their scores)
    and ``provenance``. Most critical first (by ``max_score``). Each country's scores are those
    of ``/api/profiles/country/{iso3}``; read through :func:`critmin.services.compare`.
    """
    codes = list(dict.fromkeys(known_country(db, given, "country") for given in countries))
    if len(codes) < len(countries):
        raise CritminError(f"country: compare needs different countries, not {', '.join(countries)}")
    frame = services.compare(db, codes, year=year, method=method)
    return table_response(frame, fmt, name=f"compare-{'-'.join(codes)}-{method}", offset=offset, limit=limit)


@router.get("/concentration")
def concentration(
    db: Store,
    commodity: Commodities = None,
    stage: Stages = None,
    view: Annotated[
        Literal["hhi", "shares"], Query(description="hhi: HHI and top shares; shares: each producer's share.")
    ] = "hhi",
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Supply concentration of production over the years (USGS): HHI with bounds, or producer shares.

    At most 50 commodities; all commodities when none is given.
    """
    wanted = list(commodity) if commodity else None
    stages = list(stage) if stage else None
    if view == "shares":
        frame = producer_shares(db, wanted, stages)
    else:
        frame = concentration_over_time(db, wanted, stages)
    return table_response(frame, fmt, name=f"concentration-{view}", offset=offset, limit=limit)
