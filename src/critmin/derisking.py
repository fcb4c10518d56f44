"""De-risking studies on a store: read through :mod:`critmin.api`, compute with :mod:`critmin.partnership`.

Each function here reads what it needs from a :class:`~critmin.api.Critmin` and hands frames and
networks to the pure functions of :mod:`critmin.partnership`; the CLI, the brief and the REST API
call these so they all show the same numbers.

- :func:`joint_exposure`: what the partners import in common, their common suppliers, the trade
  complementarity index, complementary flows and diversification candidates, in one year.
- :func:`shared_losses`: the Monte Carlo for all partners on the same draws, and how often they
  lose together.
- :func:`sourcing_study`: the CVaR-optimal import portfolio of one importer against its current
  one, and the risk–cost frontier, with a price premium from BACI unit values as the cost.
- :func:`scenario_losses`: the shipped historical scenarios, as they happened and replayed on the
  latest year's trade, and what each partner loses.
- :func:`evaluate_projects`: candidate projects applied to the networks and ranked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from critmin import names
from critmin.api import Critmin
from critmin.errors import CritminError
from critmin.metrics import provenance as prov
from critmin.metrics.trade_exposure import import_shares
from critmin.partnership import joint, optimiser, projects
from critmin.scenarios.disruption import DisruptionModel, calibrate, sample
from critmin.scenarios.library import load_shipped, shipped_ids
from critmin.scenarios.montecarlo import MonteCarloResult, networks_for, run_montecarlo
from critmin.scenarios.network import Network
from critmin.scenarios.run import run_scenario
from critmin.scenarios.spec import ScenarioError

DEFAULT_PARTNERS = ("IND", "JPN")
NOMENCLATURE = "HS92"
CANDIDATES_FILE = "candidate_projects.yaml"
DOCUMENTATION_KEYS = ("sources", "basis")
"""Keys of a project file entry that document it and are not :class:`~critmin.partnership.projects.Project`
fields; any other unknown key is an error naming it."""
JOINT_PARTS = ("common", "suppliers", "tci", "flows", "candidates")
"""The parts of a :class:`JointExposure` :func:`joint_part` shows."""
SHARED_THRESHOLD = 0.05
"""A year counts as a loss year for a partner when it loses more than this share of its consumption."""


class StudyError(CritminError, ValueError):
    """A de-risking study cannot be run on these inputs (the message says why)."""


def partner_codes(partners: Sequence[str]) -> list[str]:
    """De-duplicated ISO3 codes of countries given by code or name (:mod:`critmin.names`); at least two."""
    chosen: list[str] = []
    for given in partners:
        try:
            chosen.append(names.country(str(given)))
        except names.UnknownNameError as error:
            raise StudyError(f"partners: {error}") from None
    chosen = list(dict.fromkeys(chosen))
    if len(chosen) < 2:
        raise StudyError(f"partners: name at least two countries, not {chosen}")
    return chosen


def hs92_codes(db: Critmin) -> pd.DataFrame:
    """The catalog's HS92 codes (commodity, stage, hs6, confidence)."""
    codes = db.hs_codes()
    return codes[codes["nomenclature"] == NOMENCLATURE]


def latest_trade_year(db: Critmin) -> int:
    """The latest year with HS92 trade in the catalog's codes."""
    years = db.trade_years(sorted(set(hs92_codes(db)["hs6"])), nomenclature=NOMENCLATURE)
    if not years:
        raise StudyError("the store holds no HS92 trade in the catalog's codes: run `critmin data init`")
    return years[-1]


