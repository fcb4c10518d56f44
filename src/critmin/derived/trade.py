"""Import sources of every importer, and each mineral's largest trade flows, per year."""

from __future__ import annotations

import numpy as np
import pandas as pd

from critmin.metrics import provenance as prov
from critmin.metrics.trade_exposure import commodity_groups, import_shares
from critmin.profiles import NOMENCLATURE, Inputs

TOP_FLOWS = 50
"""Flows kept per commodity and year in ``derived_mineral_flows`` (largest by value)."""


def _codes(inputs: Inputs) -> pd.DataFrame:
    return inputs.hs_codes[inputs.hs_codes["nomenclature"] == NOMENCLATURE]


def import_sources(inputs: Inputs) -> pd.DataFrame:
    """:func:`~critmin.metrics.trade_exposure.import_shares` of every importer (no world row), provenance.

    ``provenance`` and ``release`` name the trade vintages of the commodity's HS codes in the year
    (each year and HS code comes whole from one release); ``row_order`` keeps the metric's order.
    """
    shares = import_shares(inputs.trade, _codes(inputs), aggregates=inputs.places, world=False)
    groups = commodity_groups(_codes(inputs), NOMENCLATURE)
    trade = inputs.trade
    tagged = pd.DataFrame(
        {
            "year": trade["year"].astype("int64").to_numpy(),
            "hs6": trade["hs6"].astype(str).to_numpy(),
            "tag": prov.tags(trade).to_numpy(),
            "release": trade["release"].astype(str).to_numpy(),
        }
    ).drop_duplicates()
    tagged = tagged.merge(groups[["hs6", "commodity", "stage"]], on="hs6")
    keys = ["commodity", "stage", "year"]
    trail = tagged.groupby(keys, sort=False).agg(
        provenance=("tag", prov.join), release=("release", lambda r: ", ".join(sorted(set(r))))
    )
    out = shares.merge(trail.reset_index(), on=keys, how="left")
    return out.assign(row_order=np.arange(len(out), dtype=np.int64))


def mineral_flows(inputs: Inputs, top: int = TOP_FLOWS) -> pd.DataFrame:
    """The ``top`` largest exporter -> importer flows (by value) of each commodity, all its HS92 codes summed.

    As the mineral page sums them: every HS code the catalog maps to the commodity, at any stage,
    aggregates and self-trade included.
    """
    codes = _codes(inputs)[["commodity", "hs6"]].drop_duplicates()
    trade = inputs.trade.merge(codes, on="hs6")
    if trade.empty:
        return pd.DataFrame(
            columns=["commodity", "year", "exporter", "importer", "quantity_t", "value_usd", "release"]
        )
    keys = ["commodity", "year", "exporter", "importer"]
    frame = trade.assign(year=trade["year"].astype("int64"))
    flows = frame.groupby(keys, as_index=False, sort=False).agg(
        quantity_t=("quantity_t", "sum"), value_usd=("value_usd", "sum")
    )
    releases = (
        frame.groupby(["commodity", "year"], sort=False)["release"]
        .agg(lambda r: ", ".join(sorted(set(r.astype(str)))))
        .reset_index()
    )
    flows = flows.sort_values(["commodity", "year", "value_usd"], ascending=[True, True, False])
    flows = flows.groupby(["commodity", "year"], sort=False).head(top)
    return flows.merge(releases, on=["commodity", "year"], how="left").reset_index(drop=True)
