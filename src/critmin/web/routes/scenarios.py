"""Routes of the REST API: scenarios (shipped and saved), scenario runs and Monte Carlo runs.

Specs are validated with :func:`critmin.scenarios.spec.parse_scenario` before any job is queued, so
a bad spec is refused with a message naming the field and no job is created. Saved scenarios live
as YAML files in ``<store folder>/scenarios/<slug>.yaml``; saving needs the write token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from critmin.api import Critmin
from critmin.errors import CritminError
from critmin.scenarios.disruption import DisruptionModel
from critmin.scenarios.library import load_shipped, shipped_ids
from critmin.scenarios.spec import Scenario, ScenarioError, parse_scenario
from critmin.web.config import Limits
from critmin.web.deps import Bounds, Jobs, Store
from critmin.web.routes.data import COUNTRY
from critmin.web.security import require_token

router = APIRouter(prefix="/api", tags=["scenarios"])

SAVED_FOLDER = "scenarios"
SLUG_MAX = 60
SEED_MAX = 2**32 - 1
ScenarioId = Annotated[
    str, PathParam(pattern=r"^[a-z0-9_-]{1,60}$", description="A shipped or saved scenario's id.")
]
Country = Annotated[
    str, Field(pattern=COUNTRY, description="a country: ISO3 or ISO2 code or name (IND, IN, India)")
]
Commodity = Annotated[str, Field(min_length=1, max_length=80, description="catalog commodity id or name")]
Seed = Annotated[int, Field(ge=0, le=SEED_MAX, description="seed of the random draws")]
Year = Annotated[int, Field(ge=1995, le=2100, description="network year (default: the latest with trade)")]
Draws = Annotated[
    int, Field(ge=100, le=Limits.max_draws, description="random years per network (bounded by the server)")
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioRun(_Body):
    """Which scenario to run: exactly one of a shipped id, a saved id or a spec."""

    shipped: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,60}$", description="shipped id")
    saved: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,60}$", description="saved id")
    spec: dict[str, Any] | None = Field(default=None, description="a scenario spec (see the YAML format)")


class MonteCarloRun(_Body):
    """A Monte Carlo of random supplier disruptions."""

    countries: list[Country] = Field(min_length=1, max_length=Limits.max_partners)
    commodities: list[Commodity] = Field(min_length=1, max_length=Limits.max_commodities)
    n: Draws = 10_000
    seed: Seed = 0
    year: Year | None = None
    rho: float = Field(default=0.0, ge=0.0, le=0.99, description="correlation of disruptions")
    stock_days: (
        dict[Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]{2}$")], Annotated[float, Field(ge=0, le=3650)]]
        | None
    ) = Field(default=None, max_length=Limits.max_partners, description="ISO3 -> days of consumption held")
    chokepoints: bool = Field(default=False, description="draw chokepoint closures at the record's rates")
    chokepoint_probabilities: dict[str, float] | None = Field(
        default=None, max_length=20, description="chokepoint id -> annual closure probability (draws it)"
    )
    chokepoint_days: dict[str, int] | None = Field(
        default=None, max_length=20, description="chokepoint id -> closure length in days"
    )

    def model(self) -> DisruptionModel:
        """The disruption model of the body (422 naming a bad chokepoint value)."""
        try:
            return DisruptionModel(
                rho=self.rho,
                chokepoints=self.chokepoints,
                chokepoint_probabilities=self.chokepoint_probabilities or {},
                chokepoint_days=self.chokepoint_days or {},
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            raise HTTPException(
                422, f"{first['loc'][0]}: {first['msg'].removeprefix('Value error, ')}"
            ) from None


def submitted(job_id: str) -> dict[str, str]:
    """The 202 body of a submitted job."""
    return {"job": job_id, "status_url": f"/api/jobs/{job_id}"}


def bounded(name: str, value: int, ceiling: int) -> None:
    """Refuse (422) a value above the server's bound (which may be lower than the schema's)."""
    if value > ceiling:
        raise HTTPException(422, f"{name}: {value:,} is above this server's bound of {ceiling:,}")


def known_countries(db: Critmin, codes: Iterable[str], name: str, *, names: bool = True) -> list[str]:
    """ISO3 codes of countries given by code or name, de-duplicated (400 naming an unknown one).

    With ``names=False`` (the countries of a scenario or project spec, which the engine reads as
    they are written) each must be an ISO3 code already.
    """
    places = db.places()
    known = set(places.loc[~places["is_aggregate"].astype(bool), "code"].astype(str))
    chosen: list[str] = []
    for given in codes:
        try:
            code = db.country_code(str(given))
        except CritminError as error:
            raise HTTPException(400, f"{name}: {error}") from None
        if code not in known or (not names and code != str(given).strip().upper()):
            raise HTTPException(400, f"{name}: unknown country {given!r} (give the ISO3 code of a country)")
        chosen.append(code)
    return list(dict.fromkeys(chosen))


def known_commodities(db: Critmin, names: Iterable[str], name: str) -> list[str]:
    """Catalog ids of commodities given by id or name (400 naming an unknown one)."""
    out: list[str] = []
    for given in names:
        try:
            out.append(db.commodity_id(given))
        except CritminError as error:
            raise HTTPException(400, f"{name}: {error}") from None
    return list(dict.fromkeys(out))


def saved_folder(request: Request) -> Path:
    """Where saved scenarios live: ``scenarios/`` beside the store."""
    return Path(request.app.state.config.db_path).parent / SAVED_FOLDER


def slug(name: str) -> str:
    """A file-safe id from a scenario name: lower case, ``[a-z0-9_-]``, at most 60 characters."""
    text = re.sub(r"[^a-z0-9_-]+", "_", name.strip().lower()).strip("_-")
    return re.sub(r"_+", "_", text)[:SLUG_MAX].strip("_-")


def _document(spec: Scenario) -> dict[str, Any]:
    document: dict[str, Any] = spec.model_dump(mode="json", exclude_none=True)
    return document


def load_saved(folder: Path, scenario_id: str) -> Scenario:
    """A saved scenario by id (404 when there is none)."""
    path = folder / f"{scenario_id}.yaml"
    if not re.fullmatch(r"[a-z0-9_-]{1,60}", scenario_id) or not path.is_file():
        raise HTTPException(404, f"no scenario {scenario_id!r} (shipped: {', '.join(shipped_ids())})")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ScenarioError(f"saved scenario {scenario_id}: cannot read: {error}") from None
    return parse_scenario(document, f"saved scenario {scenario_id}")


def check_spec(db: Critmin, spec: Scenario, limits: Limits) -> None:
    """The spec's size and the commodities and countries it names, against the bounds and the store."""
    bounded("spec.events", len(spec.events), limits.max_events)
    for i, event in enumerate(spec.events):
        if event.commodity is not None:
            known_commodities(db, [event.commodity], f"spec.events[{i}].commodity")
        codes: Sequence[str] = [
            *(str(getattr(event, name)) for name in ("exporter", "country") if hasattr(event, name)),
            *(getattr(event, "targets", None) or []),
        ]
        known_countries(db, codes, f"spec.events[{i}]", names=False)
    for i, pile in enumerate(spec.stockpiles):
        known_countries(db, [pile.country], f"spec.stockpiles[{i}].country", names=False)


