"""The Python API on the bundled default dataset: critmin.open() works offline and every row is traceable."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import critmin
from critmin.data import bundle_dir
from critmin.errors import CritminError, VintageError


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> critmin.Critmin:
    return critmin.open(tmp_path_factory.mktemp("api") / "bundled.duckdb")


def share(frame: pd.DataFrame, country: str) -> float:
    countries = frame[~frame["is_aggregate"]]
    world = frame.loc[frame["country"] == "WLD", "value"].item()
    return float(countries.loc[countries["country"] == country, "value"].item() / world)


def test_open_creates_the_store_from_the_bundle(db: critmin.Critmin) -> None:
    manifest = json.loads((bundle_dir() / "manifest.json").read_text())
    counts = db.store.table_counts()
    for table, rows in manifest["rows"].items():
        if table != "vintages":
            assert counts[table] == rows, table
    vintages = db.vintages()
    # The bundle's vintages, plus the curated event register, which `init` loads as its own vintage.
    assert (vintages["source"] != "critmin_events").sum() == manifest["rows"]["vintages"]
    assert (vintages["source"] == "critmin_events").sum() == 1


def test_default_home_is_used_when_no_path_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRITMIN_HOME", str(tmp_path / "home"))
    handle = critmin.open(init=False)
    assert handle.path == tmp_path / "home" / "critmin.duckdb"


def test_rare_earth_mine_production_2024(db: critmin.Critmin) -> None:
    """USGS MCS 2026: China 270,000 of 380,000 t REO in 2024, 71.1%."""
    ree = db.production("rare earths", stage="mine", year=2024, aggregates=True)
    assert set(ree["release"]) == {"MCS2026"}
    assert round(share(ree, "CHN"), 3) == 0.711
    assert not db.production("rare earths", stage="mine", year=2024)["is_aggregate"].any()


def test_an_older_release_stays_queryable(db: critmin.Critmin) -> None:
    """USGS MCS 2024: DR Congo 170,000 of 230,000 t cobalt in 2023e, 73.9%."""
    cobalt = db.production("cobalt", stage="mine", year=2023, aggregates=True, vintage="MCS2024")
    assert round(share(cobalt, "COD"), 3) == 0.739
    with pytest.raises(VintageError):
        db.production("cobalt", vintage="MCS1999")


def test_trade_by_commodity_uses_the_hs_catalog(db: critmin.Critmin) -> None:
    """BACI HS92: Japan's 2010 rare-earth imports from China, 23,154 t (PROVENANCE G1)."""
    flows = db.trade(year=2010, importer="JPN", commodity="rare_earths")
    assert set(flows["hs6"]) <= {"280530", "284610", "284690"}
    from_china = flows.loc[flows["exporter"] == "CHN", "quantity_t"].sum()
    assert round(from_china) == 23_154
    assert set(flows["release"]) == {"BACI HS92 V202601"}


def test_governance_lists_and_restrictions(db: critmin.Critmin) -> None:
    pv = db.governance(country=["CHN", "COD"], year=2023, indicator="pv").set_index("country")["estimate"]
    assert pv.round(2).to_dict() == {"CHN": -0.51, "COD": -2.04}
    india = db.lists(jurisdiction="IND")
    assert india["listed_name"].nunique() == 30
    gallium = db.restrictions(country="CHN", commodity="gallium")
    assert not gallium.empty and gallium["effective"].notna().all()


def test_every_row_names_its_vintage(db: critmin.Critmin) -> None:
    vintages = db.vintages().set_index("vintage_id")
    rows = db.production("lithium", year=2024)
    assert rows["vintage_id"].isin(vintages.index).all()
    files = vintages.loc[rows["vintage_id"].unique(), "file_name"]
    assert set(files) == {"MCS2026_Commodities_Data.csv"}
    assert vintages["licence"].str.len().gt(0).all()


def test_unknown_commodity_is_explained(db: critmin.Critmin) -> None:
    with pytest.raises(CritminError, match="unknown commodity"):
        db.production("unobtainium")


def test_sources_cover_every_bundled_publisher(db: critmin.Critmin) -> None:
    sources = db.sources()
    assert set(sources["source"]) == {
        "usgs_mcs",
        "baci",
        "wgi",
        "critmin_lists",
        "critmin_restrictions",
        "critmin_events",
    }


def test_loading_the_bundle_again_adds_nothing(db: critmin.Critmin) -> None:
    before = db.store.table_counts()
    assert db.init() == 0
    assert db.store.table_counts() == before


def test_bundle_joins_a_store_that_has_user_imports(tmp_path: Path, raw_data: Path) -> None:
    handle = critmin.Critmin(tmp_path / "mixed.duckdb")
    handle.store.initialise()
    handle.import_files("wmd", [raw_data / "production_wmd" / "world_mining_data_2024ed_2018_2022_long.csv"])
    handle.import_files("wgi", [raw_data / "wgi" / "wgidataset_2024update_1996_2023.csv"])
    bundled = json.loads((bundle_dir() / "manifest.json").read_text())["rows"]["vintages"]
    assert handle.init() == bundled - 1
    vintages = handle.vintages()
    assert vintages["sha256"].is_unique and vintages["vintage_id"].is_unique
    assert {"wmd", "wgi", "usgs_mcs"} <= set(vintages["source"])
    cobalt = handle.production("cobalt", year=2022, source="wmd", aggregates=True)
    assert round(share(cobalt, "COD"), 3) == 0.695
