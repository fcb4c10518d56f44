"""GeoPolRisk and USGS supply risk of all importers at once equal the per-importer references.

References: :func:`critmin.metrics.criticality_geopolrisk.geopolrisk_score` (Gemechu et al. 2016;
geopolrisk-py) and :func:`critmin.metrics.criticality_usgs.usgs_supply_risk` (Nassar and
Fortier 2021, USGS OFR 2021-1045), on the bundled data.
"""

from __future__ import annotations

import pandas as pd
import pytest

import critmin
from critmin import profiles
from critmin import reference_tables as rt
from critmin.metrics.criticality_all import geopolrisk_all, membership, usgs_supply_risk_all
from critmin.metrics.criticality_geopolrisk import GEOPOLRISK_COLUMNS, geopolrisk_score
from critmin.metrics.criticality_usgs import USGS_COLUMNS, usgs_supply_risk

IMPORTERS = ("IND", "JPN", "EUU", "USA", "DEU")
YEARS = (2021, 2024)


@pytest.fixture(scope="module")
def inputs(bundled: critmin.Critmin) -> dict[int, profiles.Inputs]:
    return {year: profiles.read_inputs(bundled, year) for year in YEARS}


def _all_importers(inputs: profiles.Inputs) -> dict[str, tuple[str, ...]]:
    found = {i: (i,) for i in sorted(set(inputs.trade["importer"])) if i not in {"S19", "WLD"}}
    return {**found, "EUU": rt.members("EUU")}


@pytest.mark.parametrize("peer_codes", [True, False], ids=["geopolrisk-py codes", "catalog codes"])
@pytest.mark.parametrize("year", YEARS)
def test_geopolrisk_all_equals_per_importer(
    inputs: dict[int, profiles.Inputs], year: int, peer_codes: bool
) -> None:
    case = inputs[year]
    hs = case.hs_codes[case.hs_codes["nomenclature"] == "HS92"]
    params = rt.criticality_parameters()
    materials = rt.geopolrisk_hs_map() if peer_codes else None
    frame = geopolrisk_all(
        case.production,
        case.trade,
        hs,
        case.governance,
        params,
        importers=_all_importers(case),
        materials=materials,
    )
    assert list(frame.columns) == GEOPOLRISK_COLUMNS
    assert (frame["hs_source"] == "geopolrisk-py").any() == peer_codes
    for importer in IMPORTERS:
        expected = geopolrisk_score(
            case.production,
            case.trade,
            hs,
            case.governance,
            params,
            importer=importer,
            members=rt.members(importer),
            materials=materials,
        )
        got = frame[frame["importer"] == importer].reset_index(drop=True)
        assert len(expected) > 50
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("year", YEARS)
def test_usgs_all_equals_per_importer(inputs: dict[int, profiles.Inputs], year: int) -> None:
    case = inputs[year]
    hs = case.hs_codes[case.hs_codes["nomenclature"] == "HS92"]
    params = rt.criticality_parameters()
    frame = usgs_supply_risk_all(
        case.production, case.governance, params, case.trade, hs, importers=_all_importers(case)
    )
    assert list(frame.columns) == USGS_COLUMNS
    for importer in IMPORTERS:
        expected = usgs_supply_risk(
            case.production,
            case.governance,
            params,
            importer=importer,
            trade=case.trade,
            hs_codes=hs,
            members=rt.members(importer),
        )
        got = frame[frame["importer"] == importer].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9, atol=1e-12)


def test_bloc_excludes_flows_between_members(inputs: dict[int, profiles.Inputs]) -> None:
    """The EU's imports leave out intra-EU trade: they are below the sum of its members' imports."""
    case = inputs[2024]
    hs = case.hs_codes[case.hs_codes["nomenclature"] == "HS92"]
    members = {"EUU": rt.members("EUU"), **{m: (m,) for m in rt.members("EUU")}}
    frame = geopolrisk_all(
        case.production, case.trade, hs, case.governance, rt.criticality_parameters(), importers=members
    )
    # Bauxite ore: the members import ~10 Mt a year, part of it from each other.
    bauxite = frame[(frame["commodity"] == "bauxite") & (frame["stage"] == "mine")]
    bloc = float(bauxite.loc[bauxite["importer"] == "EUU", "imports_t"].iloc[0])
    countries = float(bauxite.loc[bauxite["importer"] != "EUU", "imports_t"].sum())
    assert 0 < bloc < countries


def test_membership_lists_every_member() -> None:
    rows = membership({"EUU": rt.members("EUU"), "JPN": ("JPN",)})
    assert len(rows) == len(rt.EU27) + 1
    assert set(rows.loc[rows["importer"] == "JPN", "member"]) == {"JPN"}
