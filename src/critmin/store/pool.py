"""A pool of read-only DuckDB connections, reused across reads and swapped when an import replaces the file.

Opening the store costs ~17 ms (most of a small request); a cursor of an open connection costs
~0.2 ms. A :class:`ReaderPool` keeps one read-only connection per *generation* of the store file
and hands each borrower a cursor of it (cursors are returned to an idle list and reused; each
borrower has its own, so threads never share one).

Generations. An import writes a copy and :func:`os.replace`-s it onto the store path
(:mod:`critmin.store.snapshot`). Each borrow compares the file's identity (``st_ino``,
``st_mtime_ns``, ``st_size``, one ``os.stat``) with the current generation's; when it changed, a new
generation is opened for this and later borrowers, and the old one is closed as soon as its last
borrower returns. A borrower reads one generation from start to end, so it sees either the old
store or the new one, never half an import.

DuckDB caches open databases by path within a process, so a second ``connect`` to the path while
the old generation is open would return the *old* file. Each generation is therefore opened
through a hard link of its own (removed right after opening) to the store file. A symbolic link
does not do: DuckDB resolves it to the store path and returns the cached old database.

Writes in the same process. DuckDB refuses a read-write connection to a file that a read-only one
in the same process holds. :meth:`critmin.store.Store.transaction` runs inside
:func:`suspended` for its path: every pool on that file stops lending, waits for its borrowers
to return (at most ``wait`` seconds, else :class:`~critmin.errors.StoreError`), closes its
connections, and opens a new generation after the write.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from critmin.errors import StoreError

Identity = tuple[int, int, int]
Check = Callable[[duckdb.DuckDBPyConnection], None]

_REGISTRY: weakref.WeakSet[ReaderPool] = weakref.WeakSet()
_REGISTRY_LOCK = threading.Lock()
_LINKS = itertools.count()


def file_identity(path: Path) -> Identity | None:
    """``(st_ino, st_mtime_ns, st_size)`` of the file, or ``None`` when there is none."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


@dataclass
class _Generation:
    """One opened state of the store file: its root connection, idle cursors and borrowers."""

    identity: Identity
    root: duckdb.DuckDBPyConnection
    idle: list[duckdb.DuckDBPyConnection] = field(default_factory=list)
    borrowers: int = 0
    retired: bool = False

    def close(self) -> None:
        for cursor in self.idle:
            cursor.close()
        self.idle.clear()
        self.root.close()


