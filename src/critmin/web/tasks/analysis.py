"""Monte Carlo, shared losses, sourcing, stockpiles, projects and briefs, as jobs.

Each task reads its (already validated) parameters, calls the same library function the CLI calls
(:func:`critmin.scenarios.montecarlo.run_montecarlo`, :mod:`critmin.derisking`,
:mod:`critmin.reports`), so a job's numbers equal the library's for the same seed, and reports its
progress through ``report``.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.web.jobs import Report
from critmin.web.tasks import open_store, task

DRAWS_SHARE = 0.95
"""Share of the progress bar the draws fill; the rest is the summary tables."""


def draws_progress(report: Report, label: str = "draws") -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback for :func:`run_montecarlo` that reports to the job."""

    def progress(done: int, total: int) -> None:
        if total > 0:
            report(DRAWS_SHARE * done / total, f"{label}: {done:,} of {total:,}")

    return progress


@task("montecarlo")
def montecarlo(db_path: Path, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Random supplier disruptions: ``summary``, ``contributions``, ``suppliers``, ``chokepoints`` tables."""
    from critmin.scenarios.disruption import DisruptionModel
    from critmin.scenarios.montecarlo import run_montecarlo

    result = run_montecarlo(
        open_store(db_path),
        list(params["countries"]),
        list(params["commodities"]),
        n=int(params["n"]),
        seed=int(params["seed"]),
        year=params.get("year"),
        model=DisruptionModel.model_validate(params.get("model") or {"rho": float(params.get("rho") or 0.0)}),
        progress=draws_progress(report),
        stock_days=params.get("stock_days") or None,
    )
    return {
        "summary": result.summary,
        "contributions": result.contributions,
        "suppliers": result.suppliers,
        "chokepoints": result.chokepoints,
    }


@task("losses")
def losses(db_path: Path, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """The partners' Monte Carlo on the same draws: ``together`` and the per-partner ``summary``."""
    from critmin.derisking import shared_losses

    study = shared_losses(
        open_store(db_path),
        list(params["partners"]),
        list(params["commodities"]),
        n=int(params["n"]),
        seed=int(params["seed"]),
        year=params.get("year"),
        threshold=float(params["threshold"]),
        progress=draws_progress(report),
    )
    return {"together": study.together, "summary": study.result.summary}


@task("sourcing")
def sourcing(db_path: Path, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """The least-CVaR import shares of one importer: ``suppliers``, ``frontier`` and a one-row ``summary``."""
    from critmin.derisking import sourcing_shares, sourcing_study

    report(0.1, "optimising the import shares")
    study = sourcing_study(
        open_store(db_path),
        str(params["importer"]),
        str(params["commodity"]),
        year=params.get("year"),
        stage=params.get("stage"),
        n=int(params["n"]),
        seed=int(params["seed"]),
        alpha=float(params["alpha"]),
        points=int(params["points"]),
        max_share=float(params["max_share"]),
    )
    summary = pd.DataFrame(
        [
            {
                "importer": study.importer,
                "network": study.network,
                "year": study.year,
                "alpha": study.alpha,
                "draws": study.draws,
                "seed": study.seed,
                "current_cvar": study.current["cvar"],
                "current_var": study.current["var"],
                "current_expected": study.current["expected"],
                "current_cost": study.current["cost"],
                "optimum_cvar": study.optimum.cvar,
                "provenance": study.provenance,
            }
        ]
    )
    return {
        "suppliers": sourcing_shares(study),
        "frontier": study.frontier.assign(provenance=study.provenance),
        "summary": summary,
    }


@task("stockpile")
def stockpile(db_path: Path, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """The stockpile covering the shortfall in ``p`` of the simulated years, each partner and pooled."""
    from critmin.partnership import stockpile as stock
    from critmin.scenarios.montecarlo import run_montecarlo

    partners = list(params["partners"])
    run = functools.partial(
        run_montecarlo,
        open_store(db_path),
        partners,
        [str(params["commodity"])],
        n=int(params["n"]),
        seed=int(params["seed"]),
        year=params.get("year"),
    )
    result = run(progress=draws_progress(report))
    sizes = pd.concat(
        [
            stock.size_from_montecarlo(result, net, partners=partners, p=list(params["p"]))
            for net in result.losses
        ],
        ignore_index=True,
    )
    return {"stockpile": sizes, "summary": result.summary}


@task("projects")
def projects(db_path: Path, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Candidate projects applied to the networks and ranked: ``ranking`` and ``evaluation``."""
    from critmin.derisking import candidate_projects, evaluate_projects
    from critmin.partnership.projects import parse_projects

    given = params.get("projects")
    specs = parse_projects(given) if given else candidate_projects()
    report(0.1, f"evaluating {len(specs)} projects")
    ranking = evaluate_projects(
        open_store(db_path),
        specs,
        list(params["partners"]),
        n=int(params["n"]),
        seed=int(params["seed"]),
        year=params.get("year"),
    )
    return {"ranking": ranking.ranking, "evaluation": ranking.evaluation}


BRIEF_STEPS = 7
"""Steps of :func:`critmin.reports.brief.collect` before the per-partner sourcing studies."""


@task("brief")
def brief(db_path: Path, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """The partnership brief: ``html`` (and ``pdf``) as files, and the ``notes`` of what was left out."""
    from critmin.reports.brief import BriefOptions, collect
    from critmin.reports.html import render
    from critmin.reports.pdf import find_browser, print_pdf

    browser = find_browser() if params.get("pdf") else None
    partners = tuple(params["partners"])
    draws = int(params["draws"])
    options = BriefOptions(
        partners=partners,
        year=params.get("year"),
        draws=draws,
        sourcing_draws=max(draws * 2, 1_000),
        seed=int(params["seed"]),
    )
    total = BRIEF_STEPS + len(partners) + 1
    done = [0]

    def progress(step: str) -> None:
        report(done[0] / total, f"computing: {step}")
        done[0] += 1

    result = collect(open_store(db_path), options, progress=progress)
    report((total - 1) / total, "rendering")
    page = render(result)
    name = f"critmin-brief-{'-'.join(result.options.partners)}-{result.year}"
    out: dict[str, Any] = {
        "html": {"filename": f"{name}.html", "content": page.encode("utf-8")},
        "notes": list(result.notes),
    }
    if browser is not None:
        report((total - 0.5) / total, "printing the PDF")
        with tempfile.TemporaryDirectory(prefix="critmin-brief-") as folder:
            html_file = Path(folder) / f"{name}.html"
            html_file.write_text(page, encoding="utf-8")
            document = print_pdf(html_file, Path(folder) / f"{name}.pdf", browser=browser)
            out["pdf"] = {"filename": f"{name}.pdf", "content": document.read_bytes()}
    return out


@task("event_scenario")
def event_scenario(db_path: Path, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """A register event's scenario: ``countries``, ``through``, ``flows`` (with ``event_id``), ``notes``."""
    from critmin.events.service import event_scenario as make
    from critmin.scenarios.run import run_scenario

    db = open_store(db_path)
    event_id = str(params["event_id"])
    made = make(
        db,
        event_id,
        fraction=params.get("fraction"),
        duration_days=params.get("duration_days"),
        year=params.get("year"),
        commodities=params.get("commodities"),
    )
    report(0.1, f"running {made.spec.name}")
    result = run_scenario(db, made.spec)
    notes = [f"event_id: {event_id}", *result.notes]
    if made.dropped:
        notes.append(f"not in the HS92 trade data, left out: {', '.join(made.dropped)}")
    notes += [f"event source: {s.citation} {s.url or ''}".strip() for s in made.spec.sources]
    return {
        "countries": result.countries.assign(event_id=event_id),
        "through": result.through.assign(event_id=event_id),
        "flows": result.flows.assign(event_id=event_id),
        "notes": notes,
        "event": pd.DataFrame([{"event_id": event_id, "scenario": made.spec.name}]),
    }
