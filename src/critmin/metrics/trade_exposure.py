r"""Trade exposure of an importer: import shares, import-source HHI, weak-governance share, NIR.

For an importer :math:`c`, a commodity :math:`g` (one HS code, or the group of HS codes the
catalog maps to a commodity and stage) and a year, with :math:`w_{i}` the imports from supplier
:math:`i` (tonnes where quantities exist, else USD; column ``basis`` says which):

.. math::

    s_i = w_i / W, \qquad W = \sum_{i} w_i + w_{\text{unattributed}}

    HHI = \sum_{i \in A} \bigl(w_i / \textstyle\sum_{j \in A} w_j\bigr)^2 \quad (0\text{–}1)

    \text{NIR} = (M - X) / (P + M - X)

where :math:`A` are the attributed suppliers (countries: aggregates such as ``WLD``, ``OTH`` and
BACI's areas ``S19``, ``ANT``... are excluded from :math:`A` and their imports are reported as
``share_unattributed``), :math:`M` and :math:`X` the importer's imports and exports in tonnes and
:math:`P` its production in tonnes.

This module holds the readable reference implementation (pandas groupby, one function per
step); :func:`critmin.metrics.timeseries.trade_exposure_all` computes the same columns for every
importer, commodity and year with integer-coded numpy reductions, and the two are tested equal.

Units
-----
Shares, HHI, coverages and NIR are fractions 0–1 (``hhi_10000`` is HHI on the DOJ 0–10,000
scale); values are current USD; quantities and apparent consumption metric tonnes (gross weight
of the traded goods, as in BACI).

Sources
-------
- HHI of import sources: European Commission (2017), *Methodology for establishing the EU list of
  critical raw materials*, section 3.1 (supply risk uses an HHI of sourcing); IEA (2023),
  *Critical Minerals Market Review*, import concentration.
- Net import reliance :math:`(M - X)/(P + M - X)`: USGS, *Mineral Commodity Summaries*,
  "Net import reliance as a percentage of apparent consumption" (apparent consumption =
  production + imports − exports, adjusted for stock changes, which we do not have).
- Governance: World Bank *Worldwide Governance Indicators* (Kaufmann, Kraay & Mastruzzi 2010,
  Policy Research WP 5430): each estimate is on a standard-normal scale (about −2.5..2.5, mean 0,
  sd 1). The default flags a supplier whose *political stability and absence of violence* (``pv``)
  estimate is below −0.5 (half a standard deviation below the world mean, about the bottom 30% of
  countries). The threshold, its direction and the indicator are parameters; the EU's
  "scaled WGI" (0–10, higher = worse: :math:`5 - 2\,\text{WGI}`) > 6 is the same test as
  ``threshold=-0.5``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import numpy as np
import pandas as pd

from critmin.metrics import provenance

KEYS = ("importer", "commodity", "stage", "year")
GROUP = ("commodity", "stage", "year")
WORLD = "WLD"
DEFAULT_THRESHOLD = -0.5
DEFAULT_MIN_QUANTITY_COVERAGE = 0.95
DEFAULT_MAX_GOVERNANCE_LAG = 3
#: Production bases that are the gross weight of a traded good (USGS ``basis`` labels).
GROSS_WEIGHT_BASES = frozenset({"gross weight", "usable ore", "dry weight", "crude ore"})
#: HS codes whose goods are the element itself (metals and elements, unwrought or refined), so that
#: production in contained content (or an unlabelled basis) at that stage is comparable with trade tonnes.
ELEMENT_HS_PREFIXES = ("2804", "2805", "7106", "7108", "7110", "7403", "7502", "7601", "81")
TONNES_PER_UNIT = {"t": 1.0, "kt": 1e3, "Mt": 1e6, "kg": 1e-3}

HsMap = pd.DataFrame | Mapping[str, Iterable[str]] | None

#: The columns of :func:`trade_exposure` and :func:`critmin.metrics.timeseries.trade_exposure_all`.
COLUMNS = (
    *KEYS,
    "basis",
    "imports_usd",
    "imports_t",
    "quantity_coverage",
    "exports_usd",
    "exports_t",
    "exports_quantity_coverage",
    "suppliers",
    "hhi",
    "hhi_10000",
    "top1_exporter",
    "top1_share",
    "share_unattributed",
    "share_weak_governance",
    "governance_coverage",
    "world_share_usd",
    "world_share_t",
    "production_t",
    "apparent_consumption_t",
    "nir",
    "note",
    provenance.PROVENANCE,
)


# -- inputs ------------------------------------------------------------------------------------


def commodity_groups(hs_map: HsMap, nomenclature: str | None = None) -> pd.DataFrame:
    """Normalise an HS map to rows ``hs6, commodity, stage, confidence``.

    Parameters
    ----------
    hs_map
        ``db.hs_codes()`` rows (``commodity, stage, nomenclature, hs6, confidence``), a mapping
        ``{commodity: [hs6, ...]}`` (stage ``""``, confidence ``"unstated"``), or ``None``: each HS
        code is its own commodity (stage ``""``).
    nomenclature
        Keep only the rows of this nomenclature (when ``hs_map`` has that column).
    """
    if hs_map is None:
        return pd.DataFrame(columns=["hs6", "commodity", "stage", "confidence"])
    if isinstance(hs_map, pd.DataFrame):
        table = hs_map
        if nomenclature is not None and "nomenclature" in table.columns:
            table = table[table["nomenclature"] == nomenclature]
        out = pd.DataFrame(
            {
                "hs6": table["hs6"].astype(str),
                "commodity": table["commodity"].astype(str),
                "stage": table["stage"].astype(str) if "stage" in table.columns else "",
                "confidence": table["confidence"].astype(str)
                if "confidence" in table.columns
                else "unstated",
            }
        )
    else:
        rows = [(str(code), str(name)) for name, codes in hs_map.items() for code in codes]
        out = pd.DataFrame(rows, columns=["hs6", "commodity"]).assign(stage="", confidence="unstated")
    return out.drop_duplicates(["hs6", "commodity", "stage"]).reset_index(drop=True)


def single_nomenclature(trade: pd.DataFrame) -> str | None:
    """The one nomenclature of a trade frame (``None`` without the column); two raise ``ValueError``."""
    if "nomenclature" not in trade.columns:
        return None
    found = pd.unique(trade["nomenclature"].astype(str))
    if len(found) > 1:
        raise ValueError(f"trade holds several nomenclatures {sorted(found)}: pass one (HS codes differ)")
    return str(found[0]) if len(found) else None


def aggregate_codes(aggregates: pd.DataFrame | Collection[str] | None) -> set[str]:
    """Codes of aggregates: a list, or ``db.places()`` rows (``code``, ``is_aggregate`` bool or text)."""
    if aggregates is None:
        return set()
    if isinstance(aggregates, pd.DataFrame):
        flag = aggregates["is_aggregate"]
        if flag.dtype != bool:
            flag = flag.astype(str).str.lower().isin(["true", "1", "t", "yes"])
        return set(aggregates.loc[flag, "code"].astype(str))
    return {str(code) for code in aggregates}


def governance_scores(
    governance: pd.DataFrame,
    years: Iterable[int],
    *,
    score: str = "estimate",
    max_lag: int = DEFAULT_MAX_GOVERNANCE_LAG,
) -> pd.DataFrame:
    """Each country's score for each wanted year: the latest score at most ``max_lag`` years older.

    WGI is biennial before 2002 and ends a year or two before trade data; a score is carried
    forward from ``governance_year`` (at most ``max_lag`` years back) and never backwards.

    Returns
    -------
    DataFrame
        ``country, year, score, governance_year, provenance`` (one row per country and year).
    """
    if "indicator" in governance.columns and governance["indicator"].nunique() > 1:
        raise ValueError(
            f"governance holds several indicators {sorted(governance['indicator'].unique())}: pass one"
        )
    known = governance.dropna(subset=[score])
    tagged = pd.DataFrame(
        {
            "country": known["country"].astype(str).to_numpy(),
            "governance_year": known["year"].astype(np.int64).to_numpy(),
            "score": known[score].astype(float).to_numpy(),
            provenance.PROVENANCE: provenance.tags(known).to_numpy(),
        }
    ).sort_values("governance_year")
    wanted = pd.DataFrame({"year": sorted({int(y) for y in years})}, dtype=np.int64)
    countries = pd.DataFrame({"country": sorted(tagged["country"].unique())})
    grid = countries.merge(wanted, how="cross").sort_values("year")
    out = pd.merge_asof(
        grid,
        tagged,
        left_on="year",
        right_on="governance_year",
        by="country",
        direction="backward",
        tolerance=max_lag,
    )
    return out.dropna(subset=["score"]).reset_index(drop=True)


def weak_flags(scores: pd.DataFrame, threshold: float, weak_below: bool) -> pd.Series:
    """True where a score marks weak governance (``score < threshold``, or ``>`` when not ``weak_below``)."""
    return scores["score"] < threshold if weak_below else scores["score"] > threshold


def label_trade(trade: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """Trade rows with ``commodity`` and ``stage`` (each HS code its own commodity without ``groups``)."""
    if groups.empty:
        return trade.assign(commodity=trade["hs6"].astype(str), stage="")
    return trade.merge(groups[["hs6", "commodity", "stage"]], on="hs6", how="inner")


# -- the reference implementation ----------------------------------------------------------------


def import_shares(
    trade: pd.DataFrame,
    hs_map: HsMap = None,
    *,
    aggregates: pd.DataFrame | Collection[str] | None = None,
    min_quantity_coverage: float = DEFAULT_MIN_QUANTITY_COVERAGE,
    world: bool = True,
) -> pd.DataFrame:
    r"""Each supplier's share of an importer's imports of a commodity in a year.

    .. math:: s_i = w_i / \sum_j w_j \quad (\text{all suppliers, aggregates included})

    ``w`` is tonnes (``basis = "quantity"``) when rows with a known quantity carry at least
    ``min_quantity_coverage`` of the import value and the known tonnes are positive, else USD
    (``basis = "value"``); on the quantity basis, rows without a quantity are left out. Rows
    from aggregate suppliers keep ``is_aggregate = True``: their shares are the unattributed part.

    Parameters
    ----------
    trade
        Rows ``year, exporter, importer, hs6, value_usd, quantity_t`` (one nomenclature), as from
        ``db.trade()``.
    hs_map
        See :func:`commodity_groups`.
    aggregates
        Aggregate codes, or ``db.places()``.
    world
        Add importer ``WLD``: all importers together (so ``share`` is a share of world exports).

    Returns
    -------
    DataFrame
        ``importer, commodity, stage, year, exporter, value_usd, quantity_t, value_with_quantity``
        (USD on rows with a quantity), ``rows_with_quantity, share_usd, share_t, share, basis,
        is_aggregate``; aggregate importers are left out (they count in ``WLD``).
    """
    nomenclature = single_nomenclature(trade)
    labelled = label_trade(trade, commodity_groups(hs_map, nomenclature))
    pairs = _pairs(labelled)
    return _shares(pairs, aggregate_codes(aggregates), min_quantity_coverage, world)


def _pairs(labelled: pd.DataFrame) -> pd.DataFrame:
    """Flows summed over the HS codes of each commodity: one row per importer, group, year and exporter."""
    rows = pd.DataFrame(
        {
            "importer": labelled["importer"].astype(str),
            "commodity": labelled["commodity"].astype(str),
            "stage": labelled["stage"].astype(str),
            "year": labelled["year"].astype(np.int64),
            "exporter": labelled["exporter"].astype(str),
            "value_usd": labelled["value_usd"].astype(float),
            "quantity_t": labelled["quantity_t"].astype(float),
        }
    )
    rows["value_with_quantity"] = rows["value_usd"].where(rows["quantity_t"].notna(), 0.0)
    rows["rows_with_quantity"] = rows["quantity_t"].notna().astype(np.int64)
    grouped = rows.groupby([*KEYS, "exporter"], sort=False)
    pairs = grouped.agg(
        value_usd=("value_usd", "sum"),
        quantity_t=("quantity_t", "sum"),
        value_with_quantity=("value_with_quantity", "sum"),
        rows_with_quantity=("rows_with_quantity", "sum"),
    )
    return pairs.reset_index()


def _shares(pairs: pd.DataFrame, aggregates: set[str], min_coverage: float, world: bool) -> pd.DataFrame:
    if world:
        world_pairs = pairs.groupby([*GROUP, "exporter"], sort=False)[
            ["value_usd", "quantity_t", "value_with_quantity", "rows_with_quantity"]
        ].sum()
        world_pairs = world_pairs.reset_index().assign(importer=WORLD)
        pairs = pd.concat([pairs[~pairs["importer"].isin(aggregates)], world_pairs], ignore_index=True)
    else:
        pairs = pairs[~pairs["importer"].isin(aggregates)].copy()
    totals = pairs.groupby(list(KEYS))[["value_usd", "quantity_t", "value_with_quantity"]].transform("sum")
    coverage = totals["value_with_quantity"] / totals["value_usd"]
    by_quantity = (coverage >= min_coverage) & (totals["quantity_t"] > 0)
    out = pairs[
        [*KEYS, "exporter", "value_usd", "quantity_t", "value_with_quantity", "rows_with_quantity"]
    ].copy()
    out["share_usd"] = pairs["value_usd"] / totals["value_usd"]
    out["share_t"] = pairs["quantity_t"] / totals["quantity_t"]
    out["basis"] = np.where(by_quantity, "quantity", "value")
    out["share"] = out["share_t"].where(by_quantity, out["share_usd"])
    out["is_aggregate"] = out["exporter"].isin(aggregates)
    return out.reset_index(drop=True)


def trade_exposure(
    trade: pd.DataFrame,
    hs_map: HsMap = None,
    governance: pd.DataFrame | None = None,
    production: pd.DataFrame | None = None,
    *,
    aggregates: pd.DataFrame | Collection[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    weak_below: bool = True,
    score: str = "estimate",
    max_governance_lag: int = DEFAULT_MAX_GOVERNANCE_LAG,
    min_quantity_coverage: float = DEFAULT_MIN_QUANTITY_COVERAGE,
    world: bool = True,
    importers: Collection[str] | None = None,
) -> pd.DataFrame:
    r"""Trade exposure per importer, commodity and year (the readable pandas reference).

    .. math::

        HHI = \sum_{i \in A} (w_i / \textstyle\sum_{j \in A} w_j)^2, \quad
        \text{NIR} = (M - X) / (P + M - X)

    See the module docstring for the definitions and sources (EU CRM methodology 2017 §3.1;
    USGS MCS net import reliance; WGI). Computes, per group: ``basis`` (quantity or value,
    :func:`import_shares`), imports and exports in USD and tonnes with their quantity coverage,
    the number of attributed ``suppliers``, ``hhi`` over attributed suppliers (0–1, in
    :math:`[1/n, 1]`), ``top1_exporter`` and ``top1_share`` (share of all imports),
    ``share_unattributed`` (aggregate suppliers), ``share_weak_governance`` (share of all imports
    from suppliers whose score is below ``threshold``) with ``governance_coverage`` (share of
    attributed imports whose supplier has a score), the importer's share of world imports, and
    apparent consumption and NIR (see :func:`finish`; NaN with the reason in ``note`` where
    they cannot be computed without mixing units).

    Parameters
    ----------
    trade
        ``db.trade()`` rows, one nomenclature, one row per (year, exporter, importer, hs6).
    hs_map
        ``db.hs_codes()``, ``{commodity: [hs6...]}`` or ``None`` (each HS code on its own).
    governance
        One indicator's rows ``country, year, <score>`` (e.g. ``db.governance(indicator="pv")``).
    production
        ``db.production()`` rows (``commodity, stage, form, country, year, value, unit, basis``).
    aggregates
        Aggregate codes, or ``db.places()``: excluded from suppliers (their share is
        ``share_unattributed``) and from the importers reported.
    threshold, weak_below
        A supplier has weak governance when its score is below ``threshold`` (above it when
        ``weak_below`` is false). Default: WGI ``pv`` estimate < −0.5.
    max_governance_lag
        Carry a score forward at most this many years (WGI ends before trade data does).
    min_quantity_coverage
        Shares are by quantity when rows with a quantity carry at least this share of the value.
    world
        Add importer ``WLD`` (all importers together).
    importers
        Report only these importers (the world total and exports still use all the trade).
    """
    nomenclature = single_nomenclature(trade)
    groups = commodity_groups(hs_map, nomenclature)
    labelled = label_trade(trade, groups)
    codes = aggregate_codes(aggregates)
    pairs = _pairs(labelled)
    shares = _shares(pairs, codes, min_quantity_coverage, world)
    if importers is not None:
        shares = shares[shares["importer"].isin(set(importers))]
    keys = list(KEYS)

    totals = shares.groupby(keys, sort=True).agg(
        basis=("basis", "first"),
        imports_usd=("value_usd", "sum"),
        imports_t=("quantity_t", "sum"),
        value_with_quantity=("value_with_quantity", "sum"),
        rows_with_quantity=("rows_with_quantity", "sum"),
    )
    totals["imports_t"] = totals["imports_t"].where(totals["rows_with_quantity"] > 0)
    totals["quantity_coverage"] = totals["value_with_quantity"] / totals["imports_usd"]

    shares = shares.assign(weight=shares["value_usd"].where(shares["basis"] == "value", shares["quantity_t"]))
    attributed = shares[~shares["is_aggregate"]]
    positive = attributed[attributed["weight"] > 0]
    attributed_total = attributed.groupby(keys)["weight"].sum()
    summary = totals.assign(
        total_weight=shares.groupby(keys)["weight"].sum(),
        attributed_weight=attributed_total,
        suppliers=positive.groupby(keys)["exporter"].count(),
        sum_squares=(attributed["weight"] ** 2).groupby([attributed[k] for k in keys]).sum(),
    )
    summary["suppliers"] = summary["suppliers"].fillna(0).astype(np.int64)
    summary["attributed_weight"] = summary["attributed_weight"].fillna(0.0)
    summary["hhi"] = summary["sum_squares"] / summary["attributed_weight"] ** 2
    summary.loc[summary["attributed_weight"] <= 0, "hhi"] = np.nan
    summary["share_unattributed"] = 1.0 - summary["attributed_weight"] / summary["total_weight"]

    top = positive.sort_values([*keys, "weight", "exporter"], ascending=[True] * len(keys) + [False, True])
    top = top.groupby(keys).head(1).set_index(keys)
    summary["top1_exporter"] = top["exporter"]
    summary["top1_share"] = top["weight"] / summary["total_weight"]

    if governance is not None:
        years = summary.index.get_level_values("year").unique()
        scores = governance_scores(governance, years, score=score, max_lag=max_governance_lag)
        scores = scores.assign(weak=weak_flags(scores, threshold, weak_below))
        rated = attributed.merge(
            scores[["country", "year", "weak"]], left_on=["exporter", "year"], right_on=["country", "year"]
        )
        summary["share_weak_governance"] = (
            rated[rated["weak"]].groupby(keys)["weight"].sum().reindex(summary.index, fill_value=0.0)
            / summary["total_weight"]
        )
        summary["governance_coverage"] = (
            rated.groupby(keys)["weight"].sum().reindex(summary.index, fill_value=0.0)
            / summary["attributed_weight"]
        )
    else:
        scores = None
        summary["share_weak_governance"] = np.nan
        summary["governance_coverage"] = np.nan

    summary = summary.reset_index()
    exports = pairs.groupby(["exporter", *GROUP]).agg(
        exports_usd=("value_usd", "sum"),
        exports_t=("quantity_t", "sum"),
        exports_covered=("value_with_quantity", "sum"),
        export_rows_with_quantity=("rows_with_quantity", "sum"),
    )
    exports.index = exports.index.set_names("importer", level="exporter")
    summary = summary.merge(exports.reset_index(), on=keys, how="left")
    summary["exports_usd"] = summary["exports_usd"].fillna(0.0)
    summary["exports_t"] = summary["exports_t"].where(summary["export_rows_with_quantity"] > 0)
    summary.loc[summary["exports_usd"] == 0, "exports_t"] = 0.0
    summary["exports_quantity_coverage"] = summary["exports_covered"] / summary["exports_usd"]
    summary.loc[summary["exports_usd"] == 0, "exports_quantity_coverage"] = 1.0
    summary.loc[summary["importer"] == WORLD, ["exports_usd", "exports_t", "exports_quantity_coverage"]] = (
        np.nan
    )

    world_totals = pairs.groupby(list(GROUP)).agg(
        world_usd=("value_usd", "sum"), world_t=("quantity_t", "sum")
    )
    summary = summary.merge(world_totals.reset_index(), on=list(GROUP), how="left")
    summary["world_share_usd"] = summary["imports_usd"] / summary["world_usd"]
    summary["world_share_t"] = summary["imports_t"] / summary["world_t"]

    trade_prov = trade_provenance(labelled)
    return finish(
        summary, groups, production, trade_prov, scores, min_quantity_coverage=min_quantity_coverage
    )


# -- shared by both implementations ----------------------------------------------------------------


def trade_provenance(labelled: pd.DataFrame) -> pd.DataFrame:
    """Provenance per commodity, stage and year from labelled trade rows (a slice is one vintage)."""
    cols = [c for c in ("provenance", "source", "release", "vintage_id") if c in labelled.columns]
    slices = labelled[[*GROUP, *cols]].drop_duplicates()
    return provenance.by_group(slices, list(GROUP))


def _tonnes(production: pd.DataFrame) -> pd.Series:
    factor = production["unit"].map(TONNES_PER_UNIT)
    return production["value"].astype(float) * factor


def basis_comparable(
    basis: pd.Series, element: np.ndarray | bool, gross_weight_bases: Collection[str] = GROSS_WEIGHT_BASES
) -> np.ndarray:
    """Whether production in each ``basis`` can meet trade tonnes.

    A gross-weight basis always can; contained content (or an unlabelled basis) only where the traded
    goods are the element itself (``element``).
    """
    unlabelled_or_content = ((basis == "") | basis.str.endswith("content")).to_numpy()
    return np.asarray(basis.isin(list(gross_weight_bases)).to_numpy() | (element & unlabelled_or_content))


def consumption_inputs(
    summary: pd.DataFrame,
    groups: pd.DataFrame,
    production: pd.DataFrame | None,
    *,
    min_quantity_coverage: float = DEFAULT_MIN_QUANTITY_COVERAGE,
    gross_weight_bases: Collection[str] = GROSS_WEIGHT_BASES,
    element_hs_prefixes: tuple[str, ...] = ELEMENT_HS_PREFIXES,
) -> tuple[np.ndarray, np.ndarray, pd.Series | None]:
    """Production in tonnes, the note and the production provenance for each summary row.

    Production is NaN, with the reason in the note, unless the units agree (see :func:`finish`).
    """
    n = len(summary)
    is_world = (summary["importer"] == WORLD).to_numpy()
    if production is None or groups.empty:
        reason = "no production data given" if production is None else "no commodity map: HS codes only"
        note = np.full(n, reason, dtype=object)
        note[is_world] = "world row: apparent consumption not computed"
        return np.full(n, np.nan), note, None
    group_meta = groups.assign(
        exact=groups["confidence"] == "exact", element=groups["hs6"].str.startswith(element_hs_prefixes)
    )
    group_meta = group_meta.groupby(["commodity", "stage"]).agg(
        all_exact=("exact", "all"), element=("element", "all")
    )
    prod = production
    if "form" in prod.columns:
        prod = prod[prod["form"].astype(str) == ""]
    prod = prod.assign(
        production_t=_tonnes(prod),
        year=prod["year"].astype(np.int64),
        provenance=provenance.tags(prod),
        basis=prod["basis"].fillna("").astype(str) if "basis" in prod.columns else "",
        mass=prod["unit"].isin(list(TONNES_PER_UNIT)),
    )
    prod = prod.drop_duplicates(["commodity", "stage", "country", "year"])
    series = prod.groupby(list(GROUP)).agg(
        series_basis=("basis", lambda b: "; ".join(sorted(set(b)))), series_mass=("mass", "all")
    )
    keys = summary[list(KEYS)].astype({"importer": str, "commodity": str, "stage": str, "year": np.int64})
    rows = keys.merge(group_meta.reset_index(), on=["commodity", "stage"], how="left")
    rows = rows.merge(series.reset_index(), on=list(GROUP), how="left")
    rows = rows.merge(
        prod[[*GROUP, "country", "production_t", "mass", "basis", "flag", "provenance"]].rename(
            columns={"country": "importer"}
        ),
        on=list(KEYS),
        how="left",
    )
    listed = rows["mass"].notna().to_numpy()
    has_series = rows["series_basis"].notna().to_numpy()
    basis = rows["basis"].where(listed, rows["series_basis"]).fillna("").astype(str)
    element = rows["element"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    basis_ok = basis_comparable(basis, element, gross_weight_bases)

    mass_ok = (
        rows["mass"].where(listed, rows["series_mass"]).astype("boolean").fillna(False).to_numpy(dtype=bool)
    )
    exact = rows["all_exact"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    value = rows["production_t"].to_numpy(dtype=float)
    import_cov = summary["quantity_coverage"].astype(float)
    export_cov = summary["exports_quantity_coverage"].astype(float)
    cov_ok = (import_cov.fillna(0).to_numpy() >= min_quantity_coverage) & (
        export_cov.fillna(0).to_numpy() >= min_quantity_coverage
    )
    coverage_note = (
        "trade quantities incomplete: "
        + (import_cov * 100).round(1).astype(str)
        + "% of import and "
        + (export_cov * 100).round(1).astype(str)
        + "% of export value carry a quantity"
    ).to_numpy()
    basis_note = ("production basis '" + basis + "' is not the gross weight of the traded goods").to_numpy()
    flag_note = ("production not published (flag '" + rows["flag"].fillna("").astype(str) + "')").to_numpy()
    conditions = [is_world, ~exact, ~has_series, ~mass_ok, ~basis_ok, listed & np.isnan(value), ~cov_ok]
    choices: list[object] = [
        "world row: apparent consumption not computed",
        "HS codes not all 'exact' (dominant/proxy): trade not comparable with production",
        "no production series for this commodity, stage and year",
        "production unit is not a mass",
        basis_note,
        flag_note,
        coverage_note,
    ]
    note = np.asarray(np.select(conditions, choices, default=""), dtype=object)  # type: ignore[type-var]
    ok = note == ""
    production_t = np.where(ok, np.where(listed, value, 0.0), np.nan)
    note = np.where(ok & ~listed, "not listed as a producer: production taken as 0", note).astype(object)
    prod_prov = rows["provenance"].where(ok & listed)
    return production_t, note, prod_prov


def net_import_reliance(
    imports_t: np.ndarray, exports_t: np.ndarray, production_t: np.ndarray, note: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Apparent consumption, NIR and the updated note.

    .. math:: C = P + M - X, \qquad \text{NIR} = (M - X) / C

    USGS MCS definition without stock changes. NIR < 0 means a net exporter; NIR is NaN where
    :math:`C \le 0`.
    """
    apparent = production_t + imports_t - exports_t
    with np.errstate(divide="ignore", invalid="ignore"):
        nir = np.where(apparent > 0, (imports_t - exports_t) / apparent, np.nan)
    bad = ~np.isnan(apparent) & (apparent <= 0)
    note = np.where(bad, "apparent consumption <= 0 (stocks or re-exports): NIR undefined", note)
    return apparent, nir, note


