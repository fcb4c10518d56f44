"""Benchmark trade exposure for every importer × commodity × year against a plain pandas groupby.

Two runs in one command:

1. **Bundled data**: :func:`critmin.metrics.timeseries.trade_exposure_all` on the whole bundled
   BACI HS92 table (1995–2024, the catalog's commodity groups, WGI ``pv``, USGS production),
   against the readable reference :func:`critmin.metrics.trade_exposure.trade_exposure`;
   outputs joined and checked equal.
2. **Synthetic full BACI scale**: ``--rows-per-year`` (default 11 million, BACI's size) × 5 years
   = 55 million flows generated in memory with BACI's structure (about 5,000 HS6 products;
   exporter-importer pairs trading a number of products proportional to the product of two
   lognormal country weights, so big traders meet in most products; values lognormal, ``q``
   empty on 5% of rows; BACI aggregates such as ``S19`` among the partners) and compact dtypes:
   categorical ``exporter``/``importer``/``hs6`` (int16 codes), int16 ``year``, float32 value
   and quantity (both paths read the same float32 numbers and sum in float64). Each HS code is
   its own commodity. (a) the baseline below, written as a reader would with pandas
   ``groupby``, run a year at a time (every group lies within one year; all 55M rows at once
   need over 20 GB in pandas); (b) ``trade_exposure_all`` (which also computes the world rows
   and provenance), the whole output as one frame; (c) ``trade_exposure_chunks``, the same rows
   a year at a time, each year's frame written to Parquet as it comes (its time is the time in
   the generator; the writing is reported apart).
   Each runs in a fresh subprocess; its peak RSS is ``VmHWM`` reset after the data are generated,
   so it is the peak during the call, the resident input table (about 19 bytes a row, 1.05 GB
   at 55M rows) included. The outputs are joined and compared with ``np.allclose``.

Prints times, the speedups (b) and (c) vs (a) (aim: 20x) and peak RSS (aim: under 2 GB).

How the fast path gets its speed (see :mod:`critmin.metrics.timeseries` and
:mod:`critmin.metrics.exposure_kernel`): keys become small integers once (categorical codes,
translated chunk by chunk, never a table-sized array); every per-group sum is one
``np.bincount`` over a dense ``country × commodity`` key, importer-major, so rows of one trading
pair hit one cache-resident block and the sorted keys are already the output order; a year at a
time, the second pass reusing the first pass's keys; top suppliers from ``np.fmax.at`` and
``np.minimum.at`` per chunk; the world rows computed into the ``WLD`` block of the same arrays;
notes and provenance as categorical codes; the whole frame assembled by a counting sort. The
whole output frame is about 170 bytes a row (0.95 GB at 55M flows): with the 1.05 GB input that
alone reaches 2 GB, so the bounded-memory path is (c). DuckDB is not used (``critmin.metrics``
may not import it).

Usage::

    .venv/bin/python benchmarks/bench_metrics.py                      # 11M rows/year x 5 = 55M
    .venv/bin/python benchmarks/bench_metrics.py --no-baseline        # 55M, (b) only
    .venv/bin/python benchmarks/bench_metrics.py --rows-per-year 4000000
    .venv/bin/python benchmarks/bench_metrics.py --quick              # 200k rows/year, CI smoke
    .venv/bin/python benchmarks/bench_metrics.py --all                # all_metrics on the bundled data

The pandas baseline needs about 0.45 GB per million rows of one year (about 5 GB at 11M rows a
year), plus the generated table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.data import reference_path

FULL_ROWS = 11_000_000
YEARS = (2020, 2021, 2022, 2023, 2024)
PRODUCTS = 5_000
MIN_COVERAGE = 0.95
THRESHOLD = -0.5
COMPARED = (
    "imports_usd",
    "imports_t",
    "quantity_coverage",
    "exports_usd",
    "exports_t",
    "suppliers",
    "hhi",
    "top1_share",
    "share_unattributed",
    "share_weak_governance",
    "governance_coverage",
    "world_share_usd",
)


# -- synthetic data -------------------------------------------------------------------------------


def countries() -> tuple[list[str], list[str]]:
    """BACI's current ISO3 codes, and the aggregates among them plus two BACI areas."""
    codes = pd.read_csv(reference_path("baci_countries.csv"), dtype=str, keep_default_na=False)
    aggregates = pd.read_csv(reference_path("aggregates.csv"), dtype=str, keep_default_na=False)
    iso3 = sorted(set(codes.loc[codes["last_year"] == "", "iso3"]) | {"S19", "R20"})
    return iso3, sorted(set(aggregates["code"]) & set(iso3))


