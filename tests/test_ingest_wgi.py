"""WGI importer on the real 2024-update file, and on broken copies of it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from critmin.errors import IngestError, UnknownNamesError
from critmin.ingest import wgi
from critmin.ingest.base import Parsed
from critmin.schema import GOVERNANCE
from critmin.store import Store

WGI_FILE = Path("wgi/wgidataset_2024update_1996_2023.csv")


@pytest.fixture(scope="module")
def parsed(raw_data: Path) -> Parsed:
    return wgi.parse(raw_data / WGI_FILE)


@pytest.fixture(scope="module")
def governance(parsed: Parsed) -> pd.DataFrame:
    return parsed.tables["governance"]


@pytest.fixture
def small_file(raw_data: Path, tmp_path: Path) -> Path:
    """Header and the 2023 rows of four economies (all six indicators) from the real file."""
    lines = (raw_data / WGI_FILE).read_text(encoding="utf-8-sig").splitlines()
    keep = [lines[0]] + [
        line for line in lines[1:] if line.split(",")[1] in {"AFG", "CHN", "ZAR", "ROM"} and ",2023," in line
    ]
    assert len(keep) == 1 + 4 * 6
    path = tmp_path / "wgi_small.csv"
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return path


def _rewrite(path: Path, old: str, new: str, count: int = 1) -> Path:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    return path


def test_political_stability_2023_matches_published_figures(governance: pd.DataFrame) -> None:
    """WGI 2024 update, Political Stability and Absence of Violence 2023 (PROVENANCE.md section 4):
    China -0.51 (25.1st percentile), DR Congo -2.04 (WGI code ZAR), Russia -1.13, Australia 0.92,
    Chile 0.14."""
    pv = governance[(governance["year"] == 2023) & (governance["indicator"] == "pv")].set_index("country")
    expected = {"CHN": -0.51, "COD": -2.04, "RUS": -1.13, "AUS": 0.92, "CHL": 0.14}
    for country, value in expected.items():
        assert pv.loc[country, "estimate"] == pytest.approx(value, abs=1e-9), country
    assert pv.loc["CHN", "pctrank"] == pytest.approx(25.1)


def test_coverage_214_economies_six_indicators_and_missing_kept(
    parsed: Parsed, governance: pd.DataFrame
) -> None:
    """PROVENANCE.md section 4: 214 economies, years 1996, 1998, 2000, 2002-2023, shape 32,100 x 11,
    3.5% of estimates missing (``..``); missing estimates are kept as NULL, not dropped."""
    assert list(governance.columns) == GOVERNANCE.column_names
    assert len(governance) == 32_100
    assert governance["country"].nunique() == 214
    assert set(governance["indicator"]) == {"va", "pv", "ge", "rq", "rl", "cc"}
    assert sorted(governance["year"].unique()) == [1996, 1998, 2000, *range(2002, 2024)]
    missing = int(governance["estimate"].isna().sum())
    assert missing / len(governance) == pytest.approx(0.035, abs=0.001)
    assert parsed.counts["missing_estimates"] == missing
    assert not governance.duplicated(list(GOVERNANCE.key)).any()
    assert parsed.release == "WGI 2024 update"
    assert parsed.info.bundled and parsed.info.licence == "CC BY 4.0"


def test_legacy_codes_become_iso3(governance: pd.DataFrame) -> None:
    """WGI's own codes ZAR, ROM, TMP, ADO, KSV, WBG are placed; none survives in the output."""
    countries = set(governance["country"])
    assert {"COD", "ROU", "TLS", "AND", "XKX", "PSE"} <= countries
    assert not countries & {"ZAR", "ROM", "TMP", "ADO", "KSV", "WBG"}
    assert governance["country"].str.fullmatch(r"[A-Z]{3}").all()


def test_store_round_trip(parsed: Parsed, store: Store) -> None:
    """The parsed frame goes into the store and comes back with the same figures."""
    store.add([parsed])
    rows = store.select("governance", {"year": 2023, "indicator": "pv", "country": "COD"})
    assert len(rows) == 1
    assert rows["estimate"].iloc[0] == pytest.approx(-2.04)
    assert rows["release"].iloc[0] == "WGI 2024 update"