def group_provenance(trade_prov: pd.DataFrame, scores: pd.DataFrame | None) -> pd.DataFrame:
    """Provenance per commodity, stage and year: the trade slices, and the governance scores of that year."""
    if scores is None:
        return trade_prov
    gov = scores.groupby("year")[provenance.PROVENANCE].agg(provenance.join).rename("gov")
    prov = trade_prov.merge(gov.reset_index(), on="year", how="left")
    # few distinct (trade, governance) pairs: join each once
    pairs = prov[[provenance.PROVENANCE, "gov"]].drop_duplicates()
    pairs["joined"] = [
        provenance.join(v for v in (a, b) if isinstance(v, str))
        for a, b in zip(pairs[provenance.PROVENANCE], pairs["gov"], strict=True)
    ]
    prov = prov.merge(pairs, on=[provenance.PROVENANCE, "gov"], how="left")
    prov[provenance.PROVENANCE] = prov["joined"]
    return prov[[*GROUP, provenance.PROVENANCE]]


def finish(
    summary: pd.DataFrame,
    groups: pd.DataFrame,
    production: pd.DataFrame | None,
    trade_prov: pd.DataFrame,
    scores: pd.DataFrame | None,
    *,
    min_quantity_coverage: float = DEFAULT_MIN_QUANTITY_COVERAGE,
    gross_weight_bases: Collection[str] = GROSS_WEIGHT_BASES,
    element_hs_prefixes: tuple[str, ...] = ELEMENT_HS_PREFIXES,
) -> pd.DataFrame:
    r"""Add HHI on the 0–10,000 scale, apparent consumption, NIR, notes and provenance to trade sums.

    .. math:: C = P + M - X, \qquad \text{NIR} = (M - X) / C \quad (\text{tonnes; USGS MCS})

    Computed only where the units agree, else NaN with the reason in ``note``: every HS code of
    the group has confidence ``exact``; the production series (``form == ""``) of the same
    commodity, stage and year exists, is in a unit of mass, and its ``basis`` is the gross
    weight of the traded goods (one of ``gross_weight_bases``) or the goods are the element
    itself (every HS code starts with one of ``element_hs_prefixes``) so that contained content
    equals gross weight; and quantities cover at least ``min_quantity_coverage`` of import and
    export value. A country absent from a production table that lists others is taken to
    produce 0 (note says so: it may sit inside "Other countries").
    """
    out = summary.copy()
    out["hhi_10000"] = out["hhi"] * 10_000
    production_t, note, prod_prov = consumption_inputs(
        out,
        groups,
        production,
        min_quantity_coverage=min_quantity_coverage,
        gross_weight_bases=gross_weight_bases,
        element_hs_prefixes=element_hs_prefixes,
    )
    apparent, nir, note = net_import_reliance(
        out["imports_t"].to_numpy(dtype=float), out["exports_t"].to_numpy(dtype=float), production_t, note
    )
    out["production_t"] = production_t
    out["apparent_consumption_t"] = apparent
    out["nir"] = nir
    out["note"] = note
    prov = group_provenance(trade_prov, scores)
    out = out.merge(prov, on=list(GROUP), how="left")
    if prod_prov is not None and prod_prov.notna().any():
        used = prod_prov.notna().to_numpy()
        out.loc[used, provenance.PROVENANCE] = provenance.combine(
            out.loc[used, provenance.PROVENANCE],
            pd.Series(prod_prov[used].to_numpy(), index=out.index[used]),
        ).to_numpy()
    return out[list(COLUMNS)].sort_values(list(KEYS), ignore_index=True)
