"""Alerts: what in the event register needs attention as of a date, for the countries watched.

:func:`evaluate` reads an event frame (the register's columns, see :data:`EVENT_COLUMNS`) and a
frame of the watched countries' exposures (one row per country, commodity and stage with
``import_reliance``, ``top1_exporter``, ``top1_share``, ``import_hhi`` and ``provenance``, such as
:func:`critmin.profiles.country_profile` returns), optionally their imports through each sea-lane
chokepoint, and gives one row per alert. Five kinds:

``starts_soon`` / ``expires_soon``
    A waiver or restriction (:data:`DATED_TYPES`) whose ``valid_from`` / ``valid_to`` falls from
    ``as_of`` to ``as_of + horizon_days`` inclusive. It concerns a watched country that is its actor
    or one of its targets (every watched country when it has no targets). Severity ``high`` within
    :data:`URGENT_DAYS` days, else ``medium``.
``new_restriction_on_exposure``
    An ``export_control`` or ``export_ban`` that came into force or was announced from
    ``as_of - horizon_days`` to ``as_of`` (and has not ended), on a commodity where a watched country
    (not the actor; a target, or any country when there are no targets) has an import reliance of at
    least ``reliance_threshold`` or a top-supplier share or import HHI of at least
    ``concentration_threshold``. Severity ``high`` when the actor is that country's top supplier,
    else ``medium``.
``disruption_at_top_supplier``
    A ``supply_disruption`` or ``export_ban`` whose actor is a watched country's top supplier
    (``top1_exporter``) of one of the event's commodities, starting or announced within
    ``horizon_days`` of ``as_of`` (either side) and not ended. Severity ``high`` when that supplier's
    share is at least ``concentration_threshold``, else ``medium``.

``disruption_on_sea_lane``
    A ``supply_disruption`` or ``export_ban`` that names a ``chokepoint`` (the strait it sits on),
    starting or announced within ``horizon_days`` of ``as_of`` and not ended, where at least
    ``lane_threshold`` of a watched country's imports of a commodity (by value) pass that
    chokepoint (the ``lanes`` frame, :func:`critmin.services.country_chokepoints` rows). Severity
    ``high`` when the share is at least ``concentration_threshold``, else ``medium``. Every
    commodity when the event names none.

Events whose status is ``lifted`` or ``expired`` raise no alert. When an event names HS codes but
no commodities, it is matched to exposure rows through their ``trade_hs6`` column when present.
A commodity with several stages gives one alert, on its most concentrated stage (named in the
message).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from critmin.events.contract import EVENT_COLUMNS, EVENT_TYPES, STATUSES

REQUIRED_EVENT_COLUMNS = (
    "event_id",
    "type",
    "actor",
    "targets",
    "commodities",
    "valid_from",
    "valid_to",
    "status",
    "title",
    "publisher",
    "url",
    "published",
)
"""Columns :func:`evaluate` needs; the others of :data:`EVENT_COLUMNS` are optional."""

DATED_TYPES = frozenset({"sanction_waiver", "export_control", "export_ban", "import_restriction", "sanction"})
"""Waivers and restrictions whose start and end raise ``starts_soon`` / ``expires_soon``."""
RESTRICTION_TYPES = frozenset({"export_control", "export_ban"})
DISRUPTION_TYPES = frozenset({"supply_disruption", "export_ban"})
INACTIVE_STATUSES = frozenset({"lifted", "expired"})

EXPOSURE_COLUMNS = ("commodity", "import_reliance", "top1_exporter", "top1_share", "import_hhi", "provenance")
LANE_COLUMNS = (
    "importer",
    "commodity",
    "stage",
    "year",
    "chokepoint",
    "chokepoint_name",
    "share_usd",
    "provenance",
)
"""Columns a ``lanes`` frame needs: each watched country's imports through each chokepoint."""
"""Columns an exposure frame needs, besides the country (``importer`` or ``country``)."""

ALERT_COLUMNS = (
    "alert",
    "severity",
    "event_id",
    "country",
    "commodity",
    "message",
    "due",
    "source",
    "provenance",
)
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
URGENT_DAYS = 7
"""A start or end this many days away or fewer is a ``high`` alert."""

_ISO3 = re.compile(r"^[A-Z][A-Z0-9]{2}$")


