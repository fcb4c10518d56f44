"""The Python API: ``critmin.open()`` returns a :class:`Critmin` handle whose accessors return frames.

Every frame carries ``source``, ``release`` and ``vintage_id`` columns, so each number can be
traced to the file it came from (see :meth:`Critmin.vintages` and :meth:`Critmin.sources`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from critmin import names, settings
from critmin.data import bundle_dir
from critmin.errors import CritminError
from critmin.ingest.base import ProgressCallback, sha256_of
from critmin.ingest.registry import importer
from critmin.store import Store
from critmin.store.bundle import load_bundle
from critmin.store.gateway import BoundStore, FilterValue, ImportOutcome
from critmin.store.pool import ReaderPool

if TYPE_CHECKING:
    import pandas as pd

Many = str | Sequence[str] | None
Years = int | Sequence[int] | None
COUNTRY_FILTERS = frozenset({"country", "exporter", "importer", "jurisdiction", "actor", "target"})
"""Filters that take countries, resolved from names and ISO2 codes (:mod:`critmin.names`)."""


def _many(value: Many | Years) -> FilterValue:
    if value is None or isinstance(value, (str, int)):
        return value
    return [str(v) if isinstance(v, str) else int(v) for v in value]  # type: ignore[return-value]


def _offset_progress(progress: ProgressCallback, offset: int, total: int) -> ProgressCallback:
    """Report one file's progress as progress through all the files being imported."""

    def report(done: int, _file_total: int) -> None:
        progress(offset + done, total)

    return report


