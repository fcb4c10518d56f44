"""Compute every derived table from a store and write them with the state they belong to."""

from __future__ import annotations

import pandas as pd

from critmin.api import Critmin
from critmin.derived import minerals, trade
from critmin.derived.profiles import country_profiles
from critmin.derived.state import expected_state
from critmin.errors import CritminError
from critmin.profiles import METHODS, NOMENCLATURE, read_inputs
from critmin.schema import (
    CHOKEPOINT_EXPOSURE,
    IMPORT_SOURCES_DERIVED,
    MINERAL_CONCENTRATION,
    MINERAL_FLOWS,
    MINERAL_PRODUCERS,
    PROFILE_TABLES,
    SEA_ROUTES,
)
from critmin.sealanes.exposure import chokepoint_exposure
from critmin.sealanes.network import METHOD_VERSION
from critmin.sealanes.routes import route_pairs
from critmin.store import Store


def profile_years(db: Critmin) -> list[int]:
    """Years with both USGS mine production and HS92 trade (``profiles.latest_year`` picks the last).

    None while the store holds no governance indicators: every criticality method weighs
    suppliers by them, so the profiles wait (empty) until WGI is imported, whatever the order
    the sources come in.
    """
    if int(db.store.query("SELECT count(*) AS n FROM governance")["n"].iloc[0]) == 0:
        return []
    production = set(db.production(year=None, stage="mine")["year"].dropna().astype(int))
    return sorted(production & set(db.trade_years(nomenclature=NOMENCLATURE)))


def compute(db: Critmin) -> dict[str, pd.DataFrame]:
    """Every derived table of the store ``db``, by table name (see :data:`critmin.schema.DERIVED_TABLES`)."""
    profiles: dict[str, list[pd.DataFrame]] = {m: [] for m in METHODS}
    sources, flows = [], []
    lists = db.lists()
    for year in profile_years(db):
        inputs = read_inputs(db, year)
        for method in METHODS:
            profiles[method].append(country_profiles(inputs, method, lists))
        sources.append(trade.import_sources(inputs))
        flows.append(trade.mineral_flows(inputs))
    production = db.production(aggregates=True)
    frames = {
        PROFILE_TABLES[m].name: _concat(parts, PROFILE_TABLES[m].column_names)
        for m, parts in profiles.items()
    }
    frames[IMPORT_SOURCES_DERIVED.name] = _concat(sources, IMPORT_SOURCES_DERIVED.column_names)
    frames[MINERAL_FLOWS.name] = _concat(flows, MINERAL_FLOWS.column_names)
    frames[MINERAL_PRODUCERS.name] = _concat([minerals.producers(production)], MINERAL_PRODUCERS.column_names)
    frames[SEA_ROUTES.name] = sea_routes(db)
    frames[CHOKEPOINT_EXPOSURE.name] = _concat(
        [chokepoint_exposure(frames[IMPORT_SOURCES_DERIVED.name], frames[SEA_ROUTES.name])],
        CHOKEPOINT_EXPOSURE.column_names,
    )
    frames[MINERAL_CONCENTRATION.name] = _concat(
        [minerals.concentration(production, db.governance(), db.restrictions())],
        MINERAL_CONCENTRATION.column_names,
    )
    return frames


def sea_routes(db: Critmin) -> pd.DataFrame:
    """Routes of every exporter -> importer pair of the trade table.

    Pairs the stored table already routed with this method version
    (:data:`critmin.sealanes.network.METHOD_VERSION`) are kept, not routed again.
    """
    pairs = db.store.query("SELECT DISTINCT exporter, importer FROM trade")
    if pairs.empty:
        return pd.DataFrame(columns=SEA_ROUTES.column_names)
    kept = pd.DataFrame(columns=SEA_ROUTES.column_names)
    present = db.store.query(
        "SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?", [SEA_ROUTES.name]
    )
    if int(present["n"].iloc[0]):
        stored = db.store.read_derived(SEA_ROUTES.name, {"method_version": METHOD_VERSION})
        kept = stored.merge(pairs, on=["exporter", "importer"])
    done = set(zip(kept["exporter"], kept["importer"], strict=True))
    missing = [p for p in zip(pairs["exporter"], pairs["importer"], strict=True) if p not in done]
    return _concat([kept, route_pairs(missing)], SEA_ROUTES.column_names)


def _concat(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    kept = [p for p in parts if len(p)]
    if not kept:
        return pd.DataFrame(columns=columns)
    return pd.concat(kept, ignore_index=True).reindex(columns=columns)


def refresh(store: Store) -> dict[str, int]:
    """Recompute and store the derived tables of ``store`` (a store bound to a transaction, or any store).

    A store with no trade or production year yet gets empty tables, still marked fresh.
    Returns the rows written per table.
    """
    db = Critmin(store=store)
    try:
        frames = compute(db)
    except CritminError as exc:
        raise CritminError(f"derived tables: {exc}") from exc
    return store.write_derived(frames, expected_state(store))
