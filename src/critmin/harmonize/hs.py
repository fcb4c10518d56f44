"""HS product codes to catalog commodities and stages: one exhaustive table per nomenclature.

``data/reference/hs_codes.csv`` has one row per (nomenclature, hs6) with the columns
``commodity, stage, nomenclature, hs6, confidence, description, note``. ``confidence`` says how
well the code stands for the commodity at that stage: ``exact`` (the code is that product),
``dominant`` (mostly it) or ``proxy`` (a related or broader product). A ``commodity`` of ``-``
lists a code on purpose without a commodity (the note says why).

HS92 rows cover every code of the BACI HS92 minerals extract (stages from the GeoPolRisk
World Mining Data map: Extraction -> mine, Processing -> refinery, with ore codes kept at mine
and unwrought aluminium at smelter); HS17 rows cover the critical-materials atlas codes with
its confidence flags. Full BACI files hold all ~5,000 products, so importers do not require
every code to be here; analyses that need a commodity call :func:`commodity_for_hs`.
"""

from __future__ import annotations

import functools

import pandas as pd

from critmin.data import read_reference
from critmin.errors import UnknownNamesError

HS_COLUMNS = ("commodity", "stage", "nomenclature", "hs6", "confidence", "description", "note")
CONFIDENCE = ("exact", "dominant", "proxy")
NO_COMMODITY = "-"


@functools.cache
def hs_catalog() -> pd.DataFrame:
    """The HS code table (all text; ``hs6`` keeps its leading zeros)."""
    return read_reference("hs_codes.csv")[list(HS_COLUMNS)]


def commodity_for_hs(nomenclature: str, hs6: pd.Series, *, path: str | None = None) -> pd.DataFrame:
    """Commodity, stage and confidence of each HS6 code, in the order given.

    Parameters
    ----------
    nomenclature
        ``"HS92"``, ``"HS17"``, ...
    hs6
        Six-digit product codes as text.
    path
        The file the codes come from, named in the error.

    Returns
    -------
    pandas.DataFrame
        Columns ``hs6, commodity, stage, confidence``, one row per input code, same index.

    Raises
    ------
    UnknownNamesError
        Listing every code (as ``"HS92 260500"``) that the table does not map.
    """
    table = hs_catalog()
    table = table[table["nomenclature"] == nomenclature]
    codes = pd.DataFrame({"hs6": hs6.astype(str)})
    unknown = sorted(set(codes["hs6"]) - set(table["hs6"]))
    if unknown:
        raise UnknownNamesError("HS code", [f"{nomenclature} {code}" for code in unknown], path=path)
    found = codes.merge(table[["hs6", "commodity", "stage", "confidence"]], on="hs6", how="left")
    found.index = hs6.index
    return found
