"""Supply concentration: producer shares, Herfindahl–Hirschman index, top shares, "Other countries" bounds.

Production and reserves tables (USGS MCS, World Mining Data) list the main producing countries,
an ``Other countries`` row (``OTH``) and a ``World total`` row (``WLD``). ``OTH`` is not one
country: its producers are unknown, so the HHI they imply is only known within bounds
(:func:`concentration` reports ``hhi_lower`` ≤ ``hhi_point`` ≤ ``hhi_upper``).

Units: shares and HHI in 0–1; ``*_10000`` columns on the 0–10,000 scale of the U.S. DOJ/FTC
Merger Guidelines (2023, section 2.1: above 1,800 a market is "highly concentrated").
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from critmin.metrics import provenance as prov

GROUP = ("commodity", "stage", "year")
"""Group columns of production: one commodity and stage in one year."""

RESERVES_GROUP = ("commodity", "year")
"""Group columns of reserves (no stage)."""

WORLD = "WLD"
OTHER = "OTH"
MATERIAL_SHARE = 0.05
"""A producer counts as material above this share (``producers_above_5pct``)."""


def _check_forms(frame: pd.DataFrame, group: tuple[str, ...]) -> None:
    """Refuse a frame that mixes several ``form`` series inside one group (their sum means nothing)."""
    if "form" not in frame.columns or "form" in group or frame.empty:
        return
    forms = frame.groupby(list(group))["form"].nunique()
    mixed = forms[forms > 1]
    if len(mixed):
        raise ValueError(
            f"{len(mixed)} of {len(forms)} groups mix several forms; filter one form (form == '' is the "
            f"main series) or add 'form' to the group. First groups: {list(mixed.index[:3])}"
        )


def split_aggregates(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Split rows read with ``aggregates=True`` into (countries, world totals, other countries).

    Aggregates other than ``WLD`` and ``OTH`` (regions such as ``EUU``) overlap the countries
    and are dropped.
    """
    country = frame["country"].astype(str)
    aggregate = (
        frame["is_aggregate"].astype(bool)
        if "is_aggregate" in frame.columns
        else country.isin([WORLD, OTHER])
    )
    return (
        frame[~aggregate & ~country.isin([WORLD, OTHER])],
        frame[country == WORLD],
        frame[country == OTHER],
    )


def producer_shares(production: pd.DataFrame, group: tuple[str, ...] = GROUP) -> pd.DataFrame:
    r"""Each country's share of the listed countries' total, per group.

    .. math:: s_i = q_i / \sum_j q_j

    The denominator is the sum over listed countries only: aggregates (``World total``,
    ``Other countries``) must be removed by the caller, and rows without a number
    (withheld ``W``, ``NA``) are left out. Shares are therefore shares of *reported*
    production; see :func:`world_shares` for shares of the world total.

    Parameters
    ----------
    production
        Rows with ``country``, ``value`` and the ``group`` columns, countries only.

    Returns
    -------
    pandas.DataFrame
        The group columns, ``country``, ``value`` and ``share`` (0–1); ``provenance`` when the
        input carries ``source``, ``release`` and ``vintage_id`` (or ``provenance``).
    """
    known = production.dropna(subset=["value"])
    known = known[known["value"] > 0]
    totals = known.groupby(list(group))["value"].transform("sum")
    out = known[[*group, "country", "value"]].copy()
    out["share"] = known["value"] / totals
    if _has_provenance(known):
        out[prov.PROVENANCE] = prov.tags(known).to_numpy()
    return out.reset_index(drop=True)


def _has_provenance(frame: pd.DataFrame) -> bool:
    return prov.PROVENANCE in frame.columns or {"source", "release", "vintage_id"} <= set(frame.columns)


def _group_sum(frame: pd.DataFrame | None, keys: list[str], name: str) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame(columns=[*keys, name])
    known = frame.dropna(subset=["value"])
    return known.groupby(keys)["value"].sum().rename(name).reset_index()


