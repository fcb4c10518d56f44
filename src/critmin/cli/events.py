"""``critmin events ...``: the event register (export controls, sanctions, waivers, agreements, ...)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from critmin import names
from critmin.cli import corpus as corpus_commands
from critmin.cli.context import run_guarded
from critmin.cli.output import Format, console, show
from critmin.errors import CritminError

app = typer.Typer(
    help="The event register: list, show and add events with their sources.", no_args_is_help=True
)

app.add_typer(corpus_commands.app, name="corpus")

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, csv or json.")]

LIST_COLUMNS = [
    "event_id",
    "type",
    "actor",
    "targets",
    "commodities",
    "valid_from",
    "valid_to",
    "status",
    "title",
]


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise CritminError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


@app.command("list")
def list_events(
    ctx: typer.Context,
    type: Annotated[str | None, typer.Option("--type", help="Event type, e.g. export_control.")] = None,
    actor: Annotated[
        str | None, typer.Option("--actor", help="Acting country or bloc (code or name).")
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", help="Targeted country (code or name); also all-country events.")
    ] = None,
    commodity: Annotated[
        str | None, typer.Option("--commodity", help="Catalog commodity id or name.")
    ] = None,
    active_on: Annotated[
        str | None, typer.Option("--active-on", help="Only events valid on this date (YYYY-MM-DD).")
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="announced, in_force, suspended, ...")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List events of the register, filtered."""

    def job() -> None:
        db = ctx.obj.open()
        frame = db.events(
            type=type,
            actor=actor,
            target=target,
            commodity=commodity,
            active_on=_day(active_on, "--active-on"),
            status=status,
        )
        if fmt is Format.table:
            show(frame[LIST_COLUMNS], fmt, title=f"{len(frame)} event(s)")
        else:
            show(frame, fmt)

    run_guarded(job)


@app.command("show")
def show_event(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(help="The event's id, e.g. chn-gallium-germanium-2023.")],
    fmt: FormatOption = Format.table,
) -> None:
    """Every field of one event, with its source (publisher, URL, date) and the stored vintage."""

    def job() -> None:
        db = ctx.obj.open()
        frame = db.events()
        hit = frame[frame["event_id"] == event_id]
        if hit.empty:
            raise CritminError(f"no event {event_id!r}; see `critmin events list`")
        if fmt is not Format.table:
            show(hit, fmt)
            return
        row = hit.iloc[0]
        for column in hit.columns:
            value = row[column]
            text = "" if value is None or value != value else str(value)
            if hasattr(value, "date") and text:
                text = value.date().isoformat()
            console.print(f"[bold]{column}[/bold]: {text}", soft_wrap=True, highlight=False)

    run_guarded(job)


@app.command()
def add(
    ctx: typer.Context,
    type: Annotated[str, typer.Option("--type", help="Event type, e.g. export_control.")],
    actor: Annotated[str, typer.Option("--actor", help="Acting country (ISO3) or bloc.")],
    valid_from: Annotated[str, typer.Option("--from", help="Start of validity (YYYY-MM-DD).")],
    title: Annotated[str, typer.Option("--title", help="One-line title.")],
    url: Annotated[str, typer.Option("--url", help="Source URL.")],
    publisher: Annotated[str, typer.Option("--publisher", help="Who published the source.")],
    published: Annotated[str, typer.Option("--published", help="Publication date (YYYY-MM-DD).")],
    evidence: Annotated[str, typer.Option("--evidence", help="The source's sentence(s) stating the event.")],
    event_id: Annotated[str | None, typer.Option("--id", help="Slug; default <actor>-<type>-<from>.")] = None,
    targets: Annotated[str, typer.Option("--targets", help="Comma-separated ISO3; empty = all.")] = "",
    commodities: Annotated[str, typer.Option("--commodities", help="Comma-separated catalog ids.")] = "",
    hs_codes: Annotated[str, typer.Option("--hs-codes", help="Comma-separated HS6 codes.")] = "",
    valid_to: Annotated[str | None, typer.Option("--to", help="End of validity (YYYY-MM-DD).")] = None,
    status: Annotated[str, typer.Option("--status", help="announced, in_force, suspended, ...")] = "in_force",
    fraction: Annotated[
        float | None, typer.Option("--fraction", help="Share of exports withheld (0-1).")
    ] = None,
    notes: Annotated[str, typer.Option("--notes", help="Free-text notes.")] = "",
) -> None:
    """Add a user event (validated like the bundled register) as its own vintage."""
    from critmin.events.register import add_event

    def job() -> None:
        db = ctx.obj.open()
        slug = event_id or f"{actor}-{type}-{valid_from}".lower().replace("_", "-")
        stored = add_event(
            db,
            {
                "event_id": slug,
                "type": type,
                "actor": actor,
                "targets": targets,
                "commodities": commodities,
                "hs_codes": hs_codes,
                "valid_from": valid_from,
                "valid_to": valid_to,
                "status": status,
                "fraction": fraction,
                "title": title,
                "evidence": evidence,
                "publisher": publisher,
                "url": url,
                "published": published,
                "notes": notes,
            },
        )
        console.print(f"added event {stored}")

    run_guarded(job)


