"""Run a scenario: turn its events into shocks on each network, propagate them, and tabulate per country.

Time enters through volumes: the scenario's horizon runs from its first event's start to its last
event's end (``H`` days). Flows and consumption are the network's annual tonnes times ``H / 365``; an
event lasting ``d`` days removes its annual rate times ``d / 365``:

- ``export_restriction``: each target importer ``j`` (every customer when there are no targets) loses
  ``fraction * F[e, j] * d / 365``; the exporter keeps those tonnes (``retained_t``: not released to
  the market, but they cover the exporter's own shortfalls first, as a stock would: ``retained_used_t``,
  not counted as a loss or a stock draw); the cascade runs on

  the flows that remain, and a restricted link is closed to requests for more;
- ``production_outage``: the country loses ``fraction * P * d / 365``;
- ``demand_shock``: the country needs ``fraction * C * d / 365`` more, which is a shock at home;
- ``chokepoint_closure``: every flow ``F[e, j]`` whose sea route passes the chokepoint
  (:func:`critmin.sealanes.routes.closure_effect`) loses ``fraction * F[e, j] * d / 365`` as an export
  restriction on that link does, unless it is rerouted: then only the ``extra_days`` it takes longer
  are lost, ``fraction * F[e, j] * min(extra_days, d) / 365`` (the cargo arrives later; the link
  stays open).

Stockpiles hold ``tonnes`` or ``days_of_cover`` of the country's apparent consumption; at most
``max_fraction`` of them is released, once the shock received reaches ``trigger_share`` of the
country's consumption over the horizon. Stocks are drawn uniformly while the disruption lasts, so a
stock that is exhausted runs out ``active days * stock / (stock + consumption cut)`` after the start.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from critmin.api import Critmin
from critmin.metrics import provenance
from critmin.scenarios.network import Network, build_network, resolve_good
from critmin.scenarios.reference import OneDraw, propagate_one
from critmin.scenarios.spec import (
    ChokepointClosure,
    DemandShock,
    Event,
    ExportRestriction,
    ProductionOutage,
    Scenario,
    ScenarioError,
)

COUNTRY_COLUMNS = (
    "network",
    "commodity",
    "stage",
    "year",
    "country",
    "consumption_t",
    "first_order_t",
    "received_t",
    "loss_t",
    "consumption_cut_t",
    "share_of_consumption",
    "stock_t",
    "stock_drawn_t",
    "days_of_cover_used",
    "stock_runs_out",
    "exports_cut_t",
    "imports_raised_t",
    "retained_t",
    "retained_used_t",
    "unresolved_t",
    "production_basis",
    "provenance",
)
THROUGH_COLUMNS = ("network", "country", "via", "channel", "shock_t", "share")
FLOW_COLUMNS = ("network", "exporter", "importer", "base_t", "restricted_t", "cut_t", "raised_t", "new_t")


@dataclass(frozen=True)
class Horizon:
    """The scenario's time span: a start date when events have one, and its length in days."""

    start: dt.date | None
    days: int

    @property
    def scale(self) -> float:
        """Share of a year the horizon covers (annual tonnes times this are tonnes over the horizon)."""
        return self.days / 365.0


@dataclass
class Shock:
    """A network's initial shock and the conditions it is propagated under (tonnes over the horizon)."""

    shock: np.ndarray
    consumption: np.ndarray
    retained: np.ndarray
    pair_open: np.ndarray
    stocks: np.ndarray
    trigger: np.ndarray
    active_days: int
    origins: list[tuple[int, str, str, float]] = field(default_factory=list)
    """(node hit, via, channel, tonnes) of each first-order shock."""
    restricted: dict[tuple[int, int], float] = field(default_factory=lambda: defaultdict(float))
    """(exporter, importer): tonnes withheld by export restrictions."""


