"""The route of every exporter -> importer pair: overland, by sea (with its chokepoints), or unrouted.

The rule, in order (``docs/sealanes.md``):

1. a party with no routing port (BACI's aggregates and former countries, or a country without a
   sea port in searoute's list) is **unrouted**;
2. neighbours (GeoNames land borders) trade **overland**, except the pairs of ``sea_neighbours.csv``
   (a border no freight crosses: the Himalaya, the Amazon);
3. a land-locked party without a curated gateway port trades **overland**;
4. otherwise the pair trades **by sea**, on the shortest route between any of the exporter's
   ports and any of the importer's (a land-locked party's ports are its gateways); two parties whose
   nearest ports are one and the same trade overland.

A route is computed once per unordered pair of countries and serves both directions.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from critmin.sealanes.network import METHOD_VERSION, SeaNetwork, sea_network
from critmin.sealanes.reference import Port, land_borders, landlocked, ports, sea_neighbours

ROUTE_COLUMNS = [
    "exporter",
    "importer",
    "mode",
    "rule",
    "origin_port",
    "destination_port",
    "distance_km",
    "chokepoints",
    "method_version",
]
"""``mode`` is ``sea``, ``overland`` or ``unrouted``; ``chokepoints`` the ids passed, space-separated."""

Found = dict[tuple[str, str], dict[str, object]]


def routing_ports(iso3: str, *, alternates: bool = False) -> tuple[Port, ...]:
    """The ports a country's seaborne trade uses: its gateways if land-locked, else its main ports.

    ``alternates`` adds the bypass ports (Fujairah, Chabahar) that only a closure makes it use.
    """
    own = ports().get(iso3, ())
    if iso3 in landlocked():
        return tuple(p for p in own if p.rule == "gateway")
    return tuple(p for p in own if p.rule != "alternate" or alternates)


def classify(a: str, b: str) -> tuple[str, str] | None:
    """(mode, rule) of a pair that does not go by sea, or None when it is routed by sea."""
    for party in (a, b):
        if not ports().get(party) and party not in landlocked():
            return "unrouted", f"{party} has no routing port"
    pair = frozenset((a, b))
    if pair in land_borders() and pair not in sea_neighbours():
        return "overland", "neighbours"
    for party in (a, b):
        if not routing_ports(party):
            return "overland", f"{party} is land-locked"
    return None


def route_pairs(
    pairs: Iterable[tuple[str, str]], network: SeaNetwork | None = None, *, alternates: bool = False
) -> pd.DataFrame:
    """One row per (exporter, importer) of ``pairs`` (self pairs are dropped), columns ``ROUTE_COLUMNS``.

    ``network`` defaults to :func:`~critmin.sealanes.network.sea_network`; a closure passes the
    network without the closed chokepoints, and ``alternates`` to route from the bypass ports too.
    """
    wanted = sorted({(e, i) for e, i in pairs if e != i})
    unordered = sorted({tuple(sorted(p)) for p in wanted})
    found: Found = {}
    by_sea: list[tuple[str, str]] = []
    for a, b in unordered:
        fixed = classify(a, b)
        if fixed is None:
            by_sea.append((a, b))
        else:
            found[(a, b)] = {"mode": fixed[0], "rule": fixed[1]}
    if by_sea:
        found.update(_sea_routes(by_sea, network or sea_network(), alternates))
    rows = []
    for exporter, importer in wanted:
        key = (exporter, importer) if exporter < importer else (importer, exporter)
        row = dict(found[key])
        if key != (exporter, importer) and "origin_port" in row:
            row["origin_port"], row["destination_port"] = row["destination_port"], row["origin_port"]
            row["chokepoints"] = " ".join(reversed(str(row["chokepoints"]).split()))
        rows.append({"exporter": exporter, "importer": importer, **row, "method_version": METHOD_VERSION})
    return pd.DataFrame(rows, columns=ROUTE_COLUMNS)


def _sea_routes(pairs: list[tuple[str, str]], network: SeaNetwork, alternates: bool) -> Found:
    """Shortest routes between the ports of each pair, from one Dijkstra tree per port."""

    def own(iso3: str) -> tuple[Port, ...]:
        return routing_ports(iso3, alternates=alternates)

    port_of = {p.locode: p for a, b in pairs for p in (*own(a), *own(b))}
    locodes = sorted(port_of)
    node = {code: network.snap((port_of[code].lon, port_of[code].lat))[0] for code in locodes}
    row = {code: i for i, code in enumerate(locodes)}
    distances, predecessors = network.trees([node[code] for code in locodes])
    found: Found = {}
    for a, b in pairs:
        options = [(float(distances[row[o.locode], node[d.locode]]), o, d) for o in own(a) for d in own(b)]
        distance, origin, destination = min(options, key=lambda option: (option[0], option[1].locode))
        if not np.isfinite(distance):
            found[(a, b)] = {"mode": "unrouted", "rule": "no sea path between their ports"}
            continue
        if origin.locode == destination.locode:
            found[(a, b)] = {"mode": "overland", "rule": f"both use the port of {origin.name}"}
            continue
        path = network.path(predecessors[row[origin.locode]], node[origin.locode], node[destination.locode])
        route = network.route_of(distance, path)
        found[(a, b)] = {
            "mode": "sea",
            "rule": "sea",
            "origin_port": origin.locode,
            "destination_port": destination.locode,
            "distance_km": round(route.distance_km, 1),
            "chokepoints": " ".join(route.chokepoints),
        }
    return found


CLOSURE_COLUMNS = [
    "exporter",
    "importer",
    "passes",
    "rerouted",
    "base_km",
    "alternative_km",
    "extra_km",
    "port_switch",
    "extra_days",
    "alternative_chokepoints",
]


def closure_effect(
    pairs: Iterable[tuple[str, str]],
    closed: Iterable[str],
    *,
    speed_knots: float = 14.0,
    port_switch_days: float = 7.0,
) -> pd.DataFrame:
    """What closing the chokepoints ``closed`` does to each pair's route (``CLOSURE_COLUMNS``).

    A pair ``passes`` when its route crosses a closed gate. It is ``rerouted`` when the network
    without the closed gates still joins the two countries by sea (from any of their ports,
    the bypass ports included); ``extra_days`` is the longer sailing at ``speed_knots`` plus
    ``port_switch_days`` when the way round leaves or enters by another port (the cargo is taken
    overland to it). Pairs that do not pass keep their route (no row is changed).
    """
    base = route_pairs(sorted({(e, i) for e, i in pairs if e != i}))
    return _effect(base, sorted(set(closed)), speed_knots, port_switch_days)


def closure_effects(
    pairs: Iterable[tuple[str, str]],
    chokepoints: Iterable[str],
    *,
    speed_knots: float = 14.0,
    port_switch_days: float = 7.0,
) -> dict[str, pd.DataFrame]:
    """:func:`closure_effect` of each chokepoint closed alone (by id), the pairs routed once."""
    base = route_pairs(sorted({(e, i) for e, i in pairs if e != i}))
    return {c: _effect(base, [c], speed_knots, port_switch_days) for c in chokepoints}


def _effect(base: pd.DataFrame, shut: list[str], speed_knots: float, port_switch_days: float) -> pd.DataFrame:
    """The closure of ``shut`` on the routed pairs ``base`` (``route_pairs`` rows)."""
    hit = base["chokepoints"].fillna("").str.split().map(lambda ids: bool(set(ids) & set(shut)))
    out = base[["exporter", "importer"]].assign(passes=hit.to_numpy(), base_km=base["distance_km"])
    around = route_pairs(
        zip(base.loc[hit, "exporter"], base.loc[hit, "importer"], strict=True),
        sea_network().without(shut),
        alternates=True,
    )
    around = around.rename(
        columns={
            "distance_km": "alternative_km",
            "chokepoints": "alternative_chokepoints",
            "origin_port": "alt_origin",
            "destination_port": "alt_destination",
        }
    )
    out = out.merge(
        around[["exporter", "importer", "mode", "alternative_km", "alternative_chokepoints", "alt_origin",
                "alt_destination"]],
        on=["exporter", "importer"],
        how="left",
    )  # fmt: skip
    ports_before = base.set_index(["exporter", "importer"])[["origin_port", "destination_port"]]
    joined = out.join(ports_before, on=["exporter", "importer"])
    out["rerouted"] = out["passes"] & (out["mode"] == "sea")
    out["extra_km"] = (out["alternative_km"] - out["base_km"]).clip(lower=0.0).where(out["rerouted"])
    switched = (joined["alt_origin"] != joined["origin_port"]) | (
        joined["alt_destination"] != joined["destination_port"]
    )
    out["port_switch"] = out["rerouted"] & switched
    km_per_day = speed_knots * 1.852 * 24
    out["extra_days"] = np.where(
        out["rerouted"],
        out["extra_km"] / km_per_day + np.where(out["port_switch"], port_switch_days, 0.0),
        np.nan,
    )
    return out[CLOSURE_COLUMNS]


def paths_to(destination: str, origins: Iterable[str]) -> dict[str, list[tuple[float, float]]]:
    """The sea path (lon, lat points) from each origin port to the ``destination`` port (UN/LOCODEs).

    One Dijkstra tree from the destination serves every origin (the network is undirected).
    """
    network = sea_network()
    where = {p.locode: p for group in ports().values() for p in group}
    target = network.snap((where[destination].lon, where[destination].lat))[0]
    distances, predecessors = network.trees([target])
    found = {}
    for code in dict.fromkeys(origins):
        source = network.snap((where[code].lon, where[code].lat))[0]
        if np.isfinite(distances[0, source]):
            path = network.path(predecessors[0], target, source)[::-1]
            found[code] = [network.nodes[i] for i in path]
    return found
