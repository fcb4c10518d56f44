"""``/events``: the event register with its sources, alerts as of a date, events proposed from a text."""

from __future__ import annotations

import datetime as dt
import functools

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from critmin.web.deps import store_key
from critmin.web.routes import events as api
from critmin.web.routes.pages import lookups
from critmin.web.routes.pages.blocks import Col, Section, note, records, sources_of, table
from critmin.web.routes.pages.errors import PageError
from critmin.web.routes.pages.render import guarded, render

router = APIRouter(include_in_schema=False)

EVENT_COLUMNS = (
    Col("Event", "event_id"),
    Col("Type", "type"),
    Col("Actor", "actor"),
    Col("Targets", "targets"),
    Col("Commodities", "commodities"),
    Col("From", "valid_from"),
    Col("To", "valid_to"),
    Col("Status", "status"),
    Col("Title", "title"),
    Col("Source", "publisher", href=lambda row: str(row.get("url") or "")),
    Col("Published", "published"),
)
ALERT_COLUMNS = (
    Col("Severity", "severity"),
    Col("Alert", "alert"),
    Col("Country", "country"),
    Col("Commodity", "commodity"),
    Col("Due", "due"),
    Col("Event", "event_id"),
    Col("Message", "message"),
    Col("Event source", "source"),
)
PROPOSED_COLUMNS = (
    Col("Proposed id", "event_id"),
    Col("Type", "type"),
    Col("Actor", "actor"),
    Col("Targets", "targets"),
    Col("Commodities", "commodities"),
    Col("From", "valid_from"),
    Col("To", "valid_to"),
    Col("Status", "status"),
    Col("Confidence", "confidence", "share"),
    Col("Evidence", "evidence"),
)
WATCH_MAX = 10


def _watched(text: str) -> list[str]:
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    if not codes or len(codes) > WATCH_MAX:
        raise PageError(f"countries: give 1 to {WATCH_MAX} ISO3 codes, comma-separated")
    return list(dict.fromkeys(codes))


def _iso_day(text: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise PageError(f"{field}: not a date (YYYY-MM-DD): {text[:20]!r}") from None


def _events_page(
    request: Request,
    *,
    as_of: str,
    countries: str,
    horizon_days: int,
    proposed: list[Markup],
    text: str = "",
    published: str = "",
    source: str = "",
    status: int = 200,
) -> HTMLResponse:
    names = lookups.lookups(request)
    when = _iso_day(as_of, "as_of")
    if not 1 <= horizon_days <= 3650:
        raise PageError("horizon_days: from 1 to 3650")
    watched = [lookups.country(names, code, "countries") for code in _watched(countries)]
    register = api.iso_dates(names.db.events())
    found = api.iso_dates(api.alerts_frame(store_key(request), watched, when, horizon_days))
    register_section = Section(
        "register",
        f"Register ({len(register)} events)",
        [
            table(
                records(register),
                EVENT_COLUMNS,
                caption="Every event in the register, by start date; the source column links to it",
                source=sources_of(register["source"] + " " + register["release"]) if len(register) else "",
                key="event_id",
                ident="register-table",
            )
        ],
    )
    alerts_section = Section(
        "alerts",
        f"Alerts for {', '.join(watched)} as of {when} ({horizon_days} days)",
        [
            table(
                records(found),
                ALERT_COLUMNS,
                caption="Waivers and restrictions starting or ending, new restrictions on exposed minerals",
                source="; ".join(api.alert_sources(found)) or "critmin event register",
                key="event_id",
                ident="alerts-table",
            )
        ],
    )
    return render(
        request,
        "events.html.j2",
        title="Events",
        current="events",
        status=status,
        state={"as_of": when.isoformat(), "countries": ", ".join(watched), "horizon_days": horizon_days},
        sections=[alerts_section, register_section],
        proposed=proposed,
        text=text,
        published=published,
        source=source,
        max_text=api.MAX_TEXT,
    )


@router.get("/events", response_class=HTMLResponse)
@guarded
def events_page(
    request: Request, as_of: str | None = None, countries: str = "IND, JPN", horizon_days: int = 30
) -> HTMLResponse:
    """The register (each row linking its source), the alerts as of a date, the extraction form."""
    return _events_page(
        request,
        as_of=as_of or dt.date.today().isoformat(),
        countries=countries,
        horizon_days=horizon_days,
        proposed=[],
    )


@router.post("/events/extract", response_class=HTMLResponse)
@guarded
async def events_extract(request: Request) -> HTMLResponse:
    """The extraction form without JavaScript: the events proposed from the text, in the page."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    text = fields.get("text", "")
    if not text.strip() or len(text) > api.MAX_TEXT:
        raise PageError(f"text: give 1 to {api.MAX_TEXT:,} characters")
    published = fields.get("published", "").strip()
    when = _iso_day(published, "published") if published else None
    source = fields.get("source", "").strip()[:300]
    frame = api.iso_dates(await run_in_threadpool(api.proposed_frame, text, when, source or None))
    proposed = [
        note(f"{len(frame)} proposed events: review them before adding them to the register."),
        table(
            records(frame),
            PROPOSED_COLUMNS,
            caption="Events proposed from the text, with the sentence(s) that state each",
            source=f"the text given{f' ({source})' if source else ''}{f', published {when}' if when else ''}",
            key="event_id" if len(frame) else None,
            ident="proposed-table",
        ),
    ]
    return await run_in_threadpool(
        functools.partial(
            _events_page,
            request,
            as_of=(when or dt.date.today()).isoformat(),
            countries="IND, JPN",
            horizon_days=30,
            proposed=proposed,
            text=text,
            published=published,
            source=source,
        )
    )
