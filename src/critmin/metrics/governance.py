r"""Governance-weighted concentration: the EU method's scaled WGI, trade-restriction factor and HHI_WGI,t.

Source: European Commission (2017), *Methodology for establishing the EU list of critical raw
materials: Guidelines*, section on supply risk (background: Blengini et al., 2017, *Assessment
of the Methodology for Establishing the EU List of Critical Raw Materials*, JRC, EUR 28654 EN,
doi:10.2760/73303), where

.. math::

    SR = \bigl[HHI_{WGI,t,GS} \tfrac{IR}{2} + HHI_{WGI,t,EU}(1 - \tfrac{IR}{2})\bigr]
         (1 - EoL_{RIR})\, SI_{SR}

and :math:`HHI_{WGI,t} = \sum_i s_i^2\, WGI_i\, t_i`. This module computes the global-supply
term :math:`HHI_{WGI,t,GS}` from producer shares (:func:`critmin.metrics.concentration.world_shares`),
WGI rows (``db.governance()``) and export-restriction measures (``db.restrictions()``).

Units: scaled WGI 0–10 (10 = worst governance); shares 0–1; so :math:`HHI_{WGI}` runs 0–10 and
:math:`HHI_{WGI,t}` 0–10 times the largest t, the scale of the EU supply-risk figures.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from critmin.metrics import provenance as prov
from critmin.metrics.concentration import GROUP, OTHER, other_pieces

WGI_INDICATORS = ("va", "pv", "ge", "rq", "rl", "cc")
"""The six Worldwide Governance Indicators: voice and accountability, political stability,
government effectiveness, regulatory quality, rule of law, control of corruption."""

T_STEP = 0.1
"""Increase of t for each kind of export restriction in force (EU 2017: 1.1 for one)."""

RESTRICTION_RULES: tuple[tuple[str, str], ...] = (
    (r"informal|government request|border crossing closure|technology export ban|sanctions waiver", "none"),
    (r"^suspension of export controls", "suspension"),
    (r"^suspension of .*stays", "none"),
    (r"export ban|export prohibition|export suspension|export halt", "prohibition"),
    (r"quota", "quota"),
    (r"export (tax|duty|duties)", "tax"),
    (r"licens", "licensing"),
)
"""Ordered rules from a measure's ``measure_type`` text to the EU 2017 restriction kinds.

