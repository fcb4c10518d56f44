"""The `critmin data` commands and `critmin risk compare` end to end, on real files, through the Typer app."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin.api import Critmin
from critmin.cli.main import app

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, raw_data: Path) -> Critmin:
    handle = Critmin(tmp_path / "cli.duckdb")
    handle.store.initialise()
    handle.import_files("lists", [raw_data / "lists" / "critical_mineral_lists.csv"])
    handle.import_files("wgi", [raw_data / "wgi" / "wgidataset_2024update_1996_2023.csv"])
    return handle


def invoke(db: Critmin, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db.path), *args])
    return result.exit_code, result.stdout, result.stderr


def test_status_json_reports_vintages_and_coverage(db: Critmin) -> None:
    code, out, _ = invoke(db, "data", "status", "--format", "json")
    assert code == 0
    status = json.loads(out)
    assert {v["source"] for v in status["vintages"]} >= {"wgi", "critmin_lists"}
    tables = {t["table"]: t for t in status["tables"]}
    assert tables["governance"]["rows"] == db.store.table_counts()["governance"]
    assert tables["governance"]["first_year"] == 1996 and tables["governance"]["last_year"] == 2023


def test_import_of_the_same_file_again_reports_unchanged(db: Critmin, raw_data: Path) -> None:
    before = db.store.table_counts()
    code, out, _ = invoke(
        db, "data", "import", "wgi", str(raw_data / "wgi" / "wgidataset_2024update_1996_2023.csv")
    )
    assert code == 0
    assert "unchanged" in out
    assert db.store.table_counts() == before


def test_bad_file_exits_non_zero_names_the_line_and_changes_nothing(
    db: Critmin, raw_data: Path, tmp_path: Path
) -> None:
    source = raw_data / "wgi" / "wgidataset_2024update_1996_2023.csv"
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    fields = lines[41].split(",")
    fields[5] = "abc"
    lines[41] = ",".join(fields)
    broken = tmp_path / "wgi_broken.csv"
    broken.write_text("".join(lines), encoding="utf-8")
    before = (db.vintages()["sha256"].tolist(), db.store.table_counts())
    code, _, err = invoke(db, "data", "import", "wgi", str(broken))
    assert code == 1
    assert "wgi_broken.csv" in err and "line 42" in err and "estimate" in err
    assert "Traceback" not in err
    assert (db.vintages()["sha256"].tolist(), db.store.table_counts()) == before


def test_export_round_trips_through_each_format(db: Critmin, tmp_path: Path) -> None:
    expected = db.table("governance")
    for fmt, reader in (("csv", pd.read_csv), ("parquet", pd.read_parquet), ("json", pd.read_json)):
        out = tmp_path / f"governance.{fmt}"
        code, _, err = invoke(db, "data", "export", "governance", "--format", fmt, "--out", str(out))
        assert code == 0, err
        frame = reader(out)
        assert len(frame) == len(expected)
        assert set(frame["release"]) == set(expected["release"])
        chn = frame[(frame["country"] == "CHN") & (frame["year"] == 2023) & (frame["indicator"] == "pv")]
        assert round(float(chn["estimate"].iloc[0]), 2) == -0.51


def test_sources_names_licences(db: Critmin) -> None:
    code, out, _ = invoke(db, "data", "sources", "--format", "json")
    assert code == 0
    licences = {row["source"]: row["licence"] for row in json.loads(out)}
    assert "CC BY 4.0" in licences["wgi"]


def test_unknown_source_and_table_are_explained(db: Critmin, tmp_path: Path) -> None:
    code, _, err = invoke(db, "data", "import", "nosuch", str(tmp_path))
    assert code == 1 and "choose from" in err
    code, _, err = invoke(db, "data", "export", "nosuch")
    assert code == 1 and "unknown table" in err


def test_store_path_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: Critmin) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(db.path, home / "critmin.duckdb")
    monkeypatch.setenv("CRITMIN_HOME", str(home))
    result = runner.invoke(app, ["data", "status", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["store"] == str(home / "critmin.duckdb")


def test_risk_compare_reads_the_service(bundled: Critmin, tmp_path: Path) -> None:
    from critmin import services

    code, out, err = invoke(bundled, "risk", "compare", "jpn", "IND", "--format", "json")
    assert code == 0, err
    frame = pd.read_json(io.StringIO(out), orient="records")
    expected = services.compare(bundled, ["JPN", "IND"])
    assert list(frame.columns) == list(expected.columns) and len(frame) == len(expected) > 0
    assert list(frame["commodity"]) == list(expected["commodity"])
    pd.testing.assert_series_equal(frame["score_JPN"], expected["score_JPN"], check_names=False)
    three = ("JPN", "IND", "USA")
    code, out, err = invoke(bundled, "risk", "compare", *three, "--method", "usgs", "--year", "2022")
    assert code == 0, err
    assert "JPN, IND, USA: supply risk side by side (usgs, 2022)" in out and "score_USA" in out
    target = tmp_path / "compare.parquet"
    code, _, err = invoke(bundled, "risk", "compare", "JPN", "IND", "-f", "parquet", "-o", str(target))
    assert code == 0, err
    assert len(pd.read_parquet(target)) == len(expected)


@pytest.mark.parametrize(
    ("countries", "named"),
    [
        (["JPN"], "2 to 4"),
        (["JPN", "IND", "USA", "DEU", "CHN"], "2 to 4"),
        (["JPN", "JPN"], "2 to 4"),
        (["JPN", "ZZZ"], "ZZZ"),
    ],
)
def test_risk_compare_refuses_bad_countries(bundled: Critmin, countries: list[str], named: str) -> None:
    code, _, err = invoke(bundled, "risk", "compare", *countries)
    assert code == 1 and named in err and "Traceback" not in err


def test_names_are_taken_as_people_type_them(bundled: Critmin) -> None:
    """Country names and ISO2 codes, commodity names and synonyms: the same rows as ids and ISO3 codes."""
    code, by_name, err = invoke(bundled, "risk", "country", "japan", "--method", "geopolrisk", "-f", "json")
    assert code == 0, err
    _, by_code, _ = invoke(bundled, "risk", "country", "JPN", "--method", "geopolrisk", "-f", "json")
    assert json.loads(by_name) == json.loads(by_code) != []
    code, out, err = invoke(bundled, "risk", "mineral", "graphite")
    assert code == 0, err
    assert "graphite_natural" in out and "synthetic graphite" in out and "graphite_synthetic" in out
    _, by_synonym, _ = invoke(bundled, "risk", "mineral", "natural graphite", "-f", "json")
    _, by_id, _ = invoke(bundled, "risk", "mineral", "graphite_natural", "-f", "json")
    assert json.loads(by_synonym) == json.loads(by_id) != []
    code, _, err = invoke(bundled, "risk", "compare", "Japan", "in", "-f", "json")
    assert code == 0, err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["risk", "mineral", "grafite"], "closest: Graphite (natural) (graphite_natural)"),
        (["risk", "country", "Japn"], "closest: Japan (JPN)"),
        (["risk", "chokepoints", "Indai"], "closest: India (IND)"),
    ],
)
def test_an_unknown_name_names_the_three_closest(bundled: Critmin, args: list[str], says: str) -> None:
    code, _, err = invoke(bundled, *args)
    assert code == 1 and says in err and "Traceback" not in err


def test_data_places_lists_codes_and_names(bundled: Critmin) -> None:
    code, out, err = invoke(bundled, "data", "places", "-f", "json")
    assert code == 0, err
    places = {row["code"]: row["name"] for row in json.loads(out)}
    assert places["IND"] == "India" and places["EUU"] == "European Union"
