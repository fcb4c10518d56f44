"""Product exposure: the bundled intensities, a worked example, mix validation, exposure and scenario loss."""

from __future__ import annotations

import re
from importlib import resources

import pandas as pd
import pytest

import critmin
from critmin.metrics.trade_exposure import import_shares
from critmin.partnership import products
from critmin.partnership.products import ProductError


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return products.intensities()


def test_every_row_is_sourced_and_known(table: pd.DataFrame) -> None:
    catalog = pd.read_csv(resources.files("critmin.data.reference") / "commodities.csv")
    assert len(table) > 0
    assert (table["source"].str.len() > 10).all()
    assert table["url"].str.match(r"https?://").all()
    assert table["commodity"].isin(set(catalog["commodity"])).all()
    assert (table["kg_per_unit"] > 0).all()
    derived = table["note"].str.contains("derived|midpoint")
    assert derived.any()


def test_loader_rejects_unsourced_and_unknown(table: pd.DataFrame) -> None:
    bad = table.copy()
    bad.loc[0, "source"] = ""
    with pytest.raises(ProductError, match=r"row 0.*source"):
        products.check_intensities(bad)
    bad = table.copy()
    bad.loc[1, "commodity"] = "unobtainium"
    with pytest.raises(ProductError, match=r"unobtainium.*catalog"):
        products.check_intensities(bad, {"cobalt", "lithium"})
    with pytest.raises(ProductError, match="double count"):
        products.check_intensities(pd.concat([table, table.iloc[[0]]], ignore_index=True))


def test_worked_example_nmc811_evs(table: pd.DataFrame) -> None:
    """100,000 EVs with 60 kWh NMC811 packs and one traction motor each.

    Cobalt: 100,000 × 60 kWh × 0.070 kg/kWh (CRU 2018) = 420,000 kg = 420 t.
    Magnets: 100,000 motors × 1.5 kg NdFeB (midpoint of 1–2 kg) = 150,000 kg = 150 t.
    """
    cobalt = table[(table["product"] == "battery_nmc811") & (table["commodity"] == "cobalt")]
    assert cobalt["kg_per_unit"].iloc[0] == pytest.approx(0.070)
    lines = products.needs(products.ev_mix(100_000, 60, "battery_nmc811"), table)
    by = lines.set_index("commodity")
    assert by.loc["cobalt", "quantity"] == pytest.approx(6_000_000)
    assert by.loc["cobalt", "need_t"] == pytest.approx(420.0)
    assert by.loc["permanent_magnets", "need_t"] == pytest.approx(150.0)
    assert "CRU" in by.loc["cobalt", "source"]
    assert by.loc["cobalt", "url"].startswith("https://")


def test_mix_needs_add_up_per_commodity(table: pd.DataFrame) -> None:
    """2 MW of NdFeB wind (216 kg Nd/MW) and 10 kg of magnet (0.3075 kg Nd/kg): 0.432 + 0.003075 t Nd."""
    mix = pd.DataFrame(
        {"product": ["wind_turbine_ndfeb", "ndfeb_magnet"], "quantity": [2, 10], "unit": ["MW", "kg"]}
    )
    total = products.needs_by_commodity(products.needs(mix, table)).set_index("commodity")
    assert total.loc["neodymium", "need_t"] == pytest.approx(0.432 + 0.003075)
    assert total.loc["dysprosium", "need_t"] == pytest.approx(10 * 0.009 / 1000)


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ({"product": "flux_capacitor", "quantity": 1, "unit": "kWh"}, "row 0 .*unknown product"),
        ({"product": "battery_nmc811", "quantity": 1, "unit": "MWh"}, "row 0 .*unit 'MWh'.*'kWh'"),
        ({"product": "battery_nmc811", "quantity": -5, "unit": "kWh"}, "row 0 .*negative"),
        ({"product": "battery_nmc811", "quantity": "lots", "unit": "kWh"}, "row 0 .*quantity 'lots'"),
    ],
)
def test_mix_validation_names_the_field(table: pd.DataFrame, row: dict[str, object], match: str) -> None:
    with pytest.raises(ProductError, match=match):
        products.needs(pd.DataFrame([row]), table)


def test_mix_without_columns_and_bad_ev_mix(table: pd.DataFrame) -> None:
    with pytest.raises(ProductError, match="lacks columns"):
        products.needs(pd.DataFrame({"product": ["battery_nmc811"]}), table)
    with pytest.raises(ProductError, match="pack_kwh"):
        products.ev_mix(10, -1, "battery_nmc811")


