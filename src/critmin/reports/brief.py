"""The partnership brief: every figure it shows, computed once from the store (:func:`collect`).

:func:`collect` runs the studies of :mod:`critmin.derisking` for a group of partners (India and
Japan by default) and keeps their frames in a :class:`Brief`; :mod:`critmin.reports.html` turns
that into a self-contained HTML page and :mod:`critmin.reports.pdf` prints it. Each step is timed
(``Brief.timings``) and a study the data cannot support is left out with the reason in
``Brief.notes``, never silently.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from critmin import derisking, services
from critmin.api import Critmin
from critmin.errors import CritminError
from critmin.partnership.stockpile import size_from_montecarlo
from critmin.profiles import pair_profile

FOCUS = ("rare_earths", "lithium", "graphite_natural", "cobalt", "nickel")
"""Minerals studied in depth by default: on both partners' lists and in clean-energy supply chains."""
SOURCING_COMMODITY = "rare_earths"
TOP_SHARED = 15


@dataclass(frozen=True)
class BriefOptions:
    """What a brief covers and how hard its simulations work."""

    partners: tuple[str, ...] = derisking.DEFAULT_PARTNERS
    year: int | None = None
    focus: tuple[str, ...] = FOCUS
    sourcing: str = SOURCING_COMMODITY
    draws: int = 5_000
    sourcing_draws: int = 10_000
    seed: int = 0
    coverage: float = 0.95
    projects_file: Path | None = None


@dataclass
class Brief:
    """The brief's figures: frames from the studies, with their provenance columns."""

    options: BriefOptions
    year: int
    generated: str
    version: str
    store: str
    shared: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Minerals both depend on (:func:`critmin.profiles.pair_profile`, EU method), with list flags."""
    joint: derisking.JointExposure | None = None
    production: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Focus minerals' producer shares of world production, latest year USGS reports."""
    losses: derisking.SharedLosses | None = None
    stockpiles: pd.DataFrame = field(default_factory=pd.DataFrame)
    scenarios: pd.DataFrame = field(default_factory=pd.DataFrame)
    projects: derisking.ProjectRanking | None = None
    sourcing: dict[str, derisking.SourcingStudy] = field(default_factory=dict)
    chokepoints: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Each partner's imports of the focus minerals through each sea-lane chokepoint
    (:func:`critmin.services.country_chokepoints`, with ``partner``)."""
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    places: dict[str, str] = field(default_factory=dict)
    """ISO3 (and BACI aggregate) code -> name."""
    minerals: dict[str, str] = field(default_factory=dict)
    """Catalog commodity id -> name."""
    listed: dict[str, set[str]] = field(default_factory=dict)
    """Partner -> the commodities on its newest official critical-mineral list."""
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def collect(
    db: Critmin, options: BriefOptions | None = None, *, progress: Callable[[str], None] | None = None
) -> Brief:
    """Compute every figure of the brief; ``progress`` is told each step's name as it starts."""
    opts = options or BriefOptions()
    partners = tuple(derisking.partner_codes(opts.partners))
    opts = BriefOptions(**{**opts.__dict__, "partners": partners})
    year = derisking.latest_trade_year(db) if opts.year is None else int(opts.year)
    brief = Brief(
        options=opts,
        year=year,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=version("critmin"),
        store=str(db.path),
    )
    step = _Steps(brief, progress)
    with step("minerals both depend on"):
        brief.shared = _shared_minerals(db, partners, year)
    with step("joint exposure and complementarity"):
        brief.joint = derisking.joint_exposure(db, partners, year)
    with step("world production"):
        brief.production = production_shares(db, opts.focus)
    with step("Monte Carlo"):
        brief.losses = derisking.shared_losses(
            db, partners, list(opts.focus), n=opts.draws, seed=opts.seed, year=year
        )
    with step("stockpiles"):
        brief.stockpiles = _stockpiles(brief.losses, partners, opts.coverage)
    with step("shipped scenarios"):
        brief.scenarios = derisking.scenario_losses(db, partners, replay_year=year)
    with step("projects"):
        candidates = derisking.candidate_projects(opts.projects_file)
        brief.projects = derisking.evaluate_projects(
            db, candidates, partners, n=opts.draws, seed=opts.seed, year=year
        )
    for partner in partners:
        with step(f"sourcing {partner}"):
            brief.sourcing[partner] = derisking.sourcing_study(
                db, partner, opts.sourcing, year=year, n=opts.sourcing_draws, seed=opts.seed, points=7
            )
    with step("sea lanes"):
        brief.chokepoints = _chokepoints(db, partners, opts.focus, year)
    brief.sources = db.sources()
    lists = db.lists()
    brief.listed = {p: set(_newest_list(lists, p)["commodity"].astype(str)) for p in partners}
    places = db.places()
    brief.places = dict(zip(places["code"].astype(str), places["name"].astype(str), strict=True))
    minerals = db.commodities()
    brief.minerals = dict(zip(minerals["commodity"].astype(str), minerals["name"].astype(str), strict=True))
    return brief


