"""The layering rules written in each package's docstring hold in the imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "critmin"

FORBIDDEN = {
    "ingest": ("critmin.store", "critmin.metrics", "critmin.cli", "critmin.api"),
    "harmonize": ("critmin.store", "critmin.metrics", "critmin.ingest", "critmin.cli", "critmin.api"),
    "metrics": ("critmin.store", "critmin.ingest", "critmin.cli", "critmin.api", "duckdb"),
    "scenarios": ("critmin.store", "critmin.ingest", "critmin.cli", "duckdb"),
    "partnership": ("critmin.store", "critmin.ingest", "critmin.cli", "critmin.api", "duckdb"),
    "sealanes": (
        "critmin.store",
        "critmin.ingest",
        "critmin.cli",
        "critmin.api",
        "critmin.scenarios",
        "duckdb",
    ),
    "reports": ("critmin.store", "critmin.ingest", "critmin.cli", "duckdb"),
    "web": ("critmin.store", "critmin.ingest", "critmin.cli", "duckdb"),
}
RENDERERS = tuple(
    sorted(
        str(p.relative_to(SRC / "reports"))
        for p in [*(SRC / "reports" / "html").glob("*.py"), SRC / "reports" / "pdf.py"]
    )
)
"""The brief's renderers: every module of the ``reports.html`` package, and the PDF printer."""
PURE_EVENT_MODULES = ("alerts", "extract", "gazetteer")
SCENARIO_ENGINES = ("spec", "cascade", "reference", "disruption")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_its_layer(package: str) -> None:
    offenders = {
        f"{path.relative_to(SRC)} imports {name}"
        for path in (SRC / package).rglob("*.py")
        for name in imported_modules(path)
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[package])
    }
    assert not offenders


@pytest.mark.parametrize("module", SCENARIO_ENGINES)
def test_scenario_engines_read_nothing(module: str) -> None:
    """The cascade, its reference, the spec and the disruption model never reach the API or the store."""
    names = imported_modules(SRC / "scenarios" / f"{module}.py")
    assert not {n for n in names if n.startswith(("critmin.api", "critmin.store", "duckdb"))}


def test_the_renderers_are_found() -> None:
    assert "pdf.py" in RENDERERS and "html/__init__.py" in RENDERERS and len(RENDERERS) >= 6


@pytest.mark.parametrize("module", RENDERERS)
def test_renderers_read_nothing(module: str) -> None:
    """The HTML page and the PDF printer take values; they never reach the API or studies."""
    names = imported_modules(SRC / "reports" / module)
    assert not {n for n in names if n.startswith(("critmin.api", "critmin.derisking", "critmin.scenarios"))}


@pytest.mark.parametrize("module", sorted(p.name for p in (SRC / "charts").glob("*.py")))
def test_chart_builders_read_nothing(module: str) -> None:
    """The chart builders are pure: values and frames in, specs and SVG out (critmin.charts' rule)."""
    names = imported_modules(SRC / "charts" / module)
    banned = ("critmin.api", "critmin.store", "critmin.derisking", "critmin.scenarios", "critmin.ingest")
    assert not {n for n in names if n.startswith((*banned, "critmin.cli", "critmin.reports", "duckdb"))}


def test_the_old_svg_renderers_are_gone() -> None:
    """The brief draws with critmin.charts: nothing imports the removed hand-drawn SVG modules."""
    old = ("critmin.reports.charts", "critmin.reports.svgbase", "critmin.reports.worldmap")
    assert not any((SRC / "reports" / f"{name.rsplit('.', 1)[1]}.py").exists() for name in old)
    users = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        for name in imported_modules(path)
        if name in old or any(name.startswith(o + ".") for o in old)
    }
    assert not users


@pytest.mark.parametrize("module", PURE_EVENT_MODULES)
def test_event_rules_read_nothing(module: str) -> None:
    """Alerts and extraction work on frames and text; only events.register reads the store."""
    names = imported_modules(SRC / "events" / f"{module}.py")
    assert not {n for n in names if n.startswith(("critmin.api", "critmin.store", "critmin.cli", "duckdb"))}


def test_scenario_runners_do_not_reach_into_the_store() -> None:
    """Runners read through the public API: no ``db.store`` attribute access."""
    offenders = [p.name for p in (SRC / "scenarios").glob("*.py") if ".store." in p.read_text()]
    assert not offenders


def test_only_the_store_opens_duckdb_files() -> None:

    users = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if "duckdb" in imported_modules(path) and path.parent.name not in {"store", "ingest"}
    }
    assert not users


def test_every_package_states_its_rule() -> None:
    for package in FORBIDDEN:
        doc = ast.get_docstring(ast.parse((SRC / package / "__init__.py").read_text())) or ""
        assert "Layering rule" in doc, package