def generate_year(
    year: int, rows: int, iso3: list[str], products: np.ndarray, seed: int
) -> dict[str, np.ndarray]:
    """About ``rows`` unique (exporter, importer, hs6) flows of one year (structure as bench_ingest)."""
    rng = np.random.default_rng(seed + year)
    n_c = len(iso3)
    weights = np.random.default_rng(seed).lognormal(0.0, 1.5, n_c) * rng.lognormal(0.0, 0.1, n_c)
    count = len(products)
    exporter, importer = np.meshgrid(np.arange(n_c), np.arange(n_c), indexing="ij")
    mask = exporter != importer
    exporter, importer = exporter[mask], importer[mask]
    mass = weights[exporter] * weights[importer]
    low, high = 0.0, float(count) / mass.min()
    for _ in range(60):
        scale = (low + high) / 2
        if np.minimum(np.floor(mass * scale), count).sum() < rows:
            low = scale
        else:
            high = scale
    per_pair = np.minimum(np.floor(mass * high), count).astype(np.int64)
    steps = np.array([s for s in range(1, count) if np.gcd(s, count) == 1])
    pair = np.repeat(np.arange(len(per_pair)), per_pair)
    offset = np.arange(len(pair)) - np.repeat(np.cumsum(per_pair) - per_pair, per_pair)
    first = rng.integers(0, count, len(per_pair))
    step = rng.choice(steps, len(per_pair))
    product = ((first[pair] + offset * step[pair]) % count).astype(np.int16)
    n = len(pair)
    value = rng.lognormal(10.0, 2.5, n).astype(np.float32)
    quantity = (value * rng.lognormal(-1.0, 1.5, n)).astype(np.float32)
    quantity[rng.random(n) < 0.05] = np.nan
    return {
        "year": np.full(n, year, dtype=np.int16),
        "exporter": exporter[pair].astype(np.int16),
        "importer": importer[pair].astype(np.int16),
        "hs6": product,
        "value_usd": value,
        "quantity_t": quantity,
    }


