r"""Chokepoint closures as a disruption source of the Monte Carlo.

A chokepoint :math:`c` closes in a year with probability :math:`q_c`, for :math:`D_c` days, to a
fraction :math:`\phi_c` of the flows whose sea route passes it (defaults: the record of past
closures, :func:`critmin.sealanes.reference.closure_rates`; every one can be overridden).
Closures are independent of each other and of the supplier disruptions, drawn from their own
stream (``SeedSequence(seed, spawn_key=(chunk, 0))``), so adding them leaves the suppliers' draws
as they were.

A closure hits each passing flow :math:`F_{ej}` (annual tonnes) as the deterministic
``chokepoint_closure`` event does (:mod:`critmin.scenarios.run`), over the Monte Carlo's year:

- a flow with another sea route (:func:`critmin.sealanes.routes.closure_effect`) is late by the
  extra sailing days :math:`x_{ej}`: importer :math:`j` loses :math:`\phi_c F_{ej} \min(x_{ej}, D_c) / 365`;
- a flow with none is stopped: :math:`j` loses :math:`\phi_c F_{ej} D_c / 365` and the exporter
  keeps those tonnes, as a disrupted supplier keeps what it withholds (they cover its own
  shortfalls and it cannot be asked for them: its ``node_open`` falls by their share of its exports).

When supplier :math:`e` is disrupted in the same draw (withholding :math:`f_e`), the closure hits
the :math:`(1 - f_e)` it still ships. When several chokepoints close in one draw, each flow loses
the largest of its losses under each closure alone, and is stopped if any of them stops it; this
is a lower bound where the way round one closed chokepoint passes another closed one (the
Cape of Good Hope closed with Suez), which the rates make rare (below 3 in 10,000 years by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from critmin.scenarios.disruption import DisruptionModel
from critmin.scenarios.network import Network

STREAM = 0
"""Spawn key, under the chunk's, of the closures' random stream."""


@dataclass(frozen=True)
class LaneRisk:
    """The chokepoints one network's flows pass, their closure rates and what a closure costs."""

    ids: tuple[str, ...]
    probability: np.ndarray
    duration_days: np.ndarray
    fraction: np.ndarray
    basis: tuple[str, ...]
    stopped: np.ndarray
    """``(C, n, n)``: tonnes of each flow a closure of ``c`` stops (kept by the exporter)."""
    late: np.ndarray
    """``(C, n, n)``: tonnes of each flow a closure of ``c`` delays past the year (way round)."""
    flows_passing: np.ndarray
    flows_stopped: np.ndarray
    provenance: str

    @property
    def tonnes(self) -> np.ndarray:
        """``(C,)``: tonnes a closure of each chokepoint alone takes from the importers."""
        return np.asarray((self.stopped + self.late).sum(axis=(1, 2)))

    def frame(self) -> pd.DataFrame:
        """One row per chokepoint: probability, days, fraction, flows passing and stopped, tonnes."""
        return pd.DataFrame(
            {
                "chokepoint": list(self.ids),
                "probability": self.probability,
                "duration_days": self.duration_days,
                "fraction": self.fraction,
                "flows_passing": self.flows_passing,
                "flows_stopped": self.flows_stopped,
                "tonnes_at_stake": self.tonnes,
                "basis": list(self.basis),
            }
        )


def drawn_chokepoints(model: DisruptionModel) -> list[str]:
    """The chokepoint ids whose closures the model draws (none unless asked for)."""
    from critmin.sealanes.reference import chokepoints

    named = set(model.chokepoint_probabilities) | set(model.chokepoint_days)
    return [c.id for c in chokepoints() if model.chokepoints or c.id in named]


