from __future__ import annotations

from pathlib import Path

from critmin import settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    assert all(f"`{s.env}`" in README for s in settings.SETTINGS.values())


def test_home_follows_environment(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CRITMIN_HOME", str(tmp_path / "elsewhere"))
    assert settings.default_db_path() == tmp_path / "elsewhere" / "critmin.duckdb"


def test_readme_opens_with_the_two_commands() -> None:
    block = README.split("```")[1].strip().splitlines()
    assert block == ["make run", "make test"]
