"""Scenario specifications: what breaks, where, when, and what each country holds in reserve.

A scenario is a YAML or JSON document validated by pydantic. A bad spec stops with an error that
names the file and the field (``events[1].fraction: ...``).

Example
-------
.. code-block:: yaml

    name: China restricts rare-earth exports to Japan (2010)
    year: 2009                       # the trade and production network the shock hits
    sources:
      - citation: "Evenett & Fritz (2023) ..."
        url: https://...
    events:
      - type: export_restriction
        exporter: CHN
        commodity: rare_earths       # or hs_codes: ["284690"]
        fraction: 1.0
        targets: [JPN]               # omitted: every importer
        start: 2010-09-07
        duration_days: 60
    stockpiles:
      - country: JPN
        days_of_cover: 60            # or tonnes: 5000
        release: {trigger_share: 0.0, max_fraction: 1.0}
    cascade: {absorb_share: 0.5}
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from critmin import names
from critmin.errors import CritminError


def _country_code(value: object) -> object:
    """A country as people write it (``India``, ``IN``, ``ind``) as its ISO3 code (:mod:`critmin.names`)."""
    if not isinstance(value, str):
        return value
    try:
        return names.country(value)
    except names.UnknownNameError as error:
        raise ValueError(str(error)) from None


Country = Annotated[
    str,
    BeforeValidator(_country_code),
    Field(pattern=r"^[A-Z][A-Z0-9]{2}$", description="a country: ISO3 or ISO2 code or name, stored as ISO3"),
]
HsCode = Annotated[str, Field(pattern=r"^\d{6}$")]


class ScenarioError(CritminError):
    """A scenario spec is malformed or names something the store does not have."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    """A published source a scenario's parameters come from."""

    citation: str = Field(min_length=1)
    url: str | None = None


class _Event(_Model):
    commodity: str | None = Field(default=None, description="catalog commodity id")
    hs_codes: tuple[HsCode, ...] | None = Field(default=None, description="HS-6 codes instead of a commodity")
    stage: str | None = Field(default=None, description="stage of the commodity; default its traded stage")
    start: dt.date | None = None
    duration_days: int = Field(default=365, gt=0, le=3650)

    @model_validator(mode="after")
    def _one_good(self) -> _Event:
        if (self.commodity is None) == (self.hs_codes is None):
            raise ValueError("give exactly one of 'commodity' and 'hs_codes'")
        return self

    @property
    def good(self) -> tuple[str | None, tuple[str, ...] | None, str | None]:
        """The network this event hits: (commodity, hs codes, stage)."""
        return self.commodity, self.hs_codes, self.stage


class ExportRestriction(_Event):
    """An exporter cuts a fraction of its exports, to every importer or to the targets only (an embargo)."""

    type: Literal["export_restriction"]
    exporter: Country
    fraction: float = Field(gt=0, le=1)
    targets: tuple[Country, ...] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _not_self(self) -> ExportRestriction:
        if self.targets and self.exporter in self.targets:
            raise ValueError(f"the exporter {self.exporter} cannot be its own target")
        return self


class ProductionOutage(_Event):
    """A country loses a fraction of its production of the commodity at a stage."""

    type: Literal["production_outage"]
    country: Country
    fraction: float = Field(gt=0, le=1)


class DemandShock(_Event):
    """A country's demand rises by a fraction of its apparent consumption (decreases are not modelled)."""

    type: Literal["demand_shock"]
    country: Country
    fraction: float = Field(gt=0, le=5)


class ChokepointClosure(_Event):
    """A strait or canal closes to a fraction of the commodity's seaborne flows through it.

    Each flow whose route passes the chokepoint (:mod:`critmin.sealanes`) either takes the way
    round when one exists (``reroute``), arriving later by the extra sailing days, or is lost for
    the closure's duration (its exporter keeps the tonnes, as under an export restriction).
    """

    type: Literal["chokepoint_closure"]
    chokepoint: str = Field(description="chokepoint id (hormuz, bab_el_mandeb, suez, malacca, ...)")
    fraction: float = Field(default=1.0, gt=0, le=1, description="share of the passing flows stopped")
    reroute: bool = Field(default=True, description="flows with another sea route take it")
    speed_knots: float = Field(default=14.0, gt=0, le=40, description="sailing speed of the way round")
    port_switch_days: float = Field(
        default=7.0, ge=0, le=90, description="added when the way round uses another port (overland leg)"
    )

    @field_validator("chokepoint")
    @classmethod
    def _known(cls, value: str) -> str:
        from critmin.sealanes.reference import chokepoints

        ids = [c.id for c in chokepoints()]
        if value not in ids:
            raise ValueError(f"unknown chokepoint {value!r}; choose from {', '.join(ids)}")
        return value


