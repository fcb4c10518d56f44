"""``critmin brief``: the partnership brief as a self-contained HTML file, and optionally a PDF."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.context import run_guarded
from critmin.cli.output import errors


def default_name(partners: list[str], year: int) -> Path:
    """``critmin-brief-IND-JPN-2024.html``."""
    return Path(f"critmin-brief-{'-'.join(partners)}-{year}.html")


def brief(
    ctx: typer.Context,
    partners: Annotated[
        list[str] | None, typer.Argument(help="ISO3 codes of two or more partners (default IND JPN).")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Trade year (default: the latest in the store).")] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="HTML file to write (default critmin-brief-<partners>-<year>.html)."
        ),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print a PDF next to the HTML (needs Chromium).")
    ] = False,
    focus: Annotated[
        list[str] | None,
        typer.Option(
            "--mineral", "-m", help="Focus mineral (catalog id or name); repeat. Default: the brief's five."
        ),
    ] = None,
    sourcing: Annotated[str, typer.Option(help="Mineral of the sourcing frontier.")] = "rare_earths",
    draws: Annotated[
        int, typer.Option("--draws", "-n", min=100, max=1_000_000, help="Monte Carlo draws.")
    ] = 5_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    projects: Annotated[
        Path | None, typer.Option(help="YAML file of candidate projects (default: the bundled candidates).")
    ] = None,
) -> None:
    """Write the partnership brief: shared exposures, suppliers, scenarios, projects, sourcing, sources."""
    from critmin.derisking import partner_codes
    from critmin.reports.brief import FOCUS, BriefOptions, collect
    from critmin.reports.html import render
    from critmin.reports.pdf import find_browser, print_pdf

    def job() -> None:
        chosen = tuple(partner_codes(partners or ["IND", "JPN"]))
        browser = find_browser() if pdf else None
        db = ctx.obj.open()
        minerals = tuple(db.commodity_id(m) for m in focus) if focus else FOCUS
        options = BriefOptions(
            partners=chosen,
            year=year,
            focus=minerals,
            sourcing=db.commodity_id(sourcing),
            draws=draws,
            sourcing_draws=max(draws * 2, 1_000),
            seed=seed,
            projects_file=projects,
        )
        start = time.perf_counter()
        with errors.status("collecting") as status:
            result = collect(db, options, progress=lambda step: status.update(f"computing: {step}"))
        page = render(result)
        target = out or default_name(list(chosen), result.year)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
        typer.echo(
            f"wrote {target} ({target.stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - start:.1f} s"
        )
        for note in result.notes:
            typer.echo(f"note: {note}")
        if browser is not None:
            printed = time.perf_counter()
            document = print_pdf(target, target.with_suffix(".pdf"), browser=browser)
            typer.echo(
                f"wrote {document} ({document.stat().st_size / 1e6:.2f} MB) in "
                f"{time.perf_counter() - printed:.1f} s"
            )

    run_guarded(job)