@dataclass(frozen=True)
class JointExposure:
    """What a group of partners imports in common, and how their trade fits together, in one year."""

    partners: tuple[str, ...]
    year: int
    shares: pd.DataFrame
    """:func:`~critmin.metrics.trade_exposure.import_shares` rows (with ``WLD``)."""
    common: pd.DataFrame
    """:func:`~critmin.partnership.joint.common_imports`."""
    suppliers: pd.DataFrame
    """:func:`~critmin.partnership.joint.common_suppliers`."""
    complementarity: pd.DataFrame
    """:func:`~critmin.partnership.joint.complementarity`, every ordered pair."""
    flows: pd.DataFrame
    """:func:`~critmin.partnership.joint.complementary_flows`."""
    candidates: pd.DataFrame
    """:func:`~critmin.partnership.joint.diversification_candidates`."""


def joint_exposure(
    db: Critmin, partners: Sequence[str] = DEFAULT_PARTNERS, year: int | None = None
) -> JointExposure:
    """Joint exposure and complementarity of the partners in ``year`` (default: the latest with trade)."""
    chosen = partner_codes(partners)
    when = latest_trade_year(db) if year is None else int(year)
    codes = hs92_codes(db)
    trade = db.trade(when, hs6=sorted(set(codes["hs6"])))
    if trade.empty:
        raise StudyError(f"year: no HS92 trade in {when} in the store")
    shares = import_shares(trade, codes, aggregates=db.places())
    tags = joint.trade_provenance_of(trade, codes)
    return JointExposure(
        partners=tuple(chosen),
        year=when,
        shares=shares,
        common=joint.common_imports(shares, chosen, year=when, provenance=tags),
        suppliers=joint.common_suppliers(shares, chosen, year=when, provenance=tags),
        complementarity=joint.complementarity(trade, chosen, when, goods=sorted(set(codes["hs6"]))),
        flows=joint.complementary_flows(trade, chosen, when, codes),
        candidates=joint.diversification_candidates(
            shares, chosen, db.governance(indicator="pv"), year=when, provenance=tags
        ),
    )


@dataclass(frozen=True)
class SharedLosses:
    """The Monte Carlo on every partner's networks with the same draws, and their losses together."""

    result: MonteCarloResult
    together: pd.DataFrame
    """Per network: ``P(<P> loses > threshold)`` for each partner, ``p_all`` (all in the same year),
    ``p_any``, ``correlation`` of the partners' loss shares (two partners), ``threshold``, ``draws``,
    ``provenance``."""


def shared_losses(
    db: Critmin,
    partners: Sequence[str],
    commodities: Sequence[str],
    *,
    n: int = 10_000,
    seed: int = 0,
    year: int | None = None,
    threshold: float = SHARED_THRESHOLD,
    **montecarlo: Any,
) -> SharedLosses:
    """Run the Monte Carlo for the partners and measure how often they lose in the same simulated year.

    The partners share every draw (the same suppliers are disrupted for both in a year), so their
    joint loss probability shows how much of their risk is common: a pooled stockpile or a joint
    project helps least when both lose together.
    """
    chosen = partner_codes(partners)
    if not 0 < threshold < 1:
        raise StudyError(f"threshold: must be in (0, 1), not {threshold}")
    result = run_montecarlo(db, chosen, list(commodities), n=n, seed=seed, year=year, **montecarlo)
    rows = []
    for network, losses in result.losses.items():
        summary = result.summary[result.summary["network"] == network].set_index("country")
        use = summary["consumption_t"].reindex(chosen).to_numpy(dtype=float)

        share = np.divide(losses, use, out=np.zeros_like(losses), where=use > 0)
        hit = share > threshold
        row: dict[str, Any] = {"network": network}
        for i, code in enumerate(chosen):
            row[f"p_{code}"] = float(hit[:, i].mean())
        row["p_all"] = float(hit.all(axis=1).mean())
        row["p_any"] = float(hit.any(axis=1).mean())
        row["correlation"] = _correlation(share) if len(chosen) == 2 else math.nan
        row["threshold"] = threshold
        row["draws"] = int(losses.shape[0])
        row["provenance"] = str(summary["provenance"].iloc[0]) if len(summary) else ""
        rows.append(row)
    return SharedLosses(result=result, together=pd.DataFrame(rows))


