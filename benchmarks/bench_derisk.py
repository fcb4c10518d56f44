"""Benchmark de-risking: the CVaR sourcing optimiser at 50 suppliers x 100,000 draws; the brief end to end.

Two parts on the bundled data, each run in a fresh subprocess so that its peak memory is its own:

(a) **Sourcing optimiser** (:func:`critmin.partnership.optimiser.optimise_sourcing`). The
    problem is a real one: Japan's imports on the rare-earth network (the latest HS92 year, built
    by :func:`critmin.scenarios.montecarlo.networks_for`), its ``--suppliers`` largest exporters
    (by exports; Japan itself left out). Their disruption probabilities and Beta severities are the
    Monte Carlo's (:func:`~critmin.scenarios.disruption.calibrate` with the default
    :class:`~critmin.scenarios.disruption.DisruptionModel`: WGI ``pv`` -> 1-20 %, mean severity
    0.3), ``--draws`` draws sampled with a fixed seed (:func:`~critmin.scenarios.disruption.sample`)
    into a dense ``draws x suppliers`` severity matrix. Capacity: each supplier's exports as a
    share of Japan's imports; at most 30 % of needs from any one; cost: the price premium of
    :func:`critmin.derisking.sourcing_study` (each exporter's BACI unit value over all its sales,
    relative to the average at Japan's current shares), weighted by 0.1. If the network has fewer
    exporters than ``--suppliers``, a synthetic problem of the same kind is generated instead (per
    supplier a probability uniform in 1-20 %, Beta(1.2, 2.8) severities) and the print says so.
    Measured: (1) the optimiser as shipped (constraint generation: the LP's dual over a working set
    of tail draws, the first set from the optimum over every 10th draw), its LP rounds (those of
    the start on the thinned draws not counted) and the draws its last LP held; (2) the baseline,
    the same problem as the textbook Rockafellar-Uryasev LP, one row per draw with a disruption,
    in one :func:`scipy.optimize.linprog` call (HiGHS; :func:`primal_lp`, the same LP the
    ``tests/test_optimiser.py`` reference solves). Both objectives (cost term plus the CVaR of
    the weights, by sorting) are printed with their difference and the largest weight difference
    (they are the same optimum). Then (3) :func:`~critmin.partnership.optimiser.efficient_frontier`,
    ``--frontier-points`` budgets on ``--frontier-draws`` draws, with a check that the CVaR never
    rises as the budget grows.
(b) **The brief end to end**: :func:`critmin.reports.brief.collect` (India and Japan, default
    :class:`~critmin.reports.brief.BriefOptions`: 5,000 Monte Carlo draws, 10,000 sourcing draws),
    :func:`critmin.reports.html.render` (written to a file) and
    :func:`critmin.reports.pdf.print_pdf` (headless Chromium; the PDF step is skipped with a note
    when no browser is found). Each collect step is printed from ``Brief.timings``, with the
    total, the HTML and PDF sizes. Baseline: the same brief with both draw counts halved, so the
    ratio shows how the end-to-end time scales with the simulation size.

Memory is the peak RSS of the benchmark's child process and its descendants (Chromium, for the
PDF, whose processes share pages, so their sum overstates it), summed and sampled with psutil
every 0.05 s in a thread; "rise" is that peak less the RSS just before the timed call (the
inputs, the store's caches and the interpreter are already there). The brief reports the peak
while collecting and rendering apart from the peak while printing.
The store is a temporary DuckDB file loaded from the bundle once, before any timing.

Usage::

    .venv/bin/python benchmarks/bench_derisk.py                    # both parts (about 3 minutes on 2 cores)
    .venv/bin/python benchmarks/bench_derisk.py --skip-brief       # the optimiser only
    .venv/bin/python benchmarks/bench_derisk.py --skip-optimiser   # the brief only
    .venv/bin/python benchmarks/bench_derisk.py --draws 20000 --suppliers 30
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
from typing import Any

import numpy as np
import psutil

SEED = 2024
IMPORTER = "JPN"
COMMODITY = "rare_earths"
MAX_SHARE = 0.3
COST_WEIGHT = 0.1
ALPHA = 0.95


class PeakMemory:
    """Peak of the summed RSS of this process and all its descendants, sampled in a thread."""

    def __init__(self, every: float = 0.05) -> None:
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self.start = self._sample()
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
        self.start = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())

    @property
    def mb(self) -> float:
        return self.peak / 2**20

    @property
    def rise_mb(self) -> float:
        return (self.peak - self.start) / 2**20


# -- (a) the optimiser ----------------------------------------------------------------------------


def problem(store: str, suppliers: int, draws: int) -> dict[str, Any]:
    """The sourcing problem: severities, cost, capacity and names (real if the network is big enough)."""
    import critmin
    from critmin.partnership.optimiser import severity_matrix
    from critmin.scenarios.disruption import DisruptionModel, calibrate, sample
    from critmin.scenarios.montecarlo import networks_for

    db = critmin.open(store)
    net = networks_for(db, [COMMODITY])[0]
    risk = calibrate(DisruptionModel(), net.nodes, net.exports, net.year, db.governance(indicator="pv"))
    exporters = [c for c in risk.codes if c != IMPORTER]
    if len(exporters) >= suppliers:
        volume = np.array([net.exports[net.index(c)] for c in exporters])
        names = [exporters[i] for i in np.argsort(-volume, kind="stable")[:suppliers]]
        j = net.index(IMPORTER)
        at = [net.index(c) for c in names]
        current = net.flows[at, j] / net.imports[j]
        capacity = net.exports[at] / net.imports[j]
        trade = db.trade(net.year, hs6=list(net.hs_codes))
        known = trade[trade["quantity_t"].fillna(0) > 0]
        bought = known[known["importer"] == IMPORTER]
        average = float(bought["value_usd"].sum() / bought["quantity_t"].sum())
        sold = known.groupby("exporter")[["value_usd", "quantity_t"]].sum()
        unit = (sold["value_usd"] / sold["quantity_t"]).reindex(names).fillna(average).to_numpy(float)
        # the premium over the current mix's unit value; suppliers Japan does not buy from yet count too
        cost = unit / float(unit @ current) - 1.0 if current.sum() > 0 else unit / average - 1.0
        severities = severity_matrix(sample(risk, draws, SEED, 0), risk, names)
        source = (
            f"real: {IMPORTER}'s imports on the {net.label}/{net.stage}/{net.year} network "
            f"({net.size} nodes, {len(exporters)} other exporters), its {suppliers} largest exporters; "
            f"current suppliers among them hold {current.sum():.1%} of {IMPORTER}'s imports"
        )
    else:
        rng = np.random.default_rng(SEED)
        names = [f"S{k:03d}" for k in range(suppliers)]
        chance = rng.uniform(0.01, 0.20, suppliers)
        hit = rng.random((draws, suppliers)) < chance
        severities = np.where(hit, rng.beta(1.2, 2.8, (draws, suppliers)), 0.0)
        share = rng.lognormal(0.0, 1.0, suppliers)
        capacity = 3.0 * share / share.sum()
        cost = rng.uniform(-0.2, 0.3, suppliers)
        source = (
            f"synthetic ({COMMODITY} has only {len(exporters)} exporters other than {IMPORTER}): "
            "probabilities uniform in 1-20 %, Beta(1.2, 2.8) severities"
        )
    return {
        "severities": severities,
        "cost": np.asarray(cost, dtype=float),
        "capacity": np.asarray(capacity, dtype=float),
        "names": names,
        "source": source,
    }


def primal_lp(f: np.ndarray, cost: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The baseline: the Rockafellar-Uryasev LP with a row ``u_d >= f_d w - t`` per disrupted draw.

    ``min COST_WEIGHT c.w + t + sum u_d / ((1 - ALPHA) D)``, ``sum w = 1``, ``0 <= w <= upper``,
    ``t, u >= 0``; draws with no disruption have ``u_d = 0`` and are left out (they still count in
    ``D``). Returns the weights.
    """
    from scipy import sparse
    from scipy.optimize import linprog

    rows = np.flatnonzero(f.any(axis=1))
    n, size = len(rows), f.shape[1]
    objective = np.concatenate([COST_WEIGHT * cost, [1.0], np.full(n, 1.0 / ((1 - ALPHA) * f.shape[0]))])
    a_ub = sparse.hstack(
        [sparse.csr_matrix(f[rows]), -np.ones((n, 1)), -sparse.identity(n, format="csr")], format="csr"
    )
    a_eq = np.concatenate([np.ones(size), np.zeros(n + 1)])[None, :]
    bounds = [(0.0, hi) for hi in upper] + [(0.0, None)] * (n + 1)
    result = linprog(
        objective, A_ub=a_ub, b_ub=np.zeros(n), A_eq=a_eq, b_eq=[1.0], bounds=bounds, method="highs"
    )
    if result.status != 0:
        raise SystemExit(f"the baseline LP failed: {result.message}")
    return np.clip(result.x[:size], 0.0, upper)


