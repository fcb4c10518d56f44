"""Download known releases from their publishers, check them, and import them as vintages.

A declarative table (:data:`RELEASES`) names, for each source and release, the file to fetch,
where the publisher serves it, and what it must look like: an optional SHA-256 pin and an
optional size range. :func:`download` streams a file to a temporary name next to its target,
checks the HTTP status, the byte count against ``Content-Length``, that the body is not an HTML
error page, the size range and the pin, and only then renames it into place. :func:`fetch`
downloads into ``$CRITMIN_HOME/downloads/<source>/<release>/`` and imports the files through
:meth:`critmin.api.Critmin.import_files`, which parses and stores them in one transaction: a
failed download raises :class:`~critmin.errors.FetchError` before anything is parsed, and a
changed format raises :class:`~critmin.errors.IngestError`; either way the store is unchanged.

A mirror or a test server can stand in for the publishers: ``base_url`` (or the setting
``CRITMIN_FETCH_BASE_URL``) replaces the scheme and host of each publisher URL and keeps the
path and query.

Layering: this module does network I/O and writes files under the downloads folder, but it
never touches the store itself; it goes through the API handle it is given.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.metadata
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from critmin import settings
from critmin.errors import CritminError, FetchError
from critmin.ingest.base import ProgressCallback, sha256_of

CHUNK = 1 << 20
"""Bytes read from the network at a time."""

FetchProgress = Callable[[str, int, int | None], None]
"""Called with (what is happening, bytes done, bytes total or None when unknown)."""


class Importing(Protocol):
    """What :func:`fetch` needs of a store handle (:class:`critmin.api.Critmin` has it)."""

    def import_files(
        self,
        source: str,
        paths: Sequence[Path | str],
        *,
        progress: ProgressCallback | None = ...,
        **options: Any,
    ) -> list[Any]:
        """Parse files of one source and store them as vintages in one transaction."""
        ...


@dataclass(frozen=True)
class RemoteFile:
    """One file of a release as its publisher serves it.

    Attributes
    ----------
    url
        The publisher's URL (scheme and host are replaced when a base URL is given).
    name
        File name it is saved under (and that the importer sees).
    sha256
        Expected SHA-256 of the bytes, when the release is pinned; ``None`` when not known.
    size_range
        Smallest and largest plausible size in bytes, to catch a wrong file before a long download.
    kind
        ``"csv"`` or ``"zip"``: what the first bytes must look like.
    """

    url: str
    name: str
    sha256: str | None = None
    size_range: tuple[int, int] | None = None
    kind: str = "csv"


@dataclass(frozen=True)
class Release:
    """A release of a source that critmin knows how to fetch and import.

    Attributes
    ----------
    source
        The source name users type (``usgs-mcs``, ``baci``, ``wgi``).
    name
        The publisher's release label (``MCS2026``, ``V202601``, ``2024 update``).
    files
        The files to download.
    importer
        Importer source name passed to :meth:`critmin.api.Critmin.import_files`.
    options
        Importer options always passed for this release.
    accepts_years
        Whether the importer takes a ``years=`` option (BACI).
    page
        The publisher's landing page of the release, for users and error messages.
    note
        Anything a user should know about where the file comes from.
    """

    source: str
    name: str
    files: tuple[RemoteFile, ...]
    importer: str
    options: Mapping[str, Any] = field(default_factory=dict)
    accepts_years: bool = False
    page: str = ""
    note: str = ""


def _baci_hs92(version: str, page: str) -> Release:
    return Release(
        source="baci",
        name=version,
        files=(
            RemoteFile(
                url=f"https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS92_{version}.zip",
                name=f"BACI_HS92_{version}.zip",
                size_range=(1_000_000_000, 4_000_000_000),
                kind="zip",
            ),
        ),
        importer="baci",
        accepts_years=True,
        page=page,
        note="The whole HS92 release (about 2.4 GB, one CSV per year plus country and product codes); "
        "CEPII publishes no checksum, so the file is checked by its layout when imported.",
    )


_CEPII_PAGE = "https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37"

RELEASES: dict[str, tuple[Release, ...]] = {
    "usgs-mcs": (
        Release(
            source="usgs-mcs",
            name="MCS2026",
            files=(
                RemoteFile(
                    url="https://www.sciencebase.gov/catalog/file/get/696a75d5d4be0228872d3bf8"
                    "?name=MCS2026_Commodities_Data.csv",
                    name="MCS2026_Commodities_Data.csv",
                    sha256="582a0aa231aea53d8a97dc8d1cd3dfa5f885cf3760353e3d029d7f0ae4fbaaf5",
                    size_range=(1_000_000, 20_000_000),
                ),
            ),
            importer="usgs-mcs",
            page="https://doi.org/10.5066/P1WKQ63T",
            note="ScienceBase item 696a75d5d4be0228872d3bf8 (first posted 2026-02-06); SHA-256 as pinned in "
            "PROVENANCE.md section 1a.",
        ),
    ),
    "baci": (
        _baci_hs92("V202601", _CEPII_PAGE),
        _baci_hs92("V202501", _CEPII_PAGE),
    ),
    "wgi": (
        Release(
            source="wgi",
            name="2024 update",
            files=(
                RemoteFile(
                    url="https://raw.githubusercontent.com/lmorgans/WGIdata/"
                    "05f52f816a6c09473096edbf657aa310d5c30507/wgidataset.csv",
                    name="wgidataset.csv",
                    sha256="81693aaa5fe30d7de98fb36bc069136fd45c74547a877ba559441e7e5c4f221d",
                    size_range=(500_000, 20_000_000),
                ),
            ),
            importer="wgi",
            page="https://www.worldbank.org/en/publication/worldwide-governance-indicators",
            note="The World Bank now serves the 2025 revision (an Excel workbook) at its download URLs and "
            "no longer the 2024 update's long-format CSV; this is the copy of that CSV cited in "
            "PROVENANCE.md section 4, pinned by commit and SHA-256.",
        ),
    ),
}
"""Known releases per source, newest (the default) first."""


def _known() -> str:
    return "; ".join(
        f"{source}: {', '.join(r.name for r in releases)}" for source, releases in RELEASES.items()
    )


def plan(source: str, release: str | None = None) -> Release:
    """The release to fetch: the named one, or the newest known release of the source.

    Raises
    ------
    CritminError
        The source or release is not in :data:`RELEASES`; the message lists the known ones.
    """
    releases = RELEASES.get(source)
    if releases is None:
        raise CritminError(f"cannot fetch source {source!r}; known sources and releases: {_known()}")
    if release is None:
        return releases[0]
    wanted = release.strip().lower()
    for candidate in releases:
        if candidate.name.lower() == wanted:
            return candidate
    raise CritminError(
        f"unknown release {release!r} of {source}; known releases: {', '.join(r.name for r in releases)}"
    )


def base_url_setting() -> str | None:
    """The mirror base URL from ``CRITMIN_FETCH_BASE_URL``, or ``None`` for the publishers' hosts."""
    return settings.SETTINGS["fetch_base_url"].value() or None


