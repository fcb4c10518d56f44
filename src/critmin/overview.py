"""The interim main job: chosen countries' listed critical minerals with the most concentrated supply."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from critmin.api import Critmin
from critmin.metrics.concentration import concentration

STAGES = ("mine", "refinery", "smelter", "primary")
"""Stages compared: extraction and the first processing steps USGS reports."""


def latest_list(db: Critmin, country: str) -> pd.DataFrame:
    """The newest official critical-mineral list of a jurisdiction (empty if it has none)."""
    lists = db.lists(jurisdiction=country)
    if lists.empty:
        return lists
    newest = lists["list_year"].max()
    return lists[lists["list_year"] == newest]


def supply_concentration(db: Critmin, commodities: Sequence[str]) -> pd.DataFrame:
    """Concentration of production at each stage in the latest year USGS reports it."""
    production = db.production(list(commodities), stage=list(STAGES), aggregates=True)
    production = production[production["form"] == ""]
    if production.empty:
        return pd.DataFrame()
    latest = production.groupby(["commodity", "stage"])["year"].transform("max")
    production = production[production["year"] == latest]
    summary = concentration(
        production[~production["is_aggregate"]], production[production["country"] == "WLD"]
    )
    keys = ["commodity", "stage", "year"]
    provenance = production.groupby(keys).agg(
        release=("release", lambda r: ",".join(sorted(set(r)))),
        estimated=("estimated", "any"),
    )
    return summary.merge(provenance.reset_index(), on=keys, how="left")


def most_concentrated(db: Critmin, countries: Sequence[str], top: int = 10) -> pd.DataFrame:
    """The minerals on the countries' official lists whose supply is most concentrated.

    Ranked by the top producer's share of the published world total (of the reported
    countries' sum where USGS gives no world total; ``share_basis`` says which), then by
    HHI. ``listed_by`` names the countries whose newest list includes the mineral, and
    ``lists`` the lists used.
    """
    listed = []
    for country in countries:
        rows = latest_list(db, country)
        if not rows.empty:
            listed.append(rows.assign(country=country))
    if not listed:
        return pd.DataFrame()
    lists = pd.concat(listed, ignore_index=True)
    by_commodity = lists.groupby("commodity")["country"].agg(lambda c: ",".join(sorted(set(c))))
    summary = supply_concentration(db, sorted(by_commodity.index))
    if summary.empty:
        return summary
    of_world = summary.get("top1_share_of_world")
    if of_world is None:
        summary["share_basis"] = "reported countries"
    else:
        summary["share_basis"] = of_world.notna().map({True: "world total", False: "reported countries"})
        summary["top1_share"] = of_world.fillna(summary["top1_share"])
        summary["top3_share"] = summary["top3_share_of_world"].fillna(summary["top3_share"])

    summary["listed_by"] = summary["commodity"].map(by_commodity)
    summary["lists"] = "; ".join(
        f"{c}: {name} ({int(year)})"
        for c, name, year in lists[["country", "list_name", "list_year"]]
        .drop_duplicates()
        .itertuples(index=False)
    )
    return summary.sort_values(["top1_share", "hhi"], ascending=False).head(top).reset_index(drop=True)
