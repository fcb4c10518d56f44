"""Health and version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from critmin import __version__
from critmin.schema import SCHEMA_VERSION
from critmin.web.cache import store_state

router = APIRouter(prefix="/api", tags=["system"])


@router.get("/health")
async def health(request: Request) -> dict[str, Any]:
    """The server is up: version, the schema version it reads, and whether its store file is there.

    It answers from memory (no store read), so a load balancer's probe costs nothing; the store's
    own state is at ``/api/status``.
    """
    return {
        "status": "ok",
        "version": __version__,
        "schema_version": SCHEMA_VERSION,
        "store": "missing" if store_state(request.app.state.config.db_path) == "missing" else "present",
    }
