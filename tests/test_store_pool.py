"""The reader pool: connections reused across reads and threads, swapped safely when an import replaces it."""

from __future__ import annotations

import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import critmin
from critmin.errors import StoreError
from critmin.store.pool import ReaderPool
from critmin.store.snapshot import import_on_copy

WMD = ("production_wmd", "world_mining_data_2024ed_2018_2022_long.csv")
COUNT = "SELECT count(*) AS n FROM vintages"


@pytest.fixture
def copied(bundled: critmin.Critmin, tmp_path: Path) -> Path:
    """A private copy of the bundled store (the tests write to it)."""
    target = tmp_path / "critmin.duckdb"
    shutil.copyfile(bundled.path, target)
    return target


def _vintages(db: critmin.Critmin) -> int:
    return int(db.store.query(COUNT)["n"].iloc[0])


def test_reads_reuse_one_connection(copied: Path) -> None:
    with critmin.Critmin(copied, pool_size=4) as db:
        assert db.pool is not None
        counts = {_vintages(db) for _ in range(50)}
        assert len(counts) == 1
        assert db.pool.opened == 1
        assert db.pool.cursors == 1


def test_threads_each_get_their_own_cursor_of_one_connection(copied: Path) -> None:
    with critmin.Critmin(copied, pool_size=8) as db:
        assert db.pool is not None
        with ThreadPoolExecutor(8) as workers:
            counts = set(workers.map(lambda _: _vintages(db), range(200)))
        assert len(counts) == 1
        assert db.pool.opened == 1
        assert 1 <= db.pool.cursors <= 8


def test_readers_see_the_old_or_the_new_store_while_an_import_replaces_it(
    copied: Path, raw_data: Path
) -> None:
    with critmin.Critmin(copied, pool_size=4) as db:
        assert db.pool is not None
        before = _vintages(db)
        seen: set[int] = set()
        errors: list[BaseException] = []
        stop = threading.Event()

        def read() -> None:
            while not stop.is_set():
                try:
                    seen.add(_vintages(db))
                except BaseException as exc:
                    errors.append(exc)
                    return

        readers = [threading.Thread(target=read) for _ in range(4)]
        for thread in readers:
            thread.start()
        try:
            outcomes = import_on_copy(copied, [raw_data.joinpath(*WMD)], "wmd")
        finally:
            stop.set()
            for thread in readers:
                thread.join()
        assert [o.status for o in outcomes] == ["added"]
        after = _vintages(db)
        assert errors == []
        assert after == before + 1
        assert seen <= {before, after}
        assert db.pool.opened >= 2
        assert db.pool.generations_open == 1


def test_a_write_in_the_same_process_waits_for_readers_and_then_reads_the_new_data(
    copied: Path, raw_data: Path
) -> None:
    with critmin.Critmin(copied, pool_size=2) as db:
        assert db.pool is not None
        before = _vintages(db)
        outcomes = db.import_files("wmd", [raw_data.joinpath(*WMD)])
        assert [o.status for o in outcomes] == ["added"]
        assert _vintages(db) == before + 1
        assert db.pool.generations_open == 1


def test_a_write_gives_up_when_a_reader_holds_the_file_too_long(copied: Path) -> None:
    pool = ReaderPool(copied, 2, wait=0.2)
    db = critmin.Critmin(copied)
    try:
        with pool.borrow(), pytest.raises(StoreError, match="still hold it"):
            db.store.within(lambda _: None)
        db.store.within(lambda _: None)
    finally:
        pool.close()


def test_a_closed_pool_refuses_to_lend(copied: Path) -> None:
    pool = ReaderPool(copied, 1)
    pool.close()
    with pytest.raises(StoreError, match="closed"), pool.borrow():
        pass
    with pytest.raises(StoreError, match="at least one"):
        ReaderPool(copied, 0)
