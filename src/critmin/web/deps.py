"""Dependencies the routes share: the store (read-only), the job manager, the limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from critmin.api import Critmin
from critmin.api import open as open_store
from critmin.web.config import Limits
from critmin.web.jobs import JobManager


def store(request: Request) -> Critmin:
    """The server's store; every read opens its own read-only connection."""
    return open_store(request.app.state.config.db_path, init=False)


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