@router.get("/scenarios")
def list_scenarios(request: Request) -> list[dict[str, Any]]:
    """The shipped scenarios (and saved ones, ``saved: true``): id, name, description, year, sources."""
    out: list[dict[str, Any]] = []
    for scenario_id in shipped_ids():
        out.append(_entry(scenario_id, load_shipped(scenario_id), saved=False))
    folder = saved_folder(request)
    if folder.is_dir():
        for path in sorted(folder.glob("*.yaml")):
            try:
                spec = load_saved(folder, path.stem)
            except (HTTPException, CritminError):
                continue
            out.append(_entry(path.stem, spec, saved=True))
    return out


def _entry(scenario_id: str, spec: Scenario, *, saved: bool) -> dict[str, Any]:
    return {
        "id": scenario_id,
        "name": spec.name,
        "description": spec.description,
        "year": spec.year,
        "events": len(spec.events),
        "sources": [source.model_dump(mode="json") for source in spec.sources],
        "saved": saved,
    }


@router.get("/scenarios/{scenario_id}")
def get_scenario(scenario_id: ScenarioId, request: Request) -> dict[str, Any]:
    """A shipped or saved scenario's spec, as JSON (the fields of the YAML format)."""
    if scenario_id in shipped_ids():
        return _document(load_shipped(scenario_id))
    return _document(load_saved(saved_folder(request), scenario_id))


