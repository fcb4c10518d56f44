"""Register services shared by the CLI and the web app: one event, exposures, alerts, event scenarios.

These read the store through :mod:`critmin.api` (like :mod:`critmin.events.register`) and call the
pure functions of :mod:`critmin.events.alerts` and :mod:`critmin.events.scenario`, so
``critmin events alerts`` / ``scenario`` and the API's ``/api/alerts`` and event scenario runs give
the same rows.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from critmin.errors import CritminError
from critmin.events import alerts as alerting

if TYPE_CHECKING:
    from critmin.api import Critmin
    from critmin.scenarios.spec import Scenario

HS92 = "HS92"
"""The trade nomenclature of the scenario networks."""


def event_row(db: Critmin, event_id: str) -> pd.Series:
    """One event of the register (with ``source``, ``release`` and ``vintage_id``).

    Raises
    ------
    CritminError
        No event has this id.
    """
    events = db.events()
    hit = events[events["event_id"] == event_id]
    if hit.empty:
        raise CritminError(f"event_id: no event {event_id!r} in the register")
    return hit.iloc[0].copy()


def exposures(db: Critmin, countries: Iterable[str], year: int | None = None) -> pd.DataFrame:
    """The watched countries' exposures (:func:`critmin.services.exposures`, with ``importer``)."""
    from critmin import services

    profiles = [services.exposures(db, code, year=year).assign(importer=code) for code in countries]
    return pd.concat(profiles, ignore_index=True) if profiles else pd.DataFrame()


def lanes(db: Critmin, countries: Iterable[str], year: int | None = None) -> pd.DataFrame:
    """The watched countries' imports through each chokepoint (``services.country_chokepoints``)."""
    from critmin import services

    frames = [services.country_chokepoints(db, code, year=year) for code in countries]
    kept = [f for f in frames if len(f)]
    if not kept:
        return pd.DataFrame(columns=list(alerting.LANE_COLUMNS))
    return pd.concat(kept, ignore_index=True)


def register_alerts(
    db: Critmin,
    as_of: dt.date,
    countries: Iterable[str],
    *,
    exposure: pd.DataFrame | None = None,
    horizon_days: int = 30,
    reliance_threshold: float = 0.5,
    concentration_threshold: float = 0.25,
    year: int | None = None,
) -> pd.DataFrame:
    """The register's alerts as of ``as_of`` for the countries (see :func:`critmin.events.alerts.evaluate`).

    Parameters
    ----------
    exposure
        Precomputed :func:`exposures` of the countries (a cache); computed when ``None``.
    year
        Trade year of the computed exposures (default the latest).
    """
    watched = [c.upper() for c in countries]
    events = db.events()
    events = events[[c for c in alerting.EVENT_COLUMNS if c in events.columns]]
    frame = exposure if exposure is not None else exposures(db, watched, year)
    return alerting.evaluate(
        events,
        as_of,
        watched,
        frame,
        lanes=lanes(db, watched, year),
        horizon_days=horizon_days,
        reliance_threshold=reliance_threshold,
        concentration_threshold=concentration_threshold,
    )


@dataclass(frozen=True)
class EventScenario:
    """An event's scenario, and the commodities and HS codes left out (no HS92 trade codes)."""

    spec: Scenario
    dropped: tuple[str, ...]


def trade_ready(db: Critmin, row: pd.Series) -> tuple[pd.Series, list[str]]:
    """The event with only the commodities and HS codes the HS92 trade data has, and those left out.

    Raises
    ------
    CritminError
        The event names commodities, none of which has HS92 trade codes.
    """
    codes = db.hs_codes()
    hs92 = codes[codes["nomenclature"] == HS92]
    named = [c for c in str(row.get("commodities") or "").split(",") if c]
    listed = [h for h in str(row.get("hs_codes") or "").split(",") if h]
    keep = [c for c in named if c in set(hs92["commodity"])]
    known = [h for h in listed if h in set(hs92.loc[hs92["commodity"].isin(keep), "hs6"])]
    dropped = [c for c in named if c not in keep] + [h for h in listed if h not in known]
    if named and not keep:
        raise CritminError(
            f"{row.get('event_id')}: no HS92 trade codes for {', '.join(named)}, so no network to run"
        )
    out = row.copy()
    out["commodities"], out["hs_codes"] = ",".join(keep), ",".join(known)
    return out, dropped


def event_scenario(
    db: Critmin,
    event_id: str,
    *,
    fraction: float | None = None,
    duration_days: int | None = None,
    year: int | None = None,
    commodities: list[str] | None = None,
) -> EventScenario:
    """The scenario of a register event (:func:`critmin.events.scenario.from_event`) on the trade data.

    ``commodities`` (ids or names) replaces the event's goods: a sea-lane event names none.

    Raises
    ------
    CritminError
        Unknown event, no trade codes for its commodities, or an event that cannot become a
        scenario (the message names the event and the field).
    """
    from critmin.events.scenario import from_event

    found = event_row(db, event_id)
    if commodities:
        found["commodities"], found["hs_codes"] = ",".join(db.commodity_id(c) for c in commodities), ""
    row, dropped = trade_ready(db, found)
    try:
        given = [c for c in str(row["commodities"]).split(",") if c] if commodities else None
        spec = from_event(row, year=year, fraction=fraction, duration_days=duration_days, commodities=given)
    except ValueError as error:
        raise CritminError(f"{event_id}: {error}") from None
    return EventScenario(spec=spec, dropped=tuple(dropped))


def add_event_on_copy(db_path: Path | str, fields: Mapping[str, Any]) -> str:
    """:func:`critmin.events.register.add_event` into a copy of the store that then replaces it.

    Readers of the live store (read-only connections, as the web app's) are never blocked; a bad
    event leaves the store untouched. Writers are serialised by the store's import lock (see
    :mod:`critmin.store.snapshot`).

    Raises
    ------
    IngestError
        A bad field (named), before anything is copied.
    CritminError
        The ``event_id`` is already in the register.
    """
    from critmin.api import Critmin
    from critmin.events.register import add_event, validate_record
    from critmin.store.snapshot import _remove, copy_store, import_lock

    validate_record(
        {
            k: (",".join(map(str, v)) if isinstance(v, list | tuple) else v)
            for k, v in fields.items()
            if v is not None
        },
        path="event",
    )
    live = Path(db_path)
    with import_lock(live):
        copy = copy_store(live)
        try:
            event_id = add_event(Critmin(copy), fields)
            os.replace(copy, live)
        except BaseException:
            _remove(copy)
            raise
    return event_id
