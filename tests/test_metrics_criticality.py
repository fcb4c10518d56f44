"""Criticality metrics: EU supply risk, GeoPolRisk and the USGS-style score.

Worked examples are solved by hand from the published formulas (each test cites its source);
published EU 2023 supply-risk figures are compared where critmin holds the inputs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import critmin
from critmin import reference_tables as rt
from critmin.data import read_reference
from critmin.metrics.criticality_eu import (
    eu_supply_risk,
    eu_supply_risk_bottleneck,
    net_import_reliance,
    supply_risk_eu,
)
from critmin.metrics.criticality_geopolrisk import geopolrisk_formula, geopolrisk_score, political_instability
from critmin.metrics.criticality_usgs import usgs_supply_risk

TAG = {"source": "test", "release": "r1", "vintage_id": 1}


def _prod(rows: list[tuple[str, str, str, int, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["commodity", "stage", "country", "year", "value"])
    return frame.assign(is_aggregate=False, **TAG)


def _gov(
    scores: dict[str, float],
    year: int = 2020,
    indicators: tuple[str, ...] = ("va", "pv", "ge", "rq", "rl", "cc"),
) -> pd.DataFrame:
    rows = [(c, year, i, v) for c, v in scores.items() for i in indicators]
    return pd.DataFrame(rows, columns=["country", "year", "indicator", "estimate"]).assign(
        source="wgi", release="w", vintage_id=2
    )


def _trade(rows: list[tuple[str, str, str, float]], year: int = 2020) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["exporter", "importer", "hs6", "quantity_t"])
    return frame.assign(
        year=year, value_usd=1.0, nomenclature="HS92", source="baci", release="b", vintage_id=3
    )


HS = pd.DataFrame({"commodity": ["xm"], "stage": ["mine"], "hs6": ["999999"], "nomenclature": ["HS92"]})
NO_RESTRICTIONS = pd.DataFrame(
    columns=["measure_id", "country", "commodity", "measure_type", "announced", "effective", "effective_to"]
)


@pytest.fixture(scope="module")
def params() -> pd.DataFrame:
    return rt.criticality_parameters()


# -- EU supply risk ---------------------------------------------------------------------------


def test_eu_worked_example(params: pd.DataFrame) -> None:
    """Hand-solved EU supply risk, European Commission (2017) *Methodology*, section 3.2.

    Commodity ``xm`` (no table row: EoL-RIR 0 and SI_SR 1, both flagged defaults).
    World mine output: A 60, B 40 -> GS shares 0.6, 0.4. WGI means: A -1.5 (scaled
    (2.5+1.5)*2 = 8), B 0.5 (scaled 4), importer X 1.5 (scaled 2).
    HHI_GS = 0.36*8 + 0.16*4 = 3.52. Importer X produces 0, imports 30 from A and 10 from B,
    exports 0 -> IR = 40/40 = 1; sourcing shares 0.75, 0.25 -> HHI_src = 0.5625*8 + 0.0625*4 = 4.75.
    SR = 3.52*0.5 + 4.75*0.5 = 4.135.
    """
    prod = _prod([("xm", "mine", "A", 2020, 60.0), ("xm", "mine", "B", 2020, 40.0)])
    gov = _gov({"A": -1.5, "B": 0.5, "X": 1.5})
    trade = _trade([("A", "X", "999999", 30.0), ("B", "X", "999999", 10.0)])
    out = eu_supply_risk(prod, trade, HS, gov, NO_RESTRICTIONS, params, importer="X")
    row = out.iloc[0]
    assert row["hhi_wgi_t_gs"] == pytest.approx(3.52)
    assert row["hhi_wgi_t_sourcing"] == pytest.approx(4.75)
    assert row["import_reliance"] == pytest.approx(1.0)
    assert row["supply_risk"] == pytest.approx(4.135)
    assert row["sourcing_basis"] == "GS+sourcing"
    assert row["defaults_used"] == "eu_2017.eol_rir[*]; eu_2017.si_sr[*]"
    assert "test r1 #1" in row["provenance"] and "baci b #3" in row["provenance"]


def test_eu_domestic_production_and_restriction(params: pd.DataFrame) -> None:
    """Domestic production lowers IR; an export ban in force raises t (EC 2017, section 3.2).

    World output A 60, B 40, X 40 (shares 3/7, 2/7, 2/7); A has an export ban since 2019, so
    t_A = 1 + 0.1: HHI_GS = (3/7)^2*8*1.1 + (2/7)^2*4 + (2/7)^2*2. X imports 30 from A and 10
    from B: IR = 40/(40 + 40) = 0.5. Sourcing X 40, A 30, B 10 of 80 -> 0.5, 0.375, 0.125:
    HHI_src = 0.25*2 + 0.140625*8*1.1 + 0.015625*4 = 1.8. SR = HHI_GS*0.25 + 1.8*0.75.
    """
    prod = _prod(
        [("xm", "mine", "A", 2020, 60.0), ("xm", "mine", "B", 2020, 40.0), ("xm", "mine", "X", 2020, 40.0)]
    )
    gov = _gov({"A": -1.5, "B": 0.5, "X": 1.5})
    trade = _trade([("A", "X", "999999", 30.0), ("B", "X", "999999", 10.0)])
    ban = pd.DataFrame(
        [
            (
                "A-1",
                "A",
                "xm",
                "export ban (raw ore)",
                pd.Timestamp(2019, 1, 1),
                pd.Timestamp(2019, 1, 1),
                pd.NaT,
            )
        ],
        columns=NO_RESTRICTIONS.columns,
    ).assign(source="r", release="r", vintage_id=4)
    row = eu_supply_risk(prod, trade, HS, gov, ban, params, importer="X").iloc[0]
    hhi_gs = (3 / 7) ** 2 * 8 * 1.1 + (2 / 7) ** 2 * 4 + (2 / 7) ** 2 * 2
    assert row["hhi_wgi_t_gs"] == pytest.approx(hhi_gs)
    assert row["import_reliance"] == pytest.approx(0.5)
    assert row["hhi_wgi_t_sourcing"] == pytest.approx(1.8)
    assert row["supply_risk"] == pytest.approx(hhi_gs * 0.25 + 1.8 * 0.75)
    assert row["t_restricted"] == "A=1.1"
    assert "eu_2017.t_step[*]" in row["defaults_used"]
    assert "r r #4" in row["provenance"]


def test_eu_gs_only_and_bottleneck(params: pd.DataFrame) -> None:
    """A stage without HS codes falls back to global supply only; the bottleneck is the max stage.

    Cobalt (EoL-RIR 0.22, SI_SR 0.98 from the table): refinery has no code in this catalog,
    so SR = HHI_GS (1 - 0.22) 0.98 with HHI_GS = 1^2 * 8 = 8 -> 6.1152.
    """
    prod = _prod([("cobalt", "refinery", "A", 2020, 5.0), ("cobalt", "mine", "B", 2020, 5.0)])
    gov = _gov({"A": -1.5, "B": 0.5})
    out = eu_supply_risk(prod, _trade([]), HS, gov, None, params, importer="X")
    refinery = out[out["stage"] == "refinery"].iloc[0]
    assert refinery["sourcing_basis"] == "GS only"
    assert np.isnan(refinery["hhi_wgi_t_sourcing"])
    assert refinery["supply_risk"] == pytest.approx(8 * 0.78 * 0.98)
    assert refinery["defaults_used"] == ""
    top = eu_supply_risk_bottleneck(out).iloc[0]
    assert top["bottleneck_stage"] == "refinery"
    assert top["supply_risk"] == pytest.approx(refinery["supply_risk"])
    assert top["stages_compared"] == "mine,refinery"


def test_eu_missing_wgi_is_flagged(params: pd.DataFrame) -> None:
    """A producer with no WGI gets the world median and is named in ``defaults_used``."""
    prod = _prod([("xm", "mine", "A", 2020, 50.0), ("xm", "mine", "NOWGI", 2020, 50.0)])
    gov = _gov({"A": -1.5, "B": 0.5})
    row = eu_supply_risk(prod, _trade([]), HS, gov, None, params, importer="X").iloc[0]
    assert "world-median WGI: NOWGI" in row["defaults_used"]
    # world median of A (8) and B (4) is 6: HHI_GS = 0.25*8 + 0.25*6
    assert row["hhi_wgi_t_gs"] == pytest.approx(3.5)


@given(
    hhi_gs=st.floats(0, 10),
    extra=st.floats(0, 10),
    ir=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    si=st.floats(0, 1),
    eol=st.floats(0, 1),
)
def test_eu_sr_monotone_in_import_reliance(
    hhi_gs: float, extra: float, ir: tuple[float, float], si: float, eol: float
) -> None:
    """dSR/dIR = (HHI_GS - HHI_sourcing)/2 (1 - EoL) SI (EC 2017, section 3.2).

    SR is non-decreasing in IR when the global HHI_WGI,t is at least the sourcing one, and
    non-increasing when the sourcing one is at least the global one (the brief stated the
    second case the other way round; the equation gives this).
    """
    low, high = sorted(ir)
    sourcing = max(0.0, hhi_gs - extra)
    assert (
        supply_risk_eu(hhi_gs, sourcing, high, eol, si)
        >= supply_risk_eu(hhi_gs, sourcing, low, eol, si) - 1e-9
    )
    sourcing_high = hhi_gs + extra
    assert (
        supply_risk_eu(hhi_gs, sourcing_high, high, eol, si)
        <= supply_risk_eu(hhi_gs, sourcing_high, low, eol, si) + 1e-9
    )


@given(hhi_gs=st.floats(0, 10), hhi_src=st.floats(0, 10), ir=st.floats(0, 1), si=st.floats(0, 1))
def test_eu_sr_zero_when_fully_recycled(hhi_gs: float, hhi_src: float, ir: float, si: float) -> None:
    """EoL-RIR = 1 (all input from end-of-life recycling) gives zero supply risk."""
    assert supply_risk_eu(hhi_gs, hhi_src, ir, 1.0, si) == 0.0


@given(p=st.floats(0, 1e6), i=st.floats(0, 1e6), e=st.floats(0, 1e6))
def test_import_reliance_bounds(p: float, i: float, e: float) -> None:
    """IR = (I - E)/(P + I - E) stays in 0-1."""
    assert 0.0 <= net_import_reliance(p, i, e) <= 1.0


# -- GeoPolRisk -------------------------------------------------------------------------------


def test_geopolrisk_worked_example(params: pd.DataFrame) -> None:
    """Hand-solved GeoPolRisk (Gemechu et al. 2016; geopolrisk-py ``core.GeoPolRisk``).

    Production A 60, B 40 -> HHI = 0.36 + 0.16 = 0.52. PV: A -1.5 -> g = (2.5+1.5)/5 = 0.8;
    B 1.5 -> g = 0.2. Importer X imports 30 from A, 10 from B and produces 10 itself
    (X: PV 2.5 -> not an exporter here). Import risk = (0.8*30 + 0.2*10)/(40 + 10) = 0.52;
    score = 0.52 * 0.52 = 0.2704.
    """
    prod = _prod([("xm", "mine", "A", 2020, 60.0), ("xm", "mine", "B", 2020, 40.0)])
    prod = pd.concat([prod, _prod([("xm", "mine", "X", 2020, 10.0)])])
    gov = _gov({"A": -1.5, "B": 1.5, "X": 2.5}, indicators=("pv",))
    trade = _trade([("A", "X", "999999", 30.0), ("B", "X", "999999", 10.0)])
    row = geopolrisk_score(prod, trade, HS, gov, params, importer="X").iloc[0]
    hhi = (60 / 110) ** 2 + (40 / 110) ** 2 + (10 / 110) ** 2
    assert row["hhi"] == pytest.approx(hhi)
    assert row["import_risk"] == pytest.approx(0.52)
    assert row["geopolrisk"] == pytest.approx(hhi * 0.52)
    assert row["defaults_used"] == ""


def test_geopolrisk_formula_matches_package_test() -> None:
    """geopolrisk-py ``tests/test_core.py::test_GeoPolRisk_valid_input``: numerator 1000,
    total trade 2000, production 500, HHI 0.3 -> score = 0.3 * 1000 / 2500 = 0.12."""
    import_risk, score = geopolrisk_formula(0.3, [1.0], [1000.0], 500.0 + 2000.0 - 1000.0)
    assert import_risk == pytest.approx(1000 / 2500)
    assert score == pytest.approx(0.12)
    assert political_instability(-2.5) == 1.0 and political_instability(2.5) == 0.0


def test_geopolrisk_missing_pv_uses_package_default(params: pd.DataFrame) -> None:
    """A partner with no PV score gets geopolrisk-py's 0.5, flagged."""
    prod = _prod([("xm", "mine", "A", 2020, 1.0)])
    gov = _gov({"A": -1.5}, indicators=("pv",))
    trade = _trade([("NOWGI", "X", "999999", 10.0)])
    row = geopolrisk_score(prod, trade, HS, gov, params, importer="X").iloc[0]
    assert row["import_risk"] == pytest.approx(0.5)
    assert "geopolrisk.g_missing[*]" in row["defaults_used"] and "NOWGI" in row["defaults_used"]


