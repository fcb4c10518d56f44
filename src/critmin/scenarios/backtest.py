"""Back-test a scenario: the model's changes against what BACI shows happened in the following years.

For each restricting exporter ``e`` of a scenario and each importer ``j`` compared (the scenario's
``backtest.importers``, else the event's targets, else ``e``'s largest customers in the network year),
and for every importer together (``importer == "ALL"``):

- the restricted flow ``F[e, j]``: its tonnes in the network year (the base), the model's change and
  the actual change to the after-year (tonnes and %);
- the importer's total imports of the goods, modelled and actual change;
- the importer's imports from every *other* supplier: the model's re-routing (raised minus cut on
  those links) against the actual change;
- the importer's modelled loss (stock drawn plus consumption cut) in the after-year, and as a share
  of its consumption over the horizon.

The model's changes are tonnes over the scenario's horizon (``ScenarioResult.flows``). The part that
falls in an after-year is the horizon's change times ``window_share``, the share of the initial shock
whose event days fall in that calendar year (days counted on a 365-day year, as the events' annual
rates are): each year gets its share of every response, which is exact for one event and an
approximation when events of different dates meet stocks or consumption floors. Undated events are
taken to start on 1 January of the year after the network year. Actual tonnes come from the same HS
codes and the same quantity rule (missing quantities at the median unit value) as the network, read
for the after-year; the base is the network year itself.

The model is a supply-shortfall cascade on a fixed network, not a market model: prices, anticipation
(shipments rushed before a ban), substitution by other goods and new capacity are outside it. The
comparison says how far the network's first-order arithmetic and the cascade's re-routing go.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from critmin.api import Critmin
from critmin.scenarios.network import Network, build_network, resolve_good
from critmin.scenarios.run import ScenarioResult, passing_flows, run_scenario
from critmin.scenarios.spec import (
    ChokepointClosure,
    DemandShock,
    Event,
    ExportRestriction,
    ProductionOutage,
    Scenario,
    ScenarioError,
)

ALL = "ALL"
"""The ``importer`` of the rows that sum every importer (the exporter's total exports, world trade)."""

DIRECTION_TOLERANCE = 0.01
"""A change smaller than this share of its base counts as no change when directions are compared."""

BACKTEST_KEYS = frozenset({"after_years", "importers", "skip"})

BACKTEST_COLUMNS = (
    "network",
    "exporter",
    "importer",
    "year",
    "after_year",
    "window_share",
    "base_flow_t",
    "model_flow_change_t",
    "actual_flow_t",
    "actual_flow_change_t",
    "model_flow_change_pct",
    "actual_flow_change_pct",
    "base_imports_t",
    "model_imports_change_t",
    "actual_imports_t",
    "actual_imports_change_t",
    "model_imports_change_pct",
    "actual_imports_change_pct",
    "imports_direction_hit",
    "model_others_change_t",
    "actual_others_change_t",
    "others_direction_hit",
    "model_loss_t",
    "model_loss_share",
    "provenance",
)


@dataclass(frozen=True)
class BacktestPlan:
    """What to compare: after-years and importers, or why there is no back-test."""

    after_years: tuple[int, ...]
    importers: tuple[str, ...] | None
    skip: str | None = None


def _years(value: object, field: str) -> tuple[int, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    years = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int):
            raise ScenarioError(f"{field}: expected a year or a list of years, got {item!r}")
        years.append(item)
    if not years:
        raise ScenarioError(f"{field}: give at least one year")
    return tuple(years)


def _codes(value: object, field: str) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value]
    codes = tuple(str(item) for item in items)
    bad = [code for code in codes if not (len(code) == 3 and code.isalnum() and code.isupper())]
    if bad or not codes:
        raise ScenarioError(f"{field}: expected ISO3 country codes, got {bad or items!r}")
    return codes


