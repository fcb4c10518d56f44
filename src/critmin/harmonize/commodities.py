"""Source names to catalog commodities, stages and forms: one exhaustive mapping per source.

Each source has a mapping file ``data/reference/names_<source>.csv`` with the columns
``source, source_name, detail, commodity, stage, form, note``. A row matches a record whose
name equals ``source_name`` (compared without case and surrounding blanks) and whose detail
equals ``detail``; a ``detail`` of ``*`` matches any detail. A row whose ``commodity`` is
``-`` drops the record on purpose (the note says why). A record no row matches stops the
import, and the error lists every unmapped (name, detail) pair.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from critmin.data import read_reference, reference_path
from critmin.errors import UnknownNamesError

NAME_COLUMNS = ("source", "source_name", "detail", "commodity", "stage", "form", "note")
DROP = "-"
"""The ``commodity`` value that drops a record on purpose."""


def mapping_files() -> list[Path]:
    """Every ``names_<source>.csv`` shipped with the package."""
    folder = reference_path("commodities.csv").parent
    return sorted(folder.glob("names_*.csv"))


@functools.cache
def all_names() -> pd.DataFrame:
    """Every source-name mapping row of every source, as one table of text."""
    frames = [read_reference(path.name) for path in mapping_files()]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=NAME_COLUMNS)
    return table[list(NAME_COLUMNS)]


@functools.cache
def catalog() -> pd.DataFrame:
    """The commodity catalog (``commodities.csv``)."""
    return read_reference("commodities.csv")


def _norm(values: pd.Series) -> pd.Series:
    return values.fillna("").astype(str).str.strip().str.lower().str.split().str.join(" ")


def map_names(
    source: str,
    names: pd.Series,
    details: pd.Series | None = None,
    *,
    path: str | None = None,
) -> pd.DataFrame:
    """Map source names (and details) to ``commodity``, ``stage`` and ``form``.

    Parameters
    ----------
    source
        The mapping's ``source`` value (``"usgs_mcs2026"``, ``"wmd"``, ...).
    names, details
        The record's name and detail as the source spells them, aligned on one index.
    path
        The file being imported, named in the error.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``names``, columns ``commodity``, ``stage``, ``form`` and ``keep``
        (False for records dropped on purpose).

    Raises
    ------
    UnknownNamesError
        Listing every (name, detail) that no mapping row matches.
    """
    table = all_names()
    table = table[table["source"] == source]
    exact = table[table["detail"] != "*"]
    wildcard = table[table["detail"] == "*"]
    key_name = _norm(names)
    key_detail = _norm(details) if details is not None else pd.Series("", index=names.index)
    records = pd.DataFrame({"n": key_name, "d": key_detail}, index=names.index)
    exact_map = {
        (n, d): (c, s, f)
        for n, d, c, s, f in zip(
            _norm(exact["source_name"]),
            _norm(exact["detail"]),
            exact["commodity"],
            exact["stage"],
            exact["form"],
            strict=True,
        )
    }
    wild_map = {
        n: (c, s, f)
        for n, c, s, f in zip(
            _norm(wildcard["source_name"]),
            wildcard["commodity"],
            wildcard["stage"],
            wildcard["form"],
            strict=True,
        )
    }
    found = [
        exact_map.get((n, d)) or wild_map.get(n) for n, d in zip(records["n"], records["d"], strict=True)
    ]
    missing = [i for i, hit in enumerate(found) if hit is None]
    if missing:
        pairs = {
            f"{names.iloc[i]} / {details.iloc[i]}" if details is not None else str(names.iloc[i])
            for i in missing
        }
        raise UnknownNamesError(f"{source} commodity", sorted(pairs), path=path)
    out = pd.DataFrame(found, index=names.index, columns=["commodity", "stage", "form"])
    out["keep"] = out["commodity"] != DROP
    unknown_ids = set(out.loc[out["keep"], "commodity"]) - set(catalog()["commodity"])
    if unknown_ids:
        raise UnknownNamesError(
            "catalog commodity id (in names_" + source + ".csv)", sorted(unknown_ids), path=path
        )
    return out
