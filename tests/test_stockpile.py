"""Stockpile sizing from Monte Carlo losses: quantiles, pooling, days of cover, and the re-run check."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

import critmin
from critmin.partnership.stockpile import POOLED, check, days_of_cover, size_from_montecarlo, size_stockpile
from critmin.scenarios.montecarlo import MonteCarloResult, run_montecarlo

RARE_EARTHS = "rare_earths/refinery/2024"


@pytest.fixture(scope="module")
def synthetic() -> tuple[np.ndarray, dict[str, float]]:
    rng = np.random.default_rng(7)
    losses = np.column_stack(
        [
            rng.exponential(100.0, 5000) * (rng.random(5000) < 0.3),
            rng.lognormal(3.0, 1.0, 5000),
            rng.exponential(50.0, 5000),
        ]
    )
    return losses, {"AAA": 3650.0, "BBB": 730.0, "CCC": 1000.0}


def test_individual_stock_is_the_quantile_of_each_column(
    synthetic: tuple[np.ndarray, dict[str, float]],
) -> None:
    losses, use = synthetic
    out = size_stockpile(
        losses, ["AAA", "BBB", "CCC"], use, p=[0.9, 0.95, 0.99], network="net", provenance="src"
    )
    for p in (0.9, 0.95, 0.99):
        for j, code in enumerate(["AAA", "BBB", "CCC"]):
            row = out[(out["p"] == p) & (out["partner"] == code)].iloc[0]
            assert row["stock_t"] == pytest.approx(np.quantile(losses[:, j], p))
            assert row["days_of_cover"] == pytest.approx(row["stock_t"] / (use[code] / 365.0))
    assert set(out["provenance"]) == {"src"}
    assert set(out["network"]) == {"net"}
    assert (out["draws"] == 5000).all()


def test_pooled_stock_is_the_quantile_of_the_sum_and_saves(
    synthetic: tuple[np.ndarray, dict[str, float]],
) -> None:
    losses, use = synthetic
    out = size_stockpile(losses, ["AAA", "BBB", "CCC"], use, partners=["AAA", "BBB"], p=0.95)
    pooled = out[out["partner"] == POOLED].iloc[0]
    single = out[out["partner"] != POOLED]
    assert list(single["partner"]) == ["AAA", "BBB"]
    assert pooled["stock_t"] == pytest.approx(np.quantile(losses[:, 0] + losses[:, 1], 0.95))
    total = np.quantile(losses[:, 0], 0.95) + np.quantile(losses[:, 1], 0.95)
    assert pooled["sum_individual_t"] == pytest.approx(total)
    assert pooled["stock_t"] <= pooled["sum_individual_t"]
    assert pooled["pooling_saving_t"] == pytest.approx(total - pooled["stock_t"])
    assert pooled["pooling_saving_pct"] == pytest.approx(100 * (total - pooled["stock_t"]) / total)
    assert pooled["pooling_saving_t"] > 0  # independent losses: pooling saves
    assert pooled["members"] == "AAA+BBB"
    assert pooled["days_of_cover"] == pytest.approx(pooled["stock_t"] / ((3650.0 + 730.0) / 365.0))


def test_identical_losses_pool_without_saving() -> None:
    column = np.linspace(0.0, 99.0, 100)
    out = size_stockpile(np.column_stack([column, column]), ["A", "B"], {"A": 1.0, "B": 1.0}, p=0.8)
    pooled = out[out["partner"] == POOLED].iloc[0]
    assert pooled["pooling_saving_t"] == pytest.approx(0.0, abs=1e-9)


def test_pooling_can_cost_more_because_quantiles_are_not_subadditive() -> None:
    """Each partner short in 4 of 100 years, never together: alone Q95 = 0, pooled Q95 = 100."""
    losses = np.zeros((100, 2))
    losses[:4, 0] = 100.0
    losses[4:8, 1] = 100.0
    out = size_stockpile(losses, ["A", "B"], {"A": 365.0, "B": 365.0}, p=0.95)
    pooled = out[out["partner"] == POOLED].iloc[0]
    assert out.loc[out["partner"] != POOLED, "stock_t"].tolist() == [0.0, 0.0]
    assert pooled["stock_t"] == pytest.approx(100.0)
    assert pooled["pooling_saving_t"] == pytest.approx(-100.0)
    assert np.isnan(pooled["pooling_saving_pct"])
    assert "not subadditive" in pooled["note"]


def test_days_of_cover_arithmetic() -> None:
    assert days_of_cover(365.0, 3650.0) == pytest.approx(36.5)
    assert days_of_cover(10.0, 365.0) == pytest.approx(10.0)
    assert np.isnan(days_of_cover(10.0, 0.0))
    out = size_stockpile(np.array([[5.0], [10.0]]), ["ZZZ"], {"ZZZ": 0.0}, p=1.0)
    assert out["days_of_cover"].isna().all()
    assert out["note"].str.contains("consumption").all()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"p": 1.5}, "p"),
        ({"p": []}, "p"),
        ({"partners": ["XXX"]}, "partners"),
        ({"countries": ["A"]}, "countries"),
        ({"consumption_t": {"A": 1.0}}, "consumption_t"),
        ({"losses": np.array([[1.0, -1.0]])}, "losses"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    args: dict[str, object] = {
        "losses": np.ones((3, 2)),
        "countries": ["A", "B"],
        "consumption_t": {"A": 1.0, "B": 2.0},
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=field):
        size_stockpile(**args)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def rare_earth_run(bundled: critmin.Critmin) -> tuple[functools.partial[MonteCarloResult], MonteCarloResult]:
    run = functools.partial(run_montecarlo, bundled, ["IND", "JPN"], ["rare_earths"], n=1000, seed=1)
    return run, run()


def test_real_sizes_match_the_monte_carlo_p95(rare_earth_run: tuple[object, MonteCarloResult]) -> None:
    result = rare_earth_run[1]
    out = size_from_montecarlo(result, RARE_EARTHS, p=[0.9, 0.95])
    summary = result.summary.set_index("country")
    for code in ("IND", "JPN"):
        row = out[(out["partner"] == code) & (out["p"] == 0.95)].iloc[0]
        assert row["stock_t"] == pytest.approx(summary.loc[code, "p95_t"])
        assert row["consumption_t"] == pytest.approx(summary.loc[code, "consumption_t"])
        assert row["provenance"] == summary.loc[code, "provenance"]
    pooled = out[out["partner"] == POOLED].set_index("p")
    both = np.quantile(result.losses[RARE_EARTHS].sum(axis=1), [0.9, 0.95])
    assert pooled["stock_t"].to_numpy() == pytest.approx(both)
    assert pooled["stock_t"].is_monotonic_increasing  # p = 0.9, then 0.95
    with pytest.raises(ValueError, match="network"):
        size_from_montecarlo(result, "nickel/mine/2024")


def test_check_reruns_with_the_sized_days(
    rare_earth_run: tuple[functools.partial[MonteCarloResult], MonteCarloResult],
) -> None:
    run, result = rare_earth_run
    sizes = size_from_montecarlo(result, RARE_EARTHS, p=0.95)
    checked = check(run, sizes, p=0.95, tolerance=1e-3)
    assert list(checked["partner"]) == ["IND", "JPN"]
    for row in checked.to_dict("records"):
        without = result.losses[RARE_EARTHS][:, result.countries.index(str(row["partner"]))]
        use = float(sizes.loc[sizes["partner"] == row["partner"], "consumption_t"].iloc[0])
        before = float((without <= 1e-3 * use).mean())
        covered = float(row["share_years_below_tolerance"])
        assert covered > before
        assert float(row["share_years_zero_loss"]) <= covered
    with pytest.raises(ValueError, match="p"):
        check(run, sizes, p=0.5)


def test_frame_columns_are_stable(synthetic: tuple[np.ndarray, dict[str, float]]) -> None:
    losses, use = synthetic
    out = size_stockpile(losses, ["AAA", "BBB", "CCC"], use)
    assert isinstance(out, pd.DataFrame)
    assert list(out["partner"]) == ["AAA", "BBB", "CCC", POOLED]
    assert out.loc[out["partner"] != POOLED, "pooling_saving_t"].isna().all()
