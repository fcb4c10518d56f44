"""Named exceptions of critmin.

Every error that reaches a user names what went wrong and where: the file, the line
and the field, or the first offending rows with a count of how many failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class CritminError(Exception):
    """Base class of every error critmin raises on purpose."""


class IngestError(CritminError):
    """A source file could not be imported; nothing was written."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        where = ", ".join(
            part
            for part in (
                path and f"file {path}",
                line is not None and f"line {line}",
                column and f"column {column!r}",
            )
            if part
        )
        super().__init__(f"{where}: {message}" if where else message)

    @classmethod
    def from_rows(
        cls,
        message: str,
        rows: pd.DataFrame,
        *,
        total: int,
        path: str | None = None,
        column: str | None = None,
        show: int = 10,
    ) -> IngestError:
        """Build an error that shows the first offending rows and how many there are.

        Parameters
        ----------
        message
            What is wrong with the rows.
        rows
            The offending rows; a ``_line`` column, when present, gives their line in the file.
        total
            How many rows were checked, for the "n of m" count.
        path, column
            Where the rows come from.
        show
            How many rows to print.
        """
        shown = rows.head(show).to_string(index=False)
        first_line = int(rows["_line"].iloc[0]) if "_line" in rows.columns and len(rows) else None
        text = f"{message} ({len(rows)} of {total} rows); first offending rows:\n{shown}"
        return cls(text, path=path, line=first_line, column=column)


class UnknownNamesError(IngestError):
    """Names (countries, commodities, categories) that could not be placed."""

    def __init__(self, kind: str, names: Sequence[str], *, path: str | None = None) -> None:
        self.names = sorted(set(names))
        listing = ", ".join(repr(n) for n in self.names[:40])
        more = f" and {len(self.names) - 40} more" if len(self.names) > 40 else ""
        super().__init__(
            f"{len(self.names)} {kind} name(s) could not be placed: {listing}{more}. "
            f"Add them to the {kind} reference table or the source's mapping.",
            path=path,
        )


class StoreError(CritminError):
    """The store cannot be opened or used as asked."""


class SchemaVersionError(StoreError):
    """The store was written by another version of critmin's schema."""


class VintageError(StoreError):
    """A vintage asked for does not exist."""


class FetchError(CritminError):
    """A download from a publisher failed or did not match the expected format."""