def optimise(store: str, suppliers: str, draws: str, mode: str) -> dict[str, object]:
    """One optimiser run, ``mode`` "generation" (as shipped) or "full" (:func:`primal_lp`)."""
    from critmin.partnership import optimiser

    p = problem(store, int(suppliers), int(draws))
    f = p["severities"]
    disrupted = int(np.count_nonzero(f.any(axis=1)))
    upper = np.minimum(np.full(len(p["names"]), MAX_SHARE), p["capacity"])
    with PeakMemory() as memory:
        start = time.perf_counter()
        if mode == "full":
            weights, rounds, held = primal_lp(f, p["cost"], upper), 1, disrupted
        else:
            result = optimiser.optimise_sourcing(
                f,
                p["cost"],
                suppliers=p["names"],
                upper=np.full(len(p["names"]), MAX_SHARE),
                capacity=p["capacity"],
                alpha=ALPHA,
                cost_weight=COST_WEIGHT,
            )
            weights, rounds, held = result.weights, result.rounds, result.draws_in_lp
        seconds = time.perf_counter() - start
    losses = f @ weights
    risk, spent = optimiser.cvar(losses, ALPHA), float(p["cost"] @ weights)
    return {
        "source": p["source"],
        "draws": int(f.shape[0]),
        "suppliers": int(f.shape[1]),
        "disrupted_draws": disrupted,
        "input_mb": f.nbytes / 2**20,
        "seconds": seconds,
        "peak_mb": memory.mb,
        "rise_mb": memory.rise_mb,
        "rounds": rounds,
        "draws_in_lp": held,
        "objective": COST_WEIGHT * spent + risk,
        "cvar": risk,
        "var": optimiser.value_at_risk(losses, ALPHA),
        "expected": float(losses.mean()),
        "cost": spent,
        "used": int(np.count_nonzero(weights > 1e-6)),
        "weights": [float(w) for w in weights],
    }


