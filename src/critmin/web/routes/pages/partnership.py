"""``/partnership``: two partners' joint exposures (read), ranked projects and sourcing frontiers (jobs)."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse
from markupsafe import Markup

from critmin import charts, services
from critmin.charts import format_value
from critmin.web.deps import Jobs, store_key
from critmin.web.jobs import Job
from critmin.web.routes.pages import lookups, studies
from critmin.web.routes.pages.blocks import (
    Col,
    Section,
    chart,
    country_href,
    mineral_href,
    note,
    records,
    sources_of,
    table,
)
from critmin.web.routes.pages.errors import PageError
from critmin.web.routes.pages.exposure import TOP_BARS, releases_of, state
from critmin.web.routes.pages.lookups import Lookups
from critmin.web.routes.pages.render import environment, guarded, render
from critmin.web.routes.pages.scenarios import JOB_ID, WAIT_SECONDS

router = APIRouter(include_in_schema=False)


def _studies(request: Request) -> studies.StudyJobs:
    if not hasattr(request.app.state, "studies"):
        request.app.state.studies = studies.StudyJobs(request.app.state.jobs)
    found: studies.StudyJobs = request.app.state.studies
    return found


def _joint(names: Lookups, a: str, b: str, year: int, method: str) -> Section:
    section = Section("joint", "Joint exposures")
    pair = services.pair(names.db, a, b, year=year, method=method)
    label = lookups.METHODS[method]
    if pair.empty:
        section.blocks.append(note("No mineral both import in the trade data."))
        return section
    pair = pair.assign(mineral=[names.minerals.get(str(c), str(c)) for c in pair["commodity"]])
    top = pair.head(TOP_BARS)
    long = pd.concat(
        [
            top.assign(
                label=[f"{m} ({s})" for m, s in zip(top["mineral"], top["stage"], strict=True)],
                partner=names.places[code],
                score=top[f"score_{code}"],
            )
            for code in (a, b)
        ],
        ignore_index=True,
    )
    section.blocks.append(
        chart(
            charts.grouped_bars(
                long,
                category="label",
                value="score",
                group="partner",
                unit="",
                title=f"{label} of both partners, {year}",
                source=releases_of(top),
                vintage=releases_of(top),
            ),
            "joint-chart",
        )
    )
    section.blocks.append(
        table(
            records(pair),
            [
                Col("Mineral", "mineral", href=mineral_href),
                Col("Stage", "stage"),
                Col(f"{label} {a}", f"score_{a}", ""),
                Col(f"{label} {b}", f"score_{b}", ""),
                Col("Joint (lower)", "joint_score", ""),
                Col("Common suppliers (share of each's imports)", "common_suppliers"),
            ],
            caption=f"Minerals both {names.places[a]} and {names.places[b]} import, by joint {label}, {year}",
            source=releases_of(pair),
            key="commodity",
            ident="joint-table",
        )
    )
    return section


def _projects_blocks(job: Job, names: Lookups) -> list[Markup]:
    ranking: pd.DataFrame = job.result["ranking"] if job.result else pd.DataFrame()
    ranking = ranking.assign(
        mineral=[names.minerals.get(str(c), str(c)) for c in ranking.get("commodity", [])]
    )
    return [
        note(
            "Candidate projects ranked by the cut in the partners' summed CVaR95 shortfall per tonne of "
            f"capacity ({studies.PROJECT_DRAWS:,} simulated years of supplier disruptions)."
        ),
        table(
            records(ranking),
            [
                Col("Rank", "rank"),
                Col("Project", "project"),
                Col("Country", "country", href=country_href("country")),
                Col("Mineral", "mineral", href=mineral_href),
                Col("Capacity", "capacity_t", "t"),
                Col("CVaR95 before", "cvar95_before_t", "t"),
                Col("CVaR95 cut", "cvar95_cut_t", "t"),
                Col("Cut, share", "cvar95_cut_share", "share"),
                Col("Cut per tonne of capacity", "cut_per_t", ""),
            ],
            caption="Candidate projects, best first",
            source=sources_of(ranking["provenance"]) if len(ranking) else "bundled candidate projects",
            key="rank",
            ident="projects-table",
        ),
    ]


def _sourcing_blocks(job: Job, names: Lookups) -> list[Markup]:
    assert job.result is not None
    importer = str(job.params["importer"])
    frontier: pd.DataFrame = job.result["frontier"]
    summary: pd.DataFrame = job.result["summary"]
    name = names.label(importer)
    ok = frontier[frontier["status"] == 0].assign(series=f"{name}: least risk")
    now = summary.assign(cost=summary["current_cost"], cvar=summary["current_cvar"], series=f"{name} now")
    provenance = str(summary["provenance"].iloc[0]) if len(summary) else "critmin optimiser"
    if ok.empty:
        return [note(f"{name}: no feasible point on the frontier.")]
    return [
        chart(
            charts.lines(
                ok,
                x="cost",
                y="cvar",
                series="series",
                x_title="Price premium over the current mix",
                y_title="CVaR95 shortfall, share of needs",
                unit="share",
                title=f"{name}, rare earths: least shortfall risk (CVaR95) for each price premium "
                f"({studies.SOURCING_DRAWS:,} draws)",
                source=provenance,
                vintage=provenance,
                points=now[["cost", "cvar", "series"]],
            ),
            f"frontier-{importer}",
        ),
        note(
            f"{name} now: CVaR95 {format_value(float(summary['current_cvar'].iloc[0]), 'share')} of needs; "
            f"at least-risk shares {format_value(float(summary['optimum_cvar'].iloc[0]), 'share')}."
        ),
    ]


def study_fragment(job: Job, study_label: str, names: Lookups) -> Markup:
    """A study's results when its job is done, else its status (with a progress bar)."""
    blocks: list[Markup] = []
    if job.status == "done" and job.result is not None:
        blocks = _projects_blocks(job, names) if job.kind == "projects" else _sourcing_blocks(job, names)
    template = environment().get_template("parts/study.html.j2")
    return Markup(template.render(job=job, label=study_label, blocks=blocks))