@dataclass(frozen=True)
class ScenarioResult:
    """What a scenario does: per country, through whom, and to which flows."""

    scenario: Scenario
    horizon: Horizon
    networks: dict[str, Network]
    countries: pd.DataFrame
    through: pd.DataFrame
    flows: pd.DataFrame
    notes: tuple[str, ...]

    def country(self, code: str) -> pd.DataFrame:
        """The rows of one country, one per network."""
        return self.countries[self.countries["country"] == code]


def horizon_of(scenario: Scenario) -> Horizon:
    """From the first event's start to the last event's end (events without a start begin at day 0)."""
    start = scenario.start
    ends = [((e.start - start).days if e.start and start else 0) + e.duration_days for e in scenario.events]
    return Horizon(start=start, days=max(ends))


def _latest_trade_year(db: Critmin, codes: tuple[str, ...], nomenclature: str) -> int:
    years = db.trade_years(list(codes), nomenclature=nomenclature)
    if not years:
        raise ScenarioError(f"no {nomenclature} trade in HS {', '.join(codes)} in the store")
    return years[-1]


def passing_flows(event: ChokepointClosure, network: Network) -> pd.DataFrame:
    """The network's flows whose route passes the event's chokepoint, with how the closure hits each.

    :func:`critmin.sealanes.routes.closure_effect` rows (``rerouted``, ``extra_days``, ...) of every
    exporter -> importer link with a flow, kept where ``passes``.
    """
    from critmin.sealanes.routes import closure_effect

    exporters, importers = np.nonzero(network.flows)
    pairs = [(network.nodes[e], network.nodes[j]) for e, j in zip(exporters, importers, strict=True)]
    effect = closure_effect(
        pairs, [event.chokepoint], speed_knots=event.speed_knots, port_switch_days=event.port_switch_days
    )
    return effect[effect["passes"]]


def _closure_shock(event: ChokepointClosure, network: Network, shock: Shock, notes: list[str]) -> None:
    """The flows through a closed chokepoint: lost for the closure, or late by the way round."""
    passing = passing_flows(event, network)
    if passing.empty:
        notes.append(
            f"{network.label} {network.year}: no flow passes {event.chokepoint}: the closure removes nothing"
        )
        return
    rows = zip(
        passing["exporter"].astype(str),
        passing["importer"].astype(str),
        passing["rerouted"].astype(bool),
        passing["extra_days"].astype(float),
        strict=True,
    )
    for exporter, importer, can_reroute, extra_days in rows:
        e, j = network.index(exporter), network.index(importer)
        if can_reroute and event.reroute:
            late = min(extra_days, float(event.duration_days))
            lost = event.fraction * network.flows[e, j] * late / 365.0
            shock.shock[j] += lost
            shock.origins.append((j, exporter, f"{event.chokepoint} reroute", lost))
            continue
        lost = event.fraction * network.flows[e, j] * event.duration_days / 365.0
        shock.shock[j] += lost
        shock.retained[e] += lost
        shock.restricted[(e, j)] += lost
        shock.pair_open[e, j] = 0.0
        shock.origins.append((j, exporter, f"{event.chokepoint} closure", lost))
    rerouted = int((passing["rerouted"] & event.reroute).sum())
    notes.append(
        f"{network.label} {network.year}: {len(passing)} flows pass {event.chokepoint}; "
        f"{rerouted} take the way round, {len(passing) - rerouted} are stopped"
    )


