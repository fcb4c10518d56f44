"""Routes of the REST API: partnership studies on :mod:`critmin.derisking`, and the brief.

Joint exposure and product exposure answer at once; shared losses, sourcing, stockpiles, projects
and the brief run as jobs (``POST .../runs`` -> 202 with the job id). Every input is bounded by the
server's :class:`~critmin.web.config.Limits` and codes are checked against the store first, so an
unknown country or commodity is a 400 naming it, before any job is queued.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from critmin.derisking import DEFAULT_PARTNERS, joint_exposure
from critmin.web.config import Limits
from critmin.web.deps import Bounds, Jobs, Limit, Offset, Store
from critmin.web.responses import TableFormat, records, sources, table_response
from critmin.web.routes.data import COUNTRY
from critmin.web.routes.scenarios import (
    Commodity,
    Country,
    Draws,
    Seed,
    Year,
    bounded,
    known_commodities,
    known_countries,
    submitted,
)

router = APIRouter(prefix="/api", tags=["partnership"])

Partners = Annotated[
    list[Country], Field(min_length=2, max_length=Limits.max_partners, description="two or more countries")
]


class Part(StrEnum):
    """Parts of the joint exposure."""

    common = "common"
    suppliers = "suppliers"
    tci = "tci"
    flows = "flows"
    candidates = "candidates"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LossesRun(_Body):
    """The partners' Monte Carlo on the same draws: how often they lose together."""

    partners: Partners = list(DEFAULT_PARTNERS)
    commodities: list[Commodity] = Field(
        default=["rare_earths"], min_length=1, max_length=Limits.max_commodities
    )
    n: Draws = 10_000
    seed: Seed = 0
    year: Year | None = None
    threshold: float = Field(default=0.05, gt=0, lt=1, description="a loss year: loss above this share")


class SourcingRun(_Body):
    """The least-CVaR import shares of one importer and commodity."""

    importer: Country
    commodity: Commodity
    stage: str | None = Field(default=None, max_length=40, description="stage, if traded at several")
    n: Draws = 20_000
    seed: Seed = 0
    year: Year | None = None
    alpha: float = Field(default=0.95, gt=0, lt=1, description="CVaR level")
    max_share: float = Field(default=1.0, gt=0, le=1, description="most any one supplier may hold")
    points: int = Field(default=8, ge=1, le=50, description="points on the frontier")


class StockpileRun(_Body):
    """The stockpile covering the shortfall in ``p`` of the simulated years."""

    partners: Partners = list(DEFAULT_PARTNERS)
    commodity: Commodity = "rare_earths"
    n: Draws = 10_000
    seed: Seed = 0
    year: Year | None = None
    p: list[Annotated[float, Field(gt=0, le=1)]] = Field(default=[0.95], min_length=1, max_length=10)


class ProjectsRun(_Body):
    """Candidate projects (default: the bundled candidates) evaluated for the partners and ranked."""

    partners: Partners = list(DEFAULT_PARTNERS)
    n: Draws = 10_000
    seed: Seed = 0
    year: Year | None = None
    projects: list[dict[str, Any]] | None = Field(
        default=None,
        min_length=1,
        max_length=Limits.max_projects,
        description="projects in the Project schema (name, country, commodity, stage, capacity_t, "
        "start_year, offtake, source, notes)",
    )


class MixLine(_Body):
    """One product of a mix, in its intensity's unit."""

    product: str = Field(min_length=1, max_length=80)
    quantity: float = Field(ge=0, le=1e12, allow_inf_nan=False)
    unit: str = Field(min_length=1, max_length=40)


class ProductsRequest(_Body):
    """A product mix built in a country."""

    country: Country = "IND"
    year: Year | None = None
    mix: list[MixLine] = Field(min_length=1, max_length=100)


class BriefRun(_Body):
    """The partnership brief (HTML, and a PDF when a browser is installed)."""

    partners: Partners = list(DEFAULT_PARTNERS)
    year: Year | None = None
    draws: Draws = 5_000
    seed: Seed = 0
    pdf: bool = False


def _partners(db: Store, partners: list[str], limits: Bounds) -> list[str]:
    bounded("partners", len(partners), limits.max_partners)
    chosen = known_countries(db, partners, "partners")
    if len(chosen) < 2:
        raise HTTPException(400, f"partners: name at least two countries, not {chosen}")
    return chosen


@router.get("/partnership/joint")
def joint(
    db: Store,
    limits: Bounds,
    partners: Annotated[
        list[str] | None,
        Query(min_length=2, max_length=Limits.max_partners, description="Countries (repeat)."),
    ] = None,
    year: Annotated[int | None, Query(ge=1995, le=2100, description="Trade year (default latest).")] = None,
    part: Part = Part.common,
    offset: Offset = 0,
    limit: Limit = 1000,
    fmt: Annotated[TableFormat, Query(alias="format")] = TableFormat.json,
) -> Response:
    """Joint exposure: common imports, common suppliers, TCI, complementary flows or candidates."""
    from critmin.derisking import joint_part

    partners = partners or list(DEFAULT_PARTNERS)
    bad = [p for p in partners if not re.fullmatch(COUNTRY, p)]
    if bad:
        raise HTTPException(422, f"partners: {bad} are not country codes or names")
    exposure = joint_exposure(db, _partners(db, partners, limits), year)
    frame, _, _ = joint_part(exposure, part.value)
    return table_response(frame, fmt, name=f"joint-{part.value}", offset=offset, limit=limit)


