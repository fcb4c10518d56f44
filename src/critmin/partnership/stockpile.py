r"""Stockpile sizing from Monte Carlo losses: the stock that covers the shortfall in p% of years.

For one commodity network, let :math:`L_{dj}` be partner :math:`j`'s loss in draw (simulated year)
:math:`d` (tonnes over the year; ``MonteCarloResult.losses[label]``, columns in
``MonteCarloResult.countries`` order) and :math:`C_j` its apparent consumption (tonnes a year).
At coverage :math:`p`:

.. math::

    S_j(p) = Q_p(L_{\cdot j}), \qquad
    \text{days}_j = S_j / (C_j / 365), \qquad
    S_{\text{pool}}(p) = Q_p\Bigl(\sum_j L_{\cdot j}\Bigr) \le \sum_j S_j(p)

where :math:`Q_p` is the empirical :math:`p`-quantile (``numpy.quantile``, linear interpolation,
as the Monte Carlo's ``p95_t``). A stock of :math:`S_j(p)` covers the shortfall in a share
:math:`p` of the simulated years. The pooled stockpile is one stock the partners share, drawn by
whichever partner is short: it covers the *sum* of their losses in :math:`p` of the years. It is
usually no larger than the sum of the individual stocks (equal for comonotone losses), but a
quantile (value at risk) is **not subadditive**: partners rarely short, and never together, can
need a larger pooled stock (each short in 4% of years: alone :math:`Q_{0.95} = 0`, together short
in 8%). The saving of pooling, :math:`\sum_j S_j - S_{\text{pool}}` in tonnes and as a share of
:math:`\sum_j S_j`, is reported as computed, negative then (with a note), never clipped. With
strongly dependent losses (one dominant supplier for all partners) the saving is near zero and
its sign within sampling error.

The size is a **first-order estimate**: a stock drawn changes the cascade (a stocked country
covers its own shortfall and so passes less of the shock on to the countries it re-exports to,
and buys less from the rest), so the losses with stocks are not the losses without them minus the
stock. In :mod:`critmin.scenarios.cascade` a country draws its stock against the whole shock it
receives, while without stock it cuts consumption by only part of it (``absorb_share``) and passes
the rest on; so the stock is also spent on tonnes it would have passed on, and a stock of
:math:`Q_p` covers the loss in fewer than :math:`p` of the years (on the bundled rare-earth network
at :math:`p = 0.95`, about 0.89–0.90 for India and Japan). :func:`check` re-runs the Monte Carlo
with the sized days of cover and reports how often the loss is then (near) zero. Sources: the losses come from
:func:`critmin.scenarios.montecarlo.run_montecarlo` (BACI trade, USGS production, WGI); the
provenance of those inputs is passed in and carried on every row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # the type only: this package never runs the store-reading Monte Carlo itself
    from critmin.scenarios.montecarlo import MonteCarloResult

POOLED = "POOLED"
"""The ``partner`` of the pooled (joint) stockpile rows."""
DAYS_PER_YEAR = 365.0
DEFAULT_P = (0.95,)

COLUMNS = (
    "network",
    "p",
    "partner",
    "members",
    "consumption_t",
    "stock_t",
    "days_of_cover",
    "sum_individual_t",
    "pooling_saving_t",
    "pooling_saving_pct",
    "draws",
    "note",
    "provenance",
)


def _coverages(p: float | Sequence[float]) -> list[float]:
    values = [float(p)] if isinstance(p, int | float) else [float(v) for v in p]
    if not values:
        raise ValueError("p: give at least one coverage")
    bad = [v for v in values if not 0.0 < v <= 1.0 or np.isnan(v)]
    if bad:
        raise ValueError(f"p: coverages must be in (0, 1], not {bad}")
    return values


def days_of_cover(stock_t: np.ndarray | float, consumption_t: np.ndarray | float) -> np.ndarray:
    """Days of apparent consumption a stock covers: ``stock / (consumption / 365)``, NaN if use <= 0."""
    stock = np.asarray(stock_t, dtype=float)
    use = np.asarray(consumption_t, dtype=float)
    daily = use / DAYS_PER_YEAR
    return np.divide(stock, daily, out=np.full(np.broadcast(stock, use).shape, np.nan), where=daily > 0)


def size_stockpile(
    losses: np.ndarray,
    countries: Sequence[str],
    consumption_t: Mapping[str, float],
    *,
    partners: Sequence[str] | None = None,
    p: float | Sequence[float] = DEFAULT_P,
    network: str = "",
    provenance: str = "",
) -> pd.DataFrame:
    """Stockpile per partner and pooled that covers the loss in a share ``p`` of the simulated years.

    Parameters
    ----------
    losses
        ``(draws, countries)`` losses in tonnes over a year (``MonteCarloResult.losses[label]``).
    countries
        The column order of ``losses`` (``MonteCarloResult.countries``).
    consumption_t
        Apparent consumption in tonnes a year per partner (the Monte Carlo summary's ``consumption_t``).
    partners
        The partners to size for and pool (default: every column).
    p
        One coverage or several, each in (0, 1].
    network, provenance
        The network label and the provenance of the losses, carried on every row.

    Returns
    -------
    DataFrame
        One row per ``p`` and partner, then the ``POOLED`` row: ``network, p, partner, members``
        (the pooled partners, ``+``-joined), ``consumption_t``, ``stock_t`` (the p-quantile),
        ``days_of_cover``, and on the pooled row ``sum_individual_t``, ``pooling_saving_t`` and
        ``pooling_saving_pct`` (percent of the sum of individual stocks), ``draws``, ``note``,
        ``provenance``.
    """
    loss = np.asarray(losses, dtype=float)
    if loss.ndim != 2 or loss.shape[0] == 0:
        raise ValueError(f"losses: expected a (draws, countries) array with draws, got shape {loss.shape}")
    names = [str(c) for c in countries]
    if loss.shape[1] != len(names):
        raise ValueError(f"countries: {len(names)} names for {loss.shape[1]} columns of losses")
    if np.isnan(loss).any() or (loss < 0).any():
        raise ValueError("losses: must be non-negative tonnes without NaN")
    chosen = list(partners) if partners is not None else names
    if not chosen:
        raise ValueError("partners: name at least one partner")
    unknown = [c for c in chosen if c not in names]
    if unknown:
        raise ValueError(f"partners: {unknown} are not columns of losses ({names})")
    missing = [c for c in chosen if c not in consumption_t]
    if missing:
        raise ValueError(f"consumption_t: no apparent consumption for {missing}")
    coverages = _coverages(p)
    columns = loss[:, [names.index(c) for c in chosen]]
    use = np.array([float(consumption_t[c]) for c in chosen])
    individual = np.quantile(columns, coverages, axis=0)  # (len(p), partners)
    pooled = np.quantile(columns.sum(axis=1), coverages)
    rows: list[dict[str, Any]] = []
    members = "+".join(chosen)
    for i, cover in enumerate(coverages):
        for j, code in enumerate(chosen):
            rows.append(
                {
                    "p": cover,
                    "partner": code,
                    "members": code,
                    "consumption_t": use[j],
                    "stock_t": individual[i, j],
                }
            )
        total = float(individual[i].sum())
        saving = total - float(pooled[i])
        rows.append(
            {
                "p": cover,
                "partner": POOLED,
                "members": members,
                "consumption_t": float(use.sum()),
                "stock_t": float(pooled[i]),
                "sum_individual_t": total,
                "pooling_saving_t": saving,
                "pooling_saving_pct": 100.0 * saving / total if total > 0 else np.nan,
            }
        )
    out = pd.DataFrame(rows)
    out["days_of_cover"] = days_of_cover(out["stock_t"].to_numpy(), out["consumption_t"].to_numpy())
    bad_use = ~(out["consumption_t"] > 0)
    note = np.where(bad_use, "apparent consumption <= 0 or unknown: days of cover undefined", "")
    costs_more = (out["partner"] == POOLED) & (out["pooling_saving_t"] < 0)
    out["note"] = np.where(
        costs_more, "pooled stock exceeds the sum of individual stocks: quantiles are not subadditive", note
    )
    out["network"] = network
    out["draws"] = loss.shape[0]
    out["provenance"] = provenance
    return out.reindex(columns=list(COLUMNS))


def size_from_montecarlo(
    result: MonteCarloResult,
    network: str,
    *,
    partners: Sequence[str] | None = None,
    p: float | Sequence[float] = DEFAULT_P,
) -> pd.DataFrame:
    """:func:`size_stockpile` on one network of a Monte Carlo result (consumption from its summary)."""
    if network not in result.losses:
        raise ValueError(f"network: {network!r} is not in the result ({sorted(result.losses)})")
    summary = result.summary[result.summary["network"] == network]
    consumption = dict(
        zip(summary["country"].astype(str), summary["consumption_t"].astype(float), strict=True)
    )
    prov = "; ".join(sorted({str(v) for v in summary["provenance"] if isinstance(v, str) and v}))
    return size_stockpile(
        result.losses[network],
        result.countries,
        consumption,
        partners=partners,
        p=p,
        network=network,
        provenance=prov,
    )


def check(
    run: Callable[..., MonteCarloResult],
    sizes: pd.DataFrame,
    *,
    p: float,
    tolerance: float = 1e-3,
) -> pd.DataFrame:
    """Re-run the Monte Carlo with each partner holding its sized days of cover: how often is no loss left.

    Only the individual stocks are checked: the Monte Carlo holds stocks per country, so a pooled
    stock (drawn by whichever partner is short) has no counterpart there.

    Parameters
    ----------
    run
        The Monte Carlo call that produced the losses, with everything bound but ``stock_days``
        (e.g. ``functools.partial(run_montecarlo, db, ["IND", "JPN"], ["rare_earths"], n=20_000,
        seed=1)``): it must use the same seed and draws, so each year is the same year with stocks.
        Passed in so this package never reads the store itself.
    sizes
        Output of :func:`size_stockpile` for one network.
    p
        The coverage whose sizes to check (one of ``sizes["p"]``).
    tolerance
        A loss below ``tolerance`` × apparent consumption counts as covered.

    Returns
    -------
    DataFrame
        Per partner: ``network, p, partner, days_of_cover, stock_t, share_years_zero_loss``,
        ``share_years_below_tolerance`` (shares of the re-run's years, with the stocks; compare
        with ``p``), ``tolerance``, ``draws``, ``provenance``.
    """
    if not tolerance >= 0:
        raise ValueError(f"tolerance: must be >= 0, not {tolerance}")
    rows = sizes[(sizes["partner"] != POOLED) & np.isclose(sizes["p"].astype(float), p)]
    if rows.empty:
        raise ValueError(f"p: no individual stock sized at p={p} in sizes")
    networks = rows["network"].unique()
    if len(networks) != 1:
        raise ValueError(f"sizes: give the sizes of one network, not {list(networks)}")
    network = str(networks[0])
    usable = rows[np.isfinite(rows["days_of_cover"].astype(float))]
    stock_days = dict(zip(usable["partner"].astype(str), usable["days_of_cover"].astype(float), strict=True))
    result = run(stock_days=stock_days)
    if network not in result.losses:
        raise ValueError(f"run: the re-run has no network {network!r} ({sorted(result.losses)})")
    loss = result.losses[network]
    out = []
    for row in usable.to_dict("records"):
        column = loss[:, list(result.countries).index(str(row["partner"]))]
        limit = tolerance * float(row["consumption_t"])
        out.append(
            {
                "network": network,
                "p": p,
                "partner": row["partner"],
                "days_of_cover": row["days_of_cover"],
                "stock_t": row["stock_t"],
                "share_years_zero_loss": float((column <= 0).mean()),
                "share_years_below_tolerance": float((column <= limit).mean()),
                "tolerance": tolerance,
                "draws": len(column),
                "provenance": row["provenance"],
            }
        )
    return pd.DataFrame(out)
