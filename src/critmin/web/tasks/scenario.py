"""Deterministic scenario runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from critmin.web.jobs import Report
from critmin.web.tasks import open_store, task


@task("scenario")
def scenario(db_path: Path, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """A deterministic scenario: ``{"spec": {...}}`` or ``{"shipped": id}``."""
    from critmin.scenarios.library import load_shipped
    from critmin.scenarios.run import run_scenario
    from critmin.scenarios.spec import parse_scenario

    spec = (
        load_shipped(params["shipped"]) if params.get("shipped") else parse_scenario(params["spec"], "spec")
    )
    report(0.1, f"running {spec.name}")
    result = run_scenario(open_store(db_path), spec)
    return {
        "countries": result.countries,
        "through": result.through,
        "flows": result.flows,
        "notes": list(result.notes),
    }