@router.post("/partnership/losses/runs", status_code=202)
def run_losses(body: LossesRun, db: Store, manager: Jobs, limits: Bounds) -> dict[str, str]:
    """Shared losses as a job; results ``together`` and ``summary``."""
    bounded("n", body.n, limits.max_draws)
    bounded("commodities", len(body.commodities), limits.max_commodities)
    params = {
        "partners": _partners(db, body.partners, limits),
        "commodities": known_commodities(db, body.commodities, "commodities"),
        "n": body.n,
        "seed": body.seed,
        "year": body.year,
        "threshold": body.threshold,
    }
    return submitted(manager.submit("losses", params).id)


@router.post("/partnership/sourcing/runs", status_code=202)
def run_sourcing(body: SourcingRun, db: Store, manager: Jobs, limits: Bounds) -> dict[str, str]:
    """The sourcing optimiser as a job; results ``suppliers``, ``frontier`` and ``summary``."""
    bounded("n", body.n, limits.max_draws)
    params = {
        "importer": known_countries(db, [body.importer], "importer")[0],
        "commodity": known_commodities(db, [body.commodity], "commodity")[0],
        "stage": body.stage,
        "n": body.n,
        "seed": body.seed,
        "year": body.year,
        "alpha": body.alpha,
        "max_share": body.max_share,
        "points": body.points,
    }
    return submitted(manager.submit("sourcing", params).id)


@router.post("/partnership/stockpile/runs", status_code=202)
def run_stockpile(body: StockpileRun, db: Store, manager: Jobs, limits: Bounds) -> dict[str, str]:
    """Stockpile sizing as a job; results ``stockpile`` (each partner and pooled) and ``summary``."""
    bounded("n", body.n, limits.max_draws)
    params = {
        "partners": _partners(db, body.partners, limits),
        "commodity": known_commodities(db, [body.commodity], "commodity")[0],
        "n": body.n,
        "seed": body.seed,
        "year": body.year,
        "p": list(dict.fromkeys(body.p)),
    }
    return submitted(manager.submit("stockpile", params).id)


@router.post("/partnership/projects/runs", status_code=202)
def run_projects(body: ProjectsRun, db: Store, manager: Jobs, limits: Bounds) -> dict[str, str]:
    """Project evaluation as a job; results ``ranking`` and ``evaluation``."""
    from critmin.partnership.projects import parse_projects

    bounded("n", body.n, limits.max_draws)
    given: list[dict[str, Any]] | None = None
    if body.projects is not None:
        bounded("projects", len(body.projects), limits.max_projects)
        specs = parse_projects(body.projects)
        for i, spec in enumerate(specs):
            known_countries(db, [spec.country, *spec.offtake], f"projects[{i}].country", names=False)
            known_commodities(db, [spec.commodity], f"projects[{i}].commodity")
        given = [spec.model_dump(mode="json") for spec in specs]
    params = {
        "partners": _partners(db, body.partners, limits),
        "n": body.n,
        "seed": body.seed,
        "year": body.year,
        "projects": given,
    }
    return submitted(manager.submit("projects", params).id)


@router.post("/partnership/products")
def product_exposure(body: ProductsRequest, db: Store) -> dict[str, Any]:
    """A product mix becomes mineral needs (tonnes) and their import exposure if built in ``country``."""
    from critmin.derisking import product_exposure as exposure_of
    from critmin.partnership import products

    table = products.intensities()
    mix = pd.DataFrame([line.model_dump() for line in body.mix], columns=list(products.MIX_COLUMNS))
    try:
        checked = products.check_mix(mix, table)
    except products.ProductError as error:
        raise HTTPException(400, f"mix: {error}") from None
    code = known_countries(db, [body.country], "country")[0]
    needs, summary, when, _ = exposure_of(db, checked, code, body.year, table)
    return {
        "country": code,
        "year": when,
        "needs": {"total": len(needs), "sources": sources(needs), "rows": records(needs)},
        "exposure": {"total": len(summary), "sources": sources(summary), "rows": records(summary)},
    }


@router.post("/briefs/runs", status_code=202)
def run_brief(body: BriefRun, db: Store, manager: Jobs, limits: Bounds) -> dict[str, str]:
    """The partnership brief as a job; results ``html`` (and ``pdf``) as files, and ``notes``."""
    bounded("draws", body.draws, limits.max_draws)
    params = {
        "partners": _partners(db, body.partners, limits),
        "year": body.year,
        "draws": body.draws,
        "seed": body.seed,
        "pdf": body.pdf,
    }
    return submitted(manager.submit("brief", params).id)
