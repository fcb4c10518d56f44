"""Derived tables: computed on init and inside every import, fresh for the data, equal to on demand."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import critmin
from critmin import profiles, services
from critmin.derived import is_fresh
from critmin.errors import StoreError
from critmin.schema import DERIVED_TABLES
from critmin.store.gateway import DERIVED_STATE_KEY, BoundStore

WMD = ("production_wmd", "world_mining_data_2024ed_2018_2022_long.csv")


def _copy(bundled: critmin.Critmin, folder: Path) -> Path:
    target = folder / "critmin.duckdb"
    shutil.copyfile(bundled.path, target)
    return target


@pytest.fixture(scope="module")
def on_demand(bundled: critmin.Critmin) -> critmin.Critmin:
    """The bundled store read with ``derived=False``: every service computes as before the tables."""
    return critmin.Critmin(bundled.path, derived=False)


def test_init_leaves_every_derived_table_filled_and_fresh(bundled: critmin.Critmin) -> None:
    assert is_fresh(bundled.store)
    assert services.uses_derived(bundled)
    for name in DERIVED_TABLES:
        rows = bundled.store.query(f"SELECT count(*) AS n FROM {name}")["n"].iloc[0]
        assert rows > 0, name


def test_derived_profiles_carry_provenance(bundled: critmin.Critmin) -> None:
    rows = bundled.store.query("SELECT provenance FROM derived_profile_eu WHERE importer = 'JPN'")
    assert len(rows) and rows["provenance"].str.contains("usgs", case=False).any()


@pytest.mark.parametrize("method", profiles.METHODS)
@pytest.mark.parametrize("iso3", ["JPN", "IND", "EUU"])
def test_exposures_equal_the_on_demand_profile(
    bundled: critmin.Critmin, on_demand: critmin.Critmin, method: str, iso3: str
) -> None:
    years = services.exposure_years(bundled)
    assert years == services.exposure_years(on_demand)
    for year in (years[0], years[-1]):
        fast = services.exposures(bundled, iso3, year=year, method=method)
        slow = profiles.country_profile(on_demand, iso3, year, method=method)
        assert len(fast) > 0
        assert_frame_equal(fast, slow, check_dtype=False)


def test_exposures_of_one_stage_and_of_all_minerals_equal_on_demand(
    bundled: critmin.Critmin, on_demand: critmin.Critmin
) -> None:
    fast = services.exposures(bundled, "JPN", stage="refinery", method="geopolrisk")
    slow = profiles.country_profile(on_demand, "JPN", stage="refinery", method="geopolrisk")
    assert_frame_equal(fast, slow, check_dtype=False)
    fast = services.exposures(bundled, "IND", all_minerals=True)
    slow = profiles.country_profile(on_demand, "IND", all_minerals=True)
    assert len(fast) > len(services.exposures(bundled, "IND"))
    assert_frame_equal(fast, slow, check_dtype=False)


@pytest.mark.parametrize("method", profiles.METHODS)
def test_pair_equals_the_on_demand_pair(
    bundled: critmin.Critmin, on_demand: critmin.Critmin, method: str
) -> None:
    fast = services.pair(bundled, "IND", "JPN", method=method)
    slow = profiles.pair_profile(on_demand, "IND", "JPN", method=method)
    assert len(fast) > 0
    assert_frame_equal(fast, slow, check_dtype=False)


def test_mineral_views_and_sources_equal_on_demand(
    bundled: critmin.Critmin, on_demand: critmin.Critmin
) -> None:
    for commodity in ("cobalt", "lithium", "rare_earths"):
        for view in (services.mineral_producers, services.mineral_concentration, services.mineral_flows):
            fast, slow = view(bundled, commodity), view(on_demand, commodity)
            assert len(fast) > 0, (view.__name__, commodity)
            assert_frame_equal(fast, slow, check_dtype=False)
    fast = services.import_sources(bundled, "JPN")
    slow = services.import_sources(on_demand, "JPN")
    assert len(fast) > 0
    assert_frame_equal(fast, slow, check_dtype=False)


def _drop_state(store: BoundStore) -> None:
    with store.transaction() as con:
        con.execute("DELETE FROM meta WHERE key = ?", [DERIVED_STATE_KEY])


def test_stale_tables_are_never_read_and_a_refresh_makes_them_fresh(
    bundled: critmin.Critmin, on_demand: critmin.Critmin, tmp_path: Path
) -> None:
    db = critmin.Critmin(_copy(bundled, tmp_path))
    db.store.within(_drop_state)
    assert not is_fresh(db.store)
    assert not services.uses_derived(db)
    assert db.store.read_fresh("derived_profile_eu", "any") is None
    assert_frame_equal(services.exposures(db, "JPN"), profiles.country_profile(on_demand, "JPN"))
    assert db.refresh_derived(force=False)
    assert is_fresh(db.store)
    assert not db.refresh_derived(force=False)


def test_an_import_refreshes_the_tables_in_its_transaction(
    bundled: critmin.Critmin, raw_data: Path, tmp_path: Path
) -> None:
    db = critmin.Critmin(_copy(bundled, tmp_path))
    before = db.store.derived_state()
    outcomes = db.import_files("wmd", [raw_data.joinpath(*WMD)])
    assert [o.status for o in outcomes] == ["added"]
    assert is_fresh(db.store)
    assert db.store.derived_state() != before


def test_a_failing_refresh_rolls_the_whole_import_back(
    bundled: critmin.Critmin, raw_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = critmin.Critmin(_copy(bundled, tmp_path))
    vintages = db.store.vintages()
    state = db.store.derived_state()
    profile = db.store.read_derived("derived_profile_eu", {"importer": "JPN"})

    def broken(_: critmin.Critmin) -> dict[str, pd.DataFrame]:
        raise ValueError("no memory left")

    monkeypatch.setattr(importlib.import_module("critmin.derived.refresh"), "compute", broken)
    with pytest.raises(StoreError, match=r"rolled back.*no memory left"):
        db.import_files("wmd", [raw_data.joinpath(*WMD)])
    assert_frame_equal(db.store.vintages(), vintages)
    assert db.store.derived_state() == state
    assert is_fresh(db.store)
    assert_frame_equal(db.store.read_derived("derived_profile_eu", {"importer": "JPN"}), profile)


def test_state_key_names_the_data(bundled: critmin.Critmin, raw_data: Path, tmp_path: Path) -> None:
    db = critmin.Critmin(_copy(bundled, tmp_path))
    assert services.state_key(db) == services.state_key(bundled)
    db.import_files("wmd", [raw_data.joinpath(*WMD)])
    assert services.state_key(db) != services.state_key(bundled)


def test_sources_imported_before_governance_leave_profiles_waiting(raw_data: Path, tmp_path: Path) -> None:
    """Trade and production before WGI: the imports succeed, profiles stay empty until WGI comes."""
    db = critmin.Critmin(tmp_path / "order.duckdb")
    db.store.initialise()
    usgs = raw_data / "usgs_mcs" / "mcs2024" / "world" / "mcs2024-cobal_world.csv"
    baci = raw_data / "geopolrisk" / "baci_hs92_minerals_1995_2024.csv"
    assert [o.status for o in db.import_files("usgs-mcs", [usgs])] == ["added"]
    assert [o.status for o in db.import_files("baci", [baci])] == ["added"]
    assert is_fresh(db.store)
    assert db.store.read_derived("derived_profile_eu", {}).empty
    db.import_files("wgi", [raw_data / "wgi" / "wgidataset_2024update_1996_2023.csv"])
    assert is_fresh(db.store)
    cobalt = db.store.read_derived("derived_profile_eu", {"importer": "JPN"})
    assert {"cobalt"} <= set(cobalt["commodity"]) and cobalt["score"].notna().any()
