"""Benchmark the BACI importer against DuckDB's bare CSV scan of the same file.

Generates a BACI-format CSV (``t,i,j,k,v,q``) at full scale in a temporary folder: one year,
about 5,000 HS6 products and realistic exporter-importer pairs (country weights drawn from a
lognormal, so large traders appear in most products), about 11 million rows, with ``q``
empty on about 5% of rows. Then, in the same process, it times

(a) the baseline: DuckDB's ``read_csv`` of the file with the importer's explicit column types,
    ``SELECT count(*), sum(v) FROM read_csv(...)``;
(b) our import: :func:`critmin.ingest.baci.parse` plus ``Store.add`` into a fresh DuckDB file.

Each timed step runs in a fresh subprocess so that its peak RSS (``ru_maxrss``) is its own.
Prints rows/s for both, the ratio (b)/(a) (aim: within 2x) and the peak RSS (aim: < 2 GB).

Usage::

    .venv/bin/python benchmarks/bench_ingest.py            # ~11M rows (~400 MB)
    .venv/bin/python benchmarks/bench_ingest.py --quick    # 1M rows, CI smoke
    .venv/bin/python benchmarks/bench_ingest.py --rows 3000000 --keep DIR
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from critmin.data import reference_path

FULL_ROWS = 11_000_000
PRODUCTS = 5_000
TYPES = "{'t': 'SMALLINT', 'i': 'INTEGER', 'j': 'INTEGER', 'k': 'VARCHAR', 'v': 'DOUBLE', 'q': 'DOUBLE'}"


def generate(path: Path, rows: int, seed: int = 2024) -> None:
    """Write a BACI-format CSV of about ``rows`` unique (i, j, k) flows for the year 2022."""
    rng = np.random.default_rng(seed)
    codes = pd.read_csv(reference_path("baci_countries.csv"), dtype=str, keep_default_na=False)
    current = codes[codes["last_year"] == ""]["code"].astype(int).to_numpy()
    weights = rng.lognormal(0.0, 1.6, len(current))
    weights /= weights.sum()
    chapters = rng.choice(np.arange(1, 98), PRODUCTS)
    products = np.unique(chapters * 10_000 + rng.integers(0, 10_000, PRODUCTS))
    popularity = rng.lognormal(0.0, 1.0, len(products))
    popularity /= popularity.sum()
    key = np.zeros(0, dtype=np.int64)
    while len(key) < rows:
        draw = int((rows - len(key)) * 1.5) + 1000
        exporter = rng.choice(current, draw, p=weights)
        importer = rng.choice(current, draw, p=weights)
        product = rng.choice(products, draw, p=popularity)
        keep = exporter != importer
        fresh = (product[keep].astype(np.int64) * 1000 + exporter[keep]) * 1000 + importer[keep]
        key = np.unique(np.concatenate([key, fresh]))
    if len(key) > rows:
        key = np.sort(rng.choice(key, rows, replace=False))
    n = len(key)
    value = np.round(rng.lognormal(3.0, 2.5, n), 3)
    quantity = np.round(value * rng.lognormal(-1.0, 1.5, n), 3)
    frame = pd.DataFrame(
        {
            "t": np.full(n, 2022, dtype=np.int16),
            "i": (key // 1000 % 1000).astype(np.int32),
            "j": (key % 1000).astype(np.int32),
            "k": (key // 1_000_000).astype(np.int32),
            "v": value,
            "q": np.where(rng.random(n) < 0.05, np.nan, quantity),
        }
    )
    con = duckdb.connect()
    con.register("flows", frame)
    con.execute(
        "COPY (SELECT t, i, j, lpad(CAST(k AS VARCHAR), 6, '0') AS k, v, q FROM flows ORDER BY i, j, k) "
        f"TO '{path}' (HEADER, DELIMITER ',')"
    )
    con.close()


def baseline(path: str) -> dict[str, float]:
    """(a) DuckDB's bare scan of the file with explicit types."""
    start = time.perf_counter()
    con = duckdb.connect(config={"enable_progress_bar_print": False})
    count, total = con.execute(
        f"SELECT count(*), sum(v) FROM read_csv('{path}', header = true, auto_detect = false, "
        f"delim = ',', quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
        f"nullstr = ['', 'NA'], columns = {TYPES})"
    ).fetchall()[0]
    con.close()
    return {"seconds": time.perf_counter() - start, "rows": count, "sum_v": total}


def full_import(path: str, store_path: str) -> dict[str, float]:
    """(b) ``baci.parse`` + ``Store.add`` into a fresh DuckDB file."""
    from critmin.ingest import baci
    from critmin.store import Store

    start = time.perf_counter()
    parsed = baci.parse(Path(path), nomenclature="HS92", version="V202601")
    parsed_at = time.perf_counter()
    outcome = Store(store_path).add([parsed])
    end = time.perf_counter()
    return {
        "seconds": end - start,
        "parse_seconds": parsed_at - start,
        "store_seconds": end - parsed_at,
        "rows": outcome[0].rows["trade"],
    }


def run_child(step: str, *args: str) -> dict[str, float]:
    """Run one step in a fresh interpreter; return its timings and peak RSS in MB."""
    code = (
        "import json, resource, sys; sys.path.insert(0, sys.argv[1]); import bench_ingest as b; "
        f"out = b.{step}(*sys.argv[2:]); "
        "out['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print('RESULT ' + json.dumps(out))"
    )
    here = str(Path(__file__).resolve().parent)
    done = subprocess.run([sys.executable, "-c", code, here, *args], capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.rsplit("RESULT ", 1)[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=FULL_ROWS, help="rows to generate (default 11M)")
    parser.add_argument("--quick", action="store_true", help="1M rows, for a CI smoke run")
    parser.add_argument("--keep", type=Path, help="generate into (and keep) this folder")
    args = parser.parse_args()
    rows = 1_000_000 if args.quick else args.rows
    with tempfile.TemporaryDirectory(prefix="critmin-bench-") as temp:
        folder = args.keep or Path(temp)
        folder.mkdir(parents=True, exist_ok=True)
        csv = folder / "BACI_HS92_Y2022_V202601.csv"
        if not csv.exists():
            start = time.perf_counter()
            generate(csv, rows)
            print(f"generated {csv} ({csv.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - start:.1f} s")
        store = folder / "bench.duckdb"
        store.unlink(missing_ok=True)
        base = run_child("baseline", str(csv))
        ours = run_child("full_import", str(csv), str(store))
        store.unlink(missing_ok=True)
    n = base["rows"]
    ratio = ours["seconds"] / base["seconds"]
    print(f"rows: {n:,.0f}")
    print(
        f"(a) bare DuckDB scan : {base['seconds']:6.2f} s  {n / base['seconds'] / 1e6:6.2f} M rows/s  "
        f"peak RSS {base['peak_rss_mb']:,.0f} MB"
    )
    print(
        f"(b) parse + Store.add: {ours['seconds']:6.2f} s  {n / ours['seconds'] / 1e6:6.2f} M rows/s  "
        f"peak RSS {ours['peak_rss_mb']:,.0f} MB  (parse {ours['parse_seconds']:.2f} s, "
        f"store {ours['store_seconds']:.2f} s)"
    )
    print(f"ratio (b)/(a): {ratio:.2f}x  (aim <= 2x); peak RSS aim < 2,048 MB")


if __name__ == "__main__":
    main()
