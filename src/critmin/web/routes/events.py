"""Routes of the REST API: the event register, alerts, extraction from text and event scenarios.

- ``GET /api/events`` (filters, paginated; ``sources`` are each event's publisher and URL),
  ``GET /api/events/{event_id}``, ``POST /api/events`` (write token; the event is validated by
  :func:`critmin.events.register.validate_record` and stored on a copy of the store that then
  replaces it, so readers are never blocked).
- ``GET /api/alerts`` (:func:`critmin.events.service.register_alerts`; the watched countries'
  exposures are cached per store state).
- ``POST /api/events/extract`` (:func:`critmin.events.extract.extract`: proposed events with their
  evidence and confidence, for review).
- ``POST /api/events/{event_id}/scenario/runs`` (a job of kind ``event_scenario``).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from critmin.events import service
from critmin.events.contract import EVENT_TYPES, STATUSES
from critmin.events.extract import extract as propose
from critmin.web.deps import Jobs, Limit, Offset, Store, keyed_store, store_key
from critmin.web.responses import TableFormat, records, table_response
from critmin.web.routes.data import COUNTRY, Fmt
from critmin.web.routes.metrics import known_country
from critmin.web.routes.scenarios import Commodity, submitted
from critmin.web.security import require_token

router = APIRouter(prefix="/api", tags=["events"])

SLUG = r"^[a-z0-9][a-z0-9-]{0,119}$"
ISO3 = r"^[A-Za-z]{3}$"
DATE_COLUMNS = ("valid_from", "valid_to", "published")
MAX_TEXT = 100_000
"""Longest text ``/api/events/extract`` reads (characters)."""
MAX_WATCHED = 10
EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
EventStatus = Literal[STATUSES]  # type: ignore[valid-type]
EventId = Annotated[str, PathParam(pattern=SLUG, description="An event's id (a slug).")]
Code = Annotated[str | None, Query(pattern=COUNTRY, description="Country or bloc: code or name.")]


def iso_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its date columns as ``YYYY-MM-DD`` text (null stays null)."""
    out = frame.copy()
    for name in DATE_COLUMNS:
        if name in out.columns:
            out[name] = [
                None if v is None or v is pd.NaT or (isinstance(v, float) and pd.isna(v)) else str(v)[:10]
                for v in out[name]
            ]
    return out


def event_sources(frame: pd.DataFrame) -> list[str]:
    """Each event's source: ``publisher <url>``, distinct, in order."""
    if frame.empty or "publisher" not in frame.columns:
        return []
    return list(
        dict.fromkeys(
            f"{p} {u}".strip() for p, u in frame[["publisher", "url"]].fillna("").astype(str).values
        )
    )


def envelope(
    frame: pd.DataFrame,
    fmt: TableFormat,
    *,
    name: str,
    found: list[str],
    offset: int = 0,
    limit: int | None = None,
) -> Response:
    """A table as JSON (envelope whose ``sources`` are ``found``), CSV or Parquet."""
    frame = iso_dates(frame).reset_index(drop=True)
    if fmt is not TableFormat.json:
        return table_response(frame, fmt, name=name, offset=offset, limit=limit)
    page = frame.iloc[offset : offset + limit] if limit is not None else frame.iloc[offset:]
    body = {"total": len(frame), "offset": offset, "limit": limit, "sources": found, "rows": records(page)}
    return JSONResponse(body, headers={"X-Total-Count": str(len(frame))})


def events_response(
    frame: pd.DataFrame, fmt: TableFormat, *, name: str, offset: int = 0, limit: int | None = None
) -> Response:
    """A table of events; the JSON envelope's ``sources`` are the events' publishers and URLs."""
    return envelope(frame, fmt, name=name, found=event_sources(frame), offset=offset, limit=limit)


