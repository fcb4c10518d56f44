"""``critmin risk ...``: exposure profiles of a country, a mineral, a pair of countries, or a comparison.

Country, pair and comparison read through :mod:`critmin.services`, as the dashboard and the
REST API do: the store's precomputed derived tables when fresh, otherwise computed on demand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from critmin import names
from critmin.cli.context import run_guarded
from critmin.cli.output import Format, console, show
from critmin.errors import CritminError

app = typer.Typer(
    help="Where are we exposed? Profiles by country, mineral and pair; countries compared.",
    no_args_is_help=True,
)

YearOption = Annotated[
    int | None, typer.Option("--year", "-y", help="Year (default: latest with trade data).")
]
StageOption = Annotated[str | None, typer.Option("--stage", "-s", help="mine, refinery, smelter, ...")]
MethodOption = Annotated[str, typer.Option("--method", "-m", help="eu, geopolrisk or usgs.")]
FormatOption = Annotated[Format, typer.Option("--format", "-f", help="table, csv, json or parquet.")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="File to write (stdout if omitted).")]

COUNTRY_COLUMNS = [
    "commodity",
    "stage",
    "year",
    "score",
    "import_reliance",
    "sourcing_basis",
    "import_hhi",
    "top1_exporter",
    "top1_share",
    "share_weak_governance",
    "listed",
    "defaults_used",
    "score_note",
]

PERCENT = ("top1_share", "share_weak_governance", "import_reliance", "share", "top1_share_of_world")


def _check_method(method: str) -> None:
    from critmin.profiles import METHODS

    if method not in METHODS:
        raise CritminError(f"--method must be one of {', '.join(METHODS)}, not {method!r}")


def _footer(fmt: Format, text: str) -> None:
    if fmt is Format.table:
        console.print(text, markup=False, highlight=False)


@app.command()
def country(
    ctx: typer.Context,
    iso3: Annotated[
        str, typer.Argument(help="Country: ISO3 or ISO2 code or name (EUU or EU for the EU-27).")
    ],
    year: YearOption = None,
    stage: StageOption = None,
    method: MethodOption = "eu",
    all_minerals: Annotated[
        bool, typer.Option("--all", help="Every mineral, not only those imported or on the country's list.")
    ] = False,
    fmt: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """A country's exposures, most critical first (minerals it imports or lists as critical)."""
    from critmin import services

    def job() -> None:
        _check_method(method)
        code = names.country(iso3)
        frame = services.exposures(
            ctx.obj.open(),
            code,
            year=year,
            stage=stage,
            method=method,
            all_minerals=all_minerals,
        )

        if fmt is Format.table:
            title = f"{code}: supply risk by mineral ({method}, {int(frame['year'].iloc[0])})"
            show(frame[[c for c in COUNTRY_COLUMNS if c in frame.columns]], fmt, title=title, percent=PERCENT)
            _footer(fmt, "Sources: " + "; ".join(sorted(set("; ".join(frame["provenance"]).split("; ")))))
        else:
            show(frame, fmt, out=out)

    run_guarded(job)


