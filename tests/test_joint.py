"""Partnership analysis: joint exposure, trade complementarity, complementary flows, diversification."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import critmin
from critmin.metrics.trade_exposure import import_shares
from critmin.partnership import joint

YEAR = 2024
PAIR = ["IND", "JPN"]


@pytest.fixture(scope="module")
def hs92(bundled: critmin.Critmin) -> pd.DataFrame:
    codes = bundled.hs_codes()
    return codes[codes["nomenclature"] == "HS92"]


@pytest.fixture(scope="module")
def trade(bundled: critmin.Critmin, hs92: pd.DataFrame) -> pd.DataFrame:
    return bundled.trade(YEAR, hs6=sorted(set(hs92["hs6"])))


@pytest.fixture(scope="module")
def shares(bundled: critmin.Critmin, trade: pd.DataFrame, hs92: pd.DataFrame) -> pd.DataFrame:
    return import_shares(trade, hs92, aggregates=bundled.places())


def test_tci_hand_example() -> None:
    # i imports a and b half each; j exports only a: 100 * (1 - (|.5 - 1| + |.5 - 0|) / 2) = 50
    assert joint.tci(pd.Series({"a": 50.0, "b": 50.0}), pd.Series({"a": 7.0})) == pytest.approx(50.0)
    # shares .2/.8 against .6/.4: 100 * (1 - (.4 + .4) / 2) = 60
    assert joint.tci(pd.Series({"a": 2.0, "b": 8.0}), pd.Series({"a": 3.0, "b": 2.0})) == pytest.approx(60.0)
    assert joint.tci(pd.Series({"a": 1.0, "b": 3.0}), pd.Series({"a": 2.0, "b": 6.0})) == pytest.approx(100.0)
    assert joint.tci(pd.Series({"a": 1.0}), pd.Series({"b": 1.0})) == pytest.approx(0.0)
    assert np.isnan(joint.tci(pd.Series({"a": 0.0}), pd.Series({"a": 1.0})))


def test_tci_on_bundled_trade_matches_an_independent_computation(trade: pd.DataFrame) -> None:
    out = joint.complementarity(trade, PAIR, YEAR).set_index(["importer", "exporter"])
    assert len(out) == 2
    assert out["tci"].between(0, 100).all()
    assert out["provenance"].str.contains("baci").all()
    for i, j in (("IND", "JPN"), ("JPN", "IND")):
        goods = sorted(set(trade["hs6"]))
        m = np.array(
            [trade.loc[(trade["importer"] == i) & (trade["hs6"] == k), "value_usd"].sum() for k in goods]
        )
        x = np.array(
            [trade.loc[(trade["exporter"] == j) & (trade["hs6"] == k), "value_usd"].sum() for k in goods]
        )
        expected = 100 * (1 - np.abs(m / m.sum() - x / x.sum()).sum() / 2)
        assert out.loc[(i, j), "tci"] == pytest.approx(expected)
        assert out.loc[(i, j), "goods"] == len(goods)
    assert out.loc[("IND", "JPN"), "tci"] != pytest.approx(out.loc[("JPN", "IND"), "tci"])


def test_complementarity_rejects_bad_partners(trade: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="partners"):
        joint.complementarity(trade, ["IND"], YEAR)
    with pytest.raises(ValueError, match="year"):
        joint.complementarity(trade, PAIR, 1900)
    with pytest.raises(ValueError, match="trade"):
        joint.complementarity(trade.drop(columns="value_usd"), PAIR, YEAR)


def tiny_shares() -> pd.DataFrame:
    rows = [
        # importer, exporter, share
        ("AAA", "XXX", 0.10),
        ("AAA", "YYY", 0.04),
        ("AAA", "ZZZ", 0.50),
        ("AAA", "S19", 0.36),
        ("BBB", "XXX", 0.06),
        ("BBB", "YYY", 0.30),
        ("BBB", "S19", 0.64),
        ("CCC", "XXX", 0.90),
    ]
    frame = pd.DataFrame(rows, columns=["importer", "exporter", "share"])
    return frame.assign(
        commodity="nickel",
        stage="mine",
        year=2020,
        basis="quantity",
        is_aggregate=frame["exporter"] == "S19",
        value_usd=frame["share"] * 100,
        quantity_t=frame["share"] * 10,
    )


def test_common_suppliers_on_a_tiny_frame() -> None:
    out = joint.common_suppliers(tiny_shares(), ["AAA", "BBB"], provenance="hand")
    # XXX holds >= 5% of both; YYY only 4% of AAA; ZZZ does not supply BBB; S19 is an aggregate
    assert list(out["supplier"]) == ["XXX"]
    row = out.iloc[0]
    assert (row["AAA_share"], row["BBB_share"], row["min_partner_share"]) == (0.10, 0.06, 0.06)
    assert row["provenance"] == "hand"
    lower = joint.common_suppliers(tiny_shares(), ["AAA", "BBB"], min_share=0.04)
    assert list(lower["supplier"]) == ["XXX", "YYY"]  # ranked by the smaller partner share: .06, .04
    assert joint.common_suppliers(tiny_shares(), ["AAA", "BBB", "CCC"])["supplier"].tolist() == ["XXX"]
    with pytest.raises(ValueError, match="min_share"):
        joint.common_suppliers(tiny_shares(), ["AAA", "BBB"], min_share=0)


def test_common_imports_on_a_tiny_frame() -> None:
    out = joint.common_imports(tiny_shares(), ["AAA", "BBB"])
    assert len(out) == 1
    row = out.iloc[0]
    assert row["AAA_imports_usd"] == pytest.approx(100.0)
    assert row["AAA_top_supplier"] == "ZZZ"  # the aggregate S19 is not a supplier
    assert row["BBB_top_supplier"] == "YYY"
    assert joint.common_imports(tiny_shares(), ["AAA", "DDD"]).empty


def test_joint_exposure_of_india_and_japan(
    shares: pd.DataFrame, trade: pd.DataFrame, hs92: pd.DataFrame
) -> None:
    prov = joint.trade_provenance_of(trade, hs92)
    common = joint.common_imports(shares, PAIR, provenance=prov)
    assert ("rare_earths", "refinery") in set(zip(common["commodity"], common["stage"], strict=True))
    assert (common["provenance"].str.contains("baci")).all()
    suppliers = joint.common_suppliers(shares, PAIR, provenance=prov)
    assert (suppliers[["IND_share", "JPN_share"]] >= 0.05).all().all()
    assert not suppliers["supplier"].isin(PAIR).any()
    by_hand = shares[(shares["importer"] == "IND") & (shares["exporter"] == suppliers["supplier"].iloc[0])]
    by_hand = by_hand[by_hand["commodity"] == suppliers["commodity"].iloc[0]]
    by_hand = by_hand[by_hand["stage"] == suppliers["stage"].iloc[0]]
    assert suppliers["IND_share"].iloc[0] == pytest.approx(by_hand["share"].iloc[0])


def test_complementary_flows(trade: pd.DataFrame, hs92: pd.DataFrame) -> None:
    out = joint.complementary_flows(trade, PAIR, YEAR, hs92)
    assert set(zip(out["exporter"], out["importer"], strict=True)) == {("IND", "JPN"), ("JPN", "IND")}
    assert (out["overlap_usd"] == np.minimum(out["exports_usd"], out["imports_usd"])).all()
    assert (out["bilateral_usd"] <= out["exports_usd"] + 1e-6).all()
    assert out["overlap_usd"].is_monotonic_decreasing
    top = out.iloc[0]
    codes = set(hs92.loc[(hs92["commodity"] == top["commodity"]) & (hs92["stage"] == top["stage"]), "hs6"])
    rows = trade[trade["hs6"].isin(codes)]
    assert top["exports_usd"] == pytest.approx(
        rows.loc[rows["exporter"] == top["exporter"], "value_usd"].sum()
    )
    assert top["imports_usd"] == pytest.approx(
        rows.loc[rows["importer"] == top["importer"], "value_usd"].sum()
    )
    assert out["provenance"].str.contains("baci").all()


def test_diversification_candidates(bundled: critmin.Critmin, shares: pd.DataFrame) -> None:
    governance = bundled.governance(indicator="pv")
    out = joint.diversification_candidates(shares, PAIR, governance, year=YEAR, min_world_share=0.02)
    assert not out.empty
    assert not out["candidate"].isin(PAIR).any()
    assert (out["world_share"] >= 0.02).all()
    assert (out[["IND_share", "JPN_share"]] < 0.05).all().all()
    for _, group in out.groupby(["commodity", "stage"]):
        assert group["world_share"].is_monotonic_decreasing
        assert list(group["rank"]) == list(range(1, len(group) + 1))
    assert out["provenance"].str.contains("wgi").any()
    world = shares[shares["importer"] == "WLD"].set_index(["commodity", "stage", "exporter"])["share"]
    first = out.iloc[0]
    assert first["world_share"] == pytest.approx(
        world[(first["commodity"], first["stage"], first["candidate"])]
    )
    with pytest.raises(ValueError, match="WLD"):
        joint.diversification_candidates(shares[shares["importer"] != "WLD"], PAIR, governance, year=YEAR)
