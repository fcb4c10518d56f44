"""The CVaR sourcing optimiser: a hand-solved case, brute force, the frontier, infeasibility, real draws."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import linprog

import critmin
from critmin.partnership import optimiser
from critmin.partnership.optimiser import (
    SourcingError,
    cvar,
    efficient_frontier,
    optimise_sourcing,
    severity_matrix,
    value_at_risk,
)
from critmin.scenarios.disruption import DisruptionModel, calibrate, sample
from critmin.scenarios.network import build_network

Japan = tuple[list[str], np.ndarray, np.ndarray, np.ndarray]


def primal_lp(
    f: np.ndarray,
    cost: np.ndarray,
    *,
    alpha: float,
    cost_weight: float = 0.0,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
    budget: float | None = None,
) -> tuple[float, np.ndarray]:
    """The Rockafellar–Uryasev LP as written, one row ``u_d >= f_d w - t`` per draw: objective, weights.

    An independent reference for the optimiser, which solves the dual over a working set of draws.
    """
    draws, size = f.shape
    lo = np.zeros(size) if lower is None else lower
    hi = np.ones(size) if upper is None else upper
    objective = np.concatenate([cost_weight * cost, [1.0], np.full(draws, 1.0 / ((1 - alpha) * draws))])
    a_ub = sparse.hstack([sparse.csr_matrix(f), -np.ones((draws, 1)), -sparse.identity(draws)], format="csr")
    b_ub = np.zeros(draws)
    if budget is not None:
        a_ub = sparse.vstack([a_ub, np.concatenate([cost, np.zeros(draws + 1)])[None, :]], format="csr")
        b_ub = np.append(b_ub, budget)
    a_eq = np.concatenate([np.ones(size), np.zeros(draws + 1)])[None, :]
    bounds = [(lo[k], hi[k]) for k in range(size)] + [(None, None)] + [(0.0, None)] * draws
    result = linprog(objective, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs")
    assert result.status == 0, result.message
    return float(result.fun), result.x[:size]


def tail_mean(losses: np.ndarray, worst: int) -> float:
    """CVaR by sorting, when ``(1 - alpha) * draws`` is the whole number ``worst``."""
    return float(np.sort(losses)[::-1][:worst].mean())


# Hand-solved case. Two suppliers A and B, four equally likely draws, alpha = 0.75, so CVaR is the
# single worst draw's shortfall:
#   draw 1: A loses 60% of its deliveries; draw 2: B loses all; draws 3, 4: nothing.
# With a = w_A, b = 1 - a the shortfalls are 0.6a, 1 - a, 0, 0 and CVaR = max(0.6a, 1 - a),
# least where 0.6a = 1 - a: a = 1/1.6 = 0.625, CVaR = 0.375, expected = (0.375 + 0.375)/4 = 0.1875.
# A costs 1, B costs 0; objective lambda*a + max(0.6a, 1 - a):
#   lambda = 0.5: slope -0.5 left of 0.625, +1.1 right of it -> a = 0.625, objective 0.6875;
#   lambda = 2:   slope +1 left, +3.2 right -> a = 0 (all from B), CVaR 1, objective 1.
#   upper bound 0.5 on A (lambda = 0): a = 0.5, CVaR = max(0.3, 0.5) = 0.5.
HAND = np.array([[0.6, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])


def test_hand_solved_case() -> None:
    mid = optimise_sourcing(HAND, [1.0, 0.0], suppliers=["A", "B"], alpha=0.75, cost_weight=0.5)
    assert mid.status == 0
    assert mid.weights == pytest.approx([0.625, 0.375], abs=1e-9)
    assert mid.cvar == pytest.approx(0.375, abs=1e-9)
    assert mid.var == pytest.approx(0.375, abs=1e-9)
    assert mid.expected == pytest.approx(0.1875, abs=1e-9)
    assert mid.objective == pytest.approx(0.6875, abs=1e-9)
    assert list(mid.frame()["supplier"]) == ["A", "B"]

    dear = optimise_sourcing(HAND, [1.0, 0.0], alpha=0.75, cost_weight=2.0)
    assert dear.weights == pytest.approx([0.0, 1.0], abs=1e-9)
    assert dear.cvar == pytest.approx(1.0, abs=1e-9)
    assert dear.objective == pytest.approx(1.0, abs=1e-9)

    capped = optimise_sourcing(HAND, alpha=0.75, upper=[0.5, 1.0])
    assert capped.weights == pytest.approx([0.5, 0.5], abs=1e-9)
    assert capped.cvar == pytest.approx(0.5, abs=1e-9)


def test_cvar_by_sorting_with_a_fractional_tail() -> None:
    losses = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    # m = 0.3 * 5 = 1.5 worst draws: 4 in full and half of 3 -> (4 + 1.5) / 1.5
    assert cvar(losses, 0.7) == pytest.approx(5.5 / 1.5)
    assert cvar(losses, 0.6) == pytest.approx(3.5)
    assert value_at_risk(losses, 0.6) == 2.0


def test_lp_matches_brute_force_over_a_grid() -> None:
    """Three suppliers, 40 draws, alpha 0.9 (the 4 worst draws): the LP against every share on a 0.01 grid.

    The LP optimises over all shares, so it is never worse than the grid's best. The grid holds a
    point within 0.04 in L1 of the LP's (round two shares down to 0.01, the third takes the rest),
    and the objective moves by at most (max f + lambda max |c|) times the L1 distance, so the
    grid's best is at most 0.04 (1 + lambda max |c|) above the LP's.
    """
    rng = np.random.default_rng(3)
    draws, alpha, lam = 40, 0.9, 0.3
    f = np.where(rng.random((draws, 3)) < 0.3, rng.beta(2, 3, (draws, 3)), 0.0)
    cost = np.array([0.2, 1.0, 0.5])
    upper = np.array([0.5, 1.0, 1.0])
    result = optimise_sourcing(f, cost, alpha=alpha, cost_weight=lam, upper=upper)

    grid = np.array(
        [(i, j, 100 - i - j) for i, j in itertools.product(range(101), repeat=2) if i + j <= 100], dtype=float
    )
    grid = grid[grid[:, 0] <= 50] / 100
    losses = grid @ f.T
    worst = round((1 - alpha) * draws)
    risk = np.sort(losses, axis=1)[:, ::-1][:, :worst].mean(axis=1)
    values = lam * grid @ cost + risk
    best = values.min()

    assert result.objective <= best + 1e-9
    assert best - result.objective <= 0.04 * (1 + lam * cost.max())
    assert result.cvar == pytest.approx(tail_mean(f @ result.weights, worst), abs=1e-12)
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-9)
    assert result.weights[0] <= 0.5 + 1e-9


def test_frontier_is_monotone_and_spans_cost() -> None:
    rng = np.random.default_rng(11)
    f = np.where(rng.random((500, 6)) < np.linspace(0.02, 0.25, 6), rng.beta(1.2, 2.8, (500, 6)), 0.0)
    cost = np.array([3.0, 2.5, 2.0, 1.5, 1.0, 0.2])
    frontier = efficient_frontier(f, cost, capacity=np.full(6, 0.4), points=9)

    assert len(frontier) == 9
    assert (np.diff(frontier["cvar"]) <= 0).all()
    assert (frontier["cost"] <= frontier["budget"] + 1e-7).all()
    assert frontier["cvar"].iloc[0] > frontier["cvar"].iloc[-1]
    least = optimise_sourcing(f, cost, capacity=np.full(6, 0.4))
    assert frontier["cvar"].iloc[-1] == pytest.approx(least.cvar, abs=1e-7)
    shares = frontier[[f"w_S{k}" for k in range(6)]].to_numpy()
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert (shares <= 0.4 + 1e-9).all()
    # the cheapest end: capacity 0.4 on the two cheapest, 0.2 on the third
    assert frontier["cost"].iloc[0] == pytest.approx(0.4 * 0.2 + 0.4 * 1.0 + 0.2 * 1.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"upper": [0.5, 1.0, 0.2], "capacity": [1.0, 0.12, 1.0]},
            r"capacities and upper bounds allow at most 0\.82 of needs: raise the cap of "
            r"S0 \(upper bound 0\.5\), S2 \(upper bound 0\.2\), S1 \(capacity 0\.12\)",
        ),
        (
            {"lower": [0.5, 0.4, 0.3]},
            r"lower bounds sum to 1\.2 of needs.*S0 \(0\.5\), S1 \(0\.4\), S2 \(0\.3\)",
        ),
        (
            {"lower": [0.0, 0.3, 0.0], "capacity": [1.0, 0.2, 1.0]},
            r"supplier S1: lower bound 0\.3 exceeds its capacity 0\.2",
        ),
        (
            {"lower": [0.0, 0.3, 0.0], "upper": [1.0, 0.25, 1.0]},
            r"supplier S1: lower bound 0\.3 exceeds its upper bound",
        ),
        ({"cost": [1.0, 2.0]}, r"cost: 2 values for 3 suppliers"),
        ({"suppliers": ["A", "B"]}, r"suppliers: 2 names for 3 columns"),
        ({"alpha": 1.0}, r"alpha: the CVaR level must be in \(0, 1\)"),
        ({"cost_weight": -1.0}, r"cost_weight: must be a finite number >= 0"),
        (
            {"cost": [1.0, 2.0, 3.0], "budget": 0.5},
            r"budget: 0\.5 is below 1, the cost of the cheapest portfolio",
        ),
    ],
)
def test_infeasible_inputs_name_the_binding_constraint(kwargs: dict[str, Any], message: str) -> None:
    f = np.full((10, 3), 0.1)
    with pytest.raises(SourcingError, match=message):
        optimise_sourcing(f, **kwargs)


def test_bad_severities_are_named() -> None:
    f = np.full((10, 3), 0.1)
    f[4, 2] = np.nan
    with pytest.raises(
        SourcingError, match=r"1 entries are NaN or infinite \(first at draw 4, supplier S2\)"
    ):
        optimise_sourcing(f)
    f[4, 2] = 1.5
    with pytest.raises(SourcingError, match=r"outside \[0, 1\]"):
        optimise_sourcing(f)
    with pytest.raises(SourcingError, match=r"severities: need a \(draws, suppliers\) matrix"):
        optimise_sourcing(np.zeros(5))


@pytest.fixture(scope="module")
def japan(bundled: critmin.Critmin) -> Japan:
    """Draws of JPN's rare-earth suppliers (refinery stage, 2024) under the default disruption model."""
    net = build_network(bundled, 2024, commodity="rare_earths")
    j = net.index("JPN")
    supplied = np.flatnonzero(net.flows[:, j] > 0)
    suppliers = [net.nodes[i] for i in supplied]
    shares = net.flows[supplied, j] / net.flows[supplied, j].sum()
    capacity = net.exports[supplied] / net.imports[j]
    risk = calibrate(DisruptionModel(), net.nodes, net.exports, net.year, bundled.governance(indicator="pv"))
    f = severity_matrix(sample(risk, 20_000, 0, 0), risk, suppliers)
    return suppliers, shares, capacity, f


