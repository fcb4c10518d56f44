"""Scenario specs: YAML and JSON load alike; every bad spec stops with the file and the field path."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from critmin.errors import CritminError
from critmin.scenarios.spec import (
    CascadeParameters,
    DemandShock,
    ExportRestriction,
    ProductionOutage,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_scenario,
)

Document = dict[str, Any]

# Every kind of event and stockpile, so a change in any field's parsing shows in the round trip.
GOOD: Document = {
    "name": "China restricts rare-earth exports to Japan (2010)",
    "description": "An embargo aimed at one importer, with Japan's stockpile.",
    "sources": [{"citation": "Evenett & Fritz (2023)", "url": "https://example.org/report"}],
    "year": 2009,
    "events": [
        {
            "type": "export_restriction",
            "exporter": "CHN",
            "commodity": "rare_earths",
            "fraction": 1.0,
            "targets": ["JPN"],
            "start": "2010-09-07",
            "duration_days": 60,
        },
        {
            "type": "production_outage",
            "country": "COD",
            "hs_codes": ["810510"],
            "stage": "refinery",
            "fraction": 0.4,
        },
        {
            "type": "demand_shock",
            "country": "IND",
            "commodity": "lithium",
            "fraction": 2.5,
            "start": "2011-01-01",
        },
    ],
    "stockpiles": [
        {"country": "JPN", "days_of_cover": 60, "release": {"trigger_share": 0.1, "max_fraction": 0.5}},
        {"country": "KOR", "commodity": "rare_earths", "tonnes": 5000},
        {"country": "KOR", "commodity": "lithium", "tonnes": 100},
    ],
    "cascade": {"absorb_share": 0.25, "tolerance": 1e-8, "max_rounds": 500},
}


def write_yaml(path: Path, document: object) -> Path:
    # dates as text in both formats: YAML turns an unquoted 2010-09-07 into a date, JSON cannot
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def write_json(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def check_good(scenario: Scenario) -> None:
    assert scenario.name == GOOD["name"]
    assert scenario.year == 2009
    assert scenario.nomenclature == "HS92"
    restriction, outage, demand = scenario.events
    assert isinstance(restriction, ExportRestriction)
    assert restriction.targets == ("JPN",)
    assert restriction.start == dt.date(2010, 9, 7)
    assert restriction.duration_days == 60
    assert restriction.good == ("rare_earths", None, None)
    assert isinstance(outage, ProductionOutage)
    assert outage.good == (None, ("810510",), "refinery")
    assert outage.duration_days == 365
    assert isinstance(demand, DemandShock)
    assert demand.fraction == 2.5
    assert scenario.start == dt.date(2010, 9, 7)
    japan, korea_ree, korea_li = scenario.stockpiles
    assert japan.days_of_cover == 60 and japan.tonnes is None
    assert japan.release.trigger_share == 0.1 and japan.release.max_fraction == 0.5
    assert korea_ree.tonnes == 5000 and korea_ree.release.trigger_share == 0.0
    assert korea_li.commodity == "lithium"
    assert scenario.cascade == CascadeParameters(absorb_share=0.25, tolerance=1e-8, max_rounds=500)
    assert scenario.sources[0].url == "https://example.org/report"


# -- good specs -------------------------------------------------------------------------------------


def test_yaml_and_json_load_to_the_same_scenario(tmp_path: Path) -> None:
    from_yaml = load_scenario(write_yaml(tmp_path / "s.yaml", GOOD))
    from_yml = load_scenario(write_yaml(tmp_path / "s.yml", GOOD))
    from_json = load_scenario(write_json(tmp_path / "s.json", GOOD))
    check_good(from_yaml)
    check_good(from_json)
    assert from_yaml == from_json == from_yml


def test_hand_written_yaml_with_native_dates(tmp_path: Path) -> None:
    path = tmp_path / "embargo.yaml"
    path.write_text(
        "name: embargo\n"
        "events:\n"
        "  - type: export_restriction\n"
        "    exporter: CHN\n"
        "    hs_codes: ['284690']\n"
        "    fraction: 0.5\n"
        "    start: 2010-09-07\n"
        "stockpiles:\n"
        "  - {country: JPN, tonnes: 0}\n",
        encoding="utf-8",
    )
    scenario = load_scenario(str(path))
    assert scenario.start == dt.date(2010, 9, 7)
    assert scenario.year is None
    assert scenario.cascade == CascadeParameters()
    assert scenario.stockpiles[0].tonnes == 0


def test_defaults_and_no_start() -> None:
    scenario = parse_scenario(
        {
            "name": "x",
            "events": [{"type": "production_outage", "country": "IDN", "commodity": "nickel", "fraction": 1}],
        }
    )
    assert scenario.start is None
    assert scenario.stockpiles == ()
    assert scenario.cascade.absorb_share == 0.5
    assert scenario.cascade.tolerance == 1e-6
    assert scenario.cascade.max_rounds == 200


# -- bad specs: the file and the field path ---------------------------------------------------------

Mutation = Callable[[Document], None]


def _event(index: int, **changes: Any) -> Mutation:
    def mutate(document: Document) -> None:
        document["events"][index].update(changes)

    return mutate


def _drop(index: int, key: str) -> Mutation:
    def mutate(document: Document) -> None:
        del document["events"][index][key]

    return mutate


def _set(key: str, value: Any) -> Mutation:
    def mutate(document: Document) -> None:
        document[key] = value

    return mutate


def _stockpile(index: int, **changes: Any) -> Mutation:
    def mutate(document: Document) -> None:
        document["stockpiles"][index].update(changes)

    return mutate


BAD: list[tuple[str, Mutation, str, str]] = [
    # (id, mutation, field path, words of the message)
    ("fraction-above-1", _event(1, fraction=1.5), "events[1].fraction", "less than or equal to 1"),
    ("fraction-zero", _event(0, fraction=0), "events[0].fraction", "greater than 0"),
    ("demand-above-5", _event(2, fraction=6), "events[2].fraction", "less than or equal to 5"),
    ("unknown-event-type", _event(1, type="meteor_strike"), "events[1]", "meteor_strike"),
    ("missing-event-type", _drop(0, "type"), "events[0]", "discriminator 'type'"),
    (
        "commodity-and-hs-codes",
        _event(0, hs_codes=["284690"]),
        "events[0]",
        "exactly one of 'commodity' and 'hs_codes'",
    ),
    (
        "neither-commodity-nor-hs",
        _drop(0, "commodity"),
        "events[0]",
        "exactly one of 'commodity' and 'hs_codes'",
    ),
    ("exporter-is-target", _event(0, targets=["JPN", "CHN"]), "events[0]", "CHN cannot be its own target"),
    ("empty-targets", _event(0, targets=[]), "events[0].targets", "at least 1 item"),
    ("bad-country-code", _event(0, exporter="Atlantis"), "events[0].exporter", "unknown country 'Atlantis'"),
    ("bad-target-code", _event(0, targets=["JPN", "zz"]), "events[0].targets[1]", "unknown country 'zz'"),
    ("bad-hs-code", _event(1, hs_codes=["81051"]), "events[1].hs_codes[0]", "pattern"),
    ("hs-code-as-number", _event(1, hs_codes=[810510]), "events[1].hs_codes[0]", "valid string"),
    ("bad-date", _event(0, start="2010-13-45"), "events[0].start", "date"),
    ("zero-duration", _event(0, duration_days=0), "events[0].duration_days", "greater than 0"),
    ("event-extra-field", _event(2, severity=3), "events[2].severity", "Extra inputs are not permitted"),
    ("extra-field", _set("colour", "red"), "colour", "Extra inputs are not permitted"),
    (
        "stock-tonnes-and-days",
        _stockpile(1, days_of_cover=30),
        "stockpiles[1]",
        "exactly one of 'tonnes' and 'days_of_cover'",
    ),
    (
        "stock-neither",
        lambda d: d["stockpiles"][0].pop("days_of_cover"),
        "stockpiles[0]",
        "exactly one of 'tonnes' and 'days_of_cover'",
    ),
    ("stock-negative", _stockpile(1, tonnes=-1), "stockpiles[1].tonnes", "greater than or equal to 0"),
    (
        "duplicate-stockpiles",
        lambda d: d["stockpiles"].append({"country": "JPN", "tonnes": 10}),
        "stockpiles",
        "two stockpiles for JPN",
    ),
    (
        "release-extra-field",
        _stockpile(0, release={"trigger_share": 0.1, "when": "now"}),
        "stockpiles[0].release.when",
        "Extra inputs are not permitted",
    ),
    (
        "release-max-fraction-zero",
        _stockpile(0, release={"max_fraction": 0}),
        "stockpiles[0].release.max_fraction",
        "greater than 0",
    ),
    ("absorb-share-zero", _set("cascade", {"absorb_share": 0}), "cascade.absorb_share", "greater than 0"),
    ("tolerance-one", _set("cascade", {"tolerance": 1}), "cascade.tolerance", "less than 1"),
    ("year-too-early", _set("year", 1980), "year", "greater than or equal to 1995"),
    ("no-events", _set("events", []), "events", "at least 1 item"),
    ("missing-name", lambda d: d.pop("name"), "name", "Field required"),
    (
        "source-without-citation",
        _set("sources", [{"url": "https://x"}]),
        "sources[0].citation",
        "Field required",
    ),
]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize(
    ("mutate", "where", "words"), [case[1:] for case in BAD], ids=[case[0] for case in BAD]
)
def test_bad_spec_names_file_and_field(
    tmp_path: Path, fmt: str, mutate: Mutation, where: str, words: str
) -> None:
    document = copy.deepcopy(GOOD)
    mutate(document)
    path = (write_yaml if fmt == "yaml" else write_json)(tmp_path / f"bad.{fmt}", document)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert re.search(rf"^{re.escape(str(path))}: {re.escape(where)}: .*{re.escape(words)}", message, re.M), (
        message
    )
    assert "errors.pydantic.dev" not in message  # one clear line per problem, no pydantic links


def test_countries_are_written_as_people_type_them_and_stored_as_iso3() -> None:
    document = copy.deepcopy(GOOD)
    document["events"][0]["exporter"] = "China"
    document["events"][0]["targets"] = ["Japan", "kr"]
    document["stockpiles"][0]["country"] = "japan"
    spec = parse_scenario(document)
    assert spec.events[0].exporter == "CHN"
    assert spec.events[0].targets == ("JPN", "KOR")  # type: ignore[union-attr]
    assert spec.stockpiles[0].country == "JPN"


def test_every_problem_gets_its_own_line(tmp_path: Path) -> None:
    document = copy.deepcopy(GOOD)
    document["events"][1]["fraction"] = 2
    document["stockpiles"][0]["country"] = "Atlantis"
    document["cascade"] = {"max_rounds": 0}
    path = write_yaml(tmp_path / "three.yaml", document)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{path}: ") for line in lines)
    where = sorted(line.split(": ")[1] for line in lines)
    assert where == ["cascade.max_rounds", "events[1].fraction", "stockpiles[0].country"]


def test_unknown_field_named_like_an_event_type_is_still_named() -> None:
    """A stray key that happens to be spelled like an event type must still be named in the error.

    A plausible slip: writing ``production_outage:`` as a top-level key instead of an item of
    ``events``. The error has to say which key is unwanted, like any other extra field.
    """
    document = copy.deepcopy(GOOD)
    document["production_outage"] = {"country": "IDN"}
    with pytest.raises(ScenarioError, match=r"^s\.yaml: production_outage: Extra inputs are not permitted$"):
        parse_scenario(document, "s.yaml")
    document = copy.deepcopy(GOOD)
    document["events"][0]["demand_shock"] = 0.5
    with pytest.raises(
        ScenarioError, match=r"^s\.yaml: events\[0\]\.demand_shock: Extra inputs are not permitted$"
    ):
        parse_scenario(document, "s.yaml")


def test_stockpiles_of_one_country_for_different_commodities_are_fine() -> None:
    document = copy.deepcopy(GOOD)
    document["stockpiles"].append({"country": "JPN", "commodity": "lithium", "tonnes": 1})
    assert len(parse_scenario(document).stockpiles) == 4
    document["stockpiles"].append({"country": "JPN", "commodity": "lithium", "days_of_cover": 3})
    with pytest.raises(ScenarioError, match=r"stockpiles: .*two stockpiles for JPN lithium"):
        parse_scenario(document)


# -- bad files ---------------------------------------------------------------------------------------


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: x\nevents:\n  - type: export_restriction\n    exporter: CHN\n   commodity: rare_earths\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: line 5: invalid YAML"):
        load_scenario(path)


def test_malformed_yaml_flow_sequence_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("name: x\n\n\nevents: [{type: demand_shock, country: IND\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: line 5: invalid YAML"):
        load_scenario(path)


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        '{\n  "name": "x",\n  "events": [\n    {"type": "demand_shock",}\n  ]\n}\n', encoding="utf-8"
    )
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: line 4: invalid JSON"):
        load_scenario(path)


def test_yaml_in_a_json_file_is_invalid_json(tmp_path: Path) -> None:
    path = write_yaml(tmp_path / "wrong.json", GOOD)
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: line 1: invalid JSON"):
        load_scenario(path)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "scenario.yaml"
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: cannot read the scenario"):
        load_scenario(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Côte d'Ivoire\n".encode("latin-1"))
    with pytest.raises(ScenarioError, match=rf"^{re.escape(str(path))}: cannot read the scenario"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("name", "text", "kind"),
    [
        ("list.yaml", "- name: x\n- name: y\n", "list"),
        ("list.json", '[{"name": "x"}]', "list"),
        ("text.yaml", "just words\n", "str"),
        ("empty.yaml", "", "NoneType"),
    ],
)
def test_document_must_be_a_mapping(tmp_path: Path, name: str, text: str, kind: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        ScenarioError, match=rf"^{re.escape(str(path))}: a scenario is a mapping of fields, got {kind}"
    ):
        load_scenario(path)


def test_parse_scenario_names_its_origin() -> None:
    with pytest.raises(ScenarioError, match=r"^<scenario>: events: Field required"):
        parse_scenario({"name": "x"})
    with pytest.raises(ScenarioError, match=r"^from the API: events: Field required"):
        parse_scenario({"name": "x"}, "from the API")


def test_scenario_error_is_a_critmin_error() -> None:
    assert issubclass(ScenarioError, CritminError)


def test_specs_are_immutable() -> None:
    scenario = parse_scenario(copy.deepcopy(GOOD))
    with pytest.raises(ValueError, match="frozen"):
        scenario.name = "other"  # type: ignore[misc]