def frontier(store: str, suppliers: str, draws: str, points: str) -> dict[str, object]:
    """The efficient frontier over ``points`` budgets."""
    from critmin.partnership.optimiser import efficient_frontier

    p = problem(store, int(suppliers), int(draws))
    with PeakMemory() as memory:
        start = time.perf_counter()
        table = efficient_frontier(
            p["severities"],
            p["cost"],
            suppliers=p["names"],
            upper=np.full(len(p["names"]), MAX_SHARE),
            capacity=p["capacity"],
            alpha=ALPHA,
            points=int(points),
        )
        seconds = time.perf_counter() - start
    risk = table["cvar"].to_numpy()
    return {
        "draws": int(p["severities"].shape[0]),
        "suppliers": int(p["severities"].shape[1]),
        "points": len(table),
        "seconds": seconds,
        "peak_mb": memory.mb,
        "rise_mb": memory.rise_mb,
        "cost_low": float(table["cost"].iloc[0]),
        "cost_high": float(table["cost"].iloc[-1]),
        "cvar_high": float(risk[0]),
        "cvar_low": float(risk[-1]),
        "monotone": bool((np.diff(risk) <= 1e-12).all()),
    }


# -- (b) the brief --------------------------------------------------------------------------------


def brief(store: str, draws: str, sourcing_draws: str, out: str) -> dict[str, object]:
    """Collect, render and print the brief; the step times and the output sizes."""
    import critmin
    from critmin.reports import html, pdf
    from critmin.reports.brief import BriefOptions, collect

    db = critmin.open(store)
    options = BriefOptions(draws=int(draws), sourcing_draws=int(sourcing_draws))
    html_file, pdf_file = Path(out).with_suffix(".html"), Path(out).with_suffix(".pdf")
    with PeakMemory() as memory:
        start = time.perf_counter()
        made = collect(db, options)
        collected = time.perf_counter()
        page = html.render(made)
        html_file.write_text(page, encoding="utf-8")
        rendered = time.perf_counter()
    with PeakMemory() as printing:
        try:
            browser: str | None = pdf.find_browser()
        except pdf.PdfError as error:
            browser, note = None, str(error)
        if browser is not None:
            pdf.print_pdf(html_file, pdf_file, browser=browser)
            note = f"printed with {browser}"
        printed = time.perf_counter()
    return {
        "draws": options.draws,
        "sourcing_draws": options.sourcing_draws,
        "partners": list(made.options.partners),
        "year": made.year,
        "timings": made.timings,
        "notes": made.notes,
        "collect_s": collected - start,
        "render_s": rendered - collected,
        "pdf_s": printed - rendered if browser is not None else None,
        "total_s": printed - start,
        "html_kb": html_file.stat().st_size / 1024,
        "pdf_kb": pdf_file.stat().st_size / 1024 if browser is not None else None,
        "pdf_note": note,
        "peak_mb": memory.mb,
        "pdf_peak_mb": printing.mb,
    }


