"""Benchmark the Monte Carlo of supplier disruptions: batched cascade, a million draws, every network, Dask.

Four runs on the bundled data, each in a fresh subprocess so that its peak memory is its own:

(a) **Engine**: the same draws of random disruptions on the rare-earth network (2024, 144 nodes)
    propagated four ways in one process: (1) :func:`critmin.scenarios.cascade.propagate`, the
    float64 engine batched over draws (timed on 10,000 draws that start with the compared ones);
    (2) :func:`critmin.scenarios.reference.propagate_one`, the plain per-draw Python
    implementation of the same model, in a loop; (3) ``propagate`` called once per draw with a
    one-row batch; (4) :func:`critmin.scenarios.fastcascade.consumption_cut`, the Monte Carlo's
    engine (float32, sparse flows, nodes × draws; timed on the same 10,000 draws). (1) and (3)
    are checked equal to (2) (``np.allclose``), (4) within its documented bound (per draw, the
    cuts summed over nodes within the tolerance of the initial shock); the draws per second and
    the ratios are printed (aim: 100x over (2)).
(b) **A million draws** of :func:`critmin.scenarios.montecarlo.run_montecarlo` on the rare-earth
    network (aim: under 30 s in-process, under 4 GB), in-process (one core) and on a
    ``distributed.LocalCluster`` of 2 single-threaded worker processes (both cores); the two
    summaries are checked identical.
(c) **Every bundled network**: 100,000 draws on each commodity × stage with an HS92 network
    (its latest year), on 2 Dask workers (aim: under 120 s). Building the networks from the
    store is timed apart.
(d) **1 vs 2 Dask workers** on the same rare-earth job.

Memory is the peak of the summed RSS of the benchmark process and its children (the Dask
scheduler and workers), sampled with psutil every 0.1 s. The cascade runs at tolerance 1e-3
(:data:`critmin.scenarios.montecarlo.MONTECARLO_CASCADE`), batches of ``--batch-size`` draws,
chunks of ``--chunk-size``, BLAS limited to one thread per process.

Usage::

    .venv/bin/python benchmarks/bench_scenarios.py            # everything (15-20 minutes on 2 cores)
    .venv/bin/python benchmarks/bench_scenarios.py --quick    # a small version of each (about 1 minute)
    .venv/bin/python benchmarks/bench_scenarios.py --only a b
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil

COUNTRIES = ["JPN", "USA", "DEU", "KOR", "IND", "CHN", "FRA", "GBR"]
SEED = 2024


class PeakMemory:
    """Peak of the summed RSS of this process and all its descendants, sampled in a thread."""

    def __init__(self, every: float = 0.1) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())

    @property
    def mb(self) -> float:
        return self.peak / 2**20


def _cluster(workers: int):  # type: ignore[no-untyped-def]
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, host="127.0.0.1"
    )


def engine(store: str, draws: str, batch: str) -> dict[str, object]:
    import critmin
    from critmin.scenarios.cascade import propagate
    from critmin.scenarios.disruption import DisruptionModel, calibrate, cascade_terms, sample, shocks
    from critmin.scenarios.distributed import one_blas_thread
    from critmin.scenarios.fastcascade import SparseFlows, consumption_cut
    from critmin.scenarios.montecarlo import MONTECARLO_CASCADE, networks_for
    from critmin.scenarios.reference import propagate_one

    db = critmin.open(store)
    net = networks_for(db, ["rare_earths"])[0]
    risk = calibrate(DisruptionModel(), net.nodes, net.exports, net.year, db.governance(indicator="pv"))
    size, step, params = int(draws), int(batch), MONTECARLO_CASCADE
    many = max(size, 10_000)  # the batched engine is timed on more draws; the first `size` are compared
    drawn = sample(risk, many, SEED, 0)
    shock, node_open = shocks(drawn, risk, net.flows)
    with one_blas_thread():
        start = time.perf_counter()
        batched = np.concatenate(
            [
                propagate(
                    net.flows,
                    net.consumption,
                    shock[s : s + step],
                    params,
                    **cascade_terms(net.flows, node_open[s : s + step]),
                ).consumption_cut
                for s in range(0, many, step)
            ]
        )
        t_batched = (time.perf_counter() - start) * size / many
        batched = batched[:size]
        start = time.perf_counter()
        looped = np.array(
            [
                propagate_one(
                    net.flows, net.consumption, shock[d], params, **cascade_terms(net.flows, node_open[d])
                ).consumption_cut
                for d in range(size)
            ]
        )
        t_loop = time.perf_counter() - start
        start = time.perf_counter()
        rows = np.concatenate(
            [
                propagate(
                    net.flows,
                    net.consumption,
                    shock[d : d + 1],
                    params,
                    **cascade_terms(net.flows, node_open[d : d + 1]),
                ).consumption_cut
                for d in range(size)
            ]
        )
        t_rows = time.perf_counter() - start
        sparse = SparseFlows.of(net.flows)
        start = time.perf_counter()
        fast = np.concatenate(
            [
                consumption_cut(
                    sparse,
                    net.consumption,
                    shock[s : s + step],
                    params,
                    **cascade_terms(net.flows, node_open[s : s + step]),
                )
                for s in range(0, many, step)
            ]
        )
        t_fast = (time.perf_counter() - start) * size / many
    gap = np.abs(fast[:size] - looped).sum(axis=1) / np.maximum(shock[:size].sum(axis=1), 1e-300)
    return {
        "nodes": net.size,
        "draws": size,
        "disruptions_per_draw": len(drawn.draw) / many,
        "batched_s": t_batched,
        "loop_s": t_loop,
        "rows_s": t_rows,
        "fast_s": t_fast,
        "fast_gap": float(gap.max()),
        "equal_loop": bool(np.allclose(batched, looped, rtol=1e-9, atol=1e-6)),
        "equal_rows": bool(np.allclose(batched, rows, rtol=1e-9, atol=1e-6)),
    }


def million(store: str, draws: str, chunk: str, batch: str, out: str) -> dict[str, object]:
    import pandas as pd

    import critmin
    from critmin.scenarios.montecarlo import networks_for, run_montecarlo

    db = critmin.open(store)
    net = networks_for(db, ["rare_earths"])[0]
    governance = db.governance(indicator="pv")
    kwargs = {"n": int(draws), "seed": SEED, "chunk_size": int(chunk), "batch_size": int(batch)}
    with PeakMemory() as memory:
        start = time.perf_counter()
        local = run_montecarlo(net, COUNTRIES, governance=governance, **kwargs)  # type: ignore[arg-type]
        t_local = time.perf_counter() - start
    with _cluster(2) as cluster, PeakMemory() as memory_dask:
        start = time.perf_counter()
        remote = run_montecarlo(
            net,
            COUNTRIES,
            governance=governance,
            scheduler=cluster.scheduler_address,
            **kwargs,  # type: ignore[arg-type]
        )
        t_dask = time.perf_counter() - start
    same = local.summary.equals(remote.summary) and local.contributions.equals(remote.contributions)
    pd.concat([local.summary]).to_csv(out, index=False)
    return {
        "nodes": net.size,
        "draws": int(draws),
        "local_s": t_local,
        "local_peak_mb": memory.mb,
        "dask_s": t_dask,
        "dask_peak_mb": memory_dask.mb,
        "identical": bool(same),
    }


def every_network(store: str, draws: str, chunk: str, batch: str) -> dict[str, object]:
    import critmin
    from critmin.scenarios.montecarlo import networks_for, run_montecarlo

    db = critmin.open(store)
    codes = db.hs_codes()
    start = time.perf_counter()
    networks = networks_for(db, sorted(codes.loc[codes["nomenclature"] == "HS92", "commodity"].unique()))
    t_build = time.perf_counter() - start
    governance = db.governance(indicator="pv")
    with _cluster(2) as cluster, PeakMemory() as memory:
        start = time.perf_counter()
        result = run_montecarlo(
            networks,
            COUNTRIES,
            n=int(draws),
            seed=SEED,
            chunk_size=int(chunk),
            batch_size=int(batch),
            governance=governance,
            scheduler=cluster.scheduler_address,
        )
        t_run = time.perf_counter() - start
    return {
        "networks": len(networks),
        "nodes_min": min(n.size for n in networks),
        "nodes_max": max(n.size for n in networks),
        "draws": int(draws),
        "build_s": t_build,
        "run_s": t_run,
        "peak_mb": memory.mb,
        "rows": len(result.summary),
    }


def workers(store: str, draws: str, chunk: str, batch: str) -> dict[str, object]:
    import critmin
    from critmin.scenarios.montecarlo import networks_for, run_montecarlo

    db = critmin.open(store)
    net = networks_for(db, ["rare_earths"])[0]
    governance = db.governance(indicator="pv")
    out: dict[str, object] = {"draws": int(draws)}
    summaries = []
    for count in (1, 2):
        with _cluster(count) as cluster:
            start = time.perf_counter()
            result = run_montecarlo(
                net,
                COUNTRIES,
                n=int(draws),
                seed=SEED,
                chunk_size=int(chunk),
                batch_size=int(batch),
                governance=governance,
                scheduler=cluster.scheduler_address,
            )
            out[f"workers_{count}_s"] = time.perf_counter() - start
            summaries.append(result.summary)
    out["identical"] = bool(summaries[0].equals(summaries[1]))
    return out


def run_child(step: str, *args: str) -> dict[str, object]:
    """Run one step in a fresh interpreter; return what it measured."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import bench_scenarios as b; "
        f"out = b.{step}(*sys.argv[2:]); print('RESULT ' + json.dumps(out))"
    )
    here = str(Path(__file__).resolve().parent)
    done = subprocess.run(
        [sys.executable, "-c", code, here, *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.rsplit("RESULT ", 1)[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small version of every run")
    parser.add_argument("--only", nargs="+", choices=list("abcd"), default=list("abcd"))
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--chunk-size", type=int, default=20_000)
    args = parser.parse_args()
    quick = args.quick
    engine_draws = 100 if quick else 500
    big = 50_000 if quick else 1_000_000
    each = 2_000 if quick else 100_000
    pair = 20_000 if quick else 200_000
    chunk = str(min(args.chunk_size, 5_000) if quick else args.chunk_size)
    batch = str(args.batch_size)
    with tempfile.TemporaryDirectory(prefix="critmin-bench-") as temp:
        store = str(Path(temp) / "critmin.duckdb")
        run_child("engine", store, "1", batch)  # load the bundle once, outside the timings
        load = ", ".join(f"{x:.1f}" for x in psutil.getloadavg())
        print(
            f"{psutil.cpu_count()} CPUs; load average before the runs: {load} (other work slows every figure)"
        )
        if "a" in args.only:
            r = run_child("engine", store, str(engine_draws), batch)
            rate = {k: r["draws"] / r[f"{k}_s"] for k in ("batched", "loop", "rows", "fast")}  # type: ignore[operator]
            vs_loop, vs_rows = rate["batched"] / rate["loop"], rate["batched"] / rate["rows"]
            fast_ratio = rate["fast"] / rate["batched"]
            print(
                f"(a) rare earths, {r['nodes']} nodes, {r['draws']} draws "
                f"({r['disruptions_per_draw']:.1f} suppliers disrupted a draw), tolerance 1e-3, "
                f"batch {batch}:\n"
                f"    batched propagate  {rate['batched']:9,.0f} draws/s\n"
                f"    propagate_one loop {rate['loop']:9,.0f} draws/s   batched is {vs_loop:,.0f}x"
                f" (aim 100x); equal: {r['equal_loop']}\n"
                f"    one-row propagate  {rate['rows']:9,.0f} draws/s   batched is {vs_rows:,.0f}x"
                f"; equal: {r['equal_rows']}\n"
                f"    Monte Carlo engine {rate['fast']:9,.0f} draws/s   {fast_ratio:.1f}x batched propagate;"
                f" largest gap {r['fast_gap']:.1e} of a draw's shock (bound: the tolerance, 1e-3)"
            )
        if "b" in args.only:
            r = run_child("million", store, str(big), chunk, batch, str(Path(temp) / "summary.csv"))
            print(
                f"(b) {r['draws']:,} draws, rare earths ({r['nodes']} nodes), {len(COUNTRIES)} countries:\n"
                f"    in-process (1 core)  {r['local_s']:7.1f} s  {r['draws'] / r['local_s']:8,.0f} draws/s"  # type: ignore[operator]
                f"  peak {r['local_peak_mb']:,.0f} MB\n"
                f"    Dask, 2 workers      {r['dask_s']:7.1f} s  {r['draws'] / r['dask_s']:8,.0f} draws/s"  # type: ignore[operator]
                f"  peak {r['dask_peak_mb']:,.0f} MB (all processes)   (aim < 30 s in-process, < 4 GB)\n"
                f"    identical summaries: {r['identical']}"
            )
        if "c" in args.only:
            r = run_child("every_network", store, str(each), chunk, batch)
            total = r["draws"] * r["networks"]  # type: ignore[operator]
            print(
                f"(c) {r['draws']:,} draws x {r['networks']} networks "
                f"({r['nodes_min']}-{r['nodes_max']} nodes) "
                f"= {total:,} draws on 2 Dask workers: {r['run_s']:.1f} s ({total / r['run_s']:,.0f} draws/s;"
                f" aim < 120 s), peak {r['peak_mb']:,.0f} MB; building the networks {r['build_s']:.1f} s"
            )
        if "d" in args.only:
            r = run_child("workers", store, str(pair), chunk, batch)
            print(
                f"(d) {r['draws']:,} draws, rare earths: 1 worker {r['workers_1_s']:.1f} s, "
                f"2 workers {r['workers_2_s']:.1f} s ({r['workers_1_s'] / r['workers_2_s']:.2f}x); "  # type: ignore[operator]
                f"identical: {r['identical']}"
            )


if __name__ == "__main__":
    main()
