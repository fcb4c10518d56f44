r"""GeoPolRisk: an importer's geopolitical supply risk of a raw material.

.. math::

    GeoPolRisk_{A,c} = HHI_A \cdot \sum_j \frac{g_j \, f_{A,j,c}}{F_{A,c} + p_{A,c}}

Sources: Gemechu, Helbig, Sonnemann, Thorenz and Tuma (2016), *Import-based indicator for the
geopolitical supply risk of raw materials in life cycle sustainability assessments*, J. Ind.
Ecol. 20(1), 154-165 (the indicator); Helbig et al. (2016) (domestic production ``p`` in the
denominator); Koyamparambath et al. (2022), *Resources Policy* 75, 102465 (comparative risk
assessment); and the reference implementation geopolrisk-py (Koyamparambath, Schraml, Helbig,
Sonnemann; ``geopolrisk/assessment/core.py``: ``HHI``, ``importrisk``, ``GeoPolRisk``;
``docs/background.rst`` Equation 1).

- ``HHI_A``: Herfindahl-Hirschman index of world production of the stage, 0-1.
- ``g_j``: the exporter's political (in)stability: the WGI *Political Stability and Absence of
  Violence/Terrorism* estimate (``pv``) rescaled to 0 (most stable) .. 1 (least):
  ``g = (2.5 - PV) / 5``, clipped (the package's ``Normalized`` WGI table). A partner without a
  score gets the package's default 0.5, flagged in ``defaults_used``.
- ``f_j``: imports from ``j`` (BACI tonnes), ``F = sum_j f_j``; ``p``: the importer's domestic
  production of the stage. For a bloc, flows between members are left out (geopolrisk-py's
  ``aggregateTrade`` keeps them; set ``exclude_intra_bloc=False`` to match it).

The import-risk part (``import_risk`` = the sum) and the score are both 0-1.

HS codes (:func:`material_codes`): geopolrisk-py scores each material with the trade of its own
codes, whatever stage they are: cobalt's mine output with cobalt oxides (282200) and mattes and
unwrought cobalt (810510), lithium's with oxide/hydroxide (282520) and carbonate (283691), rare
earths' with their compounds and metals (284690, 284610, 280530). The package's mapping is
shipped as ``geopolrisk_hs_map.csv`` (:func:`critmin.reference_tables.geopolrisk_hs_map`); a
production stage it does not cover (copper refinery, nickel refinery) takes the catalog's codes
of that stage (``hs_source``). A row whose score cannot be computed says why in ``score_note``.
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
    parameter,
    stage_codes,
)
from critmin.metrics.governance import scaled_wgi, wgi_lookup

METHOD = "geopolrisk"

GEOPOLRISK_COLUMNS = [
    "commodity", "stage", "year", "importer", "hhi", "domestic_production", "imports_t",
    "import_risk", "geopolrisk", "trade_stage", "trade_hs6", "hs_source", "score_note",
    "defaults_used", "provenance",
]  # fmt: skip

HS_SOURCE_PEER = "geopolrisk-py"
"""``hs_source`` of codes from geopolrisk-py's mapping (``geopolrisk_hs_map.csv``)."""
HS_SOURCE_CATALOG = "catalog"
"""``hs_source`` of codes from critmin's catalog (``hs_codes.csv``) for a stage the mapping lacks."""


def material_codes(
    hs_codes: pd.DataFrame,
    materials: pd.DataFrame | None,
    commodity: str,
    stage: str,
    stage_map: Mapping[str, str] | None = None,
) -> tuple[str, list[str], str]:
    """The trade stage, HS codes and their source for a commodity's production stage.

    geopolrisk-py's codes for the material (``materials``: rows ``commodity, stage, hs6,
    hs_stage``) come first: they pair the production the package uses with the trade it uses,
    across stages (cobalt mine output with refined cobalt trade). Otherwise the catalog's codes
    of the stage (:func:`~critmin.metrics.criticality_eu.stage_codes`). ``trade_stage`` names
    the catalog stages of the codes (``mine+refinery`` for tungsten ores and powders).
    ``("", [], "")`` when neither has a code.
    """
    if materials is not None and len(materials):
        own = materials[(materials["commodity"] == commodity) & (materials["stage"] == stage)]
        if len(own):
            stages = sorted({str(s) for s in own["hs_stage"] if str(s)}) or [stage]
            return "+".join(stages), sorted(set(own["hs6"].astype(str))), HS_SOURCE_PEER
    trade_stage, codes = stage_codes(hs_codes, commodity, stage, stage_map)
    return trade_stage, codes, HS_SOURCE_CATALOG if codes else ""


def score_note(commodity: str, stage: str, codes: Sequence[str], imports_t: float, domestic: float) -> str:
    """Why a row's score is missing or zero ("" when it is an ordinary score)."""
    if not codes:
        return (
            f"not computed: no HS92 code for {commodity} at stage {stage} (neither geopolrisk-py's "
            "mapping nor the catalog), so the imports are unknown"
        )
    if imports_t <= 0 and domestic <= 0:
        return "0: no imports with a quantity and no domestic production in the year (as geopolrisk-py)"
    return ""


def political_instability(pv_estimate: float) -> float:
    """``g = (2.5 - PV) / 5`` clipped to 0-1 (0 = most stable), the geopolrisk-py normalisation."""
    return float(np.clip((2.5 - pv_estimate) / 5.0, 0.0, 1.0))


