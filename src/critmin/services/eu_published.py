"""critmin's EU supply risk of the EU-27 against the published EU 2023 figures, read from a store.

Reads what :func:`critmin.metrics.criticality_eu_published.critmin_supply_risk` needs (USGS
production of the mapped commodities, BACI HS92 trade of their codes in the data years, WGI,
export restrictions) and returns the comparison table and its :class:`Agreement`. The method,
mapping and data-year choice are described in :mod:`critmin.metrics.criticality_eu_published`
and ``docs/metrics.md`` (*Against the published EU 2023 supply risk*).
"""

from __future__ import annotations

import pandas as pd

from critmin import reference_tables as rt
from critmin.api import Critmin
from critmin.metrics import criticality_eu_published as published_sr
from critmin.metrics.criticality_eu_published import Agreement

IMPORTER = "EUU"
NOMENCLATURE = "HS92"


def eu_2023_comparison(db: Critmin) -> tuple[pd.DataFrame, Agreement]:
    """Published EU 2023 SR and critmin's, per covered material, and their agreement.

    The table is :func:`~critmin.metrics.criticality_eu_published.compare` (largest absolute
    difference first); the agreement is over the materials where both SR are known.
    """
    materials = published_sr.covered(rt.eu_crm_2023_supply_risk())
    production = db.production(sorted(set(materials["critmin_commodity"])))
    years = published_sr.data_years(production, materials).dropna()
    hs = db.hs_codes()
    hs = hs[hs["nomenclature"] == NOMENCLATURE]
    codes = sorted(set(hs.loc[hs["commodity"].isin(materials["critmin_commodity"]), "hs6"]))
    trade = db.trade(sorted({int(y) for y in years}), hs6=codes, nomenclature=NOMENCLATURE)
    ours = published_sr.critmin_supply_risk(
        materials,
        production,
        trade,
        hs,
        db.governance(),
        db.restrictions(),
        rt.criticality_parameters(),
        importer=IMPORTER,
        members=rt.members(IMPORTER),
    )
    table = published_sr.compare(materials, ours)
    return table, published_sr.agreement(table)
