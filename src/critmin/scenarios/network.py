"""One commodity's world trade network for one year: who ships how many tonnes to whom, and who produces.

The network is the input of the cascade (:mod:`critmin.scenarios.cascade`):

- ``flows[i, j]``: tonnes a year exported by node ``i`` to node ``j`` (BACI, summed over the
  commodity's HS codes). Rows without a quantity get one from the value at the median unit value of
  the same HS code and year (the share of tonnes so imputed is kept in ``imputed_share``).
- ``production[i]``: USGS production in tonnes where its unit and basis are comparable with the
  traded goods (the rule of :func:`critmin.metrics.trade_exposure.consumption_inputs`: a mass, a
  gross-weight basis, or contained content of a good that is the element itself, and HS codes that
  map exactly): ``production_basis`` "usgs". Where USGS publishes the commodity only in another basis
  or at another stage (rare-earth oxide at the mine against traded compounds, nickel content against
  ore), that figure is used as an approximation: "usgs approx (<basis>, <stage>)". Elsewhere, and
  wherever it is below it, production is the trade-implied minimum ``max(0, X - M)``: a country cannot
  export more than it produces and imports ("trade-implied").
- apparent consumption ``C = P + M - X`` (USGS's definition, stock changes unknown) is then >= 0.

Nodes are every place that trades the goods or produces them, aggregates such as BACI's "other
Asia, n.e.s." included (they are real trading partners); the world total is not a node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from critmin.api import Critmin
from critmin.metrics import provenance
from critmin.metrics.trade_exposure import ELEMENT_HS_PREFIXES, TONNES_PER_UNIT, basis_comparable
from critmin.scenarios.spec import ScenarioError

WORLD = "WLD"


@dataclass(frozen=True, eq=False)
class Network:
    """A commodity's trade and production network for one year (tonnes a year)."""

    label: str
    stage: str
    year: int
    hs_codes: tuple[str, ...]
    nodes: tuple[str, ...]
    flows: np.ndarray
    production: np.ndarray
    production_basis: tuple[str, ...]
    provenance: str
    imputed_share: float = 0.0
    commodity: str | None = None
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        n = len(self.nodes)
        if self.flows.shape != (n, n) or self.production.shape != (n,):
            raise ValueError("flows must be n x n and production n long for n nodes")
        if (self.flows < 0).any() or (self.production < 0).any():
            raise ValueError("flows and production must be >= 0")
        self._index.update({code: i for i, code in enumerate(self.nodes)})

    @property
    def size(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @cached_property
    def exports(self) -> np.ndarray:
        """Tonnes exported by each node."""
        return np.asarray(self.flows.sum(axis=1))

    @cached_property
    def imports(self) -> np.ndarray:
        """Tonnes imported by each node."""
        return np.asarray(self.flows.sum(axis=0))

    @cached_property
    def consumption(self) -> np.ndarray:
        """Apparent consumption ``P + M - X`` in tonnes (>= 0 by construction, up to rounding)."""
        return np.maximum(self.production + self.imports - self.exports, 0.0)

    def index(self, code: str) -> int:
        """Position of a node; a clear error when the place is not in the network."""
        try:
            return self._index[code]
        except KeyError:
            raise ScenarioError(
                f"{code} neither trades nor produces {self.label} in {self.year} "
                f"(HS {', '.join(self.hs_codes)}): it is not in the network"
            ) from None

    def has(self, code: str) -> bool:
        """Whether ``code`` is a node."""
        return code in self._index


def _trade_tonnes(trade: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Tonnes per flow, imputing missing quantities at the median unit value of the HS code."""
    trade = trade[(trade["exporter"] != WORLD) & (trade["importer"] != WORLD)]
    trade = trade[trade["exporter"] != trade["importer"]]
    quantity = trade["quantity_t"].astype(float)
    known = quantity.notna() & (quantity > 0) & (trade["value_usd"] > 0)
    unit_value = (trade["value_usd"][known] / quantity[known]).groupby(trade["hs6"][known]).median()
    imputed = trade["value_usd"] / trade["hs6"].map(unit_value)
    tonnes = quantity.where(quantity.notna(), imputed).fillna(0.0).clip(lower=0.0)
    total = float(tonnes.sum())
    share = float(tonnes[quantity.isna()].sum() / total) if total > 0 else 0.0
    return trade.assign(tonnes=tonnes), share


def _comparable(production: pd.DataFrame, codes: pd.DataFrame) -> pd.DataFrame:
    """Production rows whose unit and basis can meet trade tonnes (else the trade-implied minimum is used)."""
    if production.empty or not (codes["confidence"] == "exact").all():
        return production.iloc[0:0]
    element = bool(codes["hs6"].str.startswith(ELEMENT_HS_PREFIXES).all())
    basis = production["basis"].fillna("").astype(str)
    ok = production["unit"].isin(list(TONNES_PER_UNIT)).to_numpy() & basis_comparable(basis, element)

    return production[ok & production["value"].notna()]


def resolve_good(
    db: Critmin, commodity: str | None, hs_codes: Sequence[str] | None, stage: str | None, nomenclature: str
) -> tuple[str, str, tuple[str, ...], str | None, pd.DataFrame]:
    """(label, stage, HS codes, catalog commodity, code rows) of an event's goods."""
    table = db.hs_codes()
    table = table[table["nomenclature"] == nomenclature]
    if commodity is not None:
        commodity = db.commodity_id(commodity)
        rows = table[table["commodity"] == commodity]
        stages = sorted(rows["stage"].unique())
        if not stages:
            raise ScenarioError(f"no {nomenclature} HS codes map to {commodity}: name hs_codes instead")
        if stage is None and len(stages) > 1:
            raise ScenarioError(f"{commodity} trades at stages {', '.join(stages)}: say which with 'stage'")
        stage = stage or stages[0]
        rows = rows[rows["stage"] == stage]
        if rows.empty:
            raise ScenarioError(f"{commodity} has no {nomenclature} HS codes at stage {stage!r} ({stages})")
        return commodity, stage, tuple(sorted(rows["hs6"])), commodity, rows
    codes = tuple(sorted(set(hs_codes or ())))
    rows = table[table["hs6"].isin(codes)]
    owners = rows[["commodity", "stage"]].drop_duplicates()
    catalog = str(owners["commodity"].iloc[0]) if len(owners) == 1 else None
    stage = stage or (str(owners["stage"].iloc[0]) if len(owners) == 1 else "traded")
    return "HS " + "+".join(codes), stage, codes, catalog, rows


def build_network(
    db: Critmin,
    year: int,
    *,
    commodity: str | None = None,
    hs_codes: Sequence[str] | None = None,
    stage: str | None = None,
    nomenclature: str = "HS92",
) -> Network:
    """Read one year's network of a catalog commodity (at a stage) or of a list of HS codes."""
    label, stage, codes, catalog, code_rows = resolve_good(db, commodity, hs_codes, stage, nomenclature)
    trade = db.trade(year=year, hs6=list(codes), nomenclature=nomenclature)
    if trade.empty:
        raise ScenarioError(f"no {nomenclature} trade in HS {', '.join(codes)} for {year} in the store")
    # the store returns rows in no fixed order: sort so that sums (and Monte Carlo) are bit-reproducible
    trade = trade.sort_values(["exporter", "importer", "hs6"], ignore_index=True)
    trade, imputed_share = _trade_tonnes(trade)

    if not trade["tonnes"].gt(0).any():
        raise ScenarioError(
            f"{nomenclature} trade in HS {', '.join(codes)} for {year} carries no quantities (values only): "
            "the network needs tonnes; import a release with quantities (e.g. a UN Comtrade extract)"
        )

    production = pd.DataFrame(columns=["country", "value", "unit", "basis", "stage"])
    if catalog is not None:
        found = db.production(commodity=catalog, year=year)
        found = found[
            (found["form"] == "") & ~found["is_aggregate"] & found["unit"].isin(list(TONNES_PER_UNIT))
        ]
        found = found[found["value"].notna()]
        same_stage = found[found["stage"] == stage]
        comparable = _comparable(same_stage, code_rows)
        labels = found["basis"].fillna("").astype(str).where(lambda b: b != "", "basis unlabelled")
        found = found.assign(label="usgs approx (" + labels + ", " + found["stage"].astype(str) + ")")
        found.loc[comparable.index, "label"] = "usgs"
        # one series per country: the comparable one, else the same stage, else the first other stage
        found = found.assign(
            rank=(found["label"] != "usgs").astype(int) + (found["stage"] != stage).astype(int)
        )
        production = found.sort_values(["rank", "stage"]).drop_duplicates("country")
    nodes = sorted(set(trade["exporter"]) | set(trade["importer"]) | set(production["country"]))
    index = {code: i for i, code in enumerate(nodes)}
    n = len(nodes)
    flows = np.zeros((n, n))
    pairs = trade.groupby(["exporter", "importer"], observed=True)["tonnes"].sum()
    rows = pairs.index.get_level_values(0).map(index).to_numpy(dtype=int)
    cols = pairs.index.get_level_values(1).map(index).to_numpy(dtype=int)
    flows[rows, cols] = pairs.to_numpy()
    listed = np.zeros(n)
    series = np.full(n, "trade-implied", dtype=object)
    if not production.empty:
        at = production["country"].map(index).to_numpy(dtype=int)
        listed[at] = (production["value"].astype(float) * production["unit"].map(TONNES_PER_UNIT)).to_numpy()
        series[at] = production["label"].to_numpy()
    implied = np.maximum(flows.sum(axis=1) - flows.sum(axis=0), 0.0)
    basis = tuple(
        str(lab) if p > 0 and p >= m else "trade-implied"
        for p, m, lab in zip(listed, implied, series, strict=True)
    )

    prov = provenance.join([*provenance.tags(trade).unique(), *provenance.tags(production).unique()])
    return Network(
        label=label,
        stage=stage,
        year=year,
        hs_codes=codes,
        nodes=tuple(nodes),
        flows=flows,
        production=np.maximum(listed, implied),
        production_basis=basis,
        provenance=prov,
        imputed_share=imputed_share,
        commodity=catalog,
    )