def alert_sources(found: pd.DataFrame) -> list[str]:
    """The alerts' event sources, then the exposures' provenance tags."""
    tags = [str(s) for s in found["source"].dropna()] if "source" in found.columns else []
    if "provenance" in found.columns:
        tags += [t.strip() for v in found["provenance"].dropna().astype(str) for t in v.split(";")]
    return list(dict.fromkeys(t for t in tags if t))


@router.get("/events")
def list_events(
    db: Store,
    type: Annotated[EventType | None, Query(description="Event type, e.g. export_control.")] = None,
    actor: Code = None,
    target: Annotated[
        str | None, Query(pattern=COUNTRY, description="Targeted country; also events aimed at all.")
    ] = None,
    commodity: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9_ ,()\-]{1,60}$", description="Commodity id or name.")
    ] = None,
    active_on: Annotated[dt.date | None, Query(description="Events valid on this date.")] = None,
    status: Annotated[EventStatus | None, Query(description="Event status.")] = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """The event register, filtered, by ``valid_from``; each row names its publisher and URL."""
    frame = db.events(
        type=type,
        actor=known_country(db, actor, "actor") if actor else None,
        target=known_country(db, target, "target") if target else None,
        commodity=commodity,
        active_on=active_on,
        status=status,
    )
    return events_response(frame, fmt, name="events", offset=offset, limit=limit)


@router.get("/events/{event_id}")
def get_event(event_id: EventId, db: Store) -> dict[str, Any]:
    """One event with its evidence, source (publisher, URL, date) and vintage."""
    frame = db.events()
    hit = frame[frame["event_id"] == event_id]
    if hit.empty:
        raise HTTPException(404, f"event_id: no event {event_id!r} in the register")
    rows = records(iso_dates(hit))
    return {"event": rows[0], "sources": event_sources(hit)}


class EventIn(BaseModel):
    """A new event: the fields of the event contract (lists as comma-separated text)."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(pattern=SLUG, description="stable slug, e.g. chn-gallium-germanium-2023")
    type: EventType
    actor: str = Field(pattern=ISO3, description="ISO3 or bloc code of who acts")
    targets: str = Field(default="", max_length=2000, description="comma-separated ISO3; empty = all")
    commodities: str = Field(default="", max_length=2000, description="comma-separated catalog ids")
    hs_codes: str = Field(default="", max_length=2000, description="comma-separated HS6 codes")
    valid_from: dt.date
    valid_to: dt.date | None = None
    status: EventStatus
    fraction: float | None = Field(default=None, ge=0, le=1, description="share of exports withheld")
    title: str = Field(min_length=1, max_length=500)
    evidence: str = Field(min_length=1, max_length=10_000, description="the source's sentence(s)")
    publisher: str = Field(min_length=1, max_length=300)
    url: str = Field(pattern=r"^https?://\S+$", max_length=2000)
    published: dt.date | None = None
    notes: str = Field(default="", max_length=5000)


@router.post("/events", status_code=201, dependencies=[Depends(require_token)])
def add_event(body: EventIn, request: Request) -> dict[str, str]:
    """Add an event to the register (write token); 400 naming the field when it is refused."""
    event_id = service.add_event_on_copy(request.app.state.config.db_path, body.model_dump())
    return {"event_id": event_id, "url": f"/api/events/{event_id}"}


@functools.lru_cache(maxsize=32)
def _exposures(key: str, country: str, year: int | None) -> pd.DataFrame:
    """A country's exposures, cached per store state (a write or import changes the key)."""
    return service.exposures(keyed_store(key), [country], year)


def watched_exposures(key: str, countries: list[str], year: int | None) -> pd.DataFrame:
    """The exposures of the watched countries, from the per-store cache."""
    return pd.concat([_exposures(key, code, year) for code in countries], ignore_index=True)


