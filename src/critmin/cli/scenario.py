"""``critmin scenario ...``: what happens if supply breaks? Deterministic scenarios and Monte Carlo."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from critmin import names
from critmin.cli.context import run_guarded
from critmin.cli.output import Format, console, show

if TYPE_CHECKING:
    import pandas as pd

    from critmin.scenarios.disruption import DisruptionModel
    from critmin.scenarios.spec import Scenario

Number = TypeVar("Number", int, float)

app = typer.Typer(
    help="Disruption scenarios: run a spec, or Monte Carlo over many disruptions.", no_args_is_help=True
)

FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or parquet.")]
OutDirOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Folder to write every result table to (in --format).")
]

RUN_COLUMNS = [
    "country",
    "network",
    "year",
    "first_order_t",
    "loss_t",
    "share_of_consumption",
    "stock_drawn_t",
    "days_of_cover_used",
    "stock_runs_out",
    "imports_raised_t",
    "exports_cut_t",
    "retained_t",
]
PERCENT = (
    "share_of_consumption",
    "share",
    "expected_share",
    "p95_share",
    "cvar95_share",
    "share_of_cvar95",
    "probability",
)


def resolve_spec(spec: str) -> Scenario:
    """A scenario from a file path, else from the shipped library by id."""
    from critmin.scenarios.spec import ScenarioError, load_scenario

    path = Path(spec)
    if path.exists():
        return load_scenario(path)
    from critmin.scenarios.library import load_shipped, shipped_ids

    if spec in shipped_ids():
        return load_shipped(spec)
    raise ScenarioError(
        f"{spec}: no such file, and no shipped scenario of that id (shipped: {', '.join(shipped_ids())})"
    )


def _sources_line(frame: pd.DataFrame) -> str:
    return "Sources: " + "; ".join(sorted(set("; ".join(frame["provenance"]).split("; "))))


def write_tables(tables: dict[str, pd.DataFrame], out: Path, fmt: Format) -> list[Path]:
    """Write each table to ``out/<name>.<ext>`` (table format writes CSV)."""
    out.mkdir(parents=True, exist_ok=True)
    file_format = Format.csv if fmt is Format.table else fmt
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.{file_format.value}"
        show(frame, file_format, out=path)
        written.append(path)
    return written


@app.command("list")
def list_shipped(fmt: FormatOption = Format.table) -> None:
    """The shipped scenarios, each with its source."""
    from critmin.scenarios.library import load_shipped, shipped_ids

    def job() -> None:
        import pandas as pd

        rows = []
        for sid in shipped_ids():
            scenario = load_shipped(sid)
            rows.append(
                {
                    "id": sid,
                    "name": scenario.name,
                    "year": scenario.year,
                    "events": len(scenario.events),
                    "source": scenario.sources[0].citation if scenario.sources else "",
                }
            )
        show(pd.DataFrame(rows), fmt, title="Shipped scenarios")

    run_guarded(job)


@app.command()
def run(
    ctx: typer.Context,
    spec: Annotated[str, typer.Argument(help="A scenario file (.yaml, .yml, .json) or a shipped id.")],
    country: Annotated[
        list[str] | None, typer.Option("--country", "-c", help="Show only these countries (codes or names).")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Rows shown in the table.")] = 15,
    fmt: FormatOption = Format.table,
    out: OutDirOption = None,
) -> None:
    """Propagate a scenario's events through the trade network and show who loses what."""
    from critmin.scenarios.run import run_scenario

    def job() -> None:
        scenario = resolve_spec(spec)
        result = run_scenario(ctx.obj.open(), scenario)
        frame = result.countries
        if country:
            frame = frame[frame["country"].isin([names.country(c) for c in country])]
        if out is not None:
            tables = {"countries": result.countries, "through": result.through, "flows": result.flows}
            for path in write_tables(tables, out, fmt):
                console.print(f"wrote {path}", highlight=False)
            return
        if fmt is not Format.table:
            show(frame, fmt)
            return
        days = f"{result.horizon.days} days" + (
            f" from {result.horizon.start}" if result.horizon.start else ""
        )
        show(frame[RUN_COLUMNS].head(top), fmt, title=f"{scenario.name} ({days})", percent=PERCENT)
        for note in result.notes:
            console.print(f"note: {note}", markup=False, highlight=False)
        for source in scenario.sources:
            console.print(
                f"Scenario source: {source.citation} {source.url or ''}", markup=False, highlight=False
            )
        console.print(_sources_line(result.countries), markup=False, highlight=False)

    run_guarded(job)


MC_COLUMNS = [
    "country",
    "network",
    "year",
    "consumption_t",
    "expected_loss_t",
    "expected_share",
    "p95_t",
    "cvar95_t",
    "cvar95_share",
]
CONTRIBUTION_COLUMNS = [
    "country", "network", "supplier", "kind", "probability", "contribution_t", "share_of_cvar95",
]  # fmt: skip
LANE_COLUMNS = [
    "network", "chokepoint", "probability", "duration_days", "fraction", "flows_passing", "flows_stopped",
    "tonnes_at_stake", "basis",
]  # fmt: skip


def _per_chokepoint(option: str, values: list[str], kind: Callable[[str], Number]) -> dict[str, Number]:
    from critmin.errors import CritminError

    out: dict[str, Number] = {}
    for value in values:
        name, _, number = value.partition("=")
        try:
            out[name.strip().lower()] = kind(number)
        except ValueError:
            example = "hormuz=0.05" if kind is float else "hormuz=90"
            raise CritminError(f"{option} {value!r}: write CHOKEPOINT=VALUE, e.g. {example}") from None
    return out


