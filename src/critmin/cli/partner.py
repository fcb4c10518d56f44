"""``critmin partner ...``: what de-risks a group of partners most.

Joint exposure, shared losses, sourcing, stockpiles, projects and product exposure, each from
:mod:`critmin.derisking` and :mod:`critmin.partnership`, so the numbers match the library's.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from critmin import names
from critmin.cli.context import run_guarded
from critmin.cli.output import Format, console, show
from critmin.errors import CritminError

if TYPE_CHECKING:
    import pandas as pd

    from critmin.api import Critmin

app = typer.Typer(
    help="De-risking for partners: joint exposure, shared losses, sourcing, stockpiles, projects, products.",
    no_args_is_help=True,
)

DEFAULT_PARTNERS = ["IND", "JPN"]
PARTS = ("common", "suppliers", "tci", "flows", "candidates")
"""The same as :data:`critmin.derisking.JOINT_PARTS` (checked before the store is read)."""

PartnersArgument = Annotated[
    list[str] | None, typer.Argument(help="ISO3 codes of two or more partners (default IND JPN).")
]
CommodityOption = Annotated[
    list[str], typer.Option("--commodity", "-m", help="Commodity id or name; repeat for several.")
]
YearOption = Annotated[int | None, typer.Option("--year", "-y", help="Year (default: latest with trade).")]
DrawsOption = Annotated[int, typer.Option("-n", "--draws", help="Number of random years.", min=1)]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed of the random draws.")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or parquet.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="File to write (table format writes CSV).")
]
OutDirOption = Annotated[
    Path | None, typer.Option("--out", "-o", help="Folder to write every result table to (in --format).")
]


class PartnerError(CritminError):
    """A ``critmin partner`` command cannot run on these inputs (the message says why)."""


def guarded(job: Callable[[], None]) -> None:
    """:func:`run_guarded`, with plain ``ValueError`` from the pure functions turned into critmin errors."""

    def wrapped() -> None:
        try:
            job()
        except CritminError:
            raise
        except ValueError as error:
            raise PartnerError(str(error)) from None

    run_guarded(wrapped)


def sources_line(*frames: pd.DataFrame | str) -> str:
    """``Sources: a; b; ...``: the distinct provenance tags of the frames' ``provenance`` columns."""
    import pandas as pd

    tags: set[str] = set()
    for item in frames:
        values = [item] if isinstance(item, str) else list(item.get("provenance", pd.Series(dtype=str)))
        for value in values:
            if isinstance(value, str):
                tags.update(t.strip() for t in value.split("; ") if t.strip())
    return "Sources: " + ("; ".join(sorted(tags)) if tags else "none recorded")


