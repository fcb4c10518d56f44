"""The per-year numpy reductions behind :func:`critmin.metrics.timeseries.trade_exposure_all`.

One year of trade arrives as :class:`Chunk` s of pair-level flows whose importer and exporter
are already integer keys into a dense ``country × group`` space (``key = country * n_groups +
group``, countries being the sorted labels, ``WLD`` among them). :func:`year_columns` reduces them
to the summary columns of every (importer, group) present, in key order, which is the output's
order ``importer, commodity, stage``; the ``WLD`` rows are placed where that label sorts.

Why this layout: BACI rows come sorted by exporter and importer, so consecutive rows of a pair
fall inside one country's block of ``n_groups`` slots and the scattered sums
(``np.bincount``) stay in cache; flat keys in ascending order are already the output order.
Sums are float64 whatever the input's dtype.

Two passes over the chunks: the totals decide each group's basis (quantity or value), which the
attributed weights need. The top supplier of a group is kept per chunk (``np.fmax.at``, then the
smallest exporter key among the rows that reach it) and merged into the year's, so no third pass
re-reads the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

#: ``rows_with_quantity`` is packed with a row count into one sum: count + PACK * rows with quantity.
PACK = float(2**24)


@dataclass(frozen=True)
class Chunk:
    """Pair-level flows of one year (one row per importer, exporter and group)."""

    imports: np.ndarray  # intp key: importer * n_groups + group
    exports: np.ndarray  # intp key: exporter * n_groups + group
    exporter: np.ndarray  # exporter label code
    value: np.ndarray  # USD, float64
    quantity: np.ndarray  # tonnes, float64, 0 where unknown
    value_with_quantity: np.ndarray  # USD on rows with a quantity
    rows_with_quantity: np.ndarray  # number of rows with a quantity (bool for single rows)


@dataclass(frozen=True)
class Layout:
    """The dense key space: sorted country labels (``WLD`` included) × commodity groups."""

    n_labels: int
    n_groups: int
    is_aggregate: np.ndarray  # bool per label
    world: int  # label code of WLD

    @property
    def size(self) -> int:
        """Number of dense keys."""
        return self.n_labels * self.n_groups


Loader = Callable[[], Iterator[Chunk]]


def _add(total: np.ndarray | None, index: np.ndarray, weights: np.ndarray | None, size: int) -> np.ndarray:
    """``total + bincount(index, weights)`` (the bincount itself when there is no total yet)."""
    counted = np.bincount(index, weights, size).astype(np.float64, copy=False)
    if total is None:
        return counted
    total += counted
    return total


@dataclass
class _Totals:
    """Pass 1: per (importer, group) and per (exporter, group) sums."""

    packed: np.ndarray  # rows + PACK * rows with quantity, by importer
    value: np.ndarray
    quantity: np.ndarray
    covered: np.ndarray
    ex_value: np.ndarray
    ex_quantity: np.ndarray
    ex_covered: np.ndarray
    ex_rows_q: np.ndarray


def _totals(load: Loader, size: int) -> _Totals:
    sums: list[np.ndarray | None] = [None] * 8
    for c in load():
        packed = 1.0 + PACK * c.rows_with_quantity
        for i, (index, weights) in enumerate(
            (
                (c.imports, packed),
                (c.imports, c.value),
                (c.imports, c.quantity),
                (c.imports, c.value_with_quantity),
                (c.exports, c.value),
                (c.exports, c.quantity),
                (c.exports, c.value_with_quantity),
                (c.exports, c.rows_with_quantity),
            )
        ):
            sums[i] = _add(sums[i], index, weights, size)
    return _Totals(*(s if s is not None else np.zeros(size) for s in sums))


@dataclass
class _Weights:
    """Pass 2: attributed weights, their squares, suppliers, governance sums, the top supplier."""

    attributed: np.ndarray
    squares: np.ndarray
    suppliers: np.ndarray
    weak: np.ndarray
    unscored: np.ndarray
    biggest: np.ndarray
    top: np.ndarray  # label code of the top supplier, n_labels where none


def _weights(
    load: Loader, by_quantity: np.ndarray, layout: Layout, weak: np.ndarray, scored: np.ndarray
) -> _Weights:
    size, none = layout.size, layout.n_labels
    sums: list[np.ndarray | None] = [None] * 5
    biggest = np.zeros(size)
    top = np.full(size, none, dtype=np.int64)
    chunk_big = np.empty(size)
    chunk_top = np.empty(size, dtype=np.int64)
    any_aggregate, any_weak, all_scored = layout.is_aggregate.any(), weak.any(), scored.all()
    weak_factor, unscored_factor = weak.astype(np.float64), (~scored).astype(np.float64)
    for c in load():
        w = np.where(by_quantity[c.imports], c.quantity, c.value)
        if any_aggregate:
            w[layout.is_aggregate[c.exporter]] = 0.0
        positive = w > 0
        for i, (weights, wanted) in enumerate(
            (
                (w, True),
                (w * w, True),
                (positive, True),
                (w * weak_factor[c.exporter], any_weak),
                (w * unscored_factor[c.exporter], not all_scored),
            )
        ):
            if wanted:
                sums[i] = _add(sums[i], c.imports, weights, size)
        # this chunk's largest weight per group, and the smallest exporter reaching it
        chunk_big.fill(0.0)
        np.fmax.at(chunk_big, c.imports, w)
        hit = positive & (w == chunk_big[c.imports])
        chunk_top.fill(none)
        np.minimum.at(chunk_top, c.imports[hit], c.exporter[hit].astype(np.int64))
        tie = (chunk_big == biggest) & (chunk_big > 0)
        top = np.where(chunk_big > biggest, chunk_top, np.where(tie, np.minimum(top, chunk_top), top))
        np.maximum(biggest, chunk_big, out=biggest)
    attributed, squares, suppliers, weak_sum, unscored = (
        s if s is not None else np.zeros(size) for s in sums
    )
    return _Weights(attributed, squares, suppliers, weak_sum, unscored, biggest, top)


def year_columns(
    year: int,
    load: Loader,
    layout: Layout,
    weak: np.ndarray,
    scored: np.ndarray,
    min_coverage: float,
    world: bool,
) -> dict[str, np.ndarray]:
    """The summary columns of one year, in key order (``importer`` label code, ``group``, ...).

    ``weak`` and ``scored`` are bool per label (the supplier's governance this year); ``top`` is
    the top supplier's label code (``n_labels`` where there is none).
    """
    n_g = layout.n_groups
    t = _totals(load, layout.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = t.covered / t.value
    by_quantity = (coverage >= min_coverage) & (t.quantity > 0)
    w = _weights(load, by_quantity, layout, weak, scored)

    present_mask = t.packed > 0
    present_mask.reshape(layout.n_labels, n_g)[layout.is_aggregate] = False
    p = np.flatnonzero(present_mask)
    group = p % n_g
    ex_value = t.ex_value.reshape(layout.n_labels, n_g)
    world_value = ex_value.sum(axis=0)
    world_quantity = t.ex_quantity.reshape(layout.n_labels, n_g).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_q = by_quantity[p]
        total = np.where(by_q, t.quantity[p], t.value[p])
        attributed = w.attributed[p]
        imports_t = np.where(t.packed[p] >= PACK, t.quantity[p], np.nan)
        exports_usd = t.ex_value[p]
        exports_t = np.where(t.ex_rows_q[p] > 0, t.ex_quantity[p], np.nan)
        top = w.top[p]
        columns = {
            "importer": p // n_g,
            "group": group,
            "by_quantity": by_q,
            "imports_usd": t.value[p],
            "imports_t": imports_t,
            "quantity_coverage": coverage[p],
            "exports_usd": exports_usd,
            "exports_t": np.where(exports_usd == 0, 0.0, exports_t),
            "exports_quantity_coverage": np.where(exports_usd == 0, 1.0, t.ex_covered[p] / exports_usd),
            "suppliers": np.round(w.suppliers[p]).astype(np.int64),
            "hhi": np.where(attributed > 0, w.squares[p] / attributed**2, np.nan),
            "top": top,
            "top1_share": np.where(top < layout.n_labels, w.biggest[p], np.nan) / total,
            "share_unattributed": 1.0 - attributed / total,
            "share_weak_governance": w.weak[p] / total,
            "governance_coverage": 1.0 - w.unscored[p] / attributed,
            "world_share_usd": t.value[p] / world_value[group],
            "world_share_t": imports_t / world_quantity[group],
        }
    if not world:
        return _with_year(columns, year)
    world_rows = _world_rows(t, layout, weak, scored, min_coverage)
    split = int(np.searchsorted(p, layout.world * n_g))
    merged = {
        name: np.concatenate([values[:split], world_rows[name], values[split:]])
        for name, values in columns.items()
    }
    return _with_year(merged, year)


def _with_year(columns: dict[str, np.ndarray], year: int) -> dict[str, np.ndarray]:
    columns["year"] = np.full(len(columns["group"]), year, dtype=np.int64)
    return columns


def _world_rows(
    t: _Totals, layout: Layout, weak: np.ndarray, scored: np.ndarray, min_coverage: float
) -> dict[str, np.ndarray]:
    """The ``WLD`` rows: all importers together, suppliers = exporters (a dense country × group matrix)."""
    shape = (layout.n_labels, layout.n_groups)
    v = t.ex_value.reshape(shape)
    q = t.ex_quantity.reshape(shape)
    tot_v = v.sum(axis=0)
    tot_q = q.sum(axis=0)
    rows_q = t.ex_rows_q.reshape(shape).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = t.ex_covered.reshape(shape).sum(axis=0) / tot_v
        by_q = (coverage >= min_coverage) & (tot_q > 0)
        wa = np.where(layout.is_aggregate[:, None], 0.0, np.where(by_q[None, :], q, v))
        att_w = wa.sum(axis=0)
        tot_w = np.where(by_q, tot_q, tot_v)
        top = np.argmax(wa, axis=0)
        top_w = wa[top, np.arange(layout.n_groups)]
        top = np.where(top_w > 0, top, layout.n_labels)
        present = np.flatnonzero(tot_v > 0)
        imports_t = np.where(rows_q > 0, tot_q, np.nan)
        n = len(present)
        nothing = np.full(n, np.nan)
        return {
            "importer": np.full(n, layout.world, dtype=np.int64),
            "group": present,
            "by_quantity": by_q[present],
            "imports_usd": tot_v[present],
            "imports_t": imports_t[present],
            "quantity_coverage": coverage[present],
            "exports_usd": nothing,
            "exports_t": nothing,
            "exports_quantity_coverage": nothing,
            "suppliers": (wa > 0).sum(axis=0)[present].astype(np.int64),
            "hhi": np.where(att_w > 0, (wa**2).sum(axis=0) / att_w**2, np.nan)[present],
            "top": top[present],
            "top1_share": np.where(top_w > 0, top_w, np.nan)[present] / tot_w[present],
            "share_unattributed": 1.0 - att_w[present] / tot_w[present],
            "share_weak_governance": (wa * weak[:, None]).sum(axis=0)[present] / tot_w[present],
            "governance_coverage": (wa * scored[:, None]).sum(axis=0)[present] / att_w[present],
            "world_share_usd": np.ones(n),
            "world_share_t": imports_t[present] / tot_q[present],
        }
