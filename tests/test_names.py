"""The name resolver: commodity and country names as people type them (critmin.names)."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin import names
from critmin.data import reference_path


def _rows(name: str) -> list[dict[str, str]]:
    with reference_path(name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


CATALOG = _rows("commodities.csv")
PLACES = [row for row in _rows("places.csv") if row["is_aggregate"] == "false"]
IDS = {row["commodity"] for row in CATALOG}


def _variants(text: str) -> st.SearchStrategy[str]:
    """Spellings of ``text`` a person might type: case, spaces, underscores, hyphens."""
    return st.tuples(
        st.sampled_from([str.lower, str.upper, str.title, lambda s: s]),
        st.sampled_from([" ", "_", "-", "  "]),
        st.sampled_from(["", " ", "\t"]),
    ).map(lambda t: t[2] + t[0](text).replace(" ", t[1]) + t[2])


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CATALOG).flatmap(lambda row: st.tuples(st.just(row), _variants(row["commodity"]))))
def test_every_catalog_id_resolves_to_itself_however_typed(case: tuple[dict[str, str], str]) -> None:
    row, typed = case
    assert names.commodity(typed) == row["commodity"]


def _unambiguous(key: str, column: str) -> bool:
    norm = names.normalise
    return sum(norm(r[column]) == norm(key) for r in CATALOG) == 1


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([r for r in CATALOG if _unambiguous(r["name"], "name")]).flatmap(
        lambda row: st.tuples(st.just(row), _variants(row["name"]))
    )
)
def test_every_catalog_name_resolves_to_its_id(case: tuple[dict[str, str], str]) -> None:
    row, typed = case
    assert names.commodity(typed) == row["commodity"]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(PLACES).flatmap(
        lambda row: st.tuples(st.just(row), st.one_of(_variants(row["code"]), _variants(row["name"])))
    )
)
def test_every_country_code_and_name_resolves(case: tuple[dict[str, str], str]) -> None:
    row, typed = case
    same_name = [r["code"] for r in PLACES if names.normalise(r["name"]) == names.normalise(row["name"])]
    assert names.country(typed) in ({row["code"]} if len(same_name) == 1 else set(same_name))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_rows("country_iso2.csv")), st.sampled_from([str.lower, str.upper]))
def test_every_iso2_code_resolves_to_its_iso3(row: dict[str, str], case: object) -> None:
    assert names.country(case(row["iso2"])) == row["iso3"]  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_any_text_resolves_to_a_known_id_or_says_the_three_closest(text: str) -> None:
    try:
        found = names.commodity(text)
    except names.UnknownNameError as error:
        assert error.name == text
        assert len(error.suggestions) == names.SUGGESTIONS
        assert all(s.endswith(")") or s in IDS for s in error.suggestions)
    else:
        assert found in IDS


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("graphite", "graphite_natural"),
        ("Natural graphite", "graphite_natural"),
        ("synthetic graphite", "graphite_synthetic"),
        ("REE", "rare_earths"),
        ("rare earth elements", "rare_earths"),
        ("Rare-earth", "rare_earths"),
        ("Li", "lithium"),
        ("PGMs", "pgm"),
        ("platinum group metals", "pgm"),
        ("titanium", "titanium"),
        ("aluminium", "aluminum"),
        ("Niobium", "niobium"),
        ("columbium", "niobium"),
        ("HREE", "rare_earths_heavy"),
        ("sulphur", "sulfur"),
    ],
)
def test_common_commodity_names(typed: str, expected: str) -> None:
    assert names.commodity(typed) == expected


def test_graphite_says_synthetic_is_separate() -> None:
    found = names.reference_commodities().resolve("graphite")
    assert found.id == "graphite_natural"
    assert "graphite_synthetic" in found.note


def test_a_symbol_two_commodities_share_is_not_guessed() -> None:
    """ "C" is the symbol of natural and synthetic graphite and of diamonds; nor is it "Cs"."""
    with pytest.raises(names.UnknownNameError):
        names.commodity("C")


def test_a_misspelt_name_suggests_the_right_one_first() -> None:
    with pytest.raises(names.UnknownNameError) as caught:
        names.commodity("grafite")
    assert caught.value.suggestions[0].endswith("(graphite_natural)")
    assert "grafite" in str(caught.value)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("IND", "IND"),
        ("in", "IND"),
        ("India", "IND"),
        ("japan", "JPN"),
        ("JP", "JPN"),
        ("South Korea", "KOR"),
        ("DRC", "COD"),
        ("Congo (Kinshasa)", "COD"),
        ("UK", "GBR"),
        ("U.S.", "USA"),
        ("Türkiye", "TUR"),
        ("turkey", "TUR"),
        ("NA", "NAM"),
        ("EU", "EUU"),
        ("Cote d'Ivoire", "CIV"),
    ],
)
def test_common_country_names(typed: str, expected: str) -> None:
    assert names.country(typed) == expected


def test_an_unknown_country_names_the_three_closest() -> None:
    with pytest.raises(names.UnknownNameError) as caught:
        names.country("Indai")
    assert len(caught.value.suggestions) == 3
    assert caught.value.suggestions[0] == "India (IND)"


def test_every_synonym_names_a_catalog_commodity() -> None:
    unknown = [row["synonym"] for row in _rows("commodity_synonyms.csv") if row["commodity"] not in IDS]
    assert unknown == []


def test_every_country_name_table_entry_is_a_known_place() -> None:
    codes = {row["code"] for row in _rows("places.csv")}
    unknown = [row["name"] for row in _rows("country_names.csv") if row["iso3"] not in codes]
    assert unknown == []


def test_resolving_imports_no_pandas() -> None:
    """The CLI resolves names before it loads anything heavy."""
    code = (
        "import sys; from critmin import names; names.commodity('graphite'); names.country('in');"
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
