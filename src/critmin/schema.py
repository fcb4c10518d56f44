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

SCHEMA_VERSION = 3


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
        ("chokepoint", "VARCHAR"),
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


# -- derived tables ------------------------------------------------------------------------------
#
# Computed from the canonical tables on every write (``critmin.derived``), never imported. Their
# rows are a cache of what pages and profiles compute: the store's ``meta`` row
# ``derived_state`` names the data state they were computed from, and a reader that finds it
# stale computes on demand instead. They are dropped and rebuilt by each refresh, so a change of
# their columns needs no migration, only a new ``critmin.derived.DERIVED_VERSION``.


@dataclass(frozen=True)
class DerivedTable:
    """A derived table: ordered columns with DuckDB types."""

    name: str
    columns: tuple[tuple[str, str], ...]
    doc: str

    @property
    def column_names(self) -> list[str]:
        """Column names in order."""
        return [name for name, _ in self.columns]


def _typed(names: str, kind: str) -> tuple[tuple[str, str], ...]:
    return tuple((name, kind) for name in names.split())


_PROFILE_HEAD = (*_typed("commodity stage", "VARCHAR"), ("year", "BIGINT"), ("importer", "VARCHAR"))
_PROFILE_TAIL = (
    *_typed("defaults_used provenance method", "VARCHAR"),
    ("score", "DOUBLE"),
    ("share_basis", "VARCHAR"),
    ("import_hhi", "DOUBLE"),
    ("top1_exporter", "VARCHAR"),
    *_typed("top1_share share_weak_governance nir", "DOUBLE"),
    ("listed", "BOOLEAN"),
    ("score_provenance", "VARCHAR"),
    ("score_note", "VARCHAR"),
)
"""Columns of :func:`critmin.profiles.country_profile` after the method's own, and the scores' provenance."""

PROFILE_TABLES: dict[str, DerivedTable] = {
    "eu": DerivedTable(
        "derived_profile_eu",
        (
            *_PROFILE_HEAD,
            *_typed("hhi_wgi_t_gs hhi_wgi_t_sourcing", "DOUBLE"),
            ("sourcing_basis", "VARCHAR"),
            *_typed(
                "import_reliance domestic_production imports_t exports_t eol_rir si_sr supply_risk", "DOUBLE"
            ),
            *_typed("t_restricted trade_stage trade_hs6", "VARCHAR"),
            *_PROFILE_TAIL,
        ),
        "Country profiles (EU 2017 supply risk) of every importer and year, all minerals.",
    ),
    "geopolrisk": DerivedTable(
        "derived_profile_geopolrisk",
        (
            *_PROFILE_HEAD,
            *_typed("hhi domestic_production imports_t import_risk geopolrisk", "DOUBLE"),
            *_typed("trade_stage trade_hs6 hs_source", "VARCHAR"),
            *_PROFILE_TAIL,
        ),
        "Country profiles (GeoPolRisk) of every importer and year, all minerals.",
    ),
    "usgs": DerivedTable(
        "derived_profile_usgs",
        (
            *_PROFILE_HEAD,
            *_typed("disruption_potential trade_exposure", "DOUBLE"),
            ("trade_exposure_basis", "VARCHAR"),
            *_typed("economic_vulnerability supply_risk", "DOUBLE"),
            *_PROFILE_TAIL,
        ),
        "Country profiles (USGS 2021-style supply risk) of every importer and year, all minerals.",
    ),
}
"""One derived table per criticality method; the profile columns differ by method."""

IMPORT_SOURCES_DERIVED = DerivedTable(
    "derived_import_sources",
    (
        *_typed("importer commodity stage", "VARCHAR"),
        ("year", "BIGINT"),
        ("exporter", "VARCHAR"),
        *_typed("value_usd quantity_t value_with_quantity", "DOUBLE"),
        ("rows_with_quantity", "BIGINT"),
        *_typed("share_usd share_t", "DOUBLE"),
        ("basis", "VARCHAR"),
        ("share", "DOUBLE"),
        ("is_aggregate", "BOOLEAN"),
        *_typed("release provenance", "VARCHAR"),
        ("row_order", "BIGINT"),
    ),
    "Each supplier's share of each importer's imports per commodity, stage and year (BACI HS92).",
)

