"""Chokepoint closures as a disruption source of the Monte Carlo, on the real aluminium network."""

from __future__ import annotations

import dataclasses
import statistics

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import critmin
from critmin.scenarios.disruption import DisruptionModel, calibrate, cascade_terms, sample, shocks
from critmin.scenarios.lanes import calibrate_lanes, closure_alone, closure_shocks, sample_closures
from critmin.scenarios.montecarlo import Job, closure_response, networks_for, run_montecarlo, simulate_chunk
from critmin.scenarios.network import Network
from critmin.scenarios.reference import propagate_one
from critmin.scenarios.spec import CascadeParameters, ScenarioError
from critmin.sealanes.reference import RECORD_YEARS, ZERO_EPISODES, chokepoints, closure_rates, closure_record
from critmin.sealanes.routes import closure_effect

COUNTRIES = ["IND", "JPN", "NLD", "TUR"]
RUN = {"n": 3000, "seed": 5, "chunk_size": 1000}
NONE = {c.id: 0.0 for c in chokepoints()}


@pytest.fixture(scope="module")
def network(bundled: critmin.Critmin) -> Network:
    return networks_for(bundled, ["aluminum"], stage="smelter")[0]


@pytest.fixture(scope="module")
def governance(bundled: critmin.Critmin) -> pd.DataFrame:
    return bundled.governance(indicator="pv")


def test_default_rates_follow_the_record() -> None:
    record = closure_record()
    years = RECORD_YEARS[1] - RECORD_YEARS[0] + 1
    rates = closure_rates()
    assert set(rates) == {c.id for c in chokepoints()}
    for cid, rate in rates.items():
        own = [e for e in record if e.chokepoint == cid]
        assert rate.episodes == len(own)
        assert rate.probability == pytest.approx(max(len(own), ZERO_EPISODES) / years)
        pool = own or list(record)
        assert rate.duration_days == int(statistics.median(e.days for e in pool))
        assert rate.fraction == statistics.median(e.fraction for e in pool)
        assert 1 <= rate.duration_days <= 365 and 0 < rate.fraction <= 1
    assert rates["suez"].episodes == 3 and rates["suez"].probability > rates["hormuz"].probability
    assert all(e.source and e.url.startswith("https://") for e in record)


def test_closures_at_zero_probability_leave_the_supplier_draws_unchanged(network, governance) -> None:
    base = run_montecarlo(network, COUNTRIES, governance=governance, **RUN)
    zero = DisruptionModel(chokepoints=True, chokepoint_probabilities=NONE)
    same = run_montecarlo(network, COUNTRIES, governance=governance, model=zero, **RUN)
    label = next(iter(base.losses))
    assert np.array_equal(base.losses[label], same.losses[label])
    assert set(same.chokepoints["chokepoint"]) >= {"hormuz", "suez", "malacca"}
    assert base.chokepoints.empty


def test_a_certain_closure_alone_costs_its_cascade_in_every_draw(network) -> None:
    model = DisruptionModel(probability=0.0, chokepoint_probabilities={"hormuz": 1.0})
    result = run_montecarlo(network, COUNTRIES, model=model, **RUN)
    loss = next(iter(result.losses.values()))
    lanes = calibrate_lanes(model, network)
    assert lanes is not None and lanes.ids == ("hormuz",)
    asked = np.array([network.index(c) for c in COUNTRIES])
    risk = calibrate(model, network.nodes, network.exports, network.year, None)
    job = Job(network.flows, network.consumption, risk, asked, CascadeParameters(tolerance=1e-3), 5, 250)
    expected = closure_response(dataclasses.replace(job, lanes=lanes))[0]
    assert np.allclose(loss, expected[None, :], rtol=1e-12, atol=1e-9)
    assert loss[0, COUNTRIES.index("NLD")] > 0
    contributions = result.contributions
    assert set(contributions["supplier"]) == {"hormuz"}
    assert set(contributions["kind"]) == {"chokepoint"}
    by_country = contributions.groupby("country")["contribution_t"].sum()
    cvar = result.summary.set_index("country")["cvar95_t"]
    assert np.allclose(by_country, cvar[by_country.index], rtol=1e-9)


def test_contributions_of_suppliers_and_chokepoints_sum_to_cvar95(network, governance) -> None:
    model = DisruptionModel(chokepoints=True, chokepoint_probabilities={"hormuz": 0.1, "suez": 0.2})
    result = run_montecarlo(network, COUNTRIES, governance=governance, model=model, **RUN)
    summed = result.contributions.groupby("country")["contribution_t"].sum()
    cvar = result.summary.set_index("country")["cvar95_t"]
    assert np.allclose(summed, cvar[summed.index], rtol=1e-9)
    kinds = result.contributions.groupby("kind")["contribution_t"].sum()
    assert kinds["chokepoint"] > 0 and kinds["supplier"] > 0
    hormuz = result.chokepoints.set_index("chokepoint").loc["hormuz"]
    assert hormuz["basis"] == "override" and hormuz["probability"] == 0.1
    assert "closure rates" in result.summary["provenance"].iloc[0]


