"""Shared fixtures: the raw source files and fresh stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import critmin
from critmin.store import Store

REPO = Path(__file__).resolve().parents[1]


def raw_data_dir() -> Path:
    """The raw source files: ``$CRITMIN_RAW_DATA`` or ``../shared/data`` beside the repository."""
    configured = os.environ.get("CRITMIN_RAW_DATA")
    path = Path(configured) if configured else REPO.parent / "shared" / "data"
    if not (path / "PROVENANCE.md").exists():
        raise RuntimeError(
            f"raw source files not found at {path}: set CRITMIN_RAW_DATA to the shared data folder"
        )
    return path


@pytest.fixture(scope="session")
def raw_data() -> Path:
    return raw_data_dir()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """An empty store in a fresh temporary file."""
    store = Store(tmp_path / "critmin.duckdb")
    store.initialise()
    return store


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the user's real store."""
    monkeypatch.setenv("CRITMIN_HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(scope="session")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> critmin.Critmin:
    """A store holding the bundled default dataset, shared by the whole session (read it, don't write)."""
    return critmin.open(tmp_path_factory.mktemp("bundled") / "critmin.duckdb")
