"""The dashboard's pages, one module per page; each reads through :mod:`critmin.services`.

:data:`router` combines them. Shared parts: :mod:`.render` (the Jinja2 environment and the page
shell), :mod:`.lookups` (names and validation per store state), :mod:`.blocks` (tables, charts,
notes) and :mod:`.exposure` (what the overview and country pages share).
"""

from fastapi import APIRouter

from critmin.web.routes.pages import (
    chokepoints,
    compare,
    countries,
    events,
    minerals,
    overview,
    partnership,
    scenarios,
)
from critmin.web.routes.pages.render import error_page
from critmin.web.routes.pages.scenarios import scenario_document

router = APIRouter(include_in_schema=False)
for _module in (overview, minerals, countries, compare, chokepoints, scenarios, partnership, events):
    router.include_router(_module.router)

__all__ = ["error_page", "router", "scenario_document"]
