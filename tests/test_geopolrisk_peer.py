"""critmin's GeoPolRisk against the reference implementation geopolrisk-py 2.0.1, on the same inputs.

The peer's figures (``tests/data/geopolrisk_py_2.0.1_JPN_IND_2020_2023.csv``: every material of
its HS map, Japan and India, 2020-2023) and its normalised WGI PV table
(``..._wgi_normalized.csv``) were written by ``scripts/peer_geopolrisk.py`` running the package
(``make peer-figures``). critmin's side reads the real sources: the bundled store (BACI HS92, the
same extract the package ships) with World Mining Data imported from
``CRITMIN_RAW_DATA/geopolrisk/world_mining_data_2018_2024_long.csv`` (the package's production
database, exported unchanged), and the HS codes of ``geopolrisk_hs_map.csv``.

Two runs:

- *Same inputs*: critmin's formula with the package's WGI values. Every case is equal to 1e-6
  except those :func:`reasons` explains from the inputs (critmin drops Guyana's gold copied from
  French Guiana; critmin carries a partner's last WGI forward where the package uses 0.5).
- *critmin's inputs*: the store's WGI (2024 update, estimates to two decimals; the package's
  2023 column is from a later WGI release). The figures reported in ``docs/metrics.md``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

import critmin
from critmin import reference_tables
from critmin.data import read_reference
from critmin.ingest import wmd
from critmin.metrics.criticality_geopolrisk import geopolrisk_score

DATA = Path(__file__).parent / "data"
PEER = DATA / "geopolrisk_py_2.0.1_JPN_IND_2020_2023.csv"
PEER_WGI = DATA / "geopolrisk_py_2.0.1_wgi_normalized.csv"
WMD_FILE = Path("geopolrisk/world_mining_data_2018_2024_long.csv")
YEARS = [2020, 2021, 2022, 2023]
COUNTRIES = ["JPN", "IND"]
KEYS = ["wmd_commodity", "country", "year"]
RTOL = 1e-6


@pytest.fixture(scope="module")
def db(raw_data: Path, tmp_path_factory: pytest.TempPathFactory) -> critmin.Critmin:
    """The bundled store with the package's World Mining Data imported."""
    store = critmin.open(tmp_path_factory.mktemp("peer") / "critmin.duckdb")
    store.import_files("wmd", [raw_data / WMD_FILE])
    return store


def peer_figures() -> pd.DataFrame:
    """The package's scores, one row per WMD material, country and year."""
    return pd.read_csv(PEER, comment="#")


def peer_governance() -> pd.DataFrame:
    """The package's normalised PV as ``db.governance`` rows (``estimate = 2.5 - 5 g``).

    The package joins a partner on its BACI numeric code and takes the first row of a code (its
    table holds Guyana twice); the codes are put in critmin's (``baci_countries.csv``), so a
    territory the package cannot join (Taiwan, code ``NA``) has no row, as in the package.
    """
    table = pd.read_csv(PEER_WGI, comment="#", dtype={"country_code": str}).dropna(subset=["g"])
    table = table.sort_values(["row", "year"]).drop_duplicates(["country_code", "year"], keep="first")
    codes = read_reference("baci_countries.csv").set_index("code")["iso3"]
    table = table[table["country_code"].isin(codes.index)]
    return pd.DataFrame(
        {
            "country": table["country_code"].map(codes).to_numpy(),
            "year": table["year"].astype("int64").to_numpy(),
            "indicator": "pv",
            "estimate": (2.5 - 5.0 * table["g"]).to_numpy(),
            "source": "geopolrisk-py",
            "release": "2.0.1 wgi.db",
            "vintage_id": 0,
        }
    )


def ours(db: critmin.Critmin, governance: pd.DataFrame) -> pd.DataFrame:
    """critmin's GeoPolRisk of each material of the package's map, per country and year."""
    materials = reference_tables.geopolrisk_hs_map(form=None)
    trade = db.trade(year=YEARS, nomenclature="HS92")
    hs = db.hs_codes()
    hs = hs[hs["nomenclature"] == "HS92"]
    production = db.production(year=YEARS, source="wmd")
    parameters = reference_tables.criticality_parameters()
    parts = []
    for material, codes in materials.groupby("wmd_commodity"):
        first = codes.iloc[0]
        rows = production[
            (production["commodity"] == first["commodity"])
            & (production["stage"] == first["stage"])
            & (production["form"] == first["form"])
        ]
        for iso3 in COUNTRIES:
            frame = geopolrisk_score(rows, trade, hs, governance, parameters, importer=iso3, materials=codes)
            parts.append(frame.assign(wmd_commodity=material, country=iso3))
    return pd.concat(parts, ignore_index=True)