@app.command()
def load(ctx: typer.Context) -> None:
    """Add the bundled register to an existing store (migrating it to the current schema first)."""
    from critmin.events.register import load_bundled

    def job() -> None:
        db = ctx.obj.open(init=False)
        added = load_bundled(db)
        console.print("bundled event register added" if added else "bundled event register already stored")

    run_guarded(job)


ALERT_SHOWN = ["severity", "alert", "country", "commodity", "due", "event_id", "message"]


@app.command()
def alerts(
    ctx: typer.Context,
    country: Annotated[
        list[str] | None, typer.Option("--country", "-c", help="Watched country (code or name); repeat.")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date of the evaluation (default today).")
    ] = None,
    horizon: Annotated[int, typer.Option(min=1, max=3650, help="Days ahead (and back) an alert looks.")] = 30,
    reliance: Annotated[
        float, typer.Option(min=0, max=1, help="Import reliance that makes a restriction matter.")
    ] = 0.5,
    concentration: Annotated[
        float, typer.Option(min=0, max=1, help="Top-supplier share or import HHI that makes it matter.")
    ] = 0.25,
    year: Annotated[
        int | None, typer.Option(help="Trade year of the exposures (default the latest).")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Alerts as of a date: waivers and restrictions starting or ending, restrictions on exposed minerals."""
    from critmin.events.service import register_alerts

    def job() -> None:
        watched = list(dict.fromkeys(names.country(c) for c in (country or ["IND", "JPN"])))
        when = _day(as_of, "--as-of") or date.today()
        found = register_alerts(
            ctx.obj.open(),
            when,
            watched,
            horizon_days=horizon,
            reliance_threshold=reliance,
            concentration_threshold=concentration,
            year=year,
        )
        if fmt is not Format.table:
            show(found, fmt)
            return
        if found.empty:
            console.print(f"No alerts for {', '.join(watched)} as of {when}.", highlight=False)
            return
        show(found[ALERT_SHOWN], fmt, title=f"Alerts for {', '.join(watched)} as of {when} ({horizon} days)")
        for source in dict.fromkeys(found["source"].astype(str)):
            console.print(f"Event source: {source}", markup=False, highlight=False)
        tags = sorted({t for v in found["provenance"].dropna().astype(str) for t in v.split("; ") if t})
        if tags:
            console.print("Exposure sources: " + "; ".join(tags), markup=False, highlight=False)

    run_guarded(job)


@app.command()
def scenario(
    ctx: typer.Context,
    event_id: Annotated[str, typer.Argument(help="An export control, ban or disruption event's id.")],
    fraction: Annotated[
        float | None, typer.Option(min=0, max=1, help="Share of exports withheld (default: the event's).")
    ] = None,
    days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Duration (default: the event's).")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Network year (default the latest).")] = None,
    commodity: Annotated[
        list[str] | None,
        typer.Option("--commodity", "-c", help="Run it on this commodity instead of the event's; repeat."),
    ] = None,
    top: Annotated[int, typer.Option(help="Rows shown.")] = 15,
    fmt: FormatOption = Format.table,
) -> None:
    """Turn an event into a scenario and run it; the result names the event and its source."""
    from critmin.cli.scenario import PERCENT, RUN_COLUMNS
    from critmin.events.service import event_scenario
    from critmin.scenarios.run import run_scenario

    def job() -> None:
        db = ctx.obj.open()
        made = event_scenario(
            db, event_id, fraction=fraction, duration_days=days, year=year, commodities=commodity
        )
        spec = made.spec
        if made.dropped:
            console.print(
                f"note: not in the HS92 trade data, left out: {', '.join(made.dropped)}",
                markup=False,
                highlight=False,
            )
        result = run_scenario(db, spec)
        frame = result.countries.assign(event_id=event_id)
        if fmt is not Format.table:
            show(frame, fmt)
            return
        show(frame[RUN_COLUMNS].head(top), fmt, title=spec.name, percent=PERCENT)
        console.print(spec.description or "", markup=False, highlight=False)
        for source in spec.sources:
            console.print(
                f"Event source: {source.citation} {source.url or ''}", markup=False, highlight=False
            )

    run_guarded(job)


EXTRACT_SHOWN = [
    "file",
    "type",
    "actor",
    "targets",
    "commodities",
    "valid_from",
    "valid_to",
    "status",
    "confidence",
]


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="Plain-text news articles or briefings.")],
    published: Annotated[
        str | None,
        typer.Option(help="Publication date (YYYY-MM-DD): relative dates are resolved against it."),
    ] = None,
    source: Annotated[str | None, typer.Option(help="Publisher, kept with each proposed event.")] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Propose events from texts, with their evidence sentences, for review before `critmin events add`."""
    from critmin.events.extract import extract as propose

    def job() -> None:
        import pandas as pd

        when = _day(published, "--published")
        rows = []
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise CritminError(f"{path}: cannot read as UTF-8 text: {error}") from None
            for event in propose(text, published=when, source=source):
                rows.append({"file": path.name, **event.to_row(), "confidence": event.confidence})
        frame = pd.DataFrame(rows)
        if fmt is not Format.table:
            show(frame, fmt)
            return
        if frame.empty:
            console.print("No events found.", highlight=False)
            return
        show(frame[EXTRACT_SHOWN], fmt, title=f"Proposed events ({len(frame)}): review before adding")
        for row in frame.itertuples(index=False):
            console.print(f"{row.event_id} ({row.file}): {row.evidence}", markup=False, highlight=False)

    run_guarded(job)