def _correlation(share: np.ndarray) -> float:
    a, b = share[:, 0], share[:, 1]
    if a.std() == 0 or b.std() == 0:
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


@dataclass(frozen=True)
class SourcingStudy:
    """The CVaR-optimal import portfolio of one importer and commodity, against its current one."""

    importer: str
    network: str
    year: int
    suppliers: pd.DataFrame
    """Per supplier: ``supplier, current_share, capacity_share, unit_value_usd_t, premium`` (the
    cost term: its unit value over the current mix's average unit value, minus 1, so the current
    shares cost 0), ``unit_value_basis``, ``probability``, ``severity_mean``."""
    current: dict[str, float]
    """``cvar``, ``var``, ``expected`` and ``cost`` of the current shares."""
    optimum: optimiser.SourcingResult
    """Least CVaR, no cost weight."""
    frontier: pd.DataFrame
    """:func:`~critmin.partnership.optimiser.efficient_frontier` over the premium."""
    alpha: float
    draws: int
    seed: int
    provenance: str


def sourcing_study(
    db: Critmin,
    importer: str,
    commodity: str,
    *,
    year: int | None = None,
    stage: str | None = None,
    n: int = 20_000,
    seed: int = 0,
    alpha: float = 0.95,
    points: int = 8,
    max_share: float = 1.0,
    model: DisruptionModel | None = None,
) -> SourcingStudy:
    """Optimise one importer's supplier shares of a commodity against the Monte Carlo's disruptions.

    Shortfalls are first-order (:mod:`critmin.partnership.optimiser`): a share of needs lost with a
    disrupted supplier, not replaced within the year. Suppliers are the network's exporters (every
    exporting node, not only the current ones), each limited to its exports as a share of the
    importer's imports and to ``max_share``. The cost is the price premium: each exporter's BACI
    unit value over all its sales of the goods that year, relative to the average over the
    current shares (so the current portfolio costs 0 and a negative premium is a saving); an
    exporter without tonnes is given the importer's average import unit value.

    """
    code = importer.strip().upper()
    if not 0 < max_share <= 1:
        raise StudyError(f"max_share: must be in (0, 1], not {max_share}")
    networks = networks_for(db, [commodity], year=year, stage=stage)
    if len(networks) != 1:
        stages = ", ".join(net.stage for net in networks)
        raise StudyError(f"stage: {commodity} is traded at several stages ({stages}); choose one")
    net = networks[0]
    j = net.index(code)
    if net.imports[j] <= 0:
        raise StudyError(f"importer: {code} imports no {net.label} ({net.stage}) in {net.year}")
    governance = db.governance(indicator="pv")
    risk = calibrate(model or DisruptionModel(), net.nodes, net.exports, net.year, governance)
    names = [c for c in risk.codes if c != code]
    at = [net.index(c) for c in names]
    current = net.flows[at, j] / net.imports[j]
    capacity = net.exports[at] / net.imports[j]
    f = optimiser.severity_matrix(sample(risk, n, seed, 0), risk, names)
    unit, basis = _unit_values(db, net, code, names)
    values = unit / float(unit @ current) - 1.0
    upper = np.full(len(names), max_share)
    cost = values
    optimum = optimiser.optimise_sourcing(
        f, cost, suppliers=names, upper=upper, capacity=capacity, alpha=alpha
    )
    frontier = optimiser.efficient_frontier(
        f, cost, suppliers=names, upper=upper, capacity=capacity, alpha=alpha, points=points
    )
    losses = f @ current
    position = {c: i for i, c in enumerate(risk.codes)}
    table = pd.DataFrame(
        {
            "supplier": names,
            "current_share": current,
            "capacity_share": capacity,
            "unit_value_usd_t": unit,
            "premium": values,
            "unit_value_basis": basis,
            "probability": [float(risk.probability[position[c]]) for c in names],
            "severity_mean": [float(risk.severity_mean[position[c]]) for c in names],
        }
    )
    source = prov.join([net.provenance, risk.provenance]) if risk.provenance else net.provenance
    return SourcingStudy(
        importer=code,
        network=f"{net.label}/{net.stage}/{net.year}",
        year=net.year,
        suppliers=table.sort_values("current_share", ascending=False, ignore_index=True),
        current={
            "cvar": optimiser.cvar(losses, alpha),
            "var": optimiser.value_at_risk(losses, alpha),
            "expected": float(losses.mean()),
            "cost": float(values @ current),
        },
        optimum=optimum,
        frontier=frontier,
        alpha=alpha,
        draws=n,
        seed=seed,
        provenance=source,
    )


