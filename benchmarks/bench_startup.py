"""Benchmark the command line's start-up: ``critmin --help`` and ``critmin --db <store> data status``.

Each case is run ``--runs`` times as a fresh subprocess (output discarded), one case after the
other in rounds so that the machine's load drifts over all of them alike. Per case: the best and
median wall time and the peak resident memory of the child (``os.wait4``). Baselines in the same
run:

- ``python -c pass``: the interpreter's own start;
- ``import duckdb``: the interpreter plus the DuckDB module, which ``data status`` cannot avoid;
- ``duckdb read``: that plus opening the store read-only and fetching the three reports of
  ``data status`` (the SQL of :mod:`critmin.store.coverage`): the floor of ``data status``; what
  is left is Typer, Rich's rendering of the tables and critmin's own code;
- ``typer app``: a two-command Typer app with a ``Path`` option, run once (Typer 0.29 imports
  pydantic to coerce any parameter): the floor of any ``critmin`` command.

Every child compiles its modules once, in the warm-up run, into a bytecode cache of its own
(``PYTHONPYCACHEPREFIX``, a temporary folder; ``PYTHONDONTWRITEBYTECODE`` is dropped), so the
timed runs start as an installed critmin does, from cached bytecode, and no checkout is written.

Ratios are the critmin commands' medians over each baseline's median. ``--critmin`` points at
another console script (for instance a checkout's ``.venv/bin/critmin``) to measure that code with
the same baselines; it then runs without ``PYTHONPATH``, on its own install. By default it is the
``critmin`` next to this interpreter, run with this process's environment (so ``PYTHONPATH`` picks
the code measured).

Usage::

    .venv/bin/python benchmarks/bench_startup.py --db /tmp/s/s.duckdb
    .venv/bin/python benchmarks/bench_startup.py --db /tmp/s/s.duckdb --runs 20 --critmin other/bin/critmin
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TYPER_APP = """
from pathlib import Path
import typer
app = typer.Typer()
@app.callback()
def main(db: Path | None = None) -> None:
    pass
@app.command()
def status(fmt: str = "table") -> None:
    print(fmt)
@app.command()
def other() -> None:
    pass
app(["--db", "x", "status"])
"""
"""A two-command Typer app run once: what any Typer command costs before doing anything."""


def status_sql(env: dict[str, str]) -> list[str]:
    """The queries of ``critmin data status`` (:mod:`critmin.store.coverage` of the code measured).

    Read in a child, so that this process stays small: a child's peak memory counts the pages it
    was forked with.
    """
    code = (
        "import json; from critmin.store.coverage import COMMODITIES_SQL, VINTAGES_SQL, tables_sql; "
        "print(json.dumps([VINTAGES_SQL, tables_sql(), COMMODITIES_SQL]))"
    )
    here = {**env, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    done = subprocess.run([sys.executable, "-c", code], env=here, capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout))


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one run of ``command``; a failure stops the benchmark."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code:
            stderr.seek(0)
            raise SystemExit(f"{' '.join(command)} exited {code}: {stderr.read().decode()}")
    return elapsed, usage.ru_maxrss / 1024


def cases(critmin: str, db: Path, queries: list[str]) -> dict[str, list[str]]:
    """Name to command line of every case, baselines first."""
    python = sys.executable
    read = (
        f"import duckdb; con = duckdb.connect({str(db)!r}, read_only=True); "
        f"[con.execute(q).fetchall() for q in {queries!r}]; con.close()"
    )
    return {
        "python -c pass": [python, "-c", "pass"],
        "import duckdb": [python, "-c", "import duckdb"],
        "duckdb read": [python, "-c", read],
        "typer app": [python, "-c", TYPER_APP],
        "critmin --help": [critmin, "--help"],
        "critmin data status": [critmin, "--db", str(db), "data", "status"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True, help="An existing store (only read).")
    parser.add_argument("--runs", type=int, default=10, help="Runs of each case (default 10).")
    parser.add_argument("--critmin", help="Another console script (run without PYTHONPATH).")
    args = parser.parse_args()
    if not args.db.is_file():
        raise SystemExit(f"no store at {args.db}")
    cache = tempfile.TemporaryDirectory(prefix="bench-startup-pyc-")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache.name
    if args.critmin:
        env.pop("PYTHONPATH", None)
    critmin = args.critmin or str(Path(sys.executable).with_name("critmin"))
    commands = cases(critmin, args.db, status_sql(env))
    for command in commands.values():
        run_once(command, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    memory: dict[str, float] = dict.fromkeys(commands, 0.0)
    for _ in range(args.runs):
        for name, command in commands.items():
            elapsed, peak = run_once(command, env)
            times[name].append(elapsed)
            memory[name] = max(memory[name], peak)
    code = env.get("PYTHONPATH", "its install")
    print(f"load average {os.getloadavg()[0]:.2f}; {args.runs} runs each; {critmin} on {code}")
    print(f"{'case':22} {'best s':>8} {'median s':>9} {'peak MiB':>9}")
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"{name:22} {min(values):8.3f} {medians[name]:9.3f} {memory[name]:9.1f}")
    baselines = ("python -c pass", "import duckdb", "duckdb read", "typer app")
    print("ratios of medians:")
    for name in ("critmin --help", "critmin data status"):
        ratios = ", ".join(f"{medians[name] / medians[b]:.1f}x {b}" for b in baselines)
        print(f"  {name}: {ratios}")
    cache.cleanup()


if __name__ == "__main__":
    main()
