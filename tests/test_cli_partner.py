"""The `critmin partner` commands on the bundled data: each number checked against the library's."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

import critmin
from critmin import derisking
from critmin.cli.main import app
from critmin.cli.partner import PartnerError, guarded
from critmin.errors import CritminError
from critmin.metrics.trade_exposure import import_shares
from critmin.partnership import products, stockpile
from critmin.scenarios.montecarlo import run_montecarlo

runner = CliRunner()
N = "500"


def cli(db: critmin.Critmin, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(db.path), "partner", *args])
    return result.exit_code, result.output


def records(out: str) -> pd.DataFrame:
    return pd.DataFrame(json.loads(out))


@pytest.fixture(scope="module")
def exposure(bundled: critmin.Critmin) -> derisking.JointExposure:
    return derisking.joint_exposure(bundled, ["IND", "JPN"])


def test_joint_common_table_shows_shares_as_percents_and_sources(
    bundled: critmin.Critmin, exposure: derisking.JointExposure
) -> None:
    code, out = cli(bundled, "joint", "IND", "JPN", "--top", "0")
    assert code == 0, out
    row = exposure.common.set_index(["commodity", "stage"]).loc[("rare_earths", "refinery")]
    line = next(line for line in out.splitlines() if "rare_earths" in line)
    assert f"{row['JPN_top_share']:.1%}" in line and str(row["JPN_top_supplier"]) in line
    assert f"What IND and JPN both import ({exposure.year})" in out
    assert "Sources: baci BACI HS92" in out


def test_joint_tci_csv_matches_the_library(
    bundled: critmin.Critmin, exposure: derisking.JointExposure
) -> None:
    code, out = cli(bundled, "joint", "--part", "tci", "--format", "csv")
    assert code == 0, out
    frame = pd.read_csv(io.StringIO(out))
    expected = exposure.complementarity.set_index(["importer", "exporter"])["tci"]
    got = frame.set_index(["importer", "exporter"])["tci"]
    assert got.loc[("IND", "JPN")] == pytest.approx(expected.loc[("IND", "JPN")])
    assert frame["provenance"].str.contains("baci BACI HS92").all()


def test_losses_match_shared_losses(bundled: critmin.Critmin) -> None:
    study = derisking.shared_losses(bundled, ["IND", "JPN"], ["rare_earths"], n=500, seed=3)
    code, out = cli(
        bundled, "losses", "IND", "JPN", "-m", "rare_earths", "-n", N, "--seed", "3", "-f", "json"
    )
    assert code == 0, out
    got = records(out).iloc[0]
    want = study.together.iloc[0]
    for column in ("p_IND", "p_JPN", "p_all", "correlation"):
        assert got[column] == pytest.approx(want[column])
    assert "wgi WGI" in got["provenance"]
    code, out = cli(bundled, "losses", "IND", "JPN", "-m", "rare_earths", "-n", N, "--seed", "3")
    assert code == 0, out
    assert f"{want['p_all']:.1%}" in out and "Per partner" in out and "Sources: baci" in out


def test_sourcing_prints_current_and_optimal_cvar(bundled: critmin.Critmin) -> None:
    study = derisking.sourcing_study(bundled, "JPN", "rare_earths", n=500, seed=1, points=3)
    args = ("sourcing", "JPN", "-m", "rare_earths", "-n", N, "--seed", "1", "--points", "3")
    code, out = cli(bundled, *args)
    assert code == 0, out
    assert f"current {study.current['cvar']:.1%} -> optimum {study.optimum.cvar:.1%}" in out
    assert "Frontier" in out and "Sources: baci" in out
    code, out = cli(bundled, *args, "--format", "json")
    frame = records(out).set_index("supplier")
    weights = study.optimum.frame().set_index("supplier")["weight"]
    top = str(study.suppliers["supplier"].iloc[0])
    assert frame.loc[top, "optimal_share"] == pytest.approx(weights[top], abs=1e-9)
    assert frame.loc[top, "current_share"] == pytest.approx(study.suppliers["current_share"].iloc[0])
    assert (frame["provenance"] == study.provenance).all()


def test_stockpile_sizes_and_check_match_the_library(bundled: critmin.Critmin) -> None:
    run = functools.partial(run_montecarlo, bundled, ["IND", "JPN"], ["rare_earths"], n=500, seed=2)
    result = run()
    network = next(iter(result.losses))
    sizes = stockpile.size_from_montecarlo(result, network, partners=["IND", "JPN"], p=[0.9, 0.95])
    args = ("stockpile", "IND", "JPN", "-m", "rare_earths", "-n", N, "--seed", "2", "-p", "0.9", "-p", "0.95")
    code, out = cli(bundled, *args, "--format", "json")
    assert code == 0, out
    got = records(out).set_index(["p", "partner"])["stock_t"]
    for row in sizes.itertuples():
        assert got.loc[(row.p, row.partner)] == pytest.approx(row.stock_t)
    coverage = stockpile.check(run, sizes, p=0.95)
    code, out = cli(bundled, *args, "--check")
    assert code == 0, out
    jpn = coverage.set_index("partner").loc["JPN", "share_years_zero_loss"]
    checked = [
        line for line in out.splitlines() if "95.0%" in line and "JPN" in line and f"{jpn:.1%}" in line
    ]
    assert checked, out
    assert "POOLED" in out and "Sources: baci" in out


def test_projects_default_candidates_rank_as_the_library(bundled: critmin.Critmin) -> None:
    expected = derisking.evaluate_projects(bundled, derisking.candidate_projects(None), ["IND", "JPN"], n=100)
    code, out = cli(bundled, "projects", "--partner", "IND", "--partner", "JPN", "-n", "100", "-f", "json")
    assert code == 0, out
    got = records(out)
    assert list(got["project"]) == list(expected.ranking["project"])
    assert list(got["cut_per_t"]) == pytest.approx(list(expected.ranking["cut_per_t"]))
    assert got["provenance"].str.contains("baci BACI HS92").all()


def test_projects_file_table_and_bad_yaml(bundled: critmin.Critmin, tmp_path: Path) -> None:
    spec = tmp_path / "one.yaml"
    spec.write_text(
        "- name: test plant\n  country: IND\n  commodity: rare_earths\n  stage: refinery\n"
        "  capacity_t: 2000\n  start_year: 2030\n  offtake: {JPN: 0.5}\n"
    )
    candidates = derisking.candidate_projects(spec)
    evaluation = derisking.evaluate_projects(bundled, candidates, ["IND", "JPN"], n=100).evaluation
    code, out = cli(bundled, "projects", str(spec), "-n", "100")
    assert code == 0, out
    assert "test plant" in out and "Per partner" in out and "Sources: baci" in out
    jpn = evaluation.set_index("partner").loc["JPN", "cvar95_t_before"]
    assert f"{jpn:,.0f}" in out
    spec.write_text("- name: [unclosed\n")
    code, out = cli(bundled, "projects", str(spec))
    assert code == 1 and str(spec) in out and "invalid YAML" in out


def _expected_exposure(db: critmin.Critmin, mix: pd.DataFrame, country: str, year: int) -> pd.DataFrame:
    lines = products.needs(mix)
    codes = derisking.hs92_codes(db)
    codes = codes[codes["commodity"].isin(set(lines["commodity"]))]
    trade = db.trade(year, hs6=sorted(set(codes["hs6"])))
    shares = import_shares(trade, codes, aggregates=db.places())
    return products.import_exposure(lines, shares, country, year=year)[1]


def test_products_csv_mix_matches_needs_and_exposure(bundled: critmin.Critmin, tmp_path: Path) -> None:
    mix = pd.DataFrame(
        {"product": ["battery_nmc811", "ev_traction_motor"], "quantity": [6e6, 1e5], "unit": ["kWh", "motor"]}
    )
    path = tmp_path / "mix.csv"
    mix.to_csv(path, index=False)
    code, out = cli(bundled, "products", str(path), "--country", "IND", "--format", "json")
    assert code == 0, out
    got = records(out).set_index("commodity")
    year = int(got.loc["nickel", "year"])
    assert year == max(bundled.trade_years(nomenclature="HS92"))
    want = _expected_exposure(bundled, mix, "IND", year).set_index("commodity")
    assert got.loc["cobalt", "need_t"] == pytest.approx(6e6 * 0.070 / 1000)
    assert got.loc["nickel", "imported_t"] == pytest.approx(want.loc["nickel", "imported_t"])
    assert got.loc["nickel", "top_suppliers"] == want.loc["nickel", "top_suppliers"]
    assert got.loc["cobalt", "provenance"].startswith("baci BACI HS92")
    assert "material intensities: CRU Group" in got.loc["cobalt", "provenance"]


def test_products_ev_shortcut_table(bundled: critmin.Critmin) -> None:
    needs = products.needs_by_commodity(products.needs(products.ev_mix(1000, 60, "battery_lfp")))
    code, out = cli(bundled, "products", "--ev", "1000", "--kwh", "60", "--chemistry", "LFP", "-c", "JPN")
    assert code == 0, out
    lithium = needs.set_index("commodity").loc["lithium", "need_t"]
    line = next(line for line in out.splitlines() if line.startswith("│ lithium") and "battery_lfp" in line)
    assert f"{lithium:.3g}" in line
    assert "Intensity source (lithium)" in out and "Sources: baci BACI HS92" in out


def test_products_loss_under_a_shipped_scenario(bundled: critmin.Critmin) -> None:
    """The needs lost are the needs times the share of consumption the scenario cuts (library run)."""
    from critmin.scenarios.library import load_shipped
    from critmin.scenarios.run import run_scenario

    args = ("products", "--ev", "100000", "--kwh", "60", "-c", "IND", "--scenario", "cobalt_drc_2025")
    code, out = cli(bundled, *args, "--format", "json")
    assert code == 0, out
    got = records(out).set_index("commodity")
    countries = run_scenario(bundled, load_shipped("cobalt_drc_2025")).countries
    share = float(countries.loc[countries["country"] == "IND", "share_of_consumption"].iloc[0])
    assert share > 0
    assert got.loc["cobalt", "need_t"] == pytest.approx(100000 * 60 * 0.070 / 1000)
    assert got.loc["cobalt", "loss_t"] == pytest.approx(got.loc["cobalt", "need_t"] * share)
    assert got.loc["nickel", "loss_t"] == 0 and "no network" in got.loc["nickel", "note"]
    assert "baci" in got.loc["cobalt", "provenance"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("joint", "IND", "XXX"), "partners: unknown country 'XXX'"),
        (("sourcing", "ZZZ", "-m", "rare_earths"), "importer: unknown country 'ZZZ'"),
        (("losses", "IND", "-m", "rare_earths"), "partners: name at least two countries"),
        (("joint", "--part", "nope"), "--part must be one of common, suppliers"),
        (("stockpile", "-m", "rare_earths", "-p", "1.5"), "-p: coverages must be in (0, 1], not 1.5"),
        (("stockpile", "-m", "rare_earths", "-p", "0"), "-p: coverages must be in (0, 1], not 0.0"),
        (("losses", "-m", "rare_earths", "--threshold", "2"), "threshold: must be in (0, 1)"),
        (("sourcing", "JPN", "-m", "rare_earths", "--alpha", "1"), "--alpha: must be in (0, 1)"),
        (("products", "--ev", "10", "--kwh", "60", "--chemistry", "XYZ"), "--chemistry: no intensities"),
        (("products", "--country", "IND"), "give a product-mix CSV or --ev N --kwh K"),
        (("projects", "--partner", "IND", "--partner", "QQQ"), "partners: unknown country 'QQQ'"),
    ],
)
def test_bad_input_is_one_clear_line(bundled: critmin.Critmin, args: tuple[str, ...], message: str) -> None:
    code, out = cli(bundled, *args)
    assert code == 1, out
    assert message in out
    assert "Traceback" not in out and out.count("error:") == 1


def test_bad_mix_csv_names_the_file_and_row(bundled: critmin.Critmin, tmp_path: Path) -> None:
    path = tmp_path / "mix.csv"
    path.write_text("product,quantity,unit\nbattery_nmc811,6000000,kWh\nev_traction_motor,lots,motor\n")
    code, out = cli(bundled, "products", str(path), "--country", "IND")
    assert code == 1
    assert f"{path}: line 3 (mix row 1) (ev_traction_motor): quantity 'lots' is not a number" in out
    path.write_text("product,quantity,unit\nbattery_nmc811,60,MWh\n")
    code, out = cli(bundled, "products", str(path))
    assert code == 1 and f"{path}: line 2" in out and "unit 'MWh'" in out
    path.write_text("product,amount\nbattery_nmc811,60\n")
    code, out = cli(bundled, "products", str(path))
    assert code == 1 and str(path) in out and "lacks columns ['quantity', 'unit']" in out
    code, out = cli(bundled, "products", str(tmp_path / "missing.csv"))
    assert code == 1 and "missing.csv: no such file" in out


def test_guarded_turns_value_errors_into_one_line() -> None:
    def job() -> None:
        raise ValueError("p: coverages must be in (0, 1], not [2.0]")

    with pytest.raises(typer.Exit) as caught:
        guarded(job)
    assert caught.value.exit_code == 1
    assert issubclass(PartnerError, CritminError)
