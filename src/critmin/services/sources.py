"""Where a country imports each mineral from: every supplier's share, with quantities and provenance."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from critmin.api import Critmin
from critmin.derived import trade
from critmin.profiles import read_inputs
from critmin.schema import IMPORT_SOURCES_DERIVED
from critmin.services.exposures import exposure_years
from critmin.services.freshness import read_derived

ORDER = ["commodity", "stage", "year", "share", "exporter"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=["row_order"], errors="ignore")
    return frame.sort_values(ORDER, ascending=[True, True, True, False, True], ignore_index=True)


def import_sources(
    db: Critmin, iso3: str, *, commodity: str | None = None, year: int | None = None
) -> pd.DataFrame:
    """Each supplier's share of ``iso3``'s imports per commodity and stage in a year (BACI HS92).

    The columns of :func:`critmin.metrics.trade_exposure.import_shares` (``share`` on the
    ``basis`` it names; aggregate suppliers flagged ``is_aggregate``, their share is the
    unattributed part), with ``release`` and ``provenance``. Sorted by commodity, stage and
    share (largest first). ``year`` defaults to the latest with both production and trade.
    """
    wanted = db.commodity_id(commodity) if commodity is not None else None
    years = exposure_years(db)
    chosen = year or (max(years) if years else None)
    if chosen is None:
        return pd.DataFrame(columns=[c for c in IMPORT_SOURCES_DERIVED.column_names if c != "row_order"])
    rows = (
        read_derived(db, IMPORT_SOURCES_DERIVED.name, {"importer": iso3, "year": chosen, "commodity": wanted})
        if chosen in years
        else None
    )
    if rows is not None:
        return _sorted(rows)
    inputs = read_inputs(db, chosen)
    own = inputs.trade[inputs.trade["importer"] == iso3]
    if own.empty:
        return pd.DataFrame(columns=[c for c in IMPORT_SOURCES_DERIVED.column_names if c != "row_order"])
    rows = trade.import_sources(replace(inputs, trade=own))
    if wanted is not None:
        rows = rows[rows["commodity"] == wanted]
    return _sorted(rows[IMPORT_SOURCES_DERIVED.column_names])
