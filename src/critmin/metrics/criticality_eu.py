r"""EU supply risk (European Commission 2017 methodology) for any importer or bloc.

.. math::

    SR = \Big[(HHI_{WGI,t})_{GS} \cdot \frac{IR}{2}
         + (HHI_{WGI,t})_{sourcing} \cdot \Big(1 - \frac{IR}{2}\Big)\Big]
         \cdot (1 - EoL_{RIR}) \cdot SI_{SR}

Source: European Commission (2017), *Methodology for establishing the EU list of critical raw
materials*, Publications Office, doi:10.2873/769526, section 3.2 (supply risk; the equation
and its terms), applied unchanged in the 2020 and 2023 EU CRM studies (Grohol and Veeh 2023,
*Study on the critical raw materials for the EU 2023*, doi:10.2873/725585).

Terms, all passed in as frames (this module does no I/O):

- ``HHI_WGI,t = sum_c s_c^2 * WGI_c * t_c`` (0-10), computed with
  :func:`critmin.metrics.governance.governance_weights` (helper module of the same issue):
  ``WGI_c`` the scaled WGI (0-10, 10 = worst), ``t_c = 1 + step * kinds of export restriction
  in force`` (``step`` = parameter ``eu_2017.t_step``). A supplier with no WGI up to the year
  takes the world median, named in ``defaults_used``.
- GS: global supply, the listed producing countries' shares of the stage's production.
- sourcing: the importer's domestic production (each member country with its own WGI) and its
  imports from outside the importer, by exporter (BACI tonnes).
- ``IR = (I - E) / (P + I - E)`` clipped to 0-1 (net exporters have IR = 0).
- ``EoL_RIR`` and ``SI_SR`` from the parameter table
  (:func:`critmin.reference_tables.criticality_parameters`).

A value taken from a default guess (``is_default_guess`` in the table, or an imputed WGI) is
named in the ``defaults_used`` column of the row it affects; nothing is filled in silently.

Limitations (``docs/metrics.md``, section *Criticality*): production is in the source's unit
(contained metal or oxide), trade in gross tonnes of the HS product, so the sourcing shares mix
bases; the EU trade-agreement discount of t (0.8) is not applied (no agreement data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from critmin.metrics import provenance as prov
from critmin.metrics.governance import governance_weights, scaled_wgi
from critmin.metrics.trade_exposure import TONNES_PER_UNIT

METHOD = "eu_2017"
PARAMETERS_TAG = "reference criticality_parameters.csv"


# -- shared helpers (reused by the GeoPolRisk and USGS modules) ----------------------------------


@dataclass
class Defaults:
    """The default guesses used for one output row, as ``method.parameter[scope]`` labels."""

    labels: set[str] = field(default_factory=set)

    def add(self, label: str | None) -> None:
        """Record one label (``None`` is ignored)."""
        if label:
            self.labels.add(label)

    def text(self) -> str:
        """Sorted labels joined with ``"; "`` (empty when no default was used)."""
        return "; ".join(sorted(self.labels))


def parameter(
    parameters: pd.DataFrame, method: str, name: str, commodity: str = "*"
) -> tuple[float, str | None]:
    """A parameter's value and, when it is a default guess, its label for ``defaults_used``.

    The commodity's own row wins over the ``*`` row. A missing parameter is an error.
    """
    rows = parameters[(parameters["method"] == method) & (parameters["parameter"] == name)]
    own = rows[rows["commodity"] == commodity]
    row = own if not own.empty else rows[rows["commodity"] == "*"]
    if row.empty:
        raise KeyError(f"no parameter {method}.{name} for {commodity!r} or '*' in the parameter table")
    first = row.iloc[0]
    label = f"{method}.{name}[{first['commodity']}]" if bool(first["is_default_guess"]) else None
    return float(first["value"]), label


def stage_codes(
    hs_codes: pd.DataFrame, commodity: str, stage: str, stage_map: Mapping[str, str] | None = None
) -> tuple[str, list[str]]:
    """The HS stage and codes for a commodity's production stage (``stage_map`` renames stages).

    ``("", [])`` when the catalog has no code for that stage: the importer's sourcing is then
    unknown and the EU method falls back to global supply only (``sourcing_basis``).
    """
    wanted = (stage_map or {}).get(stage, stage)
    codes = sorted(
        set(hs_codes.loc[(hs_codes["commodity"] == commodity) & (hs_codes["stage"] == wanted), "hs6"])
    )
    return (wanted, codes) if codes else ("", [])


def trade_flows(trade: pd.DataFrame, year: int, codes: Iterable[str], members: Sequence[str]) -> pd.DataFrame:
    """Trade rows crossing the importer's border for the codes in a year (imports and exports).

    Rows whose quantity is unknown are dropped (BACI leaves ~5% of ``q`` empty).
    """
    rows = trade[(trade["year"] == year) & trade["hs6"].isin(list(codes))].dropna(subset=["quantity_t"])
    inside_imp = rows["importer"].isin(list(members))
    inside_exp = rows["exporter"].isin(list(members))
    return rows[inside_imp != inside_exp]


def net_import_reliance(production: float, imports: float, exports: float) -> float:
    """``(I - E) / (P + I - E)`` clipped to 0-1, 0 for a net exporter (EC 2017, section 3.2)."""
    apparent = production + imports - exports
    if apparent <= 0 or imports <= exports:
        return 0.0
    return float(min(1.0, (imports - exports) / apparent))


def country_production(production: pd.DataFrame) -> pd.DataFrame:
    """Country rows with a positive number, masses in tonnes (aggregates and withheld values removed).

    USGS publishes production in t, kt, Mt or kg by commodity; trade quantities are tonnes, so a
    domestic producer and its imports are only comparable once production is in tonnes. Rows in
    other units (carats, cubic metres) keep their unit: they are never mixed with trade tonnes
    because no HS code of the catalog maps to those commodities' stages.
    """
    rows = production
    if "is_aggregate" in rows.columns:
        rows = rows[~rows["is_aggregate"].astype(bool)]
    rows = rows.dropna(subset=["value"])
    rows = rows[rows["value"] > 0]
    if "unit" in rows.columns:
        factor = rows["unit"].map(TONNES_PER_UNIT)
        mass = factor.notna()
        rows = rows.assign(
            value=rows["value"].where(~mass, rows["value"] * factor),
            unit=rows["unit"].where(~mass, "t"),
        )
    return rows


def supplier_shares(quantities: pd.Series, commodity: str, stage: str, year: int, tag: str) -> pd.DataFrame:
    """Shares (0-1) of suppliers (index = country) as a frame for :mod:`critmin.metrics.governance`."""
    quantities = quantities[quantities > 0]
    return pd.DataFrame(
        {
            "commodity": commodity,
            "stage": stage,
            "year": year,
            "country": quantities.index.astype(str),
            "share": (quantities / quantities.sum()).to_numpy(),
            prov.PROVENANCE: tag,
        }
    )


def imputed_wgi(terms: pd.DataFrame, defaults: Defaults) -> None:
    """Name in ``defaults`` the suppliers whose WGI is the world median (no estimate up to the year)."""
    median = terms.loc[terms["wgi_basis"] == "world median", "country"]
    if len(median):
        defaults.add("world-median WGI: " + ",".join(sorted(median)))


# -- the EU method -------------------------------------------------------------------------------


def hhi_wgi_t(shares: pd.Series, wgi: pd.Series, t: pd.Series) -> float:
    r"""Governance-weighted concentration, 0-10.

    .. math:: HHI_{WGI,t} = \sum_c s_c^2 \cdot WGI_c \cdot t_c

    Source: European Commission (2017), *Methodology for establishing the EU list of critical
    raw materials*, section 3.2. ``shares`` (0-1, summing to 1), ``wgi`` (scaled, 0-10) and
    ``t`` (>= 1) are aligned on the supplier.
    """
    return float((shares**2 * wgi * t).sum())


def supply_risk_eu(
    hhi_gs: float | np.ndarray,
    hhi_sourcing: float | np.ndarray,
    import_reliance: float | np.ndarray,
    eol_rir: float | np.ndarray,
    si_sr: float | np.ndarray,
) -> float | np.ndarray:
    r"""The EU supply-risk equation.

    .. math::

        SR = \Big[(HHI_{WGI,t})_{GS} \cdot \frac{IR}{2} + (HHI_{WGI,t})_{sourcing}
             \cdot \Big(1 - \frac{IR}{2}\Big)\Big] \cdot (1 - EoL_{RIR}) \cdot SI_{SR}

    Source: European Commission (2017), *Methodology for establishing the EU list of critical
    raw materials*, section 3.2. All arguments broadcast (NumPy).
    """
    ir = np.asarray(import_reliance, dtype=float)
    out = (
        (np.asarray(hhi_gs) * ir / 2 + np.asarray(hhi_sourcing) * (1 - ir / 2))
        * (1 - np.asarray(eol_rir, dtype=float))
        * np.asarray(si_sr, dtype=float)
    )
    return float(out) if out.ndim == 0 else out


EU_COLUMNS = [
    "commodity", "stage", "year", "importer", "hhi_wgi_t_gs", "hhi_wgi_t_sourcing", "sourcing_basis",
    "import_reliance", "domestic_production", "imports_t", "exports_t", "eol_rir", "si_sr", "supply_risk",
    "t_restricted", "trade_stage", "trade_hs6", "defaults_used", "provenance",
]  # fmt: skip


def eu_supply_risk(
    production: pd.DataFrame,
    trade: pd.DataFrame,
    hs_codes: pd.DataFrame,
    governance: pd.DataFrame,
    restrictions: pd.DataFrame | None,
    parameters: pd.DataFrame,
    *,
    importer: str,
    members: Sequence[str] | None = None,
    stage_map: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    r"""EU-methodology supply risk of an importer, per commodity, production stage and year.

    .. math::

        SR = \Big[(HHI_{WGI,t})_{GS} \cdot \frac{IR}{2} + (HHI_{WGI,t})_{sourcing}
             \cdot \Big(1 - \frac{IR}{2}\Big)\Big] \cdot (1 - EoL_{RIR}) \cdot SI_{SR}

    Source: European Commission (2017), *Methodology for establishing the EU list of critical
    raw materials*, section 3.2; see the module docstring for each term. Where the catalog has
    no HS code for the stage the importer's sourcing is unknown and, as the EU study does for
    such stages ("GS only"), ``SR = (HHI_WGI,t)_GS (1 - EoL_RIR) SI_SR``.

    Parameters
    ----------
    production
        ``db.production(...)`` rows: commodity, stage, country, year, value (+ provenance columns).
    trade
        ``db.trade(...)`` rows for the years and HS codes concerned (``quantity_t`` in tonnes).
    hs_codes
        ``db.hs_codes()`` rows of the trade's nomenclature: commodity, stage, hs6.
    governance
        ``db.governance(...)`` rows (six WGI indicators).
    restrictions
        ``db.restrictions(...)`` rows, or ``None`` for t = 1 everywhere.
    parameters
        :func:`critmin.reference_tables.criticality_parameters`.
    importer
        Label of the importer (``"EUU"``, ``"JPN"``, ...).
    members
        The importer's member countries (ISO3); default ``[importer]``. For the EU pass
        :data:`critmin.reference_tables.EU27`.
    stage_map
        Production stage -> HS stage where the names differ (USGS gallium is ``primary``).

    Returns
    -------
    pandas.DataFrame
        One row per commodity, stage and year: the two HHI_WGI,t (0-10; sourcing NaN when
        ``sourcing_basis`` is ``GS only``), ``import_reliance`` (0-1), ``eol_rir``, ``si_sr``,
        ``supply_risk`` (0-10 scale), the countries whose t > 1 (``t_restricted``), the trade
        stage and codes used, ``defaults_used`` and ``provenance``.
    """
    group = list(members) if members is not None else [importer]
    prod = country_production(production)
    scaled = scaled_wgi(governance)
    blocks: list[dict[str, Any]] = []
    for key, block in prod.groupby(["commodity", "stage", "year"], sort=True):
        commodity, stage, year = str(key[0]), str(key[1]), int(str(key[2]))
        used = set(prov.tags(block)) | {PARAMETERS_TAG}
        step, label = parameter(parameters, METHOD, "t_step", commodity)
        by_country = block.groupby("country")["value"].sum()
        trade_stage, codes = stage_codes(hs_codes, commodity, stage, stage_map)
        flows = trade_flows(trade, year, codes, group)
        imports = flows[flows["importer"].isin(group)].groupby("exporter")["quantity_t"].sum()
        domestic = by_country[by_country.index.isin(group)]
        suppliers = pd.concat([domestic, imports]).groupby(level=0).sum()
        blocks.append(
            {
                "key": (commodity, stage, year),
                "used": used,
                "step": step,
                "label": label,
                "by_country": by_country,
                "trade_stage": trade_stage,
                "codes": codes,
                "flows": flows,
                "imports": imports,
                "exports": float(flows.loc[flows["exporter"].isin(group), "quantity_t"].sum()),
                "domestic": domestic,
                "gs": supplier_shares(by_country, commodity, stage, year, prov.join(used)),
                "src": supplier_shares(suppliers, commodity, stage, year, "")
                if codes and (suppliers > 0).any()
                else None,
            }
        )
    gs_terms_all = _weights_by_block([b["gs"] for b in blocks], blocks, governance, restrictions, scaled)
    src_terms_all = _weights_by_block([b["src"] for b in blocks], blocks, governance, restrictions, scaled)
    rows: list[dict[str, object]] = []
    for b, gs_terms, src_terms in zip(blocks, gs_terms_all, src_terms_all, strict=True):
        commodity, stage, year = b["key"]
        defaults = Defaults()
        used = b["used"]
        label = b["label"]
        codes = b["codes"]
        flows = b["flows"]
        imports = b["imports"]
        exports = b["exports"]
        domestic = b["domestic"]
        trade_stage = b["trade_stage"]
        assert gs_terms is not None  # every block has global-supply shares
        hhi_gs = float(gs_terms["hhi_wgi_t_term"].sum())
        imputed_wgi(gs_terms, defaults)
        restricted = gs_terms[gs_terms["t"] > 1]
        if len(restricted):
            defaults.add(label)
        used |= set(gs_terms[prov.PROVENANCE])

        ir = net_import_reliance(float(domestic.sum()), float(imports.sum()), exports)
        hhi_src = float("nan")
        basis = "GS only"
        if codes:
            basis = "GS+sourcing"
            used |= set(prov.tags(flows)) if not flows.empty else set()
            if src_terms is not None:
                hhi_src = float(src_terms["hhi_wgi_t_term"].sum())
                imputed_wgi(src_terms, defaults)
                if (src_terms["t"] > 1).any():
                    defaults.add(label)
                    restricted = pd.concat([restricted, src_terms[src_terms["t"] > 1]])
                used |= set(src_terms[prov.PROVENANCE]) - {""}

        eol, label = parameter(parameters, METHOD, "eol_rir", commodity)
        defaults.add(label)
        si, label = parameter(parameters, METHOD, "si_sr", commodity)
        defaults.add(label)
        if basis == "GS only":
            sr = hhi_gs * (1 - eol) * si
        else:
            sr = float(supply_risk_eu(hhi_gs, hhi_src, ir, eol, si))
        rows.append(
            {
                "commodity": commodity,
                "stage": stage,
                "year": year,
                "importer": importer,
                "hhi_wgi_t_gs": hhi_gs,
                "hhi_wgi_t_sourcing": hhi_src,
                "sourcing_basis": basis,
                "import_reliance": ir,
                "domestic_production": float(domestic.sum()),
                "imports_t": float(imports.sum()),
                "exports_t": exports,
                "eol_rir": eol,
                "si_sr": si,
                "supply_risk": sr,
                "t_restricted": ", ".join(
                    sorted({f"{c}={t:g}" for c, t in restricted[["country", "t"]].itertuples(index=False)})
                ),
                "trade_stage": trade_stage,
                "trade_hs6": ",".join(codes),
                "defaults_used": defaults.text(),
                "provenance": prov.join(used - {""}),
            }
        )
    return pd.DataFrame(rows, columns=EU_COLUMNS)


def _weights_by_block(
    frames: list[pd.DataFrame | None],
    blocks: list[dict[str, Any]],
    governance: pd.DataFrame,
    restrictions: pd.DataFrame | None,
    scaled: pd.DataFrame,
) -> list[pd.DataFrame | None]:
    """:func:`governance_weights` of many blocks' shares in one call per ``t`` step (row-wise alike)."""
    out: list[pd.DataFrame | None] = [None] * len(frames)
    steps = sorted({float(b["step"]) for b, f in zip(blocks, frames, strict=True) if f is not None})
    for step in steps:
        chosen = [
            f.assign(_block=i)
            for i, (b, f) in enumerate(zip(blocks, frames, strict=True))
            if f is not None and float(b["step"]) == step
        ]
        terms = governance_weights(
            pd.concat(chosen, ignore_index=True), governance, restrictions, step, scaled=scaled
        )
        for i, part in terms.groupby("_block", sort=False):
            out[int(str(i))] = part.drop(columns="_block").reset_index(drop=True)
    for i, f in enumerate(frames):
        if f is not None and out[i] is None:  # no supplier with a positive share
            out[i] = governance_weights(f, governance, restrictions, float(blocks[i]["step"]), scaled=scaled)
    return out


