r"""Monte Carlo of random supplier disruptions on commodity trade networks: what a country could lose.

Each draw is one year: suppliers are disrupted at random (:mod:`critmin.scenarios.disruption`:
probability from WGI political stability, Beta severity, optional correlation), each disruption is
an export restriction, and the cascade (:mod:`critmin.scenarios.cascade`) spreads the shock over
the network. Draws are propagated in batches, NumPy over the draws axis.

A country's **loss** in a draw is its consumption cut after stocks (``CascadeResult.consumption_cut``,
tonnes over the year; the Monte Carlo holds no stockpiles, so stocks drawn are zero). Per country
and network, over the :math:`N` draws:

- ``expected_loss_t``: the mean loss, and ``expected_share`` = mean loss / apparent consumption;
- ``p95_t``: the 95th percentile (``numpy.quantile``, linear interpolation);
- ``cvar95_t``: the mean of the :math:`K = \lceil 0.05 N \rceil` largest losses (never below
  ``p95_t`` nor the mean);
- ``p_loss_above_<X>pct``: the share of draws whose loss exceeds :math:`X`\ % of consumption;
- each supplier's **contribution** to ``cvar95_t``, an Euler-style allocation. Let
  :math:`R_{kj}` be :math:`j`'s loss when supplier :math:`k` alone withholds all its exports (one
  cascade, one draw per supplier). In a tail draw :math:`d` with severities :math:`f_k(d)`, the
  loss :math:`L_j(d)` is shared among the disrupted suppliers in proportion to their linear
  estimate :math:`f_k(d) R_{kj}`:

  .. math:: c_{kj} = \frac{1}{K} \sum_{d \in \text{tail}_j} L_j(d)
            \frac{f_k(d) R_{kj}}{\sum_{k'} f_{k'}(d) R_{k'j}}

  (where all :math:`f_k(d) R_{kj}` of a tail draw are zero, the shares follow the tonnes withheld,
  :math:`f_k(d) X_k`). The contributions sum to ``cvar95_t``.

Draws are generated in chunks of ``chunk_size`` draws (chunk ``c`` seeded by
``SeedSequence(seed).spawn(n_chunks)[c]``) and propagated in batches of ``batch_size``; both are
parameters of the call, not of the machine, so the numbers are the same in-process and on Dask
(:mod:`critmin.scenarios.distributed`). The cascade is :func:`critmin.scenarios.fastcascade.consumption_cut`
(float32 on sparse flows, within the tolerance of the float64 engine; each draw's numbers do not
depend on its batch). A chunk returns the losses of the asked countries (``8 N`` bytes per country
and network: 64 MB for 8 countries at a million draws) and its disruptions as sparse entries
(:class:`Sources`, 16 bytes a hit: about 120 MB at a million draws on the rare-earth network), which
the contributions read rather than drawing them again; no task or result holds a draws × suppliers
array. The response cascades :math:`R` run once per network, as tasks beside the chunks.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from critmin.api import Critmin
from critmin.metrics import provenance
from critmin.scenarios.disruption import (
    DisruptionModel,
    SupplierRisk,
    calibrate,
    cascade_terms,
    overrides_unknown,
    sample,
    shocks,
)
from critmin.scenarios.distributed import Executor, Progress, get_executor
from critmin.scenarios.fastcascade import SparseFlows, consumption_cut
from critmin.scenarios.lanes import (
    LaneRisk,
    calibrate_lanes,
    closure_alone,
    closure_shocks,
    overrides_unpassed,
    sample_closures,
)
from critmin.scenarios.network import Network, build_network, resolve_good
from critmin.scenarios.spec import CascadeParameters, ScenarioError

THRESHOLDS = (0.05, 0.10, 0.25)
"""Default shares of consumption for ``p_loss_above_<X>pct``."""
MONTECARLO_CASCADE = CascadeParameters(tolerance=1e-3)
"""Cascade parameters of the Monte Carlo unless given: the shock still moving is followed down to
0.1% of each draw's initial shock (sampling error over draws is larger than that)."""
TAIL = 0.05
LANE_COLUMNS = [
    "network", "commodity", "stage", "year", "chokepoint", "probability", "duration_days", "fraction",
    "flows_passing", "flows_stopped", "tonnes_at_stake", "basis", "provenance",
]  # fmt: skip


