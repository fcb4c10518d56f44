"""The REST API's data, import and metrics endpoints on the bundled store, against the library."""

from __future__ import annotations

import io
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import critmin
from critmin.ingest.registry import IMPORTERS
from critmin.metrics.concentration import supply_concentration
from critmin.profiles import country_profile, mineral_profile
from critmin.web.app import create_app
from critmin.web.config import Limits, WebConfig
from critmin.web.routes.data import ImportSource, safe_name
from critmin.web.security import ensure_token

WMD = "production_wmd/world_mining_data_2024ed_2018_2022_long.csv"
COMTRADE = "comtrade/comtrade_raw_mirror_atlas31codes_2022.csv"


@pytest.fixture(scope="module")
def client(bundled: critmin.Critmin, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Reads on the shared bundled store (no token file: every write is refused)."""
    token_file = tmp_path_factory.mktemp("token") / "token"
    app = create_app(WebConfig(db_path=bundled.path, token_file=token_file))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def writable(
    bundled: critmin.Critmin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, str, Path]]:
    """An app on a copy of the bundled store, with a token: (client, token, store path)."""
    folder = tmp_path_factory.mktemp("writable")
    db_path = folder / "critmin.duckdb"
    shutil.copyfile(bundled.path, db_path)
    token = ensure_token(folder / "token")
    assert token
    app = create_app(
        WebConfig(db_path=db_path, token_file=folder / "token", limits=Limits(max_upload_bytes=9_000_000))
    )
    with TestClient(app) as test_client:
        yield test_client, token, db_path


def rows(response: Any) -> pd.DataFrame:
    assert response.status_code == 200, response.text
    return pd.DataFrame(response.json()["rows"])


def same(api: pd.DataFrame, library: pd.DataFrame, columns: list[str]) -> None:
    """The API's rows equal the library's (order-independent) in these columns."""
    left = api[columns].sort_values(columns, ignore_index=True)
    right = library[columns].sort_values(columns, ignore_index=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


def wait(client: TestClient, job: str, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state: dict[str, Any] = client.get(f"/api/jobs/{job}").json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"job {job} still running after {timeout} s")


# -- reads ---------------------------------------------------------------------------------


def test_production_equals_the_library(client: TestClient, bundled: critmin.Critmin) -> None:
    response = client.get("/api/production", params={"commodity": "rare_earths", "country": "CHN"})
    api = rows(response)
    library = bundled.production("rare_earths", country="CHN")
    assert len(api) == len(library) > 0
    assert response.headers["X-Total-Count"] == str(len(library))
    same(api, library, ["commodity", "stage", "country", "year", "value", "release", "vintage_id"])
    assert set(response.json()["sources"]) == {f"usgs_mcs {r}" for r in library["release"]}


def test_a_vintage_by_release_or_id(client: TestClient, bundled: critmin.Critmin) -> None:
    library = bundled.production("cobalt", vintage="MCS2024")
    by_release = rows(client.get("/api/production", params={"commodity": "cobalt", "vintage": "MCS2024"}))
    same(by_release, library, ["stage", "country", "year", "value", "vintage_id"])
    vintage_id = int(library["vintage_id"].iloc[0])
    by_id = rows(client.get("/api/production", params={"commodity": "cobalt", "vintage": vintage_id}))
    assert set(by_id["vintage_id"]) == {vintage_id}
    unknown = client.get("/api/production", params={"vintage": "MCS1999"})
    assert unknown.status_code == 400 and "MCS1999" in unknown.json()["detail"]


def test_repeated_parameters_select_several_values(client: TestClient, bundled: critmin.Critmin) -> None:
    params: dict[str, Any] = {"country": ["IND", "JPN"], "indicator": ["pv", "rl"], "year": [2021, 2022]}
    api = rows(client.get("/api/governance", params=params))
    library = bundled.governance(["IND", "JPN"], [2021, 2022], ["pv", "rl"])
    assert len(api) == len(library) == 8
    same(api, library, ["country", "year", "indicator", "estimate"])


def test_other_tables_equal_the_library(client: TestClient, bundled: critmin.Critmin) -> None:
    api = rows(client.get("/api/reserves", params={"commodity": "lithium"}))
    same(api, bundled.reserves("lithium"), ["country", "year", "value"])
    api = rows(client.get("/api/trade", params={"year": 2022, "exporter": "CHN", "hs6": "280530"}))
    same(api, bundled.trade(2022, "CHN", hs6="280530"), ["importer", "value_usd", "quantity_t"])
    api = rows(client.get("/api/lists", params={"jurisdiction": "IND"}))
    same(api, bundled.lists("IND"), ["commodity", "list_year"])
    api = rows(client.get("/api/restrictions", params={"country": "CHN"}))
    same(api, bundled.restrictions("CHN"), ["measure_id", "commodity"])
    assert client.get("/api/commodities").json()["total"] == len(bundled.commodities())
    assert client.get("/api/places").json()["total"] == len(bundled.places())
    assert client.get("/api/sources").json()["total"] == len(bundled.sources())
    vintages = client.get("/api/vintages", params={"limit": 10_000}).json()
    assert vintages["total"] == len(bundled.vintages())


def test_trade_by_commodity(client: TestClient, bundled: critmin.Critmin) -> None:
    params: dict[str, Any] = {"commodity": "lithium", "year": 2022, "importer": "JPN"}
    api = rows(client.get("/api/trade", params=params))
    library = bundled.trade(2022, importer="JPN", commodity="lithium")
    assert len(api) == len(library) > 0
    assert api["quantity_t"].sum() == pytest.approx(library["quantity_t"].sum())


def test_status_counts_the_vintages(client: TestClient, bundled: critmin.Critmin) -> None:
    status = client.get("/api/status").json()
    vintages = bundled.vintages()
    assert sum(v["files"] for v in status["vintages"]) == len(vintages)
    assert {(v["source"], v["release"]) for v in status["vintages"]} == set(
        vintages[["source", "release"]].itertuples(index=False, name=None)
    )
    tables = {t["table"]: t["rows"] for t in status["tables"]}
    assert tables["governance"] == bundled.store.table_counts()["governance"]
    coverage = {c["commodity"]: c for c in status["commodities"]}
    assert "mine" in coverage["rare_earths"]["stages"]
    assert status["sources"]


def test_pagination(client: TestClient, bundled: critmin.Critmin) -> None:
    library = bundled.trade(2022, exporter="CHN")
    first = client.get("/api/trade", params={"year": 2022, "exporter": "CHN", "offset": 0, "limit": 100})
    second = client.get("/api/trade", params={"year": 2022, "exporter": "CHN", "offset": 100, "limit": 100})
    assert first.headers["X-Total-Count"] == second.headers["X-Total-Count"] == str(len(library))
    assert len(first.json()["rows"]) == len(second.json()["rows"]) == 100
    assert first.json()["rows"] != second.json()["rows"]
    last = client.get("/api/trade", params={"year": 2022, "exporter": "CHN", "offset": len(library) - 3})
    assert len(last.json()["rows"]) == 3


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_downloads_parse_back_to_the_same_rows(client: TestClient, fmt: str) -> None:
    params: dict[str, Any] = {"commodity": "rare_earths", "aggregates": True}
    json_rows = rows(client.get("/api/production", params=params))
    response = client.get("/api/production", params={**params, "format": fmt})
    assert response.status_code == 200
    assert f"production.{fmt}" in response.headers["Content-Disposition"]
    body = io.BytesIO(response.content)
    frame = (
        pd.read_csv(body, keep_default_na=False, na_values=[""]) if fmt == "csv" else pd.read_parquet(body)
    )
    assert len(frame) == len(json_rows) == int(response.headers["X-Total-Count"])
    same(frame, json_rows, ["stage", "country", "year", "value", "release"])


@pytest.mark.parametrize(
    ("url", "status", "named"),
    [
        ("/api/production?country=Atlantis", 400, "closest"),
        ("/api/production?country=C$D", 422, "country"),
        ("/api/production?year=1989", 422, "year"),
        ("/api/production?year=2101", 422, "year"),
        ("/api/production?commodity=unobtainium", 400, "unobtainium"),
        ("/api/production?source=other", 422, "source"),
        ("/api/trade", 400, "year, hs6 or commodity"),
        ("/api/trade?exporter=CHN", 400, "year, hs6 or commodity"),
        ("/api/trade?hs6=28053", 422, "hs6"),
        ("/api/trade?hs6=28053a", 422, "hs6"),
        ("/api/trade?year=2022&nomenclature=XX", 422, "nomenclature"),
        ("/api/governance?indicator=zz", 422, "indicator"),
        ("/api/lists?jurisdiction=Atlantis", 400, "Atlantis"),
        ("/api/production?limit=0", 422, "limit"),
        ("/api/production?limit=10001", 422, "limit"),
        ("/api/production?offset=-1", 422, "offset"),
        ("/api/production?format=xlsx", 422, "format"),
        ("/api/profiles/country/Atlantis", 400, "Atlantis"),
        ("/api/profiles/country/C$D", 422, "iso3"),
        ("/api/profiles/country/ZZZ", 400, "ZZZ"),
        ("/api/profiles/country/IND?method=xyz", 422, "method"),
        ("/api/profiles/country/IND?year=1991", 400, "1991"),
        ("/api/profiles/pair/IND/IND", 400, "IND"),
        ("/api/profiles/pair/IND/ZZZ", 400, "ZZZ"),
        ("/api/profiles/mineral/unobtainium", 400, "unobtainium"),
        ("/api/profiles/mineral/rare_earths?part=xyz", 422, "part"),
        ("/api/concentration?commodity=unobtainium", 400, "unobtainium"),
        ("/api/concentration?stage=Mine", 422, "stage"),
    ],
)
def test_bad_input_is_refused_naming_the_field(client: TestClient, url: str, status: int, named: str) -> None:
    response = client.get(url)
    assert response.status_code == status, response.text
    assert named in response.json()["detail"]


def test_countries_and_commodities_are_taken_as_people_type_them(client: TestClient) -> None:
    """Names, ISO2 codes and synonyms answer exactly as the catalog's ids and ISO3 codes do."""
    by_code = client.get("/api/production", params={"country": "IND", "commodity": "graphite_natural"})
    by_name = client.get("/api/production", params={"country": ["india"], "commodity": "graphite"})
    by_iso2 = client.get("/api/production", params={"country": "in", "commodity": "Natural graphite"})
    assert by_code.status_code == by_name.status_code == by_iso2.status_code == 200
    expected = sorted_rows(by_code.json()["rows"])
    assert len(expected) and sorted_rows(by_name.json()["rows"]).equals(expected)
    assert sorted_rows(by_iso2.json()["rows"]).equals(expected)
    profile = client.get("/api/profiles/country/Japan", params={"method": "geopolrisk", "year": 2022})
    assert profile.status_code == 200
    same = client.get("/api/profiles/country/JPN", params={"method": "geopolrisk", "year": 2022})
    assert sorted_rows(profile.json()["rows"]).equals(sorted_rows(same.json()["rows"]))


def sorted_rows(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_too_many_values_are_refused(client: TestClient) -> None:
    response = client.get("/api/production", params={"country": ["CHN"] * 51})
    assert response.status_code == 422
    assert "country" in response.json()["detail"]


# -- metrics -------------------------------------------------------------------------------


def test_mineral_profile_equals_the_library(client: TestClient, bundled: critmin.Critmin) -> None:
    body = client.get("/api/profiles/mineral/rare earths", params={"year": 2024}).json()
    library = mineral_profile(bundled, "rare_earths", 2024)
    assert (body["commodity"], body["year"]) == ("rare_earths", 2024)
    for part in ("summary", "producers", "exporters"):
        frame = getattr(library, part)
        assert body[part]["total"] == len(frame) > 0
        assert body[part]["sources"], part
    same(pd.DataFrame(body["producers"]["rows"]), library.producers, ["stage", "country", "year", "share"])
    same(pd.DataFrame(body["summary"]["rows"]), library.summary, ["stage", "year", "hhi", "top1_share"])
    production = bundled.production("rare_earths", aggregates=True)
    over_time = supply_concentration(production[production["form"] == ""])
    api = pd.DataFrame(body["concentration"]["rows"])
    assert len(api) == len(over_time) > 1
    same(api, over_time, ["stage", "year", "hhi", "top1_share"])
    shares = client.get(
        "/api/profiles/mineral/rare_earths", params={"part": "exporters", "format": "csv", "year": 2024}
    )
    assert len(pd.read_csv(io.StringIO(shares.text))) == len(library.exporters)


def test_concentration_over_years(client: TestClient, bundled: critmin.Critmin) -> None:
    params: dict[str, Any] = {"commodity": ["cobalt", "lithium"], "stage": "mine"}
    api = rows(client.get("/api/concentration", params=params))
    production = bundled.production(["cobalt", "lithium"], "mine", aggregates=True)
    library = supply_concentration(production[production["form"] == ""])
    same(api, library, ["commodity", "year", "hhi", "hhi_upper", "top1_country"])
    shares = rows(client.get("/api/concentration", params={**params, "view": "shares"}))
    assert set(shares["commodity"]) == {"cobalt", "lithium"}
    assert (shares.groupby(["commodity", "year"])["share"].sum() <= 1.0 + 1e-9).all()


def test_country_profile_equals_the_library(client: TestClient, bundled: critmin.Critmin) -> None:
    response = client.get("/api/profiles/country/IND", params={"method": "usgs", "year": 2022, "limit": 5})
    api = rows(response)
    library = country_profile(bundled, "IND", 2022, method="usgs")
    assert response.headers["X-Total-Count"] == str(len(library))
    assert len(api) == 5
    pd.testing.assert_series_equal(api["score"], library["score"].head(5), check_names=False)
    assert list(api["commodity"]) == list(library["commodity"].head(5))
    assert response.json()["sources"]


def test_pair_profile_answers(client: TestClient) -> None:
    response = client.get("/api/profiles/pair/IND/JPN", params={"method": "usgs", "year": 2022})
    body = response.json()
    assert response.status_code == 200, body
    assert body["total"] > 0 and body["sources"]
    row = body["rows"][0]
    assert row["joint_score"] == pytest.approx(min(row["score_IND"], row["score_JPN"]))


# -- imports -------------------------------------------------------------------------------


def test_import_sources_are_the_importers() -> None:
    assert set(ImportSource.__args__) == set(IMPORTERS)  # type: ignore[attr-defined]


def test_upload_names_are_sanitised() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\x\\baci hs92.csv") == "baci_hs92.csv"
    assert safe_name("..") == "upload.csv"
    assert safe_name(None) == "upload.csv"


def test_import_needs_the_token(writable: tuple[TestClient, str, Path]) -> None:
    client, _token, _db = writable
    files = {"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}
    assert client.post("/api/imports/wmd", files=files).status_code == 401
    wrong = client.post("/api/imports/wmd", files=files, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "token" in wrong.json()["detail"]


def test_import_refuses_bad_requests(writable: tuple[TestClient, str, Path]) -> None:
    client, token, _db = writable
    auth = {"Authorization": f"Bearer {token}"}
    files = {"file": ("x.csv", b"a,b\n1,2\n", "text/csv")}
    unknown = client.post("/api/imports/nosuch", files=files, headers=auth)
    assert unknown.status_code == 422 and "source" in unknown.json()["detail"]
    option = client.post("/api/imports/baci", files=files, headers=auth, params={"option": "bad"})
    assert option.status_code == 400 and "option" in option.json()["detail"]
    empty = client.post("/api/imports/wmd", files={"file": ("x.csv", b"", "text/csv")}, headers=auth)
    assert empty.status_code == 400 and "file" in empty.json()["detail"]
    no_file = client.post("/api/imports/wmd", files={"other": (None, b"1")}, headers=auth)
    assert no_file.status_code == 400 and "file" in no_file.json()["detail"]
    form = client.post("/api/imports/wmd", data={"file": "x"}, headers=auth)
    assert form.status_code == 415 and "multipart" in form.json()["detail"]
    big = b"x" * 9_000_001
    too_big = client.post("/api/imports/wmd", files={"file": ("big.csv", big, "text/csv")}, headers=auth)
    assert too_big.status_code == 413


def test_import_of_a_real_file_adds_a_vintage(writable: tuple[TestClient, str, Path], raw_data: Path) -> None:
    client, token, db_path = writable
    before = client.get("/api/vintages", params={"source": "wmd"}).json()["total"]
    assert before == 0
    path = raw_data / WMD
    with path.open("rb") as handle:
        response = client.post(
            "/api/imports/wmd",
            files={"file": (path.name, handle, "text/csv")},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 202, response.text
    job = response.json()["job"]
    assert response.json()["status_url"] == f"/api/jobs/{job}"
    state = wait(client, job)
    assert state["status"] == "done", state
    outcomes = client.get(f"/api/jobs/{job}/results/outcomes").json()["rows"]
    assert outcomes[0]["status"] == "added" and outcomes[0]["file"] == path.name
    vintages = client.get("/api/vintages", params={"source": "wmd"}).json()
    assert vintages["total"] == 1
    assert vintages["rows"][0]["file_name"] == path.name
    assert vintages["rows"][0]["vintage_id"] == outcomes[0]["vintage_id"]
    wmd = rows(client.get("/api/production", params={"source": "wmd", "limit": 1}))
    assert wmd["source"].iloc[0] == "wmd"
    assert not list(db_path.parent.glob(".critmin-import-*"))


def test_a_malformed_upload_fails_and_changes_nothing(writable: tuple[TestClient, str, Path]) -> None:
    client, token, db_path = writable
    before = client.get("/api/vintages", params={"limit": 10_000}).json()["rows"]
    content = b"t,i,j,k,v,q\n2024,4,8,250490,1.5,2\n2024,x,8,250490,oops,2\n"
    response = client.post(
        "/api/imports/baci",
        files={"file": ("baci_hs92_v202601_broken.csv", content, "text/csv")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202, response.text
    state = wait(client, response.json()["job"])
    assert state["status"] == "failed"
    assert "baci_hs92_v202601_broken.csv" in state["error"]
    assert "line 3" in state["error"] and "'i'" in state["error"]
    assert "critmin-upload-" not in state["error"]
    assert client.get("/api/vintages", params={"limit": 10_000}).json()["rows"] == before
    assert not list(db_path.parent.glob(".critmin-import-*"))


def test_reads_go_on_during_an_import(writable: tuple[TestClient, str, Path], raw_data: Path) -> None:
    client, token, _db = writable
    path = raw_data / COMTRADE
    response = client.post(
        "/api/imports/comtrade",
        files={"file": (path.name, path.read_bytes(), "text/csv")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 202, response.text
    job = response.json()["job"]
    statuses: list[int] = []
    during: list[str] = []
    finished = threading.Event()

    def read() -> None:
        while not finished.is_set():
            state = client.get(f"/api/jobs/{job}").json()["status"]
            statuses.append(client.get("/api/production", params={"commodity": "cobalt"}).status_code)
            during.append(state)
            if state in ("done", "failed"):
                finished.set()

    reader = threading.Thread(target=read)
    reader.start()
    state = wait(client, job, timeout=90)
    finished.set()
    reader.join()
    assert state["status"] == "done", state
    assert "running" in during
    assert statuses and set(statuses) == {200}
    comtrade = client.get("/api/vintages", params={"source": "comtrade"}).json()
    assert comtrade["total"] == 1


def test_a_chunked_upload_is_cut_off_at_the_limit(writable: tuple[TestClient, str, Path]) -> None:
    """Without a Content-Length the limit is enforced while the body streams in."""
    client, token, _db = writable
    head = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
    )

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(10):
            yield b"x" * 1_000_000
        yield b"\r\n--b0undary--\r\n"

    response = client.post(
        "/api/imports/wmd",
        content=body(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "multipart/form-data; boundary=b0undary",
        },
    )
    assert response.status_code == 413
    assert "file" in response.json()["detail"]