class _Steps:
    """Times each step; a step the data cannot support is noted and skipped, not raised."""

    def __init__(self, brief: Brief, progress: Callable[[str], None] | None) -> None:
        self.brief = brief
        self.progress = progress

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.progress is not None:
            self.progress(name)
        start = time.perf_counter()
        try:
            yield
        except CritminError as error:
            self.brief.notes.append(f"{name}: left out: {error}")
        finally:
            self.brief.timings[name] = time.perf_counter() - start


def _shared_minerals(db: Critmin, partners: tuple[str, ...], year: int) -> pd.DataFrame:
    first, second = partners[0], partners[1]
    frame = pair_profile(db, first, second, year, method="eu").head(TOP_SHARED)
    lists = db.lists()
    for code in (first, second):
        newest = _newest_list(lists, code)
        frame[f"listed_{code}"] = frame["commodity"].isin(set(newest["commodity"]))
        frame.attrs[f"list_{code}"] = (
            f"{newest['list_name'].iloc[0]} ({int(newest['list_year'].iloc[0])})"
            if not newest.empty
            else "none"
        )
    return frame


def _chokepoints(db: Critmin, partners: tuple[str, ...], focus: Sequence[str], year: int) -> pd.DataFrame:
    """The partners' imports of the focus minerals through each chokepoint, one frame with ``partner``."""
    frames = []
    for partner in partners:
        rows = services.country_chokepoints(db, partner, year=year)
        frames.append(rows[rows["commodity"].isin(list(focus))].assign(partner=partner))
    kept = [f for f in frames if len(f)]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()


def _newest_list(lists: pd.DataFrame, code: str) -> pd.DataFrame:
    mine = lists[lists["jurisdiction"] == code]
    return mine[mine["list_year"] == mine["list_year"].max()] if not mine.empty else mine


def production_shares(db: Critmin, commodities: Sequence[str]) -> pd.DataFrame:
    """Each country's share of world mine production of each commodity, in the latest year USGS reports.

    The denominator is USGS's world total where given, else the sum of the countries reported.
    Returns ``commodity, stage, year, country, value, unit, share, estimated, release, source``.
    """
    production = db.production(list(commodities), stage="mine", aggregates=True)
    production = production[production["form"] == ""]
    rows = []
    for _, group in production.groupby(["commodity", "stage"]):
        latest = group[group["year"] == group["year"].max()]
        countries = latest[~latest["is_aggregate"].astype(bool) & latest["value"].notna()]
        world = latest.loc[latest["country"] == "WLD", "value"]
        total = float(world.iloc[0]) if len(world) else float(countries["value"].sum())
        if total <= 0:
            continue
        rows.append(
            countries.assign(
                share=countries["value"] / total,
                denominator="USGS world total" if len(world) else "sum of countries reported",
            )
        )
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows, ignore_index=True)
    columns = ["commodity", "stage", "year", "country", "value", "unit", "share", "estimated"]
    return out[[*columns, "denominator", "release", "source"]]


def _stockpiles(
    losses: derisking.SharedLosses | None, partners: tuple[str, ...], coverage: float
) -> pd.DataFrame:
    if losses is None:
        return pd.DataFrame()
    frames = [
        size_from_montecarlo(losses.result, network, partners=list(partners), p=coverage)
        for network in losses.result.losses
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
