r"""GeoPolRisk and USGS supply risk of many importers at once, vectorised over importers.

.. math::

    GeoPolRisk_{A,c} = HHI_A \cdot \sum_j \frac{g_j \, f_{A,j,c}}{F_{A,c} + p_{A,c}}, \qquad
    SR_{USGS} = DP \cdot TE \cdot EV, \quad DP = \sum_c s_c^2 \, g_c

Sources: Gemechu et al. (2016), J. Ind. Ecol. 20(1), 154-165, and geopolrisk-py (GeoPolRisk);
Nassar and Fortier (2021), USGS OFR 2021-1045 (USGS). Same terms, fallbacks, ``defaults_used``
and provenance as the per-importer references
:func:`critmin.metrics.criticality_geopolrisk.geopolrisk_score` and
:func:`critmin.metrics.criticality_usgs.usgs_supply_risk` (computed trade exposure, no published
NIR), tested equal to them: the per-group terms (HHI, DP) once per commodity, stage and year; the
flows of every importer from one grouped sum; WGI once per supplier and year.

Importers are given as ``{label: members}``: a country is ``{"JPN": ["JPN"]}``, a bloc such as
the EU ``{"EUU": EU27}``; flows between members are left out, domestic production is the members'.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from critmin.metrics import provenance as prov
from critmin.metrics.criticality_eu import PARAMETERS_TAG, country_production, parameter
from critmin.metrics.criticality_geopolrisk import GEOPOLRISK_COLUMNS, material_codes, score_note
from critmin.metrics.criticality_geopolrisk import METHOD as GEOPOLRISK_METHOD
from critmin.metrics.criticality_usgs import METHOD as USGS_METHOD
from critmin.metrics.criticality_usgs import USGS_COLUMNS, nir_basis, trade_codes
from critmin.metrics.governance import scaled_wgi, wgi_lookup

GROUP = ["commodity", "stage", "year"]
ROW = [*GROUP, "importer"]


def membership(importers: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Rows ``importer, member`` (one per member of each importer label)."""
    rows = [(str(label), str(m)) for label, members in importers.items() for m in members]
    return pd.DataFrame(rows, columns=["importer", "member"])


