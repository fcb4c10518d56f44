"""The partnership page's simulated studies (projects, sourcing) as jobs, each run once per store state.

A page never computes a Monte Carlo or an optimiser while the reader waits: it shows what a
finished job holds, and otherwise a placeholder whose script (``static/app.js``) asks
``POST /fragments/study`` to start the job, polls it, and inserts its fragment. The same study
(kind, parameters, store state) is submitted once; a failed job, or one the manager no longer
keeps, is submitted again when asked.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from critmin.web.jobs import ACTIVE, Job, JobManager, UnknownJobError

PROJECT_DRAWS = 2000
SOURCING_DRAWS = 4000
SOURCING_COMMODITY = "rare_earths"
KINDS = ("projects", "sourcing")


@dataclass(frozen=True)
class Study:
    """One study a page offers: the job kind, its parameters, and where its placeholder sits."""

    kind: str
    params: dict[str, Any]
    label: str

    @property
    def token(self) -> str:
        """The study as the placeholder's form carries it."""
        return json.dumps({"kind": self.kind, "params": self.params}, sort_keys=True)


def projects_study(a: str, b: str) -> Study:
    """The bundled candidate projects ranked for the two partners."""
    params = {"partners": [a, b], "n": PROJECT_DRAWS, "seed": 0, "year": None, "projects": None}
    return Study("projects", params, f"Ranking the candidate projects for {a} and {b}")


def sourcing_study(importer: str) -> Study:
    """One partner's rare-earth sourcing frontier."""
    params = {
        "importer": importer,
        "commodity": SOURCING_COMMODITY,
        "stage": None,
        "n": SOURCING_DRAWS,
        "seed": 0,
        "year": None,
        "alpha": 0.95,
        "max_share": 1.0,
        "points": 8,
    }
    return Study("sourcing", params, f"Tracing {importer}'s sourcing frontier")


def parse(token: str) -> Study:
    """The study a placeholder's form names; ValueError if it is not one a page offers."""
    try:
        given = json.loads(token)
        kind, params = given["kind"], given["params"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("study: not a study of this page") from None
    if kind == "projects" and isinstance(params, dict) and len(params.get("partners") or []) == 2:
        a, b = (str(p) for p in params["partners"])
        study = projects_study(a, b)
    elif kind == "sourcing" and isinstance(params, dict):
        study = sourcing_study(str(params.get("importer")))
    else:
        raise ValueError("study: not a study of this page")
    if study.params != params:
        raise ValueError("study: only the page's own parameters can be run")
    return study


class StudyJobs:
    """Which job holds each study, per store state."""

    def __init__(self, manager: JobManager) -> None:
        self.manager = manager
        self._ids: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def find(self, study: Study, state: str) -> Job | None:
        """The job of this study on this store state, if one was submitted and is still kept."""
        with self._lock:
            job_id = self._ids.get((study.token, state))
        if job_id is None:
            return None
        try:
            return self.manager.get(job_id)
        except UnknownJobError:
            return None

    def start(self, study: Study, state: str) -> Job:
        """The study's job: the one running or done, else a new one."""
        with self._lock:
            job_id = self._ids.get((study.token, state))
            if job_id is not None:
                try:
                    job = self.manager.get(job_id)
                    if job.status in ACTIVE or job.status == "done":
                        return job
                except UnknownJobError:
                    pass
            job = self.manager.submit(study.kind, study.params)
            self._ids[(study.token, state)] = job.id
            return job