@router.post("/scenarios/runs", status_code=202)
def run_scenario(
    body: ScenarioRun, request: Request, db: Store, manager: Jobs, limits: Bounds
) -> dict[str, str]:
    """Run a deterministic scenario as a job: ``{"shipped": id}``, ``{"saved": id}`` or ``{"spec": ...}``."""
    given = [name for name in ("shipped", "saved", "spec") if getattr(body, name) is not None]
    if len(given) != 1:
        raise HTTPException(422, "body: give exactly one of 'shipped', 'saved' and 'spec'")
    if body.shipped is not None:
        if body.shipped not in shipped_ids():
            raise HTTPException(
                400, f"shipped: no shipped scenario {body.shipped!r} ({', '.join(shipped_ids())})"
            )
        check_spec(db, load_shipped(body.shipped), limits)
        return submitted(manager.submit("scenario", {"shipped": body.shipped}).id)
    if body.saved is not None:
        spec = load_saved(saved_folder(request), body.saved)
    else:
        spec = parse_scenario(body.spec, "spec")
    check_spec(db, spec, limits)
    return submitted(manager.submit("scenario", {"spec": _document(spec)}).id)


@router.post("/scenarios", status_code=201, dependencies=[Depends(require_token)])
def save_scenario(
    body: dict[str, Any],
    request: Request,
    db: Store,
    limits: Bounds,
    replace: Annotated[bool, Query(description="Overwrite a saved scenario of the same id.")] = False,
) -> dict[str, str]:
    """Save a validated spec as ``<store folder>/scenarios/<slug of its name>.yaml`` (needs the token)."""
    spec = parse_scenario(body, "spec")
    check_spec(db, spec, limits)
    scenario_id = slug(spec.name)
    if not scenario_id:
        raise HTTPException(400, f"spec.name: {spec.name!r} gives an empty id (use letters or digits)")
    if scenario_id in shipped_ids():
        raise HTTPException(
            409, f"spec.name: {scenario_id!r} is a shipped scenario's id; choose another name"
        )
    folder = saved_folder(request)
    target = folder / f"{scenario_id}.yaml"
    if target.exists() and not replace:
        raise HTTPException(
            409, f"spec.name: a saved scenario {scenario_id!r} exists (?replace=true to overwrite)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(
        yaml.safe_dump(_document(spec), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    temporary.replace(target)
    return {"id": scenario_id}


@router.post("/montecarlo/runs", status_code=202)
def run_montecarlo(body: MonteCarloRun, db: Store, manager: Jobs, limits: Bounds) -> dict[str, str]:
    """Random supplier disruptions and chokepoint closures as a job.

    Results ``summary``, ``contributions``, ``suppliers`` and ``chokepoints``.
    """
    bounded("n", body.n, limits.max_draws)
    bounded("countries", len(body.countries), limits.max_partners)
    bounded("commodities", len(body.commodities), limits.max_commodities)
    params = {
        "countries": known_countries(db, body.countries, "countries"),
        "commodities": known_commodities(db, body.commodities, "commodities"),
        "n": body.n,
        "seed": body.seed,
        "year": body.year,
        "rho": body.rho,
        "model": body.model().model_dump(),
        "stock_days": dict(
            zip(
                known_countries(db, (body.stock_days or {}).keys(), "stock_days"),
                (body.stock_days or {}).values(),
                strict=False,
            )
        ),
    }
    return submitted(manager.submit("montecarlo", params).id)
