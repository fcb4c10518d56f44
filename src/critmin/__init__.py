"""critmin: critical-mineral supply-chain risk and resilience planning on real, traceable data.

>>> import critmin
>>> db = critmin.open()
>>> db.production("rare earths", stage="mine", year=2024)

``Critmin`` and ``open`` are loaded from :mod:`critmin.api` on first use (PEP 562), so importing
a submodule (the command line above all) does not load DuckDB and the API's dependencies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from critmin.api import Critmin, open

__version__ = "0.1.0"

__all__ = ["Critmin", "__version__", "open"]

_LAZY = ("Critmin", "open")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from critmin import api

        return getattr(api, name)
    raise AttributeError(f"module 'critmin' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
