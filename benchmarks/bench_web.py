"""Benchmark the web server: first page loads, read latency under 50 clients, beside a Monte Carlo job.

Two servers are measured in the same run, each a subprocess ``critmin --db <copy> serve --port P``
(uvicorn, one job worker process) on a fresh store built from the bundled dataset (with its
derived tables) in a temporary folder, so the load generator and the server do not share a GIL:

- **fast**: today's server (pooled read-only connections, pages read the derived tables, repeated
  GETs answered from memory until the store changes);
- **baseline**: ``critmin serve --baseline``, the path before that work: a connection opened per
  request, every page and profile computed on demand, no response cache.

The load generator is one process (uvloop) running one task per client on loopback, each with its
own keep-alive connection (a minimal HTTP/1.1 client: httpx's own overhead capped it near 270
requests/s). The fast server runs uvicorn on uvloop and httptools; the baseline on asyncio and
h11, as before. Phases:

1. **First loads.** ``--starts`` fresh servers (``--baseline-starts`` for the baseline); on each,
   every dashboard page of ``PAGES`` is requested once, in order, before anything else: the time a
   user waits for a page nobody has opened yet. Per page: median and worst over the starts, and
   the p95 over all first loads; ratios fast / baseline.
2. **Reads.** After one warm-up request per endpoint, for each of ``ENDPOINTS``: (a) 1 client,
   requests one after another; (b) ``--clients`` concurrent clients. Each run is bounded by
   ``--seconds`` and ``--requests``. The baseline runs (a) and (b) on the API endpoints only (its
   pages take seconds each, which phase 1 shows). Ratios: fast against baseline (p95, throughput).
3. **Beside a Monte Carlo job** (unless ``--skip-job``): a ``POST /api/montecarlo/runs`` of
   ``--draws`` draws on rare earths (JPN, USA, DEU, KOR) is kept running in the fast server's
   worker process while (b) is repeated, each run bounded by ``--seconds`` only (a request bound
   would end the phase before one job finishes); p95 ratios against (b) without the job.

Latency is client-side (request sent to body read) and every non-200 answer (or a request
without an answer within ``TIMEOUT``) is counted as an error. The machine's other work shows in every
figure: the load average is printed first.

Usage::

    .venv/bin/python benchmarks/bench_web.py                 # about 10 minutes
    .venv/bin/python benchmarks/bench_web.py --seconds 5 --skip-job --baseline-starts 0
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import psutil
import uvloop

PAGES = [
    "/",
    "/minerals/rare_earths",
    "/countries/JPN",
    "/compare?countries=IND,JPN,USA",
    "/chokepoints?country=IND",
    "/partnership?a=IND&b=JPN",
    "/scenarios/new",
    "/events?as_of=2026-04-01",
]
API = [
    "/api/health",
    "/api/production?commodity=rare_earths",
    "/api/trade?year=2024&exporter=CHN&commodity=rare_earths",
    "/api/profiles/mineral/rare_earths?year=2024",
    "/api/profiles/country/JPN?year=2024",
    "/api/profiles/pair/IND/JPN?year=2024",
    "/api/profiles/chokepoints/IND?year=2024",
]
ENDPOINTS = [*API, "/minerals/rare_earths", "/countries/JPN", "/partnership?a=IND&b=JPN"]
JOB_COUNTRIES = ["JPN", "USA", "DEU", "KOR"]
JOB = {"countries": JOB_COUNTRIES, "commodities": ["rare_earths"], "seed": 2024}
TIMEOUT = 180.0
"""Seconds a request may wait for its answer before it counts as an error."""


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


def build_store(folder: Path) -> Path:
    """A store built from the bundled dataset (with its derived tables), outside the timings."""
    import critmin

    store = folder / "bundled.duckdb"
    critmin.open(store)
    return store


def start_server(folder: Path, store: Path, port: int, *, baseline: bool) -> subprocess.Popen[bytes]:
    """``critmin serve`` on a fresh copy of ``store``; returns once /api/health answers."""
    copy = folder / "critmin.duckdb"
    shutil.copyfile(store, copy)
    cli = shutil.which("critmin", path=str(Path(sys.executable).parent)) or "critmin"
    env = {**os.environ, "CRITMIN_HOME": str(folder / "home")}
    command = [cli, "--db", str(copy), "serve", "--port", str(port), "--token-file", str(folder / "token")]
    command += ["--baseline"] if baseline else []
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


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, int]:
    """Read one HTTP/1.1 answer (Content-Length or chunked body): its status and body size."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    fields = {name.strip().lower(): value.strip() for name, value in fields.items()}
    if "content-length" in fields:
        return status, len(await reader.readexactly(int(fields["content-length"])))
    size = 0
    while chunk := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        size += len(await reader.readexactly(chunk))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")
    return status, size


