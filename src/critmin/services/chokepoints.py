"""Imports through the sea-lane chokepoints: a country's exposure, and what passes one chokepoint."""

from __future__ import annotations

import difflib

import pandas as pd

from critmin.api import Critmin
from critmin.derived import trade
from critmin.errors import CritminError
from critmin.profiles import read_inputs
from critmin.schema import CHOKEPOINT_EXPOSURE, SEA_ROUTES
from critmin.sealanes.exposure import EXPOSURE_COLUMNS, chokepoint_exposure, chokepoint_world
from critmin.sealanes.network import ROUTING
from critmin.sealanes.reference import Chokepoint, chokepoints
from critmin.sealanes.routes import paths_to, route_pairs
from critmin.services.exposures import exposure_years
from critmin.services.freshness import read_derived
from critmin.services.sources import import_sources


def _key(text: str) -> str:
    return text.strip().lower().replace("-", "_").replace(" ", "_")


def chokepoint(name: str) -> Chokepoint:
    """The chokepoint with this id or name (any case); unknown names get the closest three."""
    wanted = _key(name)
    for point in chokepoints():
        if wanted in (point.id, _key(point.name)):
            return point
    for point in chokepoints():
        if wanted and (wanted in point.id or wanted in _key(point.name)):
            return point
    names = [p.id for p in chokepoints()]
    close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.0)
    raise CritminError(f"unknown chokepoint {name!r}; closest: {', '.join(close)} (all: {', '.join(names)})")


def _year(db: Critmin, year: int | None) -> int:
    years = exposure_years(db)
    if year is not None:
        return year
    if not years:
        raise CritminError("the store holds no year with both trade and production data")
    return max(years)


def country_chokepoints(
    db: Critmin, iso3: str, *, year: int | None = None, commodity: str | None = None
) -> pd.DataFrame:
    """``iso3``'s imports per commodity and stage through each chokepoint in a year (``EXPOSURE_COLUMNS``).

    Read from the derived table when fresh, else computed from the supplier shares and the routes.
    Sorted by commodity, stage and value share (largest first).
    """
    chosen = _year(db, year)
    wanted = db.commodity_id(commodity) if commodity is not None else None
    rows = read_derived(db, CHOKEPOINT_EXPOSURE.name, {"importer": iso3, "year": chosen, "commodity": wanted})
    if rows is None:
        sources = import_sources(db, iso3, commodity=wanted, year=chosen)
        routes = route_pairs(zip(sources["exporter"], sources["importer"], strict=True))
        rows = chokepoint_exposure(sources, routes)
    return _named(rows.sort_values(["commodity", "stage", "share_usd"], ascending=[True, True, False]))


def chokepoint_flows(db: Critmin, name: str, *, year: int | None = None) -> pd.DataFrame:
    """What passes one chokepoint in a year: per commodity and stage, the world's imports through it.

    Columns: chokepoint, commodity, stage, year, quantity_t, value_usd, importers; then
    ``top_importers`` (the three importing most through it, by value). Sorted by value.
    """
    point = chokepoint(name)
    chosen = _year(db, year)
    rows = read_derived(db, CHOKEPOINT_EXPOSURE.name, {"chokepoint": point.id, "year": chosen})
    if rows is None:
        inputs = read_inputs(db, chosen)
        sources = trade.import_sources(inputs)
        routes = route_pairs(zip(sources["exporter"], sources["importer"], strict=True))
        every = chokepoint_exposure(sources, routes)
        rows = every[every["chokepoint"] == point.id]
    world = chokepoint_world(rows)
    top = (
        rows.sort_values("value_usd", ascending=False)
        .groupby(["commodity", "stage"], sort=False)["importer"]
        .agg(lambda s: ", ".join(s.head(3)))
        .rename("top_importers")
    )
    out = world.merge(top.reset_index(), on=["commodity", "stage"], how="left")
    return _named(out.sort_values("value_usd", ascending=False).reset_index(drop=True))


def supplier_routes(db: Critmin, iso3: str, commodity: str, *, year: int | None = None) -> pd.DataFrame:
    """Each supplier of ``iso3``'s imports of ``commodity`` with its route and, by sea, its path.

    Columns: the supplier table's (exporter, stage, value_usd, quantity_t, share, release), then
    mode, rule, origin_port, destination_port, distance_km, chokepoints (ids) and ``path``
    (lon, lat points; empty unless by sea). Routes come from the derived table when fresh.
    """
    chosen = _year(db, year)
    sources = import_sources(db, iso3, commodity=commodity, year=chosen)
    sources = sources[~sources["is_aggregate"].astype(bool)] if len(sources) else sources
    pairs = sorted(set(zip(sources["exporter"], sources["importer"], strict=True)))
    stored = read_derived(db, SEA_ROUTES.name, {"importer": iso3})
    routes = stored if stored is not None else route_pairs(pairs)
    keep = ["exporter", "stage", "value_usd", "quantity_t", "share", "release"]
    out = sources[keep].merge(routes.drop(columns=["importer", "method_version"]), on="exporter", how="left")
    out["mode"] = out["mode"].fillna("unrouted")
    paths: dict[tuple[str, str], list[tuple[float, float]]] = {}
    by_sea = out[out["mode"] == "sea"]
    for destination, group in by_sea.groupby("destination_port"):
        for origin, path in paths_to(str(destination), group["origin_port"].astype(str)).items():
            paths[(origin, str(destination))] = path
    found: list[object] = [
        paths.get((str(o), str(d)), [])
        for o, d in zip(out["origin_port"], out["destination_port"], strict=True)
    ]
    out["path"] = pd.Series(found, index=out.index, dtype=object)
    return out.sort_values(["stage", "value_usd"], ascending=[True, False]).reset_index(drop=True)


def _named(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each chokepoint's name beside its id and the provenance of every row."""
    names = {p.id: p.name for p in chokepoints()}
    out = frame.reset_index(drop=True)
    out.insert(list(out.columns).index("chokepoint") + 1, "chokepoint_name", out["chokepoint"].map(names))
    out["provenance"] = out["release"].fillna("trade release unknown").astype(str) + "; " + ROUTING
    return out


__all__ = ["EXPOSURE_COLUMNS", "chokepoint", "chokepoint_flows", "country_chokepoints", "supplier_routes"]
