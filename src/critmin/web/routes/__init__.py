"""The app's routers: the REST API under ``/api`` and the dashboard pages."""

from __future__ import annotations

from fastapi import APIRouter

from critmin.web.routes import (
    assets,
    data,
    events,
    jobs,
    metrics,
    pages,
    partnership,
    scenarios,
    sealanes,
    system,
)

ROUTERS: tuple[APIRouter, ...] = (
    system.router,
    data.router,
    metrics.router,
    sealanes.router,
    scenarios.router,
    partnership.router,
    events.router,
    jobs.router,
    assets.router,
    pages.router,
)
