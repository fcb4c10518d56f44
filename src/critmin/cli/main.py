"""Entry point of the ``critmin`` command.

The command groups (``data``, ``risk``, ...) are imported and built only when looked up
(:mod:`critmin.cli.lazy`), so a command loads its own module and what it imports, not the others'.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin import __version__, names
from critmin.cli import brief as brief_command
from critmin.cli import serve as serve_command
from critmin.cli.context import State, run_guarded
from critmin.cli.lazy import lazy_group
from critmin.cli.output import Format, show

GROUPS = {
    "data": "critmin.cli.data",
    "risk": "critmin.cli.risk",
    "scenario": "critmin.cli.scenario",
    "events": "critmin.cli.events",
    "partner": "critmin.cli.partner",
}
"""Each command group and the module whose ``app`` it is, in the order ``--help`` lists them."""

app = typer.Typer(
    name="critmin",
    help="Critical-mineral supply-chain risk and resilience planning on real, traceable data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.info.cls = lazy_group(app, GROUPS)
app.command("brief")(brief_command.brief)
app.command("serve")(serve_command.serve)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"critmin {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Store file (default: $CRITMIN_HOME/critmin.duckdb).", envvar=None),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Critical-mineral supply-chain risk and resilience planning."""
    ctx.obj = State(db=db)


@app.command()
def overview(
    ctx: typer.Context,
    country: Annotated[
        list[str], typer.Option("--country", "-c", help="Country: code or name; repeat for several.")
    ] = [  # noqa: B006
        "IND",
        "JPN",
    ],
    top: Annotated[int, typer.Option(help="How many minerals to show.")] = 15,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Each country's listed critical minerals with the most concentrated supply (USGS, latest year)."""
    from critmin.overview import most_concentrated

    def job() -> None:
        db = ctx.obj.open()
        frame = most_concentrated(db, [names.country(c) for c in country], top=top)
        columns = [
            "commodity",
            "stage",
            "year",
            "top1_country",
            "top1_share",
            "share_basis",
            "top3_share",
            "hhi",
            "producers",
            "listed_by",
            "release",
        ]
        if frame.empty:
            typer.echo("no listed minerals with production data for " + ", ".join(country))
            return
        title = "Most concentrated supply of listed critical minerals (" + frame["lists"].iloc[0] + ")"
        show(frame[columns], fmt, title=title, percent=("top1_share", "top3_share"))
        if fmt is Format.table:
            typer.echo(
                "Shares of world production; source: USGS Mineral Commodity Summaries, release per row "
                "(latest year, estimated where USGS says so). Lists: critmin compilation of official lists."
            )

    run_guarded(job)


if __name__ == "__main__":
    app()