def _unit_values(
    db: Critmin, net: Network, importer: str, names: Sequence[str]
) -> tuple[np.ndarray, list[str]]:
    """Each supplier's USD per tonne over all its sales of the network's goods that year."""
    trade = db.trade(net.year, hs6=list(net.hs_codes))
    known = trade[trade["quantity_t"].fillna(0) > 0]
    bought = known[known["importer"] == importer]
    if bought.empty:
        raise StudyError(f"importer: {importer}'s imports of {net.label} in {net.year} carry no tonnes")
    average = float(bought["value_usd"].sum() / bought["quantity_t"].sum())
    sold = known.groupby("exporter")[["value_usd", "quantity_t"]].sum()
    unit = (sold["value_usd"] / sold["quantity_t"]).reindex(list(names))
    basis = [
        "BACI unit value" if found else f"{importer}'s average import unit value (no tonnes)"
        for found in unit.notna()
    ]
    return unit.fillna(average).to_numpy(dtype=float), basis


def scenario_losses(
    db: Critmin, partners: Sequence[str], ids: Sequence[str] | None = None, *, replay_year: int | None = None
) -> pd.DataFrame:
    """Each shipped scenario's losses for the partners, as it happened and replayed on ``replay_year``.

    ``replay_year`` defaults to the latest year with trade; a scenario the data cannot run (no
    tonnes for its goods, say) is reported with its reason in ``note`` and no figures.

    Returns
    -------
    DataFrame
        ``scenario, name, run`` ("as it happened" or "replayed on <year>"), ``year``, ``partner``,
        ``loss_t``, ``consumption_t``, ``loss_share``, ``stock_drawn_t``, ``note``, ``provenance``.
    """
    chosen = partner_codes(partners)
    replay = latest_trade_year(db) if replay_year is None else int(replay_year)
    rows: list[dict[str, Any]] = []
    for scenario_id in ids or shipped_ids():
        spec = load_shipped(scenario_id)
        runs = [("as it happened", spec)]
        if spec.year != replay:
            runs.append((f"replayed on {replay}", spec.model_copy(update={"year": replay})))
        for label, one in runs:
            base = {"scenario": scenario_id, "name": spec.name, "run": label, "year": one.year}
            try:
                result = run_scenario(db, one)
            except (ScenarioError, CritminError) as error:
                rows.extend({**base, "partner": p, "note": str(error)} for p in chosen)
                continue
            table = result.countries
            for partner in chosen:
                mine = table[table["country"] == partner]
                if mine.empty:
                    rows.append({**base, "partner": partner, "note": "not in the network"})
                    continue
                rows.append(
                    {
                        **base,
                        "year": int(mine["year"].iloc[0]) if "year" in mine else one.year,
                        "partner": partner,
                        "loss_t": float(mine["consumption_cut_t"].sum()),
                        "consumption_t": float(mine["consumption_t"].sum()),
                        "stock_drawn_t": float(mine["stock_drawn_t"].sum()),
                        "note": "",
                        "provenance": prov.join(str(v) for v in mine["provenance"]),
                    }
                )
    out = pd.DataFrame(rows)
    for column in ("loss_t", "consumption_t", "stock_drawn_t", "provenance"):
        if column not in out:
            out[column] = np.nan
    out["loss_share"] = np.where(out["consumption_t"] > 0, out["loss_t"] / out["consumption_t"], np.nan)
    columns = ["scenario", "name", "run", "year", "partner", "loss_t", "consumption_t", "loss_share"]
    return out[[*columns, "stock_drawn_t", "note", "provenance"]]


