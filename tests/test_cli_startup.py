"""The command line starts light: what it imports, what ``--help`` lists, and status without pandas.

``critmin --help`` must not load the numeric stack, and ``critmin data status`` reads its reports
as plain rows (:mod:`critmin.cli.cells`) that must print exactly as their DuckDB frames did.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli import cells, output
from critmin.cli.lazy import LazyCommands
from critmin.cli.main import GROUPS, app
from critmin.store import coverage

LIBRARIES = (
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
"""What ``critmin --help`` must not load: the numeric stack, DuckDB, the web stack, the store."""

NUMERIC = ("pandas", "numpy", "pyarrow", "scipy", "dask")
"""What ``data status`` must not load (it needs DuckDB, nothing numeric)."""

runner = CliRunner()
WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}


def loaded_after(code: str) -> set[str]:
    """Which of LIBRARIES and the group modules a fresh interpreter has loaded after ``code``."""
    watched = (*LIBRARIES, *GROUPS.values())
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {watched!r} if m in sys.modules]))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def run_app(*args: str) -> str:
    """Code running the command line with ``args`` (a failing exit fails the probe)."""
    return (
        f"import sys\nfrom critmin.cli.main import app\nsys.argv = ['critmin', *{list(args)!r}]\n"
        "try:\n    app()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
    )


def test_the_entry_module_loads_no_library_and_no_group() -> None:
    assert loaded_after("import critmin.cli.main") == set()


def test_help_loads_the_groups_but_no_library() -> None:
    assert loaded_after(run_app("--help")) == set(GROUPS.values())


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_status_loads_duckdb_and_its_group_only(bundled: critmin.Critmin, fmt: str) -> None:
    loaded = loaded_after(run_app("--db", str(bundled.path), "data", "status", "-f", fmt))
    assert {"duckdb", "critmin.cli.data"} <= loaded
    assert not loaded & {*NUMERIC, *GROUPS.values()} - {"critmin.cli.data"}


def flat(text: str) -> str:
    """Help text without the panels' borders and line breaks."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def first_paragraph(function: object) -> str:
    return " ".join((inspect.getdoc(function) or "").split("\n\n")[0].split())


def groups() -> list[tuple[list[str], object, list[tuple[str, object]]]]:
    """Each Typer app of the command line: its path, itself, and its sub-apps by name, nested.

    The root's groups are the modules of ``critmin.cli.main.GROUPS`` (loaded lazily by the app).
    """
    found: list[tuple[list[str], object, list[tuple[str, object]]]] = []

    def walk(typer_app: object, path: list[str], subapps: list[tuple[str, object]]) -> None:
        found.append((path, typer_app, subapps))
        for name, sub in subapps:
            nested = [(g.name, g.typer_instance) for g in sub.registered_groups]  # type: ignore[attr-defined]
            walk(sub, [*path, name], nested)

    walk(app, [], [(name, importlib.import_module(module).app) for name, module in GROUPS.items()])
    return found


@pytest.mark.parametrize(
    ("path", "typer_app", "subapps"),
    [pytest.param(*group, id=" ".join(["critmin", *group[0]])) for group in groups()],
)
def test_help_lists_every_command_with_its_help(
    path: list[str], typer_app: object, subapps: list[tuple[str, object]]
) -> None:
    result = runner.invoke(app, [*path, "--help"], env=WIDE)
    assert result.exit_code == 0
    shown = flat(result.output)
    commands = typer_app.registered_commands  # type: ignore[attr-defined]
    assert commands or subapps
    for command in commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        assert f"{name} {first_paragraph(command.callback)}" in shown
    for name, sub in subapps:
        assert f"{name} {' '.join(sub.info.help.split())}" in shown  # type: ignore[attr-defined]


def test_the_root_lists_its_commands_then_the_groups_in_order() -> None:
    result = runner.invoke(app, ["--help"], env=WIDE)
    listed = [
        line.split()[1] for line in result.output.splitlines() if line.startswith("│ ") and "--" not in line
    ]
    assert listed == ["brief", "serve", "overview", *GROUPS]


def test_a_mistyped_group_is_suggested() -> None:
    result = runner.invoke(app, ["dat"], env=WIDE)
    assert result.exit_code == 2
    assert "Did you mean 'data'" in flat(result.output)


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
    assert {"Critmin", "open", "__version__"} <= set(dir(critmin))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        critmin.nope  # noqa: B018
    assert Path(critmin.__file__).name == "__init__.py"


def test_lazy_commands_build_each_entry_once_when_looked_up() -> None:
    built: list[str] = []

    def builder(name: str) -> Callable[[], str]:
        def build() -> str:
            built.append(name)
            return name.upper()

        return build

    commands = LazyCommands({"a": "A"}, {"b": builder("b"), "c": builder("c")}, {"c": builder("c stand-in")})
    assert list(commands) == ["a", "b", "c"] and len(commands) == 3 and "c" in commands
    assert built == []
    listing = commands.for_listing()
    assert list(listing) == ["a", "b", "c"] and listing["c"] == "C STAND-IN" and built == ["c stand-in"]
    built.clear()
    assert commands["c"] == "C" and commands["c"] == "C" and built == ["c"]
    assert commands.get("nope") is None
    commands["d"] = "D"
    del commands["b"]
    assert list(commands) == ["a", "c", "d"] and built == ["c"]
