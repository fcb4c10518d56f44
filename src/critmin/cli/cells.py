"""Rows read without pandas (:class:`~critmin.store.gateway.Rows`), shown as their frame would be.

``critmin data status`` reads its reports as plain rows so that it starts without pandas (most
of its time was that import). Its table and JSON must stay what they were when the rows went
through a DuckDB frame (``.df()``) and :func:`critmin.cli.output.show`, so each DuckDB type is
mapped to what that frame held:

- integers: ``int``; with a NULL in the column, a nullable integer column, whose missing cells
  print as ``<NA>`` and are ``null`` in JSON;
- ``HUGEINT`` (what ``sum`` of a ``BIGINT`` returns) and ``DOUBLE``: ``float`` (NULL is NaN);
- ``DATE``: a midnight timestamp (ISO date in tables, ``YYYY-MM-DD 00:00:00`` in JSON; NULL is
  ``NaT``);
- ``VARCHAR``: ``str`` or ``None``.

Any other type raises ``TypeError``: read such a query with :meth:`Store.query` instead. The tests
compare both paths on every supported type, with and without NULLs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from critmin.cli.output import console, number, table_of

if TYPE_CHECKING:
    from critmin.store.gateway import Rows

INTEGERS = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
FLOATS = frozenset({"HUGEINT", "DOUBLE"})
_NOT_A_TIME = "NaT"


def _check(kind: str) -> None:
    if kind not in INTEGERS | FLOATS | {"DATE", "VARCHAR"}:
        raise TypeError(f"no pandas-free display of DuckDB type {kind}; read the query as a frame")


def _float_cell(value: Any) -> str:
    return "" if value is None else number(float(value))


def _date_cell(value: date | None) -> str:
    return _NOT_A_TIME if value is None else value.isoformat()


def _text_cell(value: Any) -> str:
    return "" if value is None else str(value)


def _integer_cell(value: int | None) -> str:
    return "<NA>" if value is None else str(value)


def _cell_formatter(kind: str) -> Callable[[Any], str]:
    _check(kind)
    if kind in INTEGERS:
        return _integer_cell
    if kind in FLOATS:
        return _float_cell
    return _date_cell if kind == "DATE" else _text_cell


def _json_value(kind: str, value: Any) -> Any:
    if kind in FLOATS:
        return math.nan if value is None else float(value)
    if kind == "DATE":
        return _NOT_A_TIME if value is None else f"{value.isoformat()} 00:00:00"
    return value


def cells(rows: Rows) -> list[list[str]]:
    """The table cells of ``rows``, as :func:`~critmin.cli.output.show` prints their frame."""
    formatters = [_cell_formatter(kind) for kind in rows.types]
    return [[f(value) for f, value in zip(formatters, row, strict=True)] for row in rows.data]


def records(rows: Rows) -> list[dict[str, Any]]:
    """The rows as their frame's ``to_dict(orient="records")``, once JSON-encoded with ``default=str``."""
    for kind in rows.types:
        _check(kind)
    return [
        {c: _json_value(k, v) for c, k, v in zip(rows.columns, rows.types, row, strict=True)}
        for row in rows.data
    ]


def show_cells(rows: Rows, *, title: str | None = None) -> None:
    """Print ``rows`` as a table, as :func:`~critmin.cli.output.show` prints their frame."""
    console.print(table_of(title, rows.columns, cells(rows)))
