"""The maritime network bundled with ``searoute``, each edge marked with the chokepoint gates it crosses.

searoute (Apache-2.0) ships a world maritime network (Eurostat's MARNET lines, about 9,700 nodes and
16,000 edges, weights in km). We take its graph as it is, drop the Arctic passages no mineral trade
uses (``EXCLUDED_PASSAGES``), and mark every edge that crosses a chokepoint's *gate*: a segment drawn
across the strait between two points on land (``chokepoints.csv``). A route passes a chokepoint when
one of its edges crosses the gate; the crossing test is half-open (a point on the gate line counts on
one fixed side), so a route through a node on the gate counts once and the result does not depend on
the direction of travel.

Routes are shortest paths by distance (Dijkstra over the km weights), which is what
``searoute.searoute`` computes too (``tests/test_sealanes.py`` checks the lengths agree); one
single-source run per port gives the routes from it to every other port.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from critmin.sealanes.reference import Chokepoint, chokepoints

EXCLUDED_PASSAGES = ("northwest", "bering")
"""searoute's passage tags left out: the Northwest Passage (searoute's own default) and the Bering
Strait edges that link the Pacific to the Northern Sea Route."""

METHOD_VERSION = f"searoute-{version('searoute')}/gates-1"
"""Names the routing: searoute's network release and our gate rules. Stored with every route."""

ROUTING = f"routes: {METHOD_VERSION} (searoute maritime network, critmin chokepoint gates)"
"""The routing's provenance, as every table and chart built on the routes names it."""

Point = tuple[float, float]
EARTH_KM = 6371.0


def crossed(gate: tuple[Point, Point], ends: np.ndarray) -> np.ndarray:
    """Which segments cross the gate segment: ``ends`` is (segments, 2 ends, lon/lat).

    Half-open on the gate's line: a point on it counts on one fixed side, so a path through a node
    on the gate crosses it once, and a segment crosses whichever way it is walked.
    """
    (x1, y1), (x2, y2) = gate
    gx, gy = x2 - x1, y2 - y1
    a, b = ends[:, 0, :], ends[:, 1, :]
    side_a = gx * (a[:, 1] - y1) - gy * (a[:, 0] - x1) >= 0
    side_b = gx * (b[:, 1] - y1) - gy * (b[:, 0] - x1) >= 0
    ex, ey = b[:, 0] - a[:, 0], b[:, 1] - a[:, 1]
    denominator = gx * ey - gy * ex
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((a[:, 0] - x1) * ey - (a[:, 1] - y1) * ex) / denominator
    return (side_a != side_b) & (denominator != 0) & (t >= 0) & (t <= 1)


@dataclass(frozen=True)
class Route:
    """A shortest sea route between two ports."""

    distance_km: float
    nodes: tuple[Point, ...]
    chokepoints: tuple[str, ...]
    """Chokepoint ids in the order the route passes them (from the first node)."""