# -- USGS -------------------------------------------------------------------------------------


def test_usgs_worked_example(params: pd.DataFrame) -> None:
    """Hand-solved SR = DP x TE x EV (Nassar and Fortier 2021, USGS OFR 2021-1045).

    Shares A 0.6, B 0.4; WGI means -1.5 and 0.5 -> g = 0.8, 0.4. DP = 0.36*0.8 + 0.16*0.4 =
    0.352. Published NIR 75% -> TE 0.75. EV = 1 (flagged guess). SR = 0.264.
    """
    prod = _prod([("xm", "mine", "A", 2020, 60.0), ("xm", "mine", "B", 2020, 40.0)])
    gov = _gov({"A": -1.5, "B": 0.5})
    nir = pd.DataFrame(
        {
            "country": ["USA"],
            "commodity": ["xm"],
            "detail": ["NIR_pct"],
            "year": [2020],
            "value_pct": [75.0],
            "flag": [""],
        }
    ).assign(source="usgs_mcs", release="MCS2022", vintage_id=5)
    row = usgs_supply_risk(prod, gov, params, importer="USA", import_reliance=nir).iloc[0]
    assert row["disruption_potential"] == pytest.approx(0.352)
    assert row["trade_exposure"] == pytest.approx(0.75)
    assert row["supply_risk"] == pytest.approx(0.264)
    assert "usgs_mcs MCS2022 #5" in row["provenance"]
    exporter = nir.assign(value_pct=np.nan, flag="E")
    assert (
        usgs_supply_risk(prod, gov, params, importer="USA", import_reliance=exporter).iloc[0]["supply_risk"]
        == 0
    )


