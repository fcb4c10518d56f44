"""The Monte Carlo's float32 sparse cascade against the float64 engines, within the documented tolerance.

:mod:`critmin.scenarios.fastcascade` promises, per draw, consumption cuts whose absolute differences
from the float64 model, summed over nodes, stay within ``tolerance`` times the draw's initial shock
(a draw may stop one round earlier or later), plus float32 rounding (``ROUNDING`` of the shock).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import critmin
from critmin.scenarios.cascade import propagate
from critmin.scenarios.disruption import DisruptionModel, calibrate, cascade_terms, sample, shocks
from critmin.scenarios.fastcascade import SparseFlows, consumption_cut
from critmin.scenarios.montecarlo import MONTECARLO_CASCADE, networks_for
from critmin.scenarios.network import Network
from critmin.scenarios.reference import propagate_one
from critmin.scenarios.spec import CascadeParameters

ROUNDING = 1e-5
"""Float32 rounding allowance, as a share of the draw's initial shock."""


def within_tolerance(fast: np.ndarray, exact: np.ndarray, shock: np.ndarray, tolerance: float) -> np.ndarray:
    """Per draw: do the cuts differ, summed over nodes, by at most the documented bound?"""
    return np.asarray(np.abs(fast - exact).sum(axis=1) <= (tolerance + ROUNDING) * shock.sum(axis=1) + 1e-12)


@pytest.fixture(scope="module")
def network(bundled: critmin.Critmin) -> Network:
    return networks_for(bundled, ["rare_earths"])[0]


@pytest.fixture(scope="module")
def governance(bundled: critmin.Critmin) -> pd.DataFrame:
    return bundled.governance(indicator="pv")


@pytest.fixture(scope="module")
def drawn(network: Network, governance: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """120 Monte Carlo draws of supplier disruptions on the rare-earth network: (shock, node_open)."""
    risk = calibrate(DisruptionModel(), network.nodes, network.exports, network.year, governance)
    return shocks(sample(risk, 120, seed=4, chunk=0), risk, network.flows)


def test_monte_carlo_draws_match_the_per_draw_reference(network, drawn) -> None:
    shock, node_open = drawn
    params = MONTECARLO_CASCADE
    terms = cascade_terms(network.flows, node_open)
    fast = consumption_cut(SparseFlows.of(network.flows), network.consumption, shock, params, **terms)
    reference = np.array(
        [
            propagate_one(
                network.flows,
                network.consumption,
                shock[d],
                params,
                **cascade_terms(network.flows, node_open[d]),
            ).consumption_cut
            for d in range(len(shock))
        ]
    )
    assert (shock.sum(axis=1) > 0).mean() > 0.9
    assert within_tolerance(fast, reference, shock, params.tolerance).all()
    assert np.median(np.abs(fast - reference).sum(axis=1) / shock.sum(axis=1)) < 1e-5
    assert (fast <= network.consumption).all() and (fast >= 0).all()


def test_monte_carlo_draws_match_the_batched_float64_engine(network, drawn) -> None:
    shock, node_open = drawn
    params = MONTECARLO_CASCADE
    terms = cascade_terms(network.flows, node_open)
    fast = consumption_cut(SparseFlows.of(network.flows), network.consumption, shock, params, **terms)
    exact = propagate(network.flows, network.consumption, shock, params, **terms).consumption_cut
    assert within_tolerance(fast, exact, shock, params.tolerance).all()


def test_a_draw_does_not_depend_on_its_batch(network, drawn) -> None:
    """Bit for bit, so that batch and chunk sizes and the executor never change a number."""
    shock, node_open = drawn
    sparse, params = SparseFlows.of(network.flows), MONTECARLO_CASCADE
    terms = cascade_terms(network.flows, node_open)
    whole = consumption_cut(sparse, network.consumption, shock, params, **terms)
    for rows in (slice(0, 1), slice(7, 8), slice(10, 73), slice(100, 120)):
        part = consumption_cut(
            sparse, network.consumption, shock[rows], params, **cascade_terms(network.flows, node_open[rows])
        )
        assert np.array_equal(part, whole[rows])


Case = tuple[np.ndarray, np.ndarray, np.ndarray, CascadeParameters, dict[str, np.ndarray]]
"""Flows, consumption, shock ``(draws, n)``, parameters and the cascade's keyword arguments."""
AMOUNT = st.one_of(st.just(0.0), st.floats(0.01, 1000.0, allow_nan=False, allow_subnormal=False))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A random network of 2-8 nodes, a few shocked draws, optional stocks and restricting suppliers."""
    n = draw(st.integers(2, 8))
    draws = draw(st.integers(1, 4))
    flows = draw(arrays(np.float64, (n, n), elements=AMOUNT))
    np.fill_diagonal(flows, 0.0)
    consumption = draw(arrays(np.float64, (n,), elements=AMOUNT))
    shock = draw(arrays(np.float64, (draws, n), elements=AMOUNT))
    params = CascadeParameters(
        absorb_share=draw(st.sampled_from([0.1, 0.5, 1.0]) | st.floats(0.05, 1.0)),
        tolerance=draw(st.sampled_from([1e-3, 1e-2, 1e-4])),
        max_rounds=draw(st.sampled_from([1, 3, 400])),
    )
    terms: dict[str, np.ndarray] = {}
    if draw(st.booleans()):
        node_open = draw(arrays(np.float64, (draws, n), elements=st.sampled_from([0.0, 0.5, 1.0])))
        terms = cascade_terms(flows, node_open)
    if draw(st.booleans()):
        extra = draw(arrays(np.float64, (n,), elements=AMOUNT))
        terms["stocks"] = terms.get("stocks", np.zeros((draws, n))) + extra
    return flows, consumption, shock, params, terms


@settings(max_examples=150, deadline=None)
@given(cases())
def test_random_networks_match_the_per_draw_reference(case) -> None:
    flows, consumption, shock, params, terms = case
    fast = consumption_cut(SparseFlows.of(flows), consumption, shock, params, **terms)
    rows = [{k: v if v.ndim == 1 else v[d] for k, v in terms.items()} for d in range(len(shock))]
    one = [propagate_one(flows, consumption, shock[d], params, **row) for d, row in enumerate(rows)]
    reference = np.array([draw.consumption_cut for draw in one])
    assert within_tolerance(fast, reference, shock, params.tolerance).all()
    assert (fast >= 0).all() and (fast <= consumption).all()


def test_zero_shock_cuts_nothing(network) -> None:
    shock = np.zeros((3, network.size))
    cut = consumption_cut(SparseFlows.of(network.flows), network.consumption, shock, MONTECARLO_CASCADE)
    assert np.array_equal(cut, np.zeros_like(shock))