def test_optimised_portfolio_beats_japans_current_shares(japan: Japan) -> None:
    suppliers, shares, capacity, f = japan
    assert len(suppliers) >= 5 and (shares <= capacity + 1e-12).all()  # the current shares are feasible
    result = optimise_sourcing(f, suppliers=suppliers, capacity=capacity)
    current = cvar(f @ shares, 0.95)
    assert result.status == 0
    assert result.cvar <= current + 1e-9
    assert result.cvar == pytest.approx(tail_mean(f @ result.weights, 1000), abs=1e-12)
    assert (result.weights <= capacity + 1e-9).all()
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-9)


def test_severity_matrix_names_unknown_suppliers(bundled: critmin.Critmin) -> None:
    net = build_network(bundled, 2024, commodity="rare_earths")
    risk = calibrate(DisruptionModel(), net.nodes, net.exports, net.year, bundled.governance(indicator="pv"))
    with pytest.raises(SourcingError, match="suppliers: XXX export nothing"):
        severity_matrix(sample(risk, 10, 0, 0), risk, ["XXX"])


def test_constraint_generation_finds_the_full_lps_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    """The LP over a working set of draws, grown until no draw left out is violated, equals the full LP."""
    rng = np.random.default_rng(5)
    f = np.where(rng.random((6000, 8)) < np.linspace(0.02, 0.3, 8), rng.beta(1.2, 2.8, (6000, 8)), 0.0)
    cost = np.linspace(1.0, 0.1, 8)
    partial = optimise_sourcing(f, cost, cost_weight=0.05, capacity=np.full(8, 0.3))
    assert partial.draws_in_lp < np.count_nonzero(f.any(axis=1))
    monkeypatch.setattr(optimiser, "WORKING_SET_EXTRA", 10**9)
    full = optimise_sourcing(f, cost, cost_weight=0.05, capacity=np.full(8, 0.3))
    assert full.draws_in_lp == np.count_nonzero(f.any(axis=1)) and full.rounds == 1
    assert partial.objective == pytest.approx(full.objective, abs=1e-9)
    assert partial.cvar == pytest.approx(tail_mean(f @ partial.weights, 300), abs=1e-12)