def test_small_file_parses(small_file: Path) -> None:
    table = wgi.parse(small_file).tables["governance"]
    assert set(table["country"]) == {"AFG", "CHN", "COD", "ROU"}
    assert len(table) == 24


def test_wide_format_is_refused_naming_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "wgi_wide.csv"
    path.write_text(
        "Country Name,Country Code,Series Name,2022 [YR2022],2023 [YR2023]\nChina,CHN,pv,-0.4,-0.51\n"
    )
    with pytest.raises(IngestError, match=r"missing column\(s\).*codeindyr") as err:
        wgi.parse(path)
    assert err.value.line == 1


def test_truncated_file_is_refused(small_file: Path) -> None:
    text = small_file.read_text(encoding="utf-8")
    small_file.write_text(text.rstrip("\n")[:-25], encoding="utf-8")
    with pytest.raises(IngestError, match="truncated"):
        wgi.parse(small_file)


def test_wrong_encoding_names_the_line(small_file: Path) -> None:
    data = small_file.read_bytes().replace(b"Afghanistan", b"Afgh\xe4nistan")
    small_file.write_bytes(data)
    with pytest.raises(IngestError, match="not valid utf-8") as err:
        wgi.parse(small_file)
    assert err.value.line == 2


def test_unknown_country_code_is_refused(small_file: Path) -> None:
    """A three-letter code country_converter does not know must not pass as a code."""
    _rewrite(small_file, "AFG", "XYZ", count=2)
    with pytest.raises(IngestError, match="XYZ"):
        wgi.parse(small_file)


def test_unknown_country_name_is_refused(small_file: Path) -> None:
    _rewrite(small_file, "AFGcc2023,AFG", "Atlantiscc2023,Atlantis")
    with pytest.raises(UnknownNamesError, match="Atlantis"):
        wgi.parse(small_file)


def test_duplicate_key_rows_are_refused(small_file: Path) -> None:
    lines = small_file.read_text(encoding="utf-8").splitlines()
    small_file.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match="duplicate") as err:
        wgi.parse(small_file)
    assert err.value.line == 2


def test_unknown_indicator_is_refused(small_file: Path) -> None:
    _rewrite(small_file, "CHNpv2023,CHN,China,2023,pv", "CHNps2023,CHN,China,2023,ps")
    with pytest.raises(IngestError, match="indicator not one of the six") as err:
        wgi.parse(small_file)
    assert err.value.column == "indicator"


def test_missing_indicator_is_refused(small_file: Path) -> None:
    lines = small_file.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if ",cc," not in line]
    small_file.write_text("\n".join(kept) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match=r"\['cc'\] never occur"):
        wgi.parse(small_file)


def test_garbage_value_names_line_and_column(small_file: Path) -> None:
    lines = small_file.read_text(encoding="utf-8").splitlines()
    fields = lines[4].split(",")
    assert fields[1] == "ROM"
    fields[5] = "n/a"
    lines[4] = ",".join(fields)
    small_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match="neither a number") as err:
        wgi.parse(small_file)
    assert (err.value.line, err.value.column) == (5, "estimate")


def test_negative_standard_error_is_refused(small_file: Path) -> None:
    lines = small_file.read_text(encoding="utf-8").splitlines()
    fields = lines[2].split(",")
    fields[6] = "-0.2"
    lines[2] = ",".join(fields)
    small_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IngestError, match="stddev out of range") as err:
        wgi.parse(small_file)
    assert err.value.line == 3


def test_shifted_columns_are_caught_by_codeindyr(small_file: Path) -> None:
    _rewrite(small_file, "CHNpv2023,CHN,China,2023,pv", "CHNpv2023,CHN,China,2022,pv")
    with pytest.raises(IngestError, match="codeindyr"):
        wgi.parse(small_file)
