r"""Every metric for all commodities × countries × years the data covers, in one call.

:func:`all_metrics` runs the production, governance and trade metrics over whole frames (every
commodity, stage, importer and year at once) and :func:`eu_supply_risk_all` computes the EU 2017
supply risk of every importing country, vectorised over importers:

.. math::

    SR = \Big[(HHI_{WGI,t})_{GS} \cdot \frac{IR}{2}
         + (HHI_{WGI,t})_{sourcing} \cdot \Big(1 - \frac{IR}{2}\Big)\Big]
         \cdot (1 - EoL_{RIR}) \cdot SI_{SR}

Source: European Commission (2017), *Methodology for establishing the EU list of critical raw
materials*, doi:10.2873/769526, section 3.2; the terms are those of
:mod:`critmin.metrics.criticality_eu` (tested equal to :func:`~critmin.metrics.criticality_eu.eu_supply_risk`
per importer).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from critmin.metrics import provenance as prov
from critmin.metrics.concentration import (
    reserves_concentration,
    split_aggregates,
    supply_concentration,
    world_shares,
)
from critmin.metrics.criticality_eu import (
    EU_COLUMNS,
    METHOD,
    PARAMETERS_TAG,
    country_production,
    parameter,
    supply_risk_eu,
)
from critmin.metrics.governance import governance_concentration, governance_weights
from critmin.metrics.timeseries import trade_exposure_all
from critmin.metrics.trade_exposure import aggregate_codes, single_nomenclature

GROUP = ["commodity", "stage", "year"]
ROW = [*GROUP, "importer"]
EXPOSURE_INDICATOR = "pv"
"""WGI indicator scored by the trade-exposure metric (political stability, as in the profiles)."""


def main_series(production: pd.DataFrame) -> pd.DataFrame:
    """The main series of a production frame (``form == ''``; every row when there is no ``form``)."""
    if "form" not in production.columns:
        return production
    return production[production["form"].astype(str) == ""]


def all_metrics(
    production: pd.DataFrame,
    trade: pd.DataFrame,
    hs_codes: pd.DataFrame,
    governance: pd.DataFrame,
    restrictions: pd.DataFrame | None,
    parameters: pd.DataFrame,
    places: pd.DataFrame | Collection[str] | None,
    *,
    reserves: pd.DataFrame | None = None,
    stage_map: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    r"""Every metric over every commodity, stage, country and year of the frames passed.

    .. math::

        HHI = \sum_i s_i^2, \quad HHI_{WGI,t} = \sum_i s_i^2\, WGI_i\, t_i, \quad
        SR_{EU} = \Big[HHI_{GS} \tfrac{IR}{2} + HHI_{sourcing} \big(1 - \tfrac{IR}{2}\big)\Big]
        (1 - EoL_{RIR})\, SI_{SR}

    Sources: European Commission (2017), *Methodology for establishing the EU list of critical
    raw materials*, section 3.2 (HHI, HHI_WGI,t, SR); U.S. DOJ/FTC Merger Guidelines (2023) for
    the 0-10,000 HHI scale; USGS MCS for net import reliance. Each frame comes from the metric
    named below, applied to all groups at once; see that function for its columns and units.

    Parameters
    ----------
    production
        ``db.production(aggregates=True)`` rows; only the main series (``form == ''``) is used.
    trade
        ``db.trade(nomenclature=...)`` rows of ONE nomenclature (``quantity_t`` in tonnes).
    hs_codes
        ``db.hs_codes()``; rows of the trade's nomenclature are kept.
    governance
        ``db.governance()`` rows (six WGI indicators; ``pv`` scores trade exposure).
    restrictions
        ``db.restrictions()`` rows, or ``None`` (t = 1 everywhere).
    parameters
        :func:`critmin.reference_tables.criticality_parameters`.
    places
        ``db.places()`` (or a list of aggregate codes): aggregates are not importers.
    reserves
        Optional ``db.reserves(aggregates=True)`` rows.
    stage_map
        Production stage -> HS stage where the names differ.

    Returns
    -------
    dict[str, pandas.DataFrame]
        ``concentration`` (:func:`~critmin.metrics.concentration.supply_concentration`, HHI 0-1
        and 0-10,000), ``reserves`` (:func:`~critmin.metrics.concentration.reserves_concentration`,
        only when ``reserves`` is passed), ``governance``
        (:func:`~critmin.metrics.governance.governance_concentration`, 0-10),
        ``trade_exposure`` (:func:`~critmin.metrics.timeseries.trade_exposure_all`) and
        ``eu_supply_risk`` (:func:`eu_supply_risk_all`). Every frame has ``provenance``.
    """
    main = main_series(production)
    nomenclature = single_nomenclature(trade)
    hs = hs_codes
    if nomenclature is not None and "nomenclature" in hs.columns:
        hs = hs[hs["nomenclature"].astype(str) == nomenclature]
    out: dict[str, pd.DataFrame] = {"concentration": supply_concentration(main)}
    if reserves is not None:
        out["reserves"] = reserves_concentration(main_series(reserves))
    shares = world_shares(*split_aggregates(main))
    out["governance"] = governance_concentration(shares, governance, restrictions)
    out["trade_exposure"] = trade_exposure_all(
        trade,
        hs,
        governance[governance["indicator"] == EXPOSURE_INDICATOR],
        main,
        aggregates=places,
    )
    out["eu_supply_risk"] = eu_supply_risk_all(
        main, trade, hs, governance, restrictions, parameters, aggregates=places, stage_map=stage_map
    )
    return out


def _joined(frame: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """``prov.join`` of ``column`` per group of ``keys``, computed once per distinct set of pieces."""
    pieces = frame[[*keys, column]].drop_duplicates()
    pieces = pieces[pieces[column].astype(str) != ""]
    counts = pieces.groupby(keys, sort=False)[column].transform("size")
    single = pieces[counts.to_numpy() == 1]
    several = pieces[counts.to_numpy() > 1]
    joined = several.groupby(keys, sort=False)[column].agg(prov.join).reset_index()
    single = single.assign(**{column: [prov.join([v]) for v in single[column]]})
    return pd.concat([single, joined], ignore_index=True)


def _names(frame: pd.DataFrame, keys: list[str], column: str, name: str) -> pd.DataFrame:
    """Sorted, comma-joined distinct values of ``column`` per group (``name`` column)."""
    return (
        frame.groupby(keys, sort=False)[column]
        .agg(lambda v: ",".join(sorted(set(v))))
        .rename(name)
        .reset_index()
    )


def _parameters(parameters: pd.DataFrame, commodities: list[str]) -> pd.DataFrame:
    """The EU parameters (t step, EoL-RIR, SI_SR) and their default labels per commodity."""
    rows = []
    for commodity in commodities:
        step, step_label = parameter(parameters, METHOD, "t_step", commodity)
        eol, eol_label = parameter(parameters, METHOD, "eol_rir", commodity)
        si, si_label = parameter(parameters, METHOD, "si_sr", commodity)
        rows.append((commodity, step, step_label or "", eol, eol_label or "", si, si_label or ""))
    return pd.DataFrame(
        rows, columns=["commodity", "t_step", "step_label", "eol_rir", "eol_label", "si_sr", "si_label"]
    )


def _supplier_terms(
    suppliers: pd.DataFrame,
    governance: pd.DataFrame,
    restrictions: pd.DataFrame | None,
    params: pd.DataFrame,
) -> pd.DataFrame:
    """WGI (with fallbacks), t and their provenance per commodity, stage, year and supplier country."""
    wanted = suppliers[[*GROUP, "country"]].drop_duplicates().merge(params[["commodity", "t_step"]])
    parts = []
    for step, block in wanted.groupby("t_step", sort=True):
        shares = block.drop(columns="t_step").assign(share=1.0, **{prov.PROVENANCE: ""})
        parts.append(governance_weights(shares, governance, restrictions, float(str(step))))
    terms = pd.concat(parts, ignore_index=True)
    return terms[[*GROUP, "country", "wgi_scaled", "wgi_basis", "t", prov.PROVENANCE]]


def _restricted_labels(terms: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``country=t`` items of the suppliers with t > 1, per group (``|``-separated, merged later)."""
    hit = terms[terms["t"] > 1]
    return (
        hit.assign(item=[f"{c}={t:g}" for c, t in zip(hit["country"], hit["t"], strict=True)])
        .groupby(keys, sort=False)["item"]
        .agg(lambda v: "|".join(sorted(set(v))))
        .reset_index()
    )