def _print(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def _code(given: str, name: str) -> str:
    try:
        return names.country(given)
    except names.UnknownNameError as error:
        raise PartnerError(f"{name}: {error}") from None


def check_countries(db: Critmin, codes: Sequence[str], name: str = "country") -> list[str]:
    """ISO3 codes of countries given by code or name, each a country (not an aggregate) of the store."""
    chosen = list(dict.fromkeys(_code(str(c), name) for c in codes))
    places = db.places()
    known = set(places.loc[~places["is_aggregate"].astype(bool), "code"].astype(str))
    unknown = [c for c in chosen if c not in known]
    if unknown:
        raise PartnerError(
            f"{name}: unknown country {', '.join(repr(c) for c in unknown)} "
            "(give ISO 3166-1 alpha-3 codes of countries, e.g. IND, JPN)"
        )
    return chosen


def _partners(db: Critmin, partners: Sequence[str] | None) -> list[str]:
    chosen = check_countries(db, partners or DEFAULT_PARTNERS, "partners")
    if len(chosen) < 2:
        raise PartnerError(f"partners: name at least two countries, not {chosen}")
    return chosen


def _coverages(values: Sequence[float]) -> list[float]:
    bad = [v for v in values if not 0.0 < v <= 1.0]
    if bad:
        raise PartnerError(f"-p: coverages must be in (0, 1], not {', '.join(str(v) for v in bad)}")
    return list(dict.fromkeys(float(v) for v in values))


def _emit(frame: pd.DataFrame, fmt: Format, out: Path | None) -> None:
    """Write a frame in a file format (to ``out`` or stdout)."""
    show(frame, Format.csv if fmt is Format.table else fmt, out=out)


def _write_tables(tables: dict[str, pd.DataFrame], out: Path, fmt: Format) -> None:
    from critmin.cli.scenario import write_tables

    for path in write_tables(tables, out, fmt):
        _print(f"wrote {path}")


def _percent(frame: pd.DataFrame) -> tuple[str, ...]:
    return tuple(c for c in frame.columns if c.endswith(("_share", "share")) or c.startswith("p_"))


# --------------------------------------------------------------------------------------------- joint


@app.command()
def joint(
    ctx: typer.Context,
    partners: PartnersArgument = None,
    year: YearOption = None,
    part: Annotated[
        str, typer.Option("--part", help="common, suppliers, tci, flows or candidates.")
    ] = "common",
    top: Annotated[int, typer.Option("--top", help="Rows shown in the table (0: all).", min=0)] = 40,
    fmt: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Joint exposure and complementarity: common imports and suppliers, TCI, flows, candidates."""
    from critmin.derisking import joint_exposure, joint_part

    def job() -> None:
        if part not in PARTS:
            raise PartnerError(f"--part must be one of {', '.join(PARTS)}, not {part!r}")
        db = ctx.obj.open()
        exposure = joint_exposure(db, _partners(db, partners), year)
        frame, columns, title = joint_part(exposure, part)
        if fmt is not Format.table or out is not None:
            _emit(frame, fmt, out)
            return
        if frame.empty:
            _print(f"{title}: no rows")
        else:
            shown = frame[columns].head(top) if top else frame[columns]
            show(shown, fmt, title=title, percent=_percent(shown))
            if len(shown) < len(frame):
                _print(f"showing {len(shown)} of {len(frame)} rows (--top 0 for all)")
        _print(sources_line(frame))

    guarded(job)


# -------------------------------------------------------------------------------------------- losses

SUMMARY_COLUMNS = [
    "network",
    "country",
    "consumption_t",
    "expected_loss_t",
    "expected_share",
    "p95_t",
    "cvar95_t",
    "cvar95_share",
]


@app.command()
def losses(
    ctx: typer.Context,
    partners: PartnersArgument = None,
    commodity: CommodityOption = ["rare_earths"],  # noqa: B006
    draws: DrawsOption = 10_000,
    seed: SeedOption = 0,
    year: YearOption = None,
    threshold: Annotated[
        float, typer.Option("--threshold", help="A loss year: loss above this share of consumption.")
    ] = 0.05,
    fmt: FormatOption = Format.table,
    out: OutDirOption = None,
) -> None:
    """Monte Carlo on the same draws for every partner: how often they lose together."""
    from critmin.derisking import shared_losses

    def job() -> None:
        db = ctx.obj.open()
        study = shared_losses(
            db, _partners(db, partners), commodity, n=draws, seed=seed, year=year, threshold=threshold
        )
        summary = study.result.summary
        if out is not None:
            _write_tables({"together": study.together, "summary": summary}, out, fmt)
            return
        if fmt is not Format.table:
            show(study.together, fmt)
            return
        title = f"Loss years together (loss > {threshold:.0%} of consumption; {draws:,} years, seed {seed})"
        show(
            study.together.drop(columns="provenance"),
            fmt,
            title=title,
            percent=(*_percent(study.together), "threshold"),
        )
        show(summary[SUMMARY_COLUMNS], fmt, title="Per partner", percent=_percent(summary))
        _print(sources_line(study.together, summary))

    guarded(job)


# ------------------------------------------------------------------------------------------ sourcing


@app.command()
def sourcing(
    ctx: typer.Context,
    importer: Annotated[str, typer.Argument(help="ISO3 code of the importer.")],
    commodity: Annotated[str, typer.Option("--commodity", "-m", help="Commodity id or name.")],
    year: YearOption = None,
    stage: Annotated[str | None, typer.Option("--stage", "-s", help="Stage (if traded at several).")] = None,
    draws: DrawsOption = 20_000,
    seed: SeedOption = 0,
    alpha: Annotated[float, typer.Option("--alpha", help="CVaR level.")] = 0.95,
    max_share: Annotated[float, typer.Option("--max-share", help="Most any one supplier may hold.")] = 1.0,
    points: Annotated[int, typer.Option("--points", help="Points on the frontier.", min=1)] = 8,
    fmt: FormatOption = Format.table,
    out: OutDirOption = None,
) -> None:
    """The import shares that minimise the CVaR of shortfall, against the current ones, and the frontier."""
    from critmin.derisking import sourcing_shares, sourcing_study

    def job() -> None:
        if not 0 < alpha < 1:
            raise PartnerError(f"--alpha: must be in (0, 1), not {alpha}")
        db = ctx.obj.open()
        code = check_countries(db, [importer], "importer")[0]
        study = sourcing_study(
            db,
            code,
            commodity,
            year=year,
            stage=stage,
            n=draws,
            seed=seed,
            alpha=alpha,
            points=points,
            max_share=max_share,
        )
        shares = sourcing_shares(study)
        frontier = study.frontier.assign(provenance=study.provenance)
        if out is not None:
            _write_tables({"suppliers": shares, "frontier": frontier}, out, fmt)
            return
        if fmt is not Format.table:
            show(shares, fmt)
            return
        level = f"CVaR{alpha * 100:g}"
        title = f"{code} {study.network}: current and least-{level} shares ({draws:,} years, seed {seed})"
        show(
            shares.drop(columns="provenance"),
            fmt,
            title=title,
            percent=("current_share", "optimal_share", "capacity_share", "premium", "probability"),
        )
        columns = ["budget", "cost", "cvar", "var", "expected"]
        show(
            frontier[columns],
            fmt,
            title=f"Frontier: least {level} for each price premium budget",
            percent=("budget", "cost", "cvar", "var", "expected"),
        )
        _print(
            f"{level} of shortfall (share of needs): current {study.current['cvar']:.1%} -> optimum "
            f"{study.optimum.cvar:.1%}"
        )
        _print(sources_line(study.provenance))

    guarded(job)


# ----------------------------------------------------------------------------------------- stockpile

STOCK_COLUMNS = [
    "network",
    "p",
    "partner",
    "consumption_t",
    "stock_t",
    "days_of_cover",
    "pooling_saving_t",
    "pooling_saving_pct",
    "note",
]


@app.command()
def stockpile(
    ctx: typer.Context,
    partners: PartnersArgument = None,
    commodity: CommodityOption = ["rare_earths"],  # noqa: B006
    draws: DrawsOption = 10_000,
    seed: SeedOption = 0,
    year: YearOption = None,
    coverage: Annotated[
        list[float] | None,
        typer.Option("-p", "--coverage", help="Share of simulated years covered (repeatable; default 0.95)."),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Re-run the Monte Carlo holding the sized stocks.")
    ] = False,
    fmt: FormatOption = Format.table,
    out: OutDirOption = None,
) -> None:
    """The stockpile (tonnes, days of cover) covering the shortfall in p of the years, each and pooled."""
    from critmin.partnership import stockpile as stock
    from critmin.scenarios.montecarlo import run_montecarlo

    def job() -> None:
        import pandas as pd

        ps = _coverages(coverage or [0.95])
        db = ctx.obj.open()
        chosen = _partners(db, partners)
        run = functools.partial(run_montecarlo, db, chosen, list(commodity), n=draws, seed=seed, year=year)
        result = run()
        sizes = pd.concat(
            [stock.size_from_montecarlo(result, net, partners=chosen, p=ps) for net in result.losses],
            ignore_index=True,
        )
        checks = pd.DataFrame()
        if check:
            checks = pd.concat(
                [stock.check(run, sizes[sizes["network"] == net], p=p) for net in result.losses for p in ps],
                ignore_index=True,
            )
        if out is not None:
            _write_tables({"stockpile": sizes, **({"check": checks} if check else {})}, out, fmt)
            return
        if fmt is not Format.table:
            show(sizes, fmt)
            return
        title = f"Stockpile covering the loss in p of {draws:,} simulated years (seed {seed})"
        show(sizes[STOCK_COLUMNS], fmt, title=title, percent=("p",))
        if check:
            columns = [
                "network",
                "p",
                "partner",
                "days_of_cover",
                "share_years_zero_loss",
                "share_years_below_tolerance",
            ]
            show(
                checks[columns],
                fmt,
                title="Coverage with the sized stocks (re-run, same draws)",
                percent=("p", "share_years_zero_loss", "share_years_below_tolerance"),
            )
        _print("POOLED: one stock shared by the partners; saving = sum of individual stocks - pooled stock.")
        _print(sources_line(sizes))

    guarded(job)


# ------------------------------------------------------------------------------------------ projects

RANK_COLUMNS = [
    "rank",
    "project",
    "country",
    "commodity",
    "capacity_t",
    "cvar95_before_t",
    "cvar95_cut_t",
    "cvar95_cut_share",
    "cut_per_t",
]
EVAL_COLUMNS = [
    "project",
    "partner",
    "offtake_share",
    "import_hhi_before",
    "import_hhi_after",
    "cvar95_t_before",
    "cvar95_t_after",
    "cvar95_cut_t",
]


@app.command()
def projects(
    ctx: typer.Context,
    file: Annotated[
        Path | None, typer.Argument(help="Projects YAML (default: the bundled candidate projects).")
    ] = None,
    partner: Annotated[
        list[str] | None, typer.Option("--partner", help="Partner ISO3 (repeat; default IND and JPN).")
    ] = None,
    draws: DrawsOption = 10_000,
    seed: SeedOption = 0,
    year: YearOption = None,
    fmt: FormatOption = Format.table,
    out: OutDirOption = None,
) -> None:
    """Candidate projects applied to the networks, ranked by risk cut per tonne of capacity."""
    from critmin.derisking import candidate_projects, evaluate_projects

    def job() -> None:
        db = ctx.obj.open()
        chosen = _partners(db, partner)
        specs = candidate_projects(file)
        ranking = evaluate_projects(db, specs, chosen, n=draws, seed=seed, year=year)
        if out is not None:
            _write_tables({"ranking": ranking.ranking, "evaluation": ranking.evaluation}, out, fmt)
            return
        if fmt is not Format.table:
            show(ranking.ranking, fmt)
            return
        origin = str(file) if file else "bundled candidates"
        title = (
            f"Projects ranked by CVaR95 cut per tonne of capacity ({origin}; {draws:,} years, seed {seed})"
        )
        show(ranking.ranking[RANK_COLUMNS], fmt, title=title, percent=("cvar95_cut_share",))
        show(ranking.evaluation[EVAL_COLUMNS], fmt, title="Per partner", percent=("offtake_share",))
        _print(sources_line(ranking.ranking))

    guarded(job)


# ------------------------------------------------------------------------------------------ products

_MIX_ROW = re.compile(r"mix row (\d+)")


def read_mix(path: Path) -> pd.DataFrame:
    """A product-mix CSV (``product, quantity, unit``); errors name the file."""
    import pandas as pd

    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise PartnerError(f"{path}: no such file") from None
    except (OSError, ValueError) as error:
        raise PartnerError(f"{path}: cannot read as CSV: {error}") from None


def product_mix(
    mix_file: Path | None, ev: float | None, kwh: float | None, chemistry: str, table: pd.DataFrame
) -> tuple[pd.DataFrame, str]:
    """The checked mix from a CSV file or the EV shortcut, and a label for it."""
    from critmin.partnership import products

    if (mix_file is None) == (ev is None):
        raise PartnerError("give a product-mix CSV or --ev N --kwh K, not both nor neither")
    if mix_file is not None:
        mix = read_mix(mix_file)
        try:
            return products.check_mix(mix, table), str(mix_file)
        except products.ProductError as error:
            text = _MIX_ROW.sub(lambda m: f"line {int(m.group(1)) + 2} (mix row {m.group(1)})", str(error))
            raise PartnerError(f"{mix_file}: {text}") from None
    if kwh is None:
        raise PartnerError("--ev needs --kwh (pack size in kWh)")
    battery = "battery_" + chemistry.strip().lower()
    known = sorted(p for p in set(table["product"]) if p.startswith("battery_"))
    if battery not in known:
        names = ", ".join(k.removeprefix("battery_").upper() for k in known)
        raise PartnerError(f"--chemistry: no intensities for {chemistry!r} (known: {names})")
    try:
        mix = products.ev_mix(float(ev or 0), kwh, battery)
    except products.ProductError as error:
        raise PartnerError(f"--ev/--kwh: {error}") from None
    return mix, f"{ev:,.0f} EVs with {kwh:g} kWh {chemistry.upper()} packs"


@app.command("products")
def products_command(
    ctx: typer.Context,
    mix_file: Annotated[
        Path | None, typer.Argument(help="Product-mix CSV with columns product, quantity, unit.")
    ] = None,
    country: Annotated[str, typer.Option("--country", "-c", help="ISO3 of the building country.")] = "IND",
    year: YearOption = None,
    ev: Annotated[float | None, typer.Option("--ev", help="Shortcut: this many EVs (with --kwh).")] = None,
    kwh: Annotated[float | None, typer.Option("--kwh", help="Battery pack size in kWh.")] = None,
    chemistry: Annotated[
        str, typer.Option("--chemistry", help="Cell chemistry, e.g. NMC811, LFP.")
    ] = "NMC811",
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", "-s", help="Scenario file or shipped id: the needs lost under it."),
    ] = None,
    fmt: FormatOption = Format.table,
    out: OutDirOption = None,
) -> None:
    """A product mix becomes mineral needs, their import exposure and their loss under a scenario."""
    from critmin.cli.scenario import resolve_spec
    from critmin.derisking import product_exposure
    from critmin.partnership import products
    from critmin.scenarios.run import run_scenario

    def job() -> None:
        table = products.intensities()
        mix, label = product_mix(mix_file, ev, kwh, chemistry, table)
        db = ctx.obj.open()
        code = check_countries(db, [country], "--country")[0]
        by, summary, when, trade_sources = product_exposure(db, mix, code, year, table)
        tables = {"needs": by, "exposure": summary}
        if scenario is not None:
            result = run_scenario(db, resolve_spec(scenario))
            lost = products.scenario_loss(products.needs(mix, table), result.countries, code)
            tables["scenario_loss"] = lost.assign(
                scenario=result.scenario.name, provenance=sources_line(result.countries)
            )
        if out is not None:
            _write_tables(tables, out, fmt)
            return
        if fmt is not Format.table:
            show(tables["scenario_loss"] if scenario is not None else summary, fmt)
            return
        show(by[["commodity", "need_t", "products"]], fmt, title=f"Mineral needs of {label} (tonnes)")
        columns = [
            "commodity",
            "stage",
            "year",
            "need_t",
            "imported_t",
            "suppliers",
            "hhi",
            "top_suppliers",
            "share_unattributed",
            "note",
        ]
        show(
            summary[columns],
            fmt,
            title=f"Import exposure if built in {code} (sourced as its {when} imports)",
            percent=("share_unattributed",),
        )
        for commodity, sources in zip(by["commodity"], by["sources"], strict=True):
            _print(f"Intensity source ({commodity}): {sources}")
        _print(f"Sources: {trade_sources}")
        if scenario is not None:
            lost = tables["scenario_loss"]
            show(
                lost[["commodity", "network", "need_t", "share_of_consumption", "loss_t", "note"]],
                fmt,
                title=f"Needs lost in {code} under: {lost['scenario'].iloc[0] if len(lost) else scenario}",
                percent=("share_of_consumption",),
            )
            _print(str(lost["provenance"].iloc[0]) if len(lost) else "")

    guarded(job)
