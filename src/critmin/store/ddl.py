"""DDL of the store, derived from :mod:`critmin.schema`, and its migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from critmin.data import read_reference
from critmin.schema import SCHEMA_VERSION, TABLES, VINTAGE_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

CATALOG_TABLES: dict[str, tuple[str, ...]] = {
    "commodities": ("commodity", "name", "family", "parent", "symbol"),
    "commodity_names": ("source", "source_name", "detail", "commodity", "stage", "form", "note"),
    "hs_codes": ("commodity", "stage", "nomenclature", "hs6", "confidence", "description", "note"),
    "places": ("code", "name", "is_aggregate"),
}
"""Reference tables copied into the store from ``critmin/data/reference`` (all text)."""


def create_statements() -> list[str]:
    """Every CREATE statement of the current schema, in dependency order."""
    statements = [
        "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
        "CREATE TABLE IF NOT EXISTS vintages ("
        + ", ".join(f"{name} {kind}" for name, kind in VINTAGE_COLUMNS)
        + ", PRIMARY KEY (vintage_id), UNIQUE (sha256))",
    ]
    for table in TABLES.values():
        typed = ", ".join(f"{name} {kind}" for name, kind in table.columns)
        statements.append(f"CREATE TABLE IF NOT EXISTS {table.name} ({typed}, vintage_id INTEGER NOT NULL)")
    for name, names in CATALOG_TABLES.items():
        cols = ", ".join(f"{c} VARCHAR" for c in names)
        statements.append(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
    statements.append(
        f"INSERT INTO meta VALUES ('schema_version', '{SCHEMA_VERSION}') ON CONFLICT (key) DO NOTHING"
    )
    return statements


def _create_table(name: str) -> str:
    table = TABLES[name]
    typed = ", ".join(f"{column} {kind}" for column, kind in table.columns)
    return f"CREATE TABLE IF NOT EXISTS {table.name} ({typed}, vintage_id INTEGER NOT NULL)"


MIGRATIONS: dict[int, list[str]] = {
    1: [_create_table("events")],
    2: ["ALTER TABLE events ADD COLUMN IF NOT EXISTS chokepoint VARCHAR"],
}
"""SQL that takes a store from schema version ``n`` to ``n + 1``, keyed by ``n``.

Schema 1 is the first released schema; schema 2 adds the ``events`` table (the event register,
whose bundled vintage :func:`critmin.events.register.load_bundled` adds); schema 3 adds the
events' ``chokepoint`` (the strait a disruption sits on, :mod:`critmin.sealanes`; a store migrated
from 1 gets it with the table). A store whose version has no path to the current one is refused
with instructions.
"""


def catalog_frames() -> dict[str, pd.DataFrame]:
    """The reference tables as they ship with the package, one frame per catalog table."""
    from critmin.harmonize.commodities import all_names

    frames = {
        "commodities": read_reference("commodities.csv"),
        "commodity_names": all_names(),
        "hs_codes": read_reference("hs_codes.csv"),
        "places": read_reference("places.csv"),
    }
    return {name: frames[name][list(CATALOG_TABLES[name])] for name in CATALOG_TABLES}
