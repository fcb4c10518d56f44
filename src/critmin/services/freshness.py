"""Whether a handle's derived tables may be read, and the data state key, cached per file identity."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from critmin.api import Critmin
from critmin.derived.state import DERIVED_VERSION, version_tag
from critmin.store.gateway import FilterValue

_CACHE: dict[tuple[str, tuple[int, int, int]], tuple[str, bool]] = {}
_LOCK = threading.Lock()
_CACHE_SIZE = 64


def _identity(path: os.PathLike[str] | str) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _state(db: Critmin) -> tuple[str, bool]:
    """``(state key, derived tables fresh)`` of the store, computed once per state of its file.

    Both come from one connection (one state of the file); the result is cached under the
    file's identity only when that identity is the same before and after the read, so an
    import that replaces the file meanwhile is never cached under the old one.
    """
    before = _identity(db.path)
    if before is None:
        return "missing", False
    key = (str(db.path), before)
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None:
        return hit
    data, recorded = db.store.states()
    expected = f"{version_tag()}-{data}"
    found = (expected, recorded == expected)
    if _identity(db.path) == before:
        with _LOCK:
            if len(_CACHE) >= _CACHE_SIZE:
                _CACHE.clear()
            _CACHE[key] = found
    return found


def state_key(db: Critmin) -> str:
    """A text naming the store's data state (derived version and a hash of its vintages and catalog).

    Two handles on stores with the same data give the same key; an import that adds a vintage
    changes it. Cheap: one ``os.stat`` while the file is unchanged.
    """
    return _state(db)[0]


def uses_derived(db: Critmin) -> bool:
    """True when ``db`` reads derived tables (not ``derived=False``) and they are fresh."""
    return bool(db.derived) and _state(db)[1]


def read_derived(
    db: Critmin,
    name: str,
    filters: Mapping[str, FilterValue] | None = None,
    *,
    order: Sequence[str] = (),
    columns: Sequence[str] | None = None,
    distinct: bool = False,
) -> pd.DataFrame | None:
    """Rows of a derived table if ``db`` reads derived tables and they are fresh, else ``None``.

    :func:`uses_derived` answers from its cache; the read itself checks freshness again on the
    connection it reads with (:meth:`critmin.store.Store.read_fresh`), so rows of a stale table
    are never returned, even when an import replaced the file between the two. Missing text
    comes back as NaN (:func:`nan_for_none`).
    """
    if not uses_derived(db):
        return None
    rows = db.store.read_fresh(name, version_tag(), filters, order=order, columns=columns, distinct=distinct)
    return None if rows is None else nan_for_none(rows)


def nan_for_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Missing text as NaN, as the on-demand frames have it (DuckDB gives ``None``)."""
    for column in frame.columns:
        if frame[column].dtype == object:
            values = frame[column]
            if values.isna().any():
                frame[column] = values.where(values.notna(), np.nan)
    return frame


__all__ = ["DERIVED_VERSION", "nan_for_none", "read_derived", "state_key", "uses_derived"]
