"""The cascade for one draw, in plain Python over nodes and links, keeping every link's change.

The same model as :func:`critmin.scenarios.cascade.propagate` (see its docstring), written as
loops over lists so that it can be read line by line against the description, and so that each
link's export cut, import raise and transmitted shock are kept. Deterministic scenarios run it to
say which suppliers a country's loss came through; the tests and the benchmark compare it with the
batched engine.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from critmin.scenarios.cascade import TRIGGER_SLACK
from critmin.scenarios.spec import CascadeParameters


@dataclass
class OneDraw:
    """One draw's outcome: per node lists and per link dictionaries, tonnes over the horizon."""

    received: list[float]
    stock_drawn: list[float]
    consumption_cut: list[float]
    exports_cut: list[float]
    imports_raised: list[float]
    unresolved: list[float]
    rounds: int = 0
    flow_cut: dict[tuple[int, int], float] = field(default_factory=lambda: defaultdict(float))
    flow_raised: dict[tuple[int, int], float] = field(default_factory=lambda: defaultdict(float))
    """``(exporter, importer)``: tonnes each link lost to export cuts, and gained from requests for more.

    A cut of ``i -> j`` is a shock passed from ``i`` to ``j``; a raise of ``k -> i`` a shock passed from
    ``i`` to ``k``.

    """


def propagate_one(
    flows: np.ndarray,
    consumption: list[float] | np.ndarray,
    shock: list[float] | np.ndarray,
    params: CascadeParameters | None = None,
    *,
    stocks: list[float] | np.ndarray | None = None,
    trigger: list[float] | np.ndarray | None = None,
    node_open: list[float] | np.ndarray | None = None,
    pair_open: np.ndarray | None = None,
    export_capacity: list[float] | np.ndarray | None = None,
) -> OneDraw:
    """Run the cascade for one draw (arguments as :func:`~critmin.scenarios.cascade.propagate`, one row)."""
    params = params or CascadeParameters()
    n = len(shock)
    out_links: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    in_links: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for i, j in zip(*np.nonzero(flows), strict=True):
        out_links[int(i)].append((int(j), float(flows[i, j])))
        weight = float(flows[i, j]) * (1.0 if pair_open is None else float(pair_open[i, j]))
        if node_open is not None:
            weight *= float(node_open[i])
        if weight > 0:
            in_links[int(j)].append((int(i), weight))
    exports = [sum(f for _, f in links) for links in out_links]
    im_open = [sum(w for _, w in links) for links in in_links]
    ex_left = list(exports) if export_capacity is None else [float(x) for x in export_capacity]

    cons_left = [float(c) for c in consumption]
    stock_left = [0.0] * n if stocks is None else [float(s) for s in stocks]
    trigger_at = [0.0] * n if trigger is None else [float(t) for t in trigger]

    r = [float(s) for s in shock]
    result = OneDraw(list(r), [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n)
    threshold = params.tolerance * sum(r)
    for rounds in range(1, params.max_rounds + 1):
        if sum(r) <= threshold:
            break
        result.rounds = rounds
        nxt = [0.0] * n
        for i in range(n):
            if r[i] <= 0:
                continue
            remaining = r[i]
            if result.received[i] >= trigger_at[i] * TRIGGER_SLACK:
                take = min(remaining, stock_left[i])
                stock_left[i] -= take
                result.stock_drawn[i] += take
                remaining -= take
            absorbed = min(params.absorb_share * remaining, cons_left[i])
            result.consumption_cut[i] += absorbed
            cons_left[i] -= absorbed
            remaining -= absorbed
            capacity = ex_left[i] + im_open[i]
            to_ex = min(remaining * ex_left[i] / capacity, ex_left[i], remaining) if capacity > 0 else 0.0
            to_im = remaining - to_ex if im_open[i] > 0 else 0.0
            rest = remaining - to_ex - to_im
            forced = min(rest, cons_left[i])
            result.consumption_cut[i] += forced
            cons_left[i] -= forced
            result.unresolved[i] += rest - forced
            ex_left[i] -= to_ex
            result.exports_cut[i] += to_ex
            result.imports_raised[i] += to_im
            for j, f in out_links[i]:
                moved = to_ex * f / exports[i]
                result.flow_cut[(i, j)] += moved
                nxt[j] += moved
            for k, w in in_links[i]:
                moved = to_im * w / im_open[i]
                result.flow_raised[(k, i)] += moved
                nxt[k] += moved

        r = nxt
        for i in range(n):
            result.received[i] += r[i]
    for i in range(n):
        result.unresolved[i] += r[i]
    return result