def _missing(value: object) -> bool:
    """Whether a cell is null (None, NaN, NaT, pd.NA)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):  # lists and other non-scalars
        return False


def as_date(value: object, field: str) -> dt.date | None:
    """A date from a date, timestamp or ISO text; ``None`` for an empty value.

    Raises
    ------
    ValueError
        Naming ``field`` when the value is not a date.
    """
    if _missing(value):
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            pass
    raise ValueError(f"{field}: not a date (YYYY-MM-DD): {value!r}")


def split_list(value: object) -> list[str]:
    """The items of a comma-separated text (``"JPN, KOR"`` -> ``["JPN", "KOR"]``); empty for null."""
    if _missing(value):
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def text(value: object) -> str:
    """A cell as text: empty for null."""
    if _missing(value):
        return ""
    return str(value).strip()


def source_of(event: Mapping[str, Any]) -> str:
    """``publisher, URL, date`` of an event's source."""
    published = as_date(event.get("published"), f"event {text(event.get('event_id'))}: published")
    parts = [text(event.get("publisher")), text(event.get("url")), published.isoformat() if published else ""]
    return ", ".join(part for part in parts if part)


def _check_events(events: pd.DataFrame) -> None:
    if not isinstance(events, pd.DataFrame):
        raise ValueError(f"events: expected a DataFrame, got {type(events).__name__}")
    unknown = [c for c in events.columns if c not in EVENT_COLUMNS]
    if unknown:
        raise ValueError(
            f"events: unknown column(s) {', '.join(map(str, unknown))}; known: {', '.join(EVENT_COLUMNS)}"
        )
    missing = [c for c in REQUIRED_EVENT_COLUMNS if c not in events.columns]
    if missing:
        raise ValueError(f"events: missing column(s) {', '.join(missing)}")


def _check_exposures(exposures: pd.DataFrame) -> str:
    """The name of the exposure frame's country column."""
    if not isinstance(exposures, pd.DataFrame):
        raise ValueError(f"exposures: expected a DataFrame, got {type(exposures).__name__}")
    country = next((c for c in ("country", "importer") if c in exposures.columns), None)
    if country is None:
        raise ValueError("exposures: missing column 'importer' (or 'country')")
    missing = [c for c in EXPOSURE_COLUMNS if c not in exposures.columns]
    if missing:
        raise ValueError(f"exposures: missing column(s) {', '.join(missing)}")
    return country


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


class _Event:
    """One event row, parsed and checked."""

    def __init__(self, row: Mapping[str, Any], line: int) -> None:
        self.event_id = text(row.get("event_id"))
        where = f"events row {line} ({self.event_id or 'no event_id'})"
        if not self.event_id:
            raise ValueError(f"{where}: event_id: empty")
        self.type = text(row.get("type"))
        if self.type not in EVENT_TYPES:
            raise ValueError(f"{where}: type: unknown {self.type!r}; one of {', '.join(sorted(EVENT_TYPES))}")
        self.status = text(row.get("status"))
        if self.status and self.status not in STATUSES:
            raise ValueError(
                f"{where}: status: unknown {self.status!r}; one of {', '.join(sorted(STATUSES))}"
            )
        self.actor = text(row.get("actor"))
        self.targets = split_list(row.get("targets"))
        self.commodities = split_list(row.get("commodities"))
        self.hs_codes = split_list(row.get("hs_codes"))
        self.valid_from = as_date(row.get("valid_from"), f"{where}: valid_from")
        self.valid_to = as_date(row.get("valid_to"), f"{where}: valid_to")
        self.published = as_date(row.get("published"), f"{where}: published")
        self.title = text(row.get("title"))
        self.chokepoint = text(row.get("chokepoint"))
        self.source = source_of(row)

    def concerns(self, country: str) -> bool:
        """Whether the event bears on a country: its actor, a target, or anyone when it has no targets."""
        return not self.targets or country in self.targets or country == self.actor

    def ended(self, as_of: dt.date) -> bool:
        return self.status in INACTIVE_STATUSES or (self.valid_to is not None and self.valid_to < as_of)

    def label(self) -> str:
        return f"{self.title} [{self.event_id}]" if self.title else self.event_id


