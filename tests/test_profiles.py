"""Country, mineral and pair profiles on the bundled data, and the `critmin risk` commands."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli.main import app
from critmin.profiles import country_profile, criticality, mineral_profile, pair_profile, read_inputs

runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> critmin.Critmin:
    return critmin.open(tmp_path_factory.mktemp("profiles") / "bundled.duckdb")


@pytest.fixture(scope="module")
def japan(db: critmin.Critmin) -> pd.DataFrame:
    return country_profile(db, "JPN", 2024)


def test_country_profile_is_ranked_and_traceable(japan: pd.DataFrame) -> None:
    scores = japan["score"].dropna()
    assert list(scores) == sorted(scores, reverse=True)
    assert japan["provenance"].str.contains("usgs_mcs MCS2026").any()
    assert japan["provenance"].str.contains("baci BACI HS92 V202601").any()
    assert (japan["importer"] == "JPN").all()


def test_country_profile_trade_columns_match_the_trade_table(
    db: critmin.Critmin, japan: pd.DataFrame
) -> None:
    """Japan's natural graphite imports 2024 (HS92 250410 + 250490): top supplier and share by tonnes."""
    row = japan[(japan["commodity"] == "graphite_natural") & (japan["stage"] == "mine")].iloc[0]
    flows = db.trade(year=2024, importer="JPN", hs6=["250410", "250490"])
    by_exporter = flows.groupby("exporter")["quantity_t"].sum()
    assert row["top1_exporter"] == by_exporter.idxmax()
    assert row["top1_share"] == pytest.approx(by_exporter.max() / by_exporter.sum(), rel=1e-6)


def test_each_method_gives_a_score(db: critmin.Critmin) -> None:
    inputs = read_inputs(db, 2024)
    for method in ("eu", "geopolrisk", "usgs"):
        frame = criticality(inputs, "IND", method)
        assert frame["score"].notna().any(), method
        assert (frame["method"] == method).all()
        assert "defaults_used" in frame.columns


def test_mineral_profile_shares_and_governance(db: critmin.Critmin) -> None:
    """USGS MCS 2026: China 270,000 t of 2024 rare-earth mine production; shares of world sum to 1."""
    profile = mineral_profile(db, "rare earths", 2024, stage="mine")
    producers = profile.producers
    assert producers["share"].sum() == pytest.approx(1.0)
    china = producers[producers["country"] == "CHN"].iloc[0]
    assert china["value"] == 270_000
    assert 0 <= china["wgi_scaled"] <= 10
    summary = profile.summary.iloc[0]
    assert summary["top1_country"] == "CHN"
    assert summary["hhi_lower"] <= summary["hhi_point"] <= summary["hhi_upper"]
    assert not profile.exporters.empty


def test_pair_profile_lists_common_suppliers(db: critmin.Critmin) -> None:
    pair = pair_profile(db, "IND", "JPN", 2024)
    assert {"score_IND", "score_JPN", "joint_score", "common_suppliers"} <= set(pair.columns)
    assert (pair["joint_score"] == pair[["score_IND", "score_JPN"]].min(axis=1)).all()
    boron = pair[pair["commodity"] == "boron"].iloc[0]
    assert boron["common_suppliers"].startswith("TUR")
    for label in pair["common_suppliers"].dropna():
        exporters = [part.split()[0] for part in label.split(", ")]
        assert len(exporters) == len(set(exporters)), label  # one stage's suppliers, each once


def test_cli_risk_commands(db: critmin.Critmin) -> None:
    result = runner.invoke(app, ["--db", str(db.path), "risk", "country", "IND", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all("provenance" in row for row in rows)
    result = runner.invoke(app, ["--db", str(db.path), "risk", "mineral", "rare earths", "--year", "2024"])
    assert result.exit_code == 0, result.stderr
    assert "Supply concentration" in result.stdout and "CHN" in result.stdout
    result = runner.invoke(app, ["--db", str(db.path), "risk", "pair", "IND", "JPN", "--method", "nonsense"])
    assert result.exit_code == 1 and "--method" in result.stderr
