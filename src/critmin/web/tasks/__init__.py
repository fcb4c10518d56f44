"""The tasks jobs run, by kind; each runs in a worker process on the store at ``db_path``.

One module per family registers its tasks with :func:`task`: ``scenario`` (deterministic
scenarios), ``analysis`` (Monte Carlo, sourcing, stockpiles, projects, briefs), ``data`` (imports).

A task takes ``(db_path, params, report)`` and returns named results: DataFrames (served as JSON,
CSV or Parquet), lists of notes, or files as bytes. ``params`` were validated by the endpoint that
submitted the job; a task may still raise :class:`~critmin.errors.CritminError` with a message for
the client.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from critmin.web.jobs import Task

TASKS: dict[str, Task] = {}


def task(kind: str) -> Callable[[Task], Task]:
    """Register a task under ``kind``."""

    def register(function: Task) -> Task:
        TASKS[kind] = function
        return function

    return register


def open_store(db_path: Path) -> Any:
    """The store, opened for reading (it must exist)."""
    import critmin

    return critmin.open(db_path, init=False)


# The task modules register themselves on import; this must stay after `task` is defined.
from critmin.web.tasks import analysis, data, scenario  # noqa: E402, F401
