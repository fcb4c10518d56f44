"""The event register: validated events stored as vintages, and filters on the stored frame.

An event is one row of :data:`critmin.schema.EVENTS` (export control, ban, sanction, waiver,
agreement, working group, advisory, election, ...), each with its source (``publisher``, ``url``,
``published``) and the ``evidence`` sentence(s) that state it.

- The bundled, curated register (``critmin/data/reference/events.csv``) enters the store as one
  vintage of source ``critmin_events`` (:func:`load_bundled`, run by :meth:`critmin.api.Critmin.init`).
  Loading it into a schema-1 store migrates the store first (schema 2 adds the table).
- A user event (:func:`add_event`) is validated the same way and stored as its own vintage of
  source ``user_events``; an ``event_id`` already in the register is refused.
- Every malformed row stops the load with an :class:`~critmin.errors.IngestError` naming the
  file, line and field; nothing is stored.

Only this module of :mod:`critmin.events` touches the store; :func:`filter_events` is pure.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from critmin.data import reference_path
from critmin.errors import CritminError, IngestError
from critmin.events.contract import EVENT_TYPES, STATUSES
from critmin.harmonize.commodities import catalog
from critmin.harmonize.countries import known_codes
from critmin.ingest.base import Parsed, SourceInfo, sha256_of
from critmin.schema import EVENTS
from critmin.sealanes.reference import chokepoints

if TYPE_CHECKING:
    from critmin.api import Critmin


REQUIRED = ("event_id", "type", "actor", "valid_from", "status", "title", "evidence", "publisher", "url")
OPTIONAL_COLUMNS = ("chokepoint",)
"""Columns a register file may leave out (files written before the column existed)."""
"""Fields that may not be empty."""

BUNDLED_FILE = "events.csv"
RELEASE = "events 2026-11"
RELEASE_DATE = date(2026, 11, 26)
"""Date the bundled register was compiled and checked."""

INFO = SourceInfo(
    source="critmin_events",
    title="Event register: export controls, bans, sanctions, waivers, agreements (curated, 2010-2026)",
    publisher="critmin (compiled from public reports and official announcements)",
    licence="Compiled by critmin from public reports (facts; CC BY 4.0 for the compilation)",
    citation="critmin curated event register; each event cites its own publisher, URL and date",
    url="",
    bundled=True,
)

USER_INFO = SourceInfo(
    source="user_events",
    title="Events added by the user",
    publisher="user",
    licence="as given by the user",
    citation="user-added event; see its publisher, URL and date",
    url="",
    bundled=False,
)

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO3 = re.compile(r"^[A-Z]{3}$")
_HS6 = re.compile(r"^\d{6}$")


def bundled_path() -> Path:
    """Path of the bundled register ``events.csv``."""
    return reference_path(BUNDLED_FILE)


# -- validation ---------------------------------------------------------------------------


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _date(text: str, field: str, where: dict[str, Any]) -> date | None:
    if not text:
        return None
    if not _DATE.match(text):
        raise IngestError(f"{text!r} is not a date (YYYY-MM-DD)", column=field, **where)
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise IngestError(f"{text!r} is not a valid date: {exc}", column=field, **where) from exc


def validate_record(
    record: Mapping[str, Any], *, path: str | None = None, line: int | None = None
) -> dict[str, Any]:
    """Check one event and return it with typed values (dates, fraction) and normalised lists.

    Parameters
    ----------
    record
        Field -> value, as text (missing fields count as empty).
    path, line
        Where the record comes from, for the error message.

    Raises
    ------
    IngestError
        The first bad field: empty required field, unknown type or status, bad ISO3 code, unknown
        catalog commodity id, bad HS6 code, bad date, ``valid_to`` before ``valid_from``, fraction
        outside 0-1, or a URL that is not http(s).
    """
    where: dict[str, Any] = {"path": path, "line": line}
    unknown = sorted(set(record) - set(EVENTS.column_names))
    if unknown:
        raise IngestError(f"unknown field(s) {unknown}", column=unknown[0], **where)
    text = {name: str(record.get(name) or "").strip() for name in EVENTS.column_names}
    for name in REQUIRED:
        if not text[name]:
            raise IngestError("empty; this field is required", column=name, **where)
    if not _SLUG.match(text["event_id"]):
        raise IngestError(
            f"{text['event_id']!r} is not a slug (lower-case letters, digits and '-')",
            column="event_id",
            **where,
        )
    if text["type"] not in EVENT_TYPES:
        raise IngestError(
            f"unknown type {text['type']!r}; one of {', '.join(EVENT_TYPES)}", column="type", **where
        )
    if text["status"] not in STATUSES:
        raise IngestError(
            f"unknown status {text['status']!r}; one of {', '.join(STATUSES)}", column="status", **where
        )
    codes = known_codes()
    for name in ("actor", "targets"):
        values = _split(text[name]) if name == "targets" else [text[name]]
        bad = [v for v in values if not _ISO3.match(v) or v not in codes]
        if bad:
            raise IngestError(
                f"{', '.join(repr(b) for b in bad)} is not a known ISO3 or bloc code (see places.csv)",
                column=name,
                **where,
            )
        text[name] = ",".join(values)
    commodities = _split(text["commodities"])
    ids = set(catalog()["commodity"])
    bad = [c for c in commodities if c not in ids]
    if bad:
        raise IngestError(
            f"unknown catalog commodity id(s) {bad}; see `critmin data commodities`",
            column="commodities",
            **where,
        )
    text["commodities"] = ",".join(commodities)
    hs = [h.replace(".", "") for h in _split(text["hs_codes"])]
    bad = [h for h in hs if not _HS6.match(h)]
    if bad:
        raise IngestError(f"{bad} are not six-digit HS codes", column="hs_codes", **where)
    text["hs_codes"] = ",".join(hs)
    lanes = [c.id for c in chokepoints()]
    if text["chokepoint"] and text["chokepoint"] not in lanes:
        raise IngestError(
            f"unknown chokepoint {text['chokepoint']!r}; one of {', '.join(lanes)} (or empty)",
            column="chokepoint",
            **where,
        )
    if not re.match(r"^https?://\S+$", text["url"]):
        raise IngestError(f"{text['url']!r} is not an http(s) URL", column="url", **where)
    out: dict[str, Any] = dict(text)
    for name in ("valid_from", "valid_to", "published"):
        out[name] = _date(text[name], name, where)
    if out["valid_to"] is not None and out["valid_to"] < out["valid_from"]:
        raise IngestError(
            f"valid_to {out['valid_to']} is before valid_from {out['valid_from']}", column="valid_to", **where
        )
    fraction: float | None = None
    if text["fraction"]:
        try:
            fraction = float(text["fraction"])
        except ValueError as exc:
            raise IngestError(f"{text['fraction']!r} is not a number", column="fraction", **where) from exc
        if not 0.0 <= fraction <= 1.0:
            raise IngestError(f"{fraction} is outside 0-1", column="fraction", **where)
    out["fraction"] = fraction
    return out


def read_events(path: Path) -> pd.DataFrame:
    """Read and validate a register file (CSV with the :data:`~critmin.schema.EVENTS` columns).

    Raises
    ------
    IngestError
        Missing or extra columns, a bad row (see :func:`validate_record`) or a duplicated
        ``event_id``, naming the file, line and field.
    """
    text = Path(path).read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise IngestError("empty file", path=str(path), line=1)
    header = [h.strip() for h in header]
    missing = [c for c in EVENTS.column_names if c not in header and c not in OPTIONAL_COLUMNS]
    extra = [c for c in header if c not in EVENTS.column_names]
    if missing or extra:
        raise IngestError(
            f"header must have the columns {EVENTS.column_names}; missing {missing}, unexpected {extra}",
            path=str(path),
            line=1,
        )
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    start = reader.line_num + 1
    for values in reader:
        line = start
        start = reader.line_num + 1
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            raise IngestError(
                f"{len(values)} fields where the header has {len(header)}", path=str(path), line=line
            )
        row = validate_record(dict(zip(header, values, strict=True)), path=str(path), line=line)
        if row["event_id"] in seen:
            raise IngestError(
                f"event_id {row['event_id']!r} already used on line {seen[row['event_id']]}",
                path=str(path),
                line=line,
                column="event_id",
            )
        seen[row["event_id"]] = line
        rows.append(row)
    if not rows:
        raise IngestError("no events", path=str(path), line=2)
    return _frame(rows)


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=EVENTS.column_names)
    frame["fraction"] = pd.to_numeric(frame["fraction"], errors="coerce").astype("float64")
    return frame


# -- storing ------------------------------------------------------------------------------


def parse(path: Path, *, release: str | None = None, release_date: date | None = None) -> Parsed:
    """Parse a register file into a :class:`~critmin.ingest.base.Parsed` of source ``critmin_events``."""
    frame = read_events(path)
    return Parsed(
        info=INFO,
        dataset="events",
        release=release or RELEASE,
        release_date=release_date or RELEASE_DATE,
        path=Path(path),
        sha256=sha256_of(Path(path)),
        tables={EVENTS.name: frame},
        notes=f"{len(frame)} curated events; each row cites its publisher, URL, date and evidence.",
        counts={EVENTS.name: len(frame)},
    )


def load_bundled(db: Critmin, path: Path | None = None) -> int:
    """Add the bundled register to the store as a vintage; return 1 if added, 0 if already there.

    The store is created or migrated to the current schema first (schema 1 had no events table).
    """
    parsed = parse(path or bundled_path())
    outcomes = db.store.add([parsed])
    return sum(1 for o in outcomes if o.status == "added")


def stored_events(db: Critmin) -> pd.DataFrame:
    """Every stored event with ``source``, ``release`` and ``vintage_id`` (empty on a new store)."""
    if not db.store.path.exists():
        return pd.DataFrame(columns=[*EVENTS.column_names, "vintage_id", "source", "release"])
    return db.store.select(EVENTS.name, {})


def add_event(db: Critmin, fields: Mapping[str, Any]) -> str:
    """Validate a user event and store it as its own vintage (source ``user_events``).

    Parameters
    ----------
    db
        The store handle.
    fields
        Event fields (see :data:`critmin.schema.EVENTS`); lists may be given as comma-separated text
        or sequences, dates as ``date`` or ``YYYY-MM-DD``.

    Returns
    -------
    str
        The stored ``event_id``.

    Raises
    ------
    IngestError
        A bad field (see :func:`validate_record`).
    CritminError
        The ``event_id`` is already in the register.
    """
    record = {
        key: ",".join(str(v) for v in value) if isinstance(value, (list, tuple)) else value
        for key, value in fields.items()
        if value is not None
    }
    record = {key: value.isoformat() if isinstance(value, date) else value for key, value in record.items()}
    row = validate_record(record, path="user event")
    db.store.initialise()
    existing = stored_events(db)
    if row["event_id"] in set(existing["event_id"]):
        found = existing[existing["event_id"] == row["event_id"]].iloc[0]
        raise CritminError(
            f"event_id {row['event_id']!r} is already in the register (source {found['source']}, "
            f"release {found['release']}); choose another id"
        )
    payload = json.dumps(
        {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}, sort_keys=True
    )
    digest = hashlib.sha256(payload.encode()).hexdigest()
    today = date.today()
    parsed = Parsed(
        info=USER_INFO,
        dataset="events",
        release=f"user {row['event_id']}",
        release_date=today,
        path=Path(f"{row['event_id']}.json"),
        sha256=digest,
        tables={EVENTS.name: _frame([row])},
        notes="event added by the user with `critmin events add` or register.add_event",
        counts={EVENTS.name: 1},
    )
    db.store.add([parsed])
    return str(row["event_id"])


# -- filtering (pure) ---------------------------------------------------------------------


def _listed(column: pd.Series, value: str, *, empty_matches: bool) -> pd.Series:
    def hit(cell: object) -> bool:
        items = _split(str(cell or ""))
        return (not items and empty_matches) or value in items

    return column.map(hit).astype(bool)


def filter_events(
    frame: pd.DataFrame,
    *,
    type: str | None = None,
    actor: str | None = None,
    target: str | None = None,
    commodity: str | None = None,
    active_on: date | str | None = None,
    status: str | None = None,
) -> pd.DataFrame:
    """Events of ``frame`` that pass every given filter, sorted by ``valid_from`` then ``event_id``.

    Parameters
    ----------
    type, actor, status
        Exact matches.
    target
        Events whose ``targets`` list it, or whose ``targets`` is empty (all countries).
    commodity
        Events whose ``commodities`` list this catalog id.
    active_on
        Events in their validity on that date: ``valid_from <= date`` and ``valid_to`` empty or
        ``>= date`` (the status is not consulted; filter it with ``status``).
    """
    keep = pd.Series(True, index=frame.index)
    if type is not None:
        keep &= frame["type"] == type
    if actor is not None:
        keep &= frame["actor"] == actor.upper()
    if status is not None:
        keep &= frame["status"] == status
    if target is not None:
        keep &= _listed(frame["targets"], target.upper(), empty_matches=True)
    if commodity is not None:
        keep &= _listed(frame["commodities"], commodity, empty_matches=False)
    if active_on is not None:
        day = pd.Timestamp(active_on)
        start = pd.to_datetime(frame["valid_from"])
        end = pd.to_datetime(frame["valid_to"])
        keep &= (start <= day) & (end.isna() | (end >= day))
    out = frame[keep]
    return out.sort_values(["valid_from", "event_id"], ignore_index=True)
