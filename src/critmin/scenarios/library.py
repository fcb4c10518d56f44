"""The scenarios shipped with critmin: historical export restrictions, each with its published sources.

Each is a YAML file in ``critmin/scenarios/shipped``, named by its id (``nickel_ore_indonesia_2020``).
Its description says what is assumed (fraction cut, duration, targets) and what the bundled data
cannot cover; its ``backtest`` mapping names the years and importers to compare with the trade data
(see :mod:`critmin.scenarios.backtest`), or ``skip`` with the reason there is no back-test.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable

import yaml

from critmin.scenarios.spec import Scenario, ScenarioError, parse_scenario

SHIPPED_PACKAGE = "critmin.scenarios"
SHIPPED_FOLDER = "shipped"


def _folder() -> Traversable:
    return resources.files(SHIPPED_PACKAGE).joinpath(SHIPPED_FOLDER)


def shipped_ids() -> list[str]:
    """Ids of the shipped scenarios, sorted."""
    return sorted(
        item.name.removesuffix(".yaml") for item in _folder().iterdir() if item.name.endswith(".yaml")
    )


def shipped_text(scenario_id: str) -> str:
    """The YAML text of a shipped scenario."""
    if scenario_id not in shipped_ids():
        raise ScenarioError(f"no shipped scenario {scenario_id!r}; shipped: {', '.join(shipped_ids())}")
    return _folder().joinpath(f"{scenario_id}.yaml").read_text(encoding="utf-8")


def load_shipped(scenario_id: str) -> Scenario:
    """Read and validate a shipped scenario by id."""
    origin = f"shipped scenario {scenario_id}"
    try:
        document = yaml.safe_load(shipped_text(scenario_id))
    except yaml.YAMLError as error:
        raise ScenarioError(f"{origin}: invalid YAML: {error}") from None
    return parse_scenario(document, origin)
