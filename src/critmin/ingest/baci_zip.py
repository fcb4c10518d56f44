"""A zip of an official CEPII BACI release: ``BACI_HS92_Y<year>_V<release>.csv`` members.

The chosen year members and the release's ``country_codes_V<release>.csv`` are extracted to a
temporary folder and read by :func:`critmin.ingest.baci.read_files`, one member at a time, while
the zip's SHA-256 is computed on a second thread. When ``years=`` takes only some years, the
vintage's checksum is the zip's SHA-256 combined with the years taken, so that importing other
years of the same zip later adds them as another vintage.
"""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from critmin.errors import IngestError
from critmin.ingest import baci
from critmin.ingest.base import Parsed, ProgressCallback, sha256_of


def parse_zip(path: Path, options: dict[str, object]) -> Parsed:
    """Parse the chosen years of a BACI release zip (see :func:`critmin.ingest.baci.parse`)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IngestError(f"not a readable zip file: {exc}", path=str(path)) from exc
    with archive:
        members: dict[int, str] = {}
        hs: set[str] = set()
        versions: set[str] = set()
        codes_member = None
        for name in archive.namelist():
            data = baci._ZIP_MEMBER.search(name)
            codes = baci._CODES_MEMBER.search(name)
            if data:
                hs.add(data.group(1))
                members[int(data.group(2))] = name
                versions.add(data.group(3))
            elif codes:
                codes_member = name
        if not members or len(hs) != 1 or len(versions) != 1:
            raise IngestError(
                "expected members BACI_HS<nn>_Y<year>_V<release>.csv of one release; "
                f"found {archive.namelist()[:8]}",
                path=str(path),
            )
        wanted = baci.parse_years(options.get("years"))
        chosen = sorted(members) if wanted is None else sorted(set(members) & wanted)
        if not chosen or (wanted is not None and wanted - set(members)):
            raise IngestError(
                f"years {sorted(wanted or [])} asked for; the zip has {min(members)}-{max(members)}",
                path=str(path),
            )
        nomenclature = str(options.get("nomenclature") or f"HS{hs.pop()}").upper()
        version = "V" + str(options.get("version") or versions.pop()).removeprefix("V").removeprefix("v")
        with tempfile.TemporaryDirectory(prefix="critmin-baci-") as folder:
            files = [Path(archive.extract(members[year], folder)) for year in chosen]
            codes_path = baci._option_path(options.get("country_codes"))
            if codes_path is None and codes_member is not None:
                codes_path = Path(archive.extract(codes_member, folder))
            shown = [f"{path}!{members[year]}" for year in chosen]
            progress: ProgressCallback | None = options.get("progress")  # type: ignore[assignment]
            with ThreadPoolExecutor(max_workers=1) as hashing:
                hashed = hashing.submit(sha256_of, path)
                table, layout = baci.read_files(
                    files, codes_path, nomenclature, options, progress, display=shown
                )
            codes_note = codes_path.name if codes_path else None
    digest = hashed.result()
    if chosen != sorted(members):
        digest = hashlib.sha256(f"{digest}:years={','.join(map(str, chosen))}".encode()).hexdigest()
    note = f"zip members for {', '.join(map(str, chosen))}"
    parsed = baci.build_parsed(
        path,
        digest,
        table,
        layout,
        nomenclature,
        version,
        note,
        Path(codes_note) if codes_note else None,
        options,
    )
    return parsed