def candidate_projects(path: Path | str | None = None) -> list[projects.Project]:
    """Project specs from a YAML file (a list, or a mapping with ``projects:``); default: the candidates."""
    if path is None:
        origin = f"bundled {CANDIDATES_FILE}"
        text = resources.files("critmin.data.reference").joinpath(CANDIDATES_FILE).read_text(encoding="utf-8")
    else:
        origin = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise StudyError(f"{origin}: cannot read: {error.strerror}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise StudyError(f"{origin}: invalid YAML: {error}") from None
    items = document.get("projects") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise StudyError(f"{origin}: expected a list of projects or a mapping with 'projects:'")
    try:
        return projects.parse_projects([_project_fields(item) for item in items])
    except projects.ProjectError as error:
        raise StudyError(f"{origin}: {error}") from None


def _project_fields(item: object) -> dict[str, Any]:
    """The fields a :class:`~critmin.partnership.projects.Project` takes; ``sources`` become ``source``."""
    if not isinstance(item, dict):
        raise StudyError(f"projects: each project must be a mapping of fields, not {type(item).__name__}")
    fields = {k: v for k, v in item.items() if k not in DOCUMENTATION_KEYS}
    if "source" not in fields and isinstance(item.get("sources"), list):
        cited = [
            f"{s.get('title', '')} ({s.get('publisher', '')}, {s.get('date', '')}) {s.get('url', '')}".strip()
            for s in item["sources"]
            if isinstance(s, dict)
        ]
        fields["source"] = " | ".join(cited) or None
    return fields


@dataclass(frozen=True)
class ProjectRanking:
    """Candidate projects evaluated for the partners and ranked by risk cut per tonne of capacity."""

    evaluation: pd.DataFrame
    ranking: pd.DataFrame


def evaluate_projects(
    db: Critmin,
    candidates: Sequence[projects.Project],
    partners: Sequence[str],
    *,
    n: int = 10_000,
    seed: int = 0,
    year: int | None = None,
) -> ProjectRanking:
    """Evaluate and rank candidate projects (:mod:`critmin.partnership.projects`) on the store's networks."""
    chosen = partner_codes(partners)
    if not candidates:
        raise StudyError("projects: give at least one project")
    networks: dict[str, Network] = {}
    for project in candidates:
        if project.commodity in networks:
            continue
        built = networks_for(db, [project.commodity], year=year, stage=project.stage)
        networks[project.commodity] = built[0]
    evaluation = projects.evaluate(
        networks, list(candidates), chosen, n=n, seed=seed, governance=db.governance(indicator="pv")
    )
    return ProjectRanking(evaluation=evaluation, ranking=projects.rank(evaluation))


def joint_part(exposure: JointExposure, part: str) -> tuple[pd.DataFrame, list[str], str]:
    """The frame of one part of a :class:`~critmin.derisking.JointExposure`, its key columns and title."""
    codes = list(exposure.partners)
    names = " and ".join(codes)
    if part == "common":
        columns = ["commodity", "stage", "year"]
        for code in codes:
            columns += [f"{code}_imports_t", f"{code}_top_supplier", f"{code}_top_share"]
        return exposure.common, columns, f"What {names} both import ({exposure.year})"
    if part == "suppliers":
        columns = [
            "commodity",
            "stage",
            "year",
            "supplier",
            *[f"{c}_share" for c in codes],
            "min_partner_share",
        ]
        title = f"Suppliers with >= 5% of every partner's imports ({exposure.year})"
        return exposure.suppliers, columns, title
    if part == "tci":
        columns = ["importer", "exporter", "year", "tci", "goods", "goods_overlap", "note"]
        title = f"Trade complementarity index, 0-100 ({exposure.year}; Michaely 1996)"
        return exposure.complementarity, columns, title
    if part == "flows":
        columns = [
            "exporter",
            "importer",
            "commodity",
            "stage",
            "year",
            "exports_t",
            "imports_t",
            "bilateral_t",
            "overlap_usd",
        ]
        return exposure.flows, columns, f"What one partner exports that another imports ({exposure.year})"
    if part == "candidates":
        columns = [
            "commodity",
            "stage",
            "year",
            "rank",
            "candidate",
            "world_share",
            "governance_score",
            *[f"{c}_share" for c in codes],
        ]
        title = f"Third countries both could diversify to ({exposure.year}; governance: WGI pv)"
        return exposure.candidates, columns, title
    raise StudyError(f"part: must be one of {', '.join(JOINT_PARTS)}, not {part!r}")


def sourcing_shares(study: SourcingStudy, *, floor: float = 5e-4) -> pd.DataFrame:
    """Current against least-CVaR shares per supplier (rows where either is at least ``floor``)."""
    optimal = study.optimum.frame().rename(columns={"weight": "optimal_share"})
    table = study.suppliers.merge(optimal, on="supplier", how="left")
    table = table[(table["current_share"] >= floor) | (table["optimal_share"] >= floor)]
    columns = [
        "supplier",
        "current_share",
        "optimal_share",
        "capacity_share",
        "premium",
        "probability",
        "severity_mean",
        "unit_value_basis",
    ]
    return table[columns].assign(provenance=study.provenance).reset_index(drop=True)


def product_exposure(
    db: Critmin, mix: pd.DataFrame, country: str, year: int | None, table: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, int, str]:
    """Needs by commodity, the import-exposure summary (each with ``provenance``), the year, trade sources.

    ``mix`` is a product mix checked by :func:`critmin.partnership.products.check_mix`; ``table`` the
    intensities. Import shares are the building country's in ``year`` (default: the latest with trade
    in the mix's goods).
    """
    from critmin.partnership import products

    lines = products.needs(mix, table)
    by = products.needs_by_commodity(lines)
    by["provenance"] = "material intensities: " + by["sources"]
    codes = hs92_codes(db)
    wanted = codes[codes["commodity"].isin(set(by["commodity"]))]
    hs6 = sorted(set(wanted["hs6"]))
    years = db.trade_years(hs6, nomenclature=NOMENCLATURE) if hs6 else []
    if not years:
        raise StudyError(f"the store holds no HS92 trade in {', '.join(by['commodity'])}")
    when = years[-1] if year is None else int(year)
    trade = db.trade(when, hs6=hs6)
    if trade.empty:
        raise StudyError(f"year: no HS92 trade in {when} for {', '.join(by['commodity'])}")
    shares = import_shares(trade, wanted, aggregates=db.places())
    _, summary = products.import_exposure(lines, shares, country, year=when)
    tags = joint.trade_provenance_of(trade, wanted)[["commodity", "stage", "year", "provenance"]]
    summary = summary.merge(
        tags.rename(columns={"provenance": "trade"}).astype({"year": float}),
        on=["commodity", "stage", "year"],
        how="left",
    )
    intensity = dict(zip(by["commodity"], by["provenance"], strict=True))
    summary["provenance"] = [
        "; ".join(v for v in (t, intensity.get(g)) if isinstance(v, str) and v)
        for t, g in zip(summary["trade"], summary["commodity"], strict=True)
    ]
    summary["year"] = summary["year"].astype("Int64")
    return by, summary.drop(columns="trade"), when, prov.join(sorted(set(tags["provenance"].astype(str))))
