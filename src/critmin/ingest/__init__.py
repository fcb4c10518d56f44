"""Importers: one module per source, each parsing a raw file into canonical frames.

Layering rule: ``critmin.ingest`` may use ``critmin.harmonize``, ``critmin.schema`` and
``critmin.errors``; it never imports ``critmin.store``, ``critmin.metrics`` or the
interfaces, and it does no writing.
"""