The first rule that matches with kind ``none`` excludes the measure: informal or denied halts
and government requests (no legal measure, which the OECD inventory the EU uses would not
record), border closures (not an export measure of the producing state), technology-export bans
(the material itself is not restricted) and sanctions waivers (an importer's act). A partial
suspension whose main measure "stays" changes nothing. ``suspension of export controls`` lifts,
for its dates, the measures of the same country and commodity in force when it takes effect.
Otherwise every matching rule adds its kind (``export suspension, then export quotas`` is both
a prohibition and a quota).
"""

MINE_ONLY = re.compile(r"\bore\b")
"""Measures on ore (``export ban (raw ore)``) restrict the mine stage only."""


def scaled_wgi(governance: pd.DataFrame) -> pd.DataFrame:
    r"""The EU method's scaled WGI per country and year (0–10, 10 worst).

    .. math:: WGI_{scaled} = \min\bigl(10, \max(0, (2.5 - \overline{WGI}) \times 2)\bigr)

    :math:`\overline{WGI}` is the mean of the six WGI estimates (about −2.5 to 2.5, higher is
    better); the rescaling maps it linearly onto 0–10 with 10 the worst governance (European
    Commission, 2017, *Methodology for establishing the EU list of critical raw materials*,
    section 3.2; CritMAT's ``calc_hhi_wgi`` uses the same ``(mean − 2.5) × −2``). WGI estimates
    are standard normal scores and a few lie beyond ±2.5 (the store's range is −3.31 to 2.47), so
    the result is clipped to 0–10, the EU scale. A country-year missing some indicators takes
    the mean of those it has; ``indicators`` says how many.

    Parameters
    ----------
    governance
        Rows of ``db.governance()``: ``country``, ``year``, ``indicator``, ``estimate``.

    Returns
    -------
    pandas.DataFrame
        ``country``, ``year``, ``wgi_mean``, ``wgi_scaled``, ``indicators``, ``provenance``.
    """
    rows = governance[governance["indicator"].isin(WGI_INDICATORS)].dropna(subset=["estimate"])
    keys = ["country", "year"]
    out = rows.groupby(keys)["estimate"].agg(wgi_mean="mean", indicators="count").reset_index()
    out["wgi_scaled"] = ((2.5 - out["wgi_mean"]) * 2.0).clip(0.0, 10.0)
    out = out.merge(prov.by_group(rows, keys), on=keys, how="left")
    return out[["country", "year", "wgi_mean", "wgi_scaled", "indicators", prov.PROVENANCE]]


def wgi_lookup(wanted: pd.DataFrame, scaled: pd.DataFrame) -> pd.DataFrame:
    """The scaled WGI of each (country, year) asked, with a fallback for missing values.

    Order: the same year; else the last year available before it (WGI ends a year or two
    before production data, and a few territories miss years); else the median of all
    countries' scaled WGI in the latest WGI year up to the year asked (the earliest WGI year if
    none). ``OTH`` (other countries) takes that world median. ``wgi_basis`` records which:
    ``same year``, ``last available year``, ``world median``.

    Parameters
    ----------
    wanted
        ``country`` and ``year`` columns.
    scaled
        Output of :func:`scaled_wgi`.

    Returns
    -------
    pandas.DataFrame
        ``country``, ``year``, ``wgi_scaled``, ``wgi_year``, ``wgi_basis``, ``provenance``.
    """
    if scaled.empty:
        raise ValueError("no WGI rows to weight by; read them with db.governance()")
    asked = wanted[["country", "year"]].drop_duplicates().astype({"year": "int64"})
    table = scaled.rename(columns={"year": "wgi_year"}).astype({"wgi_year": "int64"})
    found = pd.merge_asof(
        asked.sort_values("year"),
        table.sort_values("wgi_year")[["country", "wgi_year", "wgi_scaled", prov.PROVENANCE]],
        left_on="year",
        right_on="wgi_year",
        by="country",
        direction="backward",
    )
    found["wgi_basis"] = np.where(found["wgi_year"] == found["year"], "same year", "last available year")
    missing = found["wgi_scaled"].isna() | (found["country"] == OTHER)
    if missing.any():
        years = np.sort(table["wgi_year"].unique())
        medians = table.groupby("wgi_year").agg(
            median=("wgi_scaled", "median"), provenance=(prov.PROVENANCE, prov.join)
        )
        median = medians["median"].to_dict()
        median_prov = medians[prov.PROVENANCE].to_dict()
        chosen = [
            int(earlier[-1]) if len(earlier := years[years <= int(year)]) else int(years[0])
            for year in found.loc[missing, "year"]
        ]
        found.loc[missing, "wgi_scaled"] = [median[y] for y in chosen]
        found.loc[missing, "wgi_year"] = chosen
        found.loc[missing, "wgi_basis"] = "world median"
        found.loc[missing, prov.PROVENANCE] = [median_prov[y] for y in chosen]
    found["wgi_year"] = found["wgi_year"].astype("int64")
    return found[["country", "year", "wgi_scaled", "wgi_year", "wgi_basis", prov.PROVENANCE]]


def restriction_kinds(measure_type: str) -> frozenset[str]:
    """The EU 2017 restriction kinds a ``measure_type`` text names (see :data:`RESTRICTION_RULES`)."""
    text = str(measure_type).lower()
    kinds: set[str] = set()
    for pattern, kind in RESTRICTION_RULES:
        if re.search(pattern, text):
            if kind == "none":
                return frozenset()
            if kind == "suspension":
                return frozenset({"suspension"})
            kinds.add(kind)
    return frozenset(kinds)


def _windows(restrictions: pd.DataFrame) -> pd.DataFrame:
    """One row per measure and commodity with its kinds and in-force window (start, end inclusive)."""
    rows = restrictions.copy()
    start = rows["effective"] if "effective" in rows.columns else pd.Series(pd.NaT, index=rows.index)
    if "announced" in rows.columns:
        start = start.fillna(rows["announced"])
    rows["start"] = pd.to_datetime(start)
    rows["end"] = pd.to_datetime(rows["effective_to"]).fillna(pd.Timestamp.max.normalize())
    rows["kinds"] = rows["measure_type"].map(restriction_kinds)
    rows["mine_only"] = rows["measure_type"].str.lower().str.contains(MINE_ONLY)
    rows["tag"] = prov.tags(rows).to_numpy()
    return rows.dropna(subset=["start"])


def active_restrictions(restrictions: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Export restrictions in force in each year, with their EU 2017 kinds.

    A measure is in force in year Y if some day of Y lies between its ``effective`` date
    (``announced`` where no effective date is recorded; undated measures are left out) and its
    ``effective_to`` date (open-ended if none), and that day is not covered by a ``suspension of
    export controls`` of the same country and commodity that took effect while the measure was
    in force. Kinds follow :data:`RESTRICTION_RULES`.

    Parameters
    ----------
    restrictions
        Rows of ``db.restrictions()``.
    years
        The years asked.

    Returns
    -------
    pandas.DataFrame
        ``country``, ``commodity``, ``year``, ``measure_id``, ``kind``, ``mine_only``,
        ``provenance``; one row per measure, commodity, year and kind.
    """
    columns = ["country", "commodity", "year", "measure_id", "kind", "mine_only", prov.PROVENANCE]
    if restrictions.empty or not years:
        return pd.DataFrame(columns=columns)
    rows = _windows(restrictions)
    records = [dict(r) for r in rows.to_dict("records")]
    suspensions = [r for r in records if r["kinds"] == frozenset({"suspension"})]
    measures = [r for r in records if r["kinds"] and "suspension" not in r["kinds"]]
    out: list[tuple[Any, ...]] = []
    for measure in measures:
        lifts = [
            (s["start"], s["end"])
            for s in suspensions
            if s["country"] == measure["country"]
            and s["commodity"] == measure["commodity"]
            and measure["start"] <= s["start"] <= measure["end"]
        ]
        for year in years:
            first = max(measure["start"], pd.Timestamp(year, 1, 1))
            last = min(measure["end"], pd.Timestamp(year, 12, 31))
            if first > last or any(lo <= first and hi >= last for lo, hi in lifts):
                continue
            out.extend(
                (
                    measure["country"],
                    measure["commodity"],
                    year,
                    measure["measure_id"],
                    kind,
                    bool(measure["mine_only"]),
                    measure["tag"],
                )
                for kind in sorted(measure["kinds"])
            )
    return pd.DataFrame(out, columns=columns)


def governance_weights(
    shares: pd.DataFrame,
    governance: pd.DataFrame,
    restrictions: pd.DataFrame | None = None,
    step: float = T_STEP,
    *,
    scaled: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""Each producer's term of :math:`HHI_{WGI,t}`: :math:`s_i^2 \times WGI_i \times t_i`.

    .. math:: t_i = 1 + 0.1 \times k_i

    :math:`WGI_i` is the scaled WGI (:func:`scaled_wgi`, fallbacks of :func:`wgi_lookup`) of the
    producer in the group's year; :math:`k_i` the number of kinds of export restriction (export
    prohibition, quota, tax, licensing; :data:`RESTRICTION_RULES`) the producer has in force on
    the commodity that year (:func:`active_restrictions`; a measure on ore counts for the mine
    stage only). European Commission (2017), *Methodology for establishing the EU list of
    critical raw materials*, section 3.2: t is 1.1 for a country with an export quota, export
    prohibition or export tax, 1 without, and 0.8 for an EU trade agreement (that discount
    applies to EU sourcing only, not to this global-supply term). The 2023 assessment's t values
    run from 1.1 to 1.5 (Indonesia nickel 1.3, China refined tin 1.5, as tabulated from the 2023
    report in the CritMAT project's seed data), i.e. t grows with the number of measures; the
    additive 0.1 per kind is our reading of that (``step`` changes it). Our register records
    licensing requirements, which the OECD inventory behind the EU figures also lists; they
    count as one kind. ``OTH`` takes the world median WGI and t = 1.

    Parameters
    ----------
    shares
        Output of :func:`critmin.metrics.concentration.world_shares` (group columns ``commodity``,
        ``stage``, ``year``; ``country``; ``share``; ``provenance``).
    governance
        Rows of ``db.governance()``.
    restrictions
        Rows of ``db.restrictions()``; None for no trade factor (all t = 1).
    step
        Increase of t per restriction kind.
    scaled
        :func:`scaled_wgi` of ``governance``, when the caller has it already (it is the slow
        part, and the same for every group of a call).

    Returns
    -------
    pandas.DataFrame
        The shares' columns plus ``wgi_scaled``, ``wgi_year``, ``wgi_basis``, ``t``,
        ``restriction_kinds``, ``measures``, ``hhi_wgi_term`` (:math:`s^2 WGI`) and
        ``hhi_wgi_t_term`` (:math:`s^2 WGI\, t`); ``provenance`` joins the share's, the WGI's
        and the measures'.
    """
    out = shares.copy()
    scaled = scaled if scaled is not None else scaled_wgi(governance)
    wgi = wgi_lookup(out, scaled).rename(columns={prov.PROVENANCE: "wgi_provenance"})

    out = out.merge(wgi, on=["country", "year"], how="left")
    out["restriction_kinds"] = ""
    out["measures"] = ""
    out["restriction_provenance"] = ""
    if restrictions is not None and not restrictions.empty:
        active = active_restrictions(restrictions, sorted(int(y) for y in out["year"].unique()))
        keyed = out[["commodity", "stage", "year", "country"]].drop_duplicates()
        hits = keyed.merge(active, on=["country", "commodity", "year"], how="inner")
        hits = hits[~hits["mine_only"].astype(bool) | (hits["stage"] == "mine")]
        if not hits.empty:
            summary = (
                hits.groupby(["commodity", "stage", "year", "country"])
                .agg(
                    restriction_kinds=("kind", lambda k: ",".join(sorted(set(k)))),
                    measures=("measure_id", lambda m: ",".join(sorted(set(m)))),
                    restriction_provenance=(prov.PROVENANCE, prov.join),
                )
                .reset_index()
            )
            out = out.drop(columns=["restriction_kinds", "measures", "restriction_provenance"]).merge(
                summary, on=["commodity", "stage", "year", "country"], how="left"
            )
            for column in ("restriction_kinds", "measures", "restriction_provenance"):
                out[column] = out[column].fillna("")
    kinds = out["restriction_kinds"].map(lambda k: len(k.split(",")) if k else 0)
    out["t"] = np.where(out["country"] == OTHER, 1.0, 1.0 + step * kinds)
    out["hhi_wgi_term"] = out["share"] ** 2 * out["wgi_scaled"]
    out["hhi_wgi_t_term"] = out["hhi_wgi_term"] * out["t"]
    out[prov.PROVENANCE] = prov.combine(
        out[prov.PROVENANCE], out["wgi_provenance"], out["restriction_provenance"]
    )
    return out.drop(columns=["wgi_provenance", "restriction_provenance"])


def governance_concentration(
    shares: pd.DataFrame,
    governance: pd.DataFrame,
    restrictions: pd.DataFrame | None = None,
    group: tuple[str, ...] = GROUP,
    step: float = T_STEP,
) -> pd.DataFrame:
    r"""Governance-weighted HHI per group, with and without the trade factor.

    .. math:: HHI_{WGI} = \sum_i s_i^2 WGI_i, \qquad HHI_{WGI,t} = \sum_i s_i^2 WGI_i t_i

    European Commission (2017), *Methodology for establishing the EU list of critical raw
    materials*, section 3.2 (supply risk, global-supply term). Terms from
    :func:`governance_weights`. ``OTH`` (other countries plus any gap to the world total) enters
    as in :func:`critmin.metrics.concentration.hhi_bounds`, weighted by the world median WGI:
    ``hhi_wgi_t_lower`` adds nothing, ``hhi_wgi_t_upper`` adds :math:`s_{OTH}^2 WGI_{med}`,
    ``hhi_wgi_t`` (the point estimate) adds :math:`s_{OTH}^2 WGI_{med} / n`. ``hhi_wgi`` is the
    point estimate without the trade factor.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``hhi_wgi``, ``hhi_wgi_t``, ``hhi_wgi_t_lower``, ``hhi_wgi_t_upper`` (0–10
        scale), ``t_share_weighted`` (:math:`\sum_i s_i t_i`, the share-weighted trade factor,
        ``OTH`` at 1), ``wgi_imputed`` (countries whose WGI is carried or a world median, with the
        year used), ``restricted`` (countries with t > 1 and their t) and ``provenance``.
    """
    keys = list(group)
    terms = governance_weights(shares, governance, restrictions, step)
    records = []
    for key, rows in terms.groupby(keys, sort=True):
        listed = rows[rows["country"] != OTHER]
        rest = rows[rows["country"] == OTHER]
        s_other = float(rest["share"].sum())
        w_other = float(rest["wgi_scaled"].iloc[0]) if len(rest) else 0.0
        n = other_pieces(s_other, float(listed["share"].min()) if len(listed) else np.inf)
        base = float(listed["hhi_wgi_term"].sum())
        with_t = float(listed["hhi_wgi_t_term"].sum())
        other_point = s_other**2 * w_other / n if n else 0.0
        t_weighted = float((rows["share"] * rows["t"]).sum() / rows["share"].sum())
        imputed = listed[listed["wgi_basis"] != "same year"]
        restricted = listed[listed["t"] > 1]
        records.append(
            (
                *(key if isinstance(key, tuple) else (key,)),
                base + other_point,
                with_t + other_point,
                with_t,
                with_t + s_other**2 * w_other,
                t_weighted,
                ",".join(
                    f"{c}:{b} {y}"
                    for c, b, y in imputed[["country", "wgi_basis", "wgi_year"]].itertuples(index=False)
                ),
                ",".join(f"{c}:{t:.1f}" for c, t in restricted[["country", "t"]].itertuples(index=False)),
                prov.join(rows[prov.PROVENANCE]),
            )
        )
    return pd.DataFrame(
        records,
        columns=[
            *keys,
            "hhi_wgi",
            "hhi_wgi_t",
            "hhi_wgi_t_lower",
            "hhi_wgi_t_upper",
            "t_share_weighted",
            "wgi_imputed",
            "restricted",
            prov.PROVENANCE,
        ],
    )


__all__ = [
    "RESTRICTION_RULES",
    "T_STEP",
    "WGI_INDICATORS",
    "active_restrictions",
    "governance_concentration",
    "governance_weights",
    "restriction_kinds",
    "scaled_wgi",
    "wgi_lookup",
]
