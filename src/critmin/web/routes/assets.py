"""Vendored JavaScript served by the app itself: the Vega bundle the dashboard charts run on."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from critmin.charts import assets

router = APIRouter(include_in_schema=False)
BUNDLE_PATH = "/static/vendor/vega-bundle.js"
CACHE_CONTROL = "public, max-age=31536000, immutable"


@router.get(BUNDLE_PATH)
def vega_bundle(request: Request) -> Response:
    """Vega, Vega-Lite and Vega-Embed in one file (built once per version, then cached)."""
    tag = f'"{assets.etag()}"'
    headers = {"Cache-Control": CACHE_CONTROL, "ETag": tag}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return Response(assets.vega_bundle(), media_type="text/javascript; charset=utf-8", headers=headers)
