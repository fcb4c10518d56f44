"""The Monte Carlo on a real Dask cluster gives the same numbers as in-process for the same seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import critmin
from critmin.scenarios.disruption import DisruptionModel
from critmin.scenarios.distributed import DaskExecutor, InProcess, get_executor
from critmin.scenarios.montecarlo import networks_for, run_montecarlo

COUNTRIES = ["JPN", "USA", "DEU"]
RUN = {"n": 2000, "seed": 21, "chunk_size": 500}


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    ) as running:
        yield running


@pytest.fixture(scope="module")
def inputs(bundled: critmin.Critmin):
    networks = networks_for(bundled, ["rare_earths", "cobalt"])
    return networks, bundled.governance(indicator="pv")


@pytest.fixture(scope="module")
def local(inputs):
    networks, governance = inputs
    return run_montecarlo(networks, COUNTRIES, governance=governance, executor=InProcess(), **RUN)


def _same(a, b) -> None:
    assert a.losses.keys() == b.losses.keys()
    for label in a.losses:
        assert np.array_equal(a.losses[label], b.losses[label])
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.contributions, b.contributions)


def test_scheduler_address_gives_the_in_process_numbers(cluster, inputs, local) -> None:
    networks, governance = inputs
    seen: list[int] = []
    executor = DaskExecutor(cluster.scheduler_address)
    remote = run_montecarlo(
        networks,
        COUNTRIES,
        governance=governance,
        executor=executor,
        progress=lambda done, total: seen.append(done),
        **RUN,
    )
    assert remote.executor.startswith("dask tcp://127.0.0.1")
    assert local.executor == "in-process"
    _same(local, remote)
    assert seen[-1] == 2 * RUN["n"] and len(seen) == 2 * RUN["n"] // RUN["chunk_size"]
    assert executor.workers_used == set(cluster.scheduler_info["workers"])
    assert len(executor.workers_used) == 2


def test_scheduler_argument_reaches_the_cluster(cluster, inputs, local) -> None:
    networks, governance = inputs
    remote = run_montecarlo(
        networks, COUNTRIES, governance=governance, scheduler=cluster.scheduler_address, **RUN
    )
    assert remote.executor == f"dask {cluster.scheduler_address}"
    _same(local, remote)


def test_environment_variable_picks_the_cluster(cluster, inputs, local, monkeypatch) -> None:
    networks, governance = inputs
    monkeypatch.setenv("CRITMIN_DASK_SCHEDULER", cluster.scheduler_address)
    assert isinstance(get_executor(), DaskExecutor)
    remote = run_montecarlo(networks, COUNTRIES, governance=governance, **RUN)
    assert remote.executor == f"dask {cluster.scheduler_address}"
    _same(local, remote)
    monkeypatch.setenv("CRITMIN_DASK_SCHEDULER", "")
    assert isinstance(get_executor(), InProcess)


def test_a_connected_client_is_used_and_left_open(cluster, inputs, local) -> None:
    networks, governance = inputs
    with Client(cluster.scheduler_address) as client:
        remote = run_montecarlo(
            networks, COUNTRIES, governance=governance, executor=DaskExecutor(client), **RUN
        )
        assert client.status == "running"
    _same(local, remote)


def test_chokepoint_closures_give_the_in_process_numbers_on_the_cluster(cluster, inputs) -> None:
    networks, governance = inputs
    model = DisruptionModel(chokepoints=True, chokepoint_probabilities={"malacca": 0.3, "suez": 0.2})
    run = {**RUN, "governance": governance, "model": model}
    here = run_montecarlo(networks, COUNTRIES, executor=InProcess(), **run)
    there = run_montecarlo(networks, COUNTRIES, executor=DaskExecutor(cluster.scheduler_address), **run)
    _same(here, there)
    pd.testing.assert_frame_equal(here.chokepoints, there.chokepoints)
    assert (here.contributions["kind"] == "chokepoint").any()