def eu_supply_risk_bottleneck(risk: pd.DataFrame) -> pd.DataFrame:
    r"""Supply risk at the bottleneck: the highest stage per commodity, year and importer.

    .. math:: SR_{bottleneck} = \max_{stage} SR_{stage}

    Source: European Commission (2017), *Methodology*, section 3.2 (the SR is assessed at the
    stage of highest supply risk, mine or processing). Takes :func:`eu_supply_risk` output and
    returns the rows of the maximal stage, with ``bottleneck_stage`` and the provenance and
    defaults of every stage compared.
    """
    keys = ["commodity", "year", "importer"]
    known = risk.dropna(subset=["supply_risk"])
    top = known.loc[known.groupby(keys)["supply_risk"].idxmax()].copy()
    top = top.rename(columns={"stage": "bottleneck_stage"})
    joined = known.groupby(keys).agg(
        stages_compared=("stage", lambda s: ",".join(sorted(s))),
        defaults_all=(
            "defaults_used",
            lambda s: "; ".join(sorted({p for v in s for p in v.split("; ") if p})),
        ),
        provenance_all=("provenance", prov.join),
    )
    top = top.merge(joined.reset_index(), on=keys)
    top["defaults_used"] = top.pop("defaults_all")
    top["provenance"] = top.pop("provenance_all")
    return top.reset_index(drop=True)