def _lines(commodity: str, need_t: float) -> pd.DataFrame:
    return pd.DataFrame({"product": ["p"], "commodity": [commodity], "need_t": [need_t], "source": ["s"]})


def test_import_exposure_on_hand_made_shares() -> None:
    """Need 100 t of cobalt; IND imports 60% from COD, 30% from ZMB, 10% from an aggregate (unattributed).

    Supplier tonnes 60, 30, 10; HHI over attributed suppliers (2/3)² + (1/3)² = 5/9; half imported: 30, 15, 5.
    """
    shares = pd.DataFrame(
        {
            "importer": ["IND"] * 4,
            "commodity": ["cobalt"] * 4,
            "stage": ["refinery"] * 4,
            "year": [2024, 2024, 2024, 2023],
            "exporter": ["COD", "ZMB", "S19", "CHN"],
            "share": [0.6, 0.3, 0.1, 1.0],
            "basis": ["quantity"] * 4,
            "is_aggregate": [False, False, True, False],
        }
    )
    sup, summary = products.import_exposure(_lines("cobalt", 100.0), shares, "IND")
    assert list(sup["exporter"]) == ["COD", "ZMB", "S19"]
    assert list(sup["imported_t"]) == pytest.approx([60.0, 30.0, 10.0])
    row = summary.iloc[0]
    assert row["hhi"] == pytest.approx(5 / 9)
    assert row["share_unattributed"] == pytest.approx(0.1)
    assert row["top_suppliers"].startswith("COD 60%")
    _, half = products.import_exposure(_lines("cobalt", 100.0), shares, "IND", reliance={"cobalt": 0.5})
    assert half["imported_t"].iloc[0] == pytest.approx(50.0)
    _, none = products.import_exposure(_lines("lithium", 5.0), shares, "IND")
    assert "no imports" in none["note"].iloc[0]
    with pytest.raises(ProductError, match="reliance"):
        products.import_exposure(_lines("cobalt", 1.0), shares, "IND", reliance={"cobalt": 2})


def test_scenario_loss_on_hand_made_frame() -> None:
    """IND loses 25% of its cobalt consumption: 420 t of needs lose 105 t; lithium untouched loses 0."""
    countries = pd.DataFrame(
        {
            "network": ["cobalt", "cobalt", "lithium"],
            "commodity": ["cobalt", "cobalt", "lithium"],
            "country": ["IND", "JPN", "JPN"],
            "share_of_consumption": [0.25, 0.5, 0.1],
        }
    )
    lines = pd.concat([_lines("cobalt", 420.0), _lines("lithium", 10.0), _lines("nickel", 3.0)])
    loss = products.scenario_loss(lines, countries, "IND").set_index("commodity")
    assert loss.loc["cobalt", "loss_t"] == pytest.approx(105.0)
    assert loss.loc["lithium", "loss_t"] == 0.0
    assert "untouched" in loss.loc["lithium", "note"]
    assert "no network" in loss.loc["nickel", "note"]
    with pytest.raises(ProductError, match="share_of_consumption"):
        products.scenario_loss(lines, countries.drop(columns="share_of_consumption"), "IND")


def test_india_nmc811_evs_on_bundled_data(bundled: critmin.Critmin, table: pd.DataFrame) -> None:
    """India's needs for 100,000 NMC622 and NMC811 EVs, exposed through India's real import shares."""
    mix = pd.concat(
        [products.ev_mix(100_000, 60, "battery_nmc811"), products.ev_mix(100_000, 60, "battery_nmc622")],
        ignore_index=True,
    )
    lines = products.needs(mix, table)
    goods = sorted(set(lines["commodity"]))
    trade = bundled.trade(importer="IND", commodity=goods)
    shares = import_shares(trade, bundled.hs_codes(), aggregates=bundled.places(), world=False)
    sup, summary = products.import_exposure(lines, shares, "IND")
    cobalt = summary[summary["commodity"] == "cobalt"]
    assert not cobalt.empty and cobalt["suppliers"].min() > 0
    need = lines.loc[lines["commodity"] == "cobalt", "need_t"].sum()
    for (_stage, _year), grp in sup[sup["commodity"] == "cobalt"].groupby(["stage", "year"]):
        assert grp["imported_t"].sum() == pytest.approx(need)
    assert set(summary["commodity"]) == set(goods)


