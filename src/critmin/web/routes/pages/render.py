"""The pages' common layout: the Jinja2 environment, ``render``, error pages and the error guard."""

from __future__ import annotations

import functools
import html
import inspect
from collections.abc import Callable
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from critmin.errors import CritminError
from critmin.web.jobs import UnknownJobError
from critmin.web.routes.pages.errors import PageError
from critmin.web.routes.pages.lookups import vintages

NAV = (
    ("overview", "/", "Overview"),
    ("minerals", "/minerals/rare_earths", "Minerals"),
    ("countries", "/countries/IND", "Countries"),
    ("compare", "/compare", "Compare"),
    ("chokepoints", "/chokepoints", "Chokepoints"),
    ("scenarios", "/scenarios/new", "Scenario builder"),
    ("partnership", "/partnership", "Partnership"),
    ("events", "/events", "Events"),
)


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment: templates from the package, autoescape on, undefined names fail."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("critmin.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _nav(current: str) -> list[dict[str, Any]]:
    return [{"href": href, "label": label, "current": key == current} for key, href, label in NAV]


def render(
    request: Request, template: str, *, title: str, current: str = "", status: int = 200, **context: Any
) -> HTMLResponse:
    """A page from ``template`` in the common layout (nav, footer with the data vintages)."""
    try:
        footer = vintages(request)
    except Exception:  # the footer must never break a page (or an error page)
        footer = "unavailable"
    body = (
        environment()
        .get_template(template)
        .render(title=title, nav=_nav(current), vintages=footer, **context)
    )
    return HTMLResponse(body, status_code=status)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An error page for browsers in the common layout (no trace)."""
    try:
        return render(request, "error.html.j2", title=f"Error {status}", status=status, detail=detail)
    except Exception:  # fall back to plain HTML rather than fail twice
        title = f"<!doctype html><title>critmin: error {status}</title><h1>Error {status}</h1>"
        return HTMLResponse(f"{title}<p>{html.escape(detail)}</p>", status_code=status)


def _error_of(request: Request, error: Exception) -> HTMLResponse:
    if isinstance(error, PageError):
        return error_page(request, error.status, str(error))
    if isinstance(error, UnknownJobError):
        return error_page(request, 404, str(error.args[0]) if error.args else "no such job")
    return error_page(request, 400, str(error))


def guarded(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Turn page errors and critmin errors into HTML error pages.

    A plain (``def``) handler stays plain, so FastAPI runs it in its thread pool and a page that
    reads for a while never holds the event loop.
    """
    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def waiting(request: Request, *args: Any, **kwargs: Any) -> Any:
            try:
                return await handler(request, *args, **kwargs)
            except (CritminError, ValueError) as error:
                return _error_of(request, error)

        return waiting

    @functools.wraps(handler)
    def plain(request: Request, *args: Any, **kwargs: Any) -> Any:
        try:
            return handler(request, *args, **kwargs)
        except (CritminError, ValueError) as error:
            return _error_of(request, error)

    return plain