def _denominators(
    production: pd.DataFrame, world: pd.DataFrame | None, other: pd.DataFrame | None, keys: list[str]
) -> pd.DataFrame:
    """Per group: reported total, published other and world totals, and the share denominator."""
    known = production.dropna(subset=["value"])
    known = known[known["value"] > 0]
    frame = known.groupby(keys)["value"].agg(reported_total="sum", smallest_value="min").reset_index()
    frame = frame.merge(_group_sum(other, keys, "other_value"), on=keys, how="left")
    frame = frame.merge(_group_sum(world, keys, "world_total"), on=keys, how="left")
    frame["other_value"] = frame["other_value"].astype(float).fillna(0.0)
    frame["world_total"] = frame["world_total"].astype(float)
    listed = frame["reported_total"] + frame["other_value"]
    has_world = frame["world_total"].notna()
    frame["denominator"] = np.where(has_world, np.fmax(frame["world_total"], listed), listed)
    frame["denominator_basis"] = np.where(
        has_world,
        "world total",
        np.where(frame["other_value"] > 0, "listed + other countries", "listed countries"),
    )
    return frame


RESIDUAL_TOLERANCE = 1e-12
"""An ``OTH`` share at or below this (of world production) is rounding, not a producer."""


def world_shares(
    production: pd.DataFrame,
    world: pd.DataFrame | None = None,
    other: pd.DataFrame | None = None,
    group: tuple[str, ...] = GROUP,
) -> pd.DataFrame:
    r"""Each country's share of world production, and the unattributed rest as one ``OTH`` row.

    .. math::

        D = \max\Bigl(W,\ \sum_i q_i + q_{OTH}\Bigr), \qquad s_i = q_i / D, \qquad
        s_{OTH} = 1 - \sum_i s_i

    where :math:`W` is the published world total (USGS ``World total``, WMD ``Total``) and
    :math:`q_{OTH}` the published ``Other countries`` figure. Without a world total,
    :math:`D = \sum_i q_i + q_{OTH}`. The maximum guards against rounded world totals: USGS
    rounds them (gallium 2025: China 900,000 kg of a "rounded" 900,000 kg world, beside Japan
    and Russia), and a share above the listed countries' own is wrong. Shares are those quoted by
    USGS and the IEA (IEA, *Global Critical Minerals Outlook 2024*, "share of top producing
    countries"), and the market shares of the EU method (European Commission, 2017,
    *Methodology for establishing the EU list of critical raw materials*, supply risk).

    The ``OTH`` row here holds everything the table does not attribute to a listed country: the
    published ``Other countries`` plus any gap up to the world total (withheld ``W`` figures,
    rounding). The shares of a group sum to 1.

    Parameters
    ----------
    production
        Country rows (no aggregates) with ``country``, ``value`` and the group columns.
    world, other
        ``World total`` and ``Other countries`` rows with the group columns and ``value``.
    group
        Group columns; :data:`RESERVES_GROUP` for reserves.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``country`` (ISO3, or ``OTH``), ``value``, ``share`` (0–1), ``denominator``,
        ``denominator_basis`` and ``provenance``.
    """
    keys = list(group)
    _check_forms(production, group)
    known = production.dropna(subset=["value"])
    known = known[known["value"] > 0]
    denominators = _denominators(production, world, other, keys)
    rows = known[[*keys, "country", "value"]].assign(**{prov.PROVENANCE: prov.tags(known).to_numpy()})
    rows = rows.merge(denominators[[*keys, "denominator", "denominator_basis"]], on=keys, how="left")
    rows["share"] = rows["value"] / rows["denominator"]
    attributed = rows.groupby(keys)[["share", "value"]].sum().reset_index()
    rest = denominators.merge(attributed, on=keys, how="left")
    rest["country"] = OTHER
    rest["share"] = (1.0 - rest["share"]).clip(lower=0.0)
    rest["value"] = (rest["denominator"] - rest["value"]).clip(lower=0.0)
    aggregates = pd.concat([f for f in (world, other) if f is not None and not f.empty] or [known.iloc[:0]])
    group_prov = prov.by_group(pd.concat([known, aggregates], ignore_index=True), keys)
    rest = rest.merge(group_prov, on=keys, how="left")
    # 1 - sum(shares) of a fully attributed group is rounding noise (~1e-16) whose sign depends
    # on the rows' order; keep OTH only when it is a real part of the total.
    rest = rest[rest["share"] > RESIDUAL_TOLERANCE]
    columns = [*keys, "country", "value", "share", "denominator", "denominator_basis", prov.PROVENANCE]
    out = pd.concat([rows[columns], rest[columns]], ignore_index=True)
    return out.sort_values([*keys, "share"], ascending=[True] * len(keys) + [False], ignore_index=True)


