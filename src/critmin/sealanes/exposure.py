"""Imports through each chokepoint: per importer, commodity, stage and year, and per chokepoint for the world.

An importer's imports of a commodity (BACI HS92, the supplier table of the derived tables) pass a
chokepoint when the route from the supplier passes it (:mod:`critmin.sealanes.routes`). Shares are
of *all* the importer's imports of that commodity, stage and year, seaborne or not, in tonnes (over
the rows that report a quantity) and in value. Flows from aggregates ("areas not elsewhere
specified") and other unrouted pairs count in the totals and in ``unrouted_t``, never in a
chokepoint.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["importer", "commodity", "stage", "year"]
WORLD_KEYS = ["chokepoint", "commodity", "stage", "year"]

EXPOSURE_COLUMNS = [
    *KEYS,
    "chokepoint",
    "quantity_t",
    "value_usd",
    "share_t",
    "share_usd",
    "imports_t",
    "imports_usd",
    "seaborne_t",
    "overland_t",
    "unrouted_t",
    "release",
]


def chokepoint_exposure(sources: pd.DataFrame, routes: pd.DataFrame) -> pd.DataFrame:
    """One row per importer x commodity x stage x year x chokepoint its imports pass (``EXPOSURE_COLUMNS``).

    ``sources``: the derived supplier table (importer, commodity, stage, year, exporter, value_usd,
    quantity_t, release); ``routes``: :func:`critmin.sealanes.routes.route_pairs` rows.
    """
    if sources.empty:
        return pd.DataFrame(columns=EXPOSURE_COLUMNS)
    flows = sources[[*KEYS, "exporter", "value_usd", "quantity_t", "release"]].merge(
        routes[["exporter", "importer", "mode", "chokepoints"]], on=["exporter", "importer"], how="left"
    )
    flows["mode"] = flows["mode"].fillna("unrouted")
    tonnes = flows["quantity_t"].fillna(0.0)
    for mode in ("sea", "overland", "unrouted"):
        flows[f"{'seaborne' if mode == 'sea' else mode}_t"] = np.where(flows["mode"] == mode, tonnes, 0.0)
    grouped = flows.groupby(KEYS, sort=False)
    totals = grouped[["value_usd", "seaborne_t", "overland_t", "unrouted_t"]].sum()
    totals = totals.rename(columns={"value_usd": "imports_usd"})
    totals["imports_t"] = grouped["quantity_t"].sum(min_count=1)
    totals["release"] = grouped["release"].first()
    seaborne = flows[flows["mode"] == "sea"]
    passing = seaborne.assign(chokepoint=seaborne["chokepoints"].fillna("").str.split())
    passing = passing.explode("chokepoint").dropna(subset=["chokepoint"])
    passing = passing[passing["chokepoint"] != ""]
    if passing.empty:
        return pd.DataFrame(columns=EXPOSURE_COLUMNS)
    by_lane = passing.groupby([*KEYS, "chokepoint"], sort=False)
    through = by_lane[["value_usd"]].sum()
    through["quantity_t"] = by_lane["quantity_t"].sum(min_count=1)
    out = through.reset_index().merge(totals.reset_index(), on=KEYS, how="left")
    out["share_t"] = out["quantity_t"] / out["imports_t"].where(out["imports_t"] > 0)
    out["share_usd"] = out["value_usd"] / out["imports_usd"].where(out["imports_usd"] > 0)
    return out[EXPOSURE_COLUMNS].sort_values([*KEYS, "share_usd"], ascending=[True] * 4 + [False])


def chokepoint_world(exposure: pd.DataFrame) -> pd.DataFrame:
    """Per chokepoint, commodity, stage and year: the world's imports passing it (all importers summed)."""
    if exposure.empty:
        return pd.DataFrame(columns=[*WORLD_KEYS, "quantity_t", "value_usd", "importers", "release"])
    return (
        exposure.groupby(WORLD_KEYS, sort=False)
        .agg(
            quantity_t=("quantity_t", lambda q: q.sum(min_count=1)),
            value_usd=("value_usd", "sum"),
            importers=("importer", "nunique"),
            release=("release", lambda r: ", ".join(sorted(set(r.dropna())))),
        )
        .reset_index()
        .sort_values(["chokepoint", "year", "value_usd"], ascending=[True, True, False])
    )
