"""Risk profiles of a country, a mineral and a pair of countries, read from the store.

This module sits above :mod:`critmin.metrics`: it reads the inputs through the API, passes them
to the pure metric functions and joins the results. Every row keeps a ``provenance`` column
naming the sources, releases and vintages of its inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from critmin import reference_tables
from critmin.api import Critmin
from critmin.errors import CritminError
from critmin.metrics.concentration import split_aggregates, supply_concentration, world_shares
from critmin.metrics.criticality_eu import eu_supply_risk
from critmin.metrics.criticality_geopolrisk import HS_SOURCE_PEER, geopolrisk_score
from critmin.metrics.criticality_usgs import peer_trade_stages, usgs_supply_risk
from critmin.metrics.governance import governance_concentration, scaled_wgi, wgi_lookup
from critmin.metrics.provenance import combine
from critmin.metrics.trade_exposure import import_shares, trade_exposure

METHODS = ("eu", "geopolrisk", "usgs")
SCORE = {"eu": "supply_risk", "geopolrisk": "geopolrisk", "usgs": "supply_risk"}
"""Each method's score column (EU SR on its 0–~6 scale; GeoPolRisk and USGS on 0–1)."""

NOMENCLATURE = "HS92"
TEXT_COLUMNS = ("basis", "top1_exporter", "provenance")
"""Text columns of the trade part of a profile (the others are numbers)."""
COMMON_SUPPLIER_SHARE = 0.05
"""A supplier is common to two importers when it has at least this share of both one's imports."""


@dataclass(frozen=True)
class Inputs:
    """What the metrics need for one year, read once."""

    year: int
    production: pd.DataFrame
    trade: pd.DataFrame
    hs_codes: pd.DataFrame
    governance: pd.DataFrame
    restrictions: pd.DataFrame
    places: pd.DataFrame


PART_FORMS: dict[str, tuple[str, ...]] = {"titanium_mineral_concentrates": ("ilmenite", "rutile")}
"""Commodities whose main series USGS splits into forms that add up to it, by country.

USGS reports titanium mineral concentrates as ilmenite and rutile for every producer but the
United States (one combined figure), so the main series alone would be the US only (an HHI of 1).
"""


def _main_series(production: pd.DataFrame) -> pd.DataFrame:
    """Each commodity's main series (``form == ''``); forms such as pig iron are other goods.

    For a commodity of :data:`PART_FORMS`, a country with no main-series row in a year gets the
    sum of its part forms instead (same stage, unit and vintage order), so every producer counts.
    """
    main = production[production["form"] == ""]
    added = []
    for commodity, forms in PART_FORMS.items():
        parts = production[(production["commodity"] == commodity) & production["form"].isin(forms)]
        if parts.empty:
            continue
        keys = ["commodity", "stage", "country", "year"]
        have = main.loc[main["commodity"] == commodity, keys].drop_duplicates()
        parts = parts.merge(have, on=keys, how="left", indicator=True)
        parts = parts[parts["_merge"] == "left_only"].drop(columns="_merge")
        if parts.empty:
            continue
        first = parts.groupby([*keys, "unit"], sort=False).first().reset_index()
        sums = parts.groupby([*keys, "unit"], sort=False)["value"].sum(min_count=1).reset_index()
        first["value"] = sums["value"].to_numpy()
        first["form"] = ""
        added.append(first[production.columns])
    if not added:
        return main
    return pd.concat([main, *added], ignore_index=True)


def latest_year(db: Critmin) -> int:
    """The latest year with both USGS production and BACI trade in the store."""
    production_years = set(db.production(year=None, stage="mine")["year"].dropna().astype(int))
    both = production_years & set(db.trade_years(nomenclature=NOMENCLATURE))

    if not both:
        raise CritminError("the store has no year with both production and trade data")
    return max(both)


def read_inputs(db: Critmin, year: int | None = None) -> Inputs:
    """Read production, trade, HS codes, WGI, restrictions and places for ``year``."""
    year = year or latest_year(db)
    trade = db.trade(year=year, nomenclature=NOMENCLATURE)
    if trade.empty:
        raise CritminError(f"no {NOMENCLATURE} trade for {year} in the store")
    return Inputs(
        year=year,
        production=_main_series(db.production(year=year, aggregates=True)),
        trade=trade,
        hs_codes=db.hs_codes(),
        governance=db.governance(year=list(range(year - 5, year + 1))),
        restrictions=db.restrictions(),
        places=db.places(),
    )


