r"""Partnership analysis for a pair or group of countries: joint exposure and complementarity.

Pure functions on frames read through :mod:`critmin.api` (``db.trade()``, ``db.hs_codes()``,
``db.governance()``) or computed from them (:func:`critmin.metrics.trade_exposure.import_shares`).

- **Joint exposure** (:func:`common_imports`, :func:`common_suppliers`): the commodities and stages
  every partner imports in a year, and the suppliers holding at least ``min_share`` (default 5%)
  of each partner's imports of one (shares as in ``import_shares``: tonnes where quantities cover
  the value, else USD).
- **Trade complementarity index** (:func:`complementarity`; Michaely 1996, *Trade preferential
  agreements in Latin America: an ex-ante assessment*, World Bank PRWP 1583; World Bank WITS
  "Trade Complementarity Index"):

  .. math:: TC_{ij} = 100 \Bigl(1 - \tfrac12 \sum_k |m_{ik} - x_{jk}|\Bigr)

  with :math:`m_{ik}` the share of good :math:`k` in :math:`i`'s imports and :math:`x_{jk}` its
  share in :math:`j`'s exports (USD), over the goods given (here the HS6 codes the catalog maps
  to critical minerals: the index says how well :math:`j`'s mineral exports match
  :math:`i`'s mineral imports, 0 no overlap, 100 identical mixes).
- **Complementary flows** (:func:`complementary_flows`): what one partner exports that another
  imports, per commodity and stage (tonnes, USD), with their current bilateral trade.
- **Diversification candidates** (:func:`diversification_candidates`): exporters with at least
  ``min_world_share`` of world exports of a commodity both partners import, that are not yet a
  top supplier (``>= top_share`` of imports) of any partner, ranked by world export share and then
  by WGI political stability (``pv``; higher is more stable).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from itertools import permutations

import numpy as np
import pandas as pd

from critmin.metrics import provenance as prov
from critmin.metrics.trade_exposure import (
    GROUP,
    WORLD,
    HsMap,
    commodity_groups,
    governance_scores,
    label_trade,
    single_nomenclature,
    trade_provenance,
)

DEFAULT_MIN_SHARE = 0.05
DEFAULT_MIN_WORLD_SHARE = 0.02
SHARE_COLUMNS = ("importer", "commodity", "stage", "year", "exporter", "share", "basis", "is_aggregate")
TRADE_COLUMNS = ("year", "exporter", "importer", "hs6", "value_usd", "quantity_t")


def _partners(partners: Sequence[str]) -> list[str]:
    chosen = [str(p) for p in partners]
    if len(set(chosen)) < 2 or len(set(chosen)) != len(chosen):
        raise ValueError(f"partners: give two or more distinct countries, not {chosen}")
    return chosen


def _require(frame: pd.DataFrame, columns: Collection[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")


def _one_year(frame: pd.DataFrame, year: int | None, name: str) -> pd.DataFrame:
    if year is None:
        return frame
    out = frame[frame["year"].astype(int) == int(year)]
    if out.empty:
        raise ValueError(f"year: {name} holds no rows for {year}")
    return out


def _with_provenance(frame: pd.DataFrame, provenance: pd.DataFrame | str | None) -> pd.DataFrame:
    """Attach provenance: one text, or rows ``commodity, stage, year, provenance`` (``trade_provenance``)."""
    if provenance is None:
        return frame.assign(provenance="")
    if isinstance(provenance, str):
        return frame.assign(provenance=provenance)
    _require(provenance, [*GROUP, prov.PROVENANCE], "provenance")
    table = provenance[[*GROUP, prov.PROVENANCE]].astype({"year": np.int64})
    out = frame.astype({"year": np.int64}).merge(table, on=list(GROUP), how="left")
    out[prov.PROVENANCE] = out[prov.PROVENANCE].fillna("")
    return out


def common_imports(
    shares: pd.DataFrame,
    partners: Sequence[str],
    *,
    year: int | None = None,
    provenance: pd.DataFrame | str | None = None,
) -> pd.DataFrame:
    """The commodities and stages every partner imports (positive imports) in a year.

    Parameters
    ----------
    shares
        :func:`~critmin.metrics.trade_exposure.import_shares` rows.
    partners
        Two or more importers (ISO3).
    year
        Keep this year only (default: every year in ``shares``).
    provenance
        Text, or rows ``commodity, stage, year, provenance`` (:func:`trade_provenance_of`).

    Returns
    -------
    DataFrame
        ``commodity, stage, year``, then per partner ``<P>_imports_usd``, ``<P>_imports_t`` and
        ``<P>_top_supplier`` / ``<P>_top_share`` (countries only), ``provenance``.
    """
    chosen = _partners(partners)
    _require(shares, [*SHARE_COLUMNS, "value_usd", "quantity_t"], "shares")
    rows = _one_year(shares[shares["importer"].isin(chosen)], year, "shares")
    keys = list(GROUP)
    totals = rows.groupby(["importer", *keys]).agg(
        imports_usd=("value_usd", "sum"), imports_t=("quantity_t", "sum")
    )
    totals = totals[totals["imports_usd"] > 0].reset_index()
    countries = rows[~rows["is_aggregate"].astype(bool)].sort_values(
        ["importer", *keys, "share", "exporter"], ascending=[True] * 4 + [False, True]
    )
    top = countries.groupby(["importer", *keys]).head(1)[["importer", *keys, "exporter", "share"]]
    totals = totals.merge(top, on=["importer", *keys], how="left").rename(
        columns={"exporter": "top_supplier", "share": "top_share"}
    )
    out: pd.DataFrame | None = None
    for code in chosen:
        part = totals[totals["importer"] == code].drop(columns="importer")
        part = part.rename(columns={c: f"{code}_{c}" for c in part.columns if c not in keys})
        out = part if out is None else out.merge(part, on=keys, how="inner")
    assert out is not None
    out = out.sort_values(keys, ignore_index=True)
    return _with_provenance(out, provenance)


def common_suppliers(
    shares: pd.DataFrame,
    partners: Sequence[str],
    *,
    min_share: float = DEFAULT_MIN_SHARE,
    year: int | None = None,
    provenance: pd.DataFrame | str | None = None,
) -> pd.DataFrame:
    """Suppliers holding at least ``min_share`` of every partner's imports of a commodity and stage.

    Returns
    -------
    DataFrame
        ``commodity, stage, year, supplier``, per partner ``<P>_share`` (and ``basis``: tonnes or
        USD), ``min_partner_share`` (ranked by it, descending), ``provenance``. Aggregate
        suppliers (BACI areas, ``OTH``) are left out.
    """
    chosen = _partners(partners)
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share: must be in (0, 1], not {min_share}")
    _require(shares, SHARE_COLUMNS, "shares")
    rows = _one_year(shares[shares["importer"].isin(chosen)], year, "shares")
    rows = rows[~rows["is_aggregate"].astype(bool) & (rows["share"] >= min_share)]
    keys = [*GROUP, "exporter"]
    out: pd.DataFrame | None = None
    for code in chosen:
        part = rows.loc[rows["importer"] == code, [*keys, "share", "basis"]]
        part = part.rename(columns={"share": f"{code}_share", "basis": f"{code}_basis"})
        out = part if out is None else out.merge(part, on=keys, how="inner")
    assert out is not None
    out = out.rename(columns={"exporter": "supplier"})
    out["min_partner_share"] = out[[f"{c}_share" for c in chosen]].min(axis=1)
    out = out.sort_values(
        ["year", "commodity", "stage", "min_partner_share", "supplier"],
        ascending=[True, True, True, False, True],
        ignore_index=True,
    )
    return _with_provenance(out, provenance)


def trade_provenance_of(trade: pd.DataFrame, hs_map: HsMap = None) -> pd.DataFrame:
    """Provenance rows ``commodity, stage, year, provenance`` of ``db.trade()`` rows by ``hs_map``."""
    groups = commodity_groups(hs_map, single_nomenclature(trade))
    return trade_provenance(label_trade(trade, groups))


def tci(imports: pd.Series, exports: pd.Series) -> float:
    r"""Trade complementarity :math:`100 (1 - \tfrac12 \sum_k |m_k - x_k|)` of two value vectors by good.

    ``imports`` and ``exports`` are values indexed by good (any scale: each is turned into shares);
    goods missing from one side count as zero there. NaN when either side sums to zero.
    """
    m, x = imports.astype(float).align(exports.astype(float), fill_value=0.0)
    if (m < 0).any() or (x < 0).any():
        raise ValueError("imports/exports: values must be non-negative")
    if m.sum() <= 0 or x.sum() <= 0:
        return float("nan")
    return float(100.0 * (1.0 - 0.5 * (m / m.sum() - x / x.sum()).abs().sum()))


def complementarity(
    trade: pd.DataFrame,
    partners: Sequence[str],
    year: int,
    *,
    goods: Collection[str] | None = None,
) -> pd.DataFrame:
    """The trade complementarity index of each ordered pair of partners (importer ``i``, exporter ``j``).

    Parameters
    ----------
    trade
        ``db.trade()`` rows (one nomenclature; USD values are used), e.g. the catalog's HS codes.
    partners
        Two or more countries; every ordered pair is computed (both directions).
    year
        The year.
    goods
        HS6 codes to compute over (default: every code in ``trade``).

    Returns
    -------
    DataFrame
        ``importer, exporter, year, tci`` (0–100), ``goods`` (codes in the universe),
        ``goods_overlap`` (codes both import and export), ``importer_imports_usd``,
        ``exporter_exports_usd``, ``note``, ``provenance``.
    """
    chosen = _partners(partners)
    _require(trade, TRADE_COLUMNS, "trade")
    single_nomenclature(trade)
    rows = _one_year(trade, year, "trade")
    if goods is not None:
        rows = rows[rows["hs6"].isin(set(goods))]
    universe = sorted(set(rows["hs6"].astype(str)) if goods is None else {str(g) for g in goods})
    tag = prov.join(prov.tags(rows)) if not rows.empty else ""
    out = []
    for i, j in permutations(chosen, 2):
        imports = rows[rows["importer"] == i].groupby("hs6")["value_usd"].sum()
        exports = rows[rows["exporter"] == j].groupby("hs6")["value_usd"].sum()
        value = tci(imports, exports)
        note = ""
        if np.isnan(value):
            note = (
                f"{i} imports none of the goods" if imports.sum() <= 0 else f"{j} exports none of the goods"
            )
        out.append(
            {
                "importer": i,
                "exporter": j,
                "year": int(year),
                "tci": value,
                "goods": len(universe),
                "goods_overlap": int(((imports > 0) & (exports.reindex(imports.index) > 0)).sum()),
                "importer_imports_usd": float(imports.sum()),
                "exporter_exports_usd": float(exports.sum()),
                "note": note,
                "provenance": tag,
            }
        )
    return pd.DataFrame(out)


def complementary_flows(
    trade: pd.DataFrame,
    partners: Sequence[str],
    year: int,
    hs_map: HsMap = None,
) -> pd.DataFrame:
    """What each partner exports (to the world) that another imports (from the world), by commodity.

    Parameters
    ----------
    trade
        ``db.trade()`` rows for the year.
    partners
        Two or more countries; every ordered pair (exporter, importer).
    year
        The year.
    hs_map
        ``db.hs_codes()`` (or a mapping commodity -> codes): groups HS codes into commodities and stages.

    Returns
    -------
    DataFrame
        ``exporter, importer, commodity, stage, year, exports_usd, exports_t`` (the exporter's
        exports to all), ``imports_usd, imports_t`` (the importer's imports from all),
        ``bilateral_usd, bilateral_t`` (already traded between the two), ``overlap_usd`` =
        min(exports, imports) (the most the exporter could supply of what the importer buys),
        ``provenance``; pairs where both sides are positive, ranked by ``overlap_usd``.
    """
    chosen = _partners(partners)
    _require(trade, TRADE_COLUMNS, "trade")
    groups = commodity_groups(hs_map, single_nomenclature(trade))
    labelled = label_trade(_one_year(trade, year, "trade"), groups)
    keys = list(GROUP)
    sums = {"usd": ("value_usd", "sum"), "t": ("quantity_t", "sum")}
    out = []
    for j, i in permutations(chosen, 2):
        exports = (
            labelled[labelled["exporter"] == j]
            .groupby(keys)
            .agg(exports_usd=sums["usd"], exports_t=sums["t"])
        )
        imports = (
            labelled[labelled["importer"] == i]
            .groupby(keys)
            .agg(imports_usd=sums["usd"], imports_t=sums["t"])
        )
        pair = labelled[(labelled["exporter"] == j) & (labelled["importer"] == i)]
        bilateral = pair.groupby(keys).agg(bilateral_usd=sums["usd"], bilateral_t=sums["t"])
        both = exports.join(imports, how="inner").join(bilateral, how="left")
        both = both[(both["exports_usd"] > 0) & (both["imports_usd"] > 0)].fillna(
            {"bilateral_usd": 0.0, "bilateral_t": 0.0}
        )
        out.append(both.reset_index().assign(exporter=j, importer=i))
    frame = pd.concat(out, ignore_index=True) if out else pd.DataFrame()
    frame["overlap_usd"] = np.minimum(frame["exports_usd"], frame["imports_usd"])
    frame = frame[
        [
            "exporter",
            "importer",
            *keys,
            "exports_usd",
            "exports_t",
            "imports_usd",
            "imports_t",
            "bilateral_usd",
            "bilateral_t",
            "overlap_usd",
        ]
    ]
    frame = frame.sort_values("overlap_usd", ascending=False, ignore_index=True)
    return _with_provenance(frame, trade_provenance(labelled))


def diversification_candidates(
    shares: pd.DataFrame,
    partners: Sequence[str],
    governance: pd.DataFrame,
    *,
    year: int,
    min_world_share: float = DEFAULT_MIN_WORLD_SHARE,
    top_share: float = DEFAULT_MIN_SHARE,
    score: str = "estimate",
    provenance: pd.DataFrame | str | None = None,
) -> pd.DataFrame:
    """Third countries every partner could diversify to, per commodity and stage they all import.

    An exporter qualifies when it holds at least ``min_world_share`` of world exports (the ``WLD``
    rows of ``import_shares(..., world=True)``), is not a partner nor an aggregate, and holds less
    than ``top_share`` of each partner's imports (not yet a top supplier of any).

    Parameters
    ----------
    shares
        ``import_shares(..., world=True)`` rows (with importer ``WLD``).
    partners
        Two or more importers.
    governance
        WGI rows of one indicator (``db.governance(indicator="pv")``); the score is carried
        forward up to 3 years (:func:`~critmin.metrics.trade_exposure.governance_scores`).
    year
        The year.

    Returns
    -------
    DataFrame
        ``commodity, stage, year, candidate, world_share, governance_score`` (NaN when unknown),
        per partner ``<P>_share`` (its current share of that partner's imports, 0 if none),
        ``rank`` within the commodity and stage (1 = largest world share, then most stable),
        ``provenance`` (trade and governance).
    """
    chosen = _partners(partners)
    for name, value in (("min_world_share", min_world_share), ("top_share", top_share)):
        if not 0 < value <= 1:
            raise ValueError(f"{name}: must be in (0, 1], not {value}")
    _require(shares, SHARE_COLUMNS, "shares")
    _require(governance, ["country", "year", score], "governance")
    rows = _one_year(shares, year, "shares")
    world = rows[rows["importer"] == WORLD]
    if world.empty:
        raise ValueError("shares: no WLD rows; compute them with import_shares(..., world=True)")
    keys = list(GROUP)
    wanted = common_imports(rows, chosen)[keys]
    cands = world[~world["is_aggregate"].astype(bool) & (world["share"] >= min_world_share)]
    cands = cands[~cands["exporter"].isin(chosen)]
    cands = cands[[*keys, "exporter", "share"]].rename(
        columns={"exporter": "candidate", "share": "world_share"}
    )
    cands = cands.merge(wanted, on=keys, how="inner")
    for code in chosen:
        own = rows.loc[rows["importer"] == code, [*keys, "exporter", "share"]].rename(
            columns={"exporter": "candidate", "share": f"{code}_share"}
        )
        cands = cands.merge(own, on=[*keys, "candidate"], how="left")
        cands[f"{code}_share"] = cands[f"{code}_share"].fillna(0.0)
        cands = cands[cands[f"{code}_share"] < top_share]
    scores = governance_scores(governance, [int(year)], score=score)
    scores = scores[["country", "score", prov.PROVENANCE]].rename(
        columns={"country": "candidate", "score": "governance_score", prov.PROVENANCE: "gov_prov"}
    )
    cands = cands.merge(scores, on="candidate", how="left")
    cands = cands.sort_values(
        [*keys, "world_share", "governance_score", "candidate"],
        ascending=[True, True, True, False, False, True],
        na_position="last",
        ignore_index=True,
    )
    cands["rank"] = cands.groupby(keys).cumcount() + 1
    cands = _with_provenance(cands, provenance)
    cands[prov.PROVENANCE] = [
        prov.join(v for v in (a, b) if isinstance(v, str))
        for a, b in zip(cands[prov.PROVENANCE], cands["gov_prov"], strict=True)
    ]
    columns = [*keys, "candidate", "world_share", "governance_score", *[f"{c}_share" for c in chosen], "rank"]
    return cands[[*columns, prov.PROVENANCE]]
