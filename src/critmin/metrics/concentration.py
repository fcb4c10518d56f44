"""Supply concentration: producer shares, Herfindahl–Hirschman index and top shares."""

from __future__ import annotations

import pandas as pd

GROUP = ("commodity", "stage", "year")


def producer_shares(production: pd.DataFrame, group: tuple[str, ...] = GROUP) -> pd.DataFrame:
    r"""Each country's share of the listed countries' total, per group.

    .. math:: s_i = q_i / \sum_j q_j

    The denominator is the sum over listed countries only: aggregates (``World total``,
    ``Other countries``) must be removed by the caller, and rows without a number
    (withheld ``W``, ``NA``) are left out. Shares are therefore shares of *reported*
    production; see :func:`concentration` for the share of the world total.

    Parameters
    ----------
    production
        Rows with ``country``, ``value`` and the ``group`` columns, countries only.
    """
    known = production.dropna(subset=["value"])
    known = known[known["value"] > 0]
    totals = known.groupby(list(group))["value"].transform("sum")
    out = known[[*group, "country", "value"]].copy()
    out["share"] = known["value"] / totals
    return out.reset_index(drop=True)


def concentration(
    production: pd.DataFrame, world: pd.DataFrame | None = None, group: tuple[str, ...] = GROUP
) -> pd.DataFrame:
    r"""HHI, top producer and top-three share per group.

    .. math:: HHI = \sum_i s_i^2 \quad (0\text{–}1;\ \times 10{,}000 \text{ for the DOJ scale})

    Source: Herfindahl–Hirschman index as used by the EU criticality methodology
    (European Commission, 2017, *Methodology for establishing the EU list of critical raw
    materials*, section 3.1) and the IEA's concentration figures.

    Parameters
    ----------
    production
        Country rows (no aggregates) with ``country``, ``value`` and the group columns.
    world
        Optional ``World total`` rows (same group columns and ``value``): when given, the top
        shares are also reported as shares of world production (``top1_share_of_world``,
        ``top3_share_of_world``), which is how USGS and IEA quote them. The denominator is the
        published world total, or the sum of the listed countries where that is larger: USGS
        rounds its world totals (gallium 2025: China 900,000 kg of a "rounded" 900,000 kg world
        total, beside Japan and Russia), and a share above the listed countries' own is wrong.
    """
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
    if world is not None and not world.empty:
        totals = world.dropna(subset=["value"]).groupby(keys)["value"].sum().rename("world_total")
        summary = summary.merge(totals.reset_index(), on=keys, how="left")
        world_total = (
            summary[["world_total", "reported_total"]].max(axis=1).where(summary["world_total"].notna())
        )
        summary["top1_share_of_world"] = summary["top1_value"] / world_total
        summary["top3_share_of_world"] = summary["top3_value"] / world_total

    return summary
