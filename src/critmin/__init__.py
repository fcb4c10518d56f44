"""critmin: critical-mineral supply-chain risk and resilience planning on real, traceable data."""

from __future__ import annotations

__version__ = "0.1.0"
