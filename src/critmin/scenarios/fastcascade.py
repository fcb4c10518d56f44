r"""The Monte Carlo's cascade: the model of :mod:`critmin.scenarios.cascade`, float32, sparse, nodes × draws.

:func:`consumption_cut` runs the same rounds as :func:`critmin.scenarios.cascade.propagate` (draw
stocks, absorb ``absorb_share``, pass the rest on as export cuts and import raises, stop once the
shock still moving is at most ``tolerance`` times the draw's initial shock), but returns only the
consumption cut, which is all the Monte Carlo reads. Three things make it faster:

- **sparse products**: the two products of a round, the export cuts passed to customers and the
  import raises passed to suppliers, are ``scipy.sparse`` CSR matrices times the working arrays,
  so a round costs the network's links (6-8% of the ``n × n`` pairs on the bundled networks)
  rather than its pairs;
- **nodes × draws layout**: the working arrays are ``(n, draws)``, C-ordered, which is the layout
  the CSR × dense kernel reads contiguously (one short vector operation per link);
- **float32** in the rounds, which halves the memory traffic. A float32 round moves the same
  tonnes as a float64 one to a relative 1e-7; what differs is only where a draw stops, as its
  shock still moving is compared to ``tolerance`` times its initial shock in float32: a draw may
  stop one round earlier or later, which moves at most the shock still moving, ``tolerance`` of the
  initial shock (1e-3 in the Monte Carlo). So per draw, the consumption cuts summed over nodes stay
  within ``tolerance`` times the initial shock of the float64 engine's
  (``tests/test_fastcascade.py`` checks it against :func:`critmin.scenarios.reference.propagate_one`).
  Each draw's threshold is computed in float64 (then compared in float32) and the cuts are
  returned as float64; a cut never exceeds the node's consumption.

Each draw's numbers depend only on its own inputs, never on the other draws of the batch (the sparse
products add each draw's terms in the same order whatever the batch), so batching, chunking and
the executor do not change them. Triggers on stock release and embargoed links (``trigger``,
``pair_open``) are not supported: the Monte Carlo uses neither; deterministic scenarios run
:func:`~critmin.scenarios.cascade.propagate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from critmin.scenarios.spec import CascadeParameters

_F32 = np.float32
_TINY = np.finfo(_F32).tiny
_COMPACT_AT = 0.2
"""Drop the draws that have converged from the working arrays once this share of them has."""


@dataclass(frozen=True)
class SparseFlows:
    """A network's flows as float32 CSR matrices, built once per network (and sent to a cluster once)."""

    flows: sp.csr_array
    """``F[k, i]``, exporter by importer: ``F @ x`` passes import raises ``x`` at ``i`` to suppliers ``k``."""
    flows_t: sp.csr_array
    """``F.T``: ``F.T @ o`` sums the flows into each importer from suppliers open by ``o``."""
    shares_t: sp.csr_array
    """``(F / X).T``, each exporter's flows as shares of its exports ``X``: ``shares_t @ e`` passes
    export cuts ``e`` at ``k`` to its customers ``i`` in proportion to its flows."""
    exports: np.ndarray
    """``(n,)`` float64 row sums of the flows."""

    @classmethod
    def of(cls, flows: np.ndarray) -> SparseFlows:
        """The sparse form of a dense ``(n, n)`` flow matrix."""
        dense = np.asarray(flows, dtype=float)
        exports = dense.sum(axis=1)
        inv = np.divide(1.0, exports, out=np.zeros_like(exports), where=exports > 0)
        return cls(
            flows=sp.csr_array(dense.astype(_F32)),
            flows_t=sp.csr_array(dense.T.astype(_F32)),
            shares_t=sp.csr_array((dense * inv[:, None]).T.astype(_F32)),
            exports=exports,
        )


def _columns(values: np.ndarray | float, draws: int, n: int) -> np.ndarray:
    """``(draws, n)`` or ``(n,)`` values as a fresh C-ordered ``(n, draws)`` float32 array."""
    array = np.asarray(values, dtype=float)
    if array.ndim == 1:
        return np.repeat(array.astype(_F32)[:, None], draws, axis=1)
    return np.ascontiguousarray(array.T, dtype=_F32)


