"""Risk metrics: pure functions, frames in and frames out, no I/O.

Layering rule: ``critmin.metrics`` imports neither ``critmin.store`` nor ``critmin.ingest``
nor the interfaces; callers pass it frames from the API.
"""