def test_tonnes_at_stake_are_the_passing_flows_lost_or_late(network) -> None:
    lanes = calibrate_lanes(DisruptionModel(chokepoint_probabilities={"hormuz": 0.5}), network)
    assert lanes is not None
    rate = closure_rates()["hormuz"]
    exporters, importers = np.nonzero(network.flows)
    pairs = [(network.nodes[e], network.nodes[j]) for e, j in zip(exporters, importers, strict=True)]
    effect = closure_effect(pairs, ["hormuz"])
    effect = effect[effect["passes"]]
    flow = np.array(
        [
            network.flows[network.index(e), network.index(j)]
            for e, j in zip(effect.exporter, effect.importer, strict=True)
        ]
    )
    days = np.where(
        effect["rerouted"], np.minimum(effect["extra_days"].fillna(0), rate.duration_days), rate.duration_days
    )
    assert lanes.tonnes[0] == pytest.approx(float((rate.fraction * flow * days / 365).sum()), rel=1e-12)
    assert lanes.flows_passing[0] == len(effect)
    assert lanes.flows_stopped[0] == int((~effect["rerouted"]).sum()) > 0


def test_a_chokepoint_no_flow_passes_changes_nothing(network) -> None:
    exporters, importers = np.nonzero(network.flows)
    pairs = [(network.nodes[e], network.nodes[j]) for e, j in zip(exporters, importers, strict=True)]
    effect = closure_effect(pairs, ["panama"])
    flows = network.flows.copy()
    for e, j in zip(
        effect.loc[effect["passes"], "exporter"], effect.loc[effect["passes"], "importer"], strict=True
    ):
        flows[network.index(e), network.index(j)] = 0.0
    without = dataclasses.replace(network, flows=flows, _index={})
    lanes = calibrate_lanes(DisruptionModel(chokepoints=True), without)
    assert lanes is not None and "panama" not in lanes.ids and "hormuz" in lanes.ids
    with pytest.raises(ScenarioError, match="no flow of the networks passes panama"):
        run_montecarlo(
            without,
            COUNTRIES,
            model=DisruptionModel(probability=0.0, chokepoint_probabilities={"panama": 1.0}),
            **RUN,
        )


def test_batched_closures_match_a_per_draw_loop_within_tolerance(network, governance) -> None:
    params = CascadeParameters(tolerance=1e-3)
    model = DisruptionModel(chokepoint_probabilities={"hormuz": 0.4, "suez": 0.4, "malacca": 0.4})
    risk = calibrate(model, network.nodes, network.exports, network.year, governance)
    lanes = calibrate_lanes(model, network)
    asked = np.array([network.index(c) for c in COUNTRIES])
    job = Job(network.flows, network.consumption, risk, asked, params, seed=3, batch_size=32, lanes=lanes)
    batched = simulate_chunk(job, chunk=0, size=120)
    shock, node_open = shocks(sample(risk, 120, seed=3, chunk=0), risk, network.flows)
    closed = sample_closures(lanes, 120, seed=3, chunk=0)
    assert (closed.sum(axis=1) > 1).any() and (closed.sum(axis=1) == 1).any()
    rows = [
        closure_shocks(lanes, closed[d : d + 1], network.flows, shock[d : d + 1], node_open[d : d + 1])
        for d in range(120)
    ]
    looped = np.array(
        [
            propagate_one(
                network.flows, network.consumption, s[0], params, **cascade_terms(network.flows, o[0])
            ).consumption_cut
            for s, o in rows
        ]
    )[:, asked]
    shocked = np.array([s[0].sum() for s, _ in rows])
    # the float32 engine: within the tolerance of each draw's initial shock (tests/test_fastcascade.py)
    assert (np.abs(batched - looped).sum(axis=1) <= (params.tolerance + 1e-5) * shocked).all()


def test_two_closures_cost_at_least_the_larger_and_at_most_the_sum(network) -> None:
    lanes = calibrate_lanes(
        DisruptionModel(chokepoint_probabilities={"suez": 0.1, "bab_el_mandeb": 0.1}), network
    )
    assert lanes is not None
    alone, _ = closure_alone(lanes, network.flows)
    n = network.size
    both, _ = closure_shocks(
        lanes, np.ones((1, 2), dtype=bool), network.flows, np.zeros((1, n)), np.ones((1, n))
    )
    assert (both[0] >= alone.max(axis=0) - 1e-9).all()
    assert (both[0] <= alone.sum(axis=0) + 1e-9).all()
    assert both[0].sum() < alone.sum()


def test_bad_chokepoint_overrides_name_the_field() -> None:
    with pytest.raises(ValidationError, match="unknown chokepoint 'hormoz'"):
        DisruptionModel(chokepoint_probabilities={"hormoz": 0.1})
    with pytest.raises(ValidationError, match=r"hormuz: 1.5 must be in \[0, 1\]"):
        DisruptionModel(chokepoint_probabilities={"hormuz": 1.5})
    with pytest.raises(ValidationError, match=r"suez: 0 must be in 1\.\.365 days"):
        DisruptionModel(chokepoint_days={"suez": 0})
