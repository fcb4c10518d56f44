"""`make run` works from a clean clone: fresh virtualenv, bundled data, offline main job."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_make_run_from_a_clean_clone(tmp_path: Path) -> None:
    clone = tmp_path / "critmin"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)], check=True)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("VIRTUAL_ENV", "CRITMIN_", "PYTHON"))
    }
    env["CRITMIN_HOME"] = str(tmp_path / "home")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    result = subprocess.run(
        ["make", "run"], cwd=clone, env=env, capture_output=True, text=True, timeout=1500, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "Vintages by source and release" in out
    assert "MCS2026" in out
    assert "Most concentrated supply of listed critical minerals" in out
    assert "IND" in out and "JPN" in out
    assert (tmp_path / "home" / "critmin.duckdb").exists()
    brief = clone / "artifacts" / "critmin-brief-IND-JPN.html"
    assert f"wrote {brief.relative_to(clone)}" in out
    page = brief.read_text(encoding="utf-8")
    assert "Critical-mineral partnership brief: India and Japan" in page
    assert "<script" not in page
    # `make test` installs Chromium before the suite runs, so the main job prints the PDF too.
    assert brief.with_suffix(".pdf").read_bytes().startswith(b"%PDF-")
    assert not (clone / ".venv").exists() or (clone / ".venv" / "bin" / "critmin").exists()