MINERAL_PRODUCERS = DerivedTable(
    "derived_mineral_producers",
    (
        *_typed("commodity stage", "VARCHAR"),
        ("year", "SMALLINT"),
        ("country", "VARCHAR"),
        *_typed("value share denominator", "DOUBLE"),
        *_typed("denominator_basis provenance release", "VARCHAR"),
    ),
    "Each producer's share of world production per commodity, stage and year (main series).",
)

MINERAL_CONCENTRATION = DerivedTable(
    "derived_mineral_concentration",
    (
        *_typed("commodity stage", "VARCHAR"),
        ("year", "SMALLINT"),
        ("producers", "BIGINT"),
        *_typed("reported_total hhi", "DOUBLE"),
        ("top1_country", "VARCHAR"),
        *_typed(
            "top1_value top1_share top3_share top3_value hhi_10000 other_value world_total denominator",
            "DOUBLE",
        ),
        ("denominator_basis", "VARCHAR"),
        *_typed("top1_share_of_world top3_share_of_world top1_share_of_world_published", "DOUBLE"),
        ("producers_above_5pct", "BIGINT"),
        ("unattributed_share", "DOUBLE"),
        ("other_pieces", "BIGINT"),
        *_typed("hhi_lower hhi_point hhi_upper hhi_lower_10000 hhi_point_10000 hhi_upper_10000", "DOUBLE"),
        ("provenance", "VARCHAR"),
        *_typed("hhi_wgi hhi_wgi_t hhi_wgi_t_lower hhi_wgi_t_upper", "DOUBLE"),
        ("release", "VARCHAR"),
    ),
    "Supply concentration per commodity, stage and year: HHI with bounds, top shares, HHI_WGI(,t).",
)

MINERAL_FLOWS = DerivedTable(
    "derived_mineral_flows",
    (
        ("commodity", "VARCHAR"),
        ("year", "BIGINT"),
        *_typed("exporter importer", "VARCHAR"),
        *_typed("quantity_t value_usd", "DOUBLE"),
        ("release", "VARCHAR"),
    ),
    "The largest trade flows (by value) of each commodity and year, all its HS92 codes together.",
)

SEA_ROUTES = DerivedTable(
    "derived_sea_routes",
    (
        *_typed("exporter importer mode rule origin_port destination_port", "VARCHAR"),
        ("distance_km", "DOUBLE"),
        *_typed("chokepoints method_version", "VARCHAR"),
    ),
    "The route of every exporter -> importer pair of the trade table: sea (with its chokepoints), "
    "overland or unrouted (critmin.sealanes.routes).",
)

CHOKEPOINT_EXPOSURE = DerivedTable(
    "derived_chokepoint_exposure",
    (
        *_typed("importer commodity stage", "VARCHAR"),
        ("year", "BIGINT"),
        ("chokepoint", "VARCHAR"),
        *_typed(
            "quantity_t value_usd share_t share_usd imports_t imports_usd seaborne_t overland_t unrouted_t",
            "DOUBLE",
        ),
        ("release", "VARCHAR"),
    ),
    "Each importer's imports per commodity, stage and year passing each chokepoint (critmin.sealanes).",
)

DERIVED_TABLES: dict[str, DerivedTable] = {
    t.name: t
    for t in (
        *PROFILE_TABLES.values(),
        IMPORT_SOURCES_DERIVED,
        MINERAL_PRODUCERS,
        MINERAL_CONCENTRATION,
        MINERAL_FLOWS,
        SEA_ROUTES,
        CHOKEPOINT_EXPOSURE,
    )
}
"""Every derived table by name."""
