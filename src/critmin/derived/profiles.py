"""Country profiles of every importer for one year and method, as ``profiles.country_profile`` has them.

The criticality scores come from the vectorised metrics
(:func:`~critmin.metrics.all_metrics.eu_supply_risk_all`,
:func:`~critmin.metrics.criticality_all.geopolrisk_all`,
:func:`~critmin.metrics.criticality_all.usgs_supply_risk_all`), the trade part from
:func:`~critmin.metrics.timeseries.trade_exposure_all`; blocs (``EUU``) are scored with their
members, as the per-importer profile does. The rows hold every mineral (``all_minerals=True``)
in the order the profile builds them (commodity, stage), before its sort by score;
:mod:`critmin.services.exposures` filters and sorts them as the profile does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from critmin import reference_tables
from critmin.metrics import provenance as prov
from critmin.metrics.all_metrics import eu_supply_risk_all
from critmin.metrics.criticality_all import geopolrisk_all, usgs_supply_risk_all
from critmin.metrics.criticality_eu import eu_supply_risk
from critmin.metrics.timeseries import trade_exposure_all
from critmin.metrics.trade_exposure import aggregate_codes
from critmin.profiles import METHODS, NOMENCLATURE, SCORE, Inputs, score_notes

KEYS = ["commodity", "stage", "year"]
TRADE_COLUMNS = ["basis", "hhi", "top1_exporter", "top1_share", "share_weak_governance", "nir", "provenance"]
RENAMED = {"hhi": "import_hhi", "basis": "share_basis", "provenance": "trade_provenance"}


def importers_of(inputs: Inputs) -> dict[str, Sequence[str]]:
    """Every non-aggregate importer of the year's trade, then the blocs: label -> member countries."""
    skip = aggregate_codes(inputs.places)
    countries = sorted(set(inputs.trade["importer"].astype(str)) - skip)
    out: dict[str, Sequence[str]] = {c: (c,) for c in countries}
    out.update({bloc: reference_tables.members(bloc) for bloc in reference_tables.BLOCS})
    return out


def scores(inputs: Inputs, method: str, importers: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Every importer's criticality, plus ``method`` and ``score`` (``profiles.criticality``)."""
    hs = inputs.hs_codes[inputs.hs_codes["nomenclature"] == NOMENCLATURE]
    parameters = reference_tables.criticality_parameters()
    if method == "eu":
        countries = [label for label, members in importers.items() if tuple(members) == (label,)]
        parts = [
            eu_supply_risk_all(
                inputs.production,
                inputs.trade,
                hs,
                inputs.governance,
                inputs.restrictions,
                parameters,
                importers=countries,
                aggregates=inputs.places,
            )
        ]
        for label, members in importers.items():
            if label not in countries:
                parts.append(
                    eu_supply_risk(
                        inputs.production,
                        inputs.trade,
                        hs,
                        inputs.governance,
                        inputs.restrictions,
                        parameters,
                        importer=label,
                        members=members,
                    )
                )
        frame = pd.concat([p for p in parts if len(p)], ignore_index=True)
    elif method == "geopolrisk":
        frame = geopolrisk_all(
            inputs.production,
            inputs.trade,
            hs,
            inputs.governance,
            parameters,
            importers=importers,
            materials=reference_tables.geopolrisk_hs_map(),
        )
    elif method == "usgs":
        frame = usgs_supply_risk_all(
            inputs.production,
            inputs.governance,
            parameters,
            inputs.trade,
            hs,
            importers=importers,
            materials=reference_tables.geopolrisk_hs_map(),
        )
    else:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    frame = frame.assign(year=frame["year"].astype("int64"))
    return frame.assign(method=method, score=frame[SCORE[method]])


def trade_part(inputs: Inputs, importers: Sequence[str]) -> pd.DataFrame:
    """Import concentration, top supplier, weak-governance share and NIR of every country importer."""
    pv = inputs.governance[inputs.governance["indicator"] == "pv"]
    exposure = trade_exposure_all(
        inputs.trade,
        inputs.hs_codes[inputs.hs_codes["nomenclature"] == NOMENCLATURE],
        pv,
        inputs.production,
        aggregates=inputs.places,
        world=False,
    )
    frame = exposure[[*KEYS, "importer", *TRADE_COLUMNS]].copy()
    for column in ("commodity", "stage", "importer", "basis", "top1_exporter", "provenance"):
        frame[column] = [str(v) if isinstance(v, str) else None for v in frame[column].astype(object)]
    frame["year"] = frame["year"].astype("int64")
    frame = frame[frame["importer"].isin(set(importers))]
    return frame.rename(columns=RENAMED)


def listed_minerals(lists: pd.DataFrame) -> pd.DataFrame:
    """Rows ``importer, commodity`` of each jurisdiction's newest official list."""
    if lists.empty:
        return pd.DataFrame(columns=["importer", "commodity"])
    newest = lists.groupby("jurisdiction")["list_year"].transform("max")
    rows = lists[lists["list_year"] == newest]
    return (
        rows[["jurisdiction", "commodity"]]
        .drop_duplicates()
        .rename(columns={"jurisdiction": "importer"})
        .astype(str)
    )


def combined_provenance(first: pd.Series, second: pd.Series) -> list[str]:
    """Row-wise :func:`critmin.metrics.provenance.combine` of two columns, joined once per distinct pair."""
    pairs = list(zip(first, second, strict=True))
    cache: dict[tuple[str | None, ...], str] = {}
    out = []
    for pair in pairs:
        key = tuple(v if isinstance(v, str) else None for v in pair)
        if key not in cache:
            cache[key] = prov.join([v for v in key if v is not None])
        out.append(cache[key])
    return out


def country_profiles(inputs: Inputs, method: str, lists: pd.DataFrame) -> pd.DataFrame:
    """Every importer's profile for the year and method: ``country_profile`` + ``score_provenance``."""
    importers = importers_of(inputs)
    scored = scores(inputs, method, importers)
    countries = [label for label in importers if label not in reference_tables.BLOCS]
    trade = trade_part(inputs, countries)
    profile = scored.merge(trade, on=[*KEYS, "importer"], how="outer", sort=False)
    profile["method"] = method
    profile["score_provenance"] = profile["provenance"]
    profile["score_note"] = score_notes(profile, method, profile["score_provenance"].notna())
    profile["provenance"] = combined_provenance(profile["provenance"], profile["trade_provenance"])
    profile = profile.drop(columns=["trade_provenance"])
    listed = listed_minerals(lists).assign(listed=True)
    profile = profile.merge(listed, on=["importer", "commodity"], how="left")
    profile["listed"] = profile["listed"].astype("boolean").fillna(False).astype(bool)
    return profile.sort_values(["importer", *KEYS], ignore_index=True)
