"""One registry of settings: each has a name, a default, an environment variable and help.

The CLI, the docs and validation read this registry; a test fails when a setting is
missing from the README.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True)
class Setting:
    """A named setting with its environment variable and help text."""

    name: str
    env: str
    default: str
    help: str

    def value(self) -> str:
        """Return the setting's value from the environment, or its default."""
        return os.environ.get(self.env) or self.default


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "home",
            "CRITMIN_HOME",
            platformdirs.user_data_dir("critmin", appauthor=False),
            "Folder holding the store (critmin.duckdb) and downloads.",
        ),
        Setting(
            "raw_data",
            "CRITMIN_RAW_DATA",
            "",
            "Folder of raw source files (the shared data layout) used by the bundle script and tests.",
        ),
        Setting(
            "fetch_base_url",
            "CRITMIN_FETCH_BASE_URL",
            "",
            "Mirror for `critmin data fetch`: replaces the publishers' scheme and host, keeping the path.",
        ),
        Setting(
            "dask_scheduler",
            "CRITMIN_DASK_SCHEDULER",
            "",
            "Dask scheduler address (tcp://host:8786) for Monte Carlo runs; empty: run in this process.",
        ),
        Setting(
            "chromium",
            "CRITMIN_CHROMIUM",
            "",
            "Chromium executable that prints briefs to PDF; empty: the first of chromium, chromium-browser "
            "or google-chrome on PATH.",
        ),
    )
}


def home() -> Path:
    """Folder that holds critmin's store."""
    return Path(SETTINGS["home"].value()).expanduser()


def default_db_path() -> Path:
    """Path of the default store file, ``$CRITMIN_HOME/critmin.duckdb``."""
    return home() / "critmin.duckdb"
