"""``critmin data ...``: set up, import, inspect and export the store."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from critmin.cli.context import run_guarded
from critmin.cli.output import Format, byte_progress, console, show, show_json
from critmin.errors import CritminError
from critmin.schema import TABLES

if TYPE_CHECKING:
    from critmin.store.gateway import ImportOutcome

app = typer.Typer(help="Set up, import, inspect and export the data store.", no_args_is_help=True)


def print_outcomes(outcomes: list[ImportOutcome]) -> None:
    """One line per file: added or unchanged, its release and the rows it brought."""
    for outcome in outcomes:
        rows = ", ".join(f"{k} {v:,}" for k, v in outcome.rows.items()) or "no new rows"
        release = outcome.release or "seen before"
        console.print(f"{outcome.status:9} {outcome.path} ({release}) {rows}", markup=False, highlight=False)


FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or parquet.")]


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the store and load the bundled default dataset (offline; safe to repeat)."""

    def job() -> None:
        db = ctx.obj.open(init=False)
        added = db.init()
        console.print(f"store {db.path}: {added} bundled vintage(s) added")

    run_guarded(job)


@app.command()
def status(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Vintages, row counts and coverage by commodity, year and country."""
    from critmin.cli.cells import records, show_cells
    from critmin.store.coverage import coverage

    def job() -> None:
        db = ctx.obj.open()
        report = coverage(db.store)
        if fmt == "json":
            show_json(
                {
                    "store": str(db.path),
                    "schema_version": report.schema_version,
                    "vintages": records(report.vintages),
                    "tables": records(report.tables),
                    "commodities": records(report.commodities),
                }
            )
            return
        if fmt != "table":
            raise CritminError(f"--format must be table or json, not {fmt!r}")
        console.print(f"[bold]critmin store[/] {db.path} (schema {report.schema_version})")
        show_cells(report.vintages, title="Vintages by source and release")
        show_cells(report.tables, title="Tables")
        count = len(report.commodities.data)
        show_cells(report.commodities, title=f"Coverage of {count} commodities (production and reserves)")

    run_guarded(job)


@app.command("import")
def import_(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="usgs-mcs, baci, comtrade, wgi, wmd, lists or restrictions.")],
    paths: Annotated[list[Path], typer.Argument(help="Files to import (one vintage each).")],
    option: Annotated[
        list[str] | None, typer.Option("--option", "-o", help="Importer option KEY=VALUE, repeatable.")
    ] = None,
) -> None:
    """Import raw files as new vintages, all in one transaction (nothing is kept if one fails)."""

    def job() -> None:
        options: dict[str, object] = {}
        for item in option or []:
            key, sep, value = item.partition("=")
            if not sep:
                raise CritminError(f"--option {item!r}: expected KEY=VALUE")
            options[key.strip()] = value.strip()
        db = ctx.obj.open()
        total = sum(p.stat().st_size for p in paths if p.is_file())
        with byte_progress() as bar:
            task = bar.add_task(f"importing {source}", total=total or None)

            def progress(done_bytes: int, _total: int) -> None:
                bar.update(task, completed=done_bytes)

            outcomes = db.import_files(source, paths, progress=progress, **options)
            bar.update(task, completed=total)
        print_outcomes(outcomes)

    run_guarded(job)


@app.command()
def export(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help="Canonical table: " + ", ".join(TABLES) + ", or vintages.")],
    fmt: FormatOption = Format.csv,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="File to write (stdout if omitted).")
    ] = None,
    vintage: Annotated[
        str | None, typer.Option(help="Release name or vintage id (default: newest per slice).")
    ] = None,
) -> None:
    """Export a table with its source and release columns."""

    def job() -> None:
        db = ctx.obj.open()
        if table == "vintages":
            frame = db.vintages()
        elif table in TABLES:
            frame = db.table(table, vintage=vintage)
        else:
            raise CritminError(f"unknown table {table!r}; choose from {', '.join(TABLES)}, vintages")
        show(frame, fmt, out=out)

    run_guarded(job)


@app.command()
def sources(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Each source with its releases, licence and citation."""

    def job() -> None:
        show(ctx.obj.open().sources(), fmt, title="Sources")

    run_guarded(job)


@app.command()
def commodities(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """The commodity catalog."""

    def job() -> None:
        show(ctx.obj.open().commodities(), fmt, title="Commodity catalog")

    run_guarded(job)


@app.command()
def places(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Countries and aggregates with their codes; any of these, ISO2 codes and common names are taken."""

    def job() -> None:
        show(ctx.obj.open().places(), fmt, title="Places (countries and aggregates)")

    run_guarded(job)


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Bring an older store to the current schema."""

    def job() -> None:
        db = ctx.obj.open(init=False)
        before = db.store.migrate()
        console.print(f"store {db.path}: schema {before} -> {db.store.schema_version()}")

    run_guarded(job)


@app.command()
def fetch(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help="usgs-mcs, baci or wgi.")],
    release: Annotated[
        str | None, typer.Option("--release", "-r", help="Release label (default: the newest known).")
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url", help="Mirror replacing the publishers' scheme and host (or CRITMIN_FETCH_BASE_URL)."
        ),
    ] = None,
    year: Annotated[
        list[int] | None, typer.Option("--year", "-y", help="BACI: year to import, repeatable.")
    ] = None,
) -> None:
    """Download a release from its publisher, check it and import it; a failure leaves the store as is."""
    from critmin.ingest.fetch import fetch as fetch_release

    def job() -> None:
        db = ctx.obj.open()
        with byte_progress() as bar:
            task = bar.add_task(f"fetching {source}", total=None)

            def progress(what: str, done: int, total: int | None) -> None:
                bar.update(task, description=what, completed=done, total=total)

            outcomes = fetch_release(db, source, release, base_url=base_url, years=year, progress=progress)
        print_outcomes(outcomes)

    run_guarded(job)