def generate(rows_per_year: int, seed: int = 2024) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The synthetic trade table (all years), a governance frame and the aggregate codes."""
    iso3, aggregates = countries()
    rng = np.random.default_rng(seed)
    chapters = np.sort(rng.choice(np.arange(1, 98), PRODUCTS))
    products = np.unique(chapters * 10_000 + rng.integers(0, 10_000, PRODUCTS))
    years = [generate_year(y, rows_per_year, iso3, products, seed) for y in YEARS]
    columns: dict[str, object] = {}
    for name in list(years[0]):
        columns[name] = np.concatenate([year.pop(name) for year in years])
    n = len(columns["year"])  # type: ignore[arg-type]
    country_type = pd.CategoricalDtype(iso3)
    for name in ("exporter", "importer"):
        columns[name] = pd.Categorical.from_codes(columns[name], dtype=country_type)
    columns["hs6"] = pd.Categorical.from_codes(columns["hs6"], categories=[f"{p:06d}" for p in products])
    one = np.zeros(n, dtype=np.int8)
    columns["source"] = pd.Categorical.from_codes(one, categories=["baci"])
    columns["release"] = pd.Categorical.from_codes(one, categories=["synthetic"])
    columns["vintage_id"] = pd.Categorical.from_codes(one, categories=[0])
    trade = pd.DataFrame(columns, copy=False)
    del columns
    people = [c for c in iso3 if c not in aggregates]
    base = rng.normal(0.0, 1.0, len(people))
    governance = pd.DataFrame(
        [
            (c, y, float(base[i] + rng.normal(0, 0.2)), "wgi", "synthetic", 0)
            for y in YEARS
            for i, c in enumerate(people)
        ],
        columns=["country", "year", "estimate", "source", "release", "vintage_id"],
    )
    return trade, governance, aggregates


# -- the baseline: plain pandas groupby ---------------------------------------------------------------


def baseline_metrics(trade: pd.DataFrame, governance: pd.DataFrame, aggregates: list[str]) -> pd.DataFrame:
    """The trade-exposure metrics per importer, HS code and year, written plainly with pandas groupby."""
    keys = ["importer", "hs6", "year"]
    t = trade[["year", "exporter", "importer", "hs6"]].copy()
    t["value_usd"] = trade["value_usd"].astype(float)
    t["quantity_t"] = trade["quantity_t"].astype(float)
    t["has_quantity"] = t["quantity_t"].notna()
    t["value_with_quantity"] = t["value_usd"].where(t["has_quantity"], 0.0)

    totals = t.groupby(keys, observed=True).agg(
        imports_usd=("value_usd", "sum"),
        imports_t=("quantity_t", "sum"),
        value_with_quantity=("value_with_quantity", "sum"),
        rows_with_quantity=("has_quantity", "sum"),
    )
    totals["quantity_coverage"] = totals["value_with_quantity"] / totals["imports_usd"]
    totals["by_quantity"] = (totals["quantity_coverage"] >= MIN_COVERAGE) & (totals["imports_t"] > 0)
    totals["imports_t"] = totals["imports_t"].where(totals["rows_with_quantity"] > 0)
    totals["total_weight"] = totals["imports_t"].where(totals["by_quantity"], totals["imports_usd"])

    t = t.join(totals["by_quantity"], on=keys)
    t["weight"] = np.where(t["by_quantity"], t["quantity_t"].fillna(0.0), t["value_usd"])
    attributed = t[~t["exporter"].isin(aggregates)].copy()
    attributed["weight_squared"] = attributed["weight"] ** 2
    scores = governance.rename(columns={"country": "exporter"})[["exporter", "year", "estimate"]]
    scores = scores.astype({"exporter": trade["exporter"].dtype, "year": trade["year"].dtype})
    attributed = attributed.merge(scores, on=["exporter", "year"], how="left")
    attributed["weak_weight"] = attributed["weight"].where(attributed["estimate"] < THRESHOLD, 0.0)
    attributed["scored_weight"] = attributed["weight"].where(attributed["estimate"].notna(), 0.0)
    attributed["supplier"] = attributed["weight"] > 0

    by_group = attributed.groupby(keys, observed=True).agg(
        attributed_weight=("weight", "sum"),
        sum_squares=("weight_squared", "sum"),
        suppliers=("supplier", "sum"),
        weak_weight=("weak_weight", "sum"),
        scored_weight=("scored_weight", "sum"),
    )
    summary = totals.join(by_group)
    summary[by_group.columns] = summary[by_group.columns].fillna(0.0)
    summary["hhi"] = summary["sum_squares"] / summary["attributed_weight"] ** 2
    summary["share_unattributed"] = 1 - summary["attributed_weight"] / summary["total_weight"]
    summary["share_weak_governance"] = summary["weak_weight"] / summary["total_weight"]
    summary["governance_coverage"] = summary["scored_weight"] / summary["attributed_weight"]

    positive = attributed[attributed["supplier"]]
    top = positive.sort_values([*keys, "weight", "exporter"], ascending=[True, True, True, False, True])
    top = top.groupby(keys, observed=True).head(1).set_index(keys)
    summary["top1_exporter"] = top["exporter"].astype(str)
    summary["top1_share"] = top["weight"] / summary["total_weight"]

    exports = t.groupby(["exporter", "hs6", "year"], observed=True).agg(
        exports_usd=("value_usd", "sum"),
        exports_t=("quantity_t", "sum"),
        export_rows_with_quantity=("has_quantity", "sum"),
    )
    exports.index = exports.index.set_names("importer", level="exporter")
    summary = summary.join(exports)
    summary["exports_usd"] = summary["exports_usd"].fillna(0.0)
    summary["exports_t"] = summary["exports_t"].where(summary["export_rows_with_quantity"] > 0)
    summary.loc[summary["exports_usd"] == 0, "exports_t"] = 0.0

    world = t.groupby(["hs6", "year"], observed=True)["value_usd"].sum().rename("world_usd")
    summary = summary.join(world)
    summary["world_share_usd"] = summary["imports_usd"] / summary["world_usd"]
    summary = summary.reset_index()
    summary = summary[~summary["importer"].isin(aggregates)]
    summary["basis"] = np.where(summary["by_quantity"], "quantity", "value")
    return summary[[*keys, "basis", "top1_exporter", *COMPARED]]


# -- the steps (each in its own process) ---------------------------------------------------------------


def _reset_peak() -> None:
    """Start a new peak-RSS window (Linux ``clear_refs``), so the generator's own peak is not counted."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    """Peak RSS in MB since :func:`_reset_peak` (``VmHWM``; ``ru_maxrss`` where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _strings(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in ("importer", "hs6", "top1_exporter", "basis"):
        frame[column] = frame[column].astype(str)
    frame["year"] = frame["year"].astype(np.int64)
    return frame


