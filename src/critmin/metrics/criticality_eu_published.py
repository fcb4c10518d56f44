"""critmin's EU supply risk against the published EU 2023 figures, over every material both cover.

The EU 2023 criticality assessment (Grohol and Veeh 2023, *Study on the critical raw materials
for the EU 2023*, doi:10.2873/725585) scores supply risk (SR, 0-10) per material at the
extraction and/or processing stage, from 2016-2020 averages. The reference table
``eu_crm_2023_supply_risk.csv`` (:func:`critmin.reference_tables.eu_crm_2023_supply_risk`) holds
those figures as tabulated by the CritMAT project (secondary source, trust B) and maps each
material to critmin's commodity, production stage and form; materials critmin does not cover
have an empty ``compared_stage`` and the reason in ``note``.

How a material is compared:

- stage: the EU's headline stage where critmin holds it, otherwise the stage critmin holds
  (nickel, tin, tungsten, lithium: mine output only), against the EU's SR of that same stage;
- data year: per commodity, stage and form, the latest year the production frame holds up to
  the end of the study period (2020), otherwise its earliest year (most USGS tables of the store
  start in 2021);
- critmin's SR: :func:`critmin.metrics.criticality_eu.eu_supply_risk` for the importer and its
  members (the EU-27 bloc ``EUU``) with the catalog's HS codes; ``trade_stage`` in the table
  renames the stage where the catalog files the same product under another stage name, and
  ``none`` drops the catalog's codes where they belong to another product (kaolin), so SR falls
  back to global supply only.

:func:`agreement` summarises the comparison: Spearman and Kendall rank correlation, agreement on
SR >= 1 (the EU's supply-risk threshold for criticality) and the median absolute difference.
This module does no I/O (the caller reads the store; :mod:`critmin.services.eu_published`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from critmin.metrics.criticality_eu import eu_supply_risk

STUDY_END = 2020
"""Last year of the EU 2023 study's 2016-2020 averaging period."""

SR_THRESHOLD = 1.0
"""The EU supply-risk threshold of criticality (SR >= 1; European Commission 2017, section 4)."""

KEY = ["critmin_commodity", "critmin_stage", "critmin_form"]


def covered(published: pd.DataFrame) -> pd.DataFrame:
    """The materials critmin compares, with ``published_sr``: the EU's SR at the compared stage.

    The headline ``supply_risk`` where the compared stage is the EU's headline stage, otherwise
    the tabulated SR of the compared stage (``supply_risk_extraction`` / ``_processing``).
    """
    rows = published[published["compared_stage"] != ""].copy()
    stage_sr = rows["supply_risk_processing"].where(
        rows["compared_stage"] == "processing", rows["supply_risk_extraction"]
    )
    headline = rows["compared_stage"] == rows["eu_stage"]
    rows["published_sr"] = pd.to_numeric(rows["supply_risk"].where(headline, stage_sr))
    if rows["published_sr"].isna().any():
        missing = ", ".join(rows.loc[rows["published_sr"].isna(), "material"])
        raise ValueError(f"no published SR at the compared stage for: {missing}")
    return rows.reset_index(drop=True)


def _forms(production: pd.DataFrame) -> pd.Series:
    """The production rows' ``form`` as text (``""``, the main series, where there is no column)."""
    if "form" not in production.columns:
        return pd.Series("", index=production.index)
    return production["form"].astype(str)


def data_years(production: pd.DataFrame, materials: pd.DataFrame, study_end: int = STUDY_END) -> pd.Series:
    """Per material (index as ``materials``): the data year closest to the study period.

    The latest year up to ``study_end`` the production frame holds for the material's commodity,
    stage and form, otherwise its earliest year; NaN where it holds none.
    """
    held = pd.DataFrame(
        {
            "critmin_commodity": production["commodity"].astype(str),
            "critmin_stage": production["stage"].astype(str),
            "critmin_form": _forms(production),
            "year": production["year"].astype("int64"),
        }
    ).drop_duplicates()
    before = held[held["year"] <= study_end].groupby(KEY)["year"].max()
    first = held.groupby(KEY)["year"].min()
    chosen = before.combine_first(first)
    first_form = materials["critmin_form"].str.split("|").str[0]
    index = pd.MultiIndex.from_frame(materials[KEY].assign(critmin_form=first_form))
    return pd.Series(chosen.reindex(index).to_numpy(), index=materials.index, name="year")