def test_usgs_trade_exposure_from_trade(params: pd.DataFrame) -> None:
    """Without a published NIR, TE = (I - E)/(P + I - E) from trade: 30/(10 + 30) = 0.75."""
    prod = _prod([("xm", "mine", "A", 2020, 60.0), ("xm", "mine", "X", 2020, 10.0)])
    gov = _gov({"A": -1.5, "X": 1.5})
    trade = _trade([("A", "X", "999999", 30.0)])
    row = usgs_supply_risk(prod, gov, params, importer="X", trade=trade, hs_codes=HS).iloc[0]
    assert row["trade_exposure"] == pytest.approx(0.75)
    assert row["trade_exposure_basis"].startswith("computed NIR")


# -- parameters and flags ---------------------------------------------------------------------


def test_every_default_guess_is_flagged_in_output(params: pd.DataFrame) -> None:
    """Each ``*`` default-guess row of the table shows up in ``defaults_used`` when it is used."""
    guesses = params[params["is_default_guess"]]
    seen: set[str] = set()
    prod = _prod([("xm", "mine", "A", 2020, 60.0), ("xm", "mine", "B", 2020, 40.0)])
    gov = _gov({"A": -1.5, "B": 0.5})
    ban = pd.DataFrame(
        [("A-1", "A", "xm", "export quota", pd.Timestamp(2019, 1, 1), pd.Timestamp(2019, 1, 1), pd.NaT)],
        columns=NO_RESTRICTIONS.columns,
    ).assign(source="r", release="r", vintage_id=4)
    trade = _trade([("NOWGI", "X", "999999", 10.0)])
    for frame in (
        eu_supply_risk(prod, trade, HS, gov, ban, params, importer="X"),
        geopolrisk_score(prod, trade, HS, _gov({"A": 0.0}, indicators=("pv",)), params, importer="X"),
        usgs_supply_risk(prod, gov, params, importer="X", trade=trade, hs_codes=HS),
    ):
        seen |= {label for text in frame["defaults_used"] for label in text.split("; ")}
    expected = {
        f"{m}.{p}[{c}]" for m, p, c in guesses[["method", "parameter", "commodity"]].itertuples(index=False)
    }
    assert expected <= seen, expected - seen