def plan_of(
    scenario: Scenario, after_years: int | Sequence[int] | None = None, importers: Sequence[str] | None = None
) -> BacktestPlan:
    """Read the scenario's ``backtest`` mapping; arguments given here override it."""
    spec: dict[str, Any] = dict(scenario.backtest or {})
    unknown = sorted(set(spec) - BACKTEST_KEYS)
    if unknown:
        raise ScenarioError(
            f"{scenario.name}: backtest.{unknown[0]}: unknown key "
            f"(expected {', '.join(sorted(BACKTEST_KEYS))})"
        )
    years_given = after_years if after_years is not None else spec.get("after_years")
    chosen = importers if importers is not None else spec.get("importers")
    skip = spec.get("skip") if after_years is None else None
    if skip is not None:
        return BacktestPlan((), None, str(skip))
    if years_given is None:
        raise ScenarioError(f"{scenario.name}: backtest.after_years: name the year(s) to compare with")
    return BacktestPlan(
        after_years=_years(years_given, "backtest.after_years"),
        importers=None if chosen is None else _codes(chosen, "backtest.importers"),
    )


def _trade_years(db: Critmin, network: Network, nomenclature: str) -> list[int]:
    return db.trade_years(list(network.hs_codes), nomenclature=nomenclature)


def _after_network(db: Critmin, network: Network, year: int, nomenclature: str) -> Network:
    """The same goods' network in an after-year, or an error naming the years the store has."""
    if year <= network.year:
        raise ScenarioError(f"backtest.after_years: {year} is not after the network year {network.year}")
    years = _trade_years(db, network, nomenclature)
    if year not in years:
        held = f"{years[0]}-{years[-1]}" if years else "none"
        raise ScenarioError(
            f"backtest.after_years: {year}: no {nomenclature} trade in HS {', '.join(network.hs_codes)} "
            f"for {year} in the store (years held: {held})"
        )
    return build_network(db, year, hs_codes=network.hs_codes, stage=network.stage, nomenclature=nomenclature)


def _event_tonnes(event: Event, network: Network) -> float:
    """Annual tonnes an event removes (or adds, for demand) at its full fraction."""
    if isinstance(event, ExportRestriction):
        e = network.index(event.exporter)
        targets = [network.index(t) for t in event.targets] if event.targets else range(network.size)
        return event.fraction * float(sum(network.flows[e, j] for j in targets))
    if isinstance(event, ProductionOutage):
        return event.fraction * float(network.production[network.index(event.country)])
    if isinstance(event, DemandShock):
        return event.fraction * float(network.consumption[network.index(event.country)])
    if isinstance(event, ChokepointClosure):
        passing = passing_flows(event, network)
        return event.fraction * float(
            sum(
                network.flows[network.index(e), network.index(j)]
                for e, j in zip(passing["exporter"], passing["importer"], strict=True)
            )
        )
    raise TypeError(type(event).__name__)


def _days_in_year(start: dt.date, days: int, year: int) -> float:
    """Days of ``[start, start + days)`` in ``year``, on a 365-day year (a whole leap year counts 365)."""
    first, last = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    lo, hi = max(start, first), min(start + dt.timedelta(days=days), last)
    return max((hi - lo).days, 0) * 365.0 / (last - first).days


def window_shares(events: Iterable[Event], network: Network, years: Iterable[int]) -> dict[int, float]:
    """Share of the events' initial shock whose days fall in each calendar year."""
    default_start = dt.date(network.year + 1, 1, 1)
    weights = [(e.start or default_start, e.duration_days, _event_tonnes(e, network) / 365.0) for e in events]
    total = sum(rate * days for _, days, rate in weights)
    if total <= 0:
        return dict.fromkeys(years, 0.0)
    return {
        year: sum(rate * _days_in_year(start, days, year) for start, days, rate in weights) / total
        for year in years
    }


def _events_by_network(db: Critmin, scenario: Scenario) -> dict[str, list[Event]]:
    groups: dict[str, list[Event]] = defaultdict(list)
    for event in scenario.events:
        label, *_ = resolve_good(db, event.commodity, event.hs_codes, event.stage, scenario.nomenclature)
        groups[label].append(event)
    return groups