def _save(frame: pd.DataFrame, path: str) -> None:
    _strings(frame).to_parquet(path)


def synthetic_baseline(rows: str, out: str) -> dict[str, float]:
    trade, governance, aggregates = generate(int(rows))
    _reset_peak()
    n = len(trade)
    start = time.perf_counter()
    # A year at a time: every metric's groups lie within one year, and the whole 55M-row table at
    # once needs more than 20 GB in pandas.
    result = pd.concat(
        [
            baseline_metrics(trade[trade["year"] == year], governance, aggregates)
            for year in trade["year"].unique()
        ],
        ignore_index=True,
    )
    seconds = time.perf_counter() - start

    peak = _peak_mb()
    del trade
    _save(result, out)
    return {"seconds": seconds, "rows": n, "groups": len(result), "compute_peak_rss_mb": peak}


def synthetic_fast(rows: str, out: str) -> dict[str, float]:
    from critmin.metrics.timeseries import trade_exposure_all

    trade, governance, aggregates = generate(int(rows))
    _reset_peak()
    start = time.perf_counter()
    result = trade_exposure_all(trade, None, governance, None, aggregates=aggregates)
    seconds = time.perf_counter() - start
    peak = _peak_mb()
    n = len(trade)
    del trade
    result = result[result["importer"] != "WLD"].rename(columns={"commodity": "hs6"})
    _save(result[["importer", "hs6", "year", "basis", "top1_exporter", *COMPARED]], out)
    return {"seconds": seconds, "rows": n, "groups": len(result), "compute_peak_rss_mb": peak}