def test_parameter_table_is_sound(params: pd.DataFrame) -> None:
    """Keys unique, values in range, every row sourced or flagged."""
    assert not params.duplicated(["method", "commodity", "parameter"]).any()
    fractions = params[params["parameter"].isin(["eol_rir", "si_sr"])]
    assert fractions["value"].between(0, 1).all()
    unsourced = params[(params["source"] == "none") & ~params["is_default_guess"]]
    assert unsourced.empty
    assert len(rt.EU27) == 27 and len(set(rt.EU27)) == 27


def test_eol_rir_derived_from_geopolrisk_map(params: pd.DataFrame, raw_data: Path) -> None:
    """EoL-RIR rows equal the GeoPolRisk map's ``EoL-RIR (2023)`` through the WMD name mapping."""
    source = pd.read_csv(
        raw_data / "lists" / "geopolrisk_wmd_commodity_hs_map_eol_rir.csv", dtype=str, keep_default_na=False
    )
    names = read_reference("names_wmd.csv")
    joined = source.merge(names[["source_name", "commodity"]], left_on="Sheet_name", right_on="source_name")
    joined = joined[joined["EoL-RIR (2023)"] != ""]
    unique = joined[~joined["commodity"].duplicated(keep=False)]
    ours = params[
        (params["method"] == "eu_2017") & (params["parameter"] == "eol_rir") & (params["commodity"] != "*")
    ]
    expected = unique.set_index("commodity")["EoL-RIR (2023)"].astype(float).sort_index()
    got = ours.set_index("commodity")["value"].sort_index()
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert "clays" not in got.index  # two WMD series (bentonite 0.19, kaolin 0.31): none chosen


