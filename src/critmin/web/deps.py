"""Dependencies the routes share: the store (read-only), the job manager, the limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from critmin.api import Critmin
from critmin.api import open as open_store
from critmin.web.cache import store_state
from critmin.web.config import Limits
from critmin.web.jobs import JobManager
from critmin.web.readers import Readers

KEY_SEPARATOR = "#"


def reader(request: Request) -> Critmin:
    """The server's store, read through its pool of read-only connections (:mod:`critmin.web.readers`)."""
    readers: Readers = request.app.state.readers
    return readers.get()


def store(request: Request) -> Critmin:
    """The server's store (the ``Store`` dependency of the API's routes)."""
    return reader(request)


def store_key(request: Request) -> str:
    """The store's path with its file's identity (inode, modification time, size): a key an import changes.

    An import replaces the store file (:meth:`critmin.api.Critmin.import_files_on_copy`), so
    anything cached under the old key is never served for the new store.
    """
    path = request.app.state.config.db_path
    return f"{path}{KEY_SEPARATOR}{store_state(path)}"


def keyed_store(key: str) -> Critmin:
    """The store a :func:`store_key` names, opened for reading."""
    return open_store(key.rsplit(KEY_SEPARATOR, 1)[0], init=False)


def jobs(request: Request) -> JobManager:
    """The server's job manager."""
    manager: JobManager = request.app.state.jobs
    return manager


def limits(request: Request) -> Limits:
    """The server's bounds."""
    bounds: Limits = request.app.state.config.limits
    return bounds


Store = Annotated[Critmin, Depends(store)]
Jobs = Annotated[JobManager, Depends(jobs)]
Bounds = Annotated[Limits, Depends(limits)]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")]
Limit = Annotated[int, Query(ge=1, le=10_000, description="Rows to return (at most 10,000).")]
