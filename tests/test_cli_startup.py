"""The command line starts light: what it imports, what ``--help`` lists, and status without pandas.

``critmin --help`` must not load the numeric stack, and ``critmin data status`` reads its reports
as plain rows (:mod:`critmin.cli.cells`) that must print exactly as their DuckDB frames did.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli import cells, output
from critmin.cli.main import app
from critmin.store import coverage

HEAVY = (
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "duckdb",
    "dask",
    "altair",
    "fastapi",
    "uvicorn",
    "spacy",
    "critmin.api",
    "critmin.store",
)
"""Modules the command line must not load before a command needs them."""

NUMERIC = ("pandas", "numpy", "pyarrow", "scipy", "dask")
"""What ``data status`` must not load (it needs DuckDB, nothing numeric)."""

runner = CliRunner()
WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}


def loaded_after(code: str) -> list[str]:
    """The HEAVY modules loaded by a fresh interpreter after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_entry_module_loads_no_heavy_library() -> None:
    assert loaded_after("import critmin.cli.main") == []


def test_help_loads_no_heavy_library() -> None:
    code = (
        "import sys\nfrom critmin.cli.main import app\nsys.argv = ['critmin', '--help']\n"
        "try:\n    app()\nexcept SystemExit as exit:\n    assert exit.code == 0\n"
    )
    assert loaded_after(code) == []


def test_status_reads_without_the_numeric_stack(bundled: critmin.Critmin) -> None:
    for fmt in ("table", "json"):
        code = (
            "import sys\nfrom critmin.cli.main import app\n"
            f"sys.argv = ['critmin', '--db', {str(bundled.path)!r}, 'data', 'status', '-f', {fmt!r}]\n"
            "try:\n    app()\nexcept SystemExit as exit:\n    assert not exit.code\n"
        )
        loaded = loaded_after(code)
        assert "duckdb" in loaded
        assert not set(loaded) & set(NUMERIC)


def flat(text: str) -> str:
    """Help text without the panels' borders and line breaks."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def first_paragraph(function: object) -> str:
    return " ".join((inspect.getdoc(function) or "").split("\n\n")[0].split())


def groups() -> list[tuple[list[str], object]]:
    """Each Typer app of the command line with its path: the root and every sub-app, nested."""
    found: list[tuple[list[str], object]] = []

    def walk(typer_app: object, path: list[str]) -> None:
        found.append((path, typer_app))
        for group in typer_app.registered_groups:  # type: ignore[attr-defined]
            walk(group.typer_instance, [*path, group.name])

    walk(app, [])
    return found


@pytest.mark.parametrize(
    ("path", "typer_app"), groups(), ids=lambda v: " ".join(v) if isinstance(v, list) else ""
)
def test_help_lists_every_command_with_its_help(path: list[str], typer_app: object) -> None:
    result = runner.invoke(app, [*path, "--help"], env=WIDE)
    assert result.exit_code == 0
    shown = flat(result.output)
    commands = typer_app.registered_commands  # type: ignore[attr-defined]
    subgroups = typer_app.registered_groups  # type: ignore[attr-defined]
    assert commands or subgroups
    for command in commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        assert f"{name} {first_paragraph(command.callback)}" in shown
    for group in subgroups:
        assert f"{group.name} {' '.join(group.typer_instance.info.help.split())}" in shown


TYPES_SQL = """
SELECT * FROM (VALUES
    (1::TINYINT, 2::SMALLINT, 3::INTEGER, 4::BIGINT, 5::UTINYINT, 6::USMALLINT, 7::UINTEGER,
     8::UBIGINT, 1264888::HUGEINT, 0.000123456::DOUBLE, DATE '2024-02-29', 'a [b] :c:'),
    (-1::TINYINT, 2024::SMALLINT, 12345::INTEGER, 9876543210::BIGINT, 0::UTINYINT, 1::USMALLINT,
     2::UINTEGER, 3::UBIGINT, 999::HUGEINT, 12.5::DOUBLE, DATE '1996-01-01', ''),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (0::TINYINT, 0::SMALLINT, 0::INTEGER, 0::BIGINT, 0::UTINYINT, 0::USMALLINT, 0::UINTEGER,
     0::UBIGINT, 0::HUGEINT, -4321.5::DOUBLE, DATE '2026-11-26', 'z')
) AS t(ti, si, i, bi, uti, usi, ui, ubi, hi, d, day, text)
"""
"""Every type :mod:`critmin.cli.cells` shows, with a NULL in each column."""


def queries() -> dict[str, str]:
    return {
        "vintages": coverage.VINTAGES_SQL,
        "tables": coverage.tables_sql(),
        "commodities": coverage.COMMODITIES_SQL,
        "types with nulls": TYPES_SQL,
        "types without nulls": f"SELECT * FROM ({TYPES_SQL}) WHERE ti IS NOT NULL",
    }


@pytest.mark.parametrize("name", sorted(queries()))
def test_rows_print_as_their_frame(bundled: critmin.Critmin, name: str) -> None:
    sql = queries()[name]
    frame = bundled.store.query(sql)
    rows = bundled.store.rows(sql)
    assert len(rows.data) == len(frame) > 0
    with output.console.capture() as shown_frame:
        output.show(frame, title=name)
    with output.console.capture() as shown_rows:
        cells.show_cells(rows, title=name)
    assert shown_rows.get() == shown_frame.get()
    as_frame = json.dumps(frame.to_dict(orient="records"), indent=2, default=str)
    assert json.dumps(cells.records(rows), indent=2, default=str) == as_frame


def test_a_type_without_a_plain_display_is_refused(bundled: critmin.Critmin) -> None:
    rows = bundled.store.rows("SELECT true AS flag")
    with pytest.raises(TypeError, match="BOOLEAN"):
        cells.cells(rows)
    with pytest.raises(TypeError, match="BOOLEAN"):
        cells.records(rows)


def test_status_reads_one_snapshot(bundled: critmin.Critmin) -> None:
    report = coverage.coverage(bundled.store)
    assert report.schema_version == bundled.store.schema_version()
    assert report.vintages == coverage.vintage_summary(bundled.store)
    assert report.tables == coverage.table_coverage(bundled.store)
    assert report.commodities == coverage.commodity_coverage(bundled.store)


def test_status_table_shows_the_three_reports(bundled: critmin.Critmin) -> None:
    result = runner.invoke(app, ["--db", str(bundled.path), "data", "status"], env=WIDE)
    assert result.exit_code == 0
    count = len(coverage.commodity_coverage(bundled.store).data)
    for title in (
        f"critmin store {bundled.path} (schema {bundled.store.schema_version()})",
        "Vintages by source and release",
        "Tables",
        f"Coverage of {count} commodities (production and reserves)",
    ):
        assert title in result.output


def test_lazy_names_of_the_package() -> None:
    from critmin import api

    assert critmin.open is api.open and critmin.Critmin is api.Critmin
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        critmin.nope  # noqa: B018
    assert Path(critmin.__file__).name == "__init__.py"