@dataclass(frozen=True)
class Job:
    """What every chunk of one network needs (sent to a cluster once)."""

    flows: np.ndarray
    consumption: np.ndarray
    risk: SupplierRisk
    asked: np.ndarray
    params: CascadeParameters
    seed: int
    batch_size: int
    stocks: np.ndarray | None = None
    """Tonnes of stock each node holds (``stock_days`` of its apparent consumption), or none."""
    lanes: LaneRisk | None = None
    """The chokepoint closures drawn besides the suppliers' disruptions, or none."""
    network: SparseFlows = field(init=False, repr=False)
    """The flows in the sparse float32 form the cascade runs on, built here once per network."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "network", SparseFlows.of(self.flows))

    def terms(self, node_open: np.ndarray) -> dict[str, np.ndarray]:
        """The cascade's keyword arguments: the disrupted suppliers' terms, plus the stockpiles."""
        terms = cascade_terms(self.flows, node_open)
        if self.stocks is not None:
            terms["stocks"] = terms["stocks"] + self.stocks
        return terms


@dataclass(frozen=True)
class Sources:
    """A chunk's disruptions, sparse: one entry per (draw, source) hit, suppliers then chokepoints.

    Returned with the chunk's losses so that the CVaR contributions read them instead of drawing
    them again (drawing was about a fifth of a run); 16 bytes a hit, against the losses' 8 bytes a
    draw and country.
    """

    draw: np.ndarray
    """Draw of each entry, within the chunk (int32)."""
    source: np.ndarray
    """Supplier position (into :attr:`SupplierRisk.nodes`), or suppliers + chokepoint position (int32)."""
    severity: np.ndarray
    """Share of the supplier's exports withheld (1 for a closure)."""


def run_chunk(job: Job, chunk: int, size: int) -> tuple[np.ndarray, Sources]:
    """Losses ``(size, asked countries)`` of chunk ``chunk`` and its disruptions, in batches."""
    disruptions = sample(job.risk, size, job.seed, chunk)
    closed = sample_closures(job.lanes, size, job.seed, chunk) if job.lanes else None
    losses = np.empty((size, len(job.asked)))
    for start in range(0, size, job.batch_size):
        rows = slice(start, min(size, start + job.batch_size))
        shock, node_open = shocks(disruptions, job.risk, job.flows, rows)
        if job.lanes is not None and closed is not None and closed[rows].any():
            shock, node_open = closure_shocks(job.lanes, closed[rows], job.flows, shock, node_open)
        cut = consumption_cut(job.network, job.consumption, shock, job.params, **job.terms(node_open))
        losses[rows] = cut[:, job.asked]
    sources = Sources(disruptions.draw, disruptions.supplier, disruptions.severity)
    if closed is not None:
        shut_draw, shut = np.nonzero(closed)
        sources = Sources(
            np.concatenate([sources.draw, shut_draw.astype(np.int32)]),
            np.concatenate([sources.source, (len(job.risk.nodes) + shut).astype(np.int32)]),
            np.concatenate([sources.severity, np.ones(len(shut))]),
        )
    return losses, sources


def simulate_chunk(job: Job, chunk: int, size: int) -> np.ndarray:
    """Losses ``(size, asked countries)`` of chunk ``chunk`` (:func:`run_chunk` without the disruptions)."""
    return run_chunk(job, chunk, size)[0]


RESPONSE = "response"
DRAWS = "draws"


def run_task(job: Job, part: str, chunk: int, size: int) -> Any:
    """One task of a run: a chunk's :func:`run_chunk`, or (``part == RESPONSE``) the job's responses.

    The responses are :func:`response_matrix` then :func:`closure_response`, one row per source;
    they run as tasks beside the chunks, so that a cluster computes them in parallel.
    """
    if part == RESPONSE:
        return np.concatenate([response_matrix(job), closure_response(job)])
    return run_chunk(job, chunk, size)


def response_matrix(job: Job) -> np.ndarray:
    """``R[k, j]``: loss of asked country ``j`` when supplier ``k`` alone withholds all its exports."""
    nodes = job.risk.nodes
    node_open = np.ones((len(nodes), len(job.flows)))
    node_open[np.arange(len(nodes)), nodes] = 0.0
    return _asked_cut(job, job.flows[nodes], node_open)


def closure_response(job: Job) -> np.ndarray:
    """``R[c, j]``: loss of asked country ``j`` when chokepoint ``c`` alone closes (none: ``(0, j)``)."""
    if job.lanes is None:
        return np.zeros((0, len(job.asked)))
    return _asked_cut(job, *closure_alone(job.lanes, job.flows))


