"""The DuckDB gateway: schema, vintages and provenance; the only code that talks to DuckDB files.

Layering rule: ``critmin.store`` may import ``critmin.schema`` and ``critmin.errors`` and
the parsed results of ``critmin.ingest``; nothing above the store writes SQL.
"""

from critmin.store.gateway import Store

__all__ = ["Store"]