def rebase(url: str, base_url: str | None) -> str:
    """Replace the scheme and host of ``url`` by those of ``base_url``, keeping path and query.

    A path in ``base_url`` is put in front of the URL's path, so a mirror may serve the
    publishers' layout under a prefix (``http://mirror/critmin`` + ``/catalog/...``).
    """
    if not base_url:
        return url
    base = urllib.parse.urlsplit(base_url)
    if base.scheme not in ("http", "https") or not base.netloc:
        raise CritminError(f"base URL {base_url!r} must look like http://host[:port][/prefix]")
    parts = urllib.parse.urlsplit(url)
    path = base.path.rstrip("/") + parts.path
    return urllib.parse.urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


def _looks_like_html(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml"))


def _check_head(head: bytes, remote: RemoteFile, content_type: str, url: str) -> None:
    """Refuse an HTML error page or a body that does not start like the expected kind of file."""
    if _looks_like_html(head) or "text/html" in content_type.lower():
        raise FetchError(
            f"{url} returned an HTML page (Content-Type {content_type or 'not given'}), not the data file "
            f"{remote.name}: the publisher may have moved the file or put a page in front of it. "
            "Check the release page, or download the file by hand and use `critmin data import`."
        )
    if remote.kind == "zip" and not head.startswith(b"PK"):
        raise FetchError(
            f"{url} did not return a zip archive (first bytes {head[:8]!r}); expected {remote.name}"
        )
    if remote.kind == "csv" and b"\x00" in head:
        raise FetchError(f"{url} returned binary data, not the CSV file {remote.name}")


def _check_size(size: int, remote: RemoteFile, url: str, what: str) -> None:
    if remote.size_range is None:
        return
    low, high = remote.size_range
    if not low <= size <= high:
        raise FetchError(
            f"{url}: {what} is {size:,} bytes, outside the {low:,}-{high:,} bytes expected for "
            f"{remote.name}; the upstream file has changed or this is not the right file"
        )


def _user_agent() -> str:
    try:
        return f"critmin/{importlib.metadata.version('critmin')}"
    except importlib.metadata.PackageNotFoundError:
        return "critmin"


def _open(url: str, timeout: float) -> http.client.HTTPResponse:
    request = urllib.request.Request(url, headers={"User-Agent": _user_agent()})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise FetchError(f"{url}: the server answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise FetchError(f"{url}: could not connect ({exc.reason})") from None
    except (TimeoutError, OSError) as exc:
        raise FetchError(f"{url}: could not connect ({exc})") from None
    status = getattr(response, "status", 200)
    if status != 200:
        response.close()
        raise FetchError(f"{url}: the server answered HTTP {status}; expected 200")
    return response


def _stream(
    response: http.client.HTTPResponse,
    part: Path,
    remote: RemoteFile,
    url: str,
    progress: FetchProgress | None,
) -> str:
    """Copy the body into ``part`` while checking it; return its SHA-256."""
    length_header = response.headers.get("Content-Length")
    expected = int(length_header) if length_header and length_header.isdigit() else None
    digest = hashlib.sha256()
    received = 0
    label = f"downloading {remote.name}"
    with open(part, "wb") as out:
        try:
            while block := response.read(CHUNK):
                if received == 0:
                    _check_head(block[:1024], remote, response.headers.get("Content-Type", ""), url)
                    if expected is not None:
                        _check_size(expected, remote, url, "Content-Length")
                digest.update(block)
                out.write(block)
                received += len(block)
                if progress is not None:
                    progress(label, received, expected)
        except http.client.IncompleteRead as exc:
            received += len(exc.partial)
            raise FetchError(
                f"{url}: the download of {remote.name} stopped after {received:,} of "
                f"{expected or '?'} bytes; try again later"
            ) from None
        except (TimeoutError, OSError) as exc:
            raise FetchError(
                f"{url}: the download of {remote.name} failed after {received:,} bytes ({exc}); "
                "try again later"
            ) from None
    if expected is not None and received != expected:
        raise FetchError(
            f"{url}: received {received:,} bytes of {remote.name} but the server announced {expected:,} "
            "(Content-Length): the download was truncated; try again later"
        )
    if received == 0:
        raise FetchError(f"{url}: the server sent an empty file for {remote.name}")
    _check_size(received, remote, url, "the file")
    return digest.hexdigest()


def _check_pin(sha: str, remote: RemoteFile, release: Release, url: str) -> None:
    if remote.sha256 is not None and sha != remote.sha256:
        raise FetchError(
            f"{url}: the upstream file {remote.name} has changed: its SHA-256 is {sha}, but release "
            f"{release.source} {release.name} is pinned to {remote.sha256}. The publisher may have revised "
            f"the release ({release.page or 'see its release notes'}). Nothing was stored. If the new file "
            f"is genuine, download it by hand, check it, and import it with `critmin data import "
            f"{release.importer} PATH`; critmin's release table needs a new pin."
        )


def _record_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256")


def _recorded_sha(target: Path) -> str | None:
    """The SHA-256 recorded when ``target`` was downloaded and checked, if any."""
    record = _record_path(target)
    if not record.is_file():
        return None
    return record.read_text().split(maxsplit=1)[0] if record.read_text().strip() else None


def download(
    release: Release,
    dest_dir: Path,
    base_url: str | None = None,
    timeout: float = 60,
    progress: FetchProgress | None = None,
) -> list[Path]:
    """Download and check the files of a release into ``dest_dir``; return their paths.

    A file already in ``dest_dir`` whose SHA-256 matches the release's pin (or, for a file
    without pin, the ``<name>.sha256`` record written when it was downloaded and checked) is not
    downloaded again. A new file is written to a temporary name in ``dest_dir`` and renamed into
    place only once every check passed, so a failure leaves ``dest_dir`` as it was.

    Parameters
    ----------
    release
        What to download (see :func:`plan`).
    dest_dir
        Folder to save into (created if needed).
    base_url
        Stand-in for the publishers' scheme and host (a mirror or a test server).
    timeout
        Seconds to wait for the connection and for each read.
    progress
        Called with (description, bytes done, bytes total or None).

    Raises
    ------
    FetchError
        HTTP error or unreachable host, truncated body, HTML page instead of data, size outside
        the expected range, or SHA-256 different from the pin.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for remote in release.files:
        target = dest_dir / remote.name
        url = rebase(remote.url, base_url)
        if target.is_file() and sha256_of(target) == (remote.sha256 or _recorded_sha(target)):
            paths.append(target)
            continue
        handle, name = tempfile.mkstemp(prefix=f".{remote.name}.", suffix=".part", dir=dest_dir)
        os.close(handle)
        part = Path(name)
        try:
            with _open(url, timeout) as response:
                sha = _stream(response, part, remote, url, progress)
            _check_pin(sha, remote, release, url)
            os.replace(part, target)
            _record_path(target).write_text(f"{sha}  {target.name}\n")
        finally:
            part.unlink(missing_ok=True)
        paths.append(target)
    return paths


def downloads_dir(release: Release) -> Path:
    """``$CRITMIN_HOME/downloads/<source>/<release>/`` (spaces in release names become ``_``)."""
    return settings.home() / "downloads" / release.source / release.name.replace(" ", "_")


def fetch(
    db: Importing,
    source: str,
    release: str | None = None,
    base_url: str | None = None,
    years: Sequence[int] | None = None,
    progress: FetchProgress | None = None,
    timeout: float = 60,
) -> list[Any]:
    """Download a release from its publisher and import it as new vintages (one transaction).

    Parameters
    ----------
    db
        The store handle to import into (a :class:`critmin.api.Critmin`).
    source, release
        What to fetch (see :data:`RELEASES`); the newest release by default.
    base_url
        Stand-in for the publishers' hosts; default the ``CRITMIN_FETCH_BASE_URL`` setting.
    years
        Years to import (BACI only); default all years of the release.
    progress
        Called with (description, bytes done, bytes total or None) during download and import.
    timeout
        Seconds to wait for the connection and for each read.

    Returns
    -------
    list of ImportOutcome
        One per file: ``added`` or ``unchanged`` (already stored).

    Raises
    ------
    FetchError
        The download failed or is not the expected file; nothing was stored.
    IngestError
        The file's format changed so that the importer cannot read it; nothing was stored.
    """
    chosen = plan(source, release)
    options = dict(chosen.options)
    if years:
        if not chosen.accepts_years:
            raise CritminError(f"--year applies to BACI only, not to {source}")
        options["years"] = sorted({int(y) for y in years})
    paths = download(chosen, downloads_dir(chosen), base_url or base_url_setting(), timeout, progress)
    total = sum(p.stat().st_size for p in paths)

    def report(done: int, _total: int) -> None:
        if progress is not None:
            progress(f"importing {chosen.source} {chosen.name}", done, total)

    return db.import_files(chosen.importer, paths, progress=report if progress else None, **options)
