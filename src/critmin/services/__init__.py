"""Services: the one place pages, the REST API and the CLI read exposures, sources and mineral views from.

Each function takes a :class:`critmin.api.Critmin` and returns a frame with provenance. It reads
the precomputed derived tables (:mod:`critmin.derived`) when they are fresh for the store's
current data, and otherwise (an old store, a write that skipped the refresh, a year or country
they do not hold, or a handle opened with ``derived=False``) computes on demand exactly as
:mod:`critmin.profiles` does. :func:`state_key` names the data state for caches.

Layering rule: services read through :mod:`critmin.api` and its store handle and compute with
:mod:`critmin.profiles`, :mod:`critmin.derived` and :mod:`critmin.metrics`; they write nothing.
"""

from critmin.services.chokepoints import chokepoint_flows, country_chokepoints
from critmin.services.exposures import compare, exposure_years, exposures, pair
from critmin.services.freshness import state_key, uses_derived
from critmin.services.minerals import mineral_concentration, mineral_flows, mineral_producers
from critmin.services.sources import import_sources

__all__ = [
    "chokepoint_flows",
    "compare",
    "country_chokepoints",
    "exposure_years",
    "exposures",
    "import_sources",
    "mineral_concentration",
    "mineral_flows",
    "mineral_producers",
    "pair",
    "state_key",
    "uses_derived",
]