def _check_watched(watched: Iterable[str]) -> list[str]:
    if isinstance(watched, str):
        watched = [watched]
    out = []
    for code in watched:
        if not isinstance(code, str) or not _ISO3.match(code):
            raise ValueError(f"watched: not an ISO3 country code: {code!r}")
        out.append(code)
    return list(dict.fromkeys(out))


def _alert(
    kind: str,
    severity: str,
    event: _Event,
    country: str,
    commodity: str,
    message: str,
    due: dt.date | None,
    provenance: str,
) -> dict[str, object]:
    return {
        "alert": kind,
        "severity": severity,
        "event_id": event.event_id,
        "country": country,
        "commodity": commodity,
        "message": message,
        "due": due,
        "source": event.source,
        "provenance": provenance,
    }


def _dated_alerts(event: _Event, as_of: dt.date, horizon: int, watched: list[str]) -> list[dict[str, object]]:
    if event.type not in DATED_TYPES or event.status in INACTIVE_STATUSES:
        return []
    countries = [c for c in watched if event.concerns(c)] if watched else [""]
    kind_dates = (("starts_soon", "starts", event.valid_from), ("expires_soon", "expires", event.valid_to))
    out = []
    for kind, verb, when in kind_dates:
        if when is None or not 0 <= (when - as_of).days <= horizon:
            continue
        days = (when - as_of).days
        severity = "high" if days <= URGENT_DAYS else "medium"
        what = event.type.replace("_", " ")
        goods = f" on {', '.join(event.commodities)}" if event.commodities else ""
        for country in countries:
            message = (
                f"{event.label()}: the {what} by {event.actor or 'an unnamed actor'}{goods} {verb} on "
                f"{when.isoformat()}, {days} days after {as_of.isoformat()}"
                + (f" (it concerns {country})." if country else ".")
            )
            out.append(_alert(kind, severity, event, country, ",".join(event.commodities), message, when, ""))
    return out


def _rows_for(event: _Event, exposures: pd.DataFrame, country_column: str, country: str) -> pd.DataFrame:
    """The watched country's exposure rows on the event's goods, with the commodity they match."""
    mine = exposures[exposures[country_column] == country]
    if event.commodities:
        return mine[mine["commodity"].isin(event.commodities)]
    if event.hs_codes and "trade_hs6" in mine.columns:
        codes = set(event.hs_codes)
        hit = mine["trade_hs6"].map(lambda value: bool(codes & set(split_list(value))))
        return mine[hit]
    return mine.iloc[0:0]


def _exposure_text(row: pd.Series) -> str:
    stage = text(row.get("stage"))
    year = text(row.get("year"))
    where = ", ".join(part for part in (f"{stage} stage" if stage else "", year) if part)
    hhi = _number(row["import_hhi"])
    return (
        f"import reliance {_pct(_number(row['import_reliance']))}, top supplier "
        f"{text(row['top1_exporter']) or 'n/a'} with {_pct(_number(row['top1_share']))} of imports, "
        f"import HHI {'n/a' if hhi is None else f'{hhi:.2f}'}" + (f" ({where})" if where else "")
    )


def _most_concentrated(rows: pd.DataFrame) -> pd.Series:
    order = rows.assign(
        _share=pd.to_numeric(rows["top1_share"], errors="coerce").fillna(-1.0),
        _rel=pd.to_numeric(rows["import_reliance"], errors="coerce").fillna(-1.0),
    ).sort_values(["_share", "_rel"], ascending=False, kind="stable")
    return order.iloc[0]