async def load(base: str, path: str, clients: int, seconds: float, requests: int) -> Run:
    """``clients`` concurrent clients request ``path`` until ``seconds`` pass or ``requests`` are made.

    Each client keeps one connection open and sends what a browser's fetch sends (``Accept-Encoding:
    gzip``), one request after another. A minimal HTTP/1.1 client on asyncio streams rather than
    httpx: at 50 clients httpx's own overhead was the bottleneck (about 270 requests/s for any
    endpoint, cached or not), so it measured itself, not the server.
    """
    url = httpx.URL(base)
    host, port = url.host, url.port or 80
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: gzip\r\n\r\n".encode()
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    issued = 0
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal issued
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while issued < requests and time.perf_counter() < deadline:
                issued += 1
                start = time.perf_counter()
                writer.write(request)
                try:
                    status, _ = await asyncio.wait_for(read_answer(reader), TIMEOUT)
                except (OSError, asyncio.IncompleteReadError, TimeoutError) as error:
                    errors[type(error).__name__] += 1
                    return
                elapsed = time.perf_counter() - start
                if status == 200:
                    latencies.append(elapsed)
                else:
                    errors[f"HTTP {status}"] += 1
        finally:
            writer.close()

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
        f"    {label:<22} {len(run.latencies):6,d} ok {run.errors.total():3d} err  {run.rate:8,.1f} req/s  "
        f"p50 {run.pct(50):8.1f} ms  p95 {run.pct(95):8.1f} ms"
    )
    if base is not None and not base.latencies:
        text += f"   (baseline: no answer within {TIMEOUT:g} s, no ratio)"
    elif base is not None and by == "rate":
        text += f"   throughput x{run.rate / base.rate:.2f}  p95 x{run.pct(95) / base.pct(95):.3f}"
    elif base is not None:
        text += f"   p50 x{run.pct(50) / base.pct(50):.2f}  p95 x{run.pct(95) / base.pct(95):.2f}"
    if run.errors:
        text += "   errors: " + ", ".join(f"{kind} x{n}" for kind, n in sorted(run.errors.items()))
    return text


@contextlib.contextmanager
def server(store: Path, *, baseline: bool) -> Iterator[str]:
    """A freshly started server on a copy of ``store``: its base URL while the block runs."""
    with tempfile.TemporaryDirectory(prefix="critmin-bench-web-") as temp:
        port = free_port()
        process = start_server(Path(temp), store, port, baseline=baseline)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(process)
        text = (Path(temp) / "server.log").read_text(errors="replace")
        if "internal error" in text:
            print(f"    server log: {text.count('internal error')} internal errors (5xx) logged")


async def first_loads(base: str) -> dict[str, float]:
    """Each page requested once on a server that has served nothing yet: seconds per page."""
    times: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        for path in PAGES:
            start = time.perf_counter()
            response = await client.get(path, headers={"Accept": "text/html"})
            times[path] = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return times


def print_first_loads(found: dict[str, list[dict[str, float]]]) -> None:
    print("\n1. first load of each page on a freshly started server (seconds)")
    for path in PAGES:
        cells = []
        for mode in found:
            times = [start[path] for start in found[mode]]
            cells.append(f"{mode} median {np.median(times):7.3f} max {max(times):7.3f}")
        ratio = ""
        if len(found) == 2 and all(found.values()):
            fast, slow = (float(np.median([s[path] for s in found[m]])) for m in ("fast", "baseline"))
            ratio = f"   fast/baseline x{fast / slow:.4f}"
        print(f"    {path:<34} " + "   ".join(cells) + ratio)
    for mode, starts in found.items():
        every = [t for start in starts for t in start.values()]
        if every:
            print(
                f"    {mode}: p95 over {len(every)} first loads ({len(starts)} starts) "
                f"{np.percentile(every, 95):.3f} s, worst {max(every):.3f} s"
            )


