"""The interim main job: each chosen country's listed critical minerals with the most concentrated supply."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from critmin.api import Critmin
from critmin.metrics.concentration import concentration

STAGES = ("mine", "refinery")


def latest_list(db: Critmin, country: str) -> pd.DataFrame:
    """The newest official critical-mineral list of a jurisdiction (empty if it has none)."""
    lists = db.lists(jurisdiction=country)
    if lists.empty:
        return lists
    newest = lists["list_year"].max()
    return lists[lists["list_year"] == newest]


def supply_concentration(db: Critmin, commodities: Sequence[str]) -> pd.DataFrame:
    """Concentration of mine and refinery production in each commodity's latest year."""
    production = db.production(list(commodities), stage=list(STAGES), aggregates=True)
    production = production[production["form"] == ""]
    if production.empty:
        return pd.DataFrame()
    latest = production.groupby(["commodity", "stage"])["year"].transform("max")
    production = production[production["year"] == latest]
    countries = production[~production["is_aggregate"]]
    world = production[production["country"] == "WLD"]
    summary = concentration(countries, world)
    releases = production.groupby(["commodity", "stage", "year"])["release"].agg(
        lambda r: ",".join(sorted(set(r)))
    )
    return summary.merge(releases.reset_index(), on=["commodity", "stage", "year"], how="left")


def most_concentrated(db: Critmin, countries: Sequence[str], top: int = 10) -> pd.DataFrame:
    r"""Each country's listed critical minerals ranked by the top producer's share of world supply.

    The share is of the published world total where USGS gives one, else of the reported
    countries' sum (``share_basis`` says which).
    """
    frames = []
    for country in countries:
        listed = latest_list(db, country)
        if listed.empty:
            continue
        summary = supply_concentration(db, sorted(set(listed["commodity"])))
        if summary.empty:
            continue
        share_of_world = summary.get("top1_share_of_world")
        summary["top1_share_world_or_reported"] = (
            share_of_world.fillna(summary["top1_share"])
            if share_of_world is not None
            else summary["top1_share"]
        )
        summary["share_basis"] = (
            share_of_world.notna().map({True: "world total", False: "reported countries"})
            if share_of_world is not None
            else "reported countries"
        )
        summary = summary.sort_values(["top1_share_world_or_reported", "hhi"], ascending=False).head(top)
        summary.insert(0, "list", f"{listed['list_name'].iloc[0]} ({int(listed['list_year'].iloc[0])})")
        summary.insert(0, "country", country)
        frames.append(summary)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
