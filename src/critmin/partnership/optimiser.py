r"""Sourcing optimiser: the import shares that minimise the CVaR of the shortfall plus a cost term.

For one importer and commodity, with suppliers :math:`k = 1..K` and Monte Carlo draws
:math:`d = 1..D` (equally likely), the input is the matrix of **disruption severities**
:math:`f_{dk} \in [0, 1]`: the share of supplier :math:`k`'s deliveries lost in draw :math:`d`
(for example from :func:`critmin.scenarios.disruption.sample`, see :func:`severity_matrix`). An
import portfolio is a vector of shares :math:`w_k \ge 0` of the importer's needs,
:math:`\sum_k w_k = 1`; its **shortfall** in draw :math:`d` is the share of needs lost,

.. math:: L_d(w) = \sum_k f_{dk}\, w_k .

This is a first-order model: a disrupted supplier's lost deliveries are not replaced from others
within the year (no cascade, no re-routing).

Risk
    :math:`\mathrm{CVaR}_\alpha` of the shortfall over the draws, by Rockafellar and Uryasev (2000),
    *Optimization of conditional value-at-risk*, J. Risk 2(3):21-41:

    .. math:: \mathrm{CVaR}_\alpha(w) = \min_t \; t + \frac{1}{(1-\alpha) D} \sum_d \max(0, L_d(w) - t).

    For equally likely draws this is the mean of the worst :math:`m = (1-\alpha) D` shortfalls,
    the last one counted with weight :math:`m - \lfloor m \rfloor` when :math:`m` is fractional
    (:func:`cvar`). The minimising :math:`t` is the :math:`\alpha`-quantile (VaR).
Cost
    :math:`c \cdot w` for a per-supplier cost :math:`c_k` in any unit the caller chooses (price
    premium per unit share of needs, distance, ...), weighted by :math:`\lambda` (CVaR, a share of
    needs, per unit of cost).
The linear programme
    .. math::

        \min_{w, t, u} \; \lambda\, c \cdot w + t + \frac{1}{(1-\alpha) D} \sum_d u_d
        \quad \text{s.t.} \quad u_d \ge L_d(w) - t,\; u_d \ge 0,\; \sum_k w_k = 1,\;
        lo_k \le w_k \le \min(hi_k, cap_k)\; [,\; c \cdot w \le B]

    solved with :func:`scipy.optimize.linprog` (``method="highs"``) in its dual form, which has one
    row per supplier instead of one per draw (:func:`_lp`). :math:`cap_k` is supplier
    :math:`k`'s exportable capacity as a share of the importer's needs. Because shortfalls are
    :math:`\ge 0`, an optimal :math:`t \ge 0` exists (for :math:`t < 0` the objective falls as
    :math:`t` rises), so :math:`t` is bounded below by 0 and the draws with no disruption at all
    (:math:`L_d = 0` for every :math:`w`) are left out of the constraints (their :math:`u_d` is 0)
    while still counting in :math:`D`: the same optimum with fewer rows.
Constraint generation
    Only draws in the tail carry a positive :math:`u_d`. Dropping the constraint
    :math:`u_d \ge L_d(w) - t` of a draw relaxes the LP, so the LP over a subset of the draws (the
    others' :math:`u_d = 0`) is a lower bound; when its solution has :math:`L_d(w) \le t` for every
    draw left out, it is feasible for the full LP and so optimal there. The first LP holds the
    :math:`1.5 (1-\alpha) D + 500` draws with the largest shortfall at a start portfolio; the draws
    it violates are added and the LP solved again until none is (each round adds draws, so this
    ends). The result is the full LP's optimum, found with a fraction of its rows. The start
    portfolio is the optimum of the same problem over every 10th draw (found the same way), so the
    first working set is close to the optimum's tail and one round usually suffices; with too few
    draws for that (fewer than 100 in the thinned tail), the upper bounds, normalised. Measured on
    50 suppliers x 100,000 draws: one LP over 8,000 draws (after two small ones for the start) in
    0.5-1 s, against 11-14 s for the primal LP over 17,000 then 25,000 draws grown from the upper
    bounds and 35-46 s for the primal LP over every draw (``benchmarks/bench_derisk.py``).

Inputs that leave no feasible portfolio are refused before the solver runs, with the constraint
that binds (:class:`SourcingError`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from critmin.errors import CritminError
from critmin.scenarios.disruption import Disruptions, SupplierRisk

TOLERANCE = 1e-9
"""Slack allowed in the feasibility checks (sums of bounds against 1, budget against the cheapest cost)."""
WORKING_SET_TAILS = 1.5
WORKING_SET_EXTRA = 500
"""The first LP holds the ``1.5 (1 - alpha) D + 500`` draws with the largest shortfall at the start."""
THINNING = 10
THINNED_TAIL = 100
"""The start portfolio is the optimum over every 10th draw when that thinned problem's tail holds at least
100 draws (so its shortfalls rank the draws much as the optimum's do), else the upper bounds normalised."""


class SourcingError(CritminError, ValueError):
    """The sourcing problem's inputs are malformed or leave no feasible portfolio."""


@dataclass(frozen=True)
class SourcingResult:
    """The optimal import portfolio and its risk figures (shares of the importer's needs)."""

    suppliers: tuple[str, ...]
    weights: np.ndarray
    """Optimal share of needs bought from each supplier (sums to 1)."""
    cvar: float
    r"""CVaR\ :sub:`alpha` of the shortfall at the optimal weights (computed from them by :func:`cvar`)."""
    var: float
    """VaR: the alpha-quantile of the optimal shortfalls, an optimal ``t`` of the LP."""
    expected: float
    """Mean shortfall over the draws."""
    cost: float
    """``c · w``."""
    objective: float
    """``cost_weight * cost + cvar``."""
    alpha: float
    cost_weight: float
    budget: float | None
    status: int
    """:func:`scipy.optimize.linprog` status (0: optimal)."""
    message: str
    """The solver's message."""
    draws_in_lp: int = 0
    """Draws whose constraints the final LP held (constraint generation leaves out the harmless ones)."""
    rounds: int = 1
    """LPs solved over all the draws (constraint-generation rounds), not counting the thinned start's."""

    def frame(self) -> pd.DataFrame:
        """One row per supplier: ``supplier`` and ``weight``."""
        return pd.DataFrame({"supplier": list(self.suppliers), "weight": self.weights})


@dataclass(frozen=True)
class _Problem:
    severities: np.ndarray
    suppliers: tuple[str, ...]
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    """``min(upper bound, capacity)``."""
    alpha: float


def cvar(losses: np.ndarray, alpha: float = 0.95) -> float:
    r"""CVaR\ :sub:`alpha` of equally likely losses, by sorting (the Rockafellar–Uryasev value).

    The mean of the worst :math:`m = (1-\alpha) N` losses, the :math:`(\lfloor m \rfloor + 1)`-th
    worst weighted by the fractional part of :math:`m`.
    """
    values = np.sort(np.asarray(losses, dtype=float).ravel())[::-1]
    if values.size == 0:
        raise SourcingError("losses: no draws to compute a CVaR from")
    _check_alpha(alpha)
    m = (1.0 - alpha) * values.size
    whole = min(math.floor(m + 1e-12), values.size)
    part = m - whole if whole < values.size else 0.0
    total = values[:whole].sum() + (part * values[whole] if part > 1e-12 else 0.0)
    return float(total / m)


def value_at_risk(losses: np.ndarray, alpha: float = 0.95) -> float:
    """The alpha-quantile of equally likely losses: the smallest ``l`` with ``P(L <= l) >= alpha``."""
    values = np.sort(np.asarray(losses, dtype=float).ravel())
    _check_alpha(alpha)
    return float(values[max(0, math.ceil(alpha * values.size - 1e-9) - 1)])


def severity_matrix(disruptions: Disruptions, risk: SupplierRisk, suppliers: Sequence[str]) -> np.ndarray:
    """Dense ``(draws, suppliers)`` severities of the named suppliers from sampled disruptions.

    ``disruptions`` and ``risk`` come from :func:`critmin.scenarios.disruption.sample` and
    :func:`~critmin.scenarios.disruption.calibrate`; each name must be one of ``risk.codes`` (a
    node that exports in the network).
    """
    position = {code: i for i, code in enumerate(risk.codes)}
    unknown = [code for code in suppliers if code not in position]
    if unknown:
        raise SourcingError(
            f"suppliers: {', '.join(unknown)} export nothing in the network the draws are from"
        )
    column = np.full(len(risk.codes), -1, dtype=np.int64)
    column[[position[code] for code in suppliers]] = np.arange(len(suppliers))
    out = np.zeros((disruptions.size, len(suppliers)))
    keep = column[disruptions.supplier] >= 0
    out[disruptions.draw[keep], column[disruptions.supplier[keep]]] = disruptions.severity[keep]
    return out


def optimise_sourcing(
    severities: np.ndarray | pd.DataFrame,
    cost: Sequence[float] | np.ndarray | None = None,
    *,
    suppliers: Sequence[str] | None = None,
    lower: Sequence[float] | np.ndarray | None = None,
    upper: Sequence[float] | np.ndarray | None = None,
    capacity: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.95,
    cost_weight: float = 0.0,
    budget: float | None = None,
) -> SourcingResult:
    """The import shares minimising ``cost_weight * c·w + CVaR_alpha(shortfall)`` (module docstring).

    Parameters
    ----------
    severities
        ``(draws, suppliers)`` shares of each supplier's deliveries lost in each draw, in [0, 1]; a
        DataFrame's columns name the suppliers.
    cost
        Cost per supplier (per unit share of needs); default zero.
    suppliers
        Supplier names (default: the DataFrame's columns, else ``S0, S1, ...``).
    lower, upper
        Per-supplier bounds on the share (default 0 and 1).
    capacity
        Each supplier's exportable capacity as a share of the importer's needs (default unlimited).
    alpha
        CVaR level in (0, 1).
    cost_weight
        ``lambda`` >= 0, the weight of the cost term.
    budget
        Optional cap on ``c·w``.

    Returns
    -------
    SourcingResult

    Raises
    ------
    SourcingError
        Malformed inputs, or no portfolio satisfies the bounds, capacities and budget (the message
        says which constraint binds), or the solver fails.
    """
    problem = _problem(severities, cost, suppliers, lower, upper, capacity, alpha)
    if not (math.isfinite(cost_weight) and cost_weight >= 0):
        raise SourcingError(f"cost_weight: must be a finite number >= 0, not {cost_weight}")
    if budget is not None:
        _check_budget(problem, budget)
    return _solve(problem, cost_weight, budget)


def efficient_frontier(
    severities: np.ndarray | pd.DataFrame,
    cost: Sequence[float] | np.ndarray,
    *,
    suppliers: Sequence[str] | None = None,
    lower: Sequence[float] | np.ndarray | None = None,
    upper: Sequence[float] | np.ndarray | None = None,
    capacity: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.95,
    budgets: Sequence[float] | None = None,
    points: int = 11,
) -> pd.DataFrame:
    """Risk against cost: the least CVaR for each cost budget ``c·w <= B``, budgets ascending.

    Default budgets: ``points`` evenly spaced from the cheapest feasible portfolio's cost to the
    cost of the least-CVaR portfolio (beyond which CVaR cannot fall). The CVaR is non-increasing as
    the budget grows: every portfolio within a budget is within any larger one, and where the solver
    returns a worse point (by its tolerance) the previous portfolio is kept. Each budget's first
    working set comes from its own thinned problem (:func:`_start`): measured on 50 suppliers x
    20,000 draws, that is twice as fast as starting from the previous budget's optimum, whose tail
    differs more from the next optimum's.

    Returns
    -------
    pandas.DataFrame
        One row per budget: ``budget``, ``cost``, ``cvar``, ``var``, ``expected``, ``status``, and
        ``w_<supplier>`` for each supplier's share.
    """
    problem = _problem(severities, cost, suppliers, lower, upper, capacity, alpha)
    cheapest = _cheapest(problem)
    if budgets is None:
        if points < 1:
            raise SourcingError(f"points: must be at least 1, not {points}")
        riskiest = _solve(problem, 0.0, None).cost
        grid = np.linspace(cheapest, max(cheapest, riskiest), points)
    else:
        grid = np.sort(np.asarray(budgets, dtype=float))
        if grid.size == 0 or not np.isfinite(grid).all():
            raise SourcingError("budgets: give at least one finite budget")
        _check_budget(problem, float(grid[0]))
    rows = []
    best: SourcingResult | None = None
    for value in grid:
        result = _solve(problem, 0.0, float(value))
        if best is not None and result.cvar > best.cvar:
            result = best
        best = result
        row = {
            "budget": float(value),
            "cost": result.cost,
            "cvar": result.cvar,
            "var": result.var,
            "expected": result.expected,
            "status": result.status,
        }
        row.update({f"w_{name}": w for name, w in zip(problem.suppliers, result.weights, strict=True)})
        rows.append(row)
    return pd.DataFrame(rows)


def _check_alpha(alpha: float) -> None:
    if not (0 < alpha < 1):
        raise SourcingError(f"alpha: the CVaR level must be in (0, 1), not {alpha}")


def _vector(name: str, values: object, size: int, default: float, names: tuple[str, ...]) -> np.ndarray:
    if values is None:
        return np.full(size, default)
    array = np.asarray(values, dtype=float)
    if array.ndim == 0:
        return np.full(size, float(array))
    if array.shape != (size,):
        raise SourcingError(f"{name}: {array.size} values for {size} suppliers (the severities' columns)")
    bad = [names[i] for i in np.flatnonzero(np.isnan(array))]
    if bad:
        raise SourcingError(f"{name}: NaN for {', '.join(bad)}")
    return array


def _problem(
    severities: np.ndarray | pd.DataFrame,
    cost: object,
    suppliers: Sequence[str] | None,
    lower: object,
    upper: object,
    capacity: object,
    alpha: float,
) -> _Problem:
    _check_alpha(alpha)
    if isinstance(severities, pd.DataFrame):
        names = tuple(str(c) for c in severities.columns) if suppliers is None else tuple(suppliers)
        matrix = severities.to_numpy(dtype=float)
    else:
        matrix = np.asarray(severities, dtype=float)
        names = tuple(suppliers) if suppliers is not None else ()
    if matrix.ndim != 2 or matrix.shape[0] < 1 or matrix.shape[1] < 1:
        raise SourcingError(
            f"severities: need a (draws, suppliers) matrix with both >= 1, got {matrix.shape}"
        )
    size = matrix.shape[1]
    names = names or tuple(f"S{k}" for k in range(size))
    if len(names) != size:
        raise SourcingError(f"suppliers: {len(names)} names for {size} columns of severities")
    if len(set(names)) != size:
        raise SourcingError("suppliers: the names repeat")
    bad = ~np.isfinite(matrix)
    if bad.any():
        d, k = np.argwhere(bad)[0]
        raise SourcingError(
            f"severities: {int(bad.sum())} entries are NaN or infinite "
            f"(first at draw {d}, supplier {names[k]})"
        )
    out = (matrix < 0) | (matrix > 1)
    if out.any():
        d, k = np.argwhere(out)[0]
        raise SourcingError(
            f"severities: {int(out.sum())} entries outside [0, 1] (first at draw {d}, "
            f"supplier {names[k]}: {matrix[d, k]})"
        )
    costs = _vector("cost", cost, size, 0.0, names)
    if not np.isfinite(costs).all():
        raise SourcingError("cost: must be finite for every supplier")
    lo = _vector("lower", lower, size, 0.0, names)
    hi = _vector("upper", upper, size, 1.0, names)
    cap = _vector("capacity", capacity, size, math.inf, names)
    for name, values in (("lower", lo), ("upper", hi), ("capacity", cap)):
        negative = [names[i] for i in np.flatnonzero(values < 0)]
        if negative:
            raise SourcingError(f"{name}: shares must be >= 0; negative for {', '.join(negative)}")
    if not np.isfinite(lo).all():
        raise SourcingError("lower: must be finite")
    ub = np.minimum(hi, cap)
    clash = np.flatnonzero(lo > ub + TOLERANCE)
    if clash.size:
        k = int(clash[0])
        which = "its capacity" if cap[k] < hi[k] else "its upper bound"
        raise SourcingError(
            f"supplier {names[k]}: lower bound {lo[k]:.4g} exceeds {which} {ub[k]:.4g}"
            + (f" ({len(clash)} suppliers clash)" if len(clash) > 1 else "")
        )
    if lo.sum() > 1 + TOLERANCE:
        order = np.argsort(-lo)
        top = ", ".join(f"{names[k]} ({lo[k]:.3g})" for k in order[:5] if lo[k] > 0)
        raise SourcingError(
            f"lower bounds sum to {lo.sum():.4g} of needs, more than 1: lower the minimum shares of {top}"
        )
    if ub.sum() < 1 - TOLERANCE:
        order = np.argsort(-ub)
        top = ", ".join(
            f"{names[k]} ({'capacity' if cap[k] < hi[k] else 'upper bound'} {ub[k]:.3g})" for k in order[:5]
        )
        raise SourcingError(
            f"capacities and upper bounds allow at most {ub.sum():.4g} of needs: raise the cap of {top}, "
            "or add suppliers"
        )
    return _Problem(matrix, names, costs, lo, np.minimum(ub, 1.0), alpha)


def _cheapest(problem: _Problem) -> float:
    """The least ``c·w`` over the bounds and ``sum w = 1``: the lower bounds, then the cheapest first."""
    weights = problem.lower.copy()
    left = 1.0 - weights.sum()
    for k in np.argsort(problem.cost, kind="stable"):
        take = min(left, problem.upper[k] - weights[k])
        weights[k] += max(0.0, take)
        left -= max(0.0, take)
        if left <= 0:
            break
    return float(problem.cost @ weights)


def _check_budget(problem: _Problem, budget: float) -> None:
    if not math.isfinite(budget):
        raise SourcingError(f"budget: must be finite, not {budget}")
    cheapest = _cheapest(problem)
    if budget < cheapest - TOLERANCE * max(1.0, abs(cheapest)):
        raise SourcingError(
            f"budget: {budget:.6g} is below {cheapest:.6g}, the cost of the cheapest portfolio the bounds "
            "and capacities allow: raise the budget or loosen the bounds of the cheap suppliers"
        )


def _lp(
    problem: _Problem, rows: np.ndarray, cost_weight: float, budget: float | None
) -> tuple[np.ndarray, float, int, str]:
    r"""Solve the LP with the draws ``rows`` only (the others' ``u_d`` held at 0): weights, t, status.

    HiGHS is given the LP's dual, whose solution's multipliers are the weights and ``t``:

    .. math::

        \max_{q, \mu, a, b, \nu} \; \mu + lo \cdot a - hi \cdot b - B \nu \quad \text{s.t.} \quad
        \sum_{d} f_{dk} q_d - \mu - a_k + b_k + \nu c_k = -\lambda c_k \;[w_k],\;
        \sum_d q_d \le 1 \;[t],\; 0 \le q_d \le \tfrac{1}{(1-\alpha) D},\; a, b, \nu \ge 0

    (:math:`q_d` is the multiplier of draw :math:`d`'s row, its weight in the CVaR). It has a row
    per supplier instead of a row per draw, so the simplex works with a basis of :math:`K + 1`
    instead of :math:`|rows|` and solves the tail's few thousand draws an order of magnitude
    faster than the primal; by LP duality its optimum is the primal's.
    """
    f = problem.severities
    draws, size = f.shape
    n = len(rows)
    tail = 1.0 / ((1.0 - problem.alpha) * draws)
    with_budget = budget is not None
    a_eq = sparse.hstack(
        [
            sparse.csc_matrix(f[rows].T),
            sparse.csc_matrix(-np.ones((size, 1))),
            -sparse.identity(size, format="csc"),
            sparse.identity(size, format="csc"),
            sparse.csc_matrix(problem.cost[:, None] if with_budget else np.zeros((size, 0))),
        ],
        format="csc",
    )
    extra = 1 + 2 * size + int(with_budget)
    a_ub = sparse.csr_matrix(np.concatenate([np.ones(n), np.zeros(extra)])[None, :])
    objective = np.concatenate(
        [np.zeros(n), [-1.0], -problem.lower, problem.upper, [budget] if budget is not None else []]
    )
    bounds = np.zeros((n + extra, 2))
    bounds[:, 1] = np.inf
    bounds[:n, 1] = tail
    bounds[n, 0] = -np.inf
    equal = -cost_weight * problem.cost
    result = linprog(objective, A_ub=a_ub, b_ub=[1.0], A_eq=a_eq, b_eq=equal, bounds=bounds, method="highs")
    if result.status != 0 or result.x is None:
        raise SourcingError(f"the LP solver (HiGHS) did not find an optimum: {result.message}")
    weights = np.asarray(result.eqlin.marginals, dtype=float)
    return weights, float(-result.ineqlin.marginals[0]), int(result.status), str(result.message)


def _start(problem: _Problem, cost_weight: float, budget: float | None) -> np.ndarray:
    """A start portfolio near the optimum: the same problem solved over every ``THINNING``-th draw.

    The draws are independent, so a thinned set is a smaller sample of the same distribution and its
    optimum ranks the draws' shortfalls much as the full optimum does; its own start is found the
    same way. Too few draws left in the tail (fewer than ``THINNED_TAIL``): the upper bounds,
    normalised.
    """
    thinned = problem.severities[::THINNING]
    if (1.0 - problem.alpha) * thinned.shape[0] < THINNED_TAIL:
        return problem.upper / problem.upper.sum()
    return _solve(replace(problem, severities=np.ascontiguousarray(thinned)), cost_weight, budget).weights


def _solve(problem: _Problem, cost_weight: float, budget: float | None) -> SourcingResult:
    """The LP by constraint generation over the draws (module docstring), then the figures."""
    f = problem.severities
    draws = f.shape[0]
    candidates = np.flatnonzero(f.any(axis=1))
    tail = (1.0 - problem.alpha) * draws
    first = int(WORKING_SET_TAILS * tail) + WORKING_SET_EXTRA
    if len(candidates) <= first:
        rows = candidates
    else:
        guess = (f @ _start(problem, cost_weight, budget))[candidates]
        rows = np.sort(candidates[np.argpartition(guess, len(guess) - first)[len(guess) - first :]])
    rounds = 0
    while True:
        rounds += 1
        x, t, status, message = _lp(problem, rows, cost_weight, budget)
        violated = np.flatnonzero(f @ x > t + TOLERANCE)
        missing = np.setdiff1d(violated, rows, assume_unique=True)
        if missing.size == 0:
            break
        rows = np.union1d(rows, missing)
    weights = np.clip(x, problem.lower, problem.upper)
    losses = f @ weights
    risk = cvar(losses, problem.alpha)
    spent = float(problem.cost @ weights)
    return SourcingResult(
        suppliers=problem.suppliers,
        weights=weights,
        cvar=risk,
        var=value_at_risk(losses, problem.alpha),
        expected=float(losses.mean()),
        cost=spent,
        objective=cost_weight * spent + risk,
        alpha=problem.alpha,
        cost_weight=cost_weight,
        budget=budget,
        status=status,
        message=message,
        draws_in_lp=len(rows),
        rounds=rounds,
    )