def _placeholder(request: Request, study: studies.Study, names: Lookups, pair: tuple[str, str]) -> Markup:
    job = _studies(request).find(study, store_key(request))
    if job is not None and job.status == "done":
        return study_fragment(job, study.label, names)
    template = environment().get_template("parts/study_placeholder.html.j2")
    return Markup(template.render(study=study, job=job, a=pair[0], b=pair[1]))


@router.get("/partnership", response_class=HTMLResponse)
@guarded
def partnership(
    request: Request, a: str = "IND", b: str = "JPN", year: int | None = None, method: str = "eu"
) -> HTMLResponse:
    """Two partners: joint exposures now; ranked projects and sourcing frontiers as jobs."""
    names = lookups.lookups(request)
    first, second = lookups.country(names, a, "a"), lookups.country(names, b, "b")
    if first == second:
        raise PageError("b: choose a partner other than a")
    method = lookups.method(method)
    year = lookups.year(names, year)
    projects = Section(
        "projects",
        "Ranked projects",
        [_placeholder(request, studies.projects_study(first, second), names, (first, second))],
    )
    frontier = Section(
        "frontier",
        "Sourcing frontier (rare earths)",
        [
            _placeholder(request, studies.sourcing_study(code), names, (first, second))
            for code in (first, second)
        ],
    )
    return render(
        request,
        "partnership.html.j2",
        title=f"Partnership: {names.places[first]} and {names.places[second]}",
        current="partnership",
        intro="Where the two partners are exposed together, which joint projects cut both partners' "
        "risk most, and what each could gain by sourcing differently.",
        state=state(a=first, b=second, year=year, method=method),
        countries=names.places,
        years=names.years,
        methods=lookups.METHODS,
        sections=[_joint(names, first, second, year, method), projects, frontier],
    )


@router.post("/fragments/study")
@guarded
async def start_study(request: Request) -> JSONResponse:
    """Start (or find) a page's study job: ``{"job", "status_url", "fragment_url"}``."""
    form = await request.form()
    token = form.get("study")
    study = studies.parse(token if isinstance(token, str) else "")
    job = _studies(request).start(study, store_key(request))
    return JSONResponse(
        {"job": job.id, "status_url": f"/api/jobs/{job.id}", "fragment_url": f"/fragments/study/{job.id}"},
        status_code=202,
    )


@router.get("/fragments/study/{job_id}", response_class=HTMLResponse)
@guarded
def study_result(request: Request, job_id: str, jobs: Jobs) -> HTMLResponse:
    """A study job's results as an HTML fragment (for the page's script)."""
    if not JOB_ID.match(job_id):
        raise PageError("job_id: 32 hexadecimal digits", 404)
    job = jobs.get(job_id)
    if job.kind not in studies.KINDS:
        raise PageError(f"job {job_id} is not a partnership study", 404)
    status = 200 if job.status == "done" else (400 if job.status == "failed" else 202)
    label = job.kind.capitalize()
    return HTMLResponse(str(study_fragment(job, label, lookups.lookups(request))), status_code=status)


@router.post("/partnership/run", response_class=HTMLResponse)
@guarded
async def run_study(request: Request) -> HTMLResponse:
    """A study without JavaScript: start it, wait for it, then show the page with its results."""
    form = await request.form()
    token = form.get("study")
    study = studies.parse(token if isinstance(token, str) else "")
    job = _studies(request).start(study, store_key(request))
    await run_in_threadpool(request.app.state.jobs.wait, job.id, WAIT_SECONDS)
    a, b = (str(form.get("a") or "IND"), str(form.get("b") or "JPN"))
    return await run_in_threadpool(partnership, request, a, b)