def consumption_cut(
    network: SparseFlows,
    consumption: np.ndarray,
    shock: np.ndarray,
    params: CascadeParameters,
    *,
    stocks: np.ndarray | None = None,
    node_open: np.ndarray | None = None,
    export_capacity: np.ndarray | None = None,
) -> np.ndarray:
    """``(draws, n)`` float64 consumption cut of each draw.

    Arguments as :func:`~critmin.scenarios.cascade.propagate`; ``flows`` come as :class:`SparseFlows`.
    """
    shock = np.atleast_2d(np.asarray(shock, dtype=float))
    draws, n = shock.shape
    opened = None if node_open is None else _columns(node_open, draws, n)
    im_open = _columns(network.flows_t.sum(axis=1), draws, n) if opened is None else network.flows_t @ opened
    inv_im_open = np.zeros_like(im_open)
    np.divide(_F32(1.0), im_open, out=inv_im_open, where=im_open > 0)
    blocked = im_open <= 0
    np.maximum(im_open, _TINY, out=im_open)  # so that exports + imports is never 0
    held = np.zeros((n, draws), dtype=_F32) if stocks is None else _columns(stocks, draws, n)
    stock_rows = np.flatnonzero(held.any(axis=1))
    state = _State(
        rows=np.arange(draws),
        r=_columns(shock, draws, n),
        cut=np.zeros((n, draws), dtype=_F32),
        cons_left=_columns(consumption, draws, n),
        ex_left=_columns(network.exports if export_capacity is None else export_capacity, draws, n),
        stock_left=held[stock_rows],
        stock_rows=stock_rows,
        node_open=opened,
        im_open=im_open,
        inv_im_open=inv_im_open,
        blocked_rows=np.flatnonzero(blocked.any(axis=1)),
        no_imports=blocked[blocked.any(axis=1)].astype(_F32),
        threshold=(params.tolerance * shock.sum(axis=1)).astype(_F32),
        full_cut=np.zeros((n, draws), dtype=_F32),
    )
    absorb = _F32(params.absorb_share)
    for _ in range(params.max_rounds):
        done = state.r.sum(axis=0) <= state.threshold
        if done.all():
            break
        if done.any():
            state.r[:, done] = 0.0  # what still moves in a finished draw stays unresolved
            if done.mean() > _COMPACT_AT:
                state.compact(~done)
        _round(state, network, absorb)
    state.compact(np.zeros(len(state.rows), dtype=bool))
    cut = state.full_cut.T.astype(float)
    return np.minimum(cut, np.broadcast_to(np.asarray(consumption, dtype=float), cut.shape))


_PER_DRAW = ("r", "cut", "cons_left", "ex_left", "stock_left", "im_open", "inv_im_open", "no_imports")
"""The working arrays with a column per active draw (besides ``node_open``, which may be None)."""


@dataclass
class _State:
    """The ``(n, active draws)`` working arrays and the full cut they are written back to."""

    rows: np.ndarray
    r: np.ndarray
    cut: np.ndarray
    cons_left: np.ndarray
    ex_left: np.ndarray
    stock_left: np.ndarray
    """``(stock rows, draws)``: what is left of the stocks of the nodes that hold any."""
    stock_rows: np.ndarray
    node_open: np.ndarray | None
    im_open: np.ndarray
    inv_im_open: np.ndarray
    blocked_rows: np.ndarray
    """The nodes that, in some draw, have no open supplier to ask for more (a few on most networks)."""
    no_imports: np.ndarray
    """``(blocked rows, draws)``: 1.0 where that node has none in that draw."""
    threshold: np.ndarray
    full_cut: np.ndarray

    def compact(self, active: np.ndarray) -> None:
        """Write back the cuts of the finished draws and keep only the ``active`` ones."""
        self.full_cut[:, self.rows[~active]] = self.cut[:, ~active]
        self.rows = self.rows[active]
        self.threshold = self.threshold[active]
        for name in _PER_DRAW:
            setattr(self, name, getattr(self, name)[:, active])
        if self.node_open is not None:
            self.node_open = self.node_open[:, active]


def _round(s: _State, network: SparseFlows, absorb: np.float32) -> None:
    """One round on the working arrays, in place (the steps of :func:`critmin.scenarios.cascade._round`)."""
    r = s.r
    if len(s.stock_rows):
        rows = s.stock_rows
        take = np.minimum(r[rows], s.stock_left)
        s.stock_left -= take
        r[rows] -= take
    absorbed = np.multiply(r, absorb)
    np.minimum(absorbed, s.cons_left, out=absorbed)
    s.cons_left -= absorbed
    s.cut += absorbed
    r -= absorbed
    to_ex = np.multiply(r, s.ex_left)
    to_ex /= np.add(s.ex_left, s.im_open, out=absorbed)
    np.minimum(to_ex, s.ex_left, out=to_ex)
    np.minimum(to_ex, r, out=to_ex)
    r -= to_ex
    if len(s.blocked_rows):  # what such a node cannot pass on is absorbed, on its rows only
        rows = s.blocked_rows
        rest = r[rows] * s.no_imports
        forced = np.minimum(rest, s.cons_left[rows])
        s.cons_left[rows] -= forced
        s.cut[rows] += forced
        r[rows] -= rest
    s.ex_left -= to_ex
    r *= s.inv_im_open
    raised = network.flows @ r
    if s.node_open is not None:
        raised *= s.node_open
    s.r = network.shares_t @ to_ex
    s.r += raised
