r"""Every metric for every country, commodity and year in one call (the time-series entry point).

:func:`trade_exposure_all` returns the same columns as
:func:`critmin.metrics.trade_exposure.trade_exposure` (formulas and sources there:
:math:`HHI = \sum_{i \in A} (w_i / \sum_{j \in A} w_j)^2`, EU CRM methodology 2017 §3.1;
:math:`\text{NIR} = (M - X)/(P + M - X)`, USGS MCS) for all importers × commodities × years,
tested equal to it.

How it is fast
--------------
- Keys become small integers once: countries (sorted, so the smallest code is the
  alphabetically first country and ties break as in the reference), HS codes -> commodity
  groups through a lookup array, years. Categorical columns are used as they are.
- Every per-group sum is one ``np.bincount`` over a dense group index
  ``commodity * n_countries + importer`` (one year at a time, so the dense arrays stay
  ``n_groups × n_countries`` long): totals, quantity coverage, attributed total, sum of
  squares (HHI), supplier counts, weak-governance sums. No sort, no hashing of strings.
- Top supplier: ``np.maximum.at`` gives each group's largest flow, ``np.minimum.at`` the
  smallest country code among the rows that reach it.
- A supplier's exports and the world rows come from the same bincount keyed by exporter;
  the world rows are a dense ``n_groups × n_countries`` matrix reduced along its rows.
- Governance is a dense ``year × country`` lookup; provenance is resolved per (year, HS code)
  slice and broadcast by integer index.
- Rows are aggregated to (importer, exporter) pairs (``np.unique``) only when a commodity has
  several HS codes; with one code per commodity the trade key (year, exporter, importer, hs6)
  already makes each row a pair.

The output's label columns (``importer``, ``commodity``, ``stage``, ``top1_exporter``,
``note``, ``provenance``) are categoricals; the frame composes with other metric frames on
``importer, commodity, stage, year`` (production concentration joins on
``commodity, stage, year``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator

import numpy as np
import pandas as pd

from critmin.metrics import provenance
from critmin.metrics.trade_exposure import (
    COLUMNS,
    DEFAULT_MAX_GOVERNANCE_LAG,
    DEFAULT_MIN_QUANTITY_COVERAGE,
    DEFAULT_THRESHOLD,
    GROUP,
    WORLD,
    HsMap,
    aggregate_codes,
    commodity_groups,
    consumption_inputs,
    governance_scores,
    group_provenance,
    net_import_reliance,
    single_nomenclature,
    weak_flags,
)

PROVENANCE_COLUMNS = ("source", "release", "vintage_id")
#: Rows read at once when a year is reduced in chunks (bounds the working memory).
CHUNK_ROWS = 2_000_000


def _factorize(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and labels of a column (categoricals reuse their codes)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(), pd.Index(column.cat.categories.astype(str))
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes, pd.Index(pd.Index(uniques).astype(str))


def _recode(codes: np.ndarray, labels: pd.Index, universe: pd.Index) -> np.ndarray:
    """Codes against ``labels`` -> codes against ``universe`` (every label in it)."""
    lut = universe.get_indexer(labels).astype(np.int16 if len(universe) < 2**15 else np.int32)
    return lut[codes]


def _row_provenance(trade: pd.DataFrame) -> tuple[np.ndarray, pd.Index]:
    """Integer provenance tag per row, and the tags (``source release #vintage_id``)."""
    if provenance.PROVENANCE in trade.columns:
        return _factorize(trade[provenance.PROVENANCE])
    missing = [c for c in PROVENANCE_COLUMNS if c not in trade.columns]
    if missing:
        raise KeyError(f"trade has no provenance columns {missing}; read it through critmin.api")
    parts = [_factorize(trade[c]) for c in PROVENANCE_COLUMNS]
    sizes = [max(len(labels), 1) for _, labels in parts]
    small = float(np.prod(sizes, dtype=np.float64)) < 2**31
    combined: np.ndarray = np.zeros(len(trade), dtype=np.int32 if small else np.int64)
    for (codes, _labels), size in zip(parts, sizes, strict=True):
        combined = combined * size + codes.astype(combined.dtype)
    present = np.flatnonzero(np.bincount(combined)) if small else np.unique(combined)
    lut = np.full(int(present.max()) + 1 if len(present) else 1, -1, dtype=np.int32)
    lut[present] = np.arange(len(present), dtype=np.int32)
    tags = []
    for value in present.tolist():
        labels_of = []
        for (_codes, labels), size in zip(reversed(parts), reversed(sizes), strict=True):
            labels_of.append(labels[value % size])
            value //= size
        source, release, vintage = reversed(labels_of)
        tags.append(f"{source} {release} #{vintage}")
    return lut[combined], pd.Index(tags)


def trade_exposure_all(
    trade: pd.DataFrame,
    hs_map: HsMap = None,
    governance: pd.DataFrame | None = None,
    production: pd.DataFrame | None = None,
    *,
    aggregates: pd.DataFrame | Collection[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    weak_below: bool = True,
    score: str = "estimate",
    max_governance_lag: int = DEFAULT_MAX_GOVERNANCE_LAG,
    min_quantity_coverage: float = DEFAULT_MIN_QUANTITY_COVERAGE,
    world: bool = True,
) -> pd.DataFrame:
    r"""Trade exposure for every importer × commodity × year, vectorised.

    .. math::

        s_i = w_i / W, \quad HHI = \sum_{i \in A} (w_i / \textstyle\sum_{j \in A} w_j)^2, \quad
        \text{NIR} = (M - X) / (P + M - X)

    Same definitions, parameters, units and sources as
    :func:`critmin.metrics.trade_exposure.trade_exposure` (EU CRM methodology 2017 §3.1; USGS
    MCS net import reliance; World Bank WGI), computed with integer-coded numpy reductions.
    ``trade`` must hold one row per (year, exporter, importer, hs6), as the trade table's key
    guarantees; ``exporter``, ``importer`` and ``hs6`` may be categoricals.

    Returns
    -------
    DataFrame
        The columns of :data:`critmin.metrics.trade_exposure.COLUMNS`, sorted by
        ``importer, commodity, stage, year``; label columns are categoricals.
    """
    nomenclature = single_nomenclature(trade)
    groups = commodity_groups(hs_map, nomenclature)
    agg = aggregate_codes(aggregates)

    # -- integer codes ---------------------------------------------------------------------
    exp_codes, exp_labels = _factorize(trade["exporter"])
    imp_codes, imp_labels = _factorize(trade["importer"])
    countries = pd.Index(sorted(set(exp_labels) | set(imp_labels)))
    n_c = len(countries)
    exporter = _recode(exp_codes, exp_labels, countries)
    importer = _recode(imp_codes, imp_labels, countries)
    is_agg = countries.isin(list(agg))

    hs_codes, hs_labels = _factorize(trade["hs6"])
    if groups.empty:
        group_keys = pd.DataFrame({"commodity": hs_labels, "stage": ""}).sort_values("commodity")
        group_keys = group_keys.reset_index(drop=True)
        links = pd.DataFrame(
            {"hs": hs_labels.get_indexer(pd.Index(group_keys["commodity"])), "group": group_keys.index}
        )
    else:
        group_keys = groups[["commodity", "stage"]].drop_duplicates().sort_values(["commodity", "stage"])
        group_keys = group_keys.reset_index(drop=True)
        gid = pd.MultiIndex.from_frame(group_keys).get_indexer(
            pd.MultiIndex.from_frame(groups[["commodity", "stage"]])
        )
        links = pd.DataFrame({"hs": hs_labels.get_indexer(pd.Index(groups["hs6"])), "group": gid})
        links = links[links["hs"] >= 0]
    n_g = len(group_keys)
    per_code = np.bincount(links["hs"], minlength=len(hs_labels))
    multi = (
        bool((per_code > 1).any()) or bool(links.groupby("group").size().max() > 1) if len(links) else False
    )

    years_all = trade["year"].to_numpy()
    year_values = np.unique(years_all)
    row_tag, tag_labels = _row_provenance(trade)

    scores = None
    weak = np.zeros((len(year_values), n_c), dtype=bool)
    scored = np.zeros((len(year_values), n_c), dtype=bool)
    if governance is not None:
        scores = governance_scores(governance, year_values, score=score, max_lag=max_governance_lag)
        country_idx = countries.get_indexer(scores["country"])
        year_idx = np.searchsorted(year_values, scores["year"].to_numpy())
        keep = country_idx >= 0
        scored[year_idx[keep], country_idx[keep]] = True
        weak[year_idx[keep], country_idx[keep]] = weak_flags(scores, threshold, weak_below).to_numpy()[keep]

    parts: list[dict[str, np.ndarray]] = []
    slice_parts: list[pd.DataFrame] = []
    code_lut = np.full(len(hs_labels), -1, dtype=np.int64)
    if not multi:
        code_lut[links["hs"].to_numpy()] = links["group"].to_numpy()
    for y_pos, year in enumerate(year_values):
        rows = np.flatnonzero(years_all == year)
        # provenance of each (HS code, vintage) slice present this year
        slice_key = np.unique(hs_codes[rows].astype(np.int64) * len(tag_labels) + row_tag[rows])
        slice_parts.append(
            pd.DataFrame(
                {"year": year, "hs": slice_key // len(tag_labels), "tag": slice_key % len(tag_labels)}
            )
        )
        parts.append(
            _one_year(
                year,
                _loader(trade, rows, hs_codes, exporter, importer, links, code_lut, multi, n_c),
                is_agg,
                weak[y_pos],
                scored[y_pos],
                n_g,
                n_c,
                min_quantity_coverage,
                world,
            )
        )

    columns = {name: np.concatenate([p.pop(name) for p in parts]) for name in list(parts[0])}
    del parts
    labels = countries.append(pd.Index([WORLD])).unique().sort_values()
    country_idx = columns.pop("country")
    importer_codes = np.where(
        country_idx < 0, labels.get_loc(WORLD), labels.get_indexer(countries)[country_idx]
    )
    order = np.lexsort((columns["year"], columns["group"], importer_codes))
    importer_codes = importer_codes[order]
    for name in list(columns):
        columns[name] = columns[name][order]
    del order
    group_idx = columns.pop("group")
    top = columns.pop("top")
    year_idx = np.searchsorted(year_values, columns["year"])
    commodity_cat = pd.Categorical(group_keys["commodity"])
    stage_cat = pd.Categorical(group_keys["stage"].astype(str))
    out: dict[str, object] = {
        "importer": pd.Categorical.from_codes(importer_codes, categories=labels),
        "commodity": pd.Categorical.from_codes(
            commodity_cat.codes[group_idx], categories=commodity_cat.categories
        ),
        "stage": pd.Categorical.from_codes(stage_cat.codes[group_idx], categories=stage_cat.categories),
        "year": columns.pop("year").astype(np.int64),
        "basis": pd.Categorical.from_codes(
            columns.pop("by_quantity").astype(np.int8),  # type: ignore[arg-type]
            categories=pd.Index(["value", "quantity"]),
        ),
    }
    out.update(columns)
    out["suppliers"] = np.round(columns["suppliers"]).astype(np.int64)
    out["top1_exporter"] = pd.Categorical.from_codes(
        np.where(top < n_c, top, -1),  # type: ignore[arg-type]
        categories=countries,
    )
    out["hhi_10000"] = columns["hhi"] * 10_000
    if governance is None:
        out["share_weak_governance"] = np.full(len(group_idx), np.nan)
        out["governance_coverage"] = np.full(len(group_idx), np.nan)
    keys = pd.DataFrame({k: out[k] for k in ("importer", "commodity", "stage", "year")})
    keys["quantity_coverage"] = columns["quantity_coverage"]
    keys["exports_quantity_coverage"] = columns["exports_quantity_coverage"]
    production_t, note, prod_prov = consumption_inputs(
        keys, groups, production, min_quantity_coverage=min_quantity_coverage
    )
    del keys
    apparent, nir, note = net_import_reliance(columns["imports_t"], columns["exports_t"], production_t, note)
    out["production_t"] = production_t
    out["apparent_consumption_t"] = apparent
    out["nir"] = nir
    out["note"] = pd.Categorical(note)
    del note

    # provenance: slices -> (year, group) -> rows by integer index
    slices = pd.concat(slice_parts, ignore_index=True).merge(links, on="hs")
    slices = slices.assign(
        provenance=tag_labels[slices["tag"].to_numpy()],
        commodity=group_keys["commodity"].to_numpy()[slices["group"].to_numpy()],
        stage=group_keys["stage"].to_numpy()[slices["group"].to_numpy()],
    )
    slices = slices[[*GROUP, provenance.PROVENANCE]].drop_duplicates()
    tags_per_group = slices.groupby(list(GROUP), sort=False)[provenance.PROVENANCE].transform("size")
    single = slices[tags_per_group.to_numpy() == 1]
    several = slices[tags_per_group.to_numpy() > 1]
    trade_prov = pd.concat([single, provenance.by_group(several, list(GROUP))], ignore_index=True)
    prov = group_provenance(trade_prov, scores)
    prov_groups = pd.MultiIndex.from_frame(group_keys).get_indexer(
        pd.MultiIndex.from_frame(prov[["commodity", "stage"]])
    )
    prov_years = np.searchsorted(year_values, prov["year"].to_numpy())
    prov_cat = pd.Categorical(prov[provenance.PROVENANCE])
    lookup = np.full((len(year_values), n_g), -1, dtype=np.int64)
    lookup[prov_years, prov_groups] = prov_cat.codes
    prov_column = pd.Categorical.from_codes(lookup[year_idx, group_idx], categories=prov_cat.categories)
    if prod_prov is not None and prod_prov.notna().any():
        used = prod_prov.notna().to_numpy()
        merged = provenance.combine(
            pd.Series(np.asarray(prov_column)[used]), pd.Series(prod_prov[used].to_numpy())
        )
        values = np.asarray(prov_column, dtype=object)
        values[used] = merged.to_numpy()
        prov_column = pd.Categorical(values)
    out[provenance.PROVENANCE] = prov_column
    return pd.DataFrame({name: out[name] for name in COLUMNS}, copy=False)


Chunk = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _loader(
    trade: pd.DataFrame,
    rows: np.ndarray,
    hs_codes: np.ndarray,
    exporter: np.ndarray,
    importer: np.ndarray,
    links: pd.DataFrame,
    code_lut: np.ndarray,
    multi: bool,
    n_c: int,
) -> Callable[[], Iterator[Chunk]]:
    """A re-startable iterator over pair-level chunks ``grp, imp, exp, value, q, vq, nq`` of one year.

    With one HS code per commodity each row is a pair and rows are read in chunks of
    :data:`CHUNK_ROWS` (bounded memory); otherwise the year's rows are summed to pairs at once.
    """
    value_all = trade["value_usd"].to_numpy()
    quantity_all = trade["quantity_t"].to_numpy()

    def read(part: np.ndarray) -> Chunk:
        value = value_all[part].astype(np.float64)
        quantity = quantity_all[part].astype(np.float64)
        exp, imp = exporter[part], importer[part]
        if multi:
            expand = links.merge(pd.DataFrame({"hs": hs_codes[part], "row": np.arange(len(part))}), on="hs")
            take = expand["row"].to_numpy()
            grp = expand["group"].to_numpy(dtype=np.int64)
            value, quantity, exp, imp = value[take], quantity[take], exp[take], imp[take]
        else:
            grp = code_lut[hs_codes[part]]
            keep = grp >= 0
            grp, value, quantity, exp, imp = grp[keep], value[keep], quantity[keep], exp[keep], imp[keep]
        has_q = ~np.isnan(quantity)
        q = np.where(has_q, quantity, 0.0)
        vq = np.where(has_q, value, 0.0)
        nq = has_q.astype(np.float64)
        if multi:
            pair_key = (grp * n_c + imp) * n_c + exp
            uniq, inverse = np.unique(pair_key, return_inverse=True)
            value = np.bincount(inverse, value, len(uniq))
            q = np.bincount(inverse, q, len(uniq))
            vq = np.bincount(inverse, vq, len(uniq))
            nq = np.bincount(inverse, nq, len(uniq))
            exp = (uniq % n_c).astype(np.int32)
            imp = ((uniq // n_c) % n_c).astype(np.int32)
            grp = uniq // (n_c * n_c)
        return grp, imp, exp, value, q, vq, nq

    if multi:
        pairs = read(rows)
        return lambda: iter([pairs])
    return lambda: (read(rows[start : start + CHUNK_ROWS]) for start in range(0, len(rows), CHUNK_ROWS))


def _one_year(
    year: int,
    load: Callable[[], Iterator[Chunk]],
    is_agg: np.ndarray,
    weak: np.ndarray,
    scored: np.ndarray,
    n_g: int,
    n_c: int,
    min_coverage: float,
    world: bool,
) -> dict[str, np.ndarray]:
    """All summary columns of one year from pair-level chunks (three passes: totals, weights, top)."""
    n_gc = n_g * n_c
    index_type = np.int32 if n_gc < 2**31 else np.int64
    count = np.zeros(n_gc)
    tot_v, tot_q, tot_vq, tot_nq = (np.zeros(n_gc) for _ in range(4))
    ex_v, ex_q, ex_vq, ex_nq = (np.zeros(n_gc) for _ in range(4))
    for grp, imp, exp, value, q, vq, nq in load():
        gi = (grp * n_c + imp).astype(index_type)
        count += np.bincount(gi, minlength=n_gc)
        tot_v += np.bincount(gi, value, n_gc)
        tot_q += np.bincount(gi, q, n_gc)
        tot_vq += np.bincount(gi, vq, n_gc)
        tot_nq += np.bincount(gi, nq, n_gc)
        # exports of each country (all partners): also the world's import flows by supplier
        ge = (grp * n_c + exp).astype(index_type)
        ex_v += np.bincount(ge, value, n_gc)
        ex_q += np.bincount(ge, q, n_gc)
        ex_vq += np.bincount(ge, vq, n_gc)
        ex_nq += np.bincount(ge, nq, n_gc)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = tot_vq / tot_v
    by_q = (coverage >= min_coverage) & (tot_q > 0)

    att_w, att_w2, suppliers, weak_w, scored_w = (np.zeros(n_gc) for _ in range(5))
    biggest = np.zeros(n_gc)
    for grp, imp, exp, value, q, _vq, _nq in load():
        gi = (grp * n_c + imp).astype(index_type)
        wa = np.where(is_agg[exp], 0.0, np.where(by_q[gi], q, value))
        att_w += np.bincount(gi, wa, n_gc)
        att_w2 += np.bincount(gi, wa * wa, n_gc)
        suppliers += np.bincount(gi, (wa > 0).astype(np.float64), n_gc)
        weak_w += np.bincount(gi, wa * weak[exp], n_gc)
        scored_w += np.bincount(gi, wa * scored[exp], n_gc)
        positive = wa > 0
        np.maximum.at(biggest, gi[positive], wa[positive])  # type: ignore[arg-type]
    top = np.full(n_gc, n_c, dtype=np.int64)
    for grp, imp, exp, value, q, _vq, _nq in load():
        gi = (grp * n_c + imp).astype(index_type)
        wa = np.where(is_agg[exp], 0.0, np.where(by_q[gi], q, value))
        hit = (wa > 0) & (wa == biggest[gi])
        np.minimum.at(top, gi[hit], exp[hit].astype(np.int64))

    with np.errstate(divide="ignore", invalid="ignore"):
        tot_w = np.where(by_q, tot_q, tot_v)
        top_w = np.where(top < n_c, biggest, np.nan)

        world_v = ex_v.reshape(n_g, n_c).sum(axis=1)
        world_q = ex_q.reshape(n_g, n_c).sum(axis=1)
        g_of = np.arange(n_gc) // n_c
        imports_t = np.where(tot_nq > 0, tot_q, np.nan)
        exports_usd = ex_v
        exports_t = np.where(ex_nq > 0, ex_q, np.nan)
        exports_t = np.where(ex_v == 0, 0.0, exports_t)
        exports_cov = np.where(ex_v == 0, 1.0, ex_vq / ex_v)
        hhi = np.where(att_w > 0, att_w2 / att_w**2, np.nan)
        importers = np.flatnonzero((count > 0) & ~is_agg[np.arange(n_gc) % n_c])
        out = {
            "group": g_of[importers],
            "country": (importers % n_c).astype(np.int64),
            "year": np.full(len(importers), year, dtype=np.int64),
            "by_quantity": by_q[importers],
            "imports_usd": tot_v[importers],
            "imports_t": imports_t[importers],
            "quantity_coverage": coverage[importers],
            "exports_usd": exports_usd[importers],
            "exports_t": exports_t[importers],
            "exports_quantity_coverage": exports_cov[importers],
            "suppliers": suppliers[importers],
            "hhi": hhi[importers],
            "top": top[importers],
            "top1_share": top_w[importers] / tot_w[importers],
            "share_unattributed": 1.0 - att_w[importers] / tot_w[importers],
            "share_weak_governance": weak_w[importers] / tot_w[importers],
            "governance_coverage": scored_w[importers] / att_w[importers],
            "world_share_usd": tot_v[importers] / world_v[g_of[importers]],
            "world_share_t": imports_t[importers] / world_q[g_of[importers]],
        }
        if world:
            out = _append_world(
                out, year, ex_v, ex_q, ex_vq, ex_nq, is_agg, weak, scored, n_g, n_c, min_coverage
            )
    return out


def _append_world(
    out: dict[str, np.ndarray],
    year: int,
    ex_v: np.ndarray,
    ex_q: np.ndarray,
    ex_vq: np.ndarray,
    ex_nq: np.ndarray,
    is_agg: np.ndarray,
    weak: np.ndarray,
    scored: np.ndarray,
    n_g: int,
    n_c: int,
    min_coverage: float,
) -> dict[str, np.ndarray]:
    """Add the ``WLD`` rows: all importers together, suppliers = exporters (dense group × country)."""
    v = ex_v.reshape(n_g, n_c)
    q = ex_q.reshape(n_g, n_c)
    tot_v = v.sum(axis=1)
    tot_q = q.sum(axis=1)
    tot_nq = ex_nq.reshape(n_g, n_c).sum(axis=1)
    coverage = ex_vq.reshape(n_g, n_c).sum(axis=1) / tot_v
    by_q = (coverage >= min_coverage) & (tot_q > 0)
    w = np.where(by_q[:, None], q, v)
    wa = np.where(is_agg[None, :], 0.0, w)
    att_w = wa.sum(axis=1)
    tot_w = np.where(by_q, tot_q, tot_v)
    top = np.argmax(wa, axis=1)
    top_w = wa[np.arange(n_g), top]
    top = np.where(top_w > 0, top, n_c)
    present = np.flatnonzero(tot_v > 0)
    imports_t = np.where(tot_nq > 0, tot_q, np.nan)
    world = {
        "group": present,
        "country": np.full(len(present), -1, dtype=np.int64),
        "year": np.full(len(present), year, dtype=np.int64),
        "by_quantity": by_q[present],
        "imports_usd": tot_v[present],
        "imports_t": imports_t[present],
        "quantity_coverage": coverage[present],
        "exports_usd": np.full(len(present), np.nan),
        "exports_t": np.full(len(present), np.nan),
        "exports_quantity_coverage": np.full(len(present), np.nan),
        "suppliers": (wa > 0).sum(axis=1)[present].astype(np.float64),
        "hhi": np.where(att_w > 0, (wa**2).sum(axis=1) / att_w**2, np.nan)[present],
        "top": top[present],
        "top1_share": np.where(top_w > 0, top_w, np.nan)[present] / tot_w[present],
        "share_unattributed": 1.0 - att_w[present] / tot_w[present],
        "share_weak_governance": (wa * weak[None, :]).sum(axis=1)[present] / tot_w[present],
        "governance_coverage": (wa * scored[None, :]).sum(axis=1)[present] / att_w[present],
        "world_share_usd": np.ones(len(present)),
        "world_share_t": imports_t[present] / tot_q[present],
    }
    return {name: np.concatenate([out[name], world[name]]) for name in out}
