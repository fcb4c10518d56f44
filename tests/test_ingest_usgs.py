"""USGS Mineral Commodity Summaries importers, on the real data releases (PROVENANCE.md section 1).

Published figures are those quoted in PROVENANCE.md 1a–1c, which were checked against the
USGS releases: MCS2026 data release (doi:10.5066/P1WKQ63T), MCS2024 ver. 2.0
(doi:10.5066/P144BA54), MCS2023 (doi:10.5066/P9WCYUI6).
"""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import raw_data_dir
from critmin.errors import IngestError
from critmin.ingest import usgs, usgs_mcs2026, usgs_salient, usgs_world
from critmin.ingest.base import Parsed

RAW = raw_data_dir() / "usgs_mcs"
MCS2026 = RAW / "mcs2026" / "MCS2026_Commodities_Data.csv"
WORLD_FILES = sorted(RAW.glob("mcs202[34]/world/*_world.csv")) + sorted(RAW.glob("mcs2022/*_world.csv"))
SALIENT_FILES = sorted(RAW.glob("mcs202[34]/salient/*_salient*.csv")) + sorted(
    RAW.glob("mcs2022/*_salient.csv")
)
DEFECTIVE = {p for p in SALIENT_FILES if "DEFECTIVE_contains_world_table" in p.name}
MISALIGNED = {"mcs2024-felds_salient.csv", "mcs2024-fluor_salient.csv", "mcs2024-vermi_world.csv"}
"""Files whose header is missing columns in the source (values spill past the last header or
numbers sit in a notes column): refused rather than stored under the wrong statistic."""


@functools.cache
def parsed(path: Path) -> Parsed:
    return usgs.parse(path)


def share(table: pd.DataFrame, commodity: str, stage: str, year: int, country: str) -> float:
    rows = table[(table["commodity"] == commodity) & (table["stage"] == stage) & (table["year"] == year)]
    world = rows.loc[rows["country"] == "WLD", "value"].item()
    return float(rows.loc[rows["country"] == country, "value"].item() / world)


def world_file(release: str, code: str) -> Path:
    return next(p for p in WORLD_FILES if p.name.lower().endswith(f"{release}-{code}_world.csv"))


# -- MCS2026 ------------------------------------------------------------------------------


def test_mcs2026_rare_earths_cobalt_lithium() -> None:
    """PROVENANCE 1a: China 270,000 of 380,000 t REO in 2024 (71.1%); DRC 226,000 of 302,000 t
    cobalt (74.8%); world lithium 222,000 t (2024) and 290,000 t (2025e)."""
    result = parsed(MCS2026)
    assert (result.release, result.dataset, str(result.release_date)) == ("MCS2026", "usgs_mcs", "2026-02-06")
    prod = result.tables["production"]
    assert share(prod, "rare_earths", "mine", 2024, "CHN") == pytest.approx(0.711, abs=5e-4)
    assert share(prod, "cobalt", "mine", 2024, "COD") == pytest.approx(0.748, abs=5e-4)
    lithium = prod[(prod["commodity"] == "lithium") & (prod["country"] == "WLD")].set_index("year")
    assert lithium.loc[2024, "value"] == 222_000 and lithium.loc[2025, "value"] == 290_000
    assert lithium.loc[2025, "estimated"] and lithium.loc[2024, "unit"] == "t"
    assert lithium.loc[2024, "basis"] == "Li content"
    ree = prod[(prod["commodity"] == "rare_earths") & (prod["country"] == "CHN")]
    assert set(ree["basis"]) == {"REO"}


def test_mcs2026_net_import_reliance_rows() -> None:
    """PROVENANCE 1a counts 105 net-import-reliance rows for 2025. The file has 107 rows with
    Statistics "Net import reliance" for 2025: the two extra are narrative rows (cesium 100%,
    wollastonite net exporter "E") that the 105 count left out; we keep them."""
    reliance = parsed(MCS2026).tables["import_reliance"]
    in_2025 = reliance[reliance["year"] == 2025]
    assert len(in_2025) == 107
    narrative = in_2025[in_2025["detail"].str.startswith("The United States")]
    assert sorted(narrative["commodity"]) == ["cesium", "wollastonite"]
    assert (reliance["country"] == "USA").all()
    flags = set(reliance["flag"])
    assert {"E", ">"} <= flags
    bound = reliance[reliance["flag"] == ">"]
    assert set(bound["value_pct"]) >= {50.0, 95.0}