EVENT_TYPES = frozenset({"export_restriction", "production_outage", "demand_shock", "chokepoint_closure"})
Event = Annotated[
    ExportRestriction | ProductionOutage | DemandShock | ChokepointClosure, Field(discriminator="type")
]


class ReleaseRule(_Model):
    """When and how much of a stockpile is released."""

    trigger_share: float = Field(
        default=0.0, ge=0, le=1, description="release once the shortfall exceeds this share of consumption"
    )
    max_fraction: float = Field(default=1.0, gt=0, le=1, description="at most this share of the stock")


class Stockpile(_Model):
    """A country's stock of a commodity (all commodities of the scenario when ``commodity`` is omitted)."""

    country: Country
    commodity: str | None = None
    tonnes: float | None = Field(default=None, ge=0)
    days_of_cover: float | None = Field(default=None, ge=0, le=3650)
    release: ReleaseRule = ReleaseRule()

    @model_validator(mode="after")
    def _one_size(self) -> Stockpile:
        if (self.tonnes is None) == (self.days_of_cover is None):
            raise ValueError("give exactly one of 'tonnes' and 'days_of_cover'")
        return self


class CascadeParameters(_Model):
    """Parameters of the cascade (see :mod:`critmin.scenarios.cascade`)."""

    absorb_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="share of a remaining shock a country absorbs by cutting consumption",
    )
    tolerance: float = Field(
        default=1e-6,
        gt=0,
        lt=1,
        description="stop when the shock still moving is below this share of the first",
    )
    max_rounds: int = Field(default=200, ge=1, le=10_000)


class Scenario(_Model):
    """A named set of events on one year's networks, with stockpiles and cascade parameters."""

    name: str = Field(min_length=1)
    description: str = ""
    sources: tuple[Source, ...] = ()
    year: int | None = Field(default=None, ge=1995, le=2100, description="network year; default the latest")
    nomenclature: str = "HS92"
    events: tuple[Event, ...] = Field(min_length=1)
    stockpiles: tuple[Stockpile, ...] = ()
    cascade: CascadeParameters = CascadeParameters()
    backtest: dict[str, Any] | None = Field(default=None, description="what the trade data showed afterwards")

    @field_validator("stockpiles")
    @classmethod
    def _one_stockpile_each(cls, value: tuple[Stockpile, ...]) -> tuple[Stockpile, ...]:
        seen: set[tuple[str, str | None]] = set()
        for pile in value:
            key = (pile.country, pile.commodity)
            if key in seen:
                raise ValueError(f"two stockpiles for {pile.country} {pile.commodity or '(all)'}")
            seen.add(key)
        return value

    @property
    def start(self) -> dt.date | None:
        """The earliest event start, if any event has one."""
        starts = [e.start for e in self.events if e.start is not None]
        return min(starts) if starts else None


def _location(loc: Sequence[int | str]) -> str:
    """``events[1].fraction`` from pydantic's ``("events", 1, "export_restriction", "fraction")``."""
    out = ""
    previous: int | str | None = None
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(previous, int) and part in EVENT_TYPES:
            pass  # the union member pydantic tried: not a field
        else:
            out += f".{part}" if out else str(part)
        previous = part
    return out or "(document)"


def _inside(loc: tuple[object, ...], container: tuple[object, ...]) -> bool:
    return loc != container and loc[: len(container)] == container


def validation_message(error: ValidationError, origin: str) -> str:
    """One line per problem: ``origin: field.path: message``."""
    items = error.errors()
    # a failed item also fails its container's length check: show the item only
    locs = [tuple(item["loc"]) for item in items]
    shown = [item for item, loc in zip(items, locs, strict=True) if not any(_inside(o, loc) for o in locs)]
    lines = [f"{origin}: {_location(item['loc'])}: {item['msg']}" for item in shown]

    return "\n".join(lines)


def parse_scenario(document: object, origin: str = "<scenario>") -> Scenario:
    """Validate a decoded document (a mapping) as a :class:`Scenario`."""
    if not isinstance(document, dict):
        raise ScenarioError(f"{origin}: a scenario is a mapping of fields, got {type(document).__name__}")
    try:
        return Scenario.model_validate(document)
    except ValidationError as error:
        raise ScenarioError(validation_message(error, origin)) from None


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate a scenario from a ``.yaml``/``.yml`` or ``.json`` file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read the scenario: {error}") from None
    try:
        document = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)

    except json.JSONDecodeError as error:
        raise ScenarioError(f"{path}: line {error.lineno}: invalid JSON: {error.msg}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ScenarioError(f"{path}: {where}invalid YAML: {getattr(error, 'problem', error)}") from None
    return parse_scenario(document, str(path))
