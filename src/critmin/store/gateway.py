"""The store: one DuckDB file, read on read-only connections, written in one transaction.

Nothing outside this package opens the DuckDB file. Every write goes through
:meth:`Store.transaction`, so a failed or killed import leaves the store as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from critmin.errors import SchemaVersionError, StoreError, VintageError
from critmin.ingest.base import Parsed
from critmin.schema import SCHEMA_VERSION, TABLES, VINTAGE_COLUMNS, Table
from critmin.store import ddl

FilterValue = str | int | float | bool | Sequence[str] | Sequence[int] | None


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> list[Any]:
    """Run a statement and consume its result, so the connection is free for the next one."""
    return con.execute(sql, params or []).fetchall()


def first_row(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None
) -> tuple[Any, ...] | None:
    """The first row of a query, with the result consumed (DuckDB refuses new work on an unfinished one)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    """The single value of a one-row, one-column query."""
    row = first_row(con, sql, params)
    if row is None:
        raise StoreError(f"query returned no row: {sql}")
    return row[0]


def sql_path(path: Path) -> str:
    """A file path as a quoted SQL string literal (for COPY and read_parquet, which take no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


@dataclass(frozen=True)
class ImportOutcome:
    """What happened to one file: ``added`` as a new vintage or ``unchanged`` (seen before)."""

    path: str
    source: str
    release: str
    status: str
    vintage_id: int
    rows: dict[str, int]


class Store:
    """A critmin store in one DuckDB file.

    Parameters
    ----------
    path
        The DuckDB file. It is created, with the current schema, on first write.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    # -- connections -----------------------------------------------------------------------

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; the store must exist and have the current schema."""
        if not self.path.exists():
            raise StoreError(f"no store at {self.path}; run `critmin data init` or `make run` first")
        try:
            con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the store {self.path} for reading: {exc}") from exc
        try:
            self._check_version(con)
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection inside one transaction: committed on success, else rolled back."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Row order in a table means nothing here (reads sort or group), and keeping it makes
            # DuckDB write large inserts single-threaded and checkpoint them slowly.
            con = duckdb.connect(str(self.path), config={"preserve_insertion_order": False})
        except duckdb.Error as exc:
            raise StoreError(f"cannot open the store {self.path} for writing: {exc}") from exc

        try:
            self._prepare(con)
            con.begin()
            try:
                yield con
            except BaseException:
                con.rollback()
                raise
            con.commit()
        finally:
            con.close()

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run one parameterised read query and return a frame."""
        with self.reader() as con:
            return con.execute(sql, params or []).df()

    # -- schema ----------------------------------------------------------------------------

    def _prepare(self, con: duckdb.DuckDBPyConnection) -> None:
        has_meta = bool(
            scalar(con, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'")
        )
        if not has_meta:
            others = scalar(con, "SELECT count(*) FROM information_schema.tables")
            if others:
                raise SchemaVersionError(
                    f"{self.path} is a DuckDB file but not a critmin store (no meta table); "
                    "point --db or CRITMIN_HOME at another path"
                )
            con.begin()
            for statement in ddl.create_statements():
                execute(con, statement)
            con.commit()
        self._migrate(con)
        self._sync_catalog(con)

    def _version(self, con: duckdb.DuckDBPyConnection) -> int:
        row = first_row(con, "SELECT value FROM meta WHERE key = 'schema_version'")
        return int(row[0]) if row else 0

    def _check_version(self, con: duckdb.DuckDBPyConnection) -> None:
        try:
            version = self._version(con)
        except duckdb.CatalogException as exc:
            raise SchemaVersionError(
                f"{self.path} is not a critmin store (no meta table); point --db or CRITMIN_HOME elsewhere"
            ) from exc
        if version != SCHEMA_VERSION:
            self._refuse_or_explain(version, migratable_hint=True)

    def _refuse_or_explain(self, version: int, *, migratable_hint: bool) -> None:
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the store {self.path} has schema version {version}, newer than this critmin's "
                f"{SCHEMA_VERSION}: upgrade critmin (pip install -U critmin), or use another store "
                "with --db PATH"
            )
        if not self._has_migration_path(version):
            raise SchemaVersionError(
                f"the store {self.path} has schema version {version}, which this critmin "
                f"(schema {SCHEMA_VERSION}) cannot migrate: export what you need with an older "
                "critmin (`critmin data export`), then move the file away and run "
                "`critmin data init` to build a new store"
            )
        if migratable_hint:
            raise SchemaVersionError(
                f"the store {self.path} has schema version {version}; run `critmin data migrate` "
                f"to bring it to version {SCHEMA_VERSION}"
            )

    @staticmethod
    def _has_migration_path(version: int) -> bool:
        return all(step in ddl.MIGRATIONS for step in range(version, SCHEMA_VERSION))

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        version = self._version(con)
        if version == SCHEMA_VERSION:
            return
        self._refuse_or_explain(version, migratable_hint=False)
        con.begin()
        for step in range(version, SCHEMA_VERSION):
            for statement in ddl.MIGRATIONS[step]:
                execute(con, statement)
        execute(con, "UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)])
        con.commit()

    def migrate(self) -> int:
        """Bring the store to the current schema; return the version it had."""
        con = duckdb.connect(str(self.path))
        try:
            before = self._version(con)
            self._migrate(con)
        finally:
            con.close()
        return before

    def schema_version(self) -> int:
        """Schema version recorded in the store."""
        with self.reader() as con:
            return self._version(con)

    def _sync_catalog(self, con: duckdb.DuckDBPyConnection) -> None:
        frames = ddl.catalog_frames()
        digest = hashlib.sha256()
        for frame in frames.values():
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        wanted = digest.hexdigest()
        row = first_row(con, "SELECT value FROM meta WHERE key = 'catalog_sha256'")
        if row and row[0] == wanted:
            return
        con.begin()
        for name, columns in ddl.CATALOG_TABLES.items():
            frame = frames[name]
            execute(con, f"DELETE FROM {name}")
            con.register("incoming_reference", frame)
            execute(con, f"INSERT INTO {name} SELECT {', '.join(columns)} FROM incoming_reference")
            con.unregister("incoming_reference")
        execute(
            con,
            "INSERT INTO meta VALUES ('catalog_sha256', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [wanted],
        )
        con.commit()

    def initialise(self) -> None:
        """Create the store with the current schema (a no-op on an up-to-date store)."""
        with self.transaction():
            pass

    # -- writing ---------------------------------------------------------------------------

    def add(self, parsed: Sequence[Parsed]) -> list[ImportOutcome]:
        """Store parsed files as vintages, all in one transaction.

        A file whose SHA-256 is already stored changes nothing. If any insert fails, nothing
        of any file is kept.
        """
        outcomes: list[ImportOutcome] = []
        with self.transaction() as con:
            for item in parsed:
                outcomes.append(self._add_one(con, item))
        return outcomes

    def _add_one(self, con: duckdb.DuckDBPyConnection, item: Parsed) -> ImportOutcome:
        known = first_row(con, "SELECT vintage_id, row_counts FROM vintages WHERE sha256 = ?", [item.sha256])
        if known:
            return ImportOutcome(
                str(item.path),
                item.info.source,
                item.release,
                "unchanged",
                int(known[0]),
                json.loads(known[1]),
            )
        vintage_id = int(scalar(con, "SELECT coalesce(max(vintage_id), 0) + 1 FROM vintages"))
        counts: dict[str, int] = {}
        for name, frame in item.tables.items():
            table = TABLES[name]
            counts[name] = self._insert(con, table, frame, vintage_id)
        execute(
            con,
            f"INSERT INTO vintages ({', '.join(c for c, _ in VINTAGE_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in VINTAGE_COLUMNS)})",
            [
                vintage_id,
                item.info.source,
                item.dataset,
                item.release,
                item.release_date,
                item.path.name,
                item.sha256,
                item.info.licence,
                item.info.citation,
                item.info.url,
                datetime.now(UTC).replace(tzinfo=None),
                json.dumps(counts, sort_keys=True),
                item.notes,
            ],
        )
        return ImportOutcome(str(item.path), item.info.source, item.release, "added", vintage_id, counts)

    @staticmethod
    def _insert(
        con: duckdb.DuckDBPyConnection, table: Table, frame: pd.DataFrame | pa.Table, vintage_id: int
    ) -> int:
        names = frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)
        missing = [c for c in table.column_names if c not in names]
        if missing:
            raise StoreError(f"importer produced no column(s) {missing} for table {table.name}")
        select = ", ".join(f"CAST({name} AS {kind})" for name, kind in table.columns)
        con.register("incoming_rows", frame)
        try:
            execute(
                con,
                f"INSERT INTO {table.name} ({', '.join(table.column_names)}, vintage_id) "
                f"SELECT {select}, {int(vintage_id)} FROM incoming_rows",
            )
        finally:
            con.unregister("incoming_rows")
        return len(frame)

    # -- reading ---------------------------------------------------------------------------

    def vintages(self) -> pd.DataFrame:
        """Every vintage, newest release first."""
        return self.query("SELECT * FROM vintages ORDER BY release_date DESC, vintage_id DESC")

    def resolve_vintage(self, con: duckdb.DuckDBPyConnection, vintage: str | int) -> list[int]:
        """Vintage ids that a release name, a dataset release or a vintage id stands for."""
        rows = con.execute(
            "SELECT vintage_id FROM vintages WHERE release = ? OR CAST(vintage_id AS VARCHAR) = ? "
            "OR sha256 = ?",
            [str(vintage), str(vintage), str(vintage)],
        ).fetchall()
        if not rows:
            releases = [
                r[0] for r in con.execute("SELECT DISTINCT release FROM vintages ORDER BY 1").fetchall()
            ]
            raise VintageError(f"no vintage {vintage!r}; the store has releases {releases}")
        return [int(r[0]) for r in rows]

    def select(
        self,
        table_name: str,
        filters: Mapping[str, FilterValue] | None = None,
        *,
        vintage: str | int | None = None,
        source: str | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Rows of a canonical table, with their source and release.

        Parameters
        ----------
        table_name
            A table of :data:`critmin.schema.TABLES`.
        filters
            Column -> value or list of values; ``None`` values are ignored.
        vintage
            A release name (``"MCS2024"``) or vintage id; by default each slice comes whole
            from the newest release that has it.
        source
            Keep only vintages of this source (``"usgs_mcs"``, ``"baci"``, ...).
        columns
            Columns to return (default: all, plus ``source``, ``release`` and ``vintage_id``).
        """
        table = TABLES[table_name]
        filters = filters or {}
        wanted = list(columns) if columns else table.column_names
        unknown = [c for c in wanted if c not in table.column_names]
        if unknown:
            raise StoreError(f"table {table_name} has no column(s) {unknown}")
        # Filters on slice columns choose slices; the others apply after the newest vintage of
        # each slice is picked, so that a row missing from the newest release never comes back
        # from an older one.
        inner, inner_params = self._where(table, {k: v for k, v in filters.items() if k in table.slice})
        outer, outer_params = self._where(table, {k: v for k, v in filters.items() if k not in table.slice})
        with self.reader() as con:
            if source is not None:
                inner.append("v.source = ?")
                inner_params.append(source)
            if vintage is not None:
                ids = self.resolve_vintage(con, vintage)
                inner.append(f"t.vintage_id IN ({', '.join(str(i) for i in ids)})")
            newest = (
                "QUALIFY dense_rank() OVER (PARTITION BY v.source, "
                + ", ".join(f"t.{c}" for c in table.slice)
                + " "
                "ORDER BY v.release_date DESC, t.vintage_id DESC) = 1"
                if vintage is None
                else ""
            )
            sql = f"""
                SELECT {", ".join(wanted)}, vintage_id, source, release FROM (
                    SELECT t.*, v.source, v.release
                    FROM {table.name} t JOIN vintages v USING (vintage_id)
                    WHERE {" AND ".join(inner) or "TRUE"}
                    {newest}
                ) t
                WHERE {" AND ".join(outer) or "TRUE"}
            """
            return con.execute(sql, inner_params + outer_params).df()

    @staticmethod
    def _where(table: Table, filters: Mapping[str, FilterValue]) -> tuple[list[str], list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in filters.items():
            if value is None:
                continue
            if column not in table.column_names:
                raise StoreError(f"table {table.name} has no column {column!r} to filter on")
            if isinstance(value, (list, tuple, set, frozenset)):
                values = list(value)
                if not values:
                    clauses.append("FALSE")
                    continue
                clauses.append(f"t.{column} IN ({', '.join('?' for _ in values)})")
                params.extend(values)
            else:
                clauses.append(f"t.{column} = ?")
                params.append(value)
        return clauses, params

    def table_counts(self) -> dict[str, int]:
        """Stored rows per canonical table, over all vintages."""
        with self.reader() as con:
            return {name: int(scalar(con, f"SELECT count(*) FROM {name}")) for name in TABLES}

    def catalog(self, name: str) -> pd.DataFrame:
        """A reference table held in the store (``commodities``, ``commodity_names``, ...)."""
        if name not in ddl.CATALOG_TABLES:
            raise StoreError(f"no catalog table {name!r}; choose from {sorted(ddl.CATALOG_TABLES)}")
        return self.query(f"SELECT * FROM {name}")

    def is_empty(self) -> bool:
        """True when no vintage is stored yet (or the file does not exist)."""
        if not self.path.exists():
            return True
        with self.reader() as con:
            return not scalar(con, "SELECT count(*) FROM vintages")
