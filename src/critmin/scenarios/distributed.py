"""Where the Monte Carlo's chunks run: in this process (default) or on a Dask cluster.

An executor runs ``fn(shared[i], *args)`` for a list of tasks ``(i, *args)`` and returns the
results in task order. The shared objects (one per network: its arrays and calibrated suppliers)
are sent to the cluster once (``Client.scatter(..., broadcast=True)``) and each task refers to
them. Results are gathered in task order, and the work of a task depends only on its arguments
(each chunk seeds its own generator, see :mod:`critmin.scenarios.disruption`), so the numbers do
not depend on the executor, on the number of workers or on the order in which tasks finish.

Choosing the executor (:func:`get_executor`): an explicit ``scheduler`` address, else the
``CRITMIN_DASK_SCHEDULER`` setting (environment variable), else in-process.

Each task runs with the BLAS library (OpenBLAS, behind NumPy's ``@``) limited to one thread when
:mod:`threadpoolctl` is installed: the cascade multiplies small ``(batch, n) @ (n, n)`` matrices
many times, where BLAS threads fighting over two cores made it up to several times slower. Dask's
worker processes already start with ``OPENBLAS_NUM_THREADS=1``; they also start with a malloc
setting that makes NumPy temporaries slow, which each task lifts while it runs
(:func:`heap_temporaries`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from critmin import settings
from critmin.errors import CritminError

Progress = Callable[[int, int], None]
"""``progress(done, total)``: units of work (draws) done so far out of the total."""


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread inside the block (no-op without :mod:`threadpoolctl`)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is optional
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_GLIBC_MMAP_DEFAULT = 128 * 1024


@contextlib.contextmanager
def heap_temporaries() -> Iterator[None]:
    """Let glibc serve the cascade's temporaries from the heap inside the block, where Dask stopped it.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``; setting it turns off glibc's
    adaptive mmap threshold, so every array above 128 KiB (a float32 batch of 500 draws on 144 nodes is
    288 KiB) is mapped and unmapped on each NumPy operation, page faults included: the cascade ran
    about 4x slower. Inside the block the thresholds are raised (mmap above 64 MiB, trim above
    256 MiB); on leaving they are set back to the environment's value and glibc's 128 KiB, and freed
    memory is returned to the system (``malloc_trim``). Outside glibc, or when the variable is not
    set, nothing is changed.
    """
    trim = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    libc = _glibc() if trim is not None and trim.isdigit() else None
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 64 * 2**20)
    libc.mallopt(_M_TRIM_THRESHOLD, 256 * 2**20)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _GLIBC_MMAP_DEFAULT)
        libc.mallopt(_M_TRIM_THRESHOLD, int(trim or 0))
        libc.malloc_trim(0)


def _glibc() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - both must exist
    except (OSError, AttributeError):
        return None
    return libc


def _call(fn: Callable[..., Any], shared: Any, *args: Any) -> Any:
    with one_blas_thread(), heap_temporaries():
        return fn(shared, *args)


class Executor(Protocol):
    """Runs tasks ``(shared index, *args)`` as ``fn(shared[index], *args)``; results in task order."""

    description: str

    def map(
        self,
        fn: Callable[..., Any],
        shared: Sequence[Any],
        tasks: Sequence[tuple[Any, ...]],
        *,
        weights: Sequence[int] | None = None,
        progress: Progress | None = None,
    ) -> list[Any]:
        """Run every task; report ``progress(done, total)`` in ``weights`` units as tasks finish."""
        ...


class InProcess:
    """Run the tasks one after the other in this process."""

    description = "in-process"

    def map(
        self,
        fn: Callable[..., Any],
        shared: Sequence[Any],
        tasks: Sequence[tuple[Any, ...]],
        *,
        weights: Sequence[int] | None = None,
        progress: Progress | None = None,
    ) -> list[Any]:
        """Run every task here, in order."""
        sizes = list(weights) if weights is not None else [1] * len(tasks)
        total, done, out = sum(sizes), 0, []
        for task, size in zip(tasks, sizes, strict=True):
            out.append(_call(fn, shared[task[0]], *task[1:]))
            done += size
            if progress is not None:
                progress(done, total)
        return out


class DaskExecutor:
    """Run the tasks on a Dask cluster, given its scheduler address or a connected ``Client``.

    A client made from an address is closed once the tasks are gathered; a client passed in is
    left open.
    """

    def __init__(self, scheduler: str | Any) -> None:
        self.scheduler = scheduler
        self.workers_used: set[str] = set()
        """Addresses of the workers that held results of the last :meth:`map`."""
        address = scheduler if isinstance(scheduler, str) else getattr(scheduler, "scheduler", None)
        self.description = f"dask {getattr(address, 'address', address)}"

    @contextlib.contextmanager
    def _client(self) -> Iterator[Any]:
        try:
            from distributed import Client
        except ImportError as error:  # pragma: no cover - dask is an optional extra
            raise CritminError(
                "running on Dask needs the 'distributed' package (pip install dask[distributed])"
            ) from error
        if not isinstance(self.scheduler, str):
            yield self.scheduler
            return
        try:
            client = Client(self.scheduler, set_as_default=False, timeout="10s")
        except (OSError, TimeoutError) as error:
            raise CritminError(f"cannot reach the Dask scheduler at {self.scheduler}: {error}") from error
        try:
            yield client
        finally:
            client.close()

    def map(
        self,
        fn: Callable[..., Any],
        shared: Sequence[Any],
        tasks: Sequence[tuple[Any, ...]],
        *,
        weights: Sequence[int] | None = None,
        progress: Progress | None = None,
    ) -> list[Any]:
        """Scatter ``shared`` once, submit one task per chunk, collect the results in task order.

        Each result is fetched as soon as its task finishes and its future released, so the
        workers do not hold results that the client already has.
        """
        from distributed import as_completed

        sizes = list(weights) if weights is not None else [1] * len(tasks)
        total, done = sum(sizes), 0
        results: list[Any] = [None] * len(tasks)
        with self._client() as client:
            remote = client.scatter(list(shared), broadcast=True, hash=False)
            futures = [client.submit(_call, fn, remote[task[0]], *task[1:], pure=False) for task in tasks]
            where = {future.key: i for i, future in enumerate(futures)}
            self.workers_used = set()
            finished = as_completed(futures, loop=client.loop, with_results=True)
            futures.clear()
            for future, result in finished:
                i = where[future.key]
                results[i] = result
                self.workers_used.update(client.who_has(future)[future.key])
                done += sizes[i]
                if progress is not None:
                    progress(done, total)
                future.release()
            return results


def get_executor(scheduler: str | None = None) -> Executor:
    """The executor for ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``).

    Without one, the ``CRITMIN_DASK_SCHEDULER`` setting picks a Dask cluster; unset or empty, the
    tasks run in this process.
    """
    address = scheduler or settings.SETTINGS["dask_scheduler"].value()
    return DaskExecutor(address) if address else InProcess()
