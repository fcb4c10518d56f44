"""Harmonisation: countries to ISO3, source names to catalog commodities and stages, units.

Layering rule: ``critmin.harmonize`` knows nothing of the store, the metrics or the interfaces.
"""
