"""Benchmark the web server: read latency and throughput under 50 clients, and beside a Monte Carlo job.

The real server runs as a subprocess, ``critmin --db <copy> serve --port P`` (uvicorn, one job
worker process), on a fresh store built from the bundled dataset in a temporary folder, so the load
generator and the server do not share a GIL. The load generator is one process running ``httpx``
``AsyncClient`` tasks on loopback, one connection per client (keep-alive).

Endpoints (the main reads and two dashboard pages)::

    /api/health
    /api/production?commodity=rare_earths
    /api/trade?year=2024&exporter=CHN&commodity=rare_earths
    /api/profiles/mineral/rare_earths?year=2024
    /minerals/rare_earths
    /countries/JPN

Each endpoint gets one warm-up request first (so the server's caches and DuckDB's are filled),
then three runs, each bounded by ``--seconds`` and ``--requests`` (whichever comes first):

(a) **Baseline**: 1 client, requests one after another (half the time bound).
(b) **Under load**: ``--clients`` concurrent clients; throughput ratio = (b) / (a).
(c) **Beside a Monte Carlo job** (unless ``--skip-job``): a ``POST /api/montecarlo/runs`` of
    ``--draws`` draws on rare earths (JPN, USA, DEU, KOR) is kept running in the server's worker
    process (a new one is submitted whenever one finishes) while (b) is repeated, then (a) briefly
    (a third of the time) to show the effect on a lone client; p50/p95 ratios are against (b) and (a).

Latency is client-side (request sent to body read) and every non-200 answer (or a request
without an answer within 180 s) is counted as an error. A run ends when its last request is
answered, so with slow endpoints under load it lasts longer than ``--seconds``. The machine's
other work shows in every figure: the load average is printed first.

Usage::

    .venv/bin/python benchmarks/bench_web.py                 # about 5 minutes
    .venv/bin/python benchmarks/bench_web.py --seconds 5 --skip-job
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import psutil

ENDPOINTS = [
    "/api/health",
    "/api/production?commodity=rare_earths",
    "/api/trade?year=2024&exporter=CHN&commodity=rare_earths",
    "/api/profiles/mineral/rare_earths?year=2024",
    "/minerals/rare_earths",
    "/countries/JPN",
]
JOB_COUNTRIES = ["JPN", "USA", "DEU", "KOR"]
JOB = {"countries": JOB_COUNTRIES, "commodities": ["rare_earths"], "seed": 2024}


@dataclass
class Run:
    """Latencies of one bounded run against one endpoint."""

    latencies: list[float]
    errors: Counter[str]
    seconds: float

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1000) if self.latencies else float("nan")


def free_port() -> int:
    """A TCP port nobody listens on now (loopback)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(folder: Path, port: int) -> subprocess.Popen[bytes]:
    """``critmin serve`` on a fresh copy of the bundled store; returns once /api/health answers."""
    import critmin

    store = folder / "critmin.duckdb"
    critmin.open(store)  # built from the bundled dataset, outside the timings
    cli = shutil.which("critmin", path=str(Path(sys.executable).parent)) or "critmin"
    env = {**os.environ, "CRITMIN_HOME": str(folder / "home")}
    command = [cli, "--db", str(store), "serve", "--port", str(port), "--token-file", str(folder / "token")]
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the server did not answer within 60 s")