def geopolrisk_formula(
    hhi: float, g: Sequence[float] | np.ndarray, f: Sequence[float] | np.ndarray, domestic: float
) -> tuple[float, float]:
    r"""Import risk and score from their parts.

    .. math::

        IR = \sum_j \frac{g_j f_j}{F + p}, \qquad GeoPolRisk = HHI \cdot IR

    Source: Gemechu et al. (2016); geopolrisk-py ``core.GeoPolRisk`` (``WTA = Numerator /
    (TotalTrade + ProdQty)``, ``Score = HHI * WTA``). Returns ``(import_risk, score)``; both
    are 0 when there are neither imports nor domestic production.
    """
    g_arr = np.asarray(g, dtype=float)
    f_arr = np.asarray(f, dtype=float)
    denominator = float(f_arr.sum()) + float(domestic)
    if denominator <= 0:
        return 0.0, 0.0
    import_risk = float((g_arr * f_arr).sum() / denominator)
    return import_risk, hhi * import_risk


def geopolrisk_score(
    production: pd.DataFrame,
    trade: pd.DataFrame,
    hs_codes: pd.DataFrame,
    governance: pd.DataFrame,
    parameters: pd.DataFrame,
    *,
    importer: str,
    members: Sequence[str] | None = None,
    stage_map: Mapping[str, str] | None = None,
    exclude_intra_bloc: bool = True,
    materials: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""GeoPolRisk score of an importer per commodity, production stage and year.

    .. math::

        GeoPolRisk = HHI \cdot \sum_j \frac{g_j f_j}{F + p}

    Source: Gemechu et al. (2016); Koyamparambath et al. (2022); geopolrisk-py (module docstring).

    Parameters
    ----------
    production
        ``db.production(...)`` rows (countries; aggregates and withheld values are dropped).
    trade
        ``db.trade(...)`` rows with ``quantity_t``.
    hs_codes
        ``db.hs_codes()`` rows of the trade's nomenclature.
    governance
        ``db.governance(...)`` rows including indicator ``pv`` (the latest year up to each year is used).
    parameters
        :func:`critmin.reference_tables.criticality_parameters`.
    importer, members
        Importer label and its member countries (default ``[importer]``).
    stage_map
        Production stage -> HS stage where names differ.
    exclude_intra_bloc
        Leave out flows between members of a bloc (default).
    materials
        geopolrisk-py's codes per material (:func:`critmin.reference_tables.geopolrisk_hs_map`);
        ``None``: the catalog's codes of each stage only.

    Returns
    -------
    pandas.DataFrame
        ``hhi`` (0-1), ``import_risk`` (0-1), ``geopolrisk`` (0-1; both missing where no HS code
        is known for the stage, with the reason in ``score_note``), the domestic production and
        imports used, the trade stage, codes and their source, ``defaults_used`` and
        ``provenance``.
    """
    group = list(members) if members is not None else [importer]
    prod = country_production(production)
    pv_scaled = scaled_wgi(governance[governance["indicator"] == "pv"])
    rows: list[dict[str, object]] = []
    for key, block in prod.groupby(["commodity", "stage", "year"], sort=True):
        commodity, stage, year = str(key[0]), str(key[1]), int(str(key[2]))
        defaults = Defaults()
        used = set(prov.tags(block)) | {PARAMETERS_TAG}
        by_country = block.groupby("country")["value"].sum()
        shares = by_country / by_country.sum()
        hhi = float((shares**2).sum())
        domestic = float(by_country[by_country.index.isin(group)].sum())

        trade_stage, codes, source = material_codes(hs_codes, materials, commodity, stage, stage_map)
        flows = trade[(trade["year"] == year) & trade["hs6"].isin(codes) & trade["importer"].isin(group)]
        flows = flows.dropna(subset=["quantity_t"])
        if exclude_intra_bloc:
            flows = flows[~flows["exporter"].isin(group)]
        f = flows.groupby("exporter")["quantity_t"].sum()
        f = f[f > 0]
        if not flows.empty:
            used |= set(prov.tags(flows))
        wanted = pd.DataFrame({"country": f.index.astype(str), "year": year})
        pv = wgi_lookup(wanted, pv_scaled).set_index("country").reindex(f.index)
        g = pd.Series(np.clip(pv["wgi_scaled"].to_numpy() / 10.0, 0.0, 1.0), index=f.index)
        missing = pv["wgi_basis"] == "world median"
        if missing.any():
            fill, label = parameter(parameters, METHOD, "g_missing", commodity)
            g = g.where(~missing, fill)
            defaults.add(label)
            defaults.add("missing WGI PV: " + ",".join(sorted(f.index[missing])))
        used |= set(pv.loc[~missing, prov.PROVENANCE].dropna())
        import_risk, score = geopolrisk_formula(hhi, g.to_numpy(), f.to_numpy(), domestic)
        if not codes:
            import_risk, score = float("nan"), float("nan")
        rows.append(
            {
                "commodity": commodity,
                "stage": stage,
                "year": year,
                "importer": importer,
                "hhi": hhi,
                "domestic_production": domestic,
                "imports_t": float(f.sum()),
                "import_risk": import_risk,
                "geopolrisk": score,
                "trade_stage": trade_stage,
                "trade_hs6": ",".join(codes),
                "hs_source": source,
                "score_note": score_note(commodity, stage, codes, float(f.sum()), domestic),
                "defaults_used": defaults.text(),
                "provenance": prov.join(used),
            }
        )
    return pd.DataFrame(rows, columns=GEOPOLRISK_COLUMNS)
