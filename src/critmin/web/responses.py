"""Frames as responses: JSON (with pagination and sources), CSV or Parquet downloads."""

from __future__ import annotations

import io
import json
import math
from enum import StrEnum
from typing import Any

import pandas as pd
from fastapi.responses import JSONResponse, Response


class TableFormat(StrEnum):
    """Download formats of a table."""

    json = "json"
    csv = "csv"
    parquet = "parquet"


MEDIA = {
    TableFormat.csv: "text/csv; charset=utf-8",
    TableFormat.parquet: "application/vnd.apache.parquet",
}


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows: NaN and infinities become null, timestamps ISO strings."""
    text = frame.to_json(orient="records", date_format="iso", default_handler=str)
    rows: list[dict[str, Any]] = json.loads(text)
    return rows


def sources(frame: pd.DataFrame) -> list[str]:
    """The distinct provenance strings of a frame's ``provenance`` (or ``source``/``release``) columns."""
    found: list[str] = []
    if "provenance" in frame.columns:
        for value in frame["provenance"].dropna().astype(str):
            found.extend(p.strip() for p in value.split(";") if p.strip())
    elif {"source", "release"} <= set(frame.columns):
        found = [
            f"{s} {r}" for s, r in frame[["source", "release"]].drop_duplicates().itertuples(index=False)
        ]
    return list(dict.fromkeys(found))


def table_response(
    frame: pd.DataFrame,
    fmt: TableFormat = TableFormat.json,
    *,
    name: str = "table",
    offset: int = 0,
    limit: int | None = None,
) -> Response:
    """One page of a frame (``offset``, ``limit``) in the format asked; the total in ``X-Total-Count``."""
    total = len(frame)
    page = frame.iloc[offset : offset + limit] if limit is not None else frame.iloc[offset:]
    headers = {"X-Total-Count": str(total)}
    if fmt is TableFormat.json:
        body = {
            "total": total,
            "offset": offset,
            "limit": limit,
            "sources": sources(frame),
            "rows": records(page),
        }
        return JSONResponse(body, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt.value}"'
    if fmt is TableFormat.csv:
        return Response(page.to_csv(index=False), media_type=MEDIA[fmt], headers=headers)
    buffer = io.BytesIO()
    page.reset_index(drop=True).to_parquet(buffer, index=False)
    return Response(buffer.getvalue(), media_type=MEDIA[fmt], headers=headers)


def finite(value: float) -> float | None:
    """A float for JSON: ``None`` for NaN or infinities."""
    return value if math.isfinite(value) else None