def critmin_supply_risk(
    materials: pd.DataFrame,
    production: pd.DataFrame,
    trade: pd.DataFrame,
    hs_codes: pd.DataFrame,
    governance: pd.DataFrame,
    restrictions: pd.DataFrame | None,
    parameters: pd.DataFrame,
    *,
    importer: str,
    members: Sequence[str],
) -> pd.DataFrame:
    """Critmin's EU SR of each material of :func:`covered` (one row per material).

    ``critmin_form`` may name several forms joined by ``|`` (titanium: ilmenite and rutile), whose
    tonnes are added per country; the data year is that of the first form.

    Columns: ``material``, the :data:`~critmin.metrics.criticality_eu.EU_COLUMNS` of the
    material's commodity, stage and data year (``year`` NaN and ``supply_risk`` NaN where the
    production frame holds none).
    """
    years = data_years(production, materials).to_numpy(float)
    form = _forms(production)
    rows: list[pd.DataFrame] = []
    for material, year in zip(materials.to_dict("records"), years, strict=True):
        if np.isnan(year):
            rows.append(pd.DataFrame({"material": [material["material"]]}))
            continue
        commodity, stage = material["critmin_commodity"], material["critmin_stage"]
        picked = production[
            (production["commodity"] == commodity)
            & (production["stage"] == stage)
            & form.isin(material["critmin_form"].split("|"))
            & (production["year"] == int(year))
        ]
        trade_stage = material["trade_stage"]
        hs = hs_codes.iloc[0:0] if trade_stage == "none" else hs_codes
        stage_map = {stage: trade_stage} if trade_stage not in ("", "none") else None
        risk = eu_supply_risk(
            picked, trade, hs, governance, restrictions, parameters,
            importer=importer, members=members, stage_map=stage_map,
        )  # fmt: skip
        rows.append(risk.assign(material=material["material"]))
    out = pd.concat(rows, ignore_index=True)
    return out[["material", *[c for c in out.columns if c != "material"]]]


def compare(materials: pd.DataFrame, ours: pd.DataFrame) -> pd.DataFrame:
    """Published and critmin SR side by side, with ``difference`` = critmin - published.

    One row per material of ``materials`` (:func:`covered`), sorted by the absolute difference
    (largest first).
    """
    keep = ["material", "year", "supply_risk", "sourcing_basis", "import_reliance", "hhi_wgi_t_gs",
            "hhi_wgi_t_sourcing", "eol_rir", "si_sr", "defaults_used"]  # fmt: skip
    mine = ours.reindex(columns=keep).rename(columns={"supply_risk": "critmin_sr"})
    shown = ["material", "compared_stage", "published_sr", *KEY, "note"]
    table = materials[shown].merge(mine, on="material", how="left")
    table["difference"] = table["critmin_sr"] - table["published_sr"]
    order = table["difference"].abs().sort_values(ascending=False, na_position="last").index
    return table.loc[order].reset_index(drop=True)


@dataclass(frozen=True)
class Agreement:
    """Summary of a comparison over the materials with both figures."""

    materials: int
    spearman: float
    kendall: float
    both_critical: int
    both_not_critical: int
    only_published_critical: int
    only_critmin_critical: int
    median_abs_difference: float

    @property
    def threshold_agreement(self) -> float:
        """Share of materials on the same side of SR >= 1 in both."""
        return (self.both_critical + self.both_not_critical) / self.materials


def agreement(table: pd.DataFrame, threshold: float = SR_THRESHOLD) -> Agreement:
    """Rank correlation, SR >= ``threshold`` confusion counts and median |difference| of :func:`compare`.

    Spearman's rho and Kendall's tau-b (``scipy.stats``; ties as average ranks) over the materials
    where both SR are known.
    """
    both = table.dropna(subset=["published_sr", "critmin_sr"])
    published, ours = both["published_sr"].to_numpy(float), both["critmin_sr"].to_numpy(float)
    high_p, high_c = published >= threshold, ours >= threshold
    return Agreement(
        materials=len(both),
        spearman=float(stats.spearmanr(published, ours).statistic),
        kendall=float(stats.kendalltau(published, ours).statistic),
        both_critical=int((high_p & high_c).sum()),
        both_not_critical=int((~high_p & ~high_c).sum()),
        only_published_critical=int((high_p & ~high_c).sum()),
        only_critmin_critical=int((~high_p & high_c).sum()),
        median_abs_difference=float(np.median(np.abs(ours - published))),
    )