async def reads(base: str, args: argparse.Namespace, paths: list[str]) -> dict[str, tuple[Run, Run]]:
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:
        for path in paths:
            (await client.get(path)).raise_for_status()  # warm-up
    found = {}
    for path in paths:
        single = await load(base, path, 1, args.seconds / 2, args.requests)
        loaded = await load(base, path, args.clients, args.seconds, args.requests)
        found[path] = (single, loaded)
    return found


def print_reads(
    args: argparse.Namespace, fast: dict[str, tuple[Run, Run]], slow: dict[str, tuple[Run, Run]]
) -> None:
    print(
        f"\n2. reads after one warm-up request (runs bounded by {args.seconds:g} s "
        f"or {args.requests:,} requests)"
    )
    for path, (single, loaded) in fast.items():
        print(path)
        base = slow.get(path)
        if base is not None:
            print(line("baseline 1 client", base[0]))
            print(line(f"baseline {args.clients} clients", base[1]))
        print(line("fast 1 client", single, base[0] if base else None))
        print(line(f"fast {args.clients} clients", loaded, base[1] if base else None))


async def beside_job(base: str, args: argparse.Namespace, before: dict[str, tuple[Run, Run]]) -> None:
    print(
        f"\n3. fast server with a Monte Carlo job running ({args.draws:,} draws, rare earths, "
        f"{len(JOB_COUNTRIES)} countries; ratios against the same reads without the job)"
    )
    async with KeepJobRunning(base, args.draws) as job:
        for path in ENDPOINTS:
            busy = await load(base, path, args.clients, args.seconds, requests=10**9)
            print(path)
            print(line(f"{args.clients} clients", busy, before[path][1], by="latency"))
    done = ", ".join(f"{s:.1f}" for s in job.finished) or "none finished"
    print(
        f"Monte Carlo jobs finished meanwhile: {len(job.finished)} (seconds each: {done}); "
        f"failed: {job.failed}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients in the loaded runs")
    parser.add_argument("--seconds", type=float, default=10.0, help="time bound of each run")
    parser.add_argument("--requests", type=int, default=2_000, help="request bound of each run")
    parser.add_argument("--draws", type=int, default=200_000, help="draws of the Monte Carlo job")
    parser.add_argument("--starts", type=int, default=3, help="fresh starts of the fast server (first loads)")
    parser.add_argument("--baseline-starts", type=int, default=1, help="fresh starts of the baseline server")
    parser.add_argument("--skip-job", action="store_true", help="skip the runs beside a Monte Carlo job")
    args = parser.parse_args()
    load_avg = ", ".join(f"{x:.1f}" for x in psutil.getloadavg())
    print(
        f"{psutil.cpu_count()} CPUs; load average before the runs: {load_avg} (other work slows every figure)"
    )
    with tempfile.TemporaryDirectory(prefix="critmin-bench-store-") as temp:
        started = time.perf_counter()
        store = build_store(Path(temp))
        print(
            "store built from the bundled dataset with its derived tables in "
            f"{time.perf_counter() - started:.1f} s"
        )
        loads: dict[str, list[dict[str, float]]] = {"fast": [], "baseline": []}
        for mode, starts in (("fast", args.starts), ("baseline", args.baseline_starts)):
            for _ in range(starts):
                with server(store, baseline=mode == "baseline") as base:
                    loads[mode].append(uvloop.run(first_loads(base)))
        print_first_loads({m: v for m, v in loads.items() if v})
        slow: dict[str, tuple[Run, Run]] = {}
        if args.baseline_starts:
            with server(store, baseline=True) as base:
                slow = uvloop.run(reads(base, args, API))
        with server(store, baseline=False) as base:
            fast = uvloop.run(reads(base, args, ENDPOINTS))
            print_reads(args, fast, slow)
            if not args.skip_job:
                uvloop.run(beside_job(base, args, fast))


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
