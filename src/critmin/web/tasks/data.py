"""Imports into the store, run on a copy that replaces the store when done (readers never wait)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from critmin.errors import CritminError
from critmin.web.jobs import Report
from critmin.web.tasks import open_store, task


@task("import")
def import_files(db_path: Path, params: dict[str, Any], report: Report) -> dict[str, Any]:
    """Import uploaded files: ``{"source", "files": [paths], "options": {...}, "upload_dir"}``.

    The files are imported into a copy of the store that then replaces it atomically
    (:meth:`critmin.api.Critmin.import_files_on_copy`); a failure leaves the store as it was and fails
    the job with the importer's message. ``upload_dir`` (the uploads' temporary folder) is deleted
    when the job ends, whatever the outcome.
    """
    upload_dir = Path(params["upload_dir"])
    try:
        files = [Path(p) for p in params["files"]]
        names = ", ".join(p.name for p in files)
        report(0.05, f"importing {names} ({params['source']}) into a copy of the store")

        def progress(done: int, total: int) -> None:
            report(0.05 + 0.85 * done / max(total, 1), f"parsed {done:,} of {total:,} bytes")

        try:
            outcomes = open_store(db_path).import_files_on_copy(
                params["source"], files, progress=progress, **params.get("options", {})
            )
        except TypeError as error:  # an option the importer does not take
            raise CritminError(f"option: {error}") from None
        except CritminError as error:  # name the uploaded file, not its temporary folder
            raise CritminError(str(error).replace(f"{upload_dir}/", "")) from None
        report(0.95, "store replaced")
        table = pd.DataFrame(
            [
                {
                    "file": Path(o.path).name,
                    "source": o.source,
                    "release": o.release,
                    "status": o.status,
                    "vintage_id": o.vintage_id,
                    "rows": sum(o.rows.values()),
                    "tables": ", ".join(f"{k} {v}" for k, v in o.rows.items()),
                }
                for o in outcomes
            ]
        )
        return {"outcomes": table}
    finally:
        shutil.rmtree(upload_dir, ignore_errors=True)
