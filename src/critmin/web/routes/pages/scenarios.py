"""``/scenarios/new``: the scenario builder; its results as a fragment; the same without JavaScript.

The builder's script (``static/app.js``) posts the form as JSON to ``/api/scenarios/runs``, polls
the job and inserts ``/fragments/scenario/{job_id}``. Without JavaScript the form posts to
``/scenarios/run``, which runs the job, waits for it and shows the results in the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from critmin import charts
from critmin.charts import format_value
from critmin.scenarios.library import load_shipped, shipped_ids
from critmin.scenarios.spec import parse_scenario
from critmin.web.deps import Jobs
from critmin.web.jobs import Job
from critmin.web.routes.pages import lookups
from critmin.web.routes.pages.blocks import Col, chart, country_href, note, records, sources_of, table
from critmin.web.routes.pages.errors import PageError
from critmin.web.routes.pages.render import environment, guarded, render

router = APIRouter(include_in_schema=False)

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
TOP_BARS = 12
RESULT_ROWS = 40
WAIT_SECONDS = 120.0
"""How long the no-JavaScript scenario POST waits for its job."""


CODES_BY_SPACES = re.compile(r"^([A-Za-z]{3}\s+)+[A-Za-z]{3}$")
"""Codes separated by spaces ("JPN USA"), split; otherwise targets are separated by commas."""


def scenario_document(form: Mapping[str, str]) -> dict[str, Any]:
    """The job parameters of the builder's form: ``{"shipped": id}`` or ``{"spec": {...}}``.

    The same document ``static/app.js`` builds and posts to ``/api/scenarios/runs``.
    """
    shipped = (form.get("shipped") or "").strip()
    if shipped:
        if shipped not in shipped_ids():
            raise PageError(f"shipped: no shipped scenario {shipped[:60]!r}")
        return {"shipped": shipped}
    exporter = (form.get("exporter") or "").strip()
    commodity = (form.get("commodity") or "").strip()
    if not exporter:
        raise PageError("exporter: choose an exporting country")
    if not commodity:
        raise PageError("commodity: choose a commodity")
    try:
        fraction = float(form.get("fraction") or "")
    except ValueError:
        raise PageError("fraction: a number between 0 and 1") from None
    try:
        days = int(form.get("duration_days") or "365")
    except ValueError:
        raise PageError("duration_days: a whole number of days") from None
    event: dict[str, Any] = {
        "type": "export_restriction",
        "exporter": exporter,
        "commodity": commodity,
        "fraction": fraction,
        "duration_days": days,
    }
    targets = [
        code
        for piece in re.split(r"[,;]+", form.get("targets") or "")
        for code in (piece.split() if CODES_BY_SPACES.match(piece.strip()) else [piece.strip()])
        if code
    ]
    if targets:
        event["targets"] = targets
    spec: dict[str, Any] = {"name": f"{exporter} restricts {commodity} exports", "events": [event]}
    year = (form.get("year") or "").strip()
    if year:
        try:
            spec["year"] = int(year)
        except ValueError:
            raise PageError("year: a year such as 2022, or empty for the latest") from None
    return {"spec": spec}


def _scenario_name(params: Mapping[str, Any]) -> str:
    if params.get("shipped"):
        return load_shipped(str(params["shipped"])).name
    spec = params.get("spec")
    return str(spec.get("name", "scenario")) if isinstance(spec, dict) else "scenario"


def _result_blocks(countries: pd.DataFrame, places: Mapping[str, str], notes: list[Any]) -> list[Markup]:
    if countries.empty:
        return [note("No country is affected in this network."), *(note(str(n)) for n in notes)]
    source = f"critmin scenario cascade on {sources_of(countries['provenance'])}"
    named = countries.assign(name=[places.get(str(c), str(c)) for c in countries["country"]])
    blocks: list[Markup] = []
    hit = named[named["share_of_consumption"].notna() & (named["loss_t"] > 0)]
    hit = hit.sort_values("share_of_consumption", ascending=False).head(TOP_BARS)
    if not hit.empty:
        blocks.append(
            chart(
                charts.bar(
                    hit,
                    category="name",
                    value="share_of_consumption",
                    unit="share",
                    title="Largest losses, share of apparent consumption",
                    source=source,
                    vintage=sources_of(countries["provenance"]),
                ),
                "scenario-chart",
            )
        )
    blocks.append(
        table(
            records(named.head(RESULT_ROWS)),
            [
                Col("Country", "name", href=country_href("country")),
                Col("Network", "network"),
                Col("Loss", "loss_t", "t"),
                Col("Share of consumption", "share_of_consumption", "share"),
                Col("Stock drawn", "stock_drawn_t", "t"),
                Col("Provenance", "provenance"),
            ],
            caption=f"Countries losing most (first {RESULT_ROWS} of {len(countries)})",
            source=source,
            key="country",
            ident="scenario-table",
        )
    )
    blocks.extend(note(str(n)) for n in notes)
    return blocks


def fragment(job: Job, places: Mapping[str, str]) -> Markup:
    """A scenario job's results (a chart of the largest losses and a table), or its status."""
    result = job.result if job.status == "done" else None
    message = job.error or f"The job is {job.status} ({format_value(job.progress, 'share')})."
    blocks = _result_blocks(result["countries"], places, result.get("notes") or []) if result else []
    template = environment().get_template("parts/scenario_result.html.j2")
    return Markup(
        template.render(
            job=job,
            name=_scenario_name(job.params),
            done=result is not None,
            message=message,
            blocks=blocks,
        )
    )


def _builder_context(names: lookups.Lookups) -> dict[str, Any]:
    return {
        "countries": names.places,
        "commodities": names.traded_minerals,
        "shipped": {sid: load_shipped(sid).name for sid in shipped_ids()},
    }


@router.get("/scenarios/new", response_class=HTMLResponse)
@guarded
def scenario_builder(request: Request) -> HTMLResponse:
    """The scenario builder's form."""
    names = lookups.lookups(request)
    return render(
        request,
        "scenario_new.html.j2",
        title="Scenario builder",
        current="scenarios",
        result=None,
        **_builder_context(names),
    )


@router.post("/scenarios/run", response_class=HTMLResponse)
@guarded
async def scenario_run(request: Request, jobs: Jobs) -> HTMLResponse:
    """The builder without JavaScript: run the job, wait for it, show its results in the page."""
    names = lookups.lookups(request)
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    params = scenario_document(fields)
    if "spec" in params:
        parse_scenario(params["spec"], "spec")
    job = jobs.submit("scenario", params)
    job = await run_in_threadpool(jobs.wait, job.id, WAIT_SECONDS)
    status = 200 if job.status == "done" else (400 if job.status == "failed" else 202)
    return render(
        request,
        "scenario_new.html.j2",
        title="Scenario builder",
        current="scenarios",
        status=status,
        result=fragment(job, names.labels),
        **_builder_context(names),
    )


@router.get("/fragments/scenario/{job_id}", response_class=HTMLResponse)
@guarded
def scenario_fragment(request: Request, job_id: str, jobs: Jobs) -> HTMLResponse:
    """A scenario job's results as an HTML fragment (for the builder's script)."""
    if not JOB_ID.match(job_id):
        raise PageError("job_id: 32 hexadecimal digits", 404)
    job = jobs.get(job_id)
    if job.kind != "scenario":
        raise PageError(f"job {job_id} is not a scenario run", 404)
    status = 200 if job.status == "done" else (400 if job.status == "failed" else 202)
    return HTMLResponse(str(fragment(job, lookups.lookups(request).labels)), status_code=status)
