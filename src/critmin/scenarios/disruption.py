r"""Random supplier disruptions for the Monte Carlo: who is disrupted in a year, and how badly.

This is an **assumption**, not an estimate fitted to past disruptions; every parameter can be set.

Probability
    Each supplier :math:`k` (a node of the network that exports) is disrupted in a year with
    probability

    .. math:: p_k = p_{min} + (p_{max} - p_{min})\,\Phi(-pv_k)

    where :math:`pv_k` is the World Bank WGI *Political Stability and Absence of Violence/Terrorism*
    estimate (indicator ``pv``, roughly standard normal across countries, higher is more stable):
    each country's latest estimate not after the network's year (for networks older than WGI, from
    its first year, 1996), and :math:`\Phi` the standard normal distribution function. With the defaults
    :math:`p_{min} = 0.01` and :math:`p_{max} = 0.20`, a country at the world median (:math:`pv = 0`)
    has :math:`p = 0.105`, one at :math:`pv = +2` has 0.014 and one at :math:`pv = -2` has 0.196.
    Places without a WGI estimate (BACI aggregates such as "other Asia, n.e.s.", small
    territories) get the median of those estimates over all the countries WGI scores.
Severity
    A disrupted supplier withholds a fraction :math:`f \sim \mathrm{Beta}(a, b)` of its exports
    with mean :math:`m = a / (a + b)` (default :math:`m = 0.3`) and concentration
    :math:`a + b = 4` (default), so :math:`a = 4m`, :math:`b = 4(1 - m)`; a mean of 1 means a full stop.
Correlation
    Optional one-factor Gaussian copula: supplier :math:`k` is disrupted when
    :math:`\sqrt{\rho}\,M + \sqrt{1-\rho}\,\varepsilon_k < \Phi^{-1}(p_k)` with a common factor
    :math:`M` and idiosyncratic :math:`\varepsilon_k`, all standard normal and independent. Each
    supplier keeps its probability :math:`p_k`; :math:`\rho > 0` makes suppliers fail together
    (:math:`\rho = 0`: independent). Severities are independent.
Effect on the network
    A disruption of supplier :math:`k` with severity :math:`f` is an export restriction by
    :math:`k` of fraction :math:`f` on all its customers: each importer :math:`j` loses
    :math:`f F_{kj}` tonnes at the start, and :math:`k` cannot be asked for more
    (``node_open[k] = 1 - f``); it can cut only the :math:`(1 - f) X_k` it still ships, and the
    :math:`f X_k` it withholds are not released to the market but cover its own shortfalls, as a
    stock would (:func:`cascade_terms`). Several suppliers disrupted in one draw add up.


Chokepoints
    With ``chokepoints=True`` (or a chokepoint named in ``chokepoint_probabilities``), each
    chokepoint a flow of the network passes also closes in a year, independently of the suppliers
    and of each other, with the probability, length and fraction of
    :func:`critmin.sealanes.reference.closure_rates` (the record of past closures), overridable per
    chokepoint; :mod:`critmin.scenarios.lanes` turns a closure into tonnes.

Overrides: ``probability`` (all suppliers) or ``probabilities`` (per supplier code) replace
:math:`p_k`; ``severity_means`` replaces :math:`m` per supplier.

Draws are generated with a NumPy :class:`~numpy.random.Generator` seeded by
``np.random.SeedSequence(seed).spawn(n_chunks)[c]`` for chunk ``c`` (the same stream as
``SeedSequence(seed, spawn_key=(c,))``), so a chunk's draws depend only on the seed, the chunk's
index and size, and the suppliers, never on where or when the chunk runs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from critmin.metrics import provenance
from critmin.scenarios.spec import ScenarioError

_CODE = r"^[A-Z][A-Z0-9]{2}$"


class DisruptionModel(BaseModel):
    """Parameters of the supplier disruptions (see the module docstring for the formulas)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    p_min: float = Field(default=0.01, ge=0, le=1, description="probability of the most stable supplier")
    p_max: float = Field(default=0.20, ge=0, le=1, description="probability of the least stable supplier")
    severity_mean: float = Field(default=0.3, gt=0, le=1, description="mean share of exports withheld")
    concentration: float = Field(default=4.0, gt=0, description="a + b of the Beta severity")
    rho: float = Field(default=0.0, ge=0, lt=1, description="one-factor Gaussian copula correlation")
    probability: float | None = Field(
        default=None, ge=0, le=1, description="one probability for every supplier"
    )
    probabilities: dict[str, float] = Field(default_factory=dict, description="probability per supplier code")
    severity_means: dict[str, float] = Field(
        default_factory=dict, description="severity mean per supplier code"
    )
    chokepoints: bool = Field(
        default=False, description="draw chokepoint closures too, at the rates of the record of past ones"
    )
    chokepoint_probabilities: dict[str, float] = Field(
        default_factory=dict,
        description="annual closure probability per chokepoint id (naming one draws its closures)",
    )
    chokepoint_days: dict[str, int] = Field(
        default_factory=dict, description="closure length in days per chokepoint id"
    )

    @model_validator(mode="after")
    def _ordered(self) -> DisruptionModel:
        if self.p_min > self.p_max:
            raise ValueError(f"p_min ({self.p_min}) must not exceed p_max ({self.p_max})")
        return self

    @field_validator("chokepoint_probabilities", "chokepoint_days")
    @classmethod
    def _per_chokepoint(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        from critmin.sealanes.reference import chokepoints

        known = [c.id for c in chokepoints()]
        days = info.field_name == "chokepoint_days"
        for name, number in value.items():
            if name not in known:
                raise ValueError(f"unknown chokepoint {name!r}; choose from {', '.join(known)}")
            if not (1 <= number <= 365 if days else 0 <= number <= 1):
                raise ValueError(f"{name}: {number} must be {'in 1..365 days' if days else 'in [0, 1]'}")
        return value

    @field_validator("probabilities", "severity_means")
    @classmethod
    def _per_supplier(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        low_open = info.field_name == "severity_means"
        for code, number in value.items():
            if not re.fullmatch(_CODE, code):
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-3 code")
            if not (0 < number <= 1 if low_open else 0 <= number <= 1):
                bounds = "in (0, 1]" if low_open else "in [0, 1]"
                raise ValueError(f"{code}: {number} must be {bounds}")
        return value


@dataclass(frozen=True)
class SupplierRisk:
    """The calibrated disruption parameters of one network's suppliers (arrays per supplier)."""

    nodes: np.ndarray
    """Node index of each supplier in the network."""
    codes: tuple[str, ...]
    probability: np.ndarray
    severity_mean: np.ndarray
    pv: np.ndarray
    """WGI political stability estimate used (NaN where the median stood in)."""
    basis: tuple[str, ...]
    """Where each probability came from: ``"wgi pv <year>"``, ``"wgi median <year>"`` or ``"override"``."""
    rho: float
    concentration: float
    provenance: str
    """The WGI release the probabilities were calibrated from (empty when none was used)."""

    @property
    def threshold(self) -> np.ndarray:
        r""":math:`\Phi^{-1}(p_k)`: the latent value below which supplier ``k`` is disrupted."""
        unit = NormalDist()
        return np.array(
            [
                -math.inf if p <= 0 else math.inf if p >= 1 else unit.inv_cdf(float(p))
                for p in self.probability
            ]
        )

    @property
    def beta_ab(self) -> tuple[np.ndarray, np.ndarray]:
        """Beta parameters ``(a, b)`` of each supplier's severity (``b == 0`` stands for a full stop)."""
        return self.severity_mean * self.concentration, (1.0 - self.severity_mean) * self.concentration

    def frame(self) -> pd.DataFrame:
        """One row per supplier: code, probability, severity mean, WGI estimate and basis."""
        return pd.DataFrame(
            {
                "supplier": list(self.codes),
                "probability": self.probability,
                "severity_mean": self.severity_mean,
                "pv": self.pv,
                "basis": list(self.basis),
            }
        )


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return np.array([0.5 * math.erfc(-float(v) / math.sqrt(2.0)) for v in x])


def political_stability(governance: pd.DataFrame, year: int) -> tuple[pd.DataFrame, int | None, float, str]:
    """WGI ``pv`` for ``year``: (estimate and year by country, latest year, median, provenance).

    Each country's latest estimate not after ``year`` (from the earliest WGI year when ``year`` is
    older); the median is over those estimates.
    """
    rows = governance
    if "indicator" in rows.columns:
        rows = rows[rows["indicator"] == "pv"]
    rows = rows.dropna(subset=["estimate"])
    if rows.empty:
        return pd.DataFrame(columns=["estimate", "year"]), None, math.nan, ""
    years = rows["year"].astype(int)
    wgi_year = int(years[years <= year].max()) if (years <= year).any() else int(years.min())
    rows = rows[years <= wgi_year].sort_values("year").drop_duplicates("country", keep="last")
    table = rows.set_index("country")[["estimate", "year"]].astype({"estimate": float, "year": int})
    tags = (
        provenance.tags(rows) if {"source", "release", "vintage_id"} <= set(rows.columns) else pd.Series([])
    )
    return table, wgi_year, float(table["estimate"].median()), provenance.join(tags.unique())


def calibrate(
    model: DisruptionModel,
    nodes: tuple[str, ...],
    exports: np.ndarray,
    year: int,
    governance: pd.DataFrame | None,
) -> SupplierRisk:
    """Each supplier's probability and severity mean for one network (nodes and their exports).

    ``governance`` holds rows of ``db.governance(indicator="pv")``; it may be ``None`` only when
    ``model.probability`` sets every supplier's probability.
    """
    at = np.flatnonzero(np.asarray(exports) > 0)
    codes = tuple(nodes[i] for i in at)
    pv = np.full(len(at), math.nan)
    basis = ["override"] * len(at)
    source = ""
    if model.probability is not None:
        probability = np.full(len(at), model.probability)
    else:
        if governance is None:
            raise ScenarioError(
                "no WGI governance rows to calibrate from: pass governance= or set probability"
            )
        estimates, wgi_year, median, source = political_stability(governance, year)
        if wgi_year is None:
            raise ScenarioError("the governance rows hold no WGI 'pv' estimate to calibrate from")
        known = np.array([code in estimates.index for code in codes], dtype=bool)
        value = estimates["estimate"].to_dict()
        pv = np.array([value[code] if ok else math.nan for code, ok in zip(codes, known, strict=True)])
        basis = [
            f"wgi pv {estimates.at[code, 'year']}" if ok else f"wgi median {wgi_year}"
            for code, ok in zip(codes, known, strict=True)
        ]
        stability = np.where(known, pv, median)
        probability = model.p_min + (model.p_max - model.p_min) * _normal_cdf(-stability)
    for i, code in enumerate(codes):
        if code in model.probabilities:
            probability[i] = model.probabilities[code]
            basis[i] = "override"
    severity = np.array([model.severity_means.get(code, model.severity_mean) for code in codes], dtype=float)
    return SupplierRisk(
        nodes=at,
        codes=codes,
        probability=np.asarray(probability, dtype=float),
        severity_mean=severity,
        pv=pv,
        basis=tuple(basis),
        rho=model.rho,
        concentration=model.concentration,
        provenance=source,
    )


@dataclass(frozen=True)
class Disruptions:
    """The disruptions of a chunk of draws, sparse: one entry per (draw, supplier) hit, by draw."""

    size: int
    """Draws in the chunk (many may have no entry)."""
    draw: np.ndarray
    """Draw of each entry, within the chunk (int32, sorted)."""
    supplier: np.ndarray
    """Supplier position of each entry (into :attr:`SupplierRisk.nodes`, int32)."""
    severity: np.ndarray
    """Share of the supplier's exports withheld."""


def sample(risk: SupplierRisk, size: int, seed: int, chunk: int) -> Disruptions:
    """Draw ``size`` years of disruptions for chunk ``chunk`` of a run seeded with ``seed``.

    The generator is seeded with ``SeedSequence(seed).spawn(n_chunks)[chunk]`` (built directly as
    ``SeedSequence(seed, spawn_key=(chunk,))``, the same stream). It draws, in this order, the
    common factor ``(size,)``, the idiosyncratic normals ``(size, suppliers)`` and then one Beta
    severity per hit in (draw, supplier) order.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(chunk,)))
    common = rng.standard_normal(size)
    latent = rng.standard_normal((size, len(risk.nodes)))
    if risk.rho > 0:
        latent *= math.sqrt(1.0 - risk.rho)
        latent += math.sqrt(risk.rho) * common[:, None]
    draw, supplier = np.nonzero(latent < risk.threshold)
    a, b = risk.beta_ab
    full = b[supplier] <= 0
    severity = rng.beta(a[supplier], np.where(full, 1.0, b[supplier]))
    severity[full] = 1.0
    return Disruptions(size, draw.astype(np.int32), supplier.astype(np.int32), severity)


def shocks(
    disruptions: Disruptions, risk: SupplierRisk, flows: np.ndarray, rows: slice | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(shock, node_open)`` arrays ``(draws, n)`` for the cascade, for the draws in ``rows``.

    ``shock[d, j] = sum_k f_k(d) F[k, j]`` and ``node_open[d, k] = 1 - f_k(d)``.
    """
    n = flows.shape[0]
    start, stop = (0, disruptions.size) if rows is None else (rows.start or 0, rows.stop)
    lo, hi = np.searchsorted(disruptions.draw, [start, stop])
    severity = np.zeros((stop - start, n))
    severity[disruptions.draw[lo:hi] - start, risk.nodes[disruptions.supplier[lo:hi]]] = disruptions.severity[
        lo:hi
    ]
    shock = severity[:, risk.nodes] @ flows[risk.nodes]
    return shock, 1.0 - severity


def overrides_unknown(model: DisruptionModel, suppliers: Mapping[str, object]) -> list[str]:
    """Override codes that are a supplier in none of the networks (``suppliers``: code -> anything)."""
    named = set(model.probabilities) | set(model.severity_means)
    return sorted(code for code in named if code not in suppliers)


def cascade_terms(flows: np.ndarray, node_open: np.ndarray) -> dict[str, np.ndarray]:
    """The cascade's keyword arguments for suppliers withholding ``1 - node_open`` of every flow.

    A supplier withholding a fraction ``f`` cannot be asked for more (``node_open = 1 - f``), can
    cut only the ``(1 - f) X`` it still ships (``export_capacity``), and covers its own shortfalls
    from the ``f X`` it keeps at home (``stocks``; the loss is the consumption cut, so drawing on
    what it withholds is not counted as a loss). Works for one draw ``(n,)`` or a batch ``(draws, n)``.
    """
    exports = flows.sum(axis=1)
    return {
        "node_open": node_open,
        "export_capacity": exports * node_open,
        "stocks": exports * (1.0 - node_open),
    }
