"""Each mineral's producers and supply concentration over every year of the production data."""

from __future__ import annotations

import pandas as pd

from critmin.metrics.concentration import split_aggregates, supply_concentration, world_shares
from critmin.metrics.governance import governance_concentration

KEYS = ["commodity", "stage", "year"]
GOVERNANCE_COLUMNS = ["hhi_wgi", "hhi_wgi_t", "hhi_wgi_t_lower", "hhi_wgi_t_upper"]


def main_production(production: pd.DataFrame) -> pd.DataFrame:
    """The main series (``form == ''``) of ``db.production(aggregates=True)`` rows."""
    return production[production["form"] == ""]


def releases(production: pd.DataFrame) -> pd.DataFrame:
    """The releases behind each commodity, stage and year (``release`` joined with ``", "``)."""
    return (
        production.groupby(KEYS, sort=False)["release"]
        .agg(lambda r: ", ".join(sorted(set(r.astype(str)))))
        .reset_index()
    )


def producers(production: pd.DataFrame) -> pd.DataFrame:
    """Each producer's share of world production (``world_shares``) with its release."""
    main = main_production(production)
    if main.empty:
        return pd.DataFrame()
    shares = world_shares(*split_aggregates(main))
    shares = shares.merge(releases(main), on=KEYS, how="left")
    return shares.sort_values(
        ["commodity", "stage", "year", "share", "country"],
        ascending=[True, True, True, False, True],
        ignore_index=True,
    )


def concentration(
    production: pd.DataFrame, governance: pd.DataFrame, restrictions: pd.DataFrame | None
) -> pd.DataFrame:
    """:func:`~critmin.metrics.concentration.supply_concentration`, HHI_WGI, HHI_WGI,t and release.

    A store without WGI rows yet (a USGS import alone) gets the HHI with empty governance columns.
    """
    main = main_production(production)
    if main.empty:
        return pd.DataFrame()
    frame = supply_concentration(main)
    if governance.empty:
        frame = frame.assign(**{column: float("nan") for column in GOVERNANCE_COLUMNS})
    else:
        shares = world_shares(*split_aggregates(main))
        weighted = governance_concentration(shares, governance, restrictions)[[*KEYS, *GOVERNANCE_COLUMNS]]
        frame = frame.merge(weighted, on=KEYS, how="left")
    frame = frame.merge(releases(main), on=KEYS, how="left")
    return frame.sort_values(KEYS, ignore_index=True)
