"""The bundled default dataset: canonical tables as Parquet, loaded into a store in one transaction.

Layout of a bundle folder: ``vintages.parquet``, one ``<table>.parquet`` per non-empty
canonical table, ``manifest.json`` (row counts and SHA-256 of each Parquet file) and
``ATTRIBUTION.md``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from critmin.errors import StoreError
from critmin.schema import TABLES
from critmin.store.gateway import Store, execute, scalar, sql_path

MANIFEST = "manifest.json"


def export_bundle(store: Store, folder: Path) -> dict[str, int]:
    """Write every stored vintage and table of ``store`` into ``folder`` as Parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    files: dict[str, str] = {}
    with store.reader() as con:
        for name in ("vintages", *TABLES):
            rows = int(scalar(con, f"SELECT count(*) FROM {name}"))
            target = folder / f"{name}.parquet"
            if not rows:
                target.unlink(missing_ok=True)
                continue
            order = "vintage_id" if name == "vintages" else ", ".join(TABLES[name].key)
            execute(
                con,
                f"COPY (SELECT * FROM {name} ORDER BY {order}) TO {sql_path(target)} "
                "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 19, ROW_GROUP_SIZE 250000)",
            )
            counts[name] = rows
            files[target.name] = hashlib.sha256(target.read_bytes()).hexdigest()
    (folder / MANIFEST).write_text(
        json.dumps({"rows": counts, "sha256": files}, indent=2, sort_keys=True) + "\n"
    )
    return counts


def load_bundle(store: Store, folder: Path) -> int:
    """Add the bundle's vintages that the store lacks, in one transaction; return how many.

    Vintage ids are renumbered after the store's own, so a store that already holds user
    imports keeps them. Vintages already present (same SHA-256) are skipped.
    """
    manifest_path = folder / MANIFEST
    if not manifest_path.exists():
        raise StoreError(f"no bundled dataset at {folder} (missing {MANIFEST}); reinstall critmin")
    manifest = json.loads(manifest_path.read_text())
    for name, digest in manifest["sha256"].items():
        if hashlib.sha256((folder / name).read_bytes()).hexdigest() != digest:
            raise StoreError(
                f"bundled file {folder / name} does not match its manifest checksum; reinstall critmin"
            )
    with store.transaction() as con:
        execute(
            con,
            f"""CREATE TEMP TABLE bundle_ids AS
                SELECT b.vintage_id AS old_id,
                       (SELECT coalesce(max(vintage_id), 0) FROM vintages)
                           + row_number() OVER (ORDER BY b.vintage_id) AS new_id
                FROM read_parquet({sql_path(folder / "vintages.parquet")}) b
                WHERE b.sha256 NOT IN (SELECT sha256 FROM vintages)""",
        )
        added = int(scalar(con, "SELECT count(*) FROM bundle_ids"))
        if added:
            _copy(con, folder / "vintages.parquet", "vintages")
            for name in TABLES:
                path = folder / f"{name}.parquet"
                if path.exists():
                    _copy(con, path, name)
        execute(con, "DROP TABLE bundle_ids")
    return added


def _copy(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> None:
    columns = [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]
    select = ", ".join("m.new_id" if c == "vintage_id" else f"p.{c}" for c in columns)
    execute(
        con,
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {select} "
        f"FROM read_parquet({sql_path(path)}) p JOIN bundle_ids m ON p.vintage_id = m.old_id",
    )