def test_direct_drive_wind_rows_follow_from_the_magnet_mass(table: pd.DataFrame) -> None:
    """Direct-drive PMSG wind: 0.625-0.85 t magnet/MW (Moss et al. 2013, midpoint 737.5 kg), ~30% rare
    earths and ~4% Dy by magnet weight (Heim & Vander Wal 2023); every row names its source page."""
    dd = table[table["product"] == "wind_turbine_dd_pmsg"].set_index("commodity")
    assert set(dd.index) == {"permanent_magnets", "rare_earths", "dysprosium"}
    assert (dd["unit"] == "MW").all()
    magnet = dd.loc["permanent_magnets", "kg_per_unit"]
    assert magnet == pytest.approx((625 + 850) / 2)
    assert dd.loc["rare_earths", "kg_per_unit"] == pytest.approx(0.30 * magnet)
    assert dd.loc["dysprosium", "kg_per_unit"] == pytest.approx(0.04 * magnet)
    assert dd["url"].str.startswith("https://").all() and (dd["url"].str.len() > len("https://")).all()
    assert dd["note"].str.contains("derived|midpoint").all()
    # 100 MW of direct-drive wind needs 73.75 t of magnets
    lines = products.needs(
        pd.DataFrame({"product": ["wind_turbine_dd_pmsg"], "quantity": [100], "unit": ["MW"]})
    )
    assert lines.set_index("commodity").loc["permanent_magnets", "need_t"] == pytest.approx(73.75)


# IUPAC standard atomic weights (abridged), g/mol: physical constants for the stoichiometric derivations.
_ATOMIC_WEIGHT = {
    "Li": 6.94,
    "O": 15.999,
    "Fe": 55.845,
    "P": 30.974,
    "Ni": 58.693,
    "Mn": 54.938,
    "Co": 58.933,
    "Al": 26.982,
}


def _mass_fraction(formula: str, element: str) -> float:
    counts = {el: float(n) if n else 1.0 for el, n in re.findall(r"([A-Z][a-z]?)(\d*\.?\d*)", formula)}
    return _ATOMIC_WEIGHT[element] * counts[element] / sum(_ATOMIC_WEIGHT[e] * n for e, n in counts.items())


def test_cathode_stoichiometry_rows_reproduce_from_their_notes(table: pd.DataFrame) -> None:
    """Rows derived from a BatPaC cathode fraction re-derive, to 6 decimals, from their note's inputs.

    kg/kWh = fraction × pack kg / 100 kWh × (element's mass fraction of the stated cathode formula);
    e.g. NMC811 lithium 0.26 × 499 / 100 × 6.94 / 97.28 ≈ 0.0926 kg/kWh.
    """
    catalog = pd.read_csv(resources.files("critmin.data.reference") / "commodities.csv")
    symbol = dict(zip(catalog["commodity"], catalog["symbol"], strict=True))
    pattern = re.compile(
        r"cathode mass fraction (\d\.\d+) of a (\d+) kg 100 kWh pack.* of (Li[A-Za-z0-9.]+) "
    )
    derived = table[table["note"].str.contains("cathode mass fraction", regex=False)]
    assert {"battery_nmc811", "battery_lfp", "battery_nca"} <= set(derived["product"])
    for row in derived.to_dict("records"):
        found = pattern.search(row["note"])
        assert found, row["note"]
        fraction, pack_kg, formula = float(found[1]), float(found[2]), found[3]
        expected = fraction * pack_kg / 100 * _mass_fraction(formula, symbol[row["commodity"]])
        assert row["kg_per_unit"] == pytest.approx(expected, abs=5e-7), (row["product"], row["commodity"])
        assert "BatPaC" in row["source"] and "github.com/pmbusch" in row["url"]


def test_derived_nmc811_cobalt_agrees_with_cru(table: pd.DataFrame) -> None:
    """The BatPaC-derived NMC811 lithium row implies a cobalt content within 15% of CRU's 0.070 kg/kWh."""
    rows = table.set_index(["product", "commodity"])
    lithium = rows.loc[("battery_nmc811", "lithium"), "kg_per_unit"]
    implied_co = (
        lithium * _mass_fraction("LiNi0.8Mn0.1Co0.1O2", "Co") / _mass_fraction("LiNi0.8Mn0.1Co0.1O2", "Li")
    )
    assert implied_co == pytest.approx(rows.loc[("battery_nmc811", "cobalt"), "kg_per_unit"], rel=0.15)
