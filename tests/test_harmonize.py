"""Countries and the commodity catalog: the awkward names of our sources, and the tables themselves."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from critmin.data import read_reference
from critmin.errors import UnknownNamesError
from critmin.harmonize.commodities import all_names, catalog
from critmin.harmonize.countries import place_names, to_iso3
from critmin.schema import STAGES

AWKWARD = {
    "Burma": "MMR",
    "Congo (Kinshasa)": "COD",
    "Congo (Brazzaville)": "COG",
    "Korea, Republic of": "KOR",
    "NA": "NAM",
    "Namibia": "NAM",
    "ZAR": "COD",
    "ROM": "ROU",
    "Côte d'Ivoire": "CIV",
    "Russia": "RUS",
    "Taiwan": "TWN",
    "United States": "USA",
}


def test_awkward_source_names_are_placed() -> None:
    placed = place_names(AWKWARD)
    assert {name: place.code for name, place in placed.items()} == AWKWARD
    assert not any(place.is_aggregate for place in placed.values())


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("World total", "WLD"),
        ("World total (rounded)", "WLD"),
        ("World total (rounded), excluding U.S. production", "WLD"),
        ("Other countries", "OTH"),
        ("European Union", "EUU"),
    ],
)
def test_aggregates_stay_aggregates(name: str, code: str) -> None:
    place = place_names([name])[name]
    assert (place.code, place.is_aggregate) == (code, True)


def test_unplaceable_names_are_all_listed() -> None:
    with pytest.raises(UnknownNamesError) as caught:
        place_names(["China", "Atlantis", "Freedonia", "XYZ", "Foo"], path="x.csv")
    assert caught.value.names == ["Atlantis", "Foo", "Freedonia", "XYZ"]
    assert "x.csv" in str(caught.value)


def test_to_iso3_keeps_row_alignment() -> None:
    names = pd.Series(["Burma", "World total", "Burma"], index=[10, 20, 30])
    codes, aggregate = to_iso3(names)
    assert codes.to_dict() == {10: "MMR", 20: "WLD", 30: "MMR"}
    assert aggregate.to_dict() == {10: False, 20: True, 30: False}


def test_catalog_ids_are_unique_and_parents_exist() -> None:
    table = catalog()
    assert table["commodity"].is_unique
    parents = set(table["parent"]) - {""}
    assert parents <= set(table["commodity"])


def test_every_mapping_row_points_into_the_catalog() -> None:
    names = all_names()
    kept = names[names["commodity"] != "-"]
    assert set(kept["commodity"]) <= set(catalog()["commodity"])
    assert set(kept["stage"]) - {""} <= set(STAGES)
    dropped = names[names["commodity"] == "-"]
    assert (dropped["note"].str.len() > 0).all(), "a dropped category must say why"


def test_mapping_keys_are_unique_per_source() -> None:
    names = all_names()
    key = (
        names["source"]
        + "|"
        + names["source_name"].str.lower().str.strip()
        + "|"
        + names["detail"].str.lower()
    )
    assert key.is_unique, names[key.duplicated(keep=False)]


def test_every_alias_resolves_to_exactly_one_place() -> None:
    aliases = read_reference("country_aliases.csv")
    assert aliases["name"].str.lower().is_unique
    places = read_reference("places.csv")
    assert places["code"].is_unique
    assert set(aliases["iso3"]) <= set(places["code"])


@given(st.lists(st.sampled_from(sorted(AWKWARD)), min_size=1, max_size=20))
def test_placing_is_order_independent(names: list[str]) -> None:
    forward = {n: p.code for n, p in place_names(names).items()}
    backward = {n: p.code for n, p in place_names(list(reversed(names))).items()}
    assert forward == backward == {n: AWKWARD[n] for n in names}
