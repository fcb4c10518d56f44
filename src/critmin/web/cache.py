"""A cache of whole GET responses, keyed by the store's state, as raw ASGI middleware.

Reads of the store (tables, profiles, pages) give the same bytes until an import replaces the
store file. :class:`ResponseCache` keeps each successful answer of a cacheable GET under a key made
of the store file's identity (inode, modification time and size: an import's atomic rename changes
it, see :mod:`critmin.store.snapshot`), the identity of each watched folder (saved scenarios live
beside the store, not in it), today's date (pages and alerts default to it), the path with
its query string, the ``Accept`` header and whether the client takes gzip. A repeated request is
then answered without running the app at all: no routing, no validation, no serialisation. Jobs,
fragments, health and the static files are never cached; nor is any answer other than 200, or
one larger than ``max_item_bytes``.

Any request that is not a GET, HEAD or OPTIONS (a write: saving a scenario, adding an event,
an import) empties the cache once it is answered, so a write in this server is seen at once; the
keys see writes by other processes. The POSTs that only compute (submitting a job, running a
scenario form, extracting events from a text: :func:`is_computation`) leave the cache alone, so a
stream of job submissions does not send every reader back to the app.

Concurrent misses of one key are answered by one pass through the app: the first request computes,
the others wait for its answer (then a hit), so fifty clients opening a page nobody has opened yet
cost one rendering, not fifty.

The cache is bounded (``max_bytes`` in all) and drops the least recently used answers first.
Answers carry ``X-Cache: hit`` or ``miss``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNCACHED_PREFIXES = ("/api/jobs", "/api/health", "/fragments/", "/static/", "/docs")
"""Paths whose answers change without the store changing, or that are served well enough already."""
COMPUTING_SUFFIXES = ("/runs", "/run", "/extract")
COMPUTING_PREFIXES = ("/fragments/", "/api/partnership/products")
"""POSTs that start a job or compute an answer and store nothing."""


def is_computation(path: str) -> bool:
    """Whether a POST to ``path`` only computes (a job, a form's result) and leaves stored data as it was."""
    return path.endswith(COMPUTING_SUFFIXES) or path.startswith(COMPUTING_PREFIXES)


@dataclass(frozen=True)
class Answer:
    """A response as it went out: status, headers and body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


def store_state(path: Path) -> str:
    """The store file's identity: inode, modification time and size (``missing`` when there is none)."""
    try:
        stat = os.stat(path)
    except OSError:
        return "missing"
    return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


class ResponseCache:
    """ASGI middleware answering repeated GETs from memory while the store is unchanged.

    Parameters
    ----------
    app
        The wrapped ASGI app.
    db_path
        The store file whose identity is part of every key.
    watched
        Folders whose identity is part of every key (a file added, replaced or removed in one
        changes its modification time).
    max_bytes, max_item_bytes
        Bound on all cached bodies together, and on one body.
    """

    def __init__(
        self,
        app: ASGIApp,
        db_path: Path,
        *,
        watched: Sequence[Path] = (),
        max_bytes: int = 64_000_000,
        max_item_bytes: int = 4_000_000,
    ) -> None:
        self.app = app
        self.db_path = db_path
        self.watched = tuple(watched)
        self.max_bytes = max_bytes
        self.max_item_bytes = max_item_bytes
        self._answers: OrderedDict[tuple[str, ...], Answer] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, ...], tuple[asyncio.AbstractEventLoop, asyncio.Event]] = {}

    def __len__(self) -> int:
        return len(self._answers)

    def clear(self) -> None:
        """Forget every cached answer."""
        with self._lock:
            self._answers.clear()
            self._size = 0

    def _key(self, scope: Scope) -> tuple[str, ...] | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path: str = scope["path"]
        if path.startswith(UNCACHED_PREFIXES):
            return None
        accept, gzip = "", ""
        for name, value in scope.get("headers", ()):
            if name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"accept-encoding":
                gzip = "gzip" if b"gzip" in value else ""
            elif name in (b"authorization", b"cookie", b"range"):
                return None
        query = scope.get("query_string", b"").decode("latin-1")
        folders = "|".join(store_state(folder) for folder in self.watched)
        today = dt.date.today().isoformat()
        return (store_state(self.db_path), folders, today, path, query, accept, gzip)

    def _get(self, key: tuple[str, ...]) -> Answer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def _put(self, key: tuple[str, ...], answer: Answer) -> None:
        with self._lock:
            if key in self._answers:
                return
            self._answers[key] = answer
            self._size += len(answer.body)
            while self._size > self.max_bytes and self._answers:
                _, dropped = self._answers.popitem(last=False)
                self._size -= len(dropped.body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer from the cache when the request's key is stored, else pass it on and keep the answer."""
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            if self._writes(scope):
                self.clear()
            return
        answer = self._get(key)
        if answer is None:
            answer = await self._wait_for_pending(key)
        if answer is not None:
            await send(
                {"type": "http.response.start", "status": answer.status, "headers": [*answer.headers, HIT]}
            )
            await send({"type": "http.response.body", "body": answer.body})
            return
        loop, done = asyncio.get_running_loop(), asyncio.Event()
        self._pending.setdefault(key, (loop, done))
        try:
            await self._compute(key, scope, receive, send)
        finally:
            if self._pending.get(key) == (loop, done):
                del self._pending[key]
            done.set()

    @staticmethod
    def _writes(scope: Scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and not is_computation(scope["path"])
        )

    async def _wait_for_pending(self, key: tuple[str, ...]) -> Answer | None:
        """Wait for a request computing the same key in this event loop; its answer, if it was kept."""
        pending = self._pending.get(key)
        if pending is None or pending[0] is not asyncio.get_running_loop():
            return None
        await pending[1].wait()
        return self._get(key)

    async def _compute(self, key: tuple[str, ...], scope: Scope, receive: Receive, send: Send) -> None:
        start: Message = {}
        chunks: list[bytes] = []
        size = 0
        keep = True

        async def capture(message: Message) -> None:
            nonlocal size, keep
            if message["type"] == "http.response.start":
                start.update(message)
                keep = message["status"] == 200
                message = {**message, "headers": [*message.get("headers", []), MISS]}
            elif message["type"] == "http.response.body" and keep:
                body = message.get("body", b"")
                size += len(body)
                if size > self.max_item_bytes:
                    keep = False
                    chunks.clear()
                else:
                    chunks.append(body)
                if not message.get("more_body", False) and keep:
                    headers = tuple((bytes(n), bytes(v)) for n, v in start.get("headers", []))
                    self._put(key, Answer(int(start["status"]), headers, b"".join(chunks)))
            await send(message)

        await self.app(scope, receive, capture)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HIT = (b"x-cache", b"hit")
MISS = (b"x-cache", b"miss")