def _groups(production: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Country production in tonnes, its sums per group and country, and the group provenance."""
    prod = country_production(production)
    prod = prod.assign(year=prod["year"].astype("int64"), country=prod["country"].astype(str))
    by_country = prod.groupby([*GROUP, "country"], sort=True)["value"].sum().reset_index()
    tags = prod[GROUP].assign(tag=prov.tags(prod).to_numpy()).drop_duplicates()
    return prod, by_country, tags


def _codes(
    groups: pd.DataFrame,
    hs_codes: pd.DataFrame,
    stage_map: Mapping[str, str] | None,
    materials: pd.DataFrame | None = None,
    *,
    geopolrisk: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per commodity and stage: the trade stage, codes text and source; and rows ``commodity, stage, hs6``.

    ``geopolrisk``: the codes of :func:`~critmin.metrics.criticality_geopolrisk.material_codes`
    (geopolrisk-py's mapping first); otherwise those of
    :func:`~critmin.metrics.criticality_usgs.trade_codes` (the catalog's codes of the stage, else
    geopolrisk-py's when ``materials`` is given).
    """
    pairs = groups[["commodity", "stage"]].drop_duplicates()
    text: list[tuple[object, ...]] = []
    links: list[tuple[object, ...]] = []
    for commodity, stage in pairs.itertuples(index=False):
        if geopolrisk:
            trade_stage, codes, source = material_codes(
                hs_codes, materials, str(commodity), str(stage), stage_map
            )
        else:
            trade_stage, codes, source = trade_codes(
                hs_codes, str(commodity), str(stage), stage_map, materials
            )
        text.append((commodity, stage, trade_stage, ",".join(codes), source, bool(codes)))
        links.extend((commodity, stage, code) for code in codes)
    return (
        pd.DataFrame(
            text, columns=["commodity", "stage", "trade_stage", "trade_hs6", "hs_source", "has_codes"]
        ),
        pd.DataFrame(links, columns=["commodity", "stage", "hs6"]),
    )


def _flows(
    trade: pd.DataFrame, links: pd.DataFrame, members: pd.DataFrame, years: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trade rows with a quantity crossing each importer's border: ``(imports, exports)`` by group.

    Both carry ``importer`` (the label), ``partner``, ``quantity_t`` and ``tag`` (provenance).
    """
    raw = trade[trade["year"].isin(years)].dropna(subset=["quantity_t"])
    raw = pd.DataFrame(
        {
            "year": raw["year"].astype("int64").to_numpy(),
            "exporter": raw["exporter"].astype(str).to_numpy(),
            "importer": raw["importer"].astype(str).to_numpy(),
            "hs6": raw["hs6"].astype(str).to_numpy(),
            "quantity_t": raw["quantity_t"].astype(float).to_numpy(),
            "tag": prov.tags(raw).to_numpy(),
        }
    ).merge(links, on="hs6")
    inside = members.rename(columns={"member": "country"})
    sides = []
    for own, other in (("importer", "exporter"), ("exporter", "importer")):
        rows = raw.rename(columns={own: "country", other: "partner"}).merge(inside, on="country")
        rows = rows.drop(columns="country")
        outside = rows.merge(
            inside.rename(columns={"country": "partner"}),
            on=["importer", "partner"],
            how="left",
            indicator=True,
        )
        sides.append(rows[(outside["_merge"] == "left_only").to_numpy()])
    return sides[0], sides[1]


def _joined_tags(frame: pd.DataFrame, keys: list[str], column: str = "tag") -> pd.DataFrame:
    """Distinct tag texts of ``column`` per group of ``keys`` as a set column ``tags``."""
    distinct = frame[[*keys, column]].drop_duplicates()
    return distinct.groupby(keys, sort=False)[column].agg(set).rename("tags").reset_index()


def _rows(groups: pd.DataFrame, importers: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Every group crossed with every importer label."""
    labels = pd.DataFrame({"importer": [str(label) for label in importers]})
    return groups.merge(labels, how="cross")


def _union(*columns: pd.Series) -> list[str]:
    """Row-wise ``prov.join`` of columns holding sets (or NaN)."""
    out = []
    for parts in zip(*columns, strict=True):
        used: set[str] = set()
        for part in parts:
            if isinstance(part, set):
                used |= part
        out.append(prov.join(used))
    return out


def geopolrisk_all(
    production: pd.DataFrame,
    trade: pd.DataFrame,
    hs_codes: pd.DataFrame,
    governance: pd.DataFrame,
    parameters: pd.DataFrame,
    *,
    importers: Mapping[str, Sequence[str]],
    stage_map: Mapping[str, str] | None = None,
    materials: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""GeoPolRisk of every importer per commodity, production stage and year.

    .. math:: GeoPolRisk = HHI \cdot \sum_j \frac{g_j f_j}{F + p}

    Source: Gemechu et al. (2016); geopolrisk-py ``core.GeoPolRisk`` (module docstring). Equal to
    :func:`~critmin.metrics.criticality_geopolrisk.geopolrisk_score` with ``importer=label,
    members=members`` (intra-bloc flows excluded) for each item of ``importers``.

    Parameters
    ----------
    production, trade, hs_codes, governance, parameters, stage_map, materials
        As for :func:`~critmin.metrics.criticality_geopolrisk.geopolrisk_score`.
    importers
        Importer label -> member countries.

    Returns
    -------
    pandas.DataFrame
        :data:`~critmin.metrics.criticality_geopolrisk.GEOPOLRISK_COLUMNS`, sorted by group and
        importer (in the order of ``importers``).
    """
    members = membership(importers)
    _, by_country, group_tags = _groups(production)
    groups = by_country[GROUP].drop_duplicates().reset_index(drop=True)
    if groups.empty or not len(members):
        return pd.DataFrame(columns=GEOPOLRISK_COLUMNS)
    by_country["share"] = by_country["value"] / by_country.groupby(GROUP)["value"].transform("sum")
    hhi = (by_country["share"] ** 2).groupby([by_country[c] for c in GROUP]).sum().rename("hhi").reset_index()
    text, links = _codes(groups, hs_codes, stage_map, materials, geopolrisk=True)
    years = sorted(int(y) for y in groups["year"].unique())
    imports, _ = _flows(trade, links, members, years)
    imports = imports.merge(groups, on=GROUP)
    flow_tags = _joined_tags(imports, ROW).rename(columns={"tags": "flow_tags"})
    f = imports.groupby([*ROW, "partner"], sort=False)["quantity_t"].sum().reset_index()
    f = f[f["quantity_t"] > 0]

    wanted = f[["partner", "year"]].drop_duplicates().rename(columns={"partner": "country"})
    pv = wgi_lookup(wanted, scaled_wgi(governance[governance["indicator"] == "pv"]))
    pv = pv.rename(columns={"country": "partner", prov.PROVENANCE: "pv_prov"})
    f = f.merge(
        pv[["partner", "year", "wgi_scaled", "wgi_basis", "pv_prov"]], on=["partner", "year"], how="left"
    )
    fills = {
        c: parameter(parameters, GEOPOLRISK_METHOD, "g_missing", c) for c in groups["commodity"].unique()
    }
    f["missing"] = f["wgi_basis"] == "world median"
    g = np.clip(f["wgi_scaled"].to_numpy(dtype=float) / 10.0, 0.0, 1.0)
    fill = f["commodity"].map({c: v for c, (v, _) in fills.items()}).to_numpy(dtype=float)
    f["g"] = np.where(f["missing"], fill, g)
    f["gf"] = f["g"] * f["quantity_t"]
    sums = f.groupby(ROW, sort=False).agg(imports_t=("quantity_t", "sum"), gf=("gf", "sum")).reset_index()
    missing = f[f["missing"]]
    missing_text = (
        missing.groupby(ROW, sort=False)["partner"]
        .agg(lambda p: "missing WGI PV: " + ",".join(sorted(p)))
        .rename("missing_text")
        .reset_index()
    )
    pv_tags = _joined_tags(f[~f["missing"]].dropna(subset=["pv_prov"]), ROW, "pv_prov")
    pv_tags = pv_tags.rename(columns={"tags": "pv_tags"})

    domestic = (
        by_country.merge(members.rename(columns={"member": "country"}), on="country")
        .groupby(ROW, sort=False)["value"]
        .sum()
        .rename("domestic_production")
        .reset_index()
    )
    out = _rows(groups, importers).merge(hhi, on=GROUP, how="left").merge(text, on=["commodity", "stage"])
    base_tags = _joined_tags(group_tags, GROUP).rename(columns={"tags": "base_tags"})
    out = out.merge(base_tags, on=GROUP, how="left")
    for frame in (domestic, sums, missing_text, flow_tags, pv_tags):
        out = out.merge(frame, on=ROW, how="left")
    out["domestic_production"] = out["domestic_production"].fillna(0.0)
    out["imports_t"] = out["imports_t"].fillna(0.0)
    denominator = out["imports_t"].to_numpy() + out["domestic_production"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        risk = np.where(denominator > 0, out["gf"].fillna(0.0).to_numpy() / denominator, 0.0)
    risk = np.where(out["has_codes"].to_numpy(), risk, np.nan)
    out["import_risk"] = risk
    out["geopolrisk"] = out["hhi"].to_numpy() * risk
    labels = []
    for commodity, text_missing in zip(out["commodity"], out["missing_text"], strict=True):
        used = set()
        if isinstance(text_missing, str):
            used = {fills[commodity][1], text_missing} - {None}
        labels.append("; ".join(sorted(str(u) for u in used)))
    out["defaults_used"] = labels
    out["score_note"] = [
        score_note(str(c), str(s), [code] if has else [], float(i), float(p))
        for c, s, has, code, i, p in zip(
            out["commodity"],
            out["stage"],
            out["has_codes"],
            out["trade_hs6"],
            out["imports_t"],
            out["domestic_production"],
            strict=True,
        )
    ]
    out["provenance"] = _union(
        out["base_tags"], pd.Series([{PARAMETERS_TAG}] * len(out)), out["flow_tags"], out["pv_tags"]
    )
    order = {str(label): i for i, label in enumerate(importers)}
    out = out.assign(_order=out["importer"].map(order)).sort_values([*GROUP, "_order"], ignore_index=True)
    return out[GEOPOLRISK_COLUMNS]


def usgs_supply_risk_all(
    production: pd.DataFrame,
    governance: pd.DataFrame,
    parameters: pd.DataFrame,
    trade: pd.DataFrame,
    hs_codes: pd.DataFrame,
    *,
    importers: Mapping[str, Sequence[str]],
    stage_map: Mapping[str, str] | None = None,
    materials: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""USGS-style supply risk of every importer per commodity, production stage and year.

    .. math:: SR = DP \cdot TE \cdot EV, \qquad DP = \sum_c s_c^2 g_c, \qquad
              TE = \mathrm{clip}\Big(\frac{I - E}{P + I - E}, 0, 1\Big)

    Source: Nassar and Fortier (2021), USGS OFR 2021-1045 (module docstring). Equal to
    :func:`~critmin.metrics.criticality_usgs.usgs_supply_risk` with ``trade`` and ``hs_codes``
    (trade exposure computed from trade; no published NIR) for each item of ``importers``.

    Returns
    -------
    pandas.DataFrame
        :data:`~critmin.metrics.criticality_usgs.USGS_COLUMNS`, sorted by group and importer.
    """
    members = membership(importers)
    _, by_country, group_tags = _groups(production)
    groups = by_country[GROUP].drop_duplicates().reset_index(drop=True)
    if groups.empty or not len(members):
        return pd.DataFrame(columns=USGS_COLUMNS)
    by_country["share"] = by_country["value"] / by_country.groupby(GROUP)["value"].transform("sum")
    wgi = wgi_lookup(by_country[["country", "year"]], scaled_wgi(governance))
    terms = by_country.merge(wgi, on=["country", "year"], how="left")
    terms["g"] = np.clip(terms["wgi_scaled"].to_numpy(dtype=float) / 10.0, 0.0, 1.0)
    terms["term"] = terms["share"] ** 2 * terms["g"]
    dp = terms.groupby(GROUP, sort=False)["term"].sum().rename("disruption_potential").reset_index()
    median = (
        terms[terms["wgi_basis"] == "world median"]
        .groupby(GROUP, sort=False)["country"]
        .agg(lambda c: "world-median WGI: " + ",".join(sorted(c)))
        .rename("median_text")
        .reset_index()
    )
    wgi_tags = _joined_tags(terms.dropna(subset=[prov.PROVENANCE]), GROUP, prov.PROVENANCE)
    base = _joined_tags(group_tags, GROUP).rename(columns={"tags": "base_tags"})
    per_group = (
        groups.merge(dp, on=GROUP).merge(median, on=GROUP, how="left").merge(base, on=GROUP, how="left")
    )
    per_group = per_group.merge(wgi_tags.rename(columns={"tags": "wgi_tags"}), on=GROUP, how="left")

    text, links = _codes(groups, hs_codes, stage_map, materials)
    years = sorted(int(y) for y in groups["year"].unique())
    imports, exports = _flows(trade, links, members, years)
    both = pd.concat([imports, exports], ignore_index=True).merge(groups, on=GROUP)
    flow_tags = _joined_tags(both, ROW).rename(columns={"tags": "flow_tags"})
    i_sum = imports.groupby(ROW, sort=False)["quantity_t"].sum().rename("imports").reset_index()
    e_sum = exports.groupby(ROW, sort=False)["quantity_t"].sum().rename("exports").reset_index()
    domestic = (
        by_country.merge(members.rename(columns={"member": "country"}), on="country")
        .groupby(ROW, sort=False)["value"]
        .sum()
        .rename("domestic")
        .reset_index()
    )

    out = (
        _rows(groups, importers).merge(per_group, on=GROUP, how="left").merge(text, on=["commodity", "stage"])
    )
    for frame in (flow_tags, i_sum, e_sum, domestic):
        out = out.merge(frame, on=ROW, how="left")
    p, i, e = (out[c].fillna(0.0).to_numpy(dtype=float) for c in ("domestic", "imports", "exports"))
    apparent = p + i - e
    with np.errstate(divide="ignore", invalid="ignore"):
        nir = np.where((apparent <= 0) | (i <= e), 0.0, np.minimum(1.0, (i - e) / apparent))
    traded = out["has_codes"].to_numpy() & out["flow_tags"].notna().to_numpy()
    out["trade_exposure"] = np.where(traded, nir, np.nan)
    out["trade_exposure_basis"] = [
        nir_basis(s, c, h) if t else "none"
        for s, c, h, t in zip(out["trade_stage"], out["trade_hs6"], out["hs_source"], traded, strict=True)
    ]
    ev = {
        c: parameter(parameters, USGS_METHOD, "economic_vulnerability", c)
        for c in groups["commodity"].unique()
    }
    dp_label = {c: parameter(parameters, USGS_METHOD, "dp_governance_mean6", c)[1] for c in ev}
    out["economic_vulnerability"] = out["commodity"].map({c: v for c, (v, _) in ev.items()}).astype(float)
    out["supply_risk"] = out["disruption_potential"] * out["trade_exposure"] * out["economic_vulnerability"]
    labels = []
    for commodity, median_text in zip(out["commodity"], out["median_text"], strict=True):
        used = {dp_label[commodity], ev[commodity][1], median_text if isinstance(median_text, str) else None}
        labels.append("; ".join(sorted(str(u) for u in used if u)))
    out["defaults_used"] = labels
    out["provenance"] = _union(
        out["base_tags"],
        pd.Series([{PARAMETERS_TAG}] * len(out)),
        out["wgi_tags"],
        pd.Series([t if ok else None for t, ok in zip(out["flow_tags"], traded, strict=True)]),
    )
    order = {str(label): i for i, label in enumerate(importers)}
    out = out.assign(_order=out["importer"].map(order)).sort_values([*GROUP, "_order"], ignore_index=True)
    return out[USGS_COLUMNS]


__all__ = ["geopolrisk_all", "membership", "usgs_supply_risk_all"]
