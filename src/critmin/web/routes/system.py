"""Health and version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from critmin import __version__
from critmin.web.deps import Store

router = APIRouter(prefix="/api", tags=["system"])


@router.get("/health")
def health(db: Store) -> dict[str, Any]:
    """The server is up and can read its store: version, schema version and vintage count."""
    return {
        "status": "ok",
        "version": __version__,
        "schema_version": db.store.schema_version(),
        "vintages": len(db.vintages()),
    }
