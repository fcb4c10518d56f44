"""critmin's EU-27 supply risk against the published EU 2023 figures over every covered material.

The published SR (Grohol and Veeh 2023, doi:10.2873/725585, via CritMAT's tabulation) ship as
``eu_crm_2023_supply_risk.csv``. The figures on the bundled store are checked against the
thresholds documented in ``docs/metrics.md`` (*Against the published EU 2023 supply risk*): each
is the value measured when the comparison was written minus a small margin, so a change that
breaks the method (or the mapping) fails here.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import critmin
from critmin import reference_tables as rt
from critmin.cli.main import app
from critmin.metrics.criticality_eu_published import Agreement, agreement, covered, data_years
from critmin.services.eu_published import eu_2023_comparison

# measured on the bundled store: 58 materials, Spearman 0.751, Kendall 0.618, 49/58 = 84.5 % on
# the same side of SR >= 1, median |difference| 0.216 (docs/metrics.md)
MIN_MATERIALS = 58
MIN_SPEARMAN = 0.72
MIN_KENDALL = 0.59
MIN_THRESHOLD_AGREEMENT = 0.81
MAX_MEDIAN_ABS_DIFFERENCE = 0.25
NO_CRITMIN_SR = {"Germanium"}  # BACI HS92 holds no HS 811230 trade after 2016: no EU sourcing


def test_agreement_by_hand() -> None:
    """Ranks 1,2,3,4 vs 1,2,4,3: rho = 1 - 6*2/(4*15) = 0.8, tau = (5 - 1)/6; SR >= 1 counts by hand."""
    published, ours = [0.5, 1.2, 2.0, 3.0, 1.0], [0.6, 0.9, 2.5, 2.4, None]
    table = pd.DataFrame({"published_sr": published, "critmin_sr": ours})
    got = agreement(table)
    assert got.materials == 4
    assert got.spearman == pytest.approx(0.8)
    assert got.kendall == pytest.approx(4 / 6)
    assert (got.both_critical, got.both_not_critical) == (2, 1)
    assert (got.only_published_critical, got.only_critmin_critical) == (1, 0)
    assert got.threshold_agreement == pytest.approx(3 / 4)
    assert got.median_abs_difference == pytest.approx(0.4)


def test_data_year_is_closest_to_the_study_period() -> None:
    """The latest year up to 2020, else the earliest; per commodity, stage and form."""
    production = pd.DataFrame(
        {
            "commodity": ["a", "a", "a", "b", "b", "c"],
            "stage": ["mine"] * 6,
            "form": ["", "", "", "", "", "x"],
            "year": [2019, 2020, 2021, 2022, 2021, 2020],
        }
    )
    materials = pd.DataFrame(
        {
            "critmin_commodity": ["a", "b", "c", "c"],
            "critmin_stage": ["mine"] * 4,
            "critmin_form": ["", "", "x|y", ""],
        }
    )
    got = data_years(production, materials)
    assert got.iloc[:3].tolist() == [2020, 2021, 2020]
    assert pd.isna(got.iloc[3])


def test_published_table_is_sourced_and_every_material_accounted_for() -> None:
    """Every row names its source, DOI and trust; uncovered rows say why; the compared SR is the stage's."""
    table = rt.eu_crm_2023_supply_risk()
    assert table["source"].str.contains("doi:10.2873/725585").all()
    assert table["retrieved_from"].str.contains("meyerdata/CritMAT").all()
    assert table["trust"].str.startswith("B").all()
    assert not table["material"].duplicated().any()
    uncovered = table[table["compared_stage"] == ""]
    assert uncovered["note"].str.contains("not covered|not compared").all()
    materials = covered(table).set_index("material")
    assert materials.loc["Nickel", "published_sr"] == 0.4  # EU headline is processing (0.5); ours is mine
    assert materials.loc["Cobalt", "published_sr"] == 2.8
    codes = set(rt.criticality_parameters()["commodity"]) | {"*"}
    assert len(materials) == len(table) - len(uncovered)
    assert set(materials["critmin_commodity"]) - codes <= {
        "clays",  # two EU materials (bentonite 0.89, kaolin 0.95): SI_SR default 1
        "rare_earths",  # EU SI_SR per element only
        "sand_gravel_industrial",  # the tabulation has no SI_SR for silica sand
    }


@pytest.fixture(scope="module")
def comparison(bundled: critmin.Critmin) -> tuple[pd.DataFrame, Agreement]:
    return eu_2023_comparison(bundled)


def test_rank_correlation_and_threshold_agreement(comparison: tuple[pd.DataFrame, Agreement]) -> None:
    """Over every covered material: rank correlation, SR >= 1 agreement and median |difference|."""
    table, summary = comparison
    assert set(table.loc[table["critmin_sr"].isna(), "material"]) <= NO_CRITMIN_SR
    assert summary.materials >= MIN_MATERIALS
    assert summary.spearman >= MIN_SPEARMAN
    assert summary.kendall >= MIN_KENDALL
    assert summary.threshold_agreement >= MIN_THRESHOLD_AGREEMENT
    assert summary.only_published_critical <= 1
    assert summary.median_abs_difference <= MAX_MEDIAN_ABS_DIFFERENCE
    counts = summary.both_critical + summary.both_not_critical
    assert counts + summary.only_published_critical + summary.only_critmin_critical == summary.materials


def test_pinned_cases_hold_in_the_full_comparison(comparison: tuple[pd.DataFrame, Agreement]) -> None:
    """The four cases pinned in test_metrics_criticality, as the all-material comparison computes them."""
    rows = comparison[0].set_index("material")
    assert (rows.loc[["Cobalt", "HREE", "Natural graphite", "Gallium"], "year"] == 2020).all()
    assert rows.loc["Cobalt", "difference"] == pytest.approx(0.58, abs=0.1)
    assert rows.loc["HREE", "critmin_sr"] == pytest.approx(rows.loc["HREE", "published_sr"], rel=0.15)
    assert rows.loc["Natural graphite", "difference"] == pytest.approx(0.34, abs=0.1)
    assert rows.loc["Gallium", "difference"] == pytest.approx(1.28, abs=0.15)


def test_cli_eu_compare(bundled: critmin.Critmin) -> None:
    """``critmin risk eu-compare`` prints the table and the agreement figures."""
    result = CliRunner().invoke(app, ["--db", str(bundled.path), "risk", "eu-compare"])
    assert result.exit_code == 0, result.stderr
    assert "Spearman" in result.stdout and "Nickel" in result.stdout
    result = CliRunner().invoke(app, ["--db", str(bundled.path), "risk", "eu-compare", "-f", "json"])
    rows = json.loads(result.stdout)
    assert len(rows) == len(covered(rt.eu_crm_2023_supply_risk()))