def _event_shock(event: Event, network: Network, shock: Shock, scale: float, notes: list[str]) -> None:
    share = event.duration_days / 365.0
    if isinstance(event, ChokepointClosure):
        _closure_shock(event, network, shock, notes)
    elif isinstance(event, ExportRestriction):
        e = network.index(event.exporter)
        if event.targets:
            targets = [network.index(t) for t in event.targets]
        else:
            targets = list(np.nonzero(network.flows[e])[0])
        for j in targets:
            lost = event.fraction * network.flows[e, j] * share
            if lost <= 0:
                notes.append(
                    f"{network.label} {network.year}: {event.exporter} exported nothing to {network.nodes[j]}"
                )
                continue
            shock.shock[j] += lost
            shock.retained[e] += lost
            shock.restricted[(e, int(j))] += lost
            shock.pair_open[e, j] = 0.0
            shock.origins.append((j, event.exporter, "export restriction", lost))
    elif isinstance(event, ProductionOutage):
        c = network.index(event.country)
        lost = event.fraction * network.production[c] * share
        if lost <= 0:
            notes.append(
                f"{network.label} {network.year}: {event.country} produces none: the outage removes nothing"
            )
        shock.shock[c] += lost
        shock.origins.append((c, event.country, "production outage", lost))
    elif isinstance(event, DemandShock):
        c = network.index(event.country)
        extra = event.fraction * network.consumption[c] * share
        shock.shock[c] += extra
        shock.consumption[c] += extra
        shock.origins.append((c, event.country, "demand shock", extra))


def build_shock(
    scenario: Scenario, events: list[Event], network: Network, horizon: Horizon
) -> tuple[Shock, list[str]]:
    """The initial shock, stocks and closed links of the events that hit one network."""
    n = network.size
    consumption = network.consumption * horizon.scale
    shock = Shock(
        shock=np.zeros(n),
        consumption=consumption.copy(),
        retained=np.zeros(n),
        pair_open=np.ones((n, n)),
        stocks=np.zeros(n),
        trigger=np.zeros(n),
        active_days=max(e.duration_days for e in events),
    )
    notes: list[str] = []
    for event in events:
        _event_shock(event, network, shock, horizon.scale, notes)
    for pile in scenario.stockpiles:
        if pile.commodity is not None and pile.commodity not in {network.commodity, network.label}:
            continue
        if not network.has(pile.country):
            notes.append(f"{network.label}: stockpile of {pile.country} ignored: it is not in the network")
            continue
        i = network.index(pile.country)
        tonnes = (
            pile.tonnes
            if pile.tonnes is not None
            else (pile.days_of_cover or 0.0) * network.consumption[i] / 365
        )
        shock.stocks[i] = tonnes * pile.release.max_fraction
        shock.trigger[i] = pile.release.trigger_share * consumption[i]
    return shock, notes


def _country_rows(network: Network, shock: Shock, out: OneDraw, horizon: Horizon, prov: str) -> pd.DataFrame:
    pooled = np.asarray(out.stock_drawn)
    retained_used = np.minimum(pooled, shock.retained)
    drawn = pooled - retained_used
    cut = np.asarray(out.consumption_cut)
    daily = network.consumption / 365.0
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(daily > 0, drawn / daily, np.nan)
        share = np.where(shock.consumption > 0, cut / shock.consumption, np.nan)
        exhausted = (shock.stocks > 0) & (drawn >= shock.stocks * (1 - 1e-9)) & (cut > 0)
        out_day = np.where(exhausted, shock.active_days * shock.stocks / (shock.stocks + cut), np.nan)
    first = np.zeros(network.size)
    for node, _via, _channel, tonnes in shock.origins:
        first[node] += tonnes
    runs_out: list[object] = [
        None
        if np.isnan(d)
        else (horizon.start + dt.timedelta(days=int(d)) if horizon.start else f"day {int(d)}")
        for d in out_day
    ]
    frame = pd.DataFrame(
        {
            "network": network.label,
            "commodity": network.commodity or "",
            "stage": network.stage,
            "year": network.year,
            "country": list(network.nodes),
            "consumption_t": shock.consumption,
            "first_order_t": first,
            "received_t": out.received,
            "loss_t": drawn + cut,
            "consumption_cut_t": cut,
            "share_of_consumption": share,
            "stock_t": shock.stocks,
            "stock_drawn_t": drawn,
            "days_of_cover_used": cover,
            "stock_runs_out": runs_out,
            "exports_cut_t": out.exports_cut,
            "imports_raised_t": out.imports_raised,
            "retained_t": shock.retained,
            "retained_used_t": retained_used,
            "unresolved_t": out.unresolved,
            "production_basis": list(network.production_basis),
            "provenance": prov,
        }
    )
    touched = (frame["received_t"] > 0) | (frame["retained_t"] > 0) | (frame["stock_t"] > 0)
    return frame[touched].sort_values("loss_t", ascending=False, kind="stable")