@router.get("/alerts")
def alerts(
    request: Request,
    db: Store,
    country: Annotated[
        list[Annotated[str, Query(pattern=COUNTRY)]],
        Query(min_length=1, max_length=MAX_WATCHED, description="Watched country (code or name); repeat."),
    ],
    as_of: Annotated[dt.date | None, Query(description="Date of the evaluation (default today).")] = None,
    horizon_days: Annotated[int, Query(ge=1, le=3650, description="Days ahead (and back).")] = 30,
    reliance: Annotated[float, Query(ge=0, le=1, description="Import reliance that matters.")] = 0.5,
    concentration: Annotated[
        float, Query(ge=0, le=1, description="Top-supplier share or import HHI that matters.")
    ] = 0.25,
    year: Annotated[int | None, Query(ge=1995, le=2100, description="Trade year of the exposures.")] = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Alerts as of a date for the watched countries; ``sources`` are the events' and exposures'."""
    watched = list(dict.fromkeys(known_country(db, c, "country") for c in country))
    when = as_of or dt.date.today()
    found = alerts_frame(store_key(request), watched, when, horizon_days, reliance, concentration, year)
    return envelope(found, fmt, name=f"alerts-{when}", found=alert_sources(found), offset=offset, limit=limit)


def alerts_frame(
    key: str,
    watched: list[str],
    when: dt.date,
    horizon_days: int = 30,
    reliance: float = 0.5,
    concentration: float = 0.25,
    year: int | None = None,
) -> pd.DataFrame:
    """The alerts (see :func:`critmin.events.service.register_alerts`) with cached exposures."""
    return service.register_alerts(
        keyed_store(key),
        when,
        watched,
        exposure=watched_exposures(key, watched, year),
        horizon_days=horizon_days,
        reliance_threshold=reliance,
        concentration_threshold=concentration,
    )


class ExtractIn(BaseModel):
    """A text to read events from."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_TEXT, description="plain text of a news item or briefing")
    published: dt.date | None = Field(default=None, description="publication date (for relative dates)")
    source: str | None = Field(default=None, max_length=300, description="publisher, kept with each event")


def proposed_frame(text: str, published: dt.date | None, source: str | None) -> pd.DataFrame:
    """The events proposed from a text, as event rows with ``confidence``."""
    rows = [
        {**event.to_row(), "confidence": event.confidence}
        for event in propose(text, published=published, source=source)
    ]
    return pd.DataFrame(rows)


@router.post("/events/extract")
def extract_events(body: ExtractIn) -> Response:
    """Events proposed from a text, each with its evidence sentence(s) and a confidence, for review."""
    frame = proposed_frame(body.text, body.published, body.source)
    return events_response(frame, TableFormat.json, name="proposed-events")


class EventScenarioRun(BaseModel):
    """Overrides of an event's scenario."""

    model_config = ConfigDict(extra="forbid")

    fraction: float | None = Field(default=None, ge=0, le=1, description="share of exports withheld")
    duration_days: int | None = Field(default=None, ge=1, le=3650, description="length of the shock")
    year: int | None = Field(default=None, ge=1995, le=2100, description="network year")
    commodities: list[Commodity] | None = Field(
        default=None, max_length=10, description="run it on these commodities instead of the event's"
    )


@router.post("/events/{event_id}/scenario/runs", status_code=202)
def run_event_scenario(
    event_id: EventId, db: Store, jobs: Jobs, body: EventScenarioRun | None = None
) -> dict[str, str]:
    """Run the scenario an event amounts to (checked before the job is queued) as a job."""
    params = (body or EventScenarioRun()).model_dump()
    frame = db.events()
    if frame[frame["event_id"] == event_id].empty:
        raise HTTPException(404, f"event_id: no event {event_id!r} in the register")
    service.event_scenario(
        db,
        event_id,
        fraction=params["fraction"],
        duration_days=params["duration_days"],
        year=params["year"],
        commodities=params["commodities"],
    )
    job = jobs.submit("event_scenario", {"event_id": event_id, **params})
    return submitted(job.id)
