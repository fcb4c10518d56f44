"""Derived tables: what pages and profiles read, computed once per data state on every write.

:func:`refresh` computes the country profiles of every importer, year and method, the import
sources of every importer, and each mineral's producers, concentration and largest flows (see
``docs/derived.md``), and stores them with the data state they were computed from. It runs inside
each import's transaction (:meth:`critmin.store.Store.add`'s ``after`` hook) and after
``critmin data init``. :mod:`critmin.services` reads them when they are fresh.

Layering rule: this package reads through :mod:`critmin.api` and a store handed to it, and
computes with :mod:`critmin.metrics`; it writes no SQL and opens no DuckDB file.
"""

from critmin.derived.refresh import compute, refresh
from critmin.derived.state import DERIVED_VERSION, expected_state, is_fresh, version_tag

__all__ = ["DERIVED_VERSION", "compute", "expected_state", "is_fresh", "refresh", "version_tag"]
