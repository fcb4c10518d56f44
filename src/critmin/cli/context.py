"""State shared by the commands (the store path) and the error guard.

The API (DuckDB and the store) is imported when a command opens the store, not with the
command line, so that ``critmin --help`` loads neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.text import Text

from critmin.cli.output import errors
from critmin.errors import CritminError

if TYPE_CHECKING:
    from critmin.api import Critmin


@dataclass
class State:
    """Options of the root command."""

    db: Path | None = None

    def open(self, *, init: bool = True) -> Critmin:
        """Open the store (creating it from the bundled dataset when it is new)."""
        from critmin.api import open

        return open(self.db, init=init)


def run_guarded(job: Callable[[], None]) -> None:
    """Run a command body; a critmin error prints its message (no traceback) and exits 1."""
    try:
        job()
    except CritminError as exc:
        errors.print(Text("error: ", style="bold red") + Text(str(exc)), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
