"""Routes of the REST API: sea-lane chokepoints, what passes each, and a country's imports through them.

Read through :mod:`critmin.services.chokepoints`, as the CLI reads them: from the store's derived
tables when fresh, otherwise computed on demand for one year. Rows carry ``provenance`` (the BACI
release and the routing method).
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from critmin import services
from critmin.sealanes.network import METHOD_VERSION
from critmin.sealanes.reference import chokepoints
from critmin.services.chokepoints import chokepoint
from critmin.web.deps import Limit, Offset, Store
from critmin.web.responses import TableFormat, table_response
from critmin.web.routes.data import Fmt
from critmin.web.routes.metrics import Iso3Path, ProfileYear, known_country

router = APIRouter(prefix="/api", tags=["sea lanes"])

ChokepointPath = Annotated[
    str, Path(pattern=r"^[A-Za-z_\- ]{2,40}$", description="Chokepoint id or name (hormuz, malacca, ...).")
]


@router.get("/chokepoints")
def chokepoint_list() -> JSONResponse:
    """The chokepoints critmin routes through: id, name, map marker, the gate across the strait, source."""
    rows = [
        {
            "id": p.id,
            "name": p.name,
            "marker": list(p.marker),
            "gate": [list(p.gate[0]), list(p.gate[1])],
            "source": p.source,
            "url": p.url,
        }
        for p in chokepoints()
    ]
    return JSONResponse({"method_version": METHOD_VERSION, "total": len(rows), "rows": rows})


@router.get("/chokepoints/{name}")
def chokepoint_flows(
    name: ChokepointPath,
    db: Store,
    year: ProfileYear = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """What passes one chokepoint in a year: per commodity and stage, the world's imports through it."""
    point = chokepoint(name)
    frame = services.chokepoint_flows(db, point.id, year=year)
    return table_response(frame, fmt, name=f"chokepoint-{point.id}", offset=offset, limit=limit)


@router.get("/profiles/chokepoints/{iso3}")
def country_chokepoints(
    iso3: Iso3Path,
    db: Store,
    year: ProfileYear = None,
    commodity: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9_ ,()\-]{1,60}$", description="Only this commodity.")
    ] = None,
    fmt: Fmt = TableFormat.json,
    offset: Offset = 0,
    limit: Limit = 1000,
) -> Response:
    """A country's imports through each chokepoint per commodity and stage (shares of all its imports)."""
    iso3 = known_country(db, iso3)
    frame: pd.DataFrame = services.country_chokepoints(db, iso3, year=year, commodity=commodity)
    return table_response(frame, fmt, name=f"chokepoints-{iso3}", offset=offset, limit=limit)