@app.command()
def mineral(
    ctx: typer.Context,
    commodity: Annotated[str, typer.Argument(help='Commodity id or name, e.g. "rare earths".')],
    year: YearOption = None,
    stage: StageOption = None,
    fmt: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Producers by stage, concentration and governance, and the main exporters of a mineral."""
    from critmin.profiles import mineral_profile

    def job() -> None:
        db = ctx.obj.open()
        found = db.commodity_names().resolve(commodity)
        profile = mineral_profile(db, found.id, year, stage=stage)
        if fmt is Format.table and found.note:
            said = f"{commodity!r}: {found.name} ({found.id}): {found.note}"
            console.print(said, markup=False, highlight=False)
        if fmt is not Format.table:
            show(profile.summary, fmt, out=out)
            return
        summary = profile.summary[
            ["commodity", "stage", "year", "top1_country", "top1_share_of_world", "hhi_point", "hhi_wgi_t",
             "producers_above_5pct", "provenance"]
        ]  # fmt: skip
        show(summary, fmt, title="Supply concentration", percent=PERCENT)
        show(profile.producers.groupby("stage").head(8), fmt, title="Producers", percent=PERCENT)
        if not profile.exporters.empty:
            columns = ["stage", "year", "exporter", "quantity_t", "value_usd", "share", "basis"]
            show(profile.exporters.groupby("stage").head(8)[columns], fmt, title="Exporters", percent=PERCENT)

    run_guarded(job)


@app.command()
def pair(
    ctx: typer.Context,
    first: Annotated[str, typer.Argument(help="The first partner (code or name).")] = "IND",
    second: Annotated[str, typer.Argument(help="The second partner (code or name).")] = "JPN",
    year: YearOption = None,
    stage: StageOption = None,
    method: MethodOption = "eu",
    fmt: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Minerals both partners depend on, with the suppliers they share."""
    from critmin import services

    def job() -> None:
        _check_method(method)
        a, b = names.country(first), names.country(second)
        frame = services.pair(ctx.obj.open(), a, b, year=year, stage=stage, method=method)
        if fmt is Format.table:
            columns = [
                "commodity",
                "stage",
                "year",
                f"score_{a}",
                f"score_{b}",
                "joint_score",
                "common_suppliers",
            ]
            show(frame[columns], fmt, title=f"{a} and {b}: shared exposures ({method})")
            _footer(
                fmt, "Common suppliers: exporters with >= 5% of both partners' imports (share a/share b)."
            )
        else:
            show(frame, fmt, out=out)

    run_guarded(job)


@app.command()
def compare(
    ctx: typer.Context,
    countries: Annotated[
        list[str],
        typer.Argument(help="Two to four countries (codes or names; EUU for the EU-27), e.g. JPN IND USA."),
    ],
    year: YearOption = None,
    method: MethodOption = "eu",
    fmt: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Two to four countries side by side: each one's score, import reliance and top supplier per mineral."""
    from critmin import services
    from critmin.services.exposures import MAX_COMPARED

    def job() -> None:
        _check_method(method)
        codes = [names.country(c) for c in countries]
        if len(set(codes)) != len(codes) or not 2 <= len(codes) <= MAX_COMPARED:
            raise CritminError(f"give 2 to {MAX_COMPARED} different ISO3 codes, not {' '.join(codes)}")
        db = ctx.obj.open()
        known = set(db.places()["code"])
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise CritminError(f"unknown country code {', '.join(unknown)} (ISO3, or EUU for the EU-27)")
        frame = services.compare(db, codes, year=year, method=method)
        if fmt is Format.table:
            columns = ["commodity", "stage"]
            for code in codes:
                columns += [f"score_{code}", f"import_reliance_{code}", f"top1_exporter_{code}"]
            shown = int(frame["year"].max()) if frame["year"].notna().any() else year
            title = f"{', '.join(codes)}: supply risk side by side ({method}, {shown})"
            reliance = tuple(f"import_reliance_{code}" for code in codes)
            show(frame[[*columns, "max_score"]], fmt, title=title, percent=(*PERCENT, *reliance))
            _footer(fmt, "Sources: " + "; ".join(sorted(set("; ".join(frame["provenance"]).split("; ")))))
        else:
            show(frame, fmt, out=out)

    run_guarded(job)


CHOKEPOINT_COLUMNS = [
    "commodity",
    "stage",
    "chokepoint_name",
    "share_t",
    "share_usd",
    "quantity_t",
    "value_usd",
]
ROUTES_NOTE = "routes: searoute's maritime network, critmin chokepoint gates"


@app.command()
def chokepoints(
    ctx: typer.Context,
    iso3: Annotated[str, typer.Argument(help="The importer (code or name).")],
    year: YearOption = None,
    commodity: Annotated[str | None, typer.Option("--commodity", "-c", help="One commodity only.")] = None,
    fmt: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """A country's imports through each sea-lane chokepoint (Hormuz, Malacca, ...), by mineral."""
    from critmin import services

    def job() -> None:
        code = names.country(iso3)
        frame = services.country_chokepoints(ctx.obj.open(), code, year=year, commodity=commodity)
        if fmt is not Format.table:
            show(frame, fmt, out=out)
            return
        shown = int(frame["year"].iloc[0]) if len(frame) else year
        title = f"{code}: imports through chokepoints ({shown}; shares of all its imports)"
        show(frame[CHOKEPOINT_COLUMNS], fmt, title=title, percent=("share_t", "share_usd"))
        releases = sorted(set(frame["release"].dropna()))
        _footer(fmt, f"Sources: {', '.join(releases) or 'none'}; {ROUTES_NOTE}")

    run_guarded(job)


@app.command()
def chokepoint(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Chokepoint id or name, e.g. hormuz or 'Strait of Malacca'.")],
    year: YearOption = None,
    fmt: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """What passes one chokepoint: the world's traded minerals through it, with the top importers."""
    from critmin import services

    def job() -> None:
        point = services.chokepoints.chokepoint(name)
        frame = services.chokepoint_flows(ctx.obj.open(), point.id, year=year)
        if fmt is not Format.table:
            show(frame, fmt, out=out)
            return
        shown = int(frame["year"].iloc[0]) if len(frame) else year
        columns = ["commodity", "stage", "quantity_t", "value_usd", "importers", "top_importers"]
        show(frame[columns], fmt, title=f"{point.name}: minerals passing it ({shown}, BACI HS92)")
        _footer(fmt, f"Chokepoint: {point.source}; {ROUTES_NOTE}")

    run_guarded(job)


EU_COMPARE_COLUMNS = [
    "material",
    "compared_stage",
    "critmin_commodity",
    "year",
    "published_sr",
    "critmin_sr",
    "difference",
    "sourcing_basis",
    "import_reliance",
]


@app.command("eu-compare")
def eu_compare(
    ctx: typer.Context,
    fmt: FormatOption = Format.table,
    out: OutOption = None,
) -> None:
    """Critmin's EU-27 supply risk against the published EU 2023 figures, material by material."""
    from critmin.services.eu_published import eu_2023_comparison

    def job() -> None:
        table, summary = eu_2023_comparison(ctx.obj.open())
        if fmt is Format.table:
            title = "EU-27 supply risk: published EU 2023 (Grohol and Veeh 2023) vs critmin"
            show(table[EU_COMPARE_COLUMNS], fmt, title=title, percent=("import_reliance",))
            _footer(
                fmt,
                f"{summary.materials} materials: Spearman {summary.spearman:.3f}, Kendall "
                f"{summary.kendall:.3f}; same side of SR >= 1: {summary.threshold_agreement:.1%} "
                f"(both {summary.both_critical}, neither {summary.both_not_critical}, only published "
                f"{summary.only_published_critical}, only critmin {summary.only_critmin_critical}); "
                f"median |difference| {summary.median_abs_difference:.2f}.",
            )
        else:
            show(table, fmt, out=out)

    run_guarded(job)
