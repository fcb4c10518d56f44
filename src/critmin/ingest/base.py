"""What every importer returns, and the registry of importers.

An importer parses one raw file into canonical frames (see :mod:`critmin.schema`) and
nothing else: it does not touch the store. ``parse(path, **options)`` returns a
:class:`Parsed`, or raises :class:`~critmin.errors.IngestError` naming the file, line and
field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True)
class SourceInfo:
    """A publisher's dataset as cited: who, what, under which licence."""

    source: str
    title: str
    publisher: str
    licence: str
    citation: str
    url: str
    bundled: bool


@dataclass
class Parsed:
    """One raw file parsed into canonical tables, with what the vintage needs to know.

    ``tables`` maps a canonical table name to a frame whose columns are exactly that table's
    columns (:attr:`critmin.schema.Table.column_names`), in any order. Large tables may be
    Arrow tables instead of pandas frames.
    """

    info: SourceInfo
    dataset: str
    release: str
    release_date: date
    path: Path
    sha256: str
    tables: dict[str, pd.DataFrame | pa.Table]
    notes: str = ""
    counts: dict[str, int] = field(default_factory=dict)


class Importer(Protocol):
    """A module or object that can parse files of one source."""

    INFO: SourceInfo

    def parse(self, path: Path, **options: object) -> Parsed:
        """Parse one file of this source."""
        ...


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


ProgressCallback = Callable[[int, int], None]
"""Called with (bytes done, bytes total) while a large file is read."""