def _peer_carriers(profile: pd.DataFrame, scored: pd.Series) -> dict[tuple[str, str], str]:
    """(commodity, traded stage) -> the stage whose row scores that trade with geopolrisk-py's codes.

    GeoPolRisk rows say it in ``hs_source`` and ``trade_stage``; USGS rows in their
    ``trade_exposure_basis`` (:func:`~critmin.metrics.criticality_usgs.peer_trade_stages`).
    """
    own_row = scored.to_numpy(dtype=bool)
    pairs: list[tuple[str, str, list[str]]] = []
    if "hs_source" in profile.columns:
        peer = profile[(profile["hs_source"] == HS_SOURCE_PEER) & own_row]
        pairs += [
            (str(c), str(s), str(t).split("+"))
            for c, s, t in zip(peer["commodity"], peer["stage"], peer["trade_stage"], strict=True)
        ]
    if "trade_exposure_basis" in profile.columns:
        rows = profile[own_row]
        pairs += [
            (str(c), str(s), peer_trade_stages(str(b)))
            for c, s, b in zip(rows["commodity"], rows["stage"], rows["trade_exposure_basis"], strict=True)
            if isinstance(b, str)
        ]
    carriers: dict[tuple[str, str], str] = {}
    for commodity, stage, trade_stages in pairs:
        for part in trade_stages:
            if part != stage:
                carriers.setdefault((commodity, part), stage)
    return carriers


def score_notes(profile: pd.DataFrame, method: str, scored: pd.Series) -> list[str]:
    """Why each row of a profile has no score (or a special one): the ``score_note`` column.

    A method's own note (GeoPolRisk's ``score_note``) is kept. A row with no score and no note
    is either a stage that is traded but has no world production in the store for the year
    (the row comes from the trade data alone: every method needs the stage's production), or,
    for the USGS method, a stage whose trade exposure is unknown (no HS92 code or no trade
    with a quantity). Rows with a score and no note get ``""``. ``scored``: True where the row
    has the method's own row (False for rows from the trade data alone).
    """
    own = profile["score_note"] if "score_note" in profile.columns else pd.Series("", index=profile.index)
    produced = pd.Series(scored.to_numpy(dtype=bool), index=profile.index)
    basis = profile["trade_exposure_basis"] if "trade_exposure_basis" in profile.columns else None
    carriers = _peer_carriers(profile, scored)
    notes = []
    for i, (commodity, stage, year, score, note) in enumerate(
        zip(profile["commodity"], profile["stage"], profile["year"], profile["score"], own, strict=True)
    ):
        if isinstance(note, str) and note:
            notes.append(note)
        elif pd.notna(score):
            notes.append("")
        elif not bool(produced.iloc[i]):
            text = (
                f"not computed: no world production of {commodity} at stage {stage} in {int(year)} in the "
                f"store ({method} needs the stage's production by country); only its trade is known"
            )
            other = carriers.get((str(commodity), str(stage)))
            if other:
                text += f"; this trade is scored in the {commodity} {other} row, with geopolrisk-py's codes"
            notes.append(text)
        elif basis is not None and basis.iloc[i] == "none":
            notes.append(
                f"not computed: no HS92 trade with a quantity for {commodity} at stage {stage}, "
                "so the trade exposure is unknown"
            )
        else:
            notes.append(f"not computed: an input of the {method} score is missing for this row")
    return notes


def criticality(inputs: Inputs, importer: str, method: str = "eu") -> pd.DataFrame:
    """Criticality of an importer (country or bloc such as ``EUU``) per commodity and stage.

    Adds ``method`` and ``score`` (the method's headline figure) to the method's own columns.
    """
    members = reference_tables.members(importer)
    parameters = reference_tables.criticality_parameters()
    hs = inputs.hs_codes[inputs.hs_codes["nomenclature"] == NOMENCLATURE]
    if method == "eu":
        frame = eu_supply_risk(
            inputs.production,
            inputs.trade,
            hs,
            inputs.governance,
            inputs.restrictions,
            parameters,
            importer=importer,
            members=members,
        )
    elif method == "geopolrisk":
        frame = geopolrisk_score(
            inputs.production,
            inputs.trade,
            hs,
            inputs.governance,
            parameters,
            importer=importer,
            members=members,
            materials=reference_tables.geopolrisk_hs_map(),
        )
    elif method == "usgs":
        frame = usgs_supply_risk(
            inputs.production,
            inputs.governance,
            parameters,
            importer=importer,
            trade=inputs.trade,
            hs_codes=hs,
            members=members,
            materials=reference_tables.geopolrisk_hs_map(),
        )
    else:
        raise CritminError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    return frame.assign(method=method, score=frame[SCORE[method]])


