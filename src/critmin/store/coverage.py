"""What a store holds: vintages, row counts and coverage by commodity, year and country.

Each report is one query (``VINTAGES_SQL``, :func:`tables_sql`, ``COMMODITIES_SQL``) read as
plain rows (:meth:`Store.rows`), so ``critmin data status`` runs without loading pandas;
:func:`coverage` reads them all through one connection (opening the file costs more than most
of the queries).
"""

from __future__ import annotations

from dataclasses import dataclass

from critmin.schema import TABLES
from critmin.store.gateway import BoundStore, Rows, Store

_COUNTRY_COLUMN = {
    "production": "country",
    "reserves": "country",
    "capacity": "country",
    "salient": "country",
    "import_reliance": "country",
    "import_sources": "exporter",
    "trade": "exporter",
    "governance": "country",
    "lists": "jurisdiction",
    "restrictions": "country",
    "events": "actor",
}
_YEAR_COLUMN = {
    "lists": "list_year",
    "import_sources": None,
    "restrictions": None,
    "events": "year(valid_from)",
}


VINTAGES_SQL = """
    SELECT source, dataset, release, min(release_date) AS release_date, count(*) AS files,
           sum(CAST(json_extract_string(row_counts, '$.*') AS BIGINT[]).list_sum()) AS rows,
           any_value(licence) AS licence
    FROM vintages GROUP BY ALL ORDER BY source, release_date DESC
"""


def vintage_summary(store: Store) -> Rows:
    """One row per source and release: files, rows, licence, release date."""
    return store.rows(VINTAGES_SQL)


def tables_sql() -> str:
    """Per canonical table: rows stored, vintages, commodities, first and last year, countries."""
    parts = []
    for name, table in TABLES.items():
        year = _YEAR_COLUMN.get(name, "year")
        has_commodity = "commodity" in table.column_names
        country = _COUNTRY_COLUMN[name]
        parts.append(
            f"""SELECT '{name}' AS "table", count(*) AS rows, count(DISTINCT vintage_id) AS vintages,
                {"count(DISTINCT commodity)" if has_commodity else "NULL"} AS commodities,
                {f"min({year})" if year else "NULL"} AS first_year,
                {f"max({year})" if year else "NULL"} AS last_year,
                count(DISTINCT {country}) AS countries
                FROM {name}"""
        )
    return " UNION ALL ".join(parts)


def table_coverage(store: Store) -> Rows:
    """Per canonical table: rows stored, vintages, commodities, first and last year, countries."""
    return store.rows(tables_sql())


COMMODITIES_SQL = """
    WITH p AS (
        SELECT commodity, string_agg(DISTINCT stage, ',' ORDER BY stage) AS stages,
               min(year) AS first_year, max(year) AS last_year,
               count(DISTINCT country) FILTER (WHERE NOT is_aggregate) AS producers,
               string_agg(DISTINCT v.source, ',' ORDER BY v.source) AS sources
        FROM production JOIN vintages v USING (vintage_id) GROUP BY commodity
    ), r AS (
        SELECT commodity, count(DISTINCT country) FILTER (WHERE NOT is_aggregate) AS reserve_countries
        FROM reserves GROUP BY commodity
    ), h AS (
        SELECT commodity, count(DISTINCT hs6) AS hs_codes
        FROM hs_codes WHERE commodity <> '-' GROUP BY commodity
    )
    SELECT c.commodity, c.name, p.stages, p.first_year, p.last_year, p.producers,
           r.reserve_countries, h.hs_codes, p.sources
    FROM commodities c LEFT JOIN p USING (commodity) LEFT JOIN r USING (commodity)
    LEFT JOIN h USING (commodity)
    WHERE p.commodity IS NOT NULL OR r.commodity IS NOT NULL
    ORDER BY c.commodity
"""


def commodity_coverage(store: Store) -> Rows:
    """Per commodity: production stages, years and producing countries, and reserve countries."""
    return store.rows(COMMODITIES_SQL)


@dataclass(frozen=True)
class Coverage:
    """Every report of ``critmin data status``, read from one snapshot of the store."""

    schema_version: int
    vintages: Rows
    tables: Rows
    commodities: Rows


def coverage(store: Store) -> Coverage:
    """The schema version and the three reports, through one read-only connection."""
    with store.reader() as con:
        one = BoundStore(store.path, con)
        return Coverage(
            one.schema_version(), vintage_summary(one), table_coverage(one), commodity_coverage(one)
        )
