"""Data: store status, sources and vintages, catalogs, the canonical tables, and imports.

Every list takes filters (repeat a parameter for several values: ``?country=IND&country=JPN``),
``offset`` and ``limit``, and ``format=json|csv|parquet``. JSON answers carry ``sources`` (the
releases the rows come from) and every row its ``source``, ``release`` and ``vintage_id``.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import AsyncGenerator
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import Field, StringConstraints
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from critmin.api import Critmin
from critmin.errors import CritminError
from critmin.web.deps import Bounds, Jobs, Limit, Offset, Store
from critmin.web.responses import TableFormat, table_response
from critmin.web.security import require_token

router = APIRouter(prefix="/api", tags=["data"])

MAX_VALUES = 50
"""Values one repeated filter may take."""

COUNTRY = r"^[\w][\w .,'()\-]{1,59}$"
"""A country as people type it: an ISO3 or ISO2 code or a name (resolved by :mod:`critmin.names`)."""
Iso3 = Annotated[str, StringConstraints(pattern=COUNTRY)]
CommodityName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_ ,()\-]{1,60}$")]
StageName = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,30}$")]
Hs6 = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
Year = Annotated[int, Field(ge=1990, le=2100)]
Indicator = Literal["va", "pv", "ge", "rq", "rl", "cc"]

Countries = Annotated[
    list[Iso3] | None,
    Query(max_length=MAX_VALUES, description="Country: ISO3/ISO2 code or name (IND, IN, India); repeatable."),
]
Commodities = Annotated[
    list[CommodityName] | None,
    Query(max_length=MAX_VALUES, description="Commodity id(s) or name(s), e.g. rare_earths; repeatable."),
]
Stages = Annotated[
    list[StageName] | None,
    Query(max_length=MAX_VALUES, description="Stage(s): mine, refinery...; repeatable."),
]
Years = Annotated[
    list[Year] | None, Query(max_length=MAX_VALUES, description="Year(s), 1990–2100; repeatable.")
]
Fmt = Annotated[TableFormat, Query(alias="format", description="json (paged), csv or parquet.")]
Vintage = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9 ._\-]{1,60}$",
        description="A release (MCS2024) or vintage id; default: each slice from its newest release.",
    ),
]

ImportSource = Literal["usgs-mcs", "baci", "comtrade", "wgi", "wmd", "lists", "restrictions"]
"""The importers of ``critmin data import`` (:data:`critmin.ingest.registry.IMPORTERS`)."""
OPTION = re.compile(r"^([a-z_]{1,30})=([A-Za-z0-9 ._\-]{0,60})$")
UPLOAD_CHUNK = 1 << 20


def _many(values: list[Any] | None) -> list[Any] | None:
    """``None`` for an absent filter, else the list of values."""
    return list(values) if values else None


def _vintage(value: str | None) -> str | int | None:
    """A release name, or a vintage id given as digits."""
    return int(value) if value is not None and value.isdigit() else value


def _page(frame: pd.DataFrame, fmt: TableFormat, name: str, offset: int, limit: int) -> Response:
    return table_response(frame, fmt, name=name, offset=offset, limit=limit)


# -- status, sources, catalogs ---------------------------------------------------------------


def _row_counts(value: Any) -> dict[str, int]:
    try:
        counts = json.loads(value) if isinstance(value, str) else dict(value or {})
    except (TypeError, ValueError):
        return {}
    return {str(k): int(v) for k, v in counts.items()}


def store_status(db: Critmin) -> dict[str, Any]:
    """What ``critmin data status`` shows, read through the API: vintages, tables, coverage.

    ``vintages``: one row per source and release (files, rows, licence); ``tables``: rows and
    vintages stored per canonical table (over all vintages); ``commodities``: per commodity the
    production stages, years and producing countries and the reserve countries (newest release
    of each slice, all production sources).
    """
    vintages = db.vintages()
    counts = vintages["row_counts"].map(_row_counts)
    summary = (
        vintages.assign(rows=counts.map(lambda c: sum(c.values())))
        .groupby(["source", "dataset", "release"], dropna=False)
        .agg(
            release_date=("release_date", "min"),
            files=("vintage_id", "count"),
            rows=("rows", "sum"),
            licence=("licence", "first"),
        )
        .reset_index()
        .sort_values(["source", "release_date"], ascending=[True, False], ignore_index=True)
    )
    per_table: dict[str, dict[str, int]] = {}
    for vintage_counts in counts:
        for table, rows in vintage_counts.items():
            entry = per_table.setdefault(table, {"rows": 0, "vintages": 0})
            entry["rows"] += rows
            entry["vintages"] += 1
    tables = [{"table": table, **entry} for table, entry in sorted(per_table.items())]
    return {
        "store": db.path.name,
        "vintages": summary,
        "tables": tables,
        "commodities": commodity_coverage(db),
    }


def commodity_coverage(db: Critmin) -> pd.DataFrame:
    """Per commodity: production stages, first and last year, producers, reserve countries, sources."""
    production = db.production(source=None)
    reserves = db.reserves(source=None)
    names = db.commodities().set_index("commodity")["name"]
    produced = production.groupby("commodity").agg(
        stages=("stage", lambda s: ",".join(sorted(set(s)))),
        first_year=("year", "min"),
        last_year=("year", "max"),
        producers=("country", "nunique"),
        sources=("source", lambda s: ",".join(sorted(set(s)))),
    )
    reserve_countries = reserves.groupby("commodity")["country"].nunique().rename("reserve_countries")
    coverage = produced.join(reserve_countries, how="outer").reset_index()
    coverage.insert(1, "name", coverage["commodity"].map(names))
    return coverage.sort_values("commodity", ignore_index=True)


@router.get("/status")
def status(db: Store) -> JSONResponse:
    """Vintages by source and release, rows per table and coverage by commodity (as `critmin data status`)."""
    found = store_status(db)
    vintages: pd.DataFrame = found["vintages"]
    coverage: pd.DataFrame = found["commodities"]
    body = {
        "store": found["store"],
        "vintages": json.loads(vintages.to_json(orient="records", date_format="iso")),
        "tables": found["tables"],
        "commodities": json.loads(coverage.to_json(orient="records")),
        "sources": [f"{s} {r}" for s, r in vintages[["source", "release"]].itertuples(index=False)],
    }
    return JSONResponse(body)


@router.get("/sources")
def sources(db: Store, fmt: Fmt = TableFormat.json, offset: Offset = 0, limit: Limit = 1000) -> Response:
    """Each source with its releases, licence, citation and number of files."""
    return _page(db.sources(), fmt, "sources", offset, limit)


@router.get("/vintages")
def vintages(
    db: Store,
    source: Annotated[
        str | None, Query(pattern=r"^[a-z0-9_]{1,40}$", description="Only this source.")
    ] = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Every stored vintage (one per imported file), newest release first, with its row counts."""
    frame = db.vintages()
    if source is not None:
        frame = frame[frame["source"] == source]
    return _page(frame, fmt, "vintages", offset, limit)