class ReaderPool:
    """Read-only connections to one store file, reused across reads and threads.

    Parameters
    ----------
    path
        The store file.
    size
        Idle cursors kept per generation (more borrowers at once still get one each; the extra
        ones are closed when returned).
    wait
        Seconds a same-process write waits for borrowers to return (:func:`suspended`).

    Attributes
    ----------
    opened
        Generations (read-only database connections) opened so far.
    cursors
        Cursors created so far (a reused cursor is not counted again).
    """

    def __init__(self, path: Path | str, size: int = 8, *, wait: float = 60.0) -> None:
        if size < 1:
            raise StoreError(f"a reader pool needs at least one connection, not {size}")
        self.path = Path(path).resolve()
        self.size = size
        self.wait = wait
        self.opened = 0
        self.cursors = 0
        self._cond = threading.Condition()
        self._current: _Generation | None = None
        self._retired: list[_Generation] = []
        self._suspended = 0
        self._closed = False
        with _REGISTRY_LOCK:
            _REGISTRY.add(self)

    def __repr__(self) -> str:
        return f"ReaderPool({str(self.path)!r}, size={self.size})"

    @property
    def generations_open(self) -> int:
        """Generations whose connections are still open (the current one and retired ones in use)."""
        with self._cond:
            return len(self._retired) + (self._current is not None)

    @contextlib.contextmanager
    def borrow(self, check: Check | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only cursor of the store's current generation, returned to the pool afterwards.

        ``check`` runs once on each new generation's connection (the store's schema check).
        """
        generation, cursor = self._acquire(check)
        try:
            yield cursor
        finally:
            self._release(generation, cursor)

    def _acquire(self, check: Check | None) -> tuple[_Generation, duckdb.DuckDBPyConnection]:
        with self._cond:
            if not self._cond.wait_for(lambda: self._closed or not self._suspended, timeout=self.wait):
                raise StoreError(f"the store {self.path} is being written; try again")
            if self._closed:
                raise StoreError(f"the reader pool of {self.path} is closed")
            identity = file_identity(self.path)
            if identity is None:
                raise StoreError(f"no store at {self.path}; run `critmin data init` first")
            if self._current is None or self._current.identity != identity:
                self._retire_current()
                self._current = self._open(check)
            generation = self._current
            if generation.idle:
                cursor = generation.idle.pop()
            else:
                cursor = generation.root.cursor()
                self.cursors += 1
            generation.borrowers += 1
            return generation, cursor

    def _release(self, generation: _Generation, cursor: duckdb.DuckDBPyConnection) -> None:
        with self._cond:
            generation.borrowers -= 1
            if generation.retired or len(generation.idle) >= self.size:
                cursor.close()
            else:
                generation.idle.append(cursor)
            if generation.retired and generation.borrowers == 0:
                generation.close()
                self._retired.remove(generation)
            self._cond.notify_all()

    def _open(self, check: Check | None) -> _Generation:
        """Open the file as it is now, through a link of its own (see the module docstring)."""
        for _ in range(5):
            before = file_identity(self.path)
            link = self.path.with_name(f".{self.path.name}.reader-{os.getpid()}-{next(_LINKS)}.duckdb")
            try:
                os.link(self.path, link)
            except FileNotFoundError:
                continue  # replaced between the stat and the link: look again
            except OSError as exc:
                raise StoreError(
                    f"cannot open the store {self.path} for pooled reading: its folder does not allow "
                    f"hard links ({exc}); serve with --readers 0"
                ) from exc
            try:
                root = duckdb.connect(str(link), read_only=True)
            except duckdb.Error as exc:
                raise StoreError(f"cannot open the store {self.path} for reading: {exc}") from exc
            finally:
                link.unlink()
            after = file_identity(self.path)
            if before is not None and before == after:
                try:
                    if check is not None:
                        check(root)
                except BaseException:
                    root.close()
                    raise
                self.opened += 1
                return _Generation(before, root)
            root.close()  # replaced while opening: open again
        raise StoreError(f"the store {self.path} keeps being replaced; try again")

    def _retire_current(self) -> None:
        current, self._current = self._current, None
        if current is None:
            return
        current.retired = True
        if current.borrowers == 0:
            current.close()
        else:
            self._retired.append(current)

    def suspend(self) -> None:
        """Stop lending, wait for every borrower to return, and close every connection."""
        with self._cond:
            self._suspended += 1
            self._retire_current()
            if not self._cond.wait_for(lambda: not self._retired, timeout=self.wait):
                self._suspended -= 1
                self._cond.notify_all()
                raise StoreError(
                    f"cannot write the store {self.path}: {sum(g.borrowers for g in self._retired)} "
                    f"reader(s) of this process still hold it after {self.wait:g} s"
                )

    def resume(self) -> None:
        """Lend again (a new generation is opened by the next borrower)."""
        with self._cond:
            self._suspended = max(0, self._suspended - 1)
            self._cond.notify_all()

    def close(self) -> None:
        """Close the pool: idle connections now, borrowed ones when returned; later borrows fail."""
        with self._cond:
            self._closed = True
            self._retire_current()
            self._cond.notify_all()
        with _REGISTRY_LOCK:
            _REGISTRY.discard(self)

    def __enter__(self) -> ReaderPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def pools_of(path: Path | str) -> list[ReaderPool]:
    """The open pools of this process on the file ``path``."""
    wanted = Path(path).resolve()
    with _REGISTRY_LOCK:
        return [pool for pool in _REGISTRY if pool.path == wanted and not pool._closed]


@contextlib.contextmanager
def suspended(path: Path | str) -> Iterator[None]:
    """Suspend every pool of this process on ``path`` while the block runs (a write to the file)."""
    done: list[ReaderPool] = []
    try:
        for pool in pools_of(path):
            pool.suspend()
            done.append(pool)
        yield
    finally:
        for pool in done:
            pool.resume()
