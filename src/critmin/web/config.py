"""What a server instance works on and the bounds it enforces."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    """Bounds on requests, so one client cannot exhaust the server."""

    max_rows: int = 10_000
    """Rows one list request may return (``limit``)."""
    max_body_bytes: int = 2_000_000
    """Request bodies larger than this are refused (413) before they are read."""
    max_upload_bytes: int = 200_000_000
    """Largest file an import may upload."""
    max_draws: int = 200_000
    """Monte Carlo draws per network in one job."""
    max_events: int = 50
    """Events in one scenario spec."""
    max_commodities: int = 10
    """Commodities (networks) in one Monte Carlo job."""
    max_partners: int = 8
    max_projects: int = 20
    max_jobs: int = 8
    """Jobs queued or running at once; more are refused (429)."""
    kept_jobs: int = 50
    """Finished jobs whose results are kept (oldest dropped first)."""


@dataclass(frozen=True)
class WebConfig:
    """A server instance: which store, which token, which bounds, how many job workers."""

    db_path: Path
    token_file: Path
    limits: Limits = field(default_factory=Limits)
    workers: int = 1
    """Worker processes running jobs (Monte Carlo, scenarios, briefs, imports)."""
    readers: int = 8
    """Read-only store connections kept open and reused across requests (0: one opened per request)."""
    precomputed: bool = True
    """Pages and profiles read the store's derived tables (False: computed on demand, as before)."""
    cache_responses: bool = True
    """Repeated GETs are answered from memory while the store is unchanged (:mod:`critmin.web.cache`)."""

    @classmethod
    def baseline(cls, db_path: Path, token_file: Path, *, workers: int = 1) -> WebConfig:
        """The server as it was before reads were made fast: the benchmarks' in-run baseline."""
        return cls(db_path, token_file, workers=workers, readers=0, precomputed=False, cache_responses=False)
