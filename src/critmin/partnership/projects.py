r"""Project evaluation: what a new mine, refinery or plant with offtake to partners does to their risk.

A :class:`Project` (country, commodity, stage, capacity in t/yr, start year, offtake shares to
partners) is applied to a **copy** of the commodity's trade network (:func:`apply_project`), and
:func:`evaluate` compares the network before and after:

- **world production concentration**: the HHI of production shares over the network's nodes,
  :math:`\sum_i (P_i / \sum_k P_k)^2` (0–1; production as in
  :func:`critmin.scenarios.network.build_network`: USGS where comparable, else trade-implied);
- **each partner's import concentration**: the HHI of its import shares from the network flows,
  :math:`\sum_k (F_{kj} / M_j)^2` (tonnes; BACI);
- **Monte Carlo risk** per partner (:func:`critmin.scenarios.montecarlo.run_montecarlo` on the
  before and after networks with the same seed and parameters): expected loss and CVaR95 of the
  consumption cut, in tonnes and as shares of apparent consumption.

:func:`rank` orders candidate projects by **risk cut per tonne of capacity**: the sum over the
partners of the CVaR95 reduction (tonnes), divided by the project's capacity.

How a project changes the network (:func:`apply_project`), with capacity :math:`Q`, offtake
shares :math:`s_p` (:math:`\sum_p s_p \le 1`) and the project country :math:`c`:

- :math:`P_c \mathrel{+}= Q`;
- :math:`F_{cp} \mathrel{+}= s_p Q` for each offtake partner :math:`p` (the offtake *adds* to the
  partner's supply, so its apparent consumption rises by :math:`s_p Q`; it does not displace its
  existing imports);
- the rest :math:`R = (1 - \sum_p s_p) Q` is sold at home and on the world market in proportion to
  the country's existing exports: the share :math:`X_c / (C_c + X_c)` of :math:`R` (exports over
  supply, before the project) is exported to the country's existing customers in proportion to
  its existing flows (spot sales: their supply and apparent consumption rise), the remainder,
  :math:`H`, is sold at home. A country that exported nothing keeps the whole rest at home.
- ``displace=True`` (the default): contracted sales replace imports, demand is unchanged. Each
  offtake partner's imports from its other suppliers fall by :math:`s_p Q`, and the project
  country's imports by :math:`H`, pro rata to the existing flows and capped at those imports (an
  offtake above a partner's imports raises its consumption by the excess); each displaced
  supplier's production falls by the tonnes it no longer ships (floored at zero, where a
  re-exporter's consumption rises instead). ``displace=False``: the offtake and home sales add to
  supply and the buyers' apparent consumption rises by them, so risk in tonnes can rise with the
  extra consumption even as concentration falls.

Places not yet in the network (a new producer, a partner that did not trade the goods) are added
as nodes with zero flows and production before the project is applied.

The project's disruption risk: the Monte Carlo calibrates every exporting node from its WGI
political stability (:func:`critmin.scenarios.disruption.calibrate`), so the project's country is
a supplier like any other, with the probability of its WGI estimate (the WGI median if it has
none), and its new exports can themselves be withheld. The project is evaluated as if operating
at full capacity in the network's year (``start_year`` is reported, not simulated).

Common random numbers: the same seed gives the same draws before and after as long as the set of
exporting nodes is unchanged (the project country already exported the goods, and no supplier's
exports were wholly displaced); otherwise the random stream changes and before/after differences
carry sampling noise as well. :func:`evaluate` says which in ``common_draws``.

Risk need not fall monotonically with capacity: once a partner's offtake is a large share of its
imports, the new supplier is itself the concentration (its import HHI, :math:`s^2 + (1-s)^2 H_o`
with :math:`s` the project's share and :math:`H_o` the HHI of the other suppliers, falls only
while :math:`s < H_o / (1 + H_o)`), and the partner's tail loss then grows with it.

Layering rule: pure functions on networks and frames; callers pass the networks
(:func:`critmin.scenarios.network.build_network`) and the WGI rows (``db.governance(indicator="pv")``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from critmin.errors import CritminError
from critmin.metrics import provenance as prov
from critmin.scenarios.montecarlo import run_montecarlo
from critmin.scenarios.network import Network

_CODE = r"^[A-Z][A-Z0-9]{2}$"
SHARE_SLACK = 1e-9
"""Rounding allowed when offtake shares sum to one."""

EVALUATION_COLUMNS = (
    "project",
    "country",
    "commodity",
    "stage",
    "network",
    "capacity_t",
    "start_year",
    "partner",
    "offtake_share",
    "world_hhi_before",
    "world_hhi_after",
    "import_hhi_before",
    "import_hhi_after",
    "consumption_t_before",
    "consumption_t_after",
    "expected_loss_t_before",
    "expected_loss_t_after",
    "cvar95_t_before",
    "cvar95_t_after",
    "cvar95_share_before",
    "cvar95_share_after",
    "cvar95_cut_t",
    "draws",
    "seed",
    "common_draws",
    "provenance",
)


class ProjectError(CritminError):
    """A project spec is malformed or does not fit the networks it is evaluated on."""


class Project(BaseModel):
    """A capacity project: where, what, how much, and who takes its output."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="a short unique name")
    country: str = Field(pattern=_CODE, description="ISO3 code of the project's country")
    commodity: str = Field(min_length=1, description="catalog commodity (the network's key)")
    stage: str = Field(min_length=1, description="stage of the output (must be the network's stage)")
    capacity_t: float = Field(gt=0, allow_inf_nan=False, description="output in tonnes a year")
    start_year: int = Field(ge=1900, le=2100, description="first year of output")
    offtake: dict[str, float] = Field(
        default_factory=dict, description="partner ISO3 -> share of output sold to it (sum <= 1)"
    )
    source: str | None = Field(default=None, description="where the spec comes from")
    notes: str | None = None

    @field_validator("offtake")
    @classmethod
    def _shares(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        if info.data.get("country") in value:
            raise ValueError(
                f"{info.data['country']} is the project's country; what stays at home is the rest"
            )
        for code, share in value.items():
            if not re.fullmatch(_CODE, code):
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 code")
            if not (isinstance(share, int | float) and math.isfinite(share) and 0 < share <= 1):
                raise ValueError(f"{code}: share {share} must be in (0, 1]")
        total = sum(value.values())
        if total > 1 + SHARE_SLACK:
            raise ValueError(f"shares sum to {total:g}, more than 1")
        return value

    @property
    def rest_share(self) -> float:
        """Share of output not under offtake (sold at home and on the world market)."""
        return max(0.0, 1.0 - sum(self.offtake.values()))


def parse_projects(documents: Sequence[Mapping[str, Any] | Project]) -> list[Project]:
    """Validate project specs; a bad one stops with ``projects[i].field: message``."""
    out: list[Project] = []
    for i, doc in enumerate(documents):
        if isinstance(doc, Project):
            out.append(doc)
            continue
        try:
            out.append(Project.model_validate(doc))
        except ValidationError as error:
            lines = [
                f"projects[{i}].{'.'.join(str(p) for p in item['loc']) or '(document)'}: {item['msg']}"
                for item in error.errors()
            ]
            raise ProjectError("\n".join(lines)) from None
    names = [p.name for p in out]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ProjectError(f"projects: names must be unique, repeated: {', '.join(repeated)}")
    return out


def _with_nodes(network: Network, codes: Sequence[str]) -> Network:
    """A copy of the network with the codes not yet in it appended as nodes with zero flows."""
    new = [c for c in dict.fromkeys(codes) if not network.has(c)]
    n, k = network.size, len(new)
    flows = np.zeros((n + k, n + k))
    flows[:n, :n] = network.flows
    production = np.concatenate([network.production, np.zeros(k)])
    return replace(
        network,
        nodes=(*network.nodes, *new),
        flows=flows,
        production=production,
        production_basis=(*network.production_basis, *(["none (added for a project)"] * k)),
        _index={},
    )


def apply_project(network: Network, project: Project, *, displace: bool = True) -> Network:
    """A new network with the project in operation (the input is left unchanged).

    Parameters
    ----------
    network
        The project's commodity network (:func:`critmin.scenarios.network.build_network`).
    project
        The project; its stage must be the network's stage.
    displace
        Whether contracted sales (offtake, home) replace the buyers' imports (module docstring).

    Returns
    -------
    Network
        Copies of the arrays with the project country's production raised by ``capacity_t``, the
        offtake flows added, the rest split between home and the country's existing customers
        (module docstring), missing places added as nodes, and ``"project <name>"`` added to the
        provenance.
    """
    if project.stage != network.stage:
        raise ProjectError(
            f"stage: project {project.name!r} is at stage {project.stage!r} but the "
            f"{network.label} network is at stage {network.stage!r}"
        )
    if network.commodity is not None and project.commodity != network.commodity:
        raise ProjectError(
            f"commodity: project {project.name!r} is {project.commodity!r}, "
            f"the network is {network.commodity!r}"
        )
    out = _with_nodes(network, [project.country, *project.offtake])
    flows = out.flows.copy()  # _with_nodes copied already; copy again so ``out`` stays consistent
    production = out.production.copy()
    c = out.index(project.country)
    q = project.capacity_t
    exports, supply = float(out.exports[c]), float(out.consumption[c] + out.exports[c])
    abroad = project.rest_share * q * (exports / supply if supply > 0 else 0.0)
    if abroad > 0:
        flows[c] += abroad * out.flows[c] / exports
    contracted = np.zeros(out.size)
    for code, share in project.offtake.items():
        contracted[out.index(code)] += share * q
    flows[c] += contracted
    production[c] += q
    if displace:
        contracted[c] = project.rest_share * q - abroad  # what stays at home replaces the country's imports
        _displace(flows, production, c, contracted)
    basis = list(out.production_basis)
    basis[c] = f"{basis[c]} + project {project.name}"
    return replace(
        out,
        flows=flows,
        production=production,
        production_basis=tuple(basis),
        provenance=prov.join([network.provenance, f"project {project.name}"]),
        _index={},
    )


def _displace(flows: np.ndarray, production: np.ndarray, c: int, deliveries: np.ndarray) -> None:
    """In place: each buyer's imports from suppliers other than ``c`` fall by what ``c`` now delivers.

    Pro rata to the existing flows, capped at those imports; each displaced supplier's production
    falls by the tonnes it no longer ships (floored at zero: a re-exporter's consumption rises instead).
    """
    for j in np.flatnonzero(deliveries > 0):
        others = flows[:, j].copy()
        others[c] = 0.0
        total = float(others.sum())
        if total <= 0:
            continue
        cut = others * (min(float(deliveries[j]), total) / total)
        flows[:, j] -= cut
        production -= np.minimum(cut, production)
        np.maximum(flows, 0.0, out=flows)


def _exporters(network: Network) -> set[str]:
    return {code for code, x in zip(network.nodes, network.exports, strict=True) if x > 0}


def _hhi(weights: np.ndarray) -> float:
    """HHI (0–1) of the shares of ``weights`` (NaN when they sum to zero)."""
    total = float(weights.sum())
    return float(((weights / total) ** 2).sum()) if total > 0 else math.nan


def world_hhi(network: Network) -> float:
    """HHI (0–1) of production shares over the network's nodes (NaN when nothing is produced)."""
    return _hhi(network.production)


def import_hhi(network: Network, country: str) -> float:
    """HHI (0–1) of ``country``'s import shares by supplier (NaN when it imports nothing or is absent)."""
    if not network.has(country):
        return math.nan
    return _hhi(network.flows[:, network.index(country)])


def _risk(
    network: Network, partners: Sequence[str], n: int, seed: int, governance: pd.DataFrame | None, **kw: Any
) -> tuple[pd.DataFrame, str]:
    result = run_montecarlo(network, list(partners), n=n, seed=seed, governance=governance, **kw)
    table = result.summary.set_index("country")
    return table, str(table["provenance"].iloc[0]) if len(table) else network.provenance


def evaluate(
    networks_by_commodity: Mapping[str, Network],
    projects: Sequence[Project | Mapping[str, Any]],
    partners: Sequence[str],
    *,
    n: int = 10_000,
    seed: int = 0,
    governance: pd.DataFrame | None = None,
    displace: bool = True,
    **montecarlo: Any,
) -> pd.DataFrame:
    """Before/after concentration and Monte Carlo risk of each project, per partner.

    Parameters
    ----------
    networks_by_commodity
        The network of each project's commodity, keyed by the project's ``commodity``.
    projects
        :class:`Project` objects or their specs (validated by :func:`parse_projects`).
    partners
        ISO3 codes whose import concentration and risk are reported (``JPN``, ``IND``, ...).
    n, seed
        Monte Carlo draws and seed, the same for the before and after runs.
    governance
        WGI ``pv`` rows (``db.governance(indicator="pv")``) to calibrate the disruption
        probabilities; may be ``None`` only if ``model`` sets one ``probability``.
    displace
        Whether the project's sales replace the buyers' existing imports (demand unchanged; default)
        or add to them (see :func:`apply_project`).
    **montecarlo
        Further keyword arguments of :func:`~critmin.scenarios.montecarlo.run_montecarlo`
        (``model``, ``params``, ``chunk_size``, ``batch_size``, ``stock_days``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per project and partner, columns :data:`EVALUATION_COLUMNS`; ``cvar95_cut_t`` is
        ``cvar95_t_before - cvar95_t_after`` (positive: the project cuts the partner's risk);
        ``common_draws`` whether both runs drew the same disruptions (same exporting nodes).
        ``provenance`` names the network's sources, the WGI release and the project (and its
        ``source`` when given).
    """
    chosen = list(dict.fromkeys(partners))
    if not chosen:
        raise ProjectError("partners: name at least one partner")
    bad = [c for c in chosen if not re.fullmatch(_CODE, str(c))]
    if bad:
        raise ProjectError(f"partners: {bad} are not ISO 3166-1 alpha-3 codes")
    specs = parse_projects(projects)
    before: dict[str, tuple[pd.DataFrame, str]] = {}
    rows = []
    for project in specs:
        if project.commodity not in networks_by_commodity:
            raise ProjectError(
                f"commodity: project {project.name!r} is {project.commodity!r}, "
                "but no network is given for it "
                f"(networks: {', '.join(sorted(networks_by_commodity)) or 'none'})"
            )
        base = networks_by_commodity[project.commodity]
        after_net = apply_project(base, project, displace=displace)
        if project.commodity not in before:
            before[project.commodity] = _risk(base, chosen, n, seed, governance, **montecarlo)
        risk_before, _ = before[project.commodity]
        risk_after, prov_after = _risk(after_net, chosen, n, seed, governance, **montecarlo)
        same = _exporters(base) == _exporters(after_net)
        sources = prov.join([prov_after, *([f"project source: {project.source}"] if project.source else [])])
        for partner in chosen:
            b, a = risk_before.loc[partner], risk_after.loc[partner]
            rows.append(
                {
                    "project": project.name,
                    "country": project.country,
                    "commodity": project.commodity,
                    "stage": project.stage,
                    "network": f"{base.label}/{base.stage}/{base.year}",
                    "capacity_t": project.capacity_t,
                    "start_year": project.start_year,
                    "partner": partner,
                    "offtake_share": project.offtake.get(partner, 0.0),
                    "world_hhi_before": world_hhi(base),
                    "world_hhi_after": world_hhi(after_net),
                    "import_hhi_before": import_hhi(base, partner),
                    "import_hhi_after": import_hhi(after_net, partner),
                    "consumption_t_before": float(b["consumption_t"]),
                    "consumption_t_after": float(a["consumption_t"]),
                    "expected_loss_t_before": float(b["expected_loss_t"]),
                    "expected_loss_t_after": float(a["expected_loss_t"]),
                    "cvar95_t_before": float(b["cvar95_t"]),
                    "cvar95_t_after": float(a["cvar95_t"]),
                    "cvar95_share_before": float(b["cvar95_share"]),
                    "cvar95_share_after": float(a["cvar95_share"]),
                    "cvar95_cut_t": float(b["cvar95_t"] - a["cvar95_t"]),
                    "draws": n,
                    "seed": seed,
                    "common_draws": same,
                    "provenance": sources,
                }
            )
    return pd.DataFrame(rows, columns=list(EVALUATION_COLUMNS))


def rank(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Projects ranked by risk cut per tonne of capacity (largest first).

    Parameters
    ----------
    evaluation
        The frame of :func:`evaluate`.

    Returns
    -------
    pandas.DataFrame
        One row per project: ``rank`` (1 = best), ``project``, ``country``, ``commodity``,
        ``capacity_t``, ``partners``, ``cvar95_before_t`` and ``cvar95_cut_t`` (sums over the
        partners), ``cvar95_cut_share`` (the cut as a share of the summed CVaR95 before),
        ``cut_per_t`` (``cvar95_cut_t / capacity_t``: tonnes of tail loss avoided per tonne a year
        of capacity), ``provenance``.
    """
    missing = [c for c in ("project", "capacity_t", "cvar95_t_before", "cvar95_cut_t") if c not in evaluation]
    if missing:
        raise ProjectError(f"evaluation: columns {missing} missing; pass the frame of evaluate()")
    grouped = evaluation.groupby("project", sort=False)
    table = grouped.agg(
        country=("country", "first"),
        commodity=("commodity", "first"),
        capacity_t=("capacity_t", "first"),
        partners=("partner", lambda s: ",".join(s)),
        cvar95_before_t=("cvar95_t_before", "sum"),
        cvar95_cut_t=("cvar95_cut_t", "sum"),
        provenance=("provenance", prov.join),
    ).reset_index()
    table["cvar95_cut_share"] = np.where(
        table["cvar95_before_t"] > 0, table["cvar95_cut_t"] / table["cvar95_before_t"], np.nan
    )
    table["cut_per_t"] = table["cvar95_cut_t"] / table["capacity_t"]
    table = table.sort_values(["cut_per_t", "project"], ascending=[False, True], ignore_index=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    columns = ["rank", "project", "country", "commodity", "capacity_t", "partners", "cvar95_before_t"]
    return table[[*columns, "cvar95_cut_t", "cvar95_cut_share", "cut_per_t", "provenance"]]
