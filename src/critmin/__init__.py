"""critmin: critical-mineral supply-chain risk and resilience planning on real, traceable data.

>>> import critmin
>>> db = critmin.open()
>>> db.production("rare earths", stage="mine", year=2024)
"""

from __future__ import annotations

from critmin.api import Critmin, open

__version__ = "0.1.0"

__all__ = ["Critmin", "__version__", "open"]
