"""The per-year numpy reductions behind :func:`critmin.metrics.timeseries.trade_exposure_all`.

One year of trade arrives as :class:`Chunk` s of pair-level flows whose importer and exporter
are already integer keys into a dense ``country × group`` space (``key = country * n_groups +
group``, countries being the sorted labels, ``WLD`` among them). :func:`year_columns` reduces them
to the summary columns of every (importer, group) present, in key order, which is the output's
order ``importer, commodity, stage``; the ``WLD`` rows are computed into the ``WLD`` block of
the same arrays, so they come out in place, through the same formulas.

Why this layout: BACI rows come sorted by exporter and importer, so consecutive rows of a pair
fall inside one country's block of ``n_groups`` slots and the scattered sums
(``np.bincount``) stay in cache; flat keys in ascending order are already the output order.
Sums are float64 whatever the input's float dtype (``np.bincount`` accumulates in double).

Two passes: the totals decide each group's basis (quantity or value), which the attributed
weights need; pass 1 keeps each chunk's keys, exporters and numbers (views of float32 input where
it can), so pass 2 does not translate the rows again. The top supplier of a group is kept per
chunk (``np.fmax.at``, then the smallest exporter key among the rows that reach it) and merged
into the year's, so no third pass re-reads the rows.
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
    value: np.ndarray  # USD (any float dtype: sums are float64)
    quantity: np.ndarray  # tonnes, 0 where unknown
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


@dataclass(frozen=True)
class _Flows:
    """What pass 2 needs of a chunk, kept from pass 1 (about 14 bytes a row for float32 input)."""

    imports: np.ndarray
    exporter: np.ndarray
    value: np.ndarray
    quantity: np.ndarray


def _totals(load: Loader, size: int) -> tuple[_Totals, list[_Flows]]:
    sums: list[np.ndarray | None] = [None] * 8
    kept = []
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
        kept.append(_Flows(c.imports, c.exporter, c.value, c.quantity))
    return _Totals(*(s if s is not None else np.zeros(size) for s in sums)), kept


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
    flows: list[_Flows], by_quantity: np.ndarray, layout: Layout, weak: np.ndarray, scored: np.ndarray
) -> _Weights:
    """Pass 2 over the flows kept by pass 1 (each chunk is dropped once summed)."""
    size, none = layout.size, layout.n_labels
    sums: list[np.ndarray | None] = [None] * 5
    biggest = np.zeros(size)
    top = np.full(size, none, dtype=np.int64)
    chunk_big = np.empty(size)
    chunk_top = np.empty(size, dtype=np.int64)
    any_aggregate, any_weak, all_scored = layout.is_aggregate.any(), weak.any(), scored.all()
    weak_factor, unscored_factor = weak.astype(np.float64), (~scored).astype(np.float64)
    while flows:
        c = flows.pop(0)
        w = np.where(by_quantity[c.imports], c.quantity, c.value).astype(np.float64, copy=False)
        if any_aggregate:
            w[layout.is_aggregate[c.exporter]] = 0.0
        positive = w > 0
        sums[0] = _add(sums[0], c.imports, w, size)
        sums[1] = _add(sums[1], c.imports, w * w, size)
        sums[2] = _add(sums[2], c.imports, positive, size)
        if any_weak:
            sums[3] = _add(sums[3], c.imports, w * weak_factor[c.exporter], size)
        if not all_scored:
            sums[4] = _add(sums[4], c.imports, w * unscored_factor[c.exporter], size)
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

    With ``world`` the ``WLD`` rows are among them, in the ``WLD`` block of the key space.

    ``weak`` and ``scored`` are bool per label (the supplier's governance this year); ``top`` is
    the top supplier's label code (``n_labels`` where there is none).
    """
    n_g = layout.n_groups
    t, flows = _totals(load, layout.size)
    world_value = t.ex_value.reshape(layout.n_labels, n_g).sum(axis=0)
    world_quantity = t.ex_quantity.reshape(layout.n_labels, n_g).sum(axis=0)
    if world:
        _world_totals(t, layout, world_value, world_quantity)
    with np.errstate(divide="ignore", invalid="ignore"):
        coverage = t.covered / t.value
    by_quantity = (coverage >= min_coverage) & (t.quantity > 0)
    w = _weights(flows, by_quantity, layout, weak, scored)

    present_mask = t.packed > 0
    present_mask.reshape(layout.n_labels, n_g)[layout.is_aggregate] = False
    if world:
        _world_weights(t, w, layout, by_quantity, weak, scored)
        present_mask[_block(layout, layout.world)] = world_value > 0
    p = np.flatnonzero(present_mask)
    group = p % n_g
    with np.errstate(divide="ignore", invalid="ignore"):
        by_q = by_quantity[p]
        total = np.where(by_q, t.quantity[p], t.value[p])
        attributed = w.attributed[p]
        imports_t = np.where(t.packed[p] >= PACK, t.quantity[p], np.nan)
        exports_usd = t.ex_value[p]
        exports_t = np.where(t.ex_rows_q[p] > 0, t.ex_quantity[p], np.nan)
        top = w.top[p]
        return {
            "importer": p // n_g,
            "group": group,
            "year": np.full(len(p), year, dtype=np.int64),
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


def _block(layout: Layout, label: int) -> slice:
    """The dense keys of one country label (one slot per group)."""
    return slice(label * layout.n_groups, (label + 1) * layout.n_groups)


def _world_totals(t: _Totals, layout: Layout, world_value: np.ndarray, world_quantity: np.ndarray) -> None:
    """Write the world's import totals (all importers together) into the ``WLD`` block of pass 1.

    The ``WLD`` rows then come out of the same formulas as every importer's; their exports are
    not defined (NaN).
    """
    shape = (layout.n_labels, layout.n_groups)
    block = _block(layout, layout.world)
    rows_q = t.ex_rows_q.reshape(shape).sum(axis=0)
    t.value[block] = world_value
    t.quantity[block] = world_quantity
    t.covered[block] = t.ex_covered.reshape(shape).sum(axis=0)
    t.packed[block] = (world_value > 0) + PACK * (rows_q > 0)


def _world_weights(
    t: _Totals, w: _Weights, layout: Layout, by_quantity: np.ndarray, weak: np.ndarray, scored: np.ndarray
) -> None:
    """Write the world's supplier sums into the ``WLD`` block of pass 2: suppliers = exporters.

    A dense ``country × group`` matrix of the exporters' weights (aggregates weigh nothing); the
    top supplier is the first largest, i.e. the alphabetically first country among ties.
    """
    shape = (layout.n_labels, layout.n_groups)
    block = _block(layout, layout.world)
    v = t.ex_value.reshape(shape)
    q = t.ex_quantity.reshape(shape)
    wa = np.where(layout.is_aggregate[:, None], 0.0, np.where(by_quantity[block][None, :], q, v))
    top = np.argmax(wa, axis=0)
    top_w = wa[top, np.arange(layout.n_groups)]
    w.attributed[block] = wa.sum(axis=0)
    w.squares[block] = (wa**2).sum(axis=0)
    w.suppliers[block] = (wa > 0).sum(axis=0)
    w.weak[block] = (wa * weak[:, None]).sum(axis=0)
    w.unscored[block] = (wa * ~scored[:, None]).sum(axis=0)
    w.biggest[block] = top_w
    w.top[block] = np.where(top_w > 0, top, layout.n_labels)
    t.ex_value[block] = np.nan
    t.ex_rows_q[block] = 0.0
