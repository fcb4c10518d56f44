"""A mineral's producers, its supply concentration over the years, and its largest trade flows."""

from __future__ import annotations

import pandas as pd

from critmin.api import Critmin
from critmin.derived import minerals, trade
from critmin.derived.trade import TOP_FLOWS
from critmin.profiles import read_inputs
from critmin.schema import MINERAL_CONCENTRATION, MINERAL_FLOWS, MINERAL_PRODUCERS
from critmin.services.exposures import exposure_years
from critmin.services.freshness import read_derived, uses_derived


def mineral_producers(db: Critmin, commodity: str) -> pd.DataFrame:
    """Each producer's share of world production per stage and year (USGS main series), with release.

    Columns of :func:`critmin.metrics.concentration.world_shares` plus ``release``; sorted by
    stage, year and share (largest first).
    """
    commodity_id = db.commodity_id(commodity)
    rows = read_derived(db, MINERAL_PRODUCERS.name, {"commodity": commodity_id})
    if rows is not None:
        return _order(
            rows, ["commodity", "stage", "year", "share", "country"], [True, True, True, False, True]
        )
    frame = minerals.producers(db.production(commodity_id, aggregates=True))
    return frame.reindex(columns=MINERAL_PRODUCERS.column_names) if len(frame) else frame


def mineral_concentration(db: Critmin, commodity: str) -> pd.DataFrame:
    """Supply concentration per stage and year: HHI with bounds, top-1/top-3, HHI_WGI and HHI_WGI,t, release.

    Columns of :func:`critmin.metrics.concentration.supply_concentration` plus those of
    :func:`critmin.metrics.governance.governance_concentration` named in
    :data:`critmin.derived.minerals.GOVERNANCE_COLUMNS` and ``release``.
    """
    commodity_id = db.commodity_id(commodity)
    rows = read_derived(db, MINERAL_CONCENTRATION.name, {"commodity": commodity_id})
    if rows is not None:
        return _order(rows, ["commodity", "stage", "year"], [True, True, True])
    frame = minerals.concentration(
        db.production(commodity_id, aggregates=True), db.governance(), db.restrictions()
    )
    return frame.reindex(columns=MINERAL_CONCENTRATION.column_names) if len(frame) else frame


def mineral_flows(db: Critmin, commodity: str, year: int | None = None, top: int = 20) -> pd.DataFrame:
    """The ``top`` largest exporter -> importer flows of a mineral in a year (all its HS92 codes, by value).

    ``year`` defaults to the latest with both production and trade; at most
    :data:`critmin.derived.trade.TOP_FLOWS` come from the derived table, more are computed.
    """
    commodity_id = db.commodity_id(commodity)
    years = exposure_years(db)
    chosen = year or (max(years) if years else None)
    if chosen is None:
        return pd.DataFrame(columns=MINERAL_FLOWS.column_names)
    if uses_derived(db) and chosen in years and top <= TOP_FLOWS:
        rows = read_derived(db, MINERAL_FLOWS.name, {"commodity": commodity_id, "year": chosen})
        if rows is not None:
            rows = _order(rows, ["value_usd", "exporter", "importer"], [False, True, True])
            return rows.head(top).reset_index(drop=True)
    inputs = read_inputs(db, chosen)
    flows = trade.mineral_flows(inputs, top)
    flows = flows[flows["commodity"] == commodity_id]
    return _order(flows, ["value_usd", "exporter", "importer"], [False, True, True])


def _order(frame: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return frame.sort_values(by, ascending=ascending, ignore_index=True)