def synthetic_chunks(rows: str, out: str) -> dict[str, float]:
    """(c): :func:`trade_exposure_chunks`, each year's frame written to Parquet as it comes.

    ``seconds`` is the time inside the generator (the metrics), ``write_seconds`` the time spent
    writing; the peak RSS covers both (one year's frame and the writer's buffers).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from critmin.metrics.timeseries import trade_exposure_chunks

    trade, governance, aggregates = generate(int(rows))
    _reset_peak()
    n = len(trade)
    groups, compute, write = 0, 0.0, 0.0
    writer: pq.ParquetWriter | None = None
    start = time.perf_counter()
    for frame in trade_exposure_chunks(trade, None, governance, None, aggregates=aggregates):
        got = time.perf_counter()
        compute += got - start
        frame = frame[frame["importer"] != "WLD"].rename(columns={"commodity": "hs6"})
        groups += len(frame)
        # categoricals go out as Parquet dictionaries (no per-row strings); read back as text
        columns = frame[["importer", "hs6", "year", "basis", "top1_exporter", *COMPARED]]
        table = pa.Table.from_pandas(columns, preserve_index=False)
        writer = writer or pq.ParquetWriter(out, table.schema)
        writer.write_table(table)
        start = time.perf_counter()
        write += start - got
    peak = _peak_mb()
    if writer is not None:
        writer.close()
    return {
        "seconds": compute,
        "write_seconds": write,
        "rows": n,
        "groups": groups,
        "compute_peak_rss_mb": peak,
    }


def bundled(store: str) -> dict[str, float]:
    import critmin
    from critmin.metrics.timeseries import trade_exposure_all
    from critmin.metrics.trade_exposure import KEYS, trade_exposure

    db = critmin.open(store)
    inputs = (db.trade(), db.hs_codes(), db.governance(indicator="pv"), db.production())
    places = db.places()
    start = time.perf_counter()
    reference = trade_exposure(*inputs, aggregates=places)
    middle = time.perf_counter()
    fast = trade_exposure_all(*inputs, aggregates=places)
    end = time.perf_counter()
    fast = fast.astype({c: str for c in ("importer", "commodity", "stage", "basis", "top1_exporter")})
    reference = reference.astype({"top1_exporter": str})
    joined = reference.merge(fast, on=list(KEYS), how="outer", suffixes=("_a", "_b"), indicator=True)
    equal = bool((joined["_merge"] == "both").all()) and _equal(joined, [*COMPARED, "nir", "world_share_t"])
    equal = equal and bool((joined["basis_a"] == joined["basis_b"]).all())
    equal = equal and bool((joined["top1_exporter_a"] == joined["top1_exporter_b"]).all())
    equal = equal and bool((joined["note_a"] == joined["note_b"].astype(str)).all())
    return {
        "baseline_seconds": middle - start,
        "fast_seconds": end - middle,
        "rows": len(inputs[0]),
        "groups": len(fast),
        "equal": equal,
    }


def all_bundled(store: str) -> dict[str, float]:
    """Time :func:`critmin.metrics.all_metrics.all_metrics` on the whole bundled store."""
    import critmin
    from critmin import reference_tables
    from critmin.metrics.all_metrics import all_metrics

    db = critmin.open(store)
    production = db.production(aggregates=True)
    inputs = (db.trade(nomenclature="HS92"), db.hs_codes(), db.governance(), db.restrictions())
    parameters, places = reference_tables.criticality_parameters(), db.places()
    reserves = db.reserves(aggregates=True)
    start = time.perf_counter()
    result = all_metrics(production, *inputs, parameters, places, reserves=reserves)
    out: dict[str, float] = {"seconds": time.perf_counter() - start, "trade_rows": len(inputs[0])}
    out.update({f"rows_{name}": len(frame) for name, frame in result.items()})
    return out


def _equal(joined: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> bool:
    return all(
        np.allclose(
            joined[f"{c}_a"].to_numpy(dtype=float), joined[f"{c}_b"].to_numpy(dtype=float), equal_nan=True
        )
        for c in columns
    )


def run_child(step: str, *args: str) -> dict[str, float]:
    """Run one step in a fresh interpreter; return its timings and peak RSS in MB."""
    code = (
        "import json, resource, sys; sys.path.insert(0, sys.argv[1]); import bench_metrics as b; "
        f"out = b.{step}(*sys.argv[2:]); "
        "out['peak_rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; "
        "print('RESULT ' + json.dumps(out))"
    )
    here = str(Path(__file__).resolve().parent)
    done = subprocess.run(
        [sys.executable, "-c", code, here, *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"{step} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.rsplit("RESULT ", 1)[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-year", type=int, default=FULL_ROWS, help="synthetic rows per year (11M)")
    parser.add_argument("--quick", action="store_true", help="200k rows per year, for a CI smoke run")
    parser.add_argument("--skip-bundled", action="store_true", help="only the synthetic run")
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="time only (b) and (c) (the baseline needs ~0.45 GB per M rows)",
    )
    parser.add_argument("--all", action="store_true", help="only time all_metrics on the bundled data")
    args = parser.parse_args()
    if args.all:
        with tempfile.TemporaryDirectory(prefix="critmin-bench-") as temp:
            timed = run_child("all_bundled", str(Path(temp) / "critmin.duckdb"))
        sizes = ", ".join(f"{k[5:]} {v:,.0f}" for k, v in timed.items() if k.startswith("rows_"))
        print(
            f"all_metrics on the bundled data ({timed['trade_rows']:,.0f} trade rows): "
            f"{timed['seconds']:.2f} s; rows: {sizes}; peak RSS {timed['peak_rss_mb']:,.0f} MB"
        )
        return
    rows = 200_000 if args.quick else args.rows_per_year
    with tempfile.TemporaryDirectory(prefix="critmin-bench-") as temp:
        folder = Path(temp)
        if not args.skip_bundled:
            result = run_child("bundled", str(folder / "critmin.duckdb"))
            ratio = result["baseline_seconds"] / result["fast_seconds"]
            print(
                f"bundled BACI HS92: {result['rows']:,.0f} flows -> {result['groups']:,.0f} groups; "
                f"reference {result['baseline_seconds']:.2f} s, "
                f"trade_exposure_all {result['fast_seconds']:.2f} s "
                f"({ratio:.1f}x); equal: {result['equal']}; peak RSS {result['peak_rss_mb']:,.0f} MB"
            )
        fast = run_child("synthetic_fast", str(rows), str(folder / "b.parquet"))
        chunks = run_child("synthetic_chunks", str(rows), str(folder / "c.parquet"))
        n = fast["rows"]
        print(f"synthetic: {n:,.0f} flows ({len(YEARS)} years) -> {fast['groups']:,.0f} importer groups")
        print(_line("(b) trade_exposure_all      ", fast, n))
        print(
            _line("(c) trade_exposure_chunks   ", chunks, n) + f" (+ {chunks['write_seconds']:.2f} s Parquet)"
        )
        if args.no_baseline:
            return
        base = run_child("synthetic_baseline", str(rows), str(folder / "a.parquet"))
        a = pd.read_parquet(folder / "a.parquet")
        equal = {
            name: _same_as_baseline(a, _strings(pd.read_parquet(folder / f"{name}.parquet"))) for name in "bc"
        }
    print(_line("(a) pandas groupby baseline ", base, n))
    for name, timed in (("b", fast), ("c", chunks)):
        print(
            f"speedup (a)/({name}): {base['seconds'] / timed['seconds']:.1f}x (aim 20x); "
            f"equal results: {equal[name]}"
        )
    if not all(equal.values()):
        raise SystemExit("results differ")


def _line(label: str, timed: dict[str, float], n: float) -> str:
    return (
        f"{label}: {timed['seconds']:7.2f} s  peak RSS {timed['compute_peak_rss_mb']:,.0f} MB "
        f"({n / timed['seconds'] / 1e6:.2f} M rows/s)"
    )


def _same_as_baseline(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Same groups, the compared columns ``np.allclose``, the same basis and top supplier."""
    keys = ["importer", "hs6", "year"]
    joined = a.merge(b, on=keys, how="outer", suffixes=("_a", "_b"), indicator=True)
    equal = bool((joined["_merge"] == "both").all()) and _equal(joined, COMPARED)
    equal = equal and bool((joined["basis_a"] == joined["basis_b"]).all())
    top_a = joined["top1_exporter_a"].replace({"None": "nan"})
    return equal and bool((top_a == joined["top1_exporter_b"]).all())


if __name__ == "__main__":
    main()
