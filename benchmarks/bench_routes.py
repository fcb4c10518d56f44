"""Benchmark sea routing: every exporter -> importer pair of the bundled trade table.

- **critmin**: :func:`critmin.sealanes.routes.route_pairs` on all pairs (one SciPy Dijkstra call
  from every routing port, then one path per pair), after building the network once (timed apart);
- **baseline**: ``searoute.searoute()``, the package's own call (networkx Dijkstra per call, its
  route as GeoJSON), on ``--sample`` of the same port pairs; its time for all pairs is the
  per-pair time times the pairs routed by sea.

Printed: the time for all pairs, per pair, the ratio, the distance agreement on the sample, and
the peak memory (tracemalloc) of the routing. Usage::

    .venv/bin/python benchmarks/bench_routes.py --sample 200
"""

from __future__ import annotations

import argparse
import random
import time
import tracemalloc

import duckdb
import searoute

from critmin.data import bundle_dir
from critmin.sealanes.network import sea_network
from critmin.sealanes.reference import ports
from critmin.sealanes.routes import route_pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200, help="pairs routed by the baseline")
    args = parser.parse_args()
    path = bundle_dir() / "trade.parquet"
    pairs = [
        (str(e), str(i))
        for e, i in duckdb.sql(f"SELECT DISTINCT exporter, importer FROM '{path}'").fetchall()
    ]

    began = time.perf_counter()
    sea_network()
    built = time.perf_counter() - began
    tracemalloc.start()
    began = time.perf_counter()
    routed = route_pairs(pairs)
    ours = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    sea = routed[routed["mode"] == "sea"]

    where = {p.locode: (p.lon, p.lat) for group in ports().values() for p in group}
    chosen = sea.sample(min(args.sample, len(sea)), random_state=random.Random(7).randrange(2**31))
    searoute.searoute([0.0, 50.0], [1.0, 51.0])  # load searoute's graphs before timing
    began = time.perf_counter()
    lengths = [
        searoute.searoute(
            list(where[row.origin_port]),
            list(where[row.destination_port]),
            restrictions=["northwest", "bering"],
        ).properties["length"]
        for row in chosen.itertuples(index=False)
    ]
    theirs = (time.perf_counter() - began) / len(chosen)
    differences = [abs(a - b) / b for a, b in zip(chosen["distance_km"], lengths, strict=True) if b > 0]

    modes = routed["mode"].value_counts()
    print(
        f"{len(pairs):,} trade pairs: {modes.get('sea', 0):,} by sea, {modes.get('overland', 0):,} overland, "
        f"{modes.get('unrouted', 0):,} unrouted"
    )
    print(f"network built once in {built:.2f} s")
    print(
        f"critmin route_pairs, all pairs: {ours:.2f} s ({ours / len(pairs) * 1e3:.3f} ms a pair), "
        f"peak {peak / 2**20:.0f} MiB traced"
    )
    print(
        f"baseline searoute.searoute(): {theirs * 1e3:.1f} ms a pair over {len(chosen)} pairs, "
        f"so {theirs * len(sea):.0f} s for the {len(sea):,} sea pairs"
    )
    print(f"ratio critmin / baseline, all sea pairs: x{ours / (theirs * len(sea)):.4f}")
    print(f"distance agreement on the sample: max relative difference {max(differences):.2e}")


if __name__ == "__main__":
    main()
