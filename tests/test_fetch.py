"""``critmin data fetch``: download a known release, check it, import it; failures change nothing.

A real HTTP server on 127.0.0.1 stands in for the publishers (ScienceBase for USGS, CEPII for
BACI, the pinned WGI copy): it serves the raw files of the shared data folder under the
publishers' URL paths, and can be told to answer 404, to cut a body short, or to send an HTML
page. No other host is ever contacted: every fetch gets ``base_url`` pointing at it.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
import urllib.parse
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from critmin import settings
from critmin.api import Critmin
from critmin.cli.main import app
from critmin.errors import CritminError, FetchError, IngestError
from critmin.ingest import fetch as fetch_module
from critmin.ingest.fetch import RELEASES, download, fetch, plan, rebase

HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>Page not found</title></head><body>Moved</body></html>\n"


class Publisher:
    """A loopback HTTP server laid out like the publishers' URL paths, with switchable faults."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.faults: dict[str, str] = {}
        self.requests: list[str] = []
        publisher = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                publisher.requests.append(self.path)
                parts = urllib.parse.urlsplit(self.path)
                name = urllib.parse.parse_qs(parts.query).get("name", [""])[0]
                relative = parts.path.strip("/") + (f"/{name}" if name else "")
                fault = publisher.faults.get(relative, "")
                target = publisher.root / relative
                self.close_connection = True
                if fault == "404" or not target.is_file():
                    self.send_error(404, "Not Found")
                    return
                if fault == "html":
                    self._send(HTML_PAGE, "text/html; charset=utf-8")
                    return
                if fault == "html-as-csv":
                    self._send(HTML_PAGE, "text/csv")
                    return
                body = target.read_bytes()
                if fault == "truncate":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/csv")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    return
                self._send(body, "application/octet-stream")

            def _send(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def path_of(self, source: str, release: str | None = None) -> Path:
        """Where the server keeps the (first) file of a release, following the publisher's URL."""
        remote = plan(source, release).files[0]
        parts = urllib.parse.urlsplit(remote.url)
        name = urllib.parse.parse_qs(parts.query).get("name", [""])[0]
        return self.root / (parts.path.strip("/") + (f"/{name}" if name else ""))

    def relative(self, source: str, release: str | None = None) -> str:
        return str(self.path_of(source, release).relative_to(self.root))

    def put(self, source: str, data: bytes | Path, release: str | None = None) -> Path:
        target = self.path_of(source, release)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, Path):
            shutil.copyfile(data, target)
        else:
            target.write_bytes(data)
        return target


def baci_zip(raw_data: Path, target: Path, years: tuple[int, ...] = (2022, 2023)) -> None:
    """A small BACI_HS92_V202601.zip in the official layout, from real rows of the G1 extract."""
    rows = pd.read_csv(raw_data / "geopolrisk" / "baci_hs92_minerals_1995_2024.csv", dtype=str)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for year in years:
            chunk = rows[rows["t"] == str(year)]
            archive.writestr(f"BACI_HS92_Y{year}_V202601.csv", chunk.to_csv(index=False))
        archive.write(raw_data / "baci" / "country_codes_V202601.csv", "country_codes_V202601.csv")
        archive.write(raw_data / "baci" / "product_codes_HS92_V202401b.csv", "product_codes_HS92_V202601.csv")
        archive.writestr("Readme.txt", "BACI HS92 V202601 (test extract)\n")


@pytest.fixture
def publisher(tmp_path: Path, raw_data: Path) -> Iterator[Publisher]:
    server = Publisher(tmp_path / "publisher")
    server.put("usgs-mcs", raw_data / "usgs_mcs" / "mcs2026" / "MCS2026_Commodities_Data.csv")
    server.put("wgi", raw_data / "wgi" / "wgidataset_2024update_1996_2023.csv")
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def db(tmp_path: Path) -> Critmin:
    handle = Critmin(tmp_path / "critmin.duckdb")
    handle.store.initialise()
    return handle


