"""The interim main job: listed critical minerals of India and Japan with the most concentrated supply."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli.main import app
from critmin.overview import most_concentrated


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> critmin.Critmin:
    return critmin.open(tmp_path_factory.mktemp("overview") / "bundled.duckdb")


def test_ranking_matches_the_production_table(db: critmin.Critmin) -> None:
    table = most_concentrated(db, ["IND", "JPN"], top=30)
    assert list(table["top1_share"]) == sorted(table["top1_share"], reverse=True)
    listed = set(db.lists(jurisdiction=["IND", "JPN"])["commodity"])
    assert set(table["commodity"]) <= listed
    for row in table.head(5).itertuples():
        rows = db.production(row.commodity, stage=row.stage, year=row.year, aggregates=True)
        rows = rows[rows["form"] == ""]
        countries = rows[~rows["is_aggregate"]].dropna(subset=["value"])
        top = countries.sort_values("value").iloc[-1]
        world = max(rows.loc[rows["country"] == "WLD", "value"].item(), countries["value"].sum())
        assert row.top1_country == top["country"]
        assert row.top1_share == pytest.approx(top["value"] / world)


def test_cobalt_is_there_with_the_published_share(db: critmin.Critmin) -> None:
    """USGS MCS 2026: DR Congo's cobalt mine production, 230,000 of 310,000 t in 2025e (74.2%)."""
    table = most_concentrated(db, ["IND", "JPN"], top=40).set_index(["commodity", "stage"])
    cobalt = table.loc[("cobalt", "mine")]
    assert cobalt["top1_country"] == "COD"
    assert round(cobalt["top1_share"], 3) == 0.742
    assert cobalt["listed_by"] == "IND,JPN"


def test_cli_overview_prints_the_table_with_its_sources(db: critmin.Critmin) -> None:
    result = CliRunner().invoke(
        app, ["--db", str(db.path), "overview", "-c", "IND", "-c", "JPN", "--top", "5"]
    )
    assert result.exit_code == 0, result.stderr
    assert "Most concentrated supply" in result.stdout
    assert "USGS Mineral Commodity Summaries" in result.stdout
    assert "gallium" in result.stdout