@router.get("/commodities")
def commodities(db: Store, fmt: Fmt = TableFormat.json, offset: Offset = 0, limit: Limit = 1000) -> Response:
    """The commodity catalog: id, name, family, parent and symbol."""
    return _page(db.commodities(), fmt, "commodities", offset, limit)


@router.get("/places")
def places(
    db: Store,
    aggregates: Annotated[bool, Query(description="Include aggregates (World, regions).")] = True,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Country and aggregate codes with their names."""
    frame = db.places()
    if not aggregates:
        frame = frame[~frame["is_aggregate"]]
    return _page(frame, fmt, "places", offset, limit)


# -- canonical tables --------------------------------------------------------------------------


@router.get("/production")
def production(
    db: Store,
    commodity: Commodities = None,
    stage: Stages = None,
    country: Countries = None,
    year: Years = None,
    source: Annotated[
        Literal["usgs_mcs", "wmd", "all"], Query(description="usgs_mcs (default), wmd, or all.")
    ] = "usgs_mcs",
    aggregates: Annotated[bool, Query(description="Include World total and Other countries.")] = False,
    vintage: Vintage = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Production by commodity, stage, country and year (`Critmin.production`)."""
    frame = db.production(
        _many(commodity),
        _many(stage),
        _many(country),
        _many(year),
        source=None if source == "all" else source,
        vintage=_vintage(vintage),
        aggregates=aggregates,
    )
    return _page(frame, fmt, "production", offset, limit)


@router.get("/reserves")
def reserves(
    db: Store,
    commodity: Commodities = None,
    country: Countries = None,
    year: Years = None,
    aggregates: Annotated[bool, Query(description="Include World total and Other countries.")] = False,
    vintage: Vintage = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Reserves by commodity and country (`Critmin.reserves`)."""
    frame = db.reserves(
        _many(commodity), _many(country), _many(year), vintage=_vintage(vintage), aggregates=aggregates
    )
    return _page(frame, fmt, "reserves", offset, limit)


@router.get("/trade")
def trade(
    db: Store,
    year: Years = None,
    exporter: Countries = None,
    importer: Countries = None,
    hs6: Annotated[list[Hs6] | None, Query(max_length=MAX_VALUES, description="HS6 code(s).")] = None,
    commodity: Commodities = None,
    nomenclature: Annotated[
        str, Query(pattern=r"^HS[0-9]{2}$", description="HS92 (default) or HS17.")
    ] = "HS92",
    vintage: Vintage = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Bilateral trade in USD and tonnes (`Critmin.trade`).

    Needs a ``year`` or an ``hs6``/``commodity`` filter, so one request reads at most one slice of
    the table (a year is ~50,000 rows), not all of it.
    """
    if not year and not hs6 and not commodity:
        raise HTTPException(
            400,
            "year, hs6 or commodity: trade needs at least one of these filters (the table holds over "
            "a million rows; one request reads a year or some products)",
        )
    frame = db.trade(
        _many(year),
        _many(exporter),
        _many(importer),
        _many(hs6),
        commodity=_many(commodity),
        nomenclature=nomenclature,
        vintage=_vintage(vintage),
    )
    return _page(frame, fmt, "trade", offset, limit)


@router.get("/governance")
def governance(
    db: Store,
    country: Countries = None,
    indicator: Annotated[
        list[Indicator] | None, Query(max_length=6, description="WGI indicator(s): va pv ge rq rl cc.")
    ] = None,
    year: Years = None,
    vintage: Vintage = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Worldwide Governance Indicators by country, indicator and year (`Critmin.governance`)."""
    frame = db.governance(_many(country), _many(year), _many(indicator), vintage=_vintage(vintage))
    return _page(frame, fmt, "governance", offset, limit)


@router.get("/lists")
def lists(
    db: Store,
    jurisdiction: Countries = None,
    commodity: Commodities = None,
    list_year: Annotated[list[Year] | None, Query(max_length=MAX_VALUES, description="List year(s).")] = None,
    vintage: Vintage = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Official critical-mineral lists by jurisdiction (ISO3, EUU for the EU) (`Critmin.lists`)."""
    frame = db.lists(_many(jurisdiction), _many(commodity), _many(list_year), vintage=_vintage(vintage))
    return _page(frame, fmt, "lists", offset, limit)


@router.get("/restrictions")
def restrictions(
    db: Store,
    country: Countries = None,
    commodity: Commodities = None,
    vintage: Vintage = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """Export-restriction measures, one row per measure and commodity (`Critmin.restrictions`)."""
    frame = db.restrictions(_many(country), _many(commodity), vintage=_vintage(vintage))
    return _page(frame, fmt, "restrictions", offset, limit)


# -- imports -------------------------------------------------------------------------------------

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


def safe_name(filename: str | None) -> str:
    """The uploaded file's base name with only letters, digits, ``._-`` (importers read names)."""
    base = FilePath((filename or "").replace("\\", "/")).name
    cleaned = re.sub(r"[^A-Za-z0-9._\-]", "_", base).lstrip(".")[:120]
    return cleaned or "upload.csv"


async def _bounded(request: Request, ceiling: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > ceiling:
            raise HTTPException(413, f"file: upload larger than {ceiling:,} bytes")
        yield chunk


async def receive_upload(request: Request, ceiling: int, folder: FilePath) -> FilePath:
    """Stream one multipart ``file`` into ``folder``, refusing bodies beyond ``ceiling`` bytes."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "file: send the file as multipart/form-data, field 'file'")
    parser = MultiPartParser(request.headers, _bounded(request, ceiling), max_files=1, max_fields=5)
    try:
        form = await parser.parse()
    except MultiPartException as error:
        raise HTTPException(400, f"file: {error.message}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise HTTPException(400, "file: the form has no file field 'file'")
    target = folder / safe_name(upload.filename)
    try:
        with target.open("wb") as out:
            while chunk := await upload.read(UPLOAD_CHUNK):
                out.write(chunk)
    finally:
        await upload.close()
    if target.stat().st_size == 0:
        raise HTTPException(400, f"file: {target.name} is empty")
    return target


def parse_options(items: list[str] | None) -> dict[str, str]:
    """``KEY=VALUE`` importer options as a dict."""
    options: dict[str, str] = {}
    for item in items or []:
        match = OPTION.match(item)
        if match is None:
            raise CritminError(f"option: {item!r} is not KEY=VALUE (key a-z_, value letters, digits, ._- )")
        options[match.group(1)] = match.group(2).strip()
    return options


@router.post(
    "/imports/{source}",
    status_code=202,
    dependencies=[Depends(require_token)],
    openapi_extra=UPLOAD_BODY,
)
async def import_file(
    request: Request,
    source: Annotated[ImportSource, Path(description="The importer, as in `critmin data import`.")],
    manager: Jobs,
    bounds: Bounds,
    option: Annotated[
        list[str] | None,
        Query(max_length=10, description="Importer option KEY=VALUE (nomenclature=HS92); repeatable."),
    ] = None,
) -> dict[str, str]:
    """Import one raw file (multipart field ``file``) as a new vintage; needs the write token.

    Runs as a job on a copy of the store that replaces it when the import succeeds, so reads go on
    meanwhile; a malformed file fails the job with the importer's message and changes nothing.
    """
    options = parse_options(option)
    folder = FilePath(tempfile.mkdtemp(prefix="critmin-upload-"))
    try:
        path = await receive_upload(request, bounds.max_upload_bytes, folder)
        job = manager.submit(
            "import",
            {"source": source, "files": [str(path)], "options": options, "upload_dir": str(folder)},
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return {"job": job.id, "status_url": f"/api/jobs/{job.id}"}