def snapshot(db: Critmin) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Everything a failed fetch must leave alone: the vintages and the row counts."""
    vintages = db.vintages().drop(columns=["imported_at"], errors="ignore")
    return vintages.astype(str).to_dict(orient="records"), db.store.table_counts()


def downloads(source: str) -> list[Path]:
    folder = settings.home() / "downloads" / source
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def unpinned(monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    """Drop the SHA-256 pin and size range of a source's newest release (to reach the importer)."""
    release = RELEASES[source][0]
    files = tuple(dataclasses.replace(f, sha256=None, size_range=None) for f in release.files)
    monkeypatch.setitem(RELEASES, source, (dataclasses.replace(release, files=files), *RELEASES[source][1:]))


# -- the release table --------------------------------------------------------------------------


def test_plan_defaults_to_the_newest_release_and_lists_the_known_ones() -> None:
    assert plan("usgs-mcs").name == "MCS2026"
    assert plan("baci").name == "V202601"
    assert plan("baci", "v202501").files[0].name == "BACI_HS92_V202501.zip"
    with pytest.raises(CritminError, match=r"usgs-mcs: MCS2026.*baci: V202601, V202501"):
        plan("comtrade")
    with pytest.raises(CritminError, match="known releases: V202601, V202501"):
        plan("baci", "V199901")


def test_usgs_release_is_the_pinned_sciencebase_file(raw_data: Path) -> None:
    """Pin and item id from PROVENANCE.md section 1a (ScienceBase item 696a75d5d4be0228872d3bf8)."""
    remote = plan("usgs-mcs").files[0]
    assert "696a75d5d4be0228872d3bf8" in remote.url
    assert remote.sha256 == "582a0aa231aea53d8a97dc8d1cd3dfa5f885cf3760353e3d029d7f0ae4fbaaf5"
    size = (raw_data / "usgs_mcs" / "mcs2026" / "MCS2026_Commodities_Data.csv").stat().st_size
    assert remote.size_range is not None and remote.size_range[0] <= size <= remote.size_range[1]


def test_rebase_keeps_path_and_query() -> None:
    url = "https://www.sciencebase.gov/catalog/file/get/abc?name=X.csv"
    assert rebase(url, "http://127.0.0.1:8000") == "http://127.0.0.1:8000/catalog/file/get/abc?name=X.csv"
    assert rebase(url, "http://mirror:81/pub/") == "http://mirror:81/pub/catalog/file/get/abc?name=X.csv"
    assert rebase(url, None) == url
    with pytest.raises(CritminError, match="must look like"):
        rebase(url, "ftp://mirror")


# -- successful fetches -------------------------------------------------------------------------


def test_fetch_imports_a_vintage_and_again_changes_nothing(db: Critmin, publisher: Publisher) -> None:
    outcomes = fetch(db, "wgi", base_url=publisher.url)
    assert [o.status for o in outcomes] == ["added"]
    vintages = db.vintages()
    assert list(vintages["source"]) == ["wgi"]
    assert vintages["sha256"].iloc[0] == plan("wgi").files[0].sha256
    governance = db.governance(country="CHN", year=2023, indicator="pv")
    assert governance["estimate"].round(2).tolist() == [-0.51]  # PROVENANCE.md section 4
    saved = settings.home() / "downloads" / "wgi" / "2024_update" / "wgidataset.csv"
    assert downloads("wgi") == [saved, saved.with_name("wgidataset.csv.sha256")]

    before = snapshot(db)
    requests = len(publisher.requests)
    again = fetch(db, "wgi", base_url=publisher.url)
    assert [o.status for o in again] == ["unchanged"]
    assert snapshot(db) == before
    assert len(publisher.requests) == requests  # the pinned file on disk was not downloaded again