def calibrate_lanes(model: DisruptionModel, network: Network) -> LaneRisk | None:
    """The network's chokepoint closures under ``model``, or None when it draws none or none is passed."""
    from critmin.sealanes.network import ROUTING
    from critmin.sealanes.reference import closure_rates
    from critmin.sealanes.routes import closure_effects

    wanted = drawn_chokepoints(model)
    if not wanted:
        return None
    rates = closure_rates()
    exporters, importers = np.nonzero(network.flows)
    pairs = [(network.nodes[e], network.nodes[j]) for e, j in zip(exporters, importers, strict=True)]
    effects = closure_effects(pairs, wanted)
    n = network.size
    kept: list[tuple[str, float, int, float, str, np.ndarray, np.ndarray, int, int]] = []
    for cid in wanted:
        rate = rates[cid]
        effect = effects[cid]
        effect = effect[effect["passes"]]
        if effect.empty:
            continue
        days = int(model.chokepoint_days.get(cid, rate.duration_days))
        probability = float(model.chokepoint_probabilities.get(cid, rate.probability))
        basis = "override" if cid in model.chokepoint_probabilities else rate.basis
        e = np.array([network.index(c) for c in effect["exporter"]], dtype=int)
        j = np.array([network.index(c) for c in effect["importer"]], dtype=int)
        base = rate.fraction * network.flows[e, j] / 365.0
        rerouted = effect["rerouted"].to_numpy(dtype=bool)
        extra = np.minimum(effect["extra_days"].fillna(0.0).to_numpy(dtype=float), days)
        stopped, late = np.zeros((n, n)), np.zeros((n, n))
        stopped[e[~rerouted], j[~rerouted]] = base[~rerouted] * days
        late[e[rerouted], j[rerouted]] = base[rerouted] * extra[rerouted]
        kept.append(
            (cid, probability, days, rate.fraction, basis, stopped, late, len(e), int((~rerouted).sum()))
        )
    if not kept:
        return None
    columns = list(zip(*kept, strict=True))
    return LaneRisk(
        ids=tuple(columns[0]),
        probability=np.array(columns[1], dtype=float),
        duration_days=np.array(columns[2], dtype=int),
        fraction=np.array(columns[3], dtype=float),
        basis=tuple(columns[4]),
        stopped=np.stack(columns[5]),
        late=np.stack(columns[6]),
        flows_passing=np.array(columns[7], dtype=int),
        flows_stopped=np.array(columns[8], dtype=int),
        provenance=f"closure rates: critmin chokepoint_disruptions.csv (1950-2025); {ROUTING}",
    )


def sample_closures(lanes: LaneRisk, size: int, seed: int, chunk: int) -> np.ndarray:
    """``(size, C)`` booleans: which chokepoints close in each draw of chunk ``chunk``."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk, STREAM)))
    return np.asarray(rng.random((size, len(lanes.ids))) < lanes.probability)


def closure_shocks(
    lanes: LaneRisk, closed: np.ndarray, flows: np.ndarray, shock: np.ndarray, node_open: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The supplier shocks ``(shock, node_open)`` of a batch with the batch's closures added.

    ``closed`` is the batch's ``(draws, C)`` rows of :func:`sample_closures`; the arrays are
    ``(draws, n)`` and come back as new arrays.
    """
    shock, node_open = shock.copy(), node_open.copy()
    exports = flows.sum(axis=1)
    count = closed.sum(axis=1)
    withheld = np.zeros_like(shock)
    for c in range(len(lanes.ids)):
        rows = np.flatnonzero(closed[:, c] & (count == 1))
        if len(rows):
            still = node_open[rows]
            shock[rows] += still @ (lanes.stopped[c] + lanes.late[c])
            withheld[rows] += still * lanes.stopped[c].sum(axis=1)
    for row in np.flatnonzero(count > 1):
        which = np.flatnonzero(closed[row])
        stopped = lanes.stopped[which].max(axis=0)
        total = np.maximum(stopped, (lanes.stopped[which] + lanes.late[which]).max(axis=0))
        shock[row] += node_open[row] @ total
        withheld[row] += node_open[row] * stopped.sum(axis=1)
    share = np.divide(withheld, exports, out=np.zeros_like(withheld), where=exports > 0)
    node_open -= share
    np.clip(node_open, 0.0, 1.0, out=node_open)
    return shock, node_open


def closure_alone(lanes: LaneRisk, flows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(shock, node_open)`` of ``(C, n)``: each chokepoint closed alone, no supplier disrupted."""
    n = flows.shape[0]
    closed = np.eye(len(lanes.ids), dtype=bool)
    none = np.zeros((len(lanes.ids), n))
    return closure_shocks(lanes, closed, flows, none, np.ones((len(lanes.ids), n)))


def overrides_unpassed(model: DisruptionModel, passed: Mapping[str, object]) -> list[str]:
    """Chokepoints given a probability or length that no flow of any network passes."""
    named = set(model.chokepoint_probabilities) | set(model.chokepoint_days)
    return sorted(c for c in named if c not in passed)