def other_pieces(other_share: float, smallest_share: float) -> int:
    r"""How many equal producers the point estimate splits ``OTH`` into.

    .. math:: n = \lceil s_{OTH} / s_{min} \rceil

    The fewest pieces each no larger than the smallest listed producer (a source lists its
    larger producers, so none of those it folds into ``OTH`` should be larger than the smallest
    it lists). 0 when there is no ``OTH`` share.
    """
    if other_share <= 0:
        return 0
    if smallest_share <= 0 or not math.isfinite(smallest_share):
        return 1
    return max(1, math.ceil(other_share / smallest_share - 1e-12))


def hhi_bounds(shares: pd.Series, other_share: float) -> tuple[float, float, float]:
    r"""HHI of listed shares with ``OTH`` as a lower bound, a point estimate and an upper bound.

    .. math::

        HHI_{lower} = \sum_i s_i^2, \quad
        HHI_{point} = \sum_i s_i^2 + s_{OTH}^2 / n, \quad
        HHI_{upper} = \sum_i s_i^2 + s_{OTH}^2

    Lower: ``OTH`` as infinitely many infinitesimal producers (adds 0). Upper: ``OTH`` as one
    producer (adds :math:`s_{OTH}^2`). Point: ``OTH`` split evenly among
    :math:`n` = :func:`other_pieces` producers, each no bigger than the smallest listed one.
    Herfindahl–Hirschman index as in the EU method (European Commission, 2017, supply risk).
    """
    listed = float((shares**2).sum())
    smallest = float(shares.min()) if len(shares) else math.inf
    n = other_pieces(other_share, smallest)
    point = listed + (other_share**2 / n if n else 0.0)
    return listed, point, listed + other_share**2