def _through_rows(network: Network, shock: Shock, out: OneDraw) -> pd.DataFrame:
    received: dict[tuple[int, str, str], float] = defaultdict(float)
    for node, via, channel, tonnes in shock.origins:
        received[(node, via, channel)] += tonnes
    for (i, j), tonnes in out.flow_cut.items():
        received[(j, network.nodes[i], "export cut")] += tonnes
    for (k, i), tonnes in out.flow_raised.items():
        received[(k, network.nodes[i], "request for more")] += tonnes

    rows = pd.DataFrame(
        [(network.label, network.nodes[n], via, ch, t) for (n, via, ch), t in received.items() if t > 0],
        columns=list(THROUGH_COLUMNS[:-1]),
    )
    rows["share"] = rows["shock_t"] / rows.groupby("country")["shock_t"].transform("sum")
    return rows.sort_values(["country", "shock_t"], ascending=[True, False])


def _flow_rows(network: Network, shock: Shock, out: OneDraw, scale: float) -> pd.DataFrame:
    links = set(out.flow_cut) | set(out.flow_raised) | set(shock.restricted)
    rows = []
    for i, j in sorted(links):
        base = network.flows[i, j] * scale
        held = shock.restricted.get((i, j), 0.0)
        cut, raised = out.flow_cut.get((i, j), 0.0), out.flow_raised.get((i, j), 0.0)
        new = base - held - cut + raised
        rows.append((network.label, network.nodes[i], network.nodes[j], base, held, cut, raised, new))
    return pd.DataFrame(rows, columns=list(FLOW_COLUMNS))


def run_scenario(db: Critmin, scenario: Scenario) -> ScenarioResult:
    """Propagate every event of ``scenario`` on its network and tabulate the outcome per country."""
    horizon = horizon_of(scenario)
    groups: dict[tuple[str, str, tuple[str, ...]], list[Event]] = defaultdict(list)
    for event in scenario.events:
        label, stage, codes, _catalog, _rows = resolve_good(
            db, event.commodity, event.hs_codes, event.stage, scenario.nomenclature
        )
        groups[(label, stage, codes)].append(event)
    networks: dict[str, Network] = {}
    countries, through, flows, notes = [], [], [], []
    params = scenario.cascade
    for (label, stage, codes), events in groups.items():
        year = scenario.year or _latest_trade_year(db, codes, scenario.nomenclature)
        first = events[0]
        network = build_network(
            db,
            year,
            commodity=first.commodity,
            hs_codes=None if first.commodity else codes,
            stage=stage,
            nomenclature=scenario.nomenclature,
        )
        networks[label] = network

        shock, found = build_shock(scenario, events, network, horizon)
        notes.extend(found)
        remaining = network.flows * horizon.scale
        for (e, j), held in shock.restricted.items():
            remaining[e, j] -= held
        out = propagate_one(
            np.maximum(remaining, 0.0),
            shock.consumption,
            shock.shock,
            params,
            stocks=shock.stocks + shock.retained,
            trigger=shock.trigger,
            pair_open=shock.pair_open,
        )
        prov = provenance.join(
            [
                network.provenance,
                f"scenario {scenario.name!r}; cascade absorb_share={params.absorb_share}, "
                f"tolerance={params.tolerance}",
            ]
        )
        countries.append(_country_rows(network, shock, out, horizon, prov))
        through.append(_through_rows(network, shock, out))
        flows.append(_flow_rows(network, shock, out, horizon.scale))

    return ScenarioResult(
        scenario=scenario,
        horizon=horizon,
        networks=networks,
        countries=pd.concat(countries, ignore_index=True),
        through=pd.concat(through, ignore_index=True),
        flows=pd.concat(flows, ignore_index=True),
        notes=tuple(notes),
    )