def _exposure(inputs: Inputs, importers: Sequence[str]) -> pd.DataFrame:
    pv = inputs.governance[inputs.governance["indicator"] == "pv"]
    return trade_exposure(
        inputs.trade,
        inputs.hs_codes[inputs.hs_codes["nomenclature"] == NOMENCLATURE],
        pv,
        inputs.production,
        aggregates=inputs.places,
        importers=list(importers),
        world=False,
    )


def country_profile(
    db: Critmin,
    iso3: str,
    year: int | None = None,
    *,
    stage: str | None = None,
    method: str = "eu",
    all_minerals: bool = False,
) -> pd.DataFrame:
    """A country's exposures, most critical first: criticality score, import concentration, top supplier.

    One row per commodity and stage with the method's ``score``, and from the trade data the
    import ``hhi``, ``top1_exporter`` and ``top1_share``, ``share_weak_governance`` and ``nir``.
    Unless ``all_minerals``, only minerals the country imports (per the trade data) or lists as
    critical (its newest official list) are kept: a score for sand the country does not import
    is no exposure. ``listed`` says whether the mineral is on the country's list.
    """
    inputs = read_inputs(db, year)
    scores = criticality(inputs, iso3, method)
    keys = ["commodity", "stage", "year"]
    columns = ["basis", "hhi", "top1_exporter", "top1_share", "share_weak_governance", "nir", "provenance"]
    if iso3 in reference_tables.BLOCS:
        # Trade exposure is per importing country; a bloc's combined imports are in its score.
        trade_part = pd.DataFrame(
            {
                "commodity": pd.Series(dtype=object),
                "stage": pd.Series(dtype=object),
                "year": pd.Series(dtype="int64"),
                **{c: pd.Series(dtype=object if c in TEXT_COLUMNS else float) for c in columns},
            }
        )
    else:
        exposure = _exposure(inputs, [iso3])
        trade_part = exposure.loc[exposure["importer"] == iso3, keys + columns]
    trade_part = trade_part.rename(
        columns={"hhi": "import_hhi", "basis": "share_basis", "provenance": "trade_provenance"}
    )
    # Outer: a stage traded but not produced anywhere in the data (rare-earth compounds) still shows.
    profile = scores.merge(trade_part, on=keys, how="outer", indicator=True).assign(method=method)
    profile["score_note"] = score_notes(profile, method, profile["_merge"] != "right_only")
    profile = profile.drop(columns=["_merge"])
    if stage is not None:
        profile = profile[profile["stage"] == stage]
    profile["provenance"] = combine(profile["provenance"], profile["trade_provenance"])
    profile = profile.drop(columns=["trade_provenance"]).assign(importer=iso3)
    lists = db.lists(jurisdiction=iso3)
    listed = (
        set(lists.loc[lists["list_year"] == lists["list_year"].max(), "commodity"]) if len(lists) else set()
    )
    profile["listed"] = profile["commodity"].isin(listed)
    profile["score_note"] = profile.pop("score_note")
    if not all_minerals:
        imported = profile["top1_exporter"].notna() | (profile.get("imports_t", 0) > 0)
        profile = profile[imported | profile["listed"]]

    return profile.sort_values(
        ["score", "commodity"], ascending=[False, True], na_position="last"
    ).reset_index(drop=True)


@dataclass(frozen=True)
class MineralProfile:
    """A mineral's supply: ``summary`` per stage, ``producers`` per country, ``exporters`` per country."""

    summary: pd.DataFrame
    producers: pd.DataFrame
    exporters: pd.DataFrame


