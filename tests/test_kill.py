"""A process killed with SIGKILL in the middle of an import leaves the store readable and unchanged."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from critmin.api import Critmin

PAUSING_IMPORT = textwrap.dedent(
    """
    import sys, time
    from critmin.store import gateway

    original = gateway.Store._insert

    def insert_then_wait(con, table, frame, vintage_id):
        rows = original(con, table, frame, vintage_id)
        print("INSERTED", table.name, rows, flush=True)
        time.sleep(600)
        return rows

    gateway.Store._insert = staticmethod(insert_then_wait)
    from critmin.cli.main import app
    app(sys.argv[1:])
    """
)


def snapshot(db: Critmin) -> tuple[list[tuple[int, str]], dict[str, int]]:
    vintages = db.vintages()
    return sorted(zip(vintages["vintage_id"], vintages["sha256"], strict=True)), db.store.table_counts()


@pytest.fixture
def seeded(tmp_path: Path, raw_data: Path) -> Critmin:
    """A store that already holds one real vintage (the critical-mineral lists)."""
    db = Critmin(tmp_path / "kill.duckdb")
    db.store.initialise()
    db.import_files("lists", [raw_data / "lists" / "critical_mineral_lists.csv"])
    return db


def test_kill_after_rows_are_inserted_before_commit(seeded: Critmin, raw_data: Path) -> None:
    before = snapshot(seeded)
    wgi = raw_data / "wgi" / "wgidataset_2024update_1996_2023.csv"
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSING_IMPORT, "--db", str(seeded.path), "data", "import", "wgi", str(wgi)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("INSERTED governance"), line + process.stderr.read()
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(seeded) == before
    outcome = seeded.import_files("wgi", [wgi])
    assert outcome[0].status == "added"
    assert seeded.governance(country="CHN", year=2023, indicator="pv")["estimate"].round(2).tolist() == [
        -0.51
    ]


@pytest.mark.slow
def test_kill_at_random_moments_of_a_large_import(seeded: Critmin, raw_data: Path) -> None:
    """Killed at any moment, the import is either absent or complete: never half there."""
    baci = raw_data / "geopolrisk" / "baci_hs92_minerals_1995_2024.csv"
    before_vintages, before_counts = snapshot(seeded)
    rng = random.Random(20260117)
    for delay in sorted(rng.uniform(0.3, 4.0) for _ in range(3)):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "critmin.cli.main",
                "--db",
                str(seeded.path),
                "data",
                "import",
                "baci",
                str(baci),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        vintages, counts = snapshot(seeded)
        if len(vintages) == len(before_vintages):
            assert (vintages, counts) == (before_vintages, before_counts)
        else:
            assert counts["trade"] == 1_264_888
            return