async def load(base: str, path: str, clients: int, seconds: float, requests: int) -> Run:
    """``clients`` concurrent clients request ``path`` until ``seconds`` pass or ``requests`` are made."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    issued = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=180) as client:
        deadline = time.perf_counter() + seconds

        async def one_client() -> None:
            nonlocal errors, issued
            while issued < requests and time.perf_counter() < deadline:
                issued += 1
                start = time.perf_counter()
                try:
                    response = await client.get(path)
                except httpx.HTTPError as error:
                    errors[type(error).__name__] += 1
                    continue
                elapsed = time.perf_counter() - start
                if response.status_code == 200:
                    latencies.append(elapsed)
                else:
                    errors[f"HTTP {response.status_code}"] += 1

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        return Run(latencies, errors, time.perf_counter() - began)


class KeepJobRunning:
    """Keeps one Monte Carlo job running on the server (resubmitting when one ends), in a task."""

    def __init__(self, base: str, draws: int) -> None:
        self.base, self.body = base, {**JOB, "n": draws}
        self.finished: list[float] = []
        self.failed = 0
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as client:
            while True:
                submitted = await client.post("/api/montecarlo/runs", json=self.body)
                submitted.raise_for_status()
                status_url, began = submitted.json()["status_url"], time.perf_counter()
                while True:
                    await asyncio.sleep(0.25)
                    status = (await client.get(status_url)).json()
                    if status["status"] in ("done", "failed"):
                        break
                if status["status"] == "done":
                    self.finished.append(time.perf_counter() - began)
                else:
                    self.failed += 1

    async def __aenter__(self) -> KeepJobRunning:
        self._task = asyncio.create_task(self._loop())
        await asyncio.sleep(3.0)  # let the worker load the network and start drawing
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


def line(label: str, run: Run, base: Run | None = None, *, by: str = "rate") -> str:
    text = (
        f"    {label:<10} {len(run.latencies):6,d} ok {run.errors.total():3d} err  {run.rate:8,.1f} req/s  "
        f"p50 {run.pct(50):8.1f} ms  p95 {run.pct(95):8.1f} ms"
    )
    if base is not None and by == "rate":
        text += f"   throughput x{run.rate / base.rate:.2f}"
    elif base is not None:
        text += f"   p50 x{run.pct(50) / base.pct(50):.2f}  p95 x{run.pct(95) / base.pct(95):.2f}"
    if run.errors:
        text += "   errors: " + ", ".join(f"{kind} x{n}" for kind, n in sorted(run.errors.items()))
    return text


async def bench(base: str, args: argparse.Namespace) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for path in ENDPOINTS:
            (await client.get(path)).raise_for_status()  # warm-up: fills the caches
    print(
        "one warm-up request per endpoint done; "
        f"runs bounded by {args.seconds:g} s or {args.requests:,} requests"
    )
    single: dict[str, Run] = {}
    loaded: dict[str, Run] = {}
    for path in ENDPOINTS:
        single[path] = await load(base, path, 1, args.seconds / 2, args.requests)
        loaded[path] = await load(base, path, args.clients, args.seconds, args.requests)
        print(path)
        print(line("1 client", single[path]))
        print(line(f"{args.clients} clients", loaded[path], single[path]))
    if args.skip_job:
        return
    print(
        f"\nwith a Monte Carlo job running ({args.draws:,} draws, rare earths, "
        f"{len(JOB_COUNTRIES)} countries; "
        "ratios against the same run without the job)"
    )
    async with KeepJobRunning(base, args.draws) as job:
        for path in ENDPOINTS:
            busy = await load(base, path, args.clients, args.seconds, args.requests)
            alone = await load(base, path, 1, args.seconds / 3, args.requests)
            print(path)
            print(line(f"{args.clients} clients", busy, loaded[path], by="latency"))
            print(line("1 client", alone, single[path], by="latency"))
    done = ", ".join(f"{s:.1f}" for s in job.finished) or "none finished"
    print(
        f"Monte Carlo jobs finished meanwhile: {len(job.finished)} (seconds each: {done}); "
        f"failed: {job.failed}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients in the loaded runs")
    parser.add_argument("--seconds", type=float, default=15.0, help="time bound of each run")
    parser.add_argument("--requests", type=int, default=2_000, help="request bound of each run")
    parser.add_argument("--draws", type=int, default=200_000, help="draws of the Monte Carlo job")
    parser.add_argument("--skip-job", action="store_true", help="skip the runs beside a Monte Carlo job")
    args = parser.parse_args()
    load_avg = ", ".join(f"{x:.1f}" for x in psutil.getloadavg())
    print(
        f"{psutil.cpu_count()} CPUs; load average before the runs: {load_avg} (other work slows every figure)"
    )
    with tempfile.TemporaryDirectory(prefix="critmin-bench-web-") as temp:
        port = free_port()
        server = start_server(Path(temp), port)
        try:
            print(f"server: critmin serve on 127.0.0.1:{port} (subprocess pid {server.pid}, 1 job worker)")
            asyncio.run(bench(f"http://127.0.0.1:{port}", args))
        finally:
            stop(server)
        text = (Path(temp) / "server.log").read_text(errors="replace")
        print(f"server log: {text.count('internal error')} internal errors (5xx) logged")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server, then whatever it started (job workers) that is still running."""
    children = psutil.Process(server.pid).children(recursive=True)
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
    for child in children:
        try:
            child.terminate()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(children, timeout=10)


if __name__ == "__main__":
    main()
