"""The importers by the name users type: ``critmin data import SOURCE PATH...``."""

from __future__ import annotations

import importlib
from types import ModuleType

from critmin.errors import CritminError

IMPORTERS: dict[str, str] = {
    "usgs-mcs": "critmin.ingest.usgs",
    "baci": "critmin.ingest.baci",
    "comtrade": "critmin.ingest.comtrade",
    "wgi": "critmin.ingest.wgi",
    "wmd": "critmin.ingest.wmd",
    "lists": "critmin.ingest.lists",
    "restrictions": "critmin.ingest.restrictions",
}
"""Source name -> module holding ``INFO`` and ``parse(path, **options)``."""


def importer(source: str) -> ModuleType:
    """The importer module of a source name, or an error listing the known names."""
    try:
        module_name = IMPORTERS[source]
    except KeyError:
        raise CritminError(f"unknown source {source!r}; choose from {', '.join(IMPORTERS)}") from None
    return importlib.import_module(module_name)
