"""Frames to the terminal or to files: Rich tables, CSV, JSON and Parquet.

pandas, Rich's tables and its progress bars are imported where they are used, so the command
line starts without them (``critmin --help``; ``critmin data status`` shows rows read without
pandas through :func:`show_cells`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress
    from rich.table import Table

console = Console(width=None if sys.stdout.isatty() else 200)
errors = Console(stderr=True)


class Format(StrEnum):
    """Output formats of frame-returning commands."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


def number(value: float) -> str:
    """A float as table cells show it: 4 significant digits below 1, thousands separated from 1,000."""
    return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _cell(value: Any) -> str:
    import pandas as pd

    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat(sep=" ")
    if isinstance(value, float):
        return number(value)
    return str(value)


def table_of(
    title: str | None, columns: Sequence[Any], rows: Iterable[Sequence[str]], percent: tuple[str, ...] = ()
) -> Table:
    """A Rich table of cells already formatted, columns folded, the ``percent`` ones right-aligned."""
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(str(column), overflow="fold", justify="right" if column in percent else "left")
    for row in rows:
        table.add_row(*row)
    return table


def show(
    frame: pd.DataFrame,
    fmt: Format = Format.table,
    *,
    title: str | None = None,
    out: Path | None = None,
    percent: tuple[str, ...] = (),
) -> None:
    """Print or write a frame in the chosen format (Parquet needs ``out``).

    Columns named in ``percent`` hold fractions and are shown as percentages in tables only;
    files keep the fractions.
    """
    import pandas as pd

    if fmt is Format.table:
        cells = (
            [
                f"{v:.1%}" if c in percent and isinstance(v, float) and not pd.isna(v) else _cell(v)
                for c, v in zip(frame.columns, row, strict=True)
            ]
            for row in frame.itertuples(index=False)
        )
        table = table_of(title, list(frame.columns), cells, percent)
        console.print(table)
        return
    if fmt is Format.parquet:
        if out is None:
            raise ValueError("--format parquet needs --out FILE")
        frame.to_parquet(out, index=False)
        return
    text = (
        frame.to_csv(index=False) if fmt is Format.csv else frame.to_json(orient="records", date_format="iso")
    )
    if out is not None:
        out.write_text(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def show_json(payload: dict[str, Any]) -> None:
    """Print a JSON document (dates and numpy numbers made serialisable)."""
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")


def byte_progress() -> Progress:
    """A transient progress bar counting bytes (downloads, imports of large files)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