def eu_supply_risk_all(
    production: pd.DataFrame,
    trade: pd.DataFrame,
    hs_codes: pd.DataFrame,
    governance: pd.DataFrame,
    restrictions: pd.DataFrame | None,
    parameters: pd.DataFrame,
    *,
    importers: Collection[str] | None = None,
    aggregates: pd.DataFrame | Collection[str] | None = None,
    stage_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    r"""EU 2017 supply risk of every importing country, per commodity, stage and year, vectorised.

    .. math::

        SR = \Big[(HHI_{WGI,t})_{GS} \cdot \frac{IR}{2} + (HHI_{WGI,t})_{sourcing}
             \cdot \Big(1 - \frac{IR}{2}\Big)\Big] \cdot (1 - EoL_{RIR}) \cdot SI_{SR}

    Source: European Commission (2017), *Methodology for establishing the EU list of critical
    raw materials*, section 3.2. The same terms, fallbacks, ``defaults_used`` and provenance as
    :func:`critmin.metrics.criticality_eu.eu_supply_risk` with ``members = [importer]``, for all
    importers at once: the global-supply term is computed once per commodity, stage and year;
    the sourcing shares (domestic production plus imports by exporter, BACI tonnes) for every
    importer from one grouped sum; WGI and t once per supplier, commodity, stage and year.

    Parameters
    ----------
    production, trade, hs_codes, governance, restrictions, parameters, stage_map
        As for :func:`~critmin.metrics.criticality_eu.eu_supply_risk`.
    importers
        Importers to score; default every non-aggregate country that imports any HS code of
        ``trade`` in a year (scored for every production group of that year).
    aggregates
        ``db.places()`` rows or aggregate codes (BACI's ``S19`` ...), never importers.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`critmin.metrics.criticality_eu.EU_COLUMNS`; ``supply_risk`` on the
        EU 0-10 scale, NaN where the importer neither produces nor imports (no sourcing shares).
    """
    prod = country_production(production)
    prod = prod.assign(year=prod["year"].astype("int64"), country=prod["country"].astype(str))
    by_country = prod.groupby([*GROUP, "country"], sort=True)["value"].sum().reset_index()
    groups = by_country[GROUP].drop_duplicates().reset_index(drop=True)
    if groups.empty:
        return pd.DataFrame(columns=EU_COLUMNS)
    params = _parameters(parameters, sorted(groups["commodity"].unique()))

    # HS codes of each production group's trade stage
    links = groups[["commodity", "stage"]].drop_duplicates()
    links = links.assign(trade_stage=[(stage_map or {}).get(s, s) for s in links["stage"]])
    codes = hs_codes[["commodity", "stage", "hs6"]].rename(columns={"stage": "trade_stage"}).drop_duplicates()
    links = links.merge(codes, on=["commodity", "trade_stage"])
    link_text = (
        links.groupby(["commodity", "stage"], sort=False)
        .agg(trade_stage=("trade_stage", "first"), trade_hs6=("hs6", lambda h: ",".join(sorted(set(h)))))
        .reset_index()
    )

    # flows crossing the importer's border (self-trade dropped), by production group
    skip = aggregate_codes(aggregates)
    years = sorted(int(y) for y in groups["year"].unique())
    raw = trade[trade["year"].isin(years)]
    raw = raw.assign(
        year=raw["year"].astype("int64"),
        exporter=raw["exporter"].astype(str),
        importer=raw["importer"].astype(str),
    )
    if importers is None:
        wanted = raw.loc[~raw["importer"].isin(skip), ["year", "importer"]].drop_duplicates()
    else:
        wanted = pd.DataFrame([(y, str(i)) for y in years for i in importers], columns=["year", "importer"])
    flows = raw.dropna(subset=["quantity_t"])
    flows = flows[flows["exporter"] != flows["importer"]]
    flows = flows.assign(tag=prov.tags(flows).to_numpy())
    flows = flows[["year", "exporter", "importer", "hs6", "quantity_t", "tag"]].merge(
        links[["commodity", "stage", "hs6"]], on="hs6"
    )
    flows = flows.merge(groups, on=GROUP)
    imports = flows.groupby([*ROW, "exporter"], sort=False)["quantity_t"].sum().reset_index()
    exports = (
        flows.groupby([*GROUP, "exporter"], sort=False)["quantity_t"]
        .sum()
        .rename("exports_t")
        .rename_axis([*GROUP, "importer"])
        .reset_index()
    )
    flow_tags = pd.concat(
        [
            flows[[*ROW, "tag"]],
            flows[[*GROUP, "exporter", "tag"]].rename(columns={"exporter": "importer"}),
        ],
        ignore_index=True,
    )
    flow_prov = _joined(flow_tags, ROW, "tag").rename(columns={"tag": "flow_prov"})

    # sourcing suppliers: domestic production and imports by exporter
    rows = groups.merge(wanted, on="year")
    domestic = by_country.rename(columns={"country": "importer"}).merge(rows, on=ROW)
    coded = link_text[["commodity", "stage"]]
    suppliers = pd.concat(
        [
            domestic.assign(country=domestic["importer"]),
            imports.rename(columns={"exporter": "country", "quantity_t": "value"}),
        ],
        ignore_index=True,
    ).merge(coded, on=["commodity", "stage"])
    suppliers = suppliers.groupby([*ROW, "country"], sort=False)["value"].sum().reset_index()
    suppliers = suppliers[suppliers["value"] > 0]

    terms = _supplier_terms(pd.concat([by_country, suppliers]), governance, restrictions, params)

    # global supply, once per group
    gs = by_country.merge(terms, on=[*GROUP, "country"], how="left")
    gs["share"] = gs["value"] / gs.groupby(GROUP)["value"].transform("sum")
    gs["term"] = gs["share"] ** 2 * gs["wgi_scaled"] * gs["t"]
    gs_sum = gs.groupby(GROUP, sort=False)["term"].sum().rename("hhi_wgi_t_gs").reset_index()
    block_tags = prov.by_group(prod, GROUP).rename(columns={prov.PROVENANCE: "block"})
    gs_prov = _joined(
        pd.concat(
            [
                gs[[*GROUP, prov.PROVENANCE]],
                block_tags.rename(columns={"block": prov.PROVENANCE}),
                groups.assign(**{prov.PROVENANCE: PARAMETERS_TAG}),
            ]
        ),
        GROUP,
        prov.PROVENANCE,
    ).rename(columns={prov.PROVENANCE: "gs_prov"})
    gs_median = _names(gs[gs["wgi_basis"] == "world median"], GROUP, "country", "gs_median")
    gs_restricted = _restricted_labels(gs, GROUP).rename(columns={"item": "gs_restricted"})

    # sourcing, every importer at once
    src = suppliers.merge(terms, on=[*GROUP, "country"], how="left")
    src["share"] = src["value"] / src.groupby(ROW)["value"].transform("sum")
    src["term"] = src["share"] ** 2 * src["wgi_scaled"] * src["t"]
    src_sum = src.groupby(ROW, sort=False)["term"].sum().rename("hhi_wgi_t_sourcing").reset_index()
    src_prov = _joined(src, ROW, prov.PROVENANCE).rename(columns={prov.PROVENANCE: "src_prov"})
    src_median = _names(src[src["wgi_basis"] == "world median"], ROW, "country", "src_median")
    src_restricted = _restricted_labels(src, ROW).rename(columns={"item": "src_restricted"})

    out = rows.merge(params, on="commodity", how="left")
    out = out.merge(link_text, on=["commodity", "stage"], how="left")
    for frame in (gs_sum, gs_prov, gs_median, gs_restricted):
        out = out.merge(frame, on=GROUP, how="left")
    domestic_sum = domestic.groupby(ROW, sort=False)["value"].sum().rename("domestic_production")
    import_sum = imports.groupby(ROW, sort=False)["quantity_t"].sum().rename("imports_t")
    for frame in (
        domestic_sum.reset_index(),
        import_sum.reset_index(),
        exports,
        flow_prov,
        src_sum,
        src_prov,
        src_median,
        src_restricted,
    ):
        out = out.merge(frame, on=ROW, how="left")

    has_codes = out["trade_hs6"].notna().to_numpy()
    for column in ("domestic_production", "imports_t", "exports_t"):
        out[column] = out[column].fillna(0.0).astype(float)
    out["sourcing_basis"] = np.where(has_codes, "GS+sourcing", "GS only")
    out["trade_stage"] = out["trade_stage"].fillna("")
    out["trade_hs6"] = out["trade_hs6"].fillna("")
    p, i, e = (out[c].to_numpy() for c in ("domestic_production", "imports_t", "exports_t"))
    apparent = p + i - e
    with np.errstate(divide="ignore", invalid="ignore"):
        ir = np.where((apparent <= 0) | (i <= e), 0.0, np.minimum(1.0, (i - e) / apparent))
    out["import_reliance"] = ir
    out["hhi_wgi_t_sourcing"] = np.where(has_codes, out["hhi_wgi_t_sourcing"], np.nan)
    gs_only = out["hhi_wgi_t_gs"] * (1 - out["eol_rir"]) * out["si_sr"]
    hhi_gs, hhi_src, eol, si = (
        out[c].to_numpy(dtype=float) for c in ("hhi_wgi_t_gs", "hhi_wgi_t_sourcing", "eol_rir", "si_sr")
    )
    full = supply_risk_eu(hhi_gs, hhi_src, ir, eol, si)
    out["supply_risk"] = np.where(has_codes, full, gs_only)

    gs_r = [v.split("|") if isinstance(v, str) else [] for v in out["gs_restricted"]]
    src_r = [
        v.split("|") if isinstance(v, str) and c else []
        for v, c in zip(out["src_restricted"], has_codes, strict=True)
    ]
    out["t_restricted"] = [", ".join(sorted(set(a) | set(b))) for a, b in zip(gs_r, src_r, strict=True)]
    labels = []
    for g_med, s_med, g_r, s_r, step, eol, si in zip(
        out["gs_median"],
        out["src_median"],
        gs_r,
        src_r,
        out["step_label"],
        out["eol_label"],
        out["si_label"],
        strict=True,
    ):
        used = {eol, si}
        if isinstance(g_med, str):
            used.add("world-median WGI: " + g_med)
        if isinstance(s_med, str):
            used.add("world-median WGI: " + s_med)
        if g_r or s_r:
            used.add(step)
        labels.append("; ".join(sorted(used - {""})))
    out["defaults_used"] = labels

    pieces = pd.DataFrame(
        {
            "gs": out["gs_prov"].fillna(""),
            "flow": np.where(has_codes, out["flow_prov"].fillna(""), ""),
            "src": np.where(has_codes, out["src_prov"].fillna(""), ""),
        }
    )
    distinct = pieces.drop_duplicates()
    distinct = distinct.assign(
        **{prov.PROVENANCE: [prov.join(r) for r in distinct[["gs", "flow", "src"]].itertuples(index=False)]}
    )
    out[prov.PROVENANCE] = pieces.merge(distinct, on=["gs", "flow", "src"], how="left")[
        prov.PROVENANCE
    ].to_numpy()
    out = out.sort_values(ROW, ignore_index=True)
    return out[EU_COLUMNS]


__all__ = ["all_metrics", "eu_supply_risk_all", "main_series"]
