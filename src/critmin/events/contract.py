"""The event contract shared by the register, alerts, extraction and the API: types and statuses."""

from __future__ import annotations

from critmin.schema import TABLES

EVENT_TYPES: tuple[str, ...] = (
    "export_control",
    "export_ban",
    "import_restriction",
    "sanction",
    "sanction_waiver",
    "agreement",
    "working_group",
    "investment",
    "stockpile",
    "supply_disruption",
    "travel_advisory",
    "election",
    "other",
)
"""Allowed values of an event's ``type``."""

STATUSES: tuple[str, ...] = ("announced", "in_force", "suspended", "expired", "lifted", "proposed")
"""Allowed values of an event's ``status``."""

EVENT_COLUMNS: tuple[str, ...] = tuple(TABLES["events"].column_names)
"""The columns of an event row: those of the store's ``events`` table."""