def _asked_cut(job: Job, shock: np.ndarray, node_open: np.ndarray) -> np.ndarray:
    """The asked countries' consumption cut, one row per row of ``shock`` and ``node_open``."""
    cut = consumption_cut(job.network, job.consumption, shock, job.params, **job.terms(node_open))
    return np.asarray(cut[:, job.asked])


@dataclass
class MonteCarloResult:
    """Per country × network risk figures, supplier contributions and the per-draw losses."""

    summary: pd.DataFrame
    """Per network and country: ``consumption_t``, ``expected_loss_t``, ``p95_t``, ``cvar95_t``, the
    same as ``*_share`` of consumption, ``p_loss_above_<X>pct``, ``note``, the run's ``draws``,
    ``seed``, ``tolerance``, ``absorb_share``, ``rho`` and ``provenance`` (network and WGI)."""
    contributions: pd.DataFrame
    """Per network, country and supplier with a positive share: ``probability``, ``severity_mean``,
    ``response_t`` (the country's loss if the supplier alone stopped), ``contribution_t`` (summing to
    ``cvar95_t``), ``share_of_cvar95``, ``provenance``."""
    suppliers: pd.DataFrame
    """Per network and supplier: calibrated ``probability``, ``severity_mean``, ``pv`` and ``basis``."""
    losses: dict[str, np.ndarray] = field(repr=False)
    """Per network label: the ``(n, countries)`` losses in tonnes, columns in ``countries`` order."""
    countries: tuple[str, ...]
    parameters: dict[str, Any]
    executor: str
    chokepoints: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per network and chokepoint drawn that a flow passes: ``probability``, ``duration_days``,
    ``fraction``, ``flows_passing``, ``flows_stopped``, ``tonnes_at_stake`` (a closure alone),
    ``basis``, ``provenance``. Empty unless the model draws closures."""


def networks_for(
    db: Critmin, commodities: Sequence[str], *, year: int | None = None, stage: str | None = None
) -> list[Network]:
    """One network per commodity and stage (each traded stage unless ``stage``), latest year with trade."""
    table = db.hs_codes()
    table = table[table["nomenclature"] == "HS92"]
    out = []
    for name in commodities:
        commodity = db.commodity_id(name)
        stages = [stage] if stage else sorted(table.loc[table["commodity"] == commodity, "stage"].unique())
        if not stages:
            raise ScenarioError(f"commodities: no HS92 codes map to {commodity}, so it has no trade network")
        for one in stages:
            codes = resolve_good(db, commodity, None, one, "HS92")[2]
            when = year
            if when is None:
                years = db.trade(hs6=list(codes))["year"]
                if years.empty:
                    raise ScenarioError(f"commodities: no trade in {commodity} ({one}) in the store")
                when = int(years.max())
            out.append(build_network(db, when, commodity=commodity, stage=one))
    return out


def run_montecarlo(
    source: Critmin | Network | Sequence[Network],
    countries: Sequence[str] | None,
    commodities: Sequence[str] | None = None,
    *,
    n: int = 10_000,
    seed: int = 0,
    year: int | None = None,
    stage: str | None = None,
    model: DisruptionModel | None = None,
    governance: pd.DataFrame | None = None,
    params: CascadeParameters | None = None,
    thresholds: Sequence[float] = THRESHOLDS,
    chunk_size: int = 20_000,
    batch_size: int = 500,
    scheduler: str | None = None,
    executor: Executor | None = None,
    progress: Progress | None = None,
    stock_days: Mapping[str, float] | None = None,
) -> MonteCarloResult:
    """Run ``n`` random years of supplier disruptions on each network and summarise the losses.

    Parameters
    ----------
    source
        A store (networks are built for ``commodities``) or ready networks.
    countries
        ISO3 codes to report (``None``: every node of each network; memory ``8 n`` bytes each).
    commodities
        Catalog commodities, when ``source`` is a store; each traded stage is its own network
        unless ``stage`` is given. The year is ``year`` or the latest with trade.
    n, seed
        Draws per network and the seed; the same ``(seed, chunk_size)`` gives the same numbers
        on any executor and with any ``batch_size``.
    model
        Disruption parameters (default :class:`~critmin.scenarios.disruption.DisruptionModel()`).
    governance
        WGI rows (default ``db.governance(indicator="pv")`` when ``source`` is a store).
    params
        Cascade parameters (default :data:`MONTECARLO_CASCADE`, tolerance 1e-3).
    thresholds
        Shares of consumption for the probabilities of a loss above them.
    chunk_size, batch_size
        Draws per task (each chunk is seeded apart) and per call of the cascade (speed and
        memory only: a draw's numbers do not depend on its batch).
    scheduler, executor
        A Dask scheduler address, or an executor; default :func:`~critmin.scenarios.distributed.get_executor`.
    progress
        ``progress(done, total)`` in draws over all networks, as chunks finish.
    stock_days
        Stockpiles: days of apparent consumption each country holds, released as needed (what
        stockpiles buy: compare the losses with and without). The loss stays the consumption cut.
    """
    model = model or DisruptionModel()
    params = params or MONTECARLO_CASCADE
    _check(n, chunk_size, batch_size, thresholds)
    if isinstance(source, Critmin):
        if not commodities:
            raise ScenarioError("commodities: name at least one commodity")
        networks = networks_for(source, commodities, year=year, stage=stage)
        if governance is None and model.probability is None:
            governance = source.governance(indicator="pv")
    else:
        networks = [source] if isinstance(source, Network) else list(source)
    labels = [f"{net.label}/{net.stage}/{net.year}" for net in networks]
    if len(set(labels)) != len(labels):
        raise ScenarioError(f"the same network appears twice: {labels}")
    wanted = (
        tuple(countries)
        if countries is not None
        else tuple(sorted({c for net in networks for c in net.nodes}))
    )
    jobs = []
    for net in networks:
        risk = calibrate(model, net.nodes, net.exports, net.year, governance)
        asked = np.array([net.index(c) if net.has(c) else -1 for c in wanted], dtype=int)
        stocks = _stocks(net, stock_days or {})
        lanes = calibrate_lanes(model, net)
        jobs.append(Job(net.flows, net.consumption, risk, asked, params, seed, batch_size, stocks, lanes))
    unknown = overrides_unknown(model, {code: 1 for job in jobs for code in job.risk.codes})
    if unknown:
        raise ScenarioError(f"probabilities/severity_means: {', '.join(unknown)} supply none of the networks")
    unpassed = overrides_unpassed(model, {c: 1 for job in jobs if job.lanes for c in job.lanes.ids})
    if unpassed:
        raise ScenarioError(
            f"chokepoint_probabilities/chokepoint_days: no flow of the networks passes {', '.join(unpassed)}"
        )
    chunks = [(start, min(chunk_size, n - start)) for start in range(0, n, chunk_size)]
    tasks = _tasks(jobs, chunks)
    runner = executor or get_executor(scheduler)
    runnable = [_runnable(job) for job in jobs]
    weights = [t[3] for t in tasks]
    done = runner.map(run_task, runnable, tasks, weights=weights, progress=_on_draws(progress))
    results = {(task[0], task[1], task[2]): out for task, out in zip(tasks, done, strict=True)}
    parameters: dict[str, Any] = {
        "draws": n,
        "seed": seed,
        "tolerance": params.tolerance,
        "absorb_share": params.absorb_share,
        "max_rounds": params.max_rounds,
        "rho": model.rho,
        "chunk_size": chunk_size,
        "batch_size": batch_size,
        "model": model.model_dump(),
        "stock_days": dict(stock_days or {}),
    }
    summaries, contributions, suppliers, lanes_frames, losses = [], [], [], [], {}
    for i, (net, job) in enumerate(zip(networks, jobs, strict=True)):
        loss = np.zeros((n, len(wanted)))
        loss[:, job.asked >= 0] = np.concatenate([results[i, DRAWS, c][0] for c in range(len(chunks))])
        sources = [results[i, DRAWS, c][1] for c in range(len(chunks))]
        head: dict[str, Any] = {"network": labels[i], "commodity": net.commodity, "stage": net.stage}
        head["year"] = net.year
        prov = provenance.join(
            [net.provenance, job.risk.provenance, job.lanes.provenance if job.lanes else ""]
        )
        table = _risk_table(wanted, job, net.consumption, loss, thresholds)
        response = results[i, RESPONSE, 0]
        contrib = _contribution_table(wanted, job, net.exports, loss, chunks, sources, response, table)
        for key in ("draws", "seed", "tolerance", "absorb_share", "rho"):
            table[key] = parameters[key]
        summaries.append(table.assign(**head, provenance=prov))
        contributions.append(contrib.assign(**head, provenance=prov))
        suppliers.append(job.risk.frame().assign(**head, provenance=job.risk.provenance))
        if job.lanes is not None:
            lanes_frames.append(job.lanes.frame().assign(**head, provenance=job.lanes.provenance))
        losses[labels[i]] = loss
    return MonteCarloResult(
        summary=_stack(summaries),
        contributions=_stack(contributions),
        suppliers=_stack(suppliers),
        losses=losses,
        countries=wanted,
        parameters=parameters,
        executor=runner.description,
        chokepoints=_stack(lanes_frames) if lanes_frames else pd.DataFrame(columns=LANE_COLUMNS),
    )


def _check(n: int, chunk_size: int, batch_size: int, thresholds: Sequence[float]) -> None:
    for name, value in (("n", n), ("chunk_size", chunk_size), ("batch_size", batch_size)):
        if value < 1:
            raise ScenarioError(f"{name} must be at least 1, not {value}")
    bad = [t for t in thresholds if not 0 <= t <= 1]
    if bad:
        raise ScenarioError(f"thresholds must be shares of consumption in [0, 1], not {bad}")


def _tasks(jobs: list[Job], chunks: list[tuple[int, int]]) -> list[tuple[int, str, int, int]]:
    """``(job, part, chunk, size)``: each job's responses and chunks, the costliest first.

    A task's cost is taken as its draws times its network's links (the response tasks, whose
    full stops take the most rounds, go first); on a cluster, starting the long tasks first
    keeps both workers busy to the end when small and large networks are mixed.
    """
    tasks = [(i, RESPONSE, 0, 0) for i in range(len(jobs))]
    tasks += [(i, DRAWS, c, size) for i in range(len(jobs)) for c, (_, size) in enumerate(chunks)]

    def cost(task: tuple[int, str, int, int]) -> tuple[bool, int]:
        return task[1] != RESPONSE, -task[3] * jobs[task[0]].network.flows.nnz

    return sorted(tasks, key=cost)


def _on_draws(progress: Progress | None) -> Progress | None:
    """``progress``, called only when more draws are done (a response task finishing adds none)."""
    if progress is None:
        return None
    reported = [0]

    def report(done: int, total: int) -> None:
        if done > reported[0]:
            reported[0] = done
            progress(done, total)

    return report


def _runnable(job: Job) -> Job:
    """The job with only the asked countries that are nodes (absent ones get zero losses afterwards)."""
    return dataclasses.replace(job, asked=job.asked[job.asked >= 0])


def _stocks(network: Network, stock_days: Mapping[str, float]) -> np.ndarray | None:
    """Each node's stock in tonnes: ``days`` of its apparent consumption (places not in the network skip)."""
    if not stock_days:
        return None
    stocks = np.zeros(network.size)
    for code, days in stock_days.items():
        if days < 0:
            raise ScenarioError(f"stock_days: {code}: days of cover must be >= 0, not {days}")
        if network.has(code):
            stocks[network.index(code)] = days * network.consumption[network.index(code)] / 365.0
    return stocks


def _tail(loss: np.ndarray) -> np.ndarray:
    r"""The draws of the :math:`\lceil 0.05 N \rceil` largest losses."""
    k = max(1, math.ceil(TAIL * len(loss)))
    return np.argpartition(loss, len(loss) - k)[len(loss) - k :]


def _risk_table(
    wanted: tuple[str, ...], job: Job, consumption: np.ndarray, loss: np.ndarray, thresholds: Sequence[float]
) -> pd.DataFrame:
    """Expected loss, p95, CVaR95 and the probabilities of a loss above each threshold, per country."""
    present = job.asked >= 0
    use = np.where(present, consumption[job.asked], 0.0)
    table = pd.DataFrame({"country": list(wanted), "consumption_t": use})
    table["note"] = np.where(present, "", "not in the network: neither trades nor produces it")
    table["expected_loss_t"] = loss.mean(axis=0)
    table["p95_t"] = np.quantile(loss, 1 - TAIL, axis=0)
    table["cvar95_t"] = [loss[_tail(loss[:, c]), c].mean() for c in range(len(wanted))]
    scale = np.divide(1.0, use, out=np.full(len(use), np.nan), where=use > 0)
    for name in ("expected", "p95", "cvar95"):
        table[f"{name}_share"] = table[f"{name}_loss_t" if name == "expected" else f"{name}_t"] * scale
    for x in thresholds:
        table[f"p_loss_above_{x * 100:g}pct"] = np.where(use > 0, (loss > x * use).mean(axis=0), 0.0)
    return table


def _contribution_table(
    wanted: tuple[str, ...],
    job: Job,
    exports: np.ndarray,
    loss: np.ndarray,
    chunks: list[tuple[int, int]],
    sources: list[Sources],
    responses: np.ndarray,
    table: pd.DataFrame,
) -> pd.DataFrame:
    """Each source's contribution to each asked country's CVaR95 (rows with a positive one).

    Sources are the suppliers and, when the model draws closures, the chokepoints (after the
    suppliers, with severity 1 and their closure's tonnes as what they withhold); ``sources`` holds
    each chunk's disruptions and ``responses`` the asked countries' losses under each source alone
    (:func:`run_task`), read one chunk at a time.
    """
    present = np.flatnonzero(job.asked >= 0)
    lanes = job.lanes
    suppliers = len(job.risk.nodes)
    count = suppliers + (len(lanes.ids) if lanes else 0)
    response = np.zeros((count, len(wanted)))
    response[:, present] = responses
    withheld = np.concatenate([exports[job.risk.nodes], lanes.tonnes if lanes else np.zeros(0)])
    tails = {c: _tail(loss[:, c]) for c in present}
    position = {c: np.full(len(loss), -1, dtype=np.int64) for c in present}
    for c in present:
        position[c][tails[c]] = np.arange(len(tails[c]))
    amounts = np.zeros((count, len(wanted)))
    for (start, _), drawn in zip(chunks, sources, strict=True):
        draw = drawn.draw.astype(np.int64) + start
        entries = (drawn.source.astype(np.int64), drawn.severity)
        for c in present:
            amounts[:, c] += _allocate(loss[:, c], draw, position[c][draw], entries, response[:, c], withheld)
    names = [*job.risk.codes, *(lanes.ids if lanes else ())]
    kinds = np.array(["supplier"] * suppliers + ["chokepoint"] * (count - suppliers))
    probability = np.concatenate([job.risk.probability, lanes.probability if lanes else np.zeros(0)])
    severity_mean = np.concatenate([job.risk.severity_mean, lanes.fraction if lanes else np.zeros(0)])
    frames = []
    for c in present:
        share = amounts[:, c] / len(tails[c])
        hit = np.flatnonzero(share > 0)
        cvar = float(table["cvar95_t"].iloc[c])
        frames.append(
            pd.DataFrame(
                {
                    "country": wanted[c],
                    "supplier": [names[s] for s in hit],
                    "kind": kinds[hit],
                    "probability": probability[hit],
                    "severity_mean": severity_mean[hit],
                    "response_t": response[hit, c],
                    "contribution_t": share[hit],
                    "share_of_cvar95": share[hit] / cvar if cvar > 0 else np.nan,
                }
            ).sort_values("contribution_t", ascending=False)
        )
    columns = ["country", "supplier", "kind", "probability", "severity_mean", "response_t", "contribution_t"]
    frames = [f for f in frames if len(f)]
    empty = pd.DataFrame(columns=[*columns, "share_of_cvar95"])
    return pd.concat(frames, ignore_index=True) if frames else empty


def _allocate(
    loss: np.ndarray,
    draw: np.ndarray,
    at: np.ndarray,
    entries: tuple[np.ndarray, np.ndarray],
    response: np.ndarray,
    withheld: np.ndarray,
) -> np.ndarray:
    """One chunk's tail losses shared among each draw's disrupted suppliers (module docstring).

    Per disruption entry: its ``draw`` (over the run), its position ``at`` in the country's tail
    (-1: not a tail draw), and in ``entries`` its supplier and severity.
    """
    keep = at >= 0
    if not keep.any():
        return np.zeros(len(response))
    draw, at = draw[keep], at[keep]
    supplier, severity = entries[0][keep], entries[1][keep]
    weight = severity * response[supplier]
    slots = int(at.max()) + 1
    total = np.bincount(at, weights=weight, minlength=slots)
    fallback = total[at] <= 0
    weight[fallback] = severity[fallback] * withheld[supplier[fallback]]
    total = np.bincount(at, weights=weight, minlength=slots)
    share = np.divide(weight, total[at], out=np.zeros_like(weight), where=total[at] > 0)
    return np.bincount(supplier, weights=loss[draw] * share, minlength=len(response))


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-network frames, the network columns first."""
    kept = [f for f in frames if len(f)] or frames[:1]
    frame = pd.concat(kept, ignore_index=True)
    first = ["network", "commodity", "stage", "year"]
    return frame[first + [c for c in frame.columns if c not in first]]
