"""The Monte Carlo of supplier disruptions on the real rare-earth network (bundled data)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import critmin
from critmin.scenarios.disruption import DisruptionModel, calibrate, cascade_terms, sample, shocks
from critmin.scenarios.distributed import InProcess
from critmin.scenarios.montecarlo import Job, networks_for, run_montecarlo, simulate_chunk
from critmin.scenarios.network import Network
from critmin.scenarios.reference import propagate_one
from critmin.scenarios.spec import CascadeParameters, ScenarioError

COUNTRIES = ["JPN", "USA", "DEU", "KOR", "CHN"]


@pytest.fixture(scope="module")
def network(bundled: critmin.Critmin) -> Network:
    return networks_for(bundled, ["rare_earths"])[0]


@pytest.fixture(scope="module")
def governance(bundled: critmin.Critmin) -> pd.DataFrame:
    return bundled.governance(indicator="pv")


@pytest.fixture(scope="module")
def base(network: Network, governance: pd.DataFrame):
    return run_montecarlo(network, COUNTRIES, n=4000, seed=7, governance=governance, chunk_size=1000)


def test_same_seed_same_numbers_other_seed_other_numbers(network, governance, base) -> None:
    again = run_montecarlo(network, COUNTRIES, n=4000, seed=7, governance=governance, chunk_size=1000)
    other = run_montecarlo(network, COUNTRIES, n=4000, seed=8, governance=governance, chunk_size=1000)
    label = next(iter(base.losses))
    assert np.array_equal(base.losses[label], again.losses[label])
    pd.testing.assert_frame_equal(base.summary, again.summary)
    pd.testing.assert_frame_equal(base.contributions, again.contributions)
    assert not np.array_equal(base.losses[label], other.losses[label])
    assert base.losses[label].shape == (4000, len(COUNTRIES))
    assert (base.losses[label] > 0).any()


class _Backwards(InProcess):
    """Runs the chunks last first (as a cluster may), returning them in task order."""

    def map(self, fn, shared, tasks, *, weights=None, progress=None):
        done = {i: fn(shared[task[0]], *task[1:]) for i, task in reversed(list(enumerate(tasks)))}
        return [done[i] for i in range(len(tasks))]


def test_numbers_do_not_depend_on_the_order_chunks_run(network, governance, base) -> None:
    backwards = run_montecarlo(
        network, COUNTRIES, n=4000, seed=7, governance=governance, chunk_size=1000, executor=_Backwards()
    )
    pd.testing.assert_frame_equal(base.summary, backwards.summary)


def test_batch_size_does_not_change_a_number(network, governance) -> None:
    runs = [
        run_montecarlo(network, COUNTRIES, n=1500, seed=3, governance=governance, chunk_size=70, batch_size=b)
        for b in (37, 500)
    ]
    label = next(iter(runs[0].losses))
    assert np.array_equal(runs[0].losses[label], runs[1].losses[label])
    pd.testing.assert_frame_equal(runs[0].contributions, runs[1].contributions)


def test_chunk_seed_is_the_spawned_seed_sequence(network, governance) -> None:
    risk = calibrate(DisruptionModel(), network.nodes, network.exports, network.year, governance)
    chunk = sample(risk, 50, seed=3, chunk=2)
    rng = np.random.default_rng(np.random.SeedSequence(3).spawn(4)[2])
    rng.standard_normal(50)
    latent = rng.standard_normal((50, len(risk.nodes)))
    draw, supplier = np.nonzero(latent < risk.threshold)
    assert np.array_equal(chunk.draw, draw) and np.array_equal(chunk.supplier, supplier)


def test_zero_probability_gives_zero_loss(network, governance) -> None:
    result = run_montecarlo(network, COUNTRIES, n=500, seed=1, model=DisruptionModel(probability=0.0))
    assert (result.summary[["expected_loss_t", "p95_t", "cvar95_t"]] == 0).all().all()
    assert result.contributions.empty
    assert all((loss == 0).all() for loss in result.losses.values())


def test_contributions_sum_to_cvar95(base) -> None:
    summed = base.contributions.groupby("country")["contribution_t"].sum()
    cvar = base.summary.set_index("country")["cvar95_t"]
    assert (cvar > 0).all()
    assert np.allclose(summed.reindex(cvar.index).fillna(0.0), cvar, rtol=1e-9)
    assert (base.contributions["contribution_t"] > 0).all()


def test_risk_figures_are_ordered_and_match_the_draws(base) -> None:
    s = base.summary.set_index("country")
    assert (s["cvar95_t"] >= s["p95_t"]).all()
    assert (s["cvar95_t"] >= s["expected_loss_t"]).all()
    loss = next(iter(base.losses.values()))
    jpn = loss[:, COUNTRIES.index("JPN")]
    worst = np.sort(jpn)[-math.ceil(0.05 * len(jpn)) :]
    assert s.loc["JPN", "cvar95_t"] == pytest.approx(worst.mean())
    assert s.loc["JPN", "expected_share"] == pytest.approx(jpn.mean() / s.loc["JPN", "consumption_t"])
    above = (jpn > 0.10 * s.loc["JPN", "consumption_t"]).mean()
    assert s.loc["JPN", "p_loss_above_10pct"] == pytest.approx(above)


def test_rows_carry_provenance_and_parameters(base, network) -> None:
    row = base.summary.iloc[0]
    assert network.provenance.split("; ")[0] in row["provenance"]
    assert "wgi" in row["provenance"]
    assert (row["draws"], row["seed"], row["tolerance"]) == (4000, 7, 1e-3)
    assert base.contributions["provenance"].str.contains("wgi").all()


def test_probability_follows_political_stability(network, governance) -> None:
    risk = calibrate(DisruptionModel(), network.nodes, network.exports, network.year, governance).frame()
    scored = risk[risk["basis"].str.startswith("wgi pv")].sort_values("pv")
    assert scored["probability"].is_monotonic_decreasing
    assert ((scored["probability"] > 0.01) & (scored["probability"] < 0.20)).all()
    latest = governance[governance["year"] <= network.year].dropna(subset=["estimate"])
    latest = latest.sort_values("year").drop_duplicates("country", keep="last").set_index("country")
    row = scored.iloc[0]
    pv = latest.loc[row["supplier"], "estimate"]
    assert row["probability"] == pytest.approx(0.01 + 0.19 * 0.5 * math.erfc(pv / math.sqrt(2)))
    unscored = risk[risk["basis"].str.startswith("wgi median")]
    assert len(unscored) and unscored["pv"].isna().all()
    median = 0.01 + 0.19 * 0.5 * math.erfc(latest["estimate"].median() / math.sqrt(2))
    assert np.allclose(unscored["probability"], median)


def test_raising_a_suppliers_probability_raises_its_contribution(network, governance, base) -> None:
    raised = run_montecarlo(
        network,
        COUNTRIES,
        n=4000,
        seed=7,
        governance=governance,
        chunk_size=1000,
        model=DisruptionModel(probabilities={"MYS": 0.9}),
    )

    def mys(result) -> float:
        c = result.contributions
        return float(c.loc[(c["country"] == "JPN") & (c["supplier"] == "MYS"), "contribution_t"].sum())

    assert mys(raised) > 2 * mys(base) > 0
    assert raised.suppliers.set_index("supplier").loc["MYS", "basis"] == "override"


def test_batched_engine_matches_a_per_draw_loop_within_tolerance(network, governance) -> None:
    params = CascadeParameters(tolerance=1e-3)
    risk = calibrate(DisruptionModel(), network.nodes, network.exports, network.year, governance)
    asked = np.array([network.index(c) for c in COUNTRIES])
    job = Job(network.flows, network.consumption, risk, asked, params, seed=11, batch_size=64)
    batched = simulate_chunk(job, chunk=0, size=200)
    shock, node_open = shocks(sample(risk, 200, seed=11, chunk=0), risk, network.flows)
    assert (shock.sum(axis=1) > 0).mean() > 0.9
    looped = np.array(
        [
            propagate_one(
                network.flows,
                network.consumption,
                shock[d],
                params,
                **cascade_terms(network.flows, node_open[d]),
            ).consumption_cut
            for d in range(200)
        ]
    )[:, asked]
    # the float32 engine: within the tolerance of each draw's initial shock (tests/test_fastcascade.py)
    assert (np.abs(batched - looped).sum(axis=1) <= (params.tolerance + 1e-5) * shock.sum(axis=1)).all()


def test_correlation_keeps_marginals_and_fattens_the_tail(network, governance) -> None:
    independent = calibrate(DisruptionModel(), network.nodes, network.exports, network.year, governance)
    correlated = calibrate(DisruptionModel(rho=0.6), network.nodes, network.exports, network.year, governance)
    size = 20_000
    hits = {}
    for name, risk in (("independent", independent), ("correlated", correlated)):
        drawn = sample(risk, size, seed=5, chunk=0)
        hits[name] = (
            np.bincount(drawn.supplier, minlength=len(risk.nodes)) / size,
            np.bincount(drawn.draw, minlength=size),
        )
    p = independent.probability
    for frequency, _ in hits.values():
        # each supplier keeps its probability (within 5 standard errors)
        assert (np.abs(frequency - p) < 5 * np.sqrt(p * (1 - p) / size) + 1e-9).all()
    count_0, count_1 = hits["independent"][1], hits["correlated"][1]
    assert count_1.var() > 2 * count_0.var()
    assert np.quantile(count_1, 0.99) > np.quantile(count_0, 0.99)
    runs = {
        rho: run_montecarlo(
            network, ["JPN"], n=4000, seed=5, governance=governance, model=DisruptionModel(rho=rho)
        ).summary.iloc[0]
        for rho in (0.0, 0.6)
    }
    assert runs[0.6]["cvar95_t"] > runs[0.0]["cvar95_t"]


def test_country_outside_the_network_gets_a_zero_row(network) -> None:
    result = run_montecarlo(network, ["JPN", "TUV"], n=200, seed=1, model=DisruptionModel(probability=0.1))
    tuv = result.summary.set_index("country").loc["TUV"]
    assert tuv["expected_loss_t"] == 0 and "not in the network" in tuv["note"]
    assert result.suppliers["basis"].eq("override").all() and result.suppliers["provenance"].eq("").all()


def test_bad_input_names_the_field(network, governance) -> None:
    with pytest.raises(ValidationError, match="severity_means"):
        DisruptionModel(severity_means={"CHN": 1.5})
    with pytest.raises(ValidationError, match="probabilities"):
        DisruptionModel(probabilities={"china": 0.5})
    with pytest.raises(ValidationError, match="p_min"):
        DisruptionModel(p_min=0.5, p_max=0.1)
    with pytest.raises(ScenarioError, match="probabilities/severity_means: TUV"):
        run_montecarlo(
            network, ["JPN"], n=10, governance=governance, model=DisruptionModel(probabilities={"TUV": 1})
        )
    with pytest.raises(ScenarioError, match="n must be"):
        run_montecarlo(network, ["JPN"], n=0, governance=governance)
    with pytest.raises(ScenarioError, match="governance"):
        run_montecarlo(network, ["JPN"], n=10)


def test_store_route_builds_each_stage_and_reports_progress(bundled: critmin.Critmin) -> None:
    seen: list[tuple[int, int]] = []
    result = run_montecarlo(
        bundled,
        ["JPN"],
        ["tungsten"],
        n=300,
        seed=2,
        chunk_size=100,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen == [(d, 600) for d in range(100, 700, 100)]
    assert result.summary["stage"].tolist() == ["mine", "refinery"]
    latest = bundled.trade(commodity="tungsten")["year"].max()
    assert result.summary["year"].tolist() == [latest, latest]
    with pytest.raises(ScenarioError, match="commodities: no HS92 codes map to gallium"):
        run_montecarlo(bundled, ["JPN"], ["gallium"], n=10)
