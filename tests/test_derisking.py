"""The de-risking studies (critmin.derisking) on the bundled dataset, checked against the raw figures."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import critmin
from critmin import derisking
from critmin.derisking import StudyError

PARTNERS = ["IND", "JPN"]


@pytest.fixture(scope="module")
def sourcing(bundled: critmin.Critmin) -> derisking.SourcingStudy:
    return derisking.sourcing_study(bundled, "JPN", "rare_earths", n=2000, points=5)


@pytest.fixture(scope="module")
def shared(bundled: critmin.Critmin) -> derisking.SharedLosses:
    return derisking.shared_losses(bundled, PARTNERS, ["rare_earths", "graphite_natural"], n=1000)


# partner codes ---------------------------------------------------------------------------------


def test_partner_codes_resolve_names_and_deduplicate() -> None:
    assert derisking.partner_codes([" ind", "JPN", "jpn"]) == ["IND", "JPN"]
    assert derisking.partner_codes(["India", "jp", "Japan"]) == ["IND", "JPN"]


@pytest.mark.parametrize("partners", [["IND"], ["ind", "IND"], []])
def test_fewer_than_two_partners_is_an_error_naming_the_field(partners: list[str]) -> None:
    with pytest.raises(StudyError, match="partners: name at least two"):
        derisking.partner_codes(partners)


def test_a_bad_code_is_named_with_the_closest() -> None:
    with pytest.raises(StudyError, match=r"partners: unknown country 'Indai'; closest: India \(IND\)"):
        derisking.partner_codes(["Indai", "JPN"])


# sourcing --------------------------------------------------------------------------------------


def test_the_current_portfolio_costs_nothing(sourcing: derisking.SourcingStudy) -> None:
    assert sourcing.current["cost"] == pytest.approx(0.0, abs=1e-12)
    shares = sourcing.suppliers["current_share"].to_numpy()
    assert float(sourcing.suppliers["premium"].to_numpy() @ shares) == pytest.approx(0.0, abs=1e-12)


def test_the_optimum_is_no_riskier_than_the_current_shares(sourcing: derisking.SourcingStudy) -> None:
    assert sourcing.optimum.cvar <= sourcing.current["cvar"] + 1e-9
    assert sourcing.current["expected"] <= sourcing.current["var"] <= sourcing.current["cvar"] + 1e-12
    assert sourcing.optimum.weights.sum() == pytest.approx(1.0)
    capacity = sourcing.suppliers.set_index("supplier")["capacity_share"]
    weights = pd.Series(sourcing.optimum.weights, index=sourcing.optimum.suppliers)
    assert (weights <= capacity.reindex(weights.index) + 1e-9).all()


def test_the_frontier_falls_with_budget_to_the_optimum(sourcing: derisking.SourcingStudy) -> None:
    frontier = sourcing.frontier
    assert len(frontier) == 5
    assert list(frontier["budget"]) == sorted(frontier["budget"])
    assert (np.diff(frontier["cvar"].to_numpy()) <= 1e-9).all()
    assert frontier["cvar"].iloc[-1] == pytest.approx(sourcing.optimum.cvar, rel=1e-6)


def test_current_shares_are_the_importers_tonnes_by_supplier(
    bundled: critmin.Critmin, sourcing: derisking.SourcingStudy
) -> None:
    codes = derisking.hs92_codes(bundled)
    hs6 = sorted(codes.loc[(codes["commodity"] == "rare_earths") & (codes["stage"] == "refinery"), "hs6"])
    trade = bundled.trade(sourcing.year, hs6=hs6)
    mine = trade[trade["importer"] == "JPN"].groupby("exporter")["quantity_t"].sum()
    expected = mine / mine.sum()
    current = sourcing.suppliers.set_index("supplier")["current_share"]
    assert current.sum() == pytest.approx(1.0)
    assert "JPN" not in current.index
    # the network imputes tonnes for the few rows without quantities, so allow a small difference
    assert (current.reindex(expected.index).fillna(0) - expected).abs().max() < 1e-4
    assert current.index[0] == expected.idxmax()


def test_premium_is_the_suppliers_unit_value_over_the_current_average(
    bundled: critmin.Critmin, sourcing: derisking.SourcingStudy
) -> None:
    codes = derisking.hs92_codes(bundled)
    hs6 = sorted(codes.loc[(codes["commodity"] == "rare_earths") & (codes["stage"] == "refinery"), "hs6"])
    trade = bundled.trade(sourcing.year, hs6=hs6)
    known = trade[trade["quantity_t"].fillna(0) > 0]
    sold = known.groupby("exporter")[["value_usd", "quantity_t"]].sum()
    table = sourcing.suppliers.set_index("supplier")
    found = table[table["unit_value_basis"] == "BACI unit value"]
    unit = sold["value_usd"] / sold["quantity_t"]
    assert np.allclose(found["unit_value_usd_t"], unit.reindex(found.index))
    bought = known[known["importer"] == "JPN"]
    fallback = bought["value_usd"].sum() / bought["quantity_t"].sum()
    assert np.allclose(
        table.loc[table["unit_value_basis"] != "BACI unit value", "unit_value_usd_t"], fallback
    )
    average = float((table["unit_value_usd_t"] * table["current_share"]).sum())
    top = table.index[0]
    assert table.loc[top, "premium"] == pytest.approx(unit[top] / average - 1.0)


def test_sourcing_bad_max_share_is_named(bundled: critmin.Critmin) -> None:
    with pytest.raises(StudyError, match="max_share"):
        derisking.sourcing_study(bundled, "JPN", "rare_earths", max_share=0.0)


# shared losses ---------------------------------------------------------------------------------


def test_joint_loss_probability_is_bounded_by_each_partners(shared: derisking.SharedLosses) -> None:
    together = shared.together
    assert set(together["network"]) == set(shared.result.losses)
    for row in together.to_dict("records"):
        each = [row[f"p_{p}"] for p in PARTNERS]
        assert row["p_all"] <= min(each)
        assert row["p_any"] >= max(each)
        assert row["p_any"] == pytest.approx(sum(each) - row["p_all"])
        assert row["draws"] == 1000


def test_loss_probabilities_recomputed_from_the_simulated_losses(shared: derisking.SharedLosses) -> None:
    summary = shared.result.summary
    for row in shared.together.to_dict("records"):
        losses = shared.result.losses[row["network"]]
        mine = summary[summary["network"] == row["network"]].set_index("country")
        hits = []
        for i, partner in enumerate(PARTNERS):
            use = float(mine.loc[partner, "consumption_t"])
            hit = losses[:, i] / use > row["threshold"] if use > 0 else np.zeros(len(losses), bool)
            assert row[f"p_{partner}"] == pytest.approx(hit.mean())
            hits.append(hit)
        assert row["p_all"] == pytest.approx((hits[0] & hits[1]).mean())
    assert (shared.together[[f"p_{p}" for p in PARTNERS]].to_numpy() > 0).any()


def test_threshold_outside_the_unit_interval_is_named(bundled: critmin.Critmin) -> None:
    with pytest.raises(StudyError, match="threshold"):
        derisking.shared_losses(bundled, PARTNERS, ["rare_earths"], n=100, threshold=1.5)


# scenarios -------------------------------------------------------------------------------------


def test_a_scenario_the_data_cannot_run_is_noted_not_raised(bundled: critmin.Critmin) -> None:
    table = derisking.scenario_losses(bundled, PARTNERS, ["gallium_germanium_china_2023"])
    happened = table[table["run"] == "as it happened"]
    assert sorted(happened["partner"]) == PARTNERS
    assert happened["note"].str.contains("no quantities").all()
    assert happened["loss_t"].isna().all() and happened["loss_share"].isna().all()
    latest = derisking.latest_trade_year(bundled)
    replayed = table[table["run"] == f"replayed on {latest}"]
    assert sorted(replayed["partner"]) == PARTNERS
    assert (replayed["year"] == latest).all()
    assert (replayed["note"] == "").all()
    shares = replayed["loss_share"].to_numpy(dtype=float)
    assert np.isfinite(shares).all() and ((shares > 0) & (shares <= 1)).all()
    assert np.allclose(shares, replayed["loss_t"] / replayed["consumption_t"])


# projects --------------------------------------------------------------------------------------


def test_bundled_candidates_load_with_their_sources() -> None:
    candidates = derisking.candidate_projects()
    assert len(candidates) >= 4
    assert len({p.name for p in candidates}) == len(candidates)
    for project in candidates:
        assert project.source and "http" in project.source
        assert sum(project.offtake.values()) <= 1


def test_a_bad_yaml_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken_projects.yaml"
    broken.write_text("projects:\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(StudyError, match=r"broken_projects\.yaml: invalid YAML"):
        derisking.candidate_projects(broken)
    with pytest.raises(StudyError, match=r"missing_projects\.yaml: cannot read"):
        derisking.candidate_projects(tmp_path / "missing_projects.yaml")


def test_an_unknown_field_is_named(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(
        "- name: A refinery\n  country: IND\n  commodity: rare_earths\n  stage: refinery\n"
        "  capacity_t: 100\n  start_year: 2030\n  offtake: {JPN: 0.5}\n  capcity: 200\n"
        "  basis: documentation is allowed\n",
        encoding="utf-8",
    )
    with pytest.raises(StudyError, match=r"typo\.yaml: .*projects\[0\]\.capcity"):
        derisking.candidate_projects(path)
    path.write_text(path.read_text(encoding="utf-8").replace("  capcity: 200\n", ""), encoding="utf-8")
    assert [p.capacity_t for p in derisking.candidate_projects(path)] == [100]


def test_projects_are_ranked_by_cut_per_tonne(bundled: critmin.Critmin) -> None:
    candidates = [p for p in derisking.candidate_projects() if p.commodity == "rare_earths"]
    assert len(candidates) >= 2
    ranked = derisking.evaluate_projects(bundled, candidates, PARTNERS, n=500).ranking
    assert sorted(ranked["project"]) == sorted(p.name for p in candidates)
    assert list(ranked["rank"]) == list(range(1, len(candidates) + 1))
    cut = ranked["cut_per_t"].to_numpy()
    assert (np.diff(cut) <= 0).all()
    assert np.allclose(cut, ranked["cvar95_cut_t"] / ranked["capacity_t"])
    assert len(set(cut)) > 1 and all(math.isfinite(c) for c in cut)
    with pytest.raises(StudyError, match="projects: give at least one"):
        derisking.evaluate_projects(bundled, [], PARTNERS)