# -- published EU 2023 figures ----------------------------------------------------------------

PUBLISHED_2023 = {
    # Grohol and Veeh (2023), Study on the critical raw materials for the EU 2023, doi:10.2873/725585,
    # supply-risk results; tabulated in meyerdata/CritMAT input_data/seeds/eureport_results.csv.
    "cobalt_extraction": 2.8,  # GS only, IR 81 %, EoL 22 %, SI 0.98
    "hree_extraction": 2.3,  # GS+EU, IR 100 %
    "graphite_extraction": 1.8,  # natural graphite, GS+EU, IR 99 %
    "gallium_processing": 3.9,  # GS+EU, IR 98 %
}


@pytest.fixture(scope="module")
def eu_2020(tmp_path_factory: pytest.TempPathFactory, params: pd.DataFrame) -> pd.DataFrame:
    db = critmin.open(tmp_path_factory.mktemp("crit") / "critmin.duckdb")
    com = ["cobalt", "rare_earths", "gallium", "graphite_natural"]
    hs = db.hs_codes()
    hs = hs[hs["nomenclature"] == "HS92"]
    trade = db.trade(2020, hs6=sorted(hs[hs["commodity"].isin(com)]["hs6"]))
    return eu_supply_risk(
        db.production(com, year=2020),
        trade,
        hs,
        db.governance(year=range(2015, 2021)),
        db.restrictions(),
        params,
        importer="EUU",
        members=rt.EU27,
        stage_map={"primary": "refinery"},
    ).set_index("commodity")