def close(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise equality to :data:`RTOL` (relative; zeros equal zeros)."""
    return np.array([math.isclose(x, y, rel_tol=RTOL, abs_tol=1e-12) for x, y in zip(a, b, strict=True)])


def compared(db: critmin.Critmin, governance: pd.DataFrame) -> pd.DataFrame:
    """Peer and critmin side by side: ``equal`` (score), ``hhi_equal``, ``import_risk_equal``."""
    mine = ours(db, governance)[[*KEYS, "hhi", "import_risk", "geopolrisk", "defaults_used", "trade_hs6"]]
    both = peer_figures().merge(mine, on=KEYS, how="left", suffixes=("_peer", ""), validate="one_to_one")
    both["equal"] = close(both["geopolrisk"], both["geopolrisk_peer"])
    both["hhi_equal"] = close(both["hhi"], both["hhi_peer"])
    both["import_risk_equal"] = close(both["import_risk"], both["import_risk_peer"])
    return both


def summary(both: pd.DataFrame) -> dict[str, float]:
    """Cases, count equal, Spearman rank correlation and median relative difference (all cases)."""
    peer, mine = both["geopolrisk_peer"], both["geopolrisk"]
    rel = ((mine - peer).abs() / peer.abs()).where(peer != 0, (mine != 0).astype(float))
    return {
        "cases": len(both),
        "equal": int(both["equal"].sum()),
        "spearman": float(spearmanr(peer, mine).statistic),
        "median_rel": float(rel.median()),
    }


def report(both: pd.DataFrame, title: str) -> None:
    """Print the figures and the differing cases (``pytest -s``; quoted in docs/metrics.md)."""
    print(f"\n{title}: {summary(both)}")
    for row in both[~both["equal"]].itertuples(index=False):
        case = f"{row.wmd_commodity} {row.country} {row.year}"
        print(f"  {case}: peer {row.geopolrisk_peer:.6g}, critmin {row.geopolrisk:.6g}")


@pytest.fixture(scope="module")
def same_inputs(db: critmin.Critmin) -> pd.DataFrame:
    return compared(db, peer_governance())


@pytest.fixture(scope="module")
def own_inputs(db: critmin.Critmin) -> pd.DataFrame:
    return compared(db, db.governance(year=list(range(min(YEARS) - 6, max(YEARS) + 1))))


def test_every_peer_case_is_scored(own_inputs: pd.DataFrame) -> None:
    """critmin scores every material, country and year the package scores, zero where it is zero."""
    assert len(own_inputs) == len(peer_figures()) == 53 * len(COUNTRIES) * len(YEARS)
    assert own_inputs["geopolrisk"].notna().all()
    assert ((own_inputs["geopolrisk_peer"] > 0) == (own_inputs["geopolrisk"] > 0)).all()


def test_equal_to_the_peer_on_the_same_inputs(same_inputs: pd.DataFrame, db: critmin.Critmin) -> None:
    """With the package's WGI values, every case is equal to 1e-6 but those whose production differs.

    critmin's World Mining Data import drops values copied from another country by a join on a
    shared code (Guyana's gold 2023-2024 = French Guiana's; ``dropped_copied_values``), so the
    world HHI of gold differs in 2023; the import risk of those cases is still equal.
    """
    report(same_inputs, "same inputs (the package's WGI)")
    differ = same_inputs[~same_inputs["equal"]]
    assert set(differ["wmd_commodity"]) == {"Gold"} and set(differ["year"]) == {2023}
    assert differ["import_risk_equal"].all() and not differ["hhi_equal"].any()
    assert same_inputs.loc[same_inputs["equal"], "hhi_equal"].all()
    notes = db.store.vintages().query("source == 'wmd'")["notes"].str.cat()
    assert "2 row(s) dropped as copies of another country's value" in notes
    assert wmd.COPIED_VALUES[("Gold", "Guyana")] == "French Guiana"
    assert summary(same_inputs)["equal"] == len(same_inputs) - len(differ) >= 0.97 * len(same_inputs)


def test_close_to_the_peer_on_critmin_inputs(own_inputs: pd.DataFrame, same_inputs: pd.DataFrame) -> None:
    """With the store's WGI (2024 update) the scores differ slightly, and only through WGI.

    Every case that differs here but is equal on the same inputs differs by its import risk
    alone (the HHI is equal): the WGI release is the reason. The ranking is kept.
    """
    report(own_inputs, "critmin's inputs (WGI 2024 update)")
    by_wgi = own_inputs[~own_inputs["equal"] & same_inputs["equal"]]
    assert len(by_wgi) > 0
    assert by_wgi["hhi_equal"].all() and not by_wgi["import_risk_equal"].any()
    figures = summary(own_inputs)
    assert figures["spearman"] > 0.99
    assert figures["median_rel"] < 0.01


def test_hs_map_is_the_packages(raw_data: Path) -> None:
    """``geopolrisk_hs_map.csv`` holds exactly the package's main and complementary codes per material."""
    peer = pd.read_csv(raw_data / "geopolrisk" / "wmd_commodity_hs_map.csv", dtype=str, keep_default_na=False)
    peer = peer[(peer["hs_code"] != "Not Available") & (peer["hs_code"] != "") & (peer["symbol"] != "")]
    expected = {
        row.wmd_commodity: {row.hs_code, *(c for c in row.hs_code_complementary.split(";") if c)}
        for row in peer.itertuples(index=False)
    }
    shipped = reference_tables.geopolrisk_hs_map(form=None)
    assert shipped.groupby("wmd_commodity")["hs6"].agg(set).to_dict() == expected
    assert set(peer_figures()["wmd_commodity"]) == set(expected)
    main = shipped[shipped["role"] == "main"].set_index("wmd_commodity")["hs6"].to_dict()
    assert main == dict(zip(peer["wmd_commodity"], peer["hs_code"], strict=True))
