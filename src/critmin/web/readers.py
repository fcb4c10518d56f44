"""The server's handle on its store: one pooled, read-only :class:`~critmin.api.Critmin` for every request.

With ``WebConfig.readers`` > 0 the handle keeps that many read-only DuckDB connections open and
reuses them across requests; the pool notices when an import has replaced the store file and
moves new readers to the new file while requests still reading the old one finish
(:mod:`critmin.store.pool`). With 0 every request opens its own connection, as before.
"""

from __future__ import annotations

import threading

from critmin.api import Critmin
from critmin.api import open as open_store
from critmin.web.config import WebConfig


class Readers:
    """The store handle of one server, made on first use and closed with the server."""

    def __init__(self, config: WebConfig) -> None:
        self.config = config
        self._db: Critmin | None = None
        self._lock = threading.Lock()

    def get(self) -> Critmin:
        """The handle every request reads through."""
        if self._db is None:
            with self._lock:
                if self._db is None:
                    self._db = open_store(
                        self.config.db_path,
                        init=False,
                        pool_size=self.config.readers,
                        derived=self.config.precomputed,
                    )
        return self._db

    def close(self) -> None:
        """Close the pooled connections (a later :meth:`get` opens new ones)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