def test_usgs_fetch_reads_the_base_url_setting(
    db: Critmin, publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRITMIN_FETCH_BASE_URL", publisher.url)
    outcomes = fetch(db, "usgs-mcs")
    assert [o.status for o in outcomes] == ["added"]
    assert publisher.requests == [
        "/catalog/file/get/696a75d5d4be0228872d3bf8?name=MCS2026_Commodities_Data.csv"
    ]
    assert set(db.vintages()["release"]) == {"MCS2026"}
    cobalt = db.production("cobalt", stage="mine", country="COD", year=2024)
    assert cobalt["value"].tolist() == [226_000.0]  # PROVENANCE.md section 1a


def test_baci_zip_is_imported_for_the_years_asked(
    db: Critmin, publisher: Publisher, raw_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unpinned(monkeypatch, "baci")  # the real release is ~2.4 GB; this extract is small
    target = publisher.path_of("baci")
    target.parent.mkdir(parents=True)
    baci_zip(raw_data, target)
    fetch(db, "baci", base_url=publisher.url, years=[2023])
    assert publisher.requests == ["/DATA_DOWNLOAD/baci/data/BACI_HS92_V202601.zip"]
    trade = db.trade(nomenclature=None)
    assert set(trade["year"]) == {2023}
    expected = pd.read_csv(raw_data / "geopolrisk" / "baci_hs92_minerals_1995_2024.csv", usecols=["t"])
    assert len(trade) == int((expected["t"] == 2023).sum())

    # Another year of the same release: the checked zip on disk is reused, not downloaded again.
    outcomes = fetch(db, "baci", base_url=publisher.url, years=[2022])
    assert [o.status for o in outcomes] == ["added"]
    assert len(publisher.requests) == 1
    assert set(db.trade(nomenclature=None)["year"]) == {2022, 2023}
    before = snapshot(db)
    assert [o.status for o in fetch(db, "baci", base_url=publisher.url, years=[2022])] == ["unchanged"]
    assert snapshot(db) == before


def test_progress_reports_download_and_import(db: Critmin, publisher: Publisher) -> None:
    seen: list[tuple[str, int, int | None]] = []
    fetch(
        db, "wgi", base_url=publisher.url, progress=lambda what, done, total: seen.append((what, done, total))
    )
    size = publisher.path_of("wgi").stat().st_size
    assert ("downloading wgidataset.csv", size, size) in seen
    assert any(what.startswith("importing wgi") for what, _, _ in seen)


# -- failures change nothing --------------------------------------------------------------------


@pytest.fixture
def stored(db: Critmin, publisher: Publisher) -> Critmin:
    """A store holding one fetched vintage, so 'unchanged' is checked against real content."""
    fetch(db, "wgi", base_url=publisher.url)
    return db


def test_server_404_raises_and_stores_nothing(stored: Critmin, publisher: Publisher) -> None:
    before = snapshot(stored)
    publisher.faults[publisher.relative("usgs-mcs")] = "404"
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(stored, "usgs-mcs", base_url=publisher.url)
    assert snapshot(stored) == before
    assert downloads("usgs-mcs") == []


def test_unreachable_host_raises(stored: Critmin, publisher: Publisher) -> None:
    before = snapshot(stored)
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = closed.server_address[1]
    closed.server_close()
    with pytest.raises(FetchError, match="could not connect"):
        fetch(stored, "usgs-mcs", base_url=f"http://127.0.0.1:{port}", timeout=5)
    assert snapshot(stored) == before


def test_truncated_body_raises_and_stores_nothing(stored: Critmin, publisher: Publisher) -> None:
    before = snapshot(stored)
    publisher.faults[publisher.relative("usgs-mcs")] = "truncate"
    with pytest.raises(FetchError, match=r"truncated|stopped after"):
        fetch(stored, "usgs-mcs", base_url=publisher.url)
    assert snapshot(stored) == before
    assert downloads("usgs-mcs") == []


def test_truncated_unpinned_body_is_caught_by_length(
    db: Critmin, publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a pin only Content-Length can tell a cut-off file from a whole one."""
    unpinned(monkeypatch, "wgi")
    publisher.faults[publisher.relative("wgi")] = "truncate"
    with pytest.raises(FetchError, match=r"truncated|stopped after"):
        fetch(db, "wgi", base_url=publisher.url)
    assert snapshot(db) == ([], {name: 0 for name in db.store.table_counts()})
    assert downloads("wgi") == []


def test_html_page_instead_of_data_raises(stored: Critmin, publisher: Publisher) -> None:
    before = snapshot(stored)
    publisher.faults[publisher.relative("usgs-mcs")] = "html"
    with pytest.raises(FetchError, match="HTML page"):
        fetch(stored, "usgs-mcs", base_url=publisher.url)
    assert snapshot(stored) == before
    assert downloads("usgs-mcs") == []


def test_html_body_is_recognised_whatever_its_content_type(
    db: Critmin, publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    unpinned(monkeypatch, "wgi")
    publisher.faults[publisher.relative("wgi")] = "html-as-csv"
    with pytest.raises(FetchError, match="HTML page"):
        fetch(db, "wgi", base_url=publisher.url)
    assert db.vintages().empty
    assert downloads("wgi") == []


def test_baci_refuses_a_body_that_is_not_a_zip(
    db: Critmin, publisher: Publisher, raw_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unpinned(monkeypatch, "baci")
    publisher.put("baci", raw_data / "baci" / "country_codes_V202601.csv")
    with pytest.raises(FetchError, match="did not return a zip archive"):
        fetch(db, "baci", base_url=publisher.url)
    assert db.vintages().empty
    assert downloads("baci") == []


def test_changed_file_fails_the_pin(stored: Critmin, publisher: Publisher, raw_data: Path) -> None:
    before = snapshot(stored)
    original = (raw_data / "usgs_mcs" / "mcs2026" / "MCS2026_Commodities_Data.csv").read_bytes()
    publisher.put("usgs-mcs", original.replace(b"226,000", b"227,000", 1))
    with pytest.raises(FetchError, match=r"has changed: its SHA-256 is [0-9a-f]{64}.*critmin data import"):
        fetch(stored, "usgs-mcs", base_url=publisher.url)
    assert snapshot(stored) == before
    assert downloads("usgs-mcs") == []


def test_changed_upstream_format_is_an_ingest_error(
    db: Critmin, publisher: Publisher, raw_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A release without a pin reaches the importer, whose header check refuses renamed columns."""
    unpinned(monkeypatch, "wgi")
    fetch(db, "usgs-mcs", base_url=publisher.url)
    before = snapshot(db)
    text = (raw_data / "wgi" / "wgidataset_2024update_1996_2023.csv").read_bytes()
    publisher.put("wgi", text.replace(b",estimate,", b",score,", 1))
    with pytest.raises(IngestError, match="estimate"):
        fetch(db, "wgi", base_url=publisher.url)
    assert snapshot(db) == before


def test_pinned_file_on_disk_that_changed_is_downloaded_again(db: Critmin, publisher: Publisher) -> None:
    paths = download(plan("wgi"), settings.home() / "dl", base_url=publisher.url)
    paths[0].write_text("edited by hand\n")
    again = download(plan("wgi"), settings.home() / "dl", base_url=publisher.url)
    assert again == paths
    assert fetch_module.sha256_of(again[0]) == plan("wgi").files[0].sha256
    assert len(publisher.requests) == 2


def test_unpinned_file_already_stored_is_not_downloaded_again(
    db: Critmin, publisher: Publisher, monkeypatch: pytest.MonkeyPatch
) -> None:
    unpinned(monkeypatch, "wgi")
    fetch(db, "wgi", base_url=publisher.url)
    before = snapshot(db)
    assert [o.status for o in fetch(db, "wgi", base_url=publisher.url)] == ["unchanged"]
    assert len(publisher.requests) == 1
    assert snapshot(db) == before


def test_years_only_for_baci(db: Critmin, publisher: Publisher) -> None:
    with pytest.raises(CritminError, match="BACI only"):
        fetch(db, "wgi", base_url=publisher.url, years=[2020])
    assert publisher.requests == []


# -- the command --------------------------------------------------------------------------------


def test_cli_fetch(stored: Critmin, publisher: Publisher) -> None:
    runner = CliRunner()
    args = ["--db", str(stored.path), "data", "fetch", "usgs-mcs", "--base-url", publisher.url]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "added" in result.output and "MCS2026" in result.output
    assert set(Critmin(stored.path).vintages()["source"]) == {"wgi", "usgs_mcs"}

    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "unchanged" in again.output


def test_cli_fetch_failure_is_a_clean_error(stored: Critmin, publisher: Publisher) -> None:
    before = snapshot(stored)
    publisher.faults[publisher.relative("usgs-mcs")] = "404"
    runner = CliRunner()
    result = runner.invoke(
        app, ["--db", str(stored.path), "data", "fetch", "usgs-mcs", "--base-url", publisher.url]
    )
    assert result.exit_code == 1
    assert "HTTP 404" in result.output
    assert "Traceback" not in result.output
    assert snapshot(Critmin(stored.path)) == before


def test_cli_unknown_release(stored: Critmin) -> None:
    result = CliRunner().invoke(app, ["--db", str(stored.path), "data", "fetch", "baci", "--release", "V1"])
    assert result.exit_code == 1
    assert "V202601" in result.output