def _restriction_alerts(
    event: _Event,
    as_of: dt.date,
    horizon: int,
    watched: list[str],
    exposures: pd.DataFrame,
    country_column: str,
    reliance_threshold: float,
    concentration_threshold: float,
) -> list[dict[str, object]]:
    if (
        event.type not in RESTRICTION_TYPES
        or event.status not in {"in_force", "announced"}
        or event.ended(as_of)
    ):
        return []
    window = [d for d in (event.valid_from, event.published) if d and 0 <= (as_of - d).days <= horizon]
    if not window:
        return []
    out = []
    for country in watched:
        if country == event.actor or (event.targets and country not in event.targets):
            continue
        rows = _rows_for(event, exposures, country_column, country)
        if rows.empty:
            continue
        reliance = pd.to_numeric(rows["import_reliance"], errors="coerce")
        share = pd.to_numeric(rows["top1_share"], errors="coerce")
        hhi = pd.to_numeric(rows["import_hhi"], errors="coerce")
        passing = rows[
            (reliance >= reliance_threshold)
            | (share >= concentration_threshold)
            | (hhi >= concentration_threshold)
        ]
        for commodity, group in passing.groupby("commodity", sort=True):
            row = _most_concentrated(group)
            top = text(row["top1_exporter"])
            severity = "high" if top and top == event.actor else "medium"
            when = (
                f"in force from {event.valid_from.isoformat()}"
                if event.valid_from and event.valid_from <= as_of
                else f"announced {event.published.isoformat() if event.published else 'recently'}"
                + (f", in force from {event.valid_from.isoformat()}" if event.valid_from else "")
            )
            message = (
                f"{event.label()}: {event.actor} {event.type.replace('_', ' ')} on {commodity} ({when}) "
                f"hits {country}: {_exposure_text(row)}; thresholds: reliance {_pct(reliance_threshold)}, "
                f"concentration {concentration_threshold:.2f}."
            )
            due = event.valid_from or event.published
            out.append(
                _alert(
                    "new_restriction_on_exposure",
                    severity,
                    event,
                    country,
                    str(commodity),
                    message,
                    due,
                    text(row["provenance"]),
                )
            )
    return out


def _disruption_alerts(
    event: _Event,
    as_of: dt.date,
    horizon: int,
    watched: list[str],
    exposures: pd.DataFrame,
    country_column: str,
    concentration_threshold: float,
) -> list[dict[str, object]]:
    if event.type not in DISRUPTION_TYPES or event.ended(as_of) or not event.actor:
        return []
    near = [d for d in (event.valid_from, event.published) if d and abs((d - as_of).days) <= horizon]
    if not near:
        return []
    out = []
    for country in watched:
        if country == event.actor or (event.targets and country not in event.targets):
            continue
        rows = _rows_for(event, exposures, country_column, country)
        rows = rows[rows["top1_exporter"].map(text) == event.actor]
        for commodity, group in rows.groupby("commodity", sort=True):
            row = _most_concentrated(group)
            share = _number(row["top1_share"])
            severity = "high" if share is not None and share >= concentration_threshold else "medium"
            start = event.valid_from or event.published
            message = (
                f"{event.label()}: {event.type.replace('_', ' ')} at {event.actor} from "
                f"{start.isoformat() if start else 'an unknown date'}; "
                f"{event.actor} is {country}'s top supplier of {commodity}: {_exposure_text(row)}."
            )
            out.append(
                _alert(
                    "disruption_at_top_supplier",
                    severity,
                    event,
                    country,
                    str(commodity),
                    message,
                    start,
                    text(row["provenance"]),
                )
            )
    return out


def _lane_alerts(
    event: _Event,
    as_of: dt.date,
    horizon: int,
    watched: list[str],
    lanes: pd.DataFrame,
    lane_threshold: float,
    concentration_threshold: float,
) -> list[dict[str, object]]:
    if event.type not in DISRUPTION_TYPES or not event.chokepoint or event.ended(as_of):
        return []
    near = [d for d in (event.valid_from, event.published) if d and abs((d - as_of).days) <= horizon]
    if not near:
        return []
    start = event.valid_from or event.published
    on_lane = lanes[(lanes["chokepoint"] == event.chokepoint) & (lanes["share_usd"] >= lane_threshold)]
    if event.commodities:
        on_lane = on_lane[on_lane["commodity"].isin(event.commodities)]
    out = []
    for country in watched:
        if country == event.actor or (event.targets and country not in event.targets):
            continue
        rows = on_lane[on_lane["importer"] == country]
        for commodity, group in rows.groupby("commodity", sort=True):
            row = group.sort_values("share_usd", ascending=False, kind="stable").iloc[0]
            share = float(row["share_usd"])
            severity = "high" if share >= concentration_threshold else "medium"
            message = (
                f"{event.label()}: {event.type.replace('_', ' ')} on the {text(row['chokepoint_name'])} from "
                f"{start.isoformat() if start else 'an unknown date'}; {_pct(share)} of {country}'s "
                f"{commodity} imports ({text(row['stage'])}, {int(row['year'])}, by value) pass it."
            )
            out.append(
                _alert(
                    "disruption_on_sea_lane",
                    severity,
                    event,
                    country,
                    str(commodity),
                    message,
                    start,
                    text(row["provenance"]),
                )
            )
    return out