def random_problem(seed: int, draws: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Severities (per-supplier disruption chances 2-30 %, Beta(1.2, 2.8) severities), costs, capacities."""
    rng = np.random.default_rng(seed)
    chance = rng.uniform(0.02, 0.3, size)
    f = np.where(rng.random((draws, size)) < chance, rng.beta(1.2, 2.8, (draws, size)), 0.0)
    capacity = rng.uniform(1.5, 3.0, size) / size
    return f, rng.uniform(-0.2, 0.3, size), capacity


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_thinned_start_and_dual_lp_give_the_primal_lps_optimum(seed: int) -> None:
    """20,000 draws: the start from every 10th draw is used, and one small working set suffices."""
    f, cost, capacity = random_problem(seed, 20_000, 12)
    assert (1 - 0.95) * f[:: optimiser.THINNING].shape[0] >= optimiser.THINNED_TAIL
    result = optimise_sourcing(f, cost, capacity=capacity, cost_weight=0.1)
    objective, weights = primal_lp(f, cost, alpha=0.95, cost_weight=0.1, upper=np.minimum(capacity, 1.0))
    assert result.draws_in_lp < np.count_nonzero(f.any(axis=1)) // 4
    assert result.objective == pytest.approx(objective, rel=1e-9, abs=1e-12)
    assert result.weights == pytest.approx(weights, abs=1e-6)
    assert result.cvar == pytest.approx(tail_mean(f @ result.weights, 1000), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    draws=st.integers(20, 600),
    size=st.integers(2, 7),
    alpha=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
    cost_weight=st.sampled_from([0.0, 0.05, 0.5]),
    budgeted=st.booleans(),
    floor=st.booleans(),
)
def test_optimiser_equals_the_primal_lp_on_random_problems(
    seed: int, draws: int, size: int, alpha: float, cost_weight: float, budgeted: bool, floor: bool
) -> None:
    """Small working sets and the thinned start forced on (lowered thresholds): the primal LP's optimum."""
    f, cost, capacity = random_problem(seed, draws, size)
    upper = np.minimum(capacity, 1.0)
    lower = np.where(np.arange(size) == 0, 0.1, 0.0) if floor else np.zeros(size)
    budget = None
    if budgeted:  # halfway between the cheapest and the dearest portfolio the bounds allow
        box = list(zip(lower, upper, strict=True))
        ends = [linprog(sign * cost, A_eq=np.ones((1, size)), b_eq=[1.0], bounds=box) for sign in (1.0, -1.0)]
        budget = float(0.5 * (ends[0].fun - ends[1].fun))
    kwargs: dict[str, Any] = {"alpha": alpha, "cost_weight": cost_weight, "lower": lower, "upper": upper}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(optimiser, "WORKING_SET_EXTRA", 5)
        patch.setattr(optimiser, "THINNING", 3)
        patch.setattr(optimiser, "THINNED_TAIL", 2)
        result = optimise_sourcing(f, cost, budget=budget, **kwargs)
    objective, _ = primal_lp(f, cost, budget=budget, **kwargs)
    assert result.objective == pytest.approx(objective, rel=1e-7, abs=1e-9)
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-9)
    assert (result.weights >= lower - 1e-9).all() and (result.weights <= upper + 1e-9).all()
    if budget is not None:
        assert result.cost <= budget + 1e-7


def test_frontier_equals_the_primal_lp_at_each_budget() -> None:
    f, cost, capacity = random_problem(7, 3000, 6)
    upper = np.minimum(capacity, 1.0)
    frontier = efficient_frontier(f, cost, upper=upper, alpha=0.9, points=5)
    assert (np.diff(frontier["cvar"]) <= 0).all()
    for budget, risk in zip(frontier["budget"], frontier["cvar"], strict=True):
        assert risk == pytest.approx(primal_lp(f, cost, alpha=0.9, upper=upper, budget=budget)[0], rel=1e-7)