def mineral_profile(
    db: Critmin, commodity: str, year: int | None = None, *, stage: str | None = None
) -> MineralProfile:
    """Who produces a mineral at each stage, how concentrated and how well governed, and who exports it."""
    commodity_id = db.commodity_id(commodity)
    inputs = read_inputs(db, year)
    production = inputs.production[
        (inputs.production["commodity"] == commodity_id) & (inputs.production["form"] == "")
    ]
    if stage is not None:
        production = production[production["stage"] == stage]
    if production.empty:
        raise CritminError(f"no production of {commodity_id} in {inputs.year} in the store")
    summary = supply_concentration(production)
    shares = world_shares(*split_aggregates(production))
    governance = governance_concentration(shares, inputs.governance, inputs.restrictions)
    keys = ["commodity", "stage", "year"]
    summary = summary.merge(governance.drop(columns=["provenance"]), on=keys, how="left")
    wgi = wgi_lookup(shares[["country", "year"]].drop_duplicates(), scaled_wgi(inputs.governance))
    producers = shares.merge(
        wgi.drop(columns=["provenance"], errors="ignore"), on=["country", "year"], how="left"
    ).sort_values(["stage", "share"], ascending=[True, False])

    hs = inputs.hs_codes[
        (inputs.hs_codes["nomenclature"] == NOMENCLATURE) & (inputs.hs_codes["commodity"] == commodity_id)
    ]
    exporters = pd.DataFrame()
    if not hs.empty:
        flows = import_shares(inputs.trade[inputs.trade["hs6"].isin(hs["hs6"])], hs, aggregates=inputs.places)
        exporters = flows[flows["importer"] == "WLD"].sort_values(["stage", "share"], ascending=[True, False])
    return MineralProfile(
        summary.reset_index(drop=True), producers.reset_index(drop=True), exporters.reset_index(drop=True)
    )


def pair_profile(
    db: Critmin,
    first: str,
    second: str,
    year: int | None = None,
    *,
    stage: str | None = None,
    method: str = "eu",
) -> pd.DataFrame:
    """Minerals both countries depend on, with both scores and the suppliers they have in common.

    A mineral is shared when both import it; ``common_suppliers`` lists each exporter with at
    least :data:`COMMON_SUPPLIER_SHARE` of both countries' imports, as ``ISO3 a%/b%``.
    """
    inputs = read_inputs(db, year)
    left = _scored(inputs, first, method, stage)
    right = _scored(inputs, second, method, stage)
    shares = import_shares(
        inputs.trade,
        inputs.hs_codes[inputs.hs_codes["nomenclature"] == NOMENCLATURE],
        aggregates=inputs.places,
    )
    return pair_from(left, right, shares, first, second)


def pair_from(
    left: pd.DataFrame, right: pd.DataFrame, shares: pd.DataFrame, first: str, second: str
) -> pd.DataFrame:
    """Join two importers' scores and name their common suppliers (the body of :func:`pair_profile`).

    Parameters
    ----------
    left, right
        ``commodity, stage, year, score, provenance`` of the minerals each imports.
    shares
        :func:`~critmin.metrics.trade_exposure.import_shares` rows including both importers.
    first, second
        The two importers' codes (the suffixes of the score columns).
    """
    both = left.merge(right, on=["commodity", "stage", "year"], suffixes=(f"_{first}", f"_{second}"))
    shares = shares[~shares["is_aggregate"].astype(bool) & (shares["share"] >= COMMON_SUPPLIER_SHARE)]
    keys = ["commodity", "stage", "year"]
    a = shares[shares["importer"] == first][[*keys, "exporter", "share"]]
    b = shares[shares["importer"] == second][[*keys, "exporter", "share"]]
    common = a.merge(b, on=[*keys, "exporter"], suffixes=("_a", "_b"))
    common = common.sort_values(
        ["share_a", "share_b", "exporter"], ascending=[False, False, True], kind="stable"
    )
    common["label"] = [
        f"{e} {x:.0%}/{y:.0%}"
        for e, x, y in zip(common["exporter"], common["share_a"], common["share_b"], strict=True)
    ]
    listed = common.groupby(keys, sort=False)["label"].agg(", ".join)

    both = both.merge(listed.rename("common_suppliers").reset_index(), on=keys, how="left")
    both["provenance"] = combine(both[f"provenance_{first}"], both[f"provenance_{second}"])
    both = both.drop(columns=[f"provenance_{first}", f"provenance_{second}"])
    both["joint_score"] = both[[f"score_{first}", f"score_{second}"]].min(axis=1)
    return both.sort_values("joint_score", ascending=False, na_position="last").reset_index(drop=True)


def _scored(inputs: Inputs, importer: str, method: str, stage: str | None) -> pd.DataFrame:
    return scored_rows(criticality(inputs, importer, method), stage)


def scored_rows(scores: pd.DataFrame, stage: str | None = None) -> pd.DataFrame:
    """The rows of a criticality frame a pair compares: the stage asked, minerals imported."""
    if stage is not None:
        scores = scores[scores["stage"] == stage]
    imports = scores["imports_t"] if "imports_t" in scores.columns else None
    if imports is not None:
        scores = scores[imports.fillna(0) > 0]
    return scores[["commodity", "stage", "year", "score", "provenance"]]
