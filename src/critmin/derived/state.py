"""The data state the derived tables belong to, and whether a store's tables are fresh."""

from __future__ import annotations

import functools
import hashlib

from critmin.data import reference_path
from critmin.store import Store

DERIVED_VERSION = 4
"""Bumped whenever the derived computation or the derived tables' columns change."""


@functools.cache
def reference_digest() -> str:
    """SHA-256 (first 12 hex digits) of the package's reference CSVs the computation reads.

    The criticality parameters and the aggregate codes live in the package, not in the store's
    catalog: a new critmin release that changes them makes the stored derived tables stale.
    """
    folder = reference_path("commodities.csv").parent
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.csv")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def version_tag() -> str:
    """Names the computation: :data:`DERIVED_VERSION` and :func:`reference_digest`."""
    return f"v{DERIVED_VERSION}.{reference_digest()}"


def expected_state(store: Store) -> str:
    """The state the derived tables of ``store`` must carry to be fresh: computation and data hash."""
    return f"{version_tag()}-{store.data_state()}"


def is_fresh(store: Store) -> bool:
    """True when the store's derived tables were computed from its current data by this version."""
    data, recorded = store.states()
    return recorded is not None and recorded == f"{version_tag()}-{data}"
