"""A country's exposures, the years they cover, a pair of countries and a side-by-side comparison."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from critmin import profiles
from critmin.api import Critmin
from critmin.derived.refresh import profile_years
from critmin.errors import CritminError
from critmin.metrics.provenance import combine
from critmin.schema import IMPORT_SOURCES_DERIVED, PROFILE_TABLES
from critmin.services.freshness import read_derived

MAX_COMPARED = 4


def _method(method: str) -> None:
    if method not in profiles.METHODS:
        raise CritminError(f"unknown method {method!r}; choose from {', '.join(profiles.METHODS)}")


def exposure_years(db: Critmin) -> list[int]:
    """The years exposures can be computed for (both production and trade), ascending."""
    found = read_derived(db, PROFILE_TABLES["eu"].name, columns=("year",), distinct=True)
    if found is not None and len(found):
        return sorted({int(y) for y in found["year"]})
    return profile_years(db)


def _derived_rows(db: Critmin, iso3: str, year: int | None, method: str) -> tuple[pd.DataFrame, int] | None:
    """All-mineral derived rows of ``iso3`` by commodity and stage, or ``None``: compute on demand."""
    if not db.derived:
        return None
    years = exposure_years(db)
    if not years:
        return None
    wanted = year or max(years)
    if wanted not in years:
        return None
    rows = read_derived(
        db, PROFILE_TABLES[method].name, {"importer": iso3, "year": wanted}, order=("commodity", "stage")
    )
    if rows is None or rows.empty:
        return None
    return rows, wanted


def exposures(
    db: Critmin,
    iso3: str,
    *,
    year: int | None = None,
    stage: str | None = None,
    method: str = "eu",
    all_minerals: bool = False,
) -> pd.DataFrame:
    """:func:`critmin.profiles.country_profile`: same rows, columns and order, from the derived tables.

    Parameters
    ----------
    db
        The store handle.
    iso3
        Importer (ISO3, or a bloc such as ``EUU``).
    year
        Default: the latest year with both production and trade.
    stage
        Only this stage.
    method
        ``eu``, ``geopolrisk`` or ``usgs``.
    all_minerals
        Also minerals the country neither imports nor lists.
    """
    _method(method)
    found = _derived_rows(db, iso3, year, method)
    if found is None:
        return profiles.country_profile(db, iso3, year, stage=stage, method=method, all_minerals=all_minerals)
    profile = found[0].drop(columns=["score_provenance"])
    if stage is not None:
        profile = profile[profile["stage"] == stage]
    if not all_minerals:
        imported = profile["top1_exporter"].notna() | (profile.get("imports_t", 0) > 0)
        profile = profile[imported | profile["listed"]]
    return profile.sort_values(
        ["score", "commodity"], ascending=[False, True], na_position="last"
    ).reset_index(drop=True)


def _pair_inputs(
    db: Critmin, first: str, second: str, year: int | None, stage: str | None, method: str
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    sides = []
    for iso3 in (first, second):
        found = _derived_rows(db, iso3, year, method)
        if found is None:
            return None
        rows = found[0]
        scored = rows[rows["score_provenance"].notna()]
        scored = scored.drop(columns=["provenance"]).rename(columns={"score_provenance": "provenance"})
        sides.append((profiles.scored_rows(scored, stage), found[1]))
    shares = read_derived(
        db,
        IMPORT_SOURCES_DERIVED.name,
        {"importer": [first, second], "year": sides[0][1]},
        order=("row_order",),
    )
    if shares is None:
        return None
    return sides[0][0], sides[1][0], shares


def pair(
    db: Critmin, a: str, b: str, *, year: int | None = None, stage: str | None = None, method: str = "eu"
) -> pd.DataFrame:
    """:func:`critmin.profiles.pair_profile` of ``a`` and ``b``, built from the derived tables when fresh."""
    _method(method)
    if a == b:
        raise CritminError(f"a pair needs two different countries, not {a} twice")
    found = _pair_inputs(db, a, b, year, stage, method)
    if found is None:
        return profiles.pair_profile(db, a, b, year, stage=stage, method=method)
    return profiles.pair_from(*found, a, b)


def compare(
    db: Critmin,
    countries: Sequence[str],
    *,
    year: int | None = None,
    method: str = "eu",
) -> pd.DataFrame:
    """Two to four countries side by side: one row per commodity and stage any of them imports or lists.

    Columns ``commodity, stage, year``, then for each country ``score_X``, ``import_reliance_X``
    (EU method; the trade data's net import reliance ``nir`` for the other methods),
    ``top1_exporter_X`` and ``top1_share_X``; ``max_score`` (the highest of their scores) and
    ``provenance`` (all inputs). Sorted by ``max_score``, highest first.
    """
    codes = list(dict.fromkeys(countries))
    if not 2 <= len(codes) <= MAX_COMPARED:
        raise CritminError(f"compare takes 2 to {MAX_COMPARED} different countries, not {codes}")
    keys = ["commodity", "stage", "year"]
    merged: pd.DataFrame | None = None
    for iso3 in codes:
        profile = exposures(db, iso3, year=year, method=method)
        reliance = "import_reliance" if "import_reliance" in profile.columns else "nir"
        part = profile[[*keys, "score", reliance, "top1_exporter", "top1_share", "provenance"]].rename(
            columns={
                "score": f"score_{iso3}",
                reliance: f"import_reliance_{iso3}",
                "top1_exporter": f"top1_exporter_{iso3}",
                "top1_share": f"top1_share_{iso3}",
                "provenance": f"provenance_{iso3}",
            }
        )
        merged = part if merged is None else merged.merge(part, on=keys, how="outer")
    assert merged is not None
    merged["max_score"] = merged[[f"score_{c}" for c in codes]].max(axis=1)
    merged["provenance"] = combine(*(merged[f"provenance_{c}"] for c in codes))
    merged = merged.drop(columns=[f"provenance_{c}" for c in codes])
    return merged.sort_values(
        ["max_score", "commodity", "stage"], ascending=[False, True, True], na_position="last"
    ).reset_index(drop=True)