class Critmin:
    """A handle on one critmin store.

    Parameters
    ----------
    path
        The DuckDB file; default ``$CRITMIN_HOME/critmin.duckdb``.
    derived
        Let :mod:`critmin.services` read the precomputed derived tables when they are fresh
        (default). ``False`` makes every service compute on demand, as before the tables existed
        (the benchmarks' baseline, and the tests' reference).
    pool_size
        Keep up to this many read-only connections open and reuse them across reads and threads
        (:class:`critmin.store.pool.ReaderPool`; swapped safely when an import replaces the file).
        ``0`` (default) opens one connection per read. Close the handle (:meth:`close`, or use it
        as a context manager) to release them.
    store
        An existing :class:`~critmin.store.Store` to wrap instead of opening ``path`` (the
        derived tables' refresh reads the store of an open transaction this way).
    """

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        derived: bool = True,
        pool_size: int = 0,
        store: Store | None = None,
    ) -> None:
        self.derived = derived
        self.pool: ReaderPool | None = None
        self._commodity_names: tuple[tuple[str, ...], names.NameIndex] | None = None
        if store is not None:
            self.store = store
            return
        file = Path(path) if path is not None else settings.default_db_path()
        if pool_size:
            self.pool = ReaderPool(file, pool_size)
        self.store = Store(file, pool=self.pool)

    def __repr__(self) -> str:
        return f"Critmin({str(self.store.path)!r})"

    def close(self) -> None:
        """Close the reader pool, if any (borrowed connections close when returned)."""
        if self.pool is not None:
            self.pool.close()

    def __enter__(self) -> Critmin:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def path(self) -> Path:
        """The store file."""
        return self.store.path

    # -- set-up ------------------------------------------------------------------------------

    def init(self) -> int:
        """Create the store if needed and add the bundled default dataset; return vintages added.

        The bundled event register (source ``critmin_events``) is added too, but not counted.
        The derived tables (:mod:`critmin.derived`) are then computed if they are missing or
        older than the data, so running it on an existing store refreshes them.
        """
        from critmin.events.register import load_bundled

        self.store.initialise()
        added = load_bundle(self.store, bundle_dir())
        load_bundled(self)
        self.refresh_derived(force=False)
        return added

    def refresh_derived(self, *, force: bool = True) -> bool:
        """Recompute the derived tables in one transaction (unless fresh and not ``force``); True if run."""
        from critmin.derived import is_fresh

        if not force and is_fresh(self.store):
            return False
        self.store.within(_refresh_hook)
        return True

    def import_files(
        self,
        source: str,
        paths: Sequence[Path | str],
        *,
        progress: ProgressCallback | None = None,
        **options: object,
    ) -> list[ImportOutcome]:
        """Parse files of one source and store them as vintages in one transaction.

        Files already stored (same SHA-256) are not parsed again. If any file fails, nothing is
        stored and the error names the file, line and field.
        """
        module = importer(source)
        files = [Path(p) for p in paths]
        for path in files:
            if not path.is_file():
                raise CritminError(f"no such file: {path}")
        known = set(self.store.vintages()["sha256"]) if self.store.path.exists() else set()
        grand_total = sum(path.stat().st_size for path in files)
        parsed = []
        outcomes: list[ImportOutcome] = []
        offset = 0
        for path in files:
            size = path.stat().st_size
            if sha256_of(path) in known:
                outcomes.append(ImportOutcome(str(path), source, "", "unchanged", 0, {}))
            else:
                kwargs = dict(options)
                if progress is not None:
                    kwargs["progress"] = _offset_progress(progress, offset, grand_total)
                parsed.append(module.parse(path, **kwargs))
            offset += size
            if progress is not None:
                progress(offset, grand_total)
        return self.store.add(parsed, after=_refresh_hook) + outcomes if parsed else outcomes

    # -- reference ---------------------------------------------------------------------------

    def import_files_on_copy(
        self,
        source: str,
        paths: Sequence[Path | str],
        *,
        progress: ProgressCallback | None = None,
        **options: object,
    ) -> list[ImportOutcome]:
        """:meth:`import_files` into a copy of the store that then replaces it atomically.

        Readers of the store (read-only connections) are never blocked, and a failed import leaves
        the store as it was; see :mod:`critmin.store.snapshot`.
        """
        from critmin.store.snapshot import import_on_copy

        return import_on_copy(self.path, paths, source, progress=progress, **options)

    def commodities(self) -> pd.DataFrame:
        """The commodity catalog: id, name, family, parent and symbol."""
        return self.store.catalog("commodities")

    def commodity_id(self, name: str) -> str:
        """The catalog id of a commodity as people type it (``"graphite"`` -> ``graphite_natural``).

        Ids, names, symbols and the synonyms of :mod:`critmin.names` resolve; an unknown name
        raises :class:`critmin.names.UnknownNameError` with the three closest.
        """
        return self.commodity_names().resolve(name).id

    def commodity_names(self) -> names.NameIndex:
        """The name index of this store's commodity catalog (see :mod:`critmin.names`)."""
        catalog = self.commodities()
        key = tuple(catalog["commodity"])
        if self._commodity_names is None or self._commodity_names[0] != key:
            rows = [
                {"commodity": str(c), "name": str(n), "symbol": str(y)}
                for c, n, y in zip(
                    catalog["commodity"], catalog["name"], catalog["symbol"].fillna(""), strict=True
                )
            ]
            self._commodity_names = (key, names.commodities_of(rows))
        return self._commodity_names[1]

    def country_code(self, name: str) -> str:
        """The ISO3 code (or bloc code such as ``EUU``) of a country as people type it.

        ISO3 and ISO2 codes, names and common names resolve (``"in"``, ``"India"`` -> ``IND``);
        an unknown name raises :class:`critmin.names.UnknownNameError` with the three closest.
        """
        return names.country(name)

    def _countries(self, value: Many) -> FilterValue:
        if value is None:
            return None
        if isinstance(value, str):
            return self.country_code(value)
        return [self.country_code(v) for v in value]

    def _commodities(self, value: Many) -> FilterValue:
        if value is None:
            return None
        if isinstance(value, str):
            return self.commodity_id(value)
        return [self.commodity_id(v) for v in value]

    def trade_years(self, hs6: Many = None, *, nomenclature: str = "HS92") -> list[int]:
        """The years the store holds trade for (in these HS codes), ascending."""
        found = self.store.select(
            "trade", {"nomenclature": nomenclature, "hs6": _many(hs6)}, columns=["year"]
        )
        return sorted({int(y) for y in found["year"]})

    def hs_codes(self) -> pd.DataFrame:
        """HS codes of each commodity and stage, with their confidence (exact, dominant, proxy)."""
        return self.store.catalog("hs_codes")

    def _hs6_of(self, commodity: Many, nomenclature: str | None) -> list[str]:
        ids = self._commodities(commodity)
        wanted = {ids} if isinstance(ids, str) else set(ids or [])  # type: ignore[arg-type]
        table = self.hs_codes()
        mapped = table[table["commodity"].isin(wanted)]
        if nomenclature is not None:
            mapped = mapped[mapped["nomenclature"] == nomenclature]
        return sorted(set(mapped["hs6"]))

    def places(self) -> pd.DataFrame:
        """Country and aggregate codes with names; ``is_aggregate`` is boolean."""
        places = self.store.catalog("places")
        return places.assign(is_aggregate=places["is_aggregate"] == "true")

    def vintages(self) -> pd.DataFrame:
        """Every stored vintage (one per imported file), newest release first."""
        return self.store.vintages()

    def sources(self) -> pd.DataFrame:
        """Each source with its releases, licence and citation."""
        vintages = self.vintages()
        if vintages.empty:
            return vintages
        grouped = vintages.groupby(["source", "release", "licence", "citation", "url"], dropna=False)
        return (
            grouped.agg(files=("vintage_id", "count"), release_date=("release_date", "max"))
            .reset_index()
            .sort_values(["source", "release_date"], ascending=[True, False], ignore_index=True)
        )

    # -- canonical tables ----------------------------------------------------------------------

    def _select(
        self,
        table: str,
        *,
        vintage: str | int | None,
        source: str | None = None,
        aggregates: bool = True,
        commodity: Many = None,
        **filters: Many | Years,
    ) -> pd.DataFrame:
        """Read a canonical table: names and lists normalised, commodity names resolved to ids."""
        wanted: dict[str, FilterValue] = {
            column: self._countries(value) if column in COUNTRY_FILTERS else _many(value)  # type: ignore[arg-type]
            for column, value in filters.items()
        }
        if commodity is not None:
            wanted["commodity"] = self._commodities(commodity)
        if not aggregates:
            wanted["is_aggregate"] = False
        return self.store.select(table, wanted, vintage=vintage, source=source)

    def production(
        self,
        commodity: Many = None,
        stage: Many = None,
        country: Many = None,
        year: Years = None,
        *,
        source: str | None = "usgs_mcs",
        vintage: str | int | None = None,
        aggregates: bool = False,
    ) -> pd.DataFrame:
        """Production by commodity, stage, country and year.

        Parameters
        ----------
        source
            ``"usgs_mcs"`` (default) or ``"wmd"`` once World Mining Data is imported; ``None`` for all.
        vintage
            A release (``"MCS2024"``) or vintage id; default: each slice from its newest release.
        aggregates
            Include ``World total`` (WLD) and ``Other countries`` (OTH) rows.
        """
        return self._select(
            "production",
            vintage=vintage,
            source=source,
            aggregates=aggregates,
            commodity=commodity,
            stage=stage,
            country=country,
            year=year,
        )

    def reserves(
        self,
        commodity: Many = None,
        country: Many = None,
        year: Years = None,
        *,
        source: str | None = "usgs_mcs",
        vintage: str | int | None = None,
        aggregates: bool = False,
    ) -> pd.DataFrame:
        """Reserves by commodity and country (dated to the release's latest year)."""
        return self._select(
            "reserves",
            vintage=vintage,
            source=source,
            aggregates=aggregates,
            commodity=commodity,
            country=country,
            year=year,
        )

    def capacity(
        self,
        commodity: Many = None,
        stage: Many = None,
        country: Many = None,
        year: Years = None,
        *,
        vintage: str | int | None = None,
        aggregates: bool = False,
    ) -> pd.DataFrame:
        """Production capacity by commodity, stage, country and year."""
        return self._select(
            "capacity",
            vintage=vintage,
            aggregates=aggregates,
            commodity=commodity,
            stage=stage,
            country=country,
            year=year,
        )

    def trade(
        self,
        year: Years = None,
        exporter: Many = None,
        importer: Many = None,
        hs6: Many = None,
        *,
        commodity: Many = None,
        nomenclature: str | None = "HS92",
        source: str | None = "baci",
        vintage: str | int | None = None,
    ) -> pd.DataFrame:
        """Bilateral trade: value in USD and quantity in tonnes.

        ``commodity`` selects the HS codes the catalog maps to it (see :meth:`hs_codes`) in the
        chosen nomenclature.
        """
        codes: Many = hs6
        if commodity is not None:
            mapped = self._hs6_of(commodity, nomenclature)
            asked = {hs6} if isinstance(hs6, str) else set(hs6 or mapped)
            codes = sorted(set(mapped) & asked)

        return self._select(
            "trade",
            vintage=vintage,
            source=source,
            nomenclature=nomenclature,
            year=year,
            exporter=exporter,
            importer=importer,
            hs6=codes,
        )

    def governance(
        self,
        country: Many = None,
        year: Years = None,
        indicator: Many = None,
        *,
        vintage: str | int | None = None,
    ) -> pd.DataFrame:
        """Governance indicators (WGI ``va pv ge rq rl cc``) by country and year."""
        return self._select("governance", vintage=vintage, country=country, year=year, indicator=indicator)

    def lists(
        self,
        jurisdiction: Many = None,
        commodity: Many = None,
        list_year: Years = None,
        *,
        vintage: str | int | None = None,
    ) -> pd.DataFrame:
        """Official critical-mineral lists (USA, EU, India, Japan, ...)."""
        return self._select(
            "lists", vintage=vintage, jurisdiction=jurisdiction, commodity=commodity, list_year=list_year
        )

    def restrictions(
        self, country: Many = None, commodity: Many = None, *, vintage: str | int | None = None
    ) -> pd.DataFrame:
        """Export-restriction measures, one row per measure and commodity."""
        return self._select("restrictions", vintage=vintage, country=country, commodity=commodity)

    def import_reliance(
        self,
        country: Many = None,
        commodity: Many = None,
        year: Years = None,
        *,
        vintage: str | int | None = None,
    ) -> pd.DataFrame:
        """Published net import reliance (% of apparent consumption), flags such as ``E`` or ``>`` kept."""
        return self._select(
            "import_reliance", vintage=vintage, country=country, commodity=commodity, year=year
        )

    def import_sources(
        self, importer: Many = None, commodity: Many = None, *, vintage: str | int | None = None
    ) -> pd.DataFrame:
        """Published import-source shares (USGS: U.S. import sources over a period)."""
        return self._select("import_sources", vintage=vintage, importer=importer, commodity=commodity)

    def salient(
        self,
        country: Many = None,
        commodity: Many = None,
        year: Years = None,
        *,
        vintage: str | int | None = None,
    ) -> pd.DataFrame:
        """National salient statistics (USGS U.S. production, trade, consumption, prices...)."""
        return self._select("salient", vintage=vintage, country=country, commodity=commodity, year=year)

    def events(
        self,
        type: str | None = None,
        actor: str | None = None,
        target: str | None = None,
        commodity: str | None = None,
        active_on: date | str | None = None,
        status: str | None = None,
        *,
        vintage: str | int | None = None,
    ) -> pd.DataFrame:
        """The event register (bundled and user events), filtered (see ``events.register.filter_events``).

        ``target`` also matches events aimed at all countries (empty ``targets``); ``commodity``
        (id or name) matches events that list it; ``active_on`` keeps events valid on that date.
        """
        from critmin.events.register import filter_events

        frame = self.store.select("events", {}, vintage=vintage)
        wanted = self.commodity_id(commodity) if commodity is not None else None
        return filter_events(
            frame, type=type, actor=actor, target=target, commodity=wanted, active_on=active_on, status=status
        )

    def table(self, name: str, *, vintage: str | int | None = None) -> pd.DataFrame:
        """A whole canonical table (resolved to the newest vintage per slice unless ``vintage`` is given)."""
        return self.store.select(name, {}, vintage=vintage)


def _refresh_hook(store: BoundStore) -> None:
    """Recompute the derived tables inside the transaction that ``store`` is bound to."""
    from critmin.derived import refresh

    refresh(store)


def open(
    path: Path | str | None = None, *, init: bool = True, derived: bool = True, pool_size: int = 0
) -> Critmin:
    """Open a store; create it from the bundled dataset when it is new.

    Parameters
    ----------
    path
        The DuckDB file; default ``$CRITMIN_HOME/critmin.duckdb`` (``CRITMIN_HOME`` defaults to
        the user's data directory).
    init
        Create a missing or empty store and load the bundled default dataset into it.
    derived, pool_size
        See :class:`Critmin`: read the derived tables when fresh; reuse up to ``pool_size``
        read-only connections (``0``: one per read).
    """
    handle = Critmin(path, derived=derived, pool_size=pool_size)
    if init and handle.store.is_empty():
        handle.init()
    return handle