def test_mcs2026_salient_and_import_sources() -> None:
    result = parsed(MCS2026)
    salient = result.tables["salient"]
    assert len(salient) == 4863 and (salient["country"] == "USA").all()
    mica = salient[(salient["commodity"] == "mica") & (salient["year"] == 2021)]
    assert {"Scrap and flake: Imports", "Sheet: Imports"} <= set(mica["detail"])
    sources = result.tables["import_sources"]
    assert (sources["importer"] == "USA").all() and set(sources["period"]) == {"2021–24"}
    ree = sources[(sources["commodity"] == "rare_earths")].set_index("exporter")
    assert ree.loc["CHN", "share_pct"] > 50 and ree.loc["OTH", "is_aggregate"]
    rubidium = sources[sources["commodity"] == "rubidium"]
    assert rubidium["exporter"].tolist() == ["CHN+DEU+RUS"] and rubidium["is_aggregate"].all()


def test_mcs2026_aggregates_and_stages() -> None:
    prod = parsed(MCS2026).tables["production"]
    aggregates = prod[prod["is_aggregate"]]
    assert set(aggregates["country"]) >= {"WLD", "OTH"}
    assert not prod.loc[~prod["is_aggregate"], "country"].isin(["WLD", "OTH"]).any()
    copper = prod[(prod["commodity"] == "copper") & (prod["country"] == "CHL") & (prod["year"] == 2024)]
    assert set(copper["stage"]) == {"mine", "refinery"}
    assert (
        copper.set_index("stage").loc["mine", "value"] != copper.set_index("stage").loc["refinery", "value"]
    )
    steel = prod[prod["commodity"] == "iron_steel"]
    assert set(zip(steel["stage"], steel["form"], strict=True)) == {
        ("smelter", "pig iron"),
        ("processing", "raw steel"),
    }


# -- world files --------------------------------------------------------------------------


@pytest.mark.parametrize("path", WORLD_FILES, ids=lambda p: p.name)
def test_every_world_file_loads(path: Path) -> None:
    if path.name in MISALIGNED:
        with pytest.raises(IngestError, match="misaligned"):
            usgs.parse(path)
        return
    result = parsed(path)
    assert result.release == "MCS" + path.name.lower().split("mcs")[1][:4]
    frames = list(result.tables.values())
    assert frames and sum(len(f) for f in frames) > 0
    for name, frame in result.tables.items():
        assert not frame["country"].str.match(r".*\d$").any(), name


def test_mcs2024_and_mcs2023_world_shares() -> None:
    """PROVENANCE 1b: China REE 240,000 of 350,000 t in 2023e (68.6%), DRC cobalt 170,000 of
    230,000 t (73.9%); 1c: China REE 210,000 of 300,000 t in 2022e (70.0%)."""
    ree24 = parsed(world_file("mcs2024", "raree")).tables["production"]
    assert share(ree24, "rare_earths", "mine", 2023, "CHN") == pytest.approx(0.686, abs=5e-4)
    cobalt24 = parsed(world_file("mcs2024", "cobal"))
    assert share(cobalt24.tables["production"], "cobalt", "mine", 2023, "COD") == pytest.approx(
        0.739, abs=5e-4
    )
    assert cobalt24.release == "MCS2024" and str(cobalt24.release_date) == "2024-03-06"
    ree23 = parsed(world_file("mcs2023", "raree")).tables["production"]
    assert share(ree23, "rare_earths", "mine", 2022, "CHN") == pytest.approx(0.700, abs=5e-4)
    reserves = cobalt24.tables["reserves"]
    assert set(reserves["year"]) == {2023}
    assert reserves.set_index("country").loc["COD", "value"] == 6_000_000


