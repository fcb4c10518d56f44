"""All metrics in one call: every frame over the bundled data, equal to the per-group metrics.

The EU supply risk of every importer (:func:`critmin.metrics.all_metrics.eu_supply_risk_all`,
European Commission 2017, *Methodology for establishing the EU list of critical raw
materials*, section 3.2) must equal the per-importer reference
:func:`critmin.metrics.criticality_eu.eu_supply_risk` on the same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import critmin
from critmin import reference_tables as rt
from critmin.metrics.all_metrics import all_metrics, main_series
from critmin.metrics.concentration import supply_concentration
from critmin.metrics.criticality_eu import EU_COLUMNS, eu_supply_risk
from critmin.metrics.trade_exposure import aggregate_codes

YEARS = [2023, 2024]
GOVERNANCE_YEARS = [2022, 2023]
"""WGI ends in 2023; two years keep the per-importer reference (which rescales WGI per group) fast."""


@dataclass(frozen=True)
class Case:
    production: pd.DataFrame
    trade: pd.DataFrame
    hs_codes: pd.DataFrame
    governance: pd.DataFrame
    restrictions: pd.DataFrame
    parameters: pd.DataFrame
    places: pd.DataFrame
    result: dict[str, pd.DataFrame]


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    db = critmin.open(tmp_path_factory.mktemp("all_metrics") / "critmin.duckdb")
    production = db.production(year=YEARS, aggregates=True)
    trade = db.trade(year=YEARS, nomenclature="HS92")
    hs_codes = db.hs_codes()
    governance = db.governance(year=GOVERNANCE_YEARS)
    restrictions = db.restrictions()
    places = db.places()
    reserves = db.reserves(aggregates=True)
    parameters = rt.criticality_parameters()
    result = all_metrics(
        production, trade, hs_codes, governance, restrictions, parameters, places, reserves=reserves
    )
    return Case(production, trade, hs_codes, governance, restrictions, parameters, places, result)


def test_every_frame_non_empty_with_provenance(case: Case) -> None:
    """Each metric frame has rows, a ``provenance`` on every row and covers the years asked."""
    expected = {"concentration", "reserves", "governance", "trade_exposure", "eu_supply_risk"}
    assert set(case.result) == expected
    for name, frame in case.result.items():
        assert len(frame), name
        assert "provenance" in frame.columns, name
        text = frame["provenance"].astype(str)
        assert (text.str.len() > 0).all(), (name, frame[text.str.len() == 0].head())
    for name in ("concentration", "governance", "trade_exposure", "eu_supply_risk"):
        assert set(case.result[name]["year"].astype(int)) == set(YEARS), name
    eu = case.result["eu_supply_risk"]
    assert list(eu.columns) == EU_COLUMNS
    assert eu["provenance"].str.contains("baci").any() and eu["provenance"].str.contains("wgi").all()


def test_concentration_equals_supply_concentration(case: Case) -> None:
    """The ``concentration`` frame holds supply_concentration of the main series (rare earths 2024)."""
    main = main_series(case.production)
    rows = main[(main["commodity"] == "rare_earths") & (main["year"] == 2024)]
    direct = supply_concentration(rows).reset_index(drop=True)
    frame = case.result["concentration"]
    mine = frame[(frame["commodity"] == "rare_earths") & (frame["year"] == 2024)].reset_index(drop=True)
    assert len(direct) == 1
    pd.testing.assert_frame_equal(mine[direct.columns], direct, check_dtype=False)
    assert direct.loc[0, "top1_country"] == "CHN"


def test_eu_supply_risk_rows_cover_importers_and_groups(case: Case) -> None:
    """Every non-aggregate importer of a year is scored for every production group of that year."""
    eu = case.result["eu_supply_risk"]
    aggregates = aggregate_codes(case.places)
    assert not eu["importer"].isin(aggregates).any()
    for year in YEARS:
        importers = set(case.trade.loc[case.trade["year"] == year, "importer"]) - aggregates
        rows = eu[eu["year"] == year]
        assert set(rows["importer"]) == importers
        per_importer = rows.groupby("importer").size()
        assert per_importer.nunique() == 1
    assert eu.duplicated(["commodity", "stage", "year", "importer"]).sum() == 0


@pytest.mark.parametrize("importer", ["IND", "JPN"])
def test_eu_supply_risk_equals_per_importer(case: Case, importer: str) -> None:
    """Vectorised EU SR equals ``eu_supply_risk(importer=...)`` for 2024 on the same inputs.

    European Commission (2017), *Methodology*, section 3.2; supply risk within 1e-9, tonnes
    within 1e-12 relative (summation order differs), texts identical.
    """
    year = 2024
    hs = case.hs_codes[case.hs_codes["nomenclature"] == "HS92"]
    main = main_series(case.production)
    reference = eu_supply_risk(
        main[main["year"] == year],
        case.trade[case.trade["year"] == year],
        hs,
        case.governance,
        case.restrictions,
        case.parameters,
        importer=importer,
    )
    reference = reference.sort_values(["commodity", "stage"], ignore_index=True)
    eu = case.result["eu_supply_risk"]
    mine = eu[(eu["importer"] == importer) & (eu["year"] == year)].reset_index(drop=True)
    assert len(mine) == len(reference) > 50
    np.testing.assert_allclose(mine["supply_risk"], reference["supply_risk"], rtol=0, atol=1e-9)
    assert reference["supply_risk"].notna().sum() > 20
    for column in EU_COLUMNS:
        if reference[column].dtype.kind == "f":
            np.testing.assert_allclose(
                mine[column].astype(float), reference[column], rtol=1e-12, atol=1e-12, err_msg=column
            )
        else:
            assert (mine[column].astype(str) == reference[column].astype(str)).all(), column
