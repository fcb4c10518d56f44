"""Event to scenario: an export control, export ban or supply disruption becomes a scenario spec.

:func:`from_event` maps one event row (the columns of :data:`critmin.events.alerts.EVENT_COLUMNS`):

- ``export_control`` / ``export_ban`` -> an ``export_restriction`` by the event's actor, keeping its
  targets (none: every importer);
- ``supply_disruption`` -> a ``production_outage`` of the actor, or, when the event names a
  ``chokepoint`` (a disruption on a sea lane), a ``chokepoint_closure`` of that chokepoint
  (:mod:`critmin.sealanes`): the flows through it reroute or stop;
- any other type -> :class:`ValueError` (it cannot become a scenario).

A sea-lane event rarely names the goods (every cargo passes): ``commodities`` names the networks
to run it on, and is required when the event names none.

The goods: the event's HS codes as one network when it names HS codes and at most one commodity;
otherwise one scenario event per commodity. Start: ``valid_from``. Duration: the ``duration_days``
argument, else ``valid_to - valid_from`` (at least one day, at most 3650), else 365 days.
Fraction: the ``fraction`` argument, else the event's, else 1.0 for a ban and
:data:`DEFAULT_FRACTION` (0.5) for a licensing control or a disruption, an assumption the
scenario's description states. The scenario's name and description name the ``event_id`` and its
``sources`` carry the event's publisher, URL and date, so a result links back to its event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from critmin.api import Critmin
from critmin.events.alerts import as_date, split_list, text
from critmin.scenarios.run import ScenarioResult, run_scenario
from critmin.scenarios.spec import Scenario, ScenarioError, parse_scenario

RESTRICTION_TYPES = frozenset({"export_control", "export_ban"})
OUTAGE_TYPES = frozenset({"supply_disruption"})
DEFAULT_FRACTION = 0.5
"""Share of exports withheld (or of production lost) assumed when an event does not state one:
a licence requirement delays or denies part of the trade, not all of it."""
BAN_FRACTION = 1.0
DEFAULT_DURATION_DAYS = 365
MAX_DURATION_DAYS = 3650


def _row(event_row: Mapping[str, Any] | pd.Series) -> dict[str, Any]:
    if isinstance(event_row, pd.DataFrame):
        if len(event_row) != 1:
            raise ValueError(f"event_row: expected one event, got a frame of {len(event_row)} rows")
        return {str(k): v for k, v in event_row.iloc[0].items()}
    if isinstance(event_row, pd.Series):
        return {str(k): v for k, v in event_row.items()}
    if isinstance(event_row, Mapping):
        return dict(event_row)
    raise ValueError(f"event_row: expected a mapping or a row, got {type(event_row).__name__}")


def _fraction(value: object, field: str) -> float | None:
    if value is None or text(value) == "":
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{field}: not a number: {value!r}") from None
    if number != number:  # NaN: not stated
        return None
    if not 0 < number <= 1:
        raise ValueError(f"{field}: a share above 0 and at most 1, got {number}")
    return number


def from_event(
    event_row: Mapping[str, Any] | pd.Series,
    *,
    year: int | None = None,
    fraction: float | None = None,
    duration_days: int | None = None,
    stage: str | None = None,
    commodities: Sequence[str] | None = None,
) -> Scenario:
    """The scenario an export control, export ban or supply disruption event amounts to.

    Parameters
    ----------
    event_row
        One event (a mapping, a row of the register's frame, or a one-row frame).
    year
        The network year; default the latest the store has (see :class:`Scenario`).
    fraction
        Share of exports withheld (of production lost); overrides the event's.
    duration_days
        Length of the shock; overrides ``valid_to - valid_from``.
    stage
        The stage of the commodities, for a commodity traded at several stages.
    commodities
        Catalog ids of the networks to run it on, instead of the event's (its HS codes are then
        not used).

    Returns
    -------
    Scenario
        Validated; its name and description name the event, its sources are the event's.

    Raises
    ------
    ValueError
        A type that cannot become a scenario, no actor or no goods, a bad date or fraction.
    """
    row = _row(event_row)
    event_id = text(row.get("event_id")) or "(no event_id)"
    where = f"event {event_id}"
    kind = text(row.get("type"))
    if kind not in RESTRICTION_TYPES | OUTAGE_TYPES:
        raise ValueError(
            f"{where}: type: a {kind or '(empty)'!r} event cannot become a scenario; only "
            f"{', '.join(sorted(RESTRICTION_TYPES | OUTAGE_TYPES))} can"
        )
    actor = text(row.get("actor"))
    lane = text(row.get("chokepoint")) if kind in OUTAGE_TYPES else ""
    if not actor and not lane:
        raise ValueError(f"{where}: actor: empty; a scenario needs the exporting or producing country")
    start = as_date(row.get("valid_from"), f"{where}: valid_from")
    end = as_date(row.get("valid_to"), f"{where}: valid_to")
    assumptions: list[str] = []
    if commodities:
        named, hs_codes = list(commodities), []
        assumptions.append(f"networks {', '.join(named)} (given)")
    else:
        named, hs_codes = split_list(row.get("commodities")), split_list(row.get("hs_codes"))
    if not named and not hs_codes:
        hint = "; pass the commodities the closure hits" if lane else ""
        raise ValueError(f"{where}: commodities: empty and no hs_codes; a scenario needs the goods hit{hint}")

    if duration_days is not None:
        days = int(duration_days)
        assumptions.append(f"duration {days} days (given)")
    elif start is not None and end is not None:
        if end < start:
            raise ValueError(f"{where}: valid_to: {end} is before valid_from {start}")
        days = min(max((end - start).days, 1), MAX_DURATION_DAYS)
        assumptions.append(f"duration {days} days, valid_from to valid_to")
    else:
        days = DEFAULT_DURATION_DAYS
        assumptions.append(f"duration {days} days (assumed: the event has no end date)")

    share = _fraction(fraction, "fraction")
    if share is not None:
        assumptions.append(f"fraction {share:g} (given)")
    else:
        share = _fraction(row.get("fraction"), f"{where}: fraction")
        if share is not None:
            assumptions.append(f"fraction {share:g} (the event's)")
        elif kind == "export_ban":
            share = BAN_FRACTION
            assumptions.append(f"fraction {share:g} (a ban withholds all exports)")
        else:
            share = DEFAULT_FRACTION
            what = (
                "exports withheld by a licensing control"
                if kind in RESTRICTION_TYPES
                else f"flows through the {lane} stopped"
                if lane
                else "production lost"
            )
            assumptions.append(f"fraction {share:g} (assumed default share of {what}; the event states none)")

    goods: list[dict[str, Any]]
    if hs_codes and len(named) <= 1:
        goods = [{"hs_codes": hs_codes}]
    else:
        goods = [{"commodity": c} for c in named]
        if hs_codes:
            assumptions.append("one network per commodity; the event's HS codes are not used")
    if stage is not None:
        goods = [{**good, "stage": stage} for good in goods]

    targets = [t for t in split_list(row.get("targets")) if t != actor]
    events: list[dict[str, Any]] = []
    for good in goods:
        event: dict[str, Any] = {**good, "fraction": share, "duration_days": days}
        if start is not None:
            event["start"] = start
        if kind in RESTRICTION_TYPES:
            event.update(type="export_restriction", exporter=actor)
            if targets:
                event["targets"] = targets
        elif lane:
            event.update(type="chokepoint_closure", chokepoint=lane)
        else:
            event.update(type="production_outage", country=actor)
        events.append(event)

    title = text(row.get("title")) or kind.replace("_", " ")
    published = as_date(row.get("published"), f"{where}: published")
    publisher = text(row.get("publisher")) or "unknown publisher"
    citation = f"{publisher}, {title}" + (f" ({published.isoformat()})" if published else "")
    evidence = text(row.get("evidence"))
    description = (
        f"From event {event_id} ({kind}, status {text(row.get('status')) or 'unknown'}): {title}. "
        f"Assumed: {'; '.join(assumptions)}." + (f" Evidence: {evidence}" if evidence else "")
    )
    document = {
        "name": f"{title} [event {event_id}]",
        "description": description,
        "sources": [{"citation": citation, "url": text(row.get("url")) or None}],
        "year": year,
        "events": events,
    }
    try:
        return parse_scenario(document, where)
    except ScenarioError as error:
        raise ValueError(str(error)) from None


def run_event(db: Critmin, event_row: Mapping[str, Any] | pd.Series, **kw: Any) -> ScenarioResult:
    """Build the event's scenario (:func:`from_event`, same keywords) and run it on the store."""
    return run_scenario(db, from_event(event_row, **kw))