def _importers(
    network: Network,
    exporter: str,
    restrictions: list[ExportRestriction],
    chosen: tuple[str, ...] | None,
    top: int,
) -> list[str]:
    if chosen is not None:
        missing = [code for code in chosen if not network.has(code)]
        if missing:
            raise ScenarioError(
                f"backtest.importers: {', '.join(missing)} not in the "
                f"{network.label} network of {network.year}"
            )
        return list(chosen)
    targets = sorted({t for r in restrictions for t in (r.targets or ())})
    if targets and all(r.targets for r in restrictions):
        return targets
    row = network.flows[network.index(exporter)]
    order = np.argsort(-row, kind="stable")
    return [network.nodes[j] for j in order[:top] if row[j] > 0]


def _pct(change: float, base: float) -> float:
    return 100.0 * change / base if base > 0 else float("nan")


def _direction(change: float, base: float) -> int:
    if abs(change) <= DIRECTION_TOLERANCE * max(base, 0.0):
        return 0
    return 1 if change > 0 else -1


def _flow_between(network: Network, exporter: str, importer: str) -> float:
    if not (network.has(exporter) and network.has(importer)):
        return 0.0
    return float(network.flows[network.index(exporter), network.index(importer)])


def _imports(network: Network, importer: str) -> float:
    if importer == ALL:
        return float(network.flows.sum())
    return float(network.imports[network.index(importer)]) if network.has(importer) else 0.0


def _exports(network: Network, exporter: str) -> float:
    return float(network.exports[network.index(exporter)]) if network.has(exporter) else 0.0


def _rows_for(
    result: ScenarioResult,
    network: Network,
    after: Network,
    exporter: str,
    importers: list[str],
    share: float,
) -> list[dict[str, Any]]:
    links = result.flows[result.flows["network"] == network.label]
    delta = (links["new_t"] - links["base_t"]) * share
    by_importer = delta.groupby(links["importer"]).sum()
    from_exporter = delta[links["exporter"] == exporter].groupby(links["importer"]).sum()
    countries = result.countries[result.countries["network"] == network.label].set_index("country")
    rows = []
    for importer in [*importers, ALL]:
        if importer == ALL:
            base_flow, after_flow = _exports(network, exporter), _exports(after, exporter)
            model_flow, model_imports = float(from_exporter.sum()), float(delta.sum())
            loss = float(countries["loss_t"].sum())
            consumption = float(countries["consumption_t"].sum())
        else:
            base_flow, after_flow = (
                _flow_between(network, exporter, importer),
                _flow_between(after, exporter, importer),
            )
            model_flow = float(from_exporter.get(importer, 0.0))
            model_imports = float(by_importer.get(importer, 0.0))
            loss = float(countries["loss_t"].get(importer, 0.0))
            consumption = float(countries["consumption_t"].get(importer, 0.0))
        base_imports, after_imports = _imports(network, importer), _imports(after, importer)
        actual_imports = after_imports - base_imports
        actual_others = (after_imports - after_flow) - (base_imports - base_flow)
        model_others = model_imports - model_flow
        rows.append(
            {
                "network": network.label,
                "exporter": exporter,
                "importer": importer,
                "year": network.year,
                "after_year": after.year,
                "window_share": share,
                "base_flow_t": base_flow,
                "model_flow_change_t": model_flow,
                "actual_flow_t": after_flow,
                "actual_flow_change_t": after_flow - base_flow,
                "model_flow_change_pct": _pct(model_flow, base_flow),
                "actual_flow_change_pct": _pct(after_flow - base_flow, base_flow),
                "base_imports_t": base_imports,
                "model_imports_change_t": model_imports,
                "actual_imports_t": after_imports,
                "actual_imports_change_t": actual_imports,
                "model_imports_change_pct": _pct(model_imports, base_imports),
                "actual_imports_change_pct": _pct(actual_imports, base_imports),
                "imports_direction_hit": _direction(model_imports, base_imports)
                == _direction(actual_imports, base_imports),
                "model_others_change_t": model_others,
                "actual_others_change_t": actual_others,
                "others_direction_hit": _direction(model_others, base_imports - base_flow)
                == _direction(actual_others, base_imports - base_flow),
                "model_loss_t": loss * share,
                "model_loss_share": loss / consumption if consumption > 0 else float("nan"),
                "provenance": f"{network.provenance}; actual: {after.provenance}",
            }
        )
    return rows


