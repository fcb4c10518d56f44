"""Entry point of the ``critmin`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin import __version__
from critmin.cli import data as data_commands
from critmin.cli.context import State, run_guarded
from critmin.cli.output import Format, show

app = typer.Typer(
    name="critmin",
    help="Critical-mineral supply-chain risk and resilience planning on real, traceable data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(data_commands.app, name="data")


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
    country: Annotated[list[str], typer.Option("--country", "-c", help="ISO3 code; repeat for several.")] = [  # noqa: B006
        "IND",
        "JPN",
    ],
    top: Annotated[int, typer.Option(help="Minerals per country.")] = 10,
    fmt: Annotated[Format, typer.Option("--format", "-f")] = Format.table,
) -> None:
    """Each country's listed critical minerals with the most concentrated supply (USGS, latest year)."""
    from critmin.overview import most_concentrated

    def job() -> None:
        db = ctx.obj.open()
        frame = most_concentrated(db, [c.upper() for c in country], top=top)
        columns = [
            "country",
            "commodity",
            "stage",
            "year",
            "top1_country",
            "top1_share_world_or_reported",
            "share_basis",
            "top3_share",
            "hhi",
            "producers",
            "release",
        ]
        if frame.empty:
            typer.echo("no listed minerals with production data for " + ", ".join(country))
            return
        lists = frame.drop_duplicates("country")[["country", "list"]]
        title = "Most concentrated supply of listed critical minerals: " + "; ".join(
            f"{c} from {name}" for c, name in zip(lists["country"], lists["list"], strict=True)
        )
        show(frame[columns], fmt, title=title)
        if fmt is Format.table:
            typer.echo(
                "Source: USGS Mineral Commodity Summaries (release per row); shares of world production."
            )

    run_guarded(job)


if __name__ == "__main__":
    app()
