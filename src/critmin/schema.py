"""The canonical tables: their columns, types and keys, defined once.

Every importer produces frames with exactly these columns (less ``vintage_id``, which the
store adds), the store creates its tables from them, and the accessors return them.

Vintage resolution
------------------
Each table names a *slice*: the columns that, with the source, pick out a block of rows that
one release publishes as a whole (for production, one commodity and stage in one year).
When several vintages hold the same slice, the default view takes the whole slice from the
newest release, never a mix of rows from two releases, so that shares and totals stay
consistent. ``vintage=`` picks one release instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

SCHEMA_VERSION = 2


@dataclass(frozen=True)
class Table:
    """A canonical table: ordered columns with DuckDB types, its key and its slice."""

    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    slice: tuple[str, ...]
    doc: str

    @property
    def column_names(self) -> list[str]:
        """Column names in order, without ``vintage_id``."""
        return [name for name, _ in self.columns]

    @property
    def dtypes(self) -> dict[str, str]:
        """Column name to DuckDB type."""
        return dict(self.columns)


PRODUCTION = Table(
    "production",
    (
        ("commodity", "VARCHAR"),
        ("stage", "VARCHAR"),
        ("form", "VARCHAR"),
        ("country", "VARCHAR"),
        ("is_aggregate", "BOOLEAN"),
        ("year", "SMALLINT"),
        ("value", "DOUBLE"),
        ("unit", "VARCHAR"),
        ("basis", "VARCHAR"),
        ("flag", "VARCHAR"),
        ("estimated", "BOOLEAN"),
        ("source_label", "VARCHAR"),
    ),
    key=("commodity", "stage", "form", "country", "year"),
    slice=("commodity", "stage", "form", "year"),
    doc="Production by commodity, stage (mine, refinery, smelter, ...), country and year.",
)

RESERVES = Table(
    "reserves",
    (
        ("commodity", "VARCHAR"),
        ("form", "VARCHAR"),
        ("country", "VARCHAR"),
        ("is_aggregate", "BOOLEAN"),
        ("year", "SMALLINT"),
        ("value", "DOUBLE"),
        ("unit", "VARCHAR"),
        ("basis", "VARCHAR"),
        ("flag", "VARCHAR"),
        ("source_label", "VARCHAR"),
    ),
    key=("commodity", "form", "country", "year"),
    slice=("commodity", "form", "year"),
    doc="Reserves by commodity and country, dated to the release's latest year.",
)

CAPACITY = replace(
    PRODUCTION,
    name="capacity",
    doc="Production capacity by commodity, stage, country and year (same columns as production).",
)

SALIENT = Table(
    "salient",
    (
        ("country", "VARCHAR"),
        ("commodity", "VARCHAR"),
        ("statistic", "VARCHAR"),
        ("detail", "VARCHAR"),
        ("year", "SMALLINT"),
        ("value", "DOUBLE"),
        ("unit", "VARCHAR"),
        ("flag", "VARCHAR"),
    ),
    key=("country", "commodity", "statistic", "detail", "year"),
    slice=("country", "commodity", "year"),
    doc="National salient statistics (USGS: U.S. production, trade, consumption, price, ...).",
)

IMPORT_RELIANCE = Table(
    "import_reliance",
    (
        ("country", "VARCHAR"),
        ("commodity", "VARCHAR"),
        ("detail", "VARCHAR"),
        ("year", "SMALLINT"),
        ("value_pct", "DOUBLE"),
        ("flag", "VARCHAR"),
    ),
    key=("country", "commodity", "detail", "year"),
    slice=("country", "commodity", "year"),
    doc="Net import reliance as a percentage of apparent consumption; flag keeps 'E', '>50', ...",
)

IMPORT_SOURCES = Table(
    "import_sources",
    (
        ("importer", "VARCHAR"),
        ("commodity", "VARCHAR"),
        ("detail", "VARCHAR"),
        ("period", "VARCHAR"),
        ("exporter", "VARCHAR"),
        ("is_aggregate", "BOOLEAN"),
        ("share_pct", "DOUBLE"),
        ("flag", "VARCHAR"),
    ),
    key=("importer", "commodity", "detail", "period", "exporter"),
    slice=("importer", "commodity", "period"),
    doc="Import sources as published shares (USGS: U.S. import sources over a period).",
)

TRADE = Table(
    "trade",
    (
        ("nomenclature", "VARCHAR"),
        ("year", "SMALLINT"),
        ("exporter", "VARCHAR"),
        ("importer", "VARCHAR"),
        ("hs6", "VARCHAR"),
        ("value_usd", "DOUBLE"),
        ("quantity_t", "DOUBLE"),
    ),
    key=("nomenclature", "year", "exporter", "importer", "hs6"),
    slice=("nomenclature", "year", "hs6"),
    doc="Bilateral trade flows: value in current USD, quantity in metric tonnes (NULL where unknown).",
)

GOVERNANCE = Table(
    "governance",
    (
        ("country", "VARCHAR"),
        ("year", "SMALLINT"),
        ("indicator", "VARCHAR"),
        ("estimate", "DOUBLE"),
        ("stddev", "DOUBLE"),
        ("nsource", "DOUBLE"),
        ("pctrank", "DOUBLE"),
    ),
    key=("country", "year", "indicator"),
    slice=("year", "indicator"),
    doc="Governance indicators (World Bank WGI: va, pv, ge, rq, rl, cc; estimate about -2.5..2.5).",
)

LISTS = Table(
    "lists",
    (
        ("jurisdiction", "VARCHAR"),
        ("list_name", "VARCHAR"),
        ("list_year", "SMALLINT"),
        ("commodity", "VARCHAR"),
        ("listed_name", "VARCHAR"),
        ("designation", "VARCHAR"),
        ("citation", "VARCHAR"),
        ("verification", "VARCHAR"),
    ),
    key=("jurisdiction", "list_name", "list_year", "commodity", "listed_name"),
    slice=("jurisdiction", "list_name", "list_year"),
    doc="Official critical-mineral lists; jurisdiction is ISO3 or a bloc code (EUU).",
)

RESTRICTIONS = Table(
    "restrictions",
    (
        ("measure_id", "VARCHAR"),
        ("country", "VARCHAR"),
        ("commodity", "VARCHAR"),
        ("materials", "VARCHAR"),
        ("hs_codes", "VARCHAR"),
        ("measure_type", "VARCHAR"),
        ("announced", "DATE"),
        ("effective", "DATE"),
        ("effective_to", "DATE"),
        ("legal_instrument", "VARCHAR"),
        ("citation", "VARCHAR"),
        ("verification", "VARCHAR"),
    ),
    key=("measure_id", "commodity"),
    slice=("measure_id",),
    doc="Export-restriction measures, one row per measure and commodity it covers.",
)

EVENTS = Table(
    "events",
    (
        ("event_id", "VARCHAR"),
        ("type", "VARCHAR"),
        ("actor", "VARCHAR"),
        ("targets", "VARCHAR"),
        ("commodities", "VARCHAR"),
        ("hs_codes", "VARCHAR"),
        ("valid_from", "DATE"),
        ("valid_to", "DATE"),
        ("status", "VARCHAR"),
        ("fraction", "DOUBLE"),
        ("title", "VARCHAR"),
        ("evidence", "VARCHAR"),
        ("publisher", "VARCHAR"),
        ("url", "VARCHAR"),
        ("published", "DATE"),
        ("notes", "VARCHAR"),
    ),
    key=("event_id",),
    slice=("event_id",),
    doc="Event register: export controls, bans, sanctions, waivers, agreements, ... with their sources.",
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        PRODUCTION,
        RESERVES,
        CAPACITY,
        SALIENT,
        IMPORT_RELIANCE,
        IMPORT_SOURCES,
        TRADE,
        GOVERNANCE,
        LISTS,
        RESTRICTIONS,
        EVENTS,
    )
}

VINTAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("vintage_id", "INTEGER"),
    ("source", "VARCHAR"),
    ("dataset", "VARCHAR"),
    ("release", "VARCHAR"),
    ("release_date", "DATE"),
    ("file_name", "VARCHAR"),
    ("sha256", "VARCHAR"),
    ("licence", "VARCHAR"),
    ("citation", "VARCHAR"),
    ("url", "VARCHAR"),
    ("imported_at", "TIMESTAMP"),
    ("row_counts", "VARCHAR"),
    ("notes", "VARCHAR"),
)

STAGES = ("mine", "refinery", "smelter", "primary", "secondary", "processing", "plant", "total")
"""Supply-chain stages production rows may carry; ``total`` is a source's undivided figure."""
