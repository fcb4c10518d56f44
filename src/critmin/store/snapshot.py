"""Imports that never lock the live store: import into a copy, then swap the copy in atomically.

Readers open the store read-only, one connection per request. An import through
:func:`import_on_copy` copies the store file to a temporary file in the same folder, imports into
the copy and then :func:`os.replace`-s the copy onto the store path. The rename is atomic on one
filesystem: a reader sees either the old store or the new one, never half an import, and
connections already open keep reading the old file until they close. A failed import deletes the
copy and leaves the store untouched. Imports are serialised by an advisory lock file beside the
store, so two imports cannot each start from the same store and lose the other's vintages.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from critmin.errors import CritminError
from critmin.ingest.base import ProgressCallback
from critmin.store.gateway import ImportOutcome

LOCK_SUFFIX = ".import.lock"


@contextlib.contextmanager
def import_lock(db_path: Path) -> Iterator[None]:
    """Hold the store's import lock (an ``flock`` on ``<store>.import.lock``) while the block runs."""
    lock_path = db_path.with_name(db_path.name + LOCK_SUFFIX)
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)


def copy_store(db_path: Path) -> Path:
    """Copy the store to a new temporary file in the same folder.

    A store with a write-ahead log beside it (a writer still open, or one that crashed) is
    refused: replacing the file would leave that log to be replayed onto the new store.
    """
    if not db_path.is_file():
        raise CritminError(f"no store at {db_path}; run `critmin data init` first")
    if db_path.with_name(db_path.name + ".wal").exists():
        raise CritminError(
            f"the store {db_path} has a write-ahead log (another writer is open?); try again later"
        )
    descriptor, name = tempfile.mkstemp(
        prefix=f".{db_path.stem}-import-", suffix=".duckdb", dir=db_path.parent
    )
    os.close(descriptor)
    copy = Path(name)
    shutil.copyfile(db_path, copy)
    return copy


def _remove(copy: Path) -> None:
    for path in (copy, copy.with_name(copy.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def import_on_copy(
    db_path: Path | str,
    files: Sequence[Path | str],
    source: str,
    *,
    progress: ProgressCallback | None = None,
    **options: object,
) -> list[ImportOutcome]:
    """Import ``files`` of ``source`` into a copy of the store, then replace the store with the copy.

    Parameters
    ----------
    db_path
        The live store file.
    files
        Raw files of one source (one vintage each), as for :meth:`critmin.api.Critmin.import_files`.
    source
        Importer name (``usgs-mcs``, ``baci``, ``comtrade``, ``wgi``, ``wmd``, ``lists``,
        ``restrictions``).
    progress
        Called with ``(bytes_done, bytes_total)`` while the files are parsed.
    **options
        Importer options (``nomenclature="HS92"``...).

    Returns
    -------
    list of ImportOutcome
        One per file: ``added`` or ``unchanged``, the release and the rows stored.

    Raises
    ------
    CritminError
        The importer's message (file, line, field) when a file is malformed; the store is then
        unchanged.
    """
    from critmin.api import Critmin

    live = Path(db_path)
    with import_lock(live):
        copy = copy_store(live)
        try:
            outcomes = Critmin(copy).import_files(source, list(files), progress=progress, **options)
            wal = copy.with_name(copy.name + ".wal")
            if wal.exists():  # every connection is closed, so DuckDB has checkpointed; be sure
                raise CritminError(f"import left an unflushed write-ahead log {wal}; store unchanged")
            os.replace(copy, live)
        except BaseException:
            _remove(copy)
            raise
    return outcomes
