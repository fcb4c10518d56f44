r"""Product exposure: a product mix becomes mineral needs, their import exposure and their scenario loss.

For a mix of products :math:`p` in quantities :math:`q_p` (in the intensity's unit: kWh of cell
capacity, vehicles, motors, MW...) and the bundled intensities :math:`m_{p,g}` (kg of commodity
:math:`g` per unit, ``material_intensity.csv``):

.. math::

    N_g = \sum_p q_p \, m_{p,g} / 1000 \quad (\text{tonnes})

    N_{g,i} = N_g \, r_g \, s_{g,i}, \qquad L_g = N_g \, c_g

where :math:`s_{g,i}` is supplier :math:`i`'s share of the building country's imports of
:math:`g` (:func:`critmin.metrics.trade_exposure.import_shares`), :math:`r_g` the share of the
needs assumed imported (1 unless given, e.g. a net import reliance), and :math:`c_g` the country's
``share_of_consumption`` lost under a scenario (``run_scenario(...).countries``).

Every figure keeps its source: each needs line carries the intensity row's ``source``, ``url``,
``basis`` and ``note``. Pure functions on frames (see the package's layering rule).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from importlib import resources

import numpy as np
import pandas as pd

INTENSITY_COLUMNS = ("product", "unit", "commodity", "kg_per_unit", "basis", "source", "url", "note")
MIX_COLUMNS = ("product", "quantity", "unit")
NEEDS_COLUMNS = (
    "product",
    "quantity",
    "unit",
    "commodity",
    "kg_per_unit",
    "need_t",
    "basis",
    "source",
    "url",
    "note",
)


class ProductError(ValueError):
    """A product mix or an intensity table that cannot be used (the message names the field and row)."""


def check_intensities(table: pd.DataFrame, commodities: Collection[str] | None = None) -> pd.DataFrame:
    """Check intensities: columns, positive kg, a source and URL on every row, known commodities.

    Parameters
    ----------
    table
        Rows with :data:`INTENSITY_COLUMNS`.
    commodities
        Catalog commodity ids (``db.commodities()["commodity"]``); ``None`` skips that check.

    Returns
    -------
    DataFrame
        The table, ``kg_per_unit`` as float and text columns stripped.
    """
    missing = [c for c in INTENSITY_COLUMNS if c not in table.columns]
    if missing:
        raise ProductError(f"intensity table lacks columns {missing}")
    out = table[list(INTENSITY_COLUMNS)].copy()
    for col in ("product", "unit", "commodity", "basis", "source", "url", "note"):
        out[col] = out[col].fillna("").astype(str).str.strip()
    kg = pd.to_numeric(out["kg_per_unit"], errors="coerce")
    for i, (row, value) in enumerate(zip(out.to_dict("records"), kg.to_numpy(dtype=float), strict=True)):
        where = f"intensity row {i} ({row['product']}, {row['commodity']})"
        if not np.isfinite(value) or value <= 0:
            raise ProductError(f"{where}: kg_per_unit {row['kg_per_unit']!r} is not a positive number")
        for col in ("product", "unit", "commodity", "basis", "source"):
            if not row[col]:
                raise ProductError(f"{where}: {col} is empty")
        if not row["url"].startswith(("http://", "https://")):
            raise ProductError(f"{where}: url {row['url']!r} is not a web address")
        if commodities is not None and row["commodity"] not in set(commodities):
            raise ProductError(f"{where}: commodity {row['commodity']!r} is not in the catalog")
    dup = out.duplicated(["product", "commodity"], keep=False)
    if dup.any():
        pairs = sorted(set(zip(out.loc[dup, "product"], out.loc[dup, "commodity"], strict=True)))
        raise ProductError(f"intensity table repeats product and commodity {pairs}: needs would double count")
    units = out.groupby("product")["unit"].nunique()
    if (units > 1).any():
        raise ProductError(f"products with several units: {sorted(units[units > 1].index)}")
    out["kg_per_unit"] = kg.astype(float)
    return out.reset_index(drop=True)


def intensities(commodities: Collection[str] | None = None) -> pd.DataFrame:
    """The bundled, sourced material intensities (``critmin/data/reference/material_intensity.csv``), checked.

    Parameters
    ----------
    commodities
        Catalog commodity ids to check the ``commodity`` column against; by default the bundled
        catalog (``commodities.csv``).
    """
    ref = resources.files("critmin.data.reference")
    with ref.joinpath("material_intensity.csv").open(encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype={"kg_per_unit": str}, keep_default_na=False)
    if commodities is None:
        with ref.joinpath("commodities.csv").open(encoding="utf-8") as handle:
            commodities = set(pd.read_csv(handle)["commodity"].astype(str))
    return check_intensities(table, commodities)


def ev_mix(
    vehicles: float, pack_kwh: float, battery: str, *, motors_per_vehicle: float = 1.0
) -> pd.DataFrame:
    """A mix for ``vehicles`` EVs with ``pack_kwh`` packs of product ``battery`` and their traction motors.

    Example: ``ev_mix(100_000, 60, "battery_nmc811")`` is 6,000,000 kWh of ``battery_nmc811`` and
    100,000 ``ev_traction_motor``.
    """
    for name, value in (
        ("vehicles", vehicles),
        ("pack_kwh", pack_kwh),
        ("motors_per_vehicle", motors_per_vehicle),
    ):
        if not np.isfinite(value) or value < 0:
            raise ProductError(f"{name} must be a non-negative number, got {value!r}")
    rows = [(battery, vehicles * pack_kwh, "kWh")]
    if motors_per_vehicle > 0:
        rows.append(("ev_traction_motor", vehicles * motors_per_vehicle, "motor"))
    return pd.DataFrame(rows, columns=list(MIX_COLUMNS))


def check_mix(mix: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """Check a product mix (``product, quantity, unit``) against an intensity table.

    Raises :class:`ProductError` naming the row and field: missing columns, an unknown product, a
    unit that is not the product's intensity unit, a quantity that is negative or not a number.
    """
    missing = [c for c in MIX_COLUMNS if c not in mix.columns]
    if missing:
        raise ProductError(f"product mix lacks columns {missing} (expected {list(MIX_COLUMNS)})")
    units = table.groupby("product")["unit"].first()
    out = mix[list(MIX_COLUMNS)].copy()
    out["product"] = out["product"].astype(str).str.strip()
    out["unit"] = out["unit"].astype(str).str.strip()
    quantity = pd.to_numeric(out["quantity"], errors="coerce")
    for i, (row, value) in enumerate(
        zip(out.to_dict("records"), quantity.to_numpy(dtype=float), strict=True)
    ):
        where = f"mix row {i} ({row['product']})"
        if row["product"] not in units.index:
            raise ProductError(f"{where}: unknown product; known: {sorted(units.index)}")
        if not np.isfinite(value):
            raise ProductError(f"{where}: quantity {row['quantity']!r} is not a number")
        if value < 0:
            raise ProductError(f"{where}: quantity {value} is negative")
        if row["unit"] != units[row["product"]]:
            raise ProductError(
                f"{where}: unit {row['unit']!r} does not match the intensity unit {units[row['product']]!r}"
            )
    out["quantity"] = quantity.astype(float)
    return out.reset_index(drop=True)


def needs(mix: pd.DataFrame, table: pd.DataFrame | None = None) -> pd.DataFrame:
    r"""Mineral needs of a product mix, one line per product and commodity.

    .. math:: \text{need\_t} = \text{quantity} \times \text{kg\_per\_unit} / 1000

    Parameters
    ----------
    mix
        ``product, quantity, unit`` (see :func:`check_mix`, :func:`ev_mix`).
    table
        Intensities (default :func:`intensities`).

    Returns
    -------
    DataFrame
        :data:`NEEDS_COLUMNS`: each line keeps its intensity's basis, source, URL and note.
    """
    table = intensities() if table is None else check_intensities(table)
    checked = check_mix(mix, table)
    lines = checked.merge(table.drop(columns="unit"), on="product", how="left")
    lines["need_t"] = lines["quantity"] * lines["kg_per_unit"] / 1000.0
    return lines[list(NEEDS_COLUMNS)].reset_index(drop=True)


def needs_by_commodity(lines: pd.DataFrame) -> pd.DataFrame:
    """Needs summed per commodity (``commodity, need_t, products, sources``)."""
    return (
        lines.groupby("commodity", sort=True)
        .agg(
            need_t=("need_t", "sum"),
            products=("product", lambda p: "; ".join(sorted(set(p)))),
            sources=("source", lambda s: " | ".join(sorted(set(s)))),
        )
        .reset_index()
    )


def _latest_shares(shares: pd.DataFrame, country: str, year: int | None) -> pd.DataFrame:
    rows = shares[shares["importer"].astype(str) == country]
    if year is not None:
        return rows[rows["year"].astype(int) == int(year)]
    latest = rows.groupby(["commodity", "stage"])["year"].transform("max")
    return rows[rows["year"] == latest]


def import_exposure(
    lines: pd.DataFrame,
    shares: pd.DataFrame,
    country: str,
    *,
    year: int | None = None,
    reliance: Mapping[str, float] | None = None,
    top: int = 3,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    r"""The needs' import exposure in ``country``: tonnes expected from each supplier, and a summary.

    .. math:: N_{g,i} = N_g \, r_g \, s_{g,i}

    The needs are assumed sourced like the country's imports of each commodity and stage (the
    latest year in ``shares`` unless ``year``); ``r_g`` is ``reliance[g]`` (default 1: all
    imported).

    Parameters
    ----------
    lines
        :func:`needs` lines (or any frame with ``commodity, need_t``).
    shares
        :func:`critmin.metrics.trade_exposure.import_shares` rows (``importer, commodity, stage,
        year, exporter, share, basis, is_aggregate``).
    country
        The building country (importer code).

    Returns
    -------
    (suppliers, summary)
        ``suppliers``: ``commodity, stage, year, exporter, share, imported_t, is_aggregate, basis``;
        ``summary``: ``commodity, stage, year, need_t, reliance, imported_t, suppliers, hhi,
        top_suppliers`` (``"XXX 41%; ..."``), ``share_unattributed``, ``note``. A commodity the
        country does not import gets one summary row with NaN shares and a note.
    """
    total = needs_by_commodity(lines)[["commodity", "need_t"]]
    rel = reliance or {}
    for g, r in rel.items():
        if not 0 <= r <= 1:
            raise ProductError(f"reliance[{g!r}] = {r} is not a share between 0 and 1")
    total["reliance"] = total["commodity"].map(lambda g: float(rel.get(g, 1.0)))
    rows = _latest_shares(shares, country, year)
    sup = total.merge(
        rows[["commodity", "stage", "year", "exporter", "share", "basis", "is_aggregate"]],
        on="commodity",
        how="inner",
    )
    sup["imported_t"] = sup["need_t"] * sup["reliance"] * sup["share"]
    sup = sup.sort_values(
        ["commodity", "stage", "imported_t"], ascending=[True, True, False], ignore_index=True
    )

    summary_rows = []
    for g, need_t, r in total.itertuples(index=False):
        mine = sup[sup["commodity"] == g]
        if mine.empty:
            summary_rows.append(
                (
                    g,
                    "",
                    np.nan,
                    need_t,
                    r,
                    np.nan,
                    0,
                    np.nan,
                    "",
                    np.nan,
                    f"{country} has no imports of {g} in the shares given",
                )
            )
            continue
        for (stage, yr), grp in mine.groupby(["stage", "year"], sort=True):
            attributed = grp[~grp["is_aggregate"].astype(bool)]
            weights = (
                attributed["share"] / attributed["share"].sum() if len(attributed) else attributed["share"]
            )
            best = attributed.nlargest(top, "share")
            summary_rows.append(
                (
                    g,
                    stage,
                    int(yr),
                    need_t,
                    r,
                    float(grp["imported_t"].sum()),
                    len(attributed),
                    float((weights**2).sum()) if len(attributed) else np.nan,
                    "; ".join(f"{e} {s:.0%}" for e, s in zip(best["exporter"], best["share"], strict=True)),
                    float(grp.loc[grp["is_aggregate"].astype(bool), "share"].sum()),
                    "",
                )
            )
    summary = pd.DataFrame(
        summary_rows,
        columns=[
            "commodity",
            "stage",
            "year",
            "need_t",
            "reliance",
            "imported_t",
            "suppliers",
            "hhi",
            "top_suppliers",
            "share_unattributed",
            "note",
        ],
    )
    cols = ["commodity", "stage", "year", "exporter", "share", "imported_t", "is_aggregate", "basis"]
    return sup[cols], summary


def scenario_loss(lines: pd.DataFrame, countries: pd.DataFrame, country: str) -> pd.DataFrame:
    r"""The needs lost in ``country`` under a scenario: :math:`L_g = N_g \, c_g`.

    Parameters
    ----------
    lines
        :func:`needs` lines (``commodity, need_t``).
    countries
        ``run_scenario(...).countries`` (``network, commodity, country, share_of_consumption``).
    country
        The building country.

    Returns
    -------
    DataFrame
        ``commodity, network, need_t, share_of_consumption, loss_t, note``: a commodity with no
        network in the scenario, or a network that leaves the country untouched, loses 0 (the note
        says which); a NaN share (no consumption) gives a NaN loss.
    """
    for col in ("network", "commodity", "country", "share_of_consumption"):
        if col not in countries.columns:
            raise ProductError(f"scenario countries frame lacks column {col!r}")
    total = needs_by_commodity(lines)[["commodity", "need_t"]]
    rows = []
    for g, need_t in total.itertuples(index=False):
        nets = countries[(countries["commodity"].astype(str) == g) | (countries["network"].astype(str) == g)]
        if nets.empty:
            rows.append((g, "", need_t, 0.0, 0.0, "no network of this commodity in the scenario"))
            continue
        for net in sorted(nets["network"].astype(str).unique()):
            hit = nets[(nets["network"].astype(str) == net) & (nets["country"].astype(str) == country)]
            if hit.empty:
                rows.append((g, net, need_t, 0.0, 0.0, f"{country} untouched in this network"))
                continue
            share = float(hit["share_of_consumption"].iloc[0])
            rows.append((g, net, need_t, share, need_t * share, ""))
    return pd.DataFrame(
        rows, columns=["commodity", "network", "need_t", "share_of_consumption", "loss_t", "note"]
    )
