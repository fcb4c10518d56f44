"""The store: one DuckDB file, read on read-only connections, written in one transaction.

Nothing outside this package opens the DuckDB file. Every write goes through
:meth:`Store.transaction`, so a failed or killed import leaves the store as it was.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from critmin.errors import SchemaVersionError, StoreError, VintageError
from critmin.ingest.base import Parsed
from critmin.schema import DERIVED_TABLES, SCHEMA_VERSION, TABLES, VINTAGE_COLUMNS, Table
from critmin.store import ddl
from critmin.store.pool import ReaderPool, suspended

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

DERIVED_STATE_KEY = "derived_state"
"""The ``meta`` row naming the data state the derived tables were computed from."""

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
class Rows:
    """A read's result as plain Python values: column names, DuckDB type names, one tuple a row."""

    columns: list[str]
    types: list[str]
    data: list[tuple[Any, ...]]


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
    pool
        Read-only connections to reuse across reads (:class:`critmin.store.pool.ReaderPool`);
        by default each read opens and closes its own connection.
    """

    def __init__(self, path: Path | str, *, pool: ReaderPool | None = None) -> None:
        self.path = Path(path)
        self.pool = pool

    # -- connections -----------------------------------------------------------------------

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; the store must exist and have the current schema."""
        if not self.path.exists():
            raise StoreError(f"no store at {self.path}; run `critmin data init` or `make run` first")
        if self.pool is not None:
            with self.pool.borrow(self._check_version) as borrowed:
                yield borrowed
            return
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
        """A read-write connection inside one transaction: committed on success, else rolled back.

        Reader pools of this process on the same file are suspended meanwhile (DuckDB refuses a
        read-write connection while a read-only one to the file is open in the process).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with suspended(self.path):
            yield from self._transaction()

    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
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

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> Rows:
        """Run one parameterised read query and return its rows without pandas (which is not loaded)."""
        with self.reader() as con:
            cursor = con.execute(sql, params or [])
            data = cursor.fetchall()
            described = cursor.description or []
            return Rows([d[0] for d in described], [str(d[1]) for d in described], data)

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
        with suspended(self.path):
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
        import pandas as pd

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

    def add(self, parsed: Sequence[Parsed], *, after: Hook | None = None) -> list[ImportOutcome]:
        """Store parsed files as vintages, all in one transaction.

        A file whose SHA-256 is already stored changes nothing. If any insert fails, nothing
        of any file is kept.

        Parameters
        ----------
        parsed
            Parsed files, one vintage each.
        after
            Called inside the same transaction, after the inserts, with a :class:`BoundStore`
            that reads and writes on the transaction's connection (the derived tables'
            refresh, :func:`critmin.derived.refresh`). If it raises, the whole import is
            rolled back and a :class:`~critmin.errors.StoreError` says why.
        """
        outcomes: list[ImportOutcome] = []
        with self.transaction() as con:
            for item in parsed:
                outcomes.append(self._add_one(con, item))
            if after is not None:
                self._run_hook(con, after, "the import was rolled back")
        return outcomes

    def within(self, hook: Hook) -> None:
        """Run ``hook`` on a :class:`BoundStore` inside one transaction (rolled back if it raises)."""
        with self.transaction() as con:
            self._run_hook(con, hook, "nothing was changed")

    def _run_hook(self, con: duckdb.DuckDBPyConnection, hook: Hook, outcome: str) -> None:
        try:
            hook(BoundStore(self.path, con))
        except Exception as exc:
            raise StoreError(f"{outcome}: computing the derived tables failed: {exc}") from exc

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
        import pyarrow as pa

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

    # -- derived tables -------------------------------------------------------------------

    def data_state(self) -> str:
        """A SHA-256 naming the canonical data: the vintages (ids and file hashes) and the catalog.

        Vintages holding only events are left out: the register changes no derived table.
        """
        with self.reader() as con:
            return self._data_state(con)

    def derived_state(self) -> str | None:
        """The data state the derived tables were computed from (``None``: never computed)."""
        with self.reader() as con:
            return self._derived_state(con)

    def states(self) -> tuple[str, str | None]:
        """:meth:`data_state` and :meth:`derived_state` read on one connection (one state of the file)."""
        with self.reader() as con:
            return self._data_state(con), self._derived_state(con)

    @staticmethod
    def _data_state(con: duckdb.DuckDBPyConnection) -> str:
        rows = con.execute(
            "SELECT vintage_id, sha256, row_counts FROM vintages ORDER BY vintage_id"
        ).fetchall()
        catalog = first_row(con, "SELECT value FROM meta WHERE key = 'catalog_sha256'")
        digest = hashlib.sha256(str(catalog[0] if catalog else "").encode())
        for vintage_id, sha, counts in rows:
            if counts in (None, "{}") or set(json.loads(counts)) - {"events"}:
                digest.update(f"{vintage_id}:{sha};".encode())
        return digest.hexdigest()

    @staticmethod
    def _derived_state(con: duckdb.DuckDBPyConnection) -> str | None:
        row = first_row(con, "SELECT value FROM meta WHERE key = ?", [DERIVED_STATE_KEY])
        return str(row[0]) if row else None

    def write_derived(self, frames: Mapping[str, pd.DataFrame], state: str) -> dict[str, int]:
        """Replace the derived tables with ``frames`` (name -> rows) and record ``state``; rows written.

        Every table of :data:`critmin.schema.DERIVED_TABLES` must be given, with its columns.
        """
        missing = sorted(set(DERIVED_TABLES) - set(frames))
        if missing:
            raise StoreError(f"derived tables {missing} were not computed")
        counts: dict[str, int] = {}
        with self.transaction() as con:
            for name, table in DERIVED_TABLES.items():
                frame = frames[name]
                absent = [c for c in table.column_names if c not in frame.columns]
                if absent:
                    raise StoreError(f"derived table {name} computed without column(s) {absent}")
                typed = ", ".join(f"{c} {k}" for c, k in table.columns)
                execute(con, f"CREATE OR REPLACE TABLE {name} ({typed})")
                con.register("incoming_derived", frame[table.column_names])
                try:
                    select = ", ".join(f"CAST({c} AS {k})" for c, k in table.columns)
                    execute(con, f"INSERT INTO {name} SELECT {select} FROM incoming_derived")
                finally:
                    con.unregister("incoming_derived")
                counts[name] = len(frame)
            execute(
                con,
                "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [DERIVED_STATE_KEY, state],
            )
        return counts

    def read_derived(
        self,
        name: str,
        filters: Mapping[str, FilterValue] | None = None,
        *,
        order: Sequence[str] = (),
        columns: Sequence[str] | None = None,
        distinct: bool = False,
    ) -> pd.DataFrame:
        """Rows of a derived table, filtered (column -> value or list) and ordered by ``order``.

        The rows are read whatever state they belong to; :meth:`read_fresh` reads them only
        when they belong to the data beside them.
        """
        with self.reader() as con:
            return self._read_derived(con, name, filters, order, columns, distinct)

    def read_fresh(
        self,
        name: str,
        version: str,
        filters: Mapping[str, FilterValue] | None = None,
        *,
        order: Sequence[str] = (),
        columns: Sequence[str] | None = None,
        distinct: bool = False,
    ) -> pd.DataFrame | None:
        """:meth:`read_derived`, or ``None`` when the tables are not those of the data beside them.

        The check and the read share one connection, so they see one state of the file: rows
        are returned only if the recorded :meth:`derived_state` is ``f"{version}-{data_state}"``
        (``version`` names the computation, :func:`critmin.derived.state.version_tag`). A store
        without derived tables (older, or never refreshed) gives ``None``.
        """
        with self.reader() as con:
            if self._derived_state(con) != f"{version}-{self._data_state(con)}":
                return None
            return self._read_derived(con, name, filters, order, columns, distinct)

    @staticmethod
    def _read_derived(
        con: duckdb.DuckDBPyConnection,
        name: str,
        filters: Mapping[str, FilterValue] | None,
        order: Sequence[str],
        columns: Sequence[str] | None,
        distinct: bool,
    ) -> pd.DataFrame:
        if name not in DERIVED_TABLES:
            raise StoreError(f"no derived table {name!r}; choose from {sorted(DERIVED_TABLES)}")
        table = DERIVED_TABLES[name]
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (filters or {}).items():
            if value is None:
                continue
            if column not in table.column_names:
                raise StoreError(f"derived table {name} has no column {column!r} to filter on")
            if isinstance(value, (list, tuple, set, frozenset)):
                values = list(value)
                clauses.append(f"{column} IN ({', '.join('?' for _ in values)})" if values else "FALSE")
                params.extend(values)
            else:
                clauses.append(f"{column} = ?")
                params.append(value)
        wanted = list(columns) if columns else ["*"]
        unknown = [c for c in [*order, *(columns or ())] if c not in table.column_names]
        if unknown:
            raise StoreError(f"derived table {name} has no column(s) {unknown}")
        sql = (
            f"SELECT {'DISTINCT ' if distinct else ''}{', '.join(wanted)} FROM {name} "
            f"WHERE {' AND '.join(clauses) or 'TRUE'}"
        )
        if order:
            sql += " ORDER BY " + ", ".join(order)
        return con.execute(sql, params).df()

    def is_empty(self) -> bool:
        """True when no vintage is stored yet (or the file does not exist)."""
        if not self.path.exists():
            return True
        with self.reader() as con:
            return not scalar(con, "SELECT count(*) FROM vintages")


Hook = Callable[["BoundStore"], None]
"""Work run inside a write transaction on a store bound to its connection."""


class BoundStore(Store):
    """A :class:`Store` whose reads and writes all go through one open transaction's connection.

    Handed to the hook of :meth:`Store.add` and :meth:`Store.within`: it reads the rows the
    transaction has written so far and writes into the same transaction (nothing is committed
    or rolled back here; the caller's transaction decides).
    """

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(path)
        self._con = con

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The transaction's connection."""
        yield self._con

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The transaction's connection (already inside the caller's transaction)."""
        yield self._con

    def is_empty(self) -> bool:
        """True when the transaction sees no vintage."""
        return not scalar(self._con, "SELECT count(*) FROM vintages")