def _model(
    rho: float,
    probability: float | None,
    chokepoints: bool,
    chokepoint_probability: list[str] | None,
    chokepoint_days: list[str] | None,
) -> DisruptionModel:
    """The disruption model of the options (a bad chokepoint value is a critmin error naming it)."""
    from pydantic import ValidationError

    from critmin.errors import CritminError
    from critmin.scenarios.disruption import DisruptionModel

    try:
        return DisruptionModel(
            rho=rho,
            probability=probability,
            chokepoints=chokepoints,
            chokepoint_probabilities=_per_chokepoint(
                "--chokepoint-probability", chokepoint_probability or [], float
            ),
            chokepoint_days=_per_chokepoint("--chokepoint-days", chokepoint_days or [], int),
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        option = "--chokepoint-days" if first["loc"][0] == "chokepoint_days" else "--chokepoint-probability"
        raise CritminError(f"{option}: {first['msg'].removeprefix('Value error, ')}") from None


def _stock_days(values: list[str]) -> dict[str, float]:
    from critmin.errors import CritminError

    out: dict[str, float] = {}
    for value in values:
        code, _, days = value.partition("=")
        try:
            out[names.country(code)] = float(days)
        except ValueError:
            raise CritminError(f"--stock-days {value!r}: write ISO3=DAYS, e.g. JPN=60") from None
    return out


@app.command()
def montecarlo(
    ctx: typer.Context,
    country: Annotated[
        list[str], typer.Option("--country", "-c", help="Countries to report (codes or names).")
    ],
    commodity: Annotated[
        list[str], typer.Option("--commodity", "-m", help="Commodities (one network per traded stage).")
    ],
    draws: Annotated[int, typer.Option("-n", "--draws", help="Number of random years.", min=1)] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random draws.")] = 0,
    year: Annotated[int | None, typer.Option("--year", "-y", help="Network year (default: latest).")] = None,
    rho: Annotated[
        float,
        typer.Option(
            "--rho", min=0.0, max=0.99, help="Correlation of disruptions (one-factor Gaussian copula)."
        ),
    ] = 0.0,
    probability: Annotated[
        float | None,
        typer.Option(
            "--probability",
            min=0.0,
            max=1.0,
            help="One disruption probability for every supplier (default: WGI).",
        ),
    ] = None,
    threshold: Annotated[
        list[float] | None,
        typer.Option("--threshold", help="Report P(loss > X of consumption) for these X (fractions)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler", help="Dask scheduler address (default $CRITMIN_DASK_SCHEDULER, else local)."
        ),
    ] = None,
    stock: Annotated[
        list[str] | None,
        typer.Option("--stock-days", help="A stockpile, ISO3=DAYS of apparent consumption (repeatable)."),
    ] = None,
    chokepoints: Annotated[
        bool,
        typer.Option(
            "--chokepoints", help="Draw chokepoint closures too, at the rates of the record of past ones."
        ),
    ] = False,
    chokepoint_probability: Annotated[
        list[str] | None,
        typer.Option(
            "--chokepoint-probability",
            help="Annual closure probability of a chokepoint, ID=P (repeatable; draws its closures).",
        ),
    ] = None,
    chokepoint_days: Annotated[
        list[str] | None,
        typer.Option("--chokepoint-days", help="Closure length of a chokepoint, ID=DAYS (repeatable)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Suppliers shown per country.")] = 5,
    fmt: FormatOption = Format.table,
    out: OutDirOption = None,
) -> None:
    """Random supplier disruptions and chokepoint closures over many years: losses, CVaR95, causes."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from critmin.scenarios.montecarlo import THRESHOLDS, run_montecarlo

    def job() -> None:
        bar = Progress(
            TextColumn("[bold]draws"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=fmt is not Format.table and out is None,
        )
        with bar:
            task = bar.add_task("draws", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = run_montecarlo(
                ctx.obj.open(),
                [names.country(c) for c in country],
                commodity,
                n=draws,
                seed=seed,
                year=year,
                model=_model(rho, probability, chokepoints, chokepoint_probability, chokepoint_days),
                thresholds=tuple(threshold) if threshold else THRESHOLDS,
                scheduler=scheduler,
                progress=progress,
                stock_days=_stock_days(stock or []),
            )
        if out is not None:
            tables = {
                "summary": result.summary,
                "contributions": result.contributions,
                "suppliers": result.suppliers,
                "chokepoints": result.chokepoints,
            }
            for path in write_tables(tables, out, fmt):
                console.print(f"wrote {path}", highlight=False)
            return
        if fmt is not Format.table:
            show(result.summary, fmt)
            return
        title = f"Monte Carlo: {draws:,} random years, seed {seed} ({result.executor})"
        show(result.summary[MC_COLUMNS], fmt, title=title, percent=PERCENT)
        contributions = result.contributions.groupby(["country", "network"], sort=False).head(top)
        show(contributions[CONTRIBUTION_COLUMNS], fmt, title="Who drives the tail (CVaR95)", percent=PERCENT)
        if not result.chokepoints.empty:
            show(result.chokepoints[LANE_COLUMNS], fmt, title="Chokepoint closures drawn", percent=PERCENT)
        if "provenance" in result.summary.columns:
            console.print(_sources_line(result.summary), markup=False, highlight=False)

    run_guarded(job)
