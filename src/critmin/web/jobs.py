"""Jobs: long computations (scenarios, Monte Carlo, optimiser, briefs, imports) in worker processes.

A job is submitted with a kind (a task registered in :mod:`critmin.web.tasks`) and its JSON
parameters, and gets an id at once; the client polls :meth:`JobManager.get` for its status and
progress and fetches the result when it is done. Tasks run in a pool of ``spawn``-ed worker
processes, so a Monte Carlo never holds the server's event loop or its GIL. Workers report progress
through a queue that a thread of the server drains. Finished jobs keep their results in memory;
the oldest are dropped beyond ``Limits.kept_jobs``.
"""

from __future__ import annotations

import functools
import multiprocessing
import queue
import threading
import time
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from critmin.errors import CritminError

Report = Callable[[float, str], None]
"""``report(fraction_done, message)``: what a task calls to say how far it is."""
Task = Callable[[Path, dict[str, Any], Report], dict[str, Any]]
ACTIVE = ("queued", "running")


class JobError(CritminError):
    """A job cannot be submitted (unknown kind, too many running) or found."""


class JobLimitError(JobError):
    """Too many jobs queued or running."""


class UnknownJobError(JobError, KeyError):
    """No job of that id (never submitted, or dropped since)."""


@dataclass
class Job:
    """One submitted computation and what is known of it."""

    id: str
    kind: str
    params: dict[str, Any]
    status: str = "queued"
    """``queued``, ``running``, ``done`` or ``failed``."""
    progress: float = 0.0
    message: str = ""
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    result: dict[str, Any] | None = field(default=None, repr=False)
    error: str | None = None

    def public(self) -> dict[str, Any]:
        """What a client may see: no result body, no traceback."""
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "progress": round(self.progress, 4),
            "message": self.message,
            "submitted": self.submitted,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "results": sorted(self.result) if self.result else [],
        }


def _run(kind: str, db_path: str, params: dict[str, Any], job_id: str, updates: Any) -> dict[str, Any]:
    """Worker-process entry point: run one task, forwarding its progress reports."""
    from critmin.web.tasks import TASKS

    def report(fraction: float, message: str) -> None:
        updates.put((job_id, "running", max(0.0, min(1.0, float(fraction))), message))

    report(0.0, "started")
    return TASKS[kind](Path(db_path), params, report)


class JobManager:
    """Runs jobs in worker processes and keeps their state (thread-safe)."""

    def __init__(self, db_path: Path, *, workers: int = 1, max_jobs: int = 8, kept_jobs: int = 50) -> None:
        from critmin.web.tasks import TASKS

        self.tasks = TASKS
        self.db_path = db_path
        self.max_jobs = max_jobs
        self.kept_jobs = kept_jobs
        context = multiprocessing.get_context("spawn")
        self._manager = context.Manager()
        self._updates = self._manager.Queue()
        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._drain = threading.Thread(target=self._drain_updates, name="critmin-job-updates", daemon=True)
        self._drain.start()

    def submit(self, kind: str, params: dict[str, Any]) -> Job:
        """Queue a job; refuse an unknown kind or one job too many."""
        if kind not in self.tasks:
            raise JobError(f"kind: no task {kind!r} (tasks: {', '.join(sorted(self.tasks))})")
        with self._lock:
            active = sum(job.status in ACTIVE for job in self._jobs.values())
            if active >= self.max_jobs:
                raise JobLimitError(
                    f"{active} jobs are queued or running (at most {self.max_jobs}); try later"
                )
            job = Job(id=uuid.uuid4().hex, kind=kind, params=params)
            self._jobs[job.id] = job
            self._forget_old()
        future = self._pool.submit(_run, kind, str(self.db_path), params, job.id, self._updates)
        future.add_done_callback(functools.partial(self._finish, job.id))
        return job

    def get(self, job_id: str) -> Job:
        """The job of that id."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise UnknownJobError(
                f"no job {job_id!r} (finished jobs are kept until {self.kept_jobs} newer ones)"
            )
        return job

    def jobs(self) -> list[Job]:
        """All jobs kept, oldest first."""
        with self._lock:
            return list(self._jobs.values())

    def wait(self, job_id: str, timeout: float = 600.0) -> Job:
        """Block until the job has finished (for tests and the CLI), or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while self.get(job_id).status in ACTIVE and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.get(job_id)

    def shutdown(self) -> None:
        """Stop the workers (cancelling queued jobs) and the update thread."""
        self._closed.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._manager.shutdown()

    def _finish(self, job_id: str, future: Future[dict[str, Any]]) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            job.finished = time.time()
            if future.cancelled():
                job.status, job.error = "failed", "cancelled: the server is shutting down"
                return
            error = future.exception()
            if error is None:
                job.status, job.progress, job.message = "done", 1.0, "done"
                job.result = future.result()
            else:
                job.status = "failed"
                job.error = _public_error(error)

    def _drain_updates(self) -> None:
        while not self._closed.is_set():
            try:
                job_id, status, fraction, message = self._updates.get(timeout=0.2)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                return
            with self._lock:
                job = self._jobs.get(job_id)
                if job is None or job.status not in ACTIVE:
                    continue
                if job.started is None:
                    job.started = time.time()
                job.status, job.progress, job.message = status, fraction, message

    def _forget_old(self) -> None:
        finished = [key for key, job in self._jobs.items() if job.status not in ACTIVE]
        for key in finished[: max(0, len(finished) - self.kept_jobs)]:
            del self._jobs[key]


def _public_error(error: BaseException) -> str:
    """A task's failure as a client may see it: a critmin error's message, else only its type."""
    if isinstance(error, CritminError | ValueError):
        return str(error)
    traceback.print_exception(error)
    return f"internal error ({type(error).__name__}); see the server log"