def test_world_quirks() -> None:
    """Footnote digits (New Caledonia11), 'MCS 2024' with a space, Namibia, stages apart."""
    cobalt = parsed(world_file("mcs2024", "cobal")).tables["production"]
    assert "NCL" in set(cobalt["country"])
    alumi = parsed(world_file("mcs2024", "alumi"))
    assert alumi.release == "MCS2024" and set(alumi.tables) == {"production", "capacity"}
    assert set(alumi.tables["capacity"]["stage"]) == {"smelter"}
    all_countries = set().union(
        *(
            set(parsed(p).tables["production"]["country"])
            for p in WORLD_FILES
            if p.name not in MISALIGNED and "production" in parsed(p).tables
        )
    )
    assert "NAM" in all_countries
    copper = parsed(world_file("mcs2023", "coppe")).tables["production"]
    assert set(copper["stage"]) == {"mine", "refinery"}
    gallium = parsed(world_file("mcs2024", "galli")).tables["production"]
    assert gallium.set_index(["country", "year"]).loc[("JPN", 2023), "estimated"]
    barite = parsed(world_file("mcs2024", "barit")).tables["reserves"]
    assert barite.set_index("country").loc["CHN", "value"] == 92_000
    titan = parsed(world_file("mcs2024", "titan")).tables["capacity"]
    assert set(titan["commodity"]) == {"titanium_sponge", "titanium_dioxide_pigment"}


def test_header_unit_contradicted_by_notes() -> None:
    """mcs2023-chrom heads its columns Prod_t_ while its notes say thousand metric tons: kt wins.

    Finland's chromite, 2,270 in 2021 and 2,200 in 2022e, is 2.27 Mt: MCS2024 (``Prod_kt_2022``)
    has 2,000 kt for 2022. Read as tonnes it made the EU-27 import almost all its chromite.
    """
    chrom = parsed(world_file("mcs2023", "chrom")).tables["production"].set_index(["country", "year"])
    assert chrom.loc[("FIN", 2021), "unit"] == "kt" and chrom.loc[("FIN", 2021), "value"] == 2270
    assert "the header says t" in chrom.loc[("FIN", 2021), "source_label"]
    later = parsed(world_file("mcs2024", "chrom")).tables["production"].set_index(["country", "year"])
    assert later.loc[("FIN", 2022), "unit"] == "kt"
    assert "header says" not in later.loc[("FIN", 2022), "source_label"]
    tonnes = parsed(world_file("mcs2023", "lithi")).tables["production"]
    assert set(tonnes["unit"]) == {"t"} and not tonnes["source_label"].str.contains("header says").any()


# -- salient files ------------------------------------------------------------------------


@pytest.mark.parametrize("path", SALIENT_FILES, ids=lambda p: p.name)
def test_every_salient_file_loads_or_is_refused(path: Path) -> None:
    if path in DEFECTIVE:
        with pytest.raises(IngestError, match="world production table"):
            usgs_salient.parse(path)
        return
    if path.name in MISALIGNED:
        with pytest.raises(IngestError, match="misaligned"):
            usgs_salient.parse(path)
        return
    result = parsed(path)
    assert (result.tables["salient"]["country"] == "USA").all()
    assert len(result.tables["salient"]) > 0


def test_salient_net_import_reliance() -> None:
    cobalt = parsed(next(p for p in SALIENT_FILES if p.name == "mcs2023-cobal_salient.csv"))
    reliance = cobalt.tables["import_reliance"].set_index("year")
    assert reliance.loc[2022, "value_pct"] == 76 and reliance.loc[2022, "country"] == "USA"
    ree = parsed(next(p for p in SALIENT_FILES if p.name == "mcs2024-raree_salient.csv")).tables[
        "import_reliance"
    ]
    assert ">" in set(ree["flag"]) and "E" in set(ree["flag"])


def test_refused_world_table_in_salient_file(tmp_path: Path) -> None:
    """A salient-named file holding a world table is refused whatever its name."""
    source = next(iter(DEFECTIVE))
    copy = tmp_path / "mcs2024-xxxxx_salient.csv"
    shutil.copy(source, copy)
    with pytest.raises(IngestError, match="world production table"):
        usgs.parse(copy)


# -- store --------------------------------------------------------------------------------


def loadable() -> list[Path]:
    return [MCS2026] + [
        p for p in WORLD_FILES + SALIENT_FILES if p not in DEFECTIVE and p.name not in MISALIGNED
    ]


