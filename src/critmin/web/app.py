"""The FastAPI app: REST API under ``/api``, dashboard pages, offline assets, errors without traces.

:func:`create_app` builds one app for one store. Reads go through a pool of read-only connections
(:mod:`critmin.web.readers`) and pages read the store's precomputed tables; repeated GETs are
answered from memory until the store changes (:mod:`critmin.web.cache`). Writes (imports) run as
jobs on a copy that replaces the store when done, so reads never wait for an import. Every asset
(CSS, the dashboard's scripts, Vega, Swagger UI at ``/docs``) is served by the app itself:
nothing is fetched from a CDN.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from critmin import __version__
from critmin.errors import CritminError
from critmin.web.cache import ResponseCache
from critmin.web.config import WebConfig
from critmin.web.jobs import JobLimitError, JobManager, UnknownJobError
from critmin.web.middleware import BodyLimit, SecurityHeaders
from critmin.web.readers import Readers
from critmin.web.routes import ROUTERS
from critmin.web.routes.scenarios import SAVED_FOLDER
from critmin.web.security import TokenError

log = logging.getLogger("critmin.web")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
GZIP_MIN_BYTES = 2048
"""Answers at least this large are sent gzip-compressed to clients that accept it."""
DOCS_CSP = SECURITY_HEADERS["Content-Security-Policy"].replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
)


def _static_dir(package: str, *parts: str) -> Path:
    return Path(str(resources.files(package).joinpath(*parts)))


def _warm_chart_bundle() -> None:
    """Build or load the Vega bundle the pages' charts need (errors show on its first request)."""
    from critmin.charts import assets

    with contextlib.suppress(Exception):
        assets.vega_bundle()


def create_app(config: WebConfig, *, jobs: JobManager | None = None) -> FastAPI:
    """The app for one store; ``jobs`` may be given (tests), else it is started with the app."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = jobs is None
        app.state.jobs = jobs or JobManager(
            config.db_path,
            workers=config.workers,
            max_jobs=config.limits.max_jobs,
            kept_jobs=config.limits.kept_jobs,
        )
        # The chart bundle is built once per machine (about 2 s), then read from disk: do it now,
        # beside start-up, so the first page's charts do not wait for it.
        threading.Thread(target=_warm_chart_bundle, name="chart-bundle", daemon=True).start()
        try:
            yield
        finally:
            app.state.readers.close()
            if own:
                app.state.jobs.shutdown()

    app = FastAPI(
        title="critmin",
        version=__version__,
        summary="Critical-mineral supply-chain risk and resilience planning on real, traceable data.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.readers = Readers(config)
    if jobs is not None:
        app.state.jobs = jobs
    for router in ROUTERS:  # before the static mounts, which would answer /static/vendor/ too
        app.include_router(router)
    app.mount(
        "/static/docs", StaticFiles(directory=_static_dir("fastapi_offline", "static")), name="docs-static"
    )
    app.mount("/static", StaticFiles(directory=_static_dir("critmin.web", "static")), name="static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="critmin API",
            swagger_js_url="/static/docs/swagger-ui-bundle.js",
            swagger_css_url="/static/docs/swagger-ui.css",
            swagger_favicon_url="/static/docs/favicon.png",
        )
        page.headers["Content-Security-Policy"] = DOCS_CSP
        return page

    _error_handlers(app)
    app.add_middleware(
        BodyLimit,
        max_body=config.limits.max_body_bytes,
        max_upload=config.limits.max_upload_bytes,
        upload_prefix="/api/imports",
    )
    app.add_middleware(SecurityHeaders, headers=SECURITY_HEADERS)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES)
    if config.cache_responses:
        saved = Path(config.db_path).parent / SAVED_FOLDER
        app.add_middleware(ResponseCache, db_path=config.db_path, watched=[saved])
    return app


def _error(request: Request, status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    if request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    from critmin.web.routes.pages.render import error_page

    return error_page(request, status, detail)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TokenError)
    async def token(request: Request, error: TokenError) -> Response:
        return _error(request, 401, str(error), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(UnknownJobError)
    async def unknown_job(request: Request, error: UnknownJobError) -> Response:
        return _error(request, 404, str(error.args[0]) if error.args else "no such job")

    @app.exception_handler(JobLimitError)
    async def busy(request: Request, error: JobLimitError) -> Response:
        return _error(request, 429, str(error), {"Retry-After": "5"})

    @app.exception_handler(CritminError)
    async def critmin_error(request: Request, error: CritminError) -> Response:
        return _error(request, 400, str(error))

    @app.exception_handler(ValueError)
    async def value_error(request: Request, error: ValueError) -> Response:
        return _error(request, 400, str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(p) for p in item.get('loc', ()))}: {item.get('msg', 'invalid')}"
            for item in error.errors()
        ]
        return _error(request, 422, "; ".join(problems) or "invalid request")

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> Response:
        reference = uuid.uuid4().hex[:12]
        log.error("internal error %s on %s %s", reference, request.method, request.url.path, exc_info=error)
        return _error(request, 500, f"internal error (reference {reference}); the server log has the details")