class SeaNetwork:
    """searoute's maritime network with chokepoint gates; ports snap to the nearest node.

    Shortest paths run in SciPy's compiled Dijkstra (``scipy.sparse.csgraph``) on the network as a
    sparse matrix: one call gives the trees from many ports at once.
    """

    def __init__(
        self,
        gates: Sequence[Chokepoint] | None = None,
        *,
        edges: list[tuple[Point, Point, float]] | None = None,
        nodes: list[Point] | None = None,
        closed: frozenset[str] = frozenset(),
    ) -> None:
        if edges is None:
            from searoute.searoute import setup_M

            edges = [
                (u, v, float(data["weight"]))
                for u, v, data in setup_M().edges(data=True)
                if data.get("passage") not in EXCLUDED_PASSAGES
            ]
        self.edges = edges
        self.chokepoints = list(gates if gates is not None else chokepoints())
        self.closed = closed
        """Chokepoints whose gate edges this network lacks (:meth:`without`)."""
        self.nodes: list[Point] = (
            nodes if nodes is not None else sorted({n for u, v, _ in edges for n in (u, v)})
        )
        index = {node: i for i, node in enumerate(self.nodes)}
        rows = np.array([index[u] for u, _, _ in edges])
        cols = np.array([index[v] for _, v, _ in edges])
        weights = np.array([w for _, _, w in edges])
        size = len(self.nodes)
        self.matrix = csr_matrix((weights, (rows, cols)), shape=(size, size))
        self.gates: dict[tuple[int, int], tuple[str, ...]] = {}
        ends = self._ends(edges)
        crossing = [crossed(c.gate, ends) for c in self.chokepoints]
        for k in np.flatnonzero(np.any(crossing, axis=0)) if crossing else ():
            passed = tuple(c.id for c, hits in zip(self.chokepoints, crossing, strict=True) if hits[k])
            self.gates[(rows[k], cols[k])] = self.gates[(cols[k], rows[k])] = passed
        self._radians = np.radians(np.array(self.nodes, dtype=float))

    @staticmethod
    def _ends(edges: Sequence[tuple[Point, Point, float]]) -> np.ndarray:
        """The edges' end points as an array (edges, 2 ends, lon/lat)."""
        return np.array([(u, v) for u, v, _ in edges], dtype=float).reshape(len(edges), 2, 2)

    def without(self, closed: Iterable[str]) -> SeaNetwork:
        """The network with every edge across the gates of ``closed`` (chokepoint ids) removed.

        Nodes stay the same, so ports snap where they did; a route that needed a closed
        chokepoint takes the next shortest way round, or has none.
        """
        shut = frozenset(closed) | self.closed
        unknown = shut - {c.id for c in self.chokepoints}
        if unknown:
            raise ValueError(f"unknown chokepoint(s) {sorted(unknown)}")
        shut_gates = [c for c in self.chokepoints if c.id in shut]
        ends = self._ends(self.edges)
        blocked = np.zeros(len(self.edges), dtype=bool)
        for gate in shut_gates:
            blocked |= crossed(gate.gate, ends)
        kept = [edge for edge, off in zip(self.edges, blocked, strict=True) if not off]
        return SeaNetwork(self.chokepoints, edges=kept, nodes=self.nodes, closed=shut)

    def snap(self, point: Point) -> tuple[int, float]:
        """Index of the network node nearest ``point`` (lon, lat) and its great-circle distance in km."""
        lon, lat = math.radians(point[0]), math.radians(point[1])
        nodes = self._radians
        h = (
            np.sin((nodes[:, 1] - lat) / 2) ** 2
            + np.cos(lat) * np.cos(nodes[:, 1]) * np.sin((nodes[:, 0] - lon) / 2) ** 2
        )
        best = int(np.argmin(h))
        return best, float(2 * EARTH_KM * np.arcsin(np.sqrt(h[best])))

    def trees(self, sources: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors (one row per source node index) to every node."""
        distances, predecessors = dijkstra(
            self.matrix, directed=False, indices=list(sources), return_predecessors=True
        )
        return np.atleast_2d(distances), np.atleast_2d(predecessors)

    def route(self, origin: Point, destination: Point) -> Route | None:
        """The shortest route between two points, or None when no sea path joins them."""
        source, _ = self.snap(origin)
        target, _ = self.snap(destination)
        distances, predecessors = self.trees([source])
        if not np.isfinite(distances[0, target]):
            return None
        return self.route_of(float(distances[0, target]), self.path(predecessors[0], source, target))

    @staticmethod
    def path(predecessors: np.ndarray, source: int, target: int) -> list[int]:
        """Node indices from ``source`` to ``target`` along a predecessor row."""
        path = [target]
        while path[-1] != source:
            path.append(int(predecessors[path[-1]]))
        return path[::-1]

    def route_of(self, distance: float, path: Sequence[int]) -> Route:
        """A :class:`Route` from a path of node indices, with the chokepoints its edges cross."""
        passed = (g for u, v in itertools.pairwise(path) for g in self.gates.get((u, v), ()))
        return Route(distance, tuple(self.nodes[i] for i in path), tuple(_in_order(passed)))


def _in_order(ids: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for i in ids:
        if i not in seen:
            seen.append(i)
    return seen


@functools.cache
def sea_network() -> SeaNetwork:
    """The network with the bundled chokepoints, built once per process (about a second)."""
    return SeaNetwork()
