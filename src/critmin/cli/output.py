"""Frames to the terminal or to files: Rich tables, CSV, JSON and Parquet."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

console = Console(width=None if sys.stdout.isatty() else 200)
errors = Console(stderr=True)


class Format(StrEnum):
    """Output formats of frame-returning commands."""

    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat(sep=" ")
    if isinstance(value, float):
        return (
            f"{value:,.4g}" if abs(value) < 1 else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
        )
    return str(value)


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
    if fmt is Format.table:
        table = Table(title=title, show_lines=False)
        for column in frame.columns:
            table.add_column(str(column), overflow="fold", justify="right" if column in percent else "left")
        for row in frame.itertuples(index=False):
            table.add_row(
                *(
                    f"{v:.1%}" if c in percent and isinstance(v, float) and not pd.isna(v) else _cell(v)
                    for c, v in zip(frame.columns, row, strict=True)
                )
            )

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
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
