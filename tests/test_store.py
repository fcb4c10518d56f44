"""The store gateway: schema versions, vintages, slice resolution and all-or-nothing writes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from critmin.errors import SchemaVersionError, StoreError, VintageError
from critmin.ingest.base import Parsed, SourceInfo
from critmin.schema import PRODUCTION, SCHEMA_VERSION
from critmin.store import Store, ddl

INFO = SourceInfo("test_source", "Test", "Tester", "CC0", "Tester (2026)", "http://127.0.0.1/", bundled=False)


def production_rows(rows: list[tuple[str, int, float]], commodity: str = "cobalt") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["country", "year", "value"])
    frame["commodity"] = commodity
    frame["stage"] = "mine"
    frame["form"] = ""
    frame["is_aggregate"] = frame["country"].isin(["WLD", "OTH"])
    frame["unit"] = "t"
    frame["basis"] = ""
    frame["flag"] = None
    frame["estimated"] = False
    frame["source_label"] = "test"
    return frame[PRODUCTION.column_names]


def parsed(release: str, released: date, frame: pd.DataFrame, sha: str) -> Parsed:
    return Parsed(INFO, "test", release, released, Path(f"/data/{release}.csv"), sha, {"production": frame})


def test_new_store_records_schema_version(store: Store) -> None:
    assert store.schema_version() == SCHEMA_VERSION
    with store.reader() as con, pytest.raises(duckdb.Error):
        con.execute("DELETE FROM vintages")


def test_same_file_twice_changes_nothing(store: Store) -> None:
    item = parsed("R1", date(2024, 1, 31), production_rows([("COD", 2023, 170_000.0)]), "a" * 64)
    first = store.add([item])
    second = store.add([item])
    assert first[0].status == "added"
    assert second[0].status == "unchanged"
    assert second[0].vintage_id == first[0].vintage_id
    assert store.table_counts()["production"] == 1
    assert len(store.vintages()) == 1


def test_newest_release_supplies_whole_slice(store: Store) -> None:
    """A slice comes whole from the newest release: a country the new release dropped does not come back."""
    old = production_rows([("COD", 2022, 130_000.0), ("AUS", 2022, 5_900.0), ("WLD", 2022, 190_000.0)])
    new = production_rows([("COD", 2022, 144_000.0), ("WLD", 2022, 198_000.0), ("COD", 2023, 170_000.0)])
    store.add([parsed("MCS2023", date(2023, 1, 31), old, "1" * 64)])
    store.add([parsed("MCS2024", date(2024, 3, 6), new, "2" * 64)])
    latest = store.select("production", {"year": 2022})
    assert sorted(latest["country"]) == ["COD", "WLD"]
    assert set(latest["release"]) == {"MCS2024"}
    assert store.select("production", {"year": 2022, "country": "AUS"}).empty
    pinned = store.select("production", {"year": 2022}, vintage="MCS2023")
    assert sorted(pinned["country"]) == ["AUS", "COD", "WLD"]
    assert pinned.loc[pinned["country"] == "COD", "value"].item() == 130_000.0


def test_older_release_imported_later_does_not_become_default(store: Store) -> None:
    new = production_rows([("COD", 2022, 144_000.0)])
    old = production_rows([("COD", 2022, 130_000.0)])
    store.add([parsed("MCS2024", date(2024, 3, 6), new, "2" * 64)])
    store.add([parsed("MCS2023", date(2023, 1, 31), old, "1" * 64)])
    assert store.select("production", {"country": "COD"})["value"].tolist() == [144_000.0]


def test_unknown_vintage_lists_releases(store: Store) -> None:
    store.add([parsed("MCS2024", date(2024, 3, 6), production_rows([("COD", 2023, 1.0)]), "2" * 64)])
    with pytest.raises(VintageError, match="MCS2024"):
        store.select("production", vintage="MCS1999")


def test_failed_file_keeps_nothing_of_any_file(store: Store) -> None:
    good = parsed("R1", date(2024, 1, 1), production_rows([("COD", 2023, 1.0)]), "3" * 64)
    broken_frame = production_rows([("COD", 2023, 1.0)]).drop(columns=["unit"])
    broken = parsed("R2", date(2025, 1, 1), broken_frame, "4" * 64)
    with pytest.raises(StoreError, match="unit"):
        store.add([good, broken])
    assert store.table_counts()["production"] == 0
    assert store.vintages().empty


def test_filters_reject_unknown_columns(store: Store) -> None:
    with pytest.raises(StoreError, match="no column"):
        store.select("production", {"country; DROP TABLE vintages": "x"})


def _set_version(path: Path, version: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    con.close()


def test_newer_store_is_refused_with_instructions(store: Store) -> None:
    _set_version(store.path, SCHEMA_VERSION + 1)
    with pytest.raises(SchemaVersionError, match="upgrade critmin"):
        store.vintages()
    with pytest.raises(SchemaVersionError, match="newer"):
        store.initialise()


def test_store_without_migration_path_is_refused(store: Store) -> None:
    _set_version(store.path, 0)
    with pytest.raises(SchemaVersionError, match="cannot migrate"):
        store.initialise()


def test_older_store_is_migrated(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("critmin.store.gateway.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(ddl.MIGRATIONS, SCHEMA_VERSION, ["ALTER TABLE vintages ADD COLUMN reviewed BOOLEAN"])
    with pytest.raises(SchemaVersionError, match="critmin data migrate"):
        store.vintages()
    assert store.migrate() == SCHEMA_VERSION
    assert store.schema_version() == SCHEMA_VERSION + 1
    assert "reviewed" in store.vintages().columns


def test_foreign_duckdb_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE something (x INTEGER)")
    con.close()
    with pytest.raises(SchemaVersionError, match="not a critmin store"):
        Store(path).initialise()


def test_catalog_tables_are_in_the_store(store: Store) -> None:
    commodities = store.catalog("commodities")
    assert {"rare_earths", "cobalt", "lithium"} <= set(commodities["commodity"])
    places = store.catalog("places")
    assert places.loc[places["code"] == "NAM", "name"].item() == "Namibia"
    assert places.loc[places["code"] == "WLD", "is_aggregate"].item() == "true"
