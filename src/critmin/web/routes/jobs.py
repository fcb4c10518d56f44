"""Jobs: status and progress, and each finished job's results as JSON, CSV or Parquet (or a file)."""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from critmin.web.deps import Jobs, Limit, Offset
from critmin.web.jobs import UnknownJobError
from critmin.web.responses import TableFormat, table_response

router = APIRouter(prefix="/api/jobs", tags=["jobs"])
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The id a submit returned.")]
ResultName = Annotated[str, Path(pattern=r"^[a-z0-9_]{1,40}$", description="One of the job's `results`.")]
FILE_TYPES = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf", ".json": "application/json"}


@router.get("")
def list_jobs(manager: Jobs) -> list[dict[str, Any]]:
    """Every job kept, oldest first: status, progress, message."""
    return [job.public() for job in manager.jobs()]


@router.get("/{job_id}")
def job_status(job_id: JobId, manager: Jobs) -> dict[str, Any]:
    """A job's status (queued, running, done, failed), progress in [0, 1], message and result names."""
    return manager.get(job_id).public()


@router.get("/{job_id}/results/{name}")
def job_result(
    job_id: JobId,
    name: ResultName,
    manager: Jobs,
    offset: Offset = 0,
    limit: Limit = 1000,
    fmt: Annotated[TableFormat, Query(alias="format")] = TableFormat.json,
) -> Response:
    """One result of a finished job: a table (paged, in the format asked), a list, or a file."""
    job = manager.get(job_id)
    if job.status != "done" or job.result is None:
        return JSONResponse({"detail": f"job {job_id} is {job.status}", "job": job.public()}, status_code=409)
    if name not in job.result:
        raise UnknownJobError(
            f"job {job_id} has no result {name!r} (it has: {', '.join(sorted(job.result))})"
        )
    value = job.result[name]
    if isinstance(value, pd.DataFrame):
        return table_response(value, fmt, name=f"{job.kind}-{name}", offset=offset, limit=limit)
    if isinstance(value, dict) and "filename" in value and "content" in value:
        suffix = "." + str(value["filename"]).rsplit(".", 1)[-1]
        return Response(
            value["content"],
            media_type=FILE_TYPES.get(suffix, "application/octet-stream"),
            headers={"Content-Disposition": f'attachment; filename="{value["filename"]}"'},
        )
    return JSONResponse({"name": name, "value": value})