def test_published_cobalt_extraction(eu_2020: pd.DataFrame) -> None:
    """Cobalt mine stage, GS only as in the EU study: ours 2020 = 3.38 vs published 2.8.

    Pinned difference +0.58 (+-0.1), about +21 %: we use 2020 USGS mine output of the listed
    countries (DR Congo 70 % of the listed total; "other countries" left out, which raises every
    share), the EU averaged 2016-2020 output; WGI 2020 vs the EU's vintage. docs/metrics.md.
    """
    row = eu_2020.loc["cobalt"]
    assert row["sourcing_basis"] == "GS only"
    assert row["supply_risk"] - PUBLISHED_2023["cobalt_extraction"] == pytest.approx(0.58, abs=0.1)


def test_published_rare_earths_extraction(eu_2020: pd.DataFrame) -> None:
    """Rare earths mine stage vs the EU's HREE extraction SR 2.3: within 15 % (ours 2.03).

    critmin has no mine-stage HS code for rare earths, so ours is GS only (the EU's includes EU
    sourcing at IR 100 %, which weighs global supply by one half); USGS reports all REE together.
    """
    row = eu_2020.loc["rare_earths"]
    assert row["supply_risk"] == pytest.approx(PUBLISHED_2023["hree_extraction"], rel=0.15)


def test_published_graphite_extraction(eu_2020: pd.DataFrame) -> None:
    """Natural graphite, GS + EU sourcing: ours 2.14 vs published 1.8; pinned +0.34 (+-0.1).

    Both have IR ~ 99 %. Ours weighs BACI gross tonnes of HS 250410/250490 (EU imports in
    2020: China, Brazil, Norway, ...) and 2020 production only; the EU uses 2016-2020 averages.
    """
    row = eu_2020.loc["graphite_natural"]
    assert row["sourcing_basis"] == "GS+sourcing"
    assert row["import_reliance"] == pytest.approx(0.99, abs=0.01)
    assert row["supply_risk"] - PUBLISHED_2023["graphite_extraction"] == pytest.approx(0.34, abs=0.1)


def test_published_gallium_processing(eu_2020: pd.DataFrame) -> None:
    """Gallium: ours 5.18 (GS only) vs published 3.9 (GS+EU, IR 98 %); pinned +1.28 (+-0.15).

    critmin's HS92 catalog has no gallium code (HS 811292 is HS17 and shared with other
    metals), so EU sourcing is unknown and our SR is the global-supply term alone; the EU's
    sourcing term (half the weight at IR 98 %) is lower, since EU imports partly come from
    better-governed suppliers than world primary output (China 97 %).
    """
    row = eu_2020.loc["gallium"]
    assert row["sourcing_basis"] == "GS only"
    assert row["supply_risk"] - PUBLISHED_2023["gallium_processing"] == pytest.approx(1.28, abs=0.15)
