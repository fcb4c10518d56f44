"""Package data: reference tables (``reference/``) and the bundled default dataset (``bundle/``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def reference_path(name: str) -> Path:
    """Path of a bundled reference table, e.g. ``reference_path("commodities.csv")``."""
    return Path(str(resources.files("critmin").joinpath("data").joinpath("reference").joinpath(name)))


def bundle_dir() -> Path:
    """Folder of the bundled default dataset (Parquet files and attribution)."""
    return Path(str(resources.files("critmin").joinpath("data").joinpath("bundle")))


def read_reference(name: str) -> pd.DataFrame:
    """Read a reference CSV with every column as text and no value read as missing.

    Explicit text types keep codes such as Namibia's ``NA`` and HS codes with leading zeros
    intact.
    """
    import pandas as pd

    return pd.read_csv(reference_path(name), dtype=str, keep_default_na=False)