def test_store_newest_release_wins(store) -> None:  # type: ignore[no-untyped-def]
    store.add([parsed(p) for p in loadable()])
    rows = store.select("production", {"commodity": "rare_earths", "stage": "mine", "year": 2024})
    assert set(rows["release"]) == {"MCS2026"}
    assert rows.set_index("country").loc["CHN", "value"] == 270_000
    older = store.select("production", {"commodity": "rare_earths", "stage": "mine", "year": 2023})
    assert set(older["release"]) == {"MCS2024"}


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([MCS2026, world_file("mcs2024", "cobal"), world_file("mcs2023", "raree")]))
def test_reimport_changes_nothing(store, path: Path) -> None:  # type: ignore[no-untyped-def]
    store.add([parsed(path)])
    before = store.table_counts()
    outcome = store.add([parsed(path)])
    assert [o.status for o in outcome] == ["unchanged"]
    assert store.table_counts() == before


# -- bad input ----------------------------------------------------------------------------


def _copy_with(tmp_path: Path, transform, name: str = "MCS2026_Commodities_Data.csv") -> Path:  # type: ignore[no-untyped-def]
    text = MCS2026.read_bytes().decode("cp1252")
    out = tmp_path / name
    out.write_bytes(transform(text))
    return out


def test_wrong_encoding(tmp_path: Path) -> None:
    """A copy saved as UTF-8 is not cp1252-clean: '—' becomes bytes cp1252 cannot decode (0x81/0x9d)
    or decodes to mojibake that no longer matches the section names."""
    path = _copy_with(tmp_path, lambda t: t.encode("utf-8"))
    with pytest.raises(IngestError) as info:
        usgs_mcs2026.parse(path)
    assert str(path) in str(info.value)


def test_truncated_copy(tmp_path: Path) -> None:
    data = MCS2026.read_bytes()
    path = tmp_path / "MCS2026_Commodities_Data.csv"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="line"):
        usgs_mcs2026.parse(path)


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (
            ",Rare Earths,China,Production,Mine production,",
            ",Unobtainium,China,Production,Mine production,",
            "Unobtainium",
        ),
        (
            ",Rare Earths,China,Production,Mine production,",
            ",Rare Earths,Atlantis,Production,Mine production,",
            "Atlantis",
        ),
    ],
)
def test_unknown_names(tmp_path: Path, old: str, new: str, match: str) -> None:
    path = _copy_with(tmp_path, lambda t: t.replace(old, new, 1).encode("cp1252"))
    with pytest.raises(IngestError, match=match) as info:
        usgs_mcs2026.parse(path)
    assert str(path) in str(info.value)


def test_negative_and_duplicate(tmp_path: Path) -> None:
    lines = MCS2026.read_bytes().decode("cp1252").splitlines(keepends=True)
    target = next(i for i, ln in enumerate(lines) if ",Rare Earths,China,Production,Mine production," in ln)
    negative = lines.copy()
    negative[target] = negative[target].replace("270,000", "-270000", 1)
    path = tmp_path / "neg.csv"
    path.write_bytes("".join(negative).encode("cp1252"))
    with pytest.raises(
        IngestError, match=rf"negative value[\s\S]*line {target + 1}|line {target + 1}[\s\S]*negative"
    ):
        usgs_mcs2026.parse(path)
    duplicated = [*lines[: target + 1], lines[target], *lines[target + 1 :]]
    path = tmp_path / "dup.csv"
    path.write_bytes("".join(duplicated).encode("cp1252"))
    with pytest.raises(IngestError, match="duplicate production key") as info:
        usgs_mcs2026.parse(path)
    assert f"line {target + 1}" in str(info.value) and str(target + 2) in str(info.value)


def test_world_file_bad_value(tmp_path: Path) -> None:
    source = world_file("mcs2024", "cobal")
    path = tmp_path / source.name
    path.write_text(source.read_text("utf-8-sig").replace(",144000,", ",14x000,", 1), "utf-8")
    with pytest.raises(IngestError, match="14x000") as info:
        usgs_world.parse(path)
    assert "line 5" in str(info.value)


def test_dispatcher_refuses_unknown(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n", "utf-8")
    with pytest.raises(IngestError, match="not a USGS MCS file"):
        usgs.parse(path)
