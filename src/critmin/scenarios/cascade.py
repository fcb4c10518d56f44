r"""The shock cascade on a trade network, batched over draws (NumPy over a draws axis).

The model follows the Food Shock Cascade of Marchand et al. (2016), *Reserves and trade jointly
determine exposure to food supply shocks*, Environ. Res. Lett. 11:095009: a shock (tonnes of supply
lost) arrives at some countries; each country short of supply responds, and the part it does not
absorb moves on to its trading partners, round after round, until what is still moving is below a
tolerance. The variant implemented here, in tonnes over the scenario's horizon:

In each round, a country :math:`i` holding an unresolved shock :math:`r_i`

1. **draws its stocks**: :math:`d_i = \min(r_i, S_i)` where :math:`S_i` is what is left of its
   releasable stock, once its cumulative shock has reached its release trigger;
2. **absorbs a share** :math:`a` (``absorb_share``) of the rest by cutting consumption, never below
   zero consumption;
3. **passes the rest on**, split between cutting its exports and raising its imports in proportion
   to its remaining exports :math:`X_i - \text{cut}_i` and its imports from *open* suppliers
   :math:`\sum_k u_k o_{ki} F_{ki}` (a supplier that restricts its exports, :math:`u_k < 1` or
   :math:`o_{ki} < 1`, is not asked for more):

   - an export cut of :math:`e_i` lowers each flow :math:`F_{ij}` by :math:`e_i F_{ij} / X_i` and that
     tonnage is a new shock at :math:`j` (cuts never exceed the base exports, so no flow goes negative);
   - an import raise of :math:`m_i` raises each open flow :math:`F_{ki}` by
     :math:`m_i u_k o_{ki} F_{ki} / \sum_{k'} u_{k'} o_{k'i} F_{k'i}`, a new shock at :math:`k`;
   - what can be passed on neither way (no partners left) is absorbed by consumption; what cannot be
     absorbed either (no consumption left) stays *unresolved*.

The loop stops for a draw once the shock still moving is at most ``tolerance`` times the draw's initial
shock (what is left is reported as unresolved), or after ``max_rounds``.

Every tonne of the initial shock ends as stock drawn, consumption cut or unresolved:
``shock.sum() == (stock_drawn + consumption_cut + unresolved).sum()``. In Marchand et al. the shock
is passed on through exports only and the share absorbed follows from reserves; raising imports from
unblocked partners is the addition the minerals case needs (an embargoed importer buys elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from critmin.scenarios.spec import CascadeParameters


@dataclass(frozen=True)
class CascadeResult:
    """Per draw and node (arrays ``(draws, nodes)``), tonnes over the horizon."""

    received: np.ndarray
    stock_drawn: np.ndarray
    consumption_cut: np.ndarray
    exports_cut: np.ndarray
    imports_raised: np.ndarray
    unresolved: np.ndarray
    rounds: int

    @property
    def loss(self) -> np.ndarray:
        """Supply lost at each node: stock drawn plus consumption cut."""
        return self.stock_drawn + self.consumption_cut

    @property
    def total_loss(self) -> np.ndarray:
        """Supply lost in the world, per draw."""
        return np.asarray(self.loss.sum(axis=1))


_TINY = 1e-300
TRIGGER_SLACK = 1 - 1e-12
"""A trigger counts as reached within rounding (the two engines add the shock in different orders)."""
_COMPACT_AT = 0.2

"""Drop the draws that have converged from the working arrays once this share of them has."""


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape))
    np.divide(num, den, out=out, where=np.broadcast_to(den > 0, out.shape))
    return out


def propagate(
    flows: np.ndarray,
    consumption: np.ndarray,
    shock: np.ndarray,
    params: CascadeParameters | None = None,
    *,
    stocks: np.ndarray | None = None,
    trigger: np.ndarray | None = None,
    node_open: np.ndarray | None = None,
    pair_open: np.ndarray | None = None,
    export_capacity: np.ndarray | None = None,
) -> CascadeResult:
    """Run the cascade for a batch of draws.

    Parameters
    ----------
    flows
        ``(n, n)`` tonnes from exporter (row) to importer (column) over the horizon.
    consumption
        ``(n,)`` or ``(draws, n)`` consumption over the horizon that can be cut (apparent consumption
        plus any demand shock).
    shock
        ``(draws, n)`` tonnes of supply each node loses at the start.
    params
        Absorbed share, tolerance and maximum rounds.
    stocks
        ``(n,)`` or ``(draws, n)`` releasable stock in tonnes (default none).
    trigger
        ``(n,)`` cumulative shock in tonnes a node must have received before it releases stock.
    node_open
        ``(draws, n)`` in [0, 1]: how far each node still supplies others when asked for more (1 open,
        0 blocked, e.g. ``1 - fraction`` of a supplier restricting its exports).
    pair_open
        ``(n, n)`` in [0, 1]: openness of each link for new imports (an embargo aimed at one importer).
    export_capacity
        ``(n,)`` or ``(draws, n)``: exports that can still be cut (default the row sums of ``flows``;
        a supplier that already withholds a fraction ``f`` of every flow has ``(1 - f)`` of them). Cuts
        are spread over customers in proportion to ``flows``.
    """
    params = params or CascadeParameters()
    shock = np.atleast_2d(np.asarray(shock, dtype=float))
    draws, n = shock.shape
    open_flows = flows if pair_open is None else flows * pair_open
    exports = flows.sum(axis=1)
    inv_exports = _divide(np.ones(n), exports)
    consumption = np.broadcast_to(np.asarray(consumption, dtype=float), (draws, n))
    capacity = exports if export_capacity is None else np.asarray(export_capacity, dtype=float)
    ex_left = np.broadcast_to(capacity, (draws, n)).copy()
    cons_left = consumption.copy()
    stock = None if stocks is None else np.broadcast_to(np.asarray(stocks, dtype=float), (draws, n))
    stock_left = None if stock is None else stock.copy()
    trigger_at = None if trigger is None or not np.any(trigger) else np.asarray(trigger, dtype=float)
    im_open = (
        np.broadcast_to(open_flows.sum(axis=0), (draws, n)) if node_open is None else node_open @ open_flows
    )
    state = _State.start(shock, ex_left, cons_left, stock_left, im_open, node_open, params.tolerance)
    rounds = 0
    for rounds in range(1, params.max_rounds + 1):
        done = state.r.sum(axis=1) <= state.threshold
        if done.all():
            rounds -= 1
            break
        if done.any():
            state.unresolved[done] += state.r[done]
            state.r[done] = 0.0
            if done.mean() > _COMPACT_AT:
                state = state.compact(~done)
        _round(state, flows, open_flows, inv_exports, trigger_at, params.absorb_share)
    state.unresolved += state.r
    state.finish()
    ex_left, cons_left, stock_left = state.full_ex_left, state.full_cons_left, state.full_stock_left
    received, im_raised, unresolved = state.full_received, state.full_im_raised, state.full_unresolved
    return CascadeResult(
        received=received,
        stock_drawn=np.zeros((draws, n)) if stock is None or stock_left is None else stock - stock_left,
        consumption_cut=consumption - cons_left,
        exports_cut=capacity - ex_left,
        imports_raised=im_raised,
        unresolved=unresolved,
        rounds=rounds,
    )


@dataclass
class _State:
    """The working arrays of the draws still moving, and the full arrays they are written back to."""

    rows: np.ndarray
    r: np.ndarray
    received: np.ndarray
    im_raised: np.ndarray
    unresolved: np.ndarray
    ex_left: np.ndarray
    cons_left: np.ndarray
    stock_left: np.ndarray | None
    im_open: np.ndarray
    inv_im_open: np.ndarray
    no_imports: np.ndarray
    node_open: np.ndarray | None
    threshold: np.ndarray
    full_received: np.ndarray
    full_im_raised: np.ndarray
    full_unresolved: np.ndarray
    full_ex_left: np.ndarray
    full_cons_left: np.ndarray
    full_stock_left: np.ndarray | None

    @classmethod
    def start(
        cls,
        shock: np.ndarray,
        ex_left: np.ndarray,
        cons_left: np.ndarray,
        stock_left: np.ndarray | None,
        im_open: np.ndarray,
        node_open: np.ndarray | None,
        tolerance: float,
    ) -> _State:
        draws, n = shock.shape
        return cls(
            rows=np.arange(draws),
            r=shock.copy(),
            received=shock.copy(),
            im_raised=np.zeros((draws, n)),
            unresolved=np.zeros((draws, n)),
            ex_left=ex_left,
            cons_left=cons_left,
            stock_left=stock_left,
            im_open=np.asarray(im_open),
            inv_im_open=_divide(np.ones((draws, n)), im_open),
            no_imports=np.asarray(im_open <= 0),
            node_open=node_open,
            threshold=tolerance * shock.sum(axis=1),
            full_received=np.empty((draws, n)),
            full_im_raised=np.empty((draws, n)),
            full_unresolved=np.empty((draws, n)),
            full_ex_left=np.empty((draws, n)),
            full_cons_left=np.empty((draws, n)),
            full_stock_left=None if stock_left is None else np.empty((draws, n)),
        )

    def _write_back(self, keep: np.ndarray) -> None:
        rows = self.rows[keep]
        self.full_received[rows] = self.received[keep]
        self.full_im_raised[rows] = self.im_raised[keep]
        self.full_unresolved[rows] = self.unresolved[keep]
        self.full_ex_left[rows] = self.ex_left[keep]
        self.full_cons_left[rows] = self.cons_left[keep]
        if self.full_stock_left is not None and self.stock_left is not None:
            self.full_stock_left[rows] = self.stock_left[keep]

    def compact(self, active: np.ndarray) -> _State:
        """Write back the finished draws and keep only the ``active`` ones."""
        self._write_back(~active)
        self.rows = self.rows[active]
        for name in ("r", "received", "im_raised", "unresolved", "ex_left", "cons_left"):
            setattr(self, name, getattr(self, name)[active])
        for name in ("im_open", "inv_im_open", "no_imports", "threshold"):
            setattr(self, name, getattr(self, name)[active])
        if self.stock_left is not None:
            self.stock_left = self.stock_left[active]
        if self.node_open is not None:
            self.node_open = self.node_open[active]
        return self

    def finish(self) -> None:
        """Write back every draw still in the working arrays."""
        self._write_back(np.ones(len(self.rows), dtype=bool))


def _round(
    s: _State,
    flows: np.ndarray,
    open_flows: np.ndarray,
    inv_exports: np.ndarray,
    trigger_at: np.ndarray | None,
    absorb_share: float,
) -> None:
    """One round of the cascade on the working arrays, in place."""
    r = s.r
    if s.stock_left is not None:
        releasable = s.stock_left
        if trigger_at is not None:
            releasable = np.where(s.received >= trigger_at * TRIGGER_SLACK, s.stock_left, 0.0)
        take = np.minimum(r, releasable)
        s.stock_left -= take
        r -= take
    absorbed = np.minimum(absorb_share * r, s.cons_left)
    s.cons_left -= absorbed
    r -= absorbed
    # split what is left between export cuts and import raises, in proportion to the two
    to_ex = r * s.ex_left
    to_ex /= np.maximum(s.ex_left + s.im_open, _TINY)

    np.minimum(to_ex, s.ex_left, out=to_ex)
    np.minimum(to_ex, r, out=to_ex)  # r * x / (x + m) can round above r
    r -= to_ex
    rest = np.where(s.no_imports, r, 0.0)
    if rest.any():
        forced = np.minimum(rest, s.cons_left)
        s.cons_left -= forced
        s.unresolved += rest - forced
        r -= rest
    s.ex_left -= to_ex
    s.im_raised += r
    to_ex *= inv_exports
    r *= s.inv_im_open
    raised = r @ open_flows.T
    if s.node_open is not None:
        raised *= s.node_open
    s.r = to_ex @ flows
    s.r += raised
    s.received += s.r