def backtest(
    db: Critmin,
    scenario: Scenario,
    *,
    after_years: int | Sequence[int] | None = None,
    importers: Sequence[str] | None = None,
    top: int = 5,
    result: ScenarioResult | None = None,
) -> pd.DataFrame:
    """Compare a scenario's modelled flows with the trade data of the following year(s).

    Parameters
    ----------
    db
        The store; the scenario's networks and the after-years are read from it.
    scenario
        A scenario with at least one ``export_restriction``.
    after_years, importers
        Override the scenario's ``backtest`` mapping. Without importers: the events' targets when every
        restriction has targets, else the exporter's ``top`` largest customers in the network year.
    result
        A run of ``scenario`` already made (default: run it here).

    Returns
    -------
    pandas.DataFrame
        One row per (network, exporter, after-year, importer) with :data:`BACKTEST_COLUMNS`; the
        ``ALL`` rows sum every importer.
    """
    plan = plan_of(scenario, after_years, importers)
    if plan.skip is not None:
        raise ScenarioError(f"{scenario.name}: no back-test: {plan.skip}")
    groups = _events_by_network(db, scenario)
    restrictions = {
        label: [e for e in events if isinstance(e, ExportRestriction)] for label, events in groups.items()
    }
    if not any(restrictions.values()):
        raise ScenarioError(f"{scenario.name}: a back-test compares export restrictions, and it has none")
    result = result or run_scenario(db, scenario)
    rows: list[dict[str, Any]] = []
    for label, events in groups.items():
        network = result.networks[label]
        shares = window_shares(events, network, plan.after_years)
        afters = [_after_network(db, network, year, scenario.nomenclature) for year in plan.after_years]
        for exporter in dict.fromkeys(r.exporter for r in restrictions[label]):
            own = [r for r in restrictions[label] if r.exporter == exporter]
            compared = _importers(network, exporter, own, plan.importers, top)
            for after in afters:
                rows.extend(_rows_for(result, network, after, exporter, compared, shares[after.year]))
    return pd.DataFrame(rows, columns=list(BACKTEST_COLUMNS))


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Error measures per (network, exporter, after-year) of a :func:`backtest` frame.

    ``restricted_model_pct`` and ``restricted_actual_pct``: change of the exporter's total exports of the
    goods; ``flow_pct_mae``: mean absolute difference, in percentage points, between modelled and actual
    change of each compared importer's flow from the exporter, and ``flow_pct_mae_no_change`` the same for
    a forecast of no change (the model should beat it); ``imports_hit_rate``: share of compared
    importers whose total imports moved in the modelled direction (changes under
    :data:`DIRECTION_TOLERANCE` of the base count as flat); ``others_hit_rate``: the same for imports
    from the other suppliers (the re-routing).
    """
    out = []
    for (network, exporter, after_year), group in frame.groupby(
        ["network", "exporter", "after_year"], sort=False
    ):
        total = group[group["importer"] == ALL].iloc[0]
        each = group[group["importer"] != ALL]
        gap = (each["model_flow_change_pct"] - each["actual_flow_change_pct"]).abs()
        out.append(
            {
                "network": network,
                "exporter": exporter,
                "year": int(total["year"]),
                "after_year": after_year,
                "restricted_model_pct": total["model_flow_change_pct"],
                "restricted_actual_pct": total["actual_flow_change_pct"],
                "world_model_pct": total["model_imports_change_pct"],
                "world_actual_pct": total["actual_imports_change_pct"],
                "flow_pct_mae": float(gap.mean()) if len(gap) else float("nan"),
                "flow_pct_mae_no_change": float(each["actual_flow_change_pct"].abs().mean())
                if len(each)
                else float("nan"),
                "importers": len(each),
                "imports_hit_rate": float(each["imports_direction_hit"].mean())
                if len(each)
                else float("nan"),
                "others_hit_rate": float(each["others_direction_hit"].mean()) if len(each) else float("nan"),
            }
        )
    return pd.DataFrame(out)
