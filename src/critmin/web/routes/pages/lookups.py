"""Small reads every page needs (names, vintages, years), kept per store state, and input checks.

Each is cached under :func:`critmin.web.deps.store_key`, which an import changes, so a page never
shows names or vintages older than the store.
"""

from __future__ import annotations

import functools
import re

import pandas as pd
from fastapi import Request

from critmin import services
from critmin.api import Critmin
from critmin.errors import CritminError
from critmin.web.deps import reader, store_key
from critmin.web.routes import data
from critmin.web.routes.pages.errors import PageError

COUNTRY = re.compile(data.COUNTRY)
COMMODITY = re.compile(r"^[A-Za-z0-9_ ,()-]{1,60}$")
METHODS = {"eu": "EU supply risk", "geopolrisk": "GeoPolRisk", "usgs": "USGS supply risk"}


class Lookups:
    """The names and years of one store state."""

    def __init__(self, db: Critmin) -> None:
        self.db = db

    @functools.cached_property
    def vintages(self) -> str:
        """Every stored source with its releases, for the page footer."""
        frame = self.db.vintages()
        releases = frame.groupby("source")["release"].agg(lambda r: ", ".join(sorted(set(r.astype(str)))))
        return "; ".join(f"{source}: {release}" for source, release in releases.items())

    @functools.cached_property
    def _places(self) -> pd.DataFrame:
        return self.db.places()

    @functools.cached_property
    def places(self) -> dict[str, str]:
        """Countries (no aggregates), ISO3 -> name, by name."""
        frame = self._places[~self._places["is_aggregate"].astype(bool)].sort_values("name")
        return {str(c): str(n) for c, n in zip(frame["code"], frame["name"], strict=True)}

    @functools.cached_property
    def labels(self) -> dict[str, str]:
        """Every place, aggregates too ("OTH" -> "Other countries"), code -> name."""
        frame = self._places
        return {str(c): str(n) for c, n in zip(frame["code"], frame["name"], strict=True)}

    def label(self, code: object) -> str:
        """The name of a place code, the code itself when the store has none."""
        return self.labels.get(str(code), str(code))

    @functools.cached_property
    def minerals(self) -> dict[str, str]:
        """Catalog minerals, id -> name."""
        frame = self.db.commodities()
        return {str(c): str(n) for c, n in zip(frame["commodity"], frame["name"], strict=True)}

    @functools.cached_property
    def traded_minerals(self) -> dict[str, str]:
        """Catalog commodities with HS92 codes (the ones a scenario can hit), id -> name, by name."""
        codes = self.db.hs_codes()
        traded = set(codes.loc[codes["nomenclature"] == "HS92", "commodity"])
        return dict(sorted(((c, self.minerals.get(c, c)) for c in traded), key=lambda item: item[1]))

    @functools.cached_property
    def years(self) -> list[int]:
        """Years with both production and trade: the years a profile can be shown for."""
        return services.exposure_years(self.db)


@functools.lru_cache(maxsize=4)
def _lookups(key: str, db: Critmin) -> Lookups:
    return Lookups(db)


def lookups(request: Request) -> Lookups:
    """The lookups of the store the request reads."""
    return _lookups(store_key(request), reader(request))


def vintages(request: Request) -> str:
    """The store's sources and releases, for the footer."""
    return lookups(request).vintages


def country(names: Lookups, value: str, field: str) -> str:
    """The ISO3 code of a country in the store, from a code or name; else a 404 naming the field."""
    if not COUNTRY.match(value):
        raise PageError(f"{field}: {value[:20]!r} is not a country code or name", 404)
    try:
        code = names.db.country_code(value)
    except CritminError as error:
        raise PageError(f"{field}: {error}", 404) from None
    if code not in names.places:
        raise PageError(f"{field}: no country {value[:20]!r} in the store (an ISO3 code such as IND)", 404)
    return code


def commodity(names: Lookups, value: str) -> str:
    """A commodity id of the catalog, from an id or a name; else a 404 naming the field."""
    if not COMMODITY.match(value):
        raise PageError(f"commodity: {value[:40]!r} is not a commodity id", 404)
    try:
        return names.db.commodity_id(value)
    except CritminError as error:
        raise PageError(f"commodity: {error}", 404) from None


def method(value: str) -> str:
    """A criticality method id."""
    if value not in METHODS:
        raise PageError(f"method: choose from {', '.join(METHODS)}")
    return value


def year(names: Lookups, value: int | None) -> int:
    """A year the store has profiles for (default the latest)."""
    if value is None:
        return names.years[-1]
    if value not in names.years:
        raise PageError(f"year: {value} has no profiles; choose from {names.years[0]}–{names.years[-1]}")
    return value