def concentration(
    production: pd.DataFrame,
    world: pd.DataFrame | None = None,
    group: tuple[str, ...] = GROUP,
    other: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""HHI (with bounds for ``OTH``), top-1 and top-3 shares and material producers per group.

    .. math::

        HHI = \sum_i s_i^2 \quad (0\text{–}1;\ \times 10{,}000 \text{ on the DOJ/FTC scale}), \qquad
        CR_k = \sum_{i \le k} s_{(i)}

    Source: Herfindahl–Hirschman index as used by the EU criticality methodology (European
    Commission, 2017, *Methodology for establishing the EU list of critical raw materials*,
    supply risk: :math:`HHI_{WGI}` is built on it), the 0–10,000 scale of the U.S. DOJ/FTC Merger
    Guidelines (2023) and the IEA's top-producer shares (*Global Critical Minerals Outlook 2024*).

    Two bases:

    * ``hhi``, ``top1_share``, ``top3_share``: shares of the *listed countries'* sum
      (:func:`producer_shares`), as before.
    * world basis (:func:`world_shares`): ``top1_share_of_world``, ``top3_share_of_world``
      (only where a world total is published, which is how USGS and IEA quote them);
      ``top1_share_of_world_published`` divides by the published world total alone, as USGS's own
      percentages do, and exceeds ``top1_share_of_world`` where the rounded world total falls
      short of the table's own sum (rare earths 2024: 71.1% against 70.3%);
      ``producers_above_5pct``, ``unattributed_share`` (``OTH`` plus any gap to the world total)
      and ``hhi_lower`` ≤ ``hhi_point`` ≤ ``hhi_upper`` (:func:`hhi_bounds`; ``other_pieces`` is
      the :math:`n` of the point estimate). Without ``world`` and ``other`` the three coincide
      with ``hhi``.

    Parameters
    ----------
    production
        Country rows (no aggregates) with ``country``, ``value`` and the group columns.
    world
        Optional ``World total`` rows (group columns and ``value``). The denominator is the
        published world total, or the listed countries plus ``OTH`` where that is larger: USGS
        rounds its world totals (gallium 2025: China 900,000 kg of a "rounded" 900,000 kg world
        total, beside Japan and Russia), and a share above the listed countries' own is wrong.
    group
        Group columns; :data:`RESERVES_GROUP` for reserves.
    other
        Optional ``Other countries`` rows (group columns and ``value``).
    """
    _check_forms(production, group)
    shares = producer_shares(production, group)
    keys = list(group)
    ranked = shares.sort_values([*keys, "share"], ascending=[True] * len(keys) + [False])
    grouped = ranked.groupby(keys, sort=True)
    summary = grouped.agg(
        producers=("country", "count"),
        reported_total=("value", "sum"),
        hhi=("share", lambda s: float((s**2).sum())),
        top1_country=("country", "first"),
        top1_value=("value", "first"),
        top1_share=("share", "first"),
        top3_share=("share", lambda s: float(s.head(3).sum())),
        top3_value=("value", lambda v: float(v.head(3).sum())),
    ).reset_index()
    summary["hhi_10000"] = summary["hhi"] * 10_000
    if summary.empty:
        return summary

    denominators = _denominators(production, world, other, keys)
    summary = summary.merge(
        denominators[[*keys, "other_value", "world_total", "denominator", "denominator_basis"]],
        on=keys,
        how="left",
    )
    has_world = summary["world_total"].notna()
    summary["top1_share_of_world"] = (summary["top1_value"] / summary["denominator"]).where(has_world)
    summary["top3_share_of_world"] = (summary["top3_value"] / summary["denominator"]).where(has_world)
    summary["top1_share_of_world_published"] = summary["top1_value"] / summary["world_total"]
    if world is None or world.empty:
        summary = summary.drop(
            columns=["top1_share_of_world", "top3_share_of_world", "top1_share_of_world_published"]
        )

    listed = ranked.merge(denominators[[*keys, "denominator"]], on=keys, how="left")
    listed["world_share"] = listed["value"] / listed["denominator"]
    records = []
    for key, rows in listed.groupby(keys, sort=True):
        s = rows["world_share"]
        rest = max(0.0, 1.0 - float(s.sum()))
        lower, point, upper = hhi_bounds(s, rest)
        records.append(
            (
                *(key if isinstance(key, tuple) else (key,)),
                int((s > MATERIAL_SHARE).sum()),
                rest,
                other_pieces(rest, float(s.min())),
                lower,
                point,
                upper,
            )
        )
    bounds = pd.DataFrame(
        records,
        columns=[
            *keys,
            "producers_above_5pct",
            "unattributed_share",
            "other_pieces",
            "hhi_lower",
            "hhi_point",
            "hhi_upper",
        ],
    )
    summary = summary.merge(bounds, on=keys, how="left")
    for column in ("hhi_lower", "hhi_point", "hhi_upper"):
        summary[f"{column}_10000"] = summary[column] * 10_000

    if _has_provenance(production):
        parts = [production] + [f for f in (world, other) if f is not None and not f.empty]
        inputs = pd.concat([p[[*keys, *_provenance_columns(p)]] for p in parts], ignore_index=True)
        summary = summary.merge(prov.by_group(inputs, keys), on=keys, how="left")
    return summary


def _provenance_columns(frame: pd.DataFrame) -> list[str]:
    if prov.PROVENANCE in frame.columns:
        return [prov.PROVENANCE]
    return ["source", "release", "vintage_id"]


def supply_concentration(frame: pd.DataFrame, group: tuple[str, ...] = GROUP) -> pd.DataFrame:
    """:func:`concentration` of rows read with ``aggregates=True`` (``WLD`` and ``OTH`` kept apart).

    Formula, sources and columns as in :func:`concentration`; works on either production source
    (``usgs_mcs`` or ``wmd``) and any vintage the caller read. Use ``form == ''`` (the main
    series) or add ``form`` to ``group``.
    """
    countries, world, other = split_aggregates(frame)
    return concentration(countries, world, group, other)


def reserves_concentration(reserves: pd.DataFrame, group: tuple[str, ...] = RESERVES_GROUP) -> pd.DataFrame:
    """:func:`concentration` of reserves (``db.reserves(aggregates=True)``), per commodity and year.

    Same formula and sources as :func:`concentration`; shares are of the published world
    reserves. Reserves are dated to the release's latest year.
    """
    return supply_concentration(reserves, group)