def _check_lanes(lanes: pd.DataFrame) -> None:
    missing = [c for c in LANE_COLUMNS if c not in lanes.columns]
    if missing:
        raise ValueError(f"lanes: missing column(s) {missing}; expected {list(LANE_COLUMNS)}")


def evaluate(
    events: pd.DataFrame,
    as_of: dt.date | str,
    watched: Iterable[str],
    exposures: pd.DataFrame | None,
    *,
    lanes: pd.DataFrame | None = None,
    horizon_days: int = 30,
    reliance_threshold: float = 0.5,
    concentration_threshold: float = 0.25,
    lane_threshold: float = 0.1,
) -> pd.DataFrame:
    """The alerts the events raise as of a date for the watched countries.

    Parameters
    ----------
    events
        Event rows with the columns of :data:`REQUIRED_EVENT_COLUMNS` (and optionally the rest of
        :data:`EVENT_COLUMNS`; any other column is an error).
    as_of
        The date the alerts are evaluated on (a date or ``YYYY-MM-DD``).
    watched
        ISO3 codes of the countries watched. Empty: date alerts only, with an empty ``country``.
    exposures
        One row per country, commodity (and stage) with ``importer`` (or ``country``) and
        :data:`EXPOSURE_COLUMNS`, e.g. ``critmin.profiles.country_profile(db, "JPN", 2024)``
        concatenated over the watched countries. ``None``: date alerts only.
    lanes
        The watched countries' imports through each chokepoint (:data:`LANE_COLUMNS`), for
        ``disruption_on_sea_lane``; ``None``: no sea-lane alerts.
    horizon_days
        How far ahead a start or end raises an alert, and how far back a restriction is new.
    reliance_threshold, concentration_threshold
        Import reliance, and top-supplier share or import HHI, at or above which a new
        restriction on the commodity is an alert.
    lane_threshold
        Share of a commodity's imports through a chokepoint at or above which a disruption on it
        is an alert.

    Returns
    -------
    pandas.DataFrame
        One row per alert with :data:`ALERT_COLUMNS`, highest severity first, then by ``due``.

    Raises
    ------
    ValueError
        Naming the field: unknown or missing columns, ``as_of`` not a date, a bad event cell, a
        watched code that is not ISO3, a negative horizon or a threshold outside 0-1.
    """
    day = as_date(as_of, "as_of")
    if day is None:
        raise ValueError(f"as_of: not a date (YYYY-MM-DD): {as_of!r}")
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or horizon_days < 0:
        raise ValueError(f"horizon_days: a whole number of days >= 0, got {horizon_days!r}")
    for name, value in (
        ("reliance_threshold", reliance_threshold),
        ("concentration_threshold", concentration_threshold),
        ("lane_threshold", lane_threshold),
    ):
        if not 0 <= value <= 1:
            raise ValueError(f"{name}: a share from 0 to 1, got {value!r}")
    _check_events(events)
    countries = _check_watched(watched)
    country_column = _check_exposures(exposures) if exposures is not None else "importer"
    if lanes is not None:
        _check_lanes(lanes)

    rows: list[dict[str, object]] = []
    for line, (_, record) in enumerate(events.iterrows(), start=1):
        event = _Event({str(k): v for k, v in record.items()}, line)
        rows += _dated_alerts(event, day, horizon_days, countries)
        if lanes is not None and countries:
            rows += _lane_alerts(
                event, day, horizon_days, countries, lanes, lane_threshold, concentration_threshold
            )
        if exposures is None or not countries:
            continue
        rows += _restriction_alerts(
            event,
            day,
            horizon_days,
            countries,
            exposures,
            country_column,
            reliance_threshold,
            concentration_threshold,
        )
        rows += _disruption_alerts(
            event, day, horizon_days, countries, exposures, country_column, concentration_threshold
        )
    out = pd.DataFrame(rows, columns=list(ALERT_COLUMNS))
    if out.empty:
        return out
    order = out["severity"].map(SEVERITY_ORDER)
    out = out.assign(_order=order).sort_values(
        ["_order", "due", "event_id", "country", "alert"], kind="stable"
    )
    return out.drop(columns="_order").reset_index(drop=True)
