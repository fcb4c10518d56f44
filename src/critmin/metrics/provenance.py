"""Provenance of computed figures: which sources, releases and vintages a number was built from.

Frames read through :mod:`critmin.api` carry ``source``, ``release`` and ``vintage_id`` per
row. A metric that aggregates rows keeps that trail in one text column, ``provenance``,
formatted ``source release #vintage_id`` and joined with ``"; "`` (sorted, no repeats), e.g.
``"usgs_mcs MCS2026 #347; wgi WGI 2024 update #3"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

PROVENANCE = "provenance"
SEPARATOR = "; "


def tags(frame: pd.DataFrame) -> pd.Series:
    """One provenance tag per row (``source release #vintage_id``); an existing ``provenance`` column wins."""
    if PROVENANCE in frame.columns:
        return frame[PROVENANCE].astype(str)
    missing = [c for c in ("source", "release", "vintage_id") if c not in frame.columns]
    if missing:
        raise KeyError(f"frame has no provenance columns {missing}; read it through critmin.api")
    return (
        frame["source"].astype(str)
        + " "
        + frame["release"].astype(str)
        + " #"
        + frame["vintage_id"].astype(str)
    )


def join(values: Iterable[str]) -> str:
    """Join provenance texts into one, sorted and without repeats."""
    parts = {part for value in values if isinstance(value, str) and value for part in value.split(SEPARATOR)}
    return SEPARATOR.join(sorted(parts))


def by_group(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """The joined provenance of each group of ``frame``: columns ``keys`` and ``provenance``."""
    tagged = frame[list(keys)].assign(**{PROVENANCE: tags(frame)})
    return tagged.groupby(list(keys), dropna=False, sort=False)[PROVENANCE].agg(join).reset_index()


def combine(*columns: pd.Series) -> pd.Series:
    """Row-wise union of several aligned provenance columns."""
    frame = pd.concat(columns, axis=1)
    return frame.apply(lambda row: join(row.dropna()), axis=1)