# -- driver ---------------------------------------------------------------------------------------


def run_child(step: str, *args: str) -> dict[str, Any]:
    """Run one step in a fresh interpreter; return what it measured."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import bench_derisk as b; "
        f"out = b.{step}(*sys.argv[2:]); print('RESULT ' + json.dumps(out))"
    )
    here = str(Path(__file__).resolve().parent)
    done = subprocess.run(
        [sys.executable, "-c", code, here, *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.rsplit("RESULT ", 1)[-1]))


def load_store(store: str) -> dict[str, object]:
    """Create the store from the bundle (outside every timing)."""
    import critmin

    return {"path": str(critmin.open(store).path)}


def report_optimiser(store: str, suppliers: int, draws: int, frontier_draws: int, points: int) -> None:
    shipped = run_child("optimise", store, str(suppliers), str(draws), "generation")
    full = run_child("optimise", store, str(suppliers), str(draws), "full")
    gap = abs(shipped["objective"] - full["objective"])
    moved = max(abs(a - b) for a, b in zip(shipped["weights"], full["weights"], strict=True))
    print(
        f"(a) sourcing optimiser, {shipped['suppliers']} suppliers x {shipped['draws']:,} draws "
        f"({shipped['disrupted_draws']:,} with a disruption; severity matrix {shipped['input_mb']:.0f} MB), "
        f"alpha {ALPHA}, cost weight {COST_WEIGHT}, at most {MAX_SHARE:.0%} from one supplier\n"
        f"    data: {shipped['source']}"
    )
    for label, r in (("constraint generation (shipped)", shipped), ("one primal LP (baseline)", full)):
        print(
            f"    {label:32s} {r['seconds']:7.1f} s  {r['rounds']} LP round(s), {r['draws_in_lp']:,} draws "
            f"in the last LP  peak RSS {r['peak_mb']:,.0f} MB (rise {r['rise_mb']:,.0f} MB)"
        )
    print(
        f"    shipped vs full LP: {full['seconds'] / shipped['seconds']:.1f}x faster, memory rise "
        f"{full['rise_mb'] / max(shipped['rise_mb'], 1e-9):.1f}x smaller; "
        f"objectives {shipped['objective']:.10f} vs {full['objective']:.10f} (difference {gap:.2e}); "
        f"largest weight difference {moved:.2e}\n"
        f"    optimum: CVaR {shipped['cvar']:.4f}, VaR {shipped['var']:.4f}, expected shortfall "
        f"{shipped['expected']:.4f} of needs, premium {shipped['cost']:+.4f}, "
        f"{shipped['used']} suppliers used"
    )
    r = run_child("frontier", store, str(suppliers), str(frontier_draws), str(points))
    print(
        f"    efficient frontier, {r['points']} budgets, {r['suppliers']} x {r['draws']:,} draws: "
        f"{r['seconds']:.1f} s ({r['seconds'] / r['points']:.1f} s a budget, with the least-CVaR solve "
        f"that sets the range), peak RSS {r['peak_mb']:,.0f} MB (rise {r['rise_mb']:,.0f} MB); "
        f"premium {r['cost_low']:+.3f} -> {r['cost_high']:+.3f}, CVaR {r['cvar_high']:.4f} -> "
        f"{r['cvar_low']:.4f}, never rising: {r['monotone']}"
    )


def report_brief(store: str, temp: str) -> None:
    from critmin.reports.brief import BriefOptions

    default = BriefOptions()
    full = run_child("brief", store, str(default.draws), str(default.sourcing_draws), f"{temp}/brief")
    half = run_child(
        "brief", store, str(default.draws // 2), str(default.sourcing_draws // 2), f"{temp}/brief-half"
    )
    print(
        f"(b) the brief {' + '.join(full['partners'])}, {full['year']}, default options "
        f"({full['draws']:,} Monte Carlo draws, {full['sourcing_draws']:,} sourcing draws); "
        f"baseline: draws halved ({half['draws']:,} / {half['sourcing_draws']:,})"
    )
    print(f"    {'step':44s} {'default':>9s} {'halved':>9s} {'ratio':>6s}")
    rows = [(f"collect: {k}", v, half["timings"].get(k)) for k, v in full["timings"].items()]
    rows += [
        ("collect (all, with the lookups)", full["collect_s"], half["collect_s"]),
        ("render HTML and write it", full["render_s"], half["render_s"]),
        ("print the PDF (Chromium)", full["pdf_s"], half["pdf_s"]),
        ("total", full["total_s"], half["total_s"]),
    ]
    for name, a, b in rows:
        if a is None or b is None:
            print(f"    {name:44s} {'skipped':>9s}")
            continue
        print(f"    {name:44s} {a:8.2f}s {b:8.2f}s {a / b:5.2f}x")
    sizes = f"HTML {full['html_kb']:,.0f} KB"
    sizes += f", PDF {full['pdf_kb']:,.0f} KB" if full["pdf_kb"] is not None else ""
    print(
        f"    {sizes} (halved: HTML {half['html_kb']:,.0f} KB); PDF: {full['pdf_note']}\n"
        f"    peak RSS collecting and rendering {full['peak_mb']:,.0f} MB "
        f"(halved {half['peak_mb']:,.0f} MB); "
        f"printing {full['pdf_peak_mb']:,.0f} MB (Python and Chromium's processes summed)"
    )
    for note in full["notes"]:
        print(f"    note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=100_000, help="optimiser draws (default 100,000)")
    parser.add_argument("--suppliers", type=int, default=50, help="optimiser suppliers (default 50)")
    parser.add_argument("--frontier-draws", type=int, default=20_000, help="frontier draws (default 20,000)")
    parser.add_argument("--frontier-points", type=int, default=8, help="frontier budgets (default 8)")
    parser.add_argument("--skip-brief", action="store_true", help="leave out part (b)")
    parser.add_argument("--skip-optimiser", action="store_true", help="leave out part (a)")
    args = parser.parse_args()
    if args.draws < 1 or args.suppliers < 1 or args.frontier_draws < 1 or args.frontier_points < 1:
        parser.error("--draws, --suppliers, --frontier-draws and --frontier-points must be at least 1")
    with tempfile.TemporaryDirectory(prefix="critmin-bench-") as temp:
        store = str(Path(temp) / "critmin.duckdb")
        run_child("load_store", store)
        load = ", ".join(f"{x:.1f}" for x in psutil.getloadavg())
        print(
            f"{psutil.cpu_count()} CPUs; load average before the runs: {load} (other work slows every figure)"
        )
        if not args.skip_optimiser:
            report_optimiser(store, args.suppliers, args.draws, args.frontier_draws, args.frontier_points)
        if not args.skip_brief:
            report_brief(store, temp)


if __name__ == "__main__":
    main()
