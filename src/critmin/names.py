"""Commodity and country names as people type them, resolved to catalog ids and ISO3 codes.

One resolver for the CLI, the API and the pages. A name is normalised (Unicode NFKC, case folded,
accents, underscores, hyphens, dots, brackets and commas dropped or turned into spaces, spaces
collapsed), then looked up among, in this order of precedence:

- commodities: the catalog's ids, its names, its names without a bracketed qualifier ("Niobium
  (columbium)" -> "niobium") and its symbols ("Li", "REE", "PGM"), where each is unambiguous; then
  the synonyms of ``data/reference/commodity_synonyms.csv`` ("graphite" -> natural graphite, with
  a note that synthetic graphite is separate; British spellings; "REE", "PGMs", "coking coal");
  a final "s" is tried off and on ("rare earth" -> "rare earths");
- countries: ISO3 codes, ISO2 codes (``country_iso2.csv``), the names of ``places.csv`` and the
  common names of ``country_names.csv`` and ``country_aliases.csv``.

A name that matches nothing raises :class:`UnknownNameError` with the three closest known names.
Nothing here imports pandas: the CLI resolves a name before it loads anything heavy.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

from critmin.errors import CritminError

SUGGESTIONS = 3
PLURAL_MIN = 4
"""Shorter names are not tried with a final "s" off or on: "C" must not become "Cs" (cesium)."""


class UnknownNameError(CritminError):
    """A commodity or country name the resolver does not know; ``suggestions`` are the closest."""

    def __init__(self, kind: str, name: str, suggestions: list[str], hint: str) -> None:
        self.kind = kind
        self.name = name
        self.suggestions = suggestions
        closest = f"; closest: {', '.join(suggestions)}" if suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{closest} (see {hint})")


@dataclass(frozen=True)
class Resolved:
    """What a name resolved to: the id (or ISO3 code), its display name and a note, if any."""

    id: str
    name: str
    note: str = ""


def normalise(name: str) -> str:
    """The lookup key of a name: ``"Rare-Earth_Elements (REE)"`` -> ``"rare earth elements ree"``."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"[’'`.]", "", text)
    text = re.sub(r"[_\-/,;:()\[\]&+]", " ", text)
    return " ".join(text.split())


def _read(name: str) -> list[dict[str, str]]:
    path = resources.files("critmin").joinpath("data").joinpath("reference").joinpath(name)
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _unbracketed(name: str) -> str:
    return re.sub(r"\s*\(.*?\)\s*", " ", name).strip()


class NameIndex:
    """Normalised names -> resolutions, with the closest-name suggestions of a miss."""

    def __init__(self, kind: str, hint: str) -> None:
        self.kind = kind
        self.hint = hint
        self._keys: dict[str, Resolved] = {}
        self._ambiguous: set[str] = set()

    def add(self, key: str, target: Resolved, how: str = "set") -> None:
        """Index ``key``: ``set`` overrides, ``keep`` adds only a new key, ``unique`` drops a shared one.

        A key two targets share under ``unique`` (a name or symbol of two catalog entries, such as
        "C" for graphite and diamond) is dropped for good, unless a later ``set`` names it.
        """
        norm = normalise(key)
        if not norm:
            return
        present = self._keys.get(norm)
        if how == "set":
            self._keys[norm] = target
            self._ambiguous.discard(norm)
        elif how == "keep":
            if present is None and norm not in self._ambiguous:
                self._keys[norm] = target
        elif norm in self._ambiguous:
            return
        elif present is not None and present.id != target.id:
            del self._keys[norm]
            self._ambiguous.add(norm)
        elif present is None:
            self._keys[norm] = target

    def find(self, name: str) -> Resolved | None:
        """The resolution of ``name``, or None."""
        norm = normalise(name)
        plural = (norm[:-1] if norm.endswith("s") else norm + "s") if len(norm) >= PLURAL_MIN else norm
        for candidate in (norm, plural):
            hit = self._keys.get(candidate)
            if hit is not None:
                return hit
        return None

    def resolve(self, name: str) -> Resolved:
        """The resolution of ``name``; else :class:`UnknownNameError` with the closest names."""
        hit = self.find(name)
        if hit is not None:
            return hit
        raise UnknownNameError(self.kind, name, self.suggest(name), self.hint)

    def suggest(self, name: str, n: int = SUGGESTIONS) -> list[str]:
        """The ``n`` closest known names, each once per target, shown as ``"name (id)"``."""
        norm = normalise(name)
        scored = sorted(
            self._keys.items(),
            key=lambda item: (-difflib.SequenceMatcher(None, norm, item[0]).ratio(), item[0]),
        )
        shown: list[str] = []
        seen: set[str] = set()
        for _, target in scored:
            if target.id in seen:
                continue
            seen.add(target.id)
            shown.append(f"{target.name} ({target.id})" if target.name != target.id else target.id)
            if len(shown) == n:
                break
        return shown


def commodity_index(catalog: Iterable[Mapping[str, str]], synonyms: Iterable[Mapping[str, str]]) -> NameIndex:
    """The commodity index of a catalog (rows with ``commodity``, ``name``, ``symbol``)."""
    index = NameIndex("commodity", "`critmin data commodities`")
    rows = list(catalog)
    names = {row["commodity"]: row["name"] for row in rows}
    for row in rows:
        target = Resolved(row["commodity"], row["name"])
        index.add(row["commodity"], target)
    for row in rows:
        target = Resolved(row["commodity"], row["name"])
        index.add(row["name"], target, "unique")
        index.add(_unbracketed(row["name"]), target, "unique")
        index.add(row.get("symbol") or "", target, "unique")
    for row in synonyms:
        commodity = row["commodity"]
        if commodity in names:
            index.add(row["synonym"], Resolved(commodity, names[commodity], row.get("note", "")))
    return index


def country_index(
    places: Iterable[Mapping[str, str]],
    iso2: Iterable[Mapping[str, str]],
    aliases: Iterable[Mapping[str, str]],
) -> NameIndex:
    """The country index: codes and names of ``places`` (aggregates among them), ISO2, aliases."""
    index = NameIndex("country", "`critmin data places`; ISO3 codes such as IND")
    rows = list(places)
    names = {row["code"]: row["name"] for row in rows}
    for row in rows:
        index.add(row["code"], Resolved(row["code"], row["name"]))
    for row in rows:
        index.add(row["name"], Resolved(row["code"], row["name"]), "unique")
        index.add(_unbracketed(row["name"]), Resolved(row["code"], row["name"]), "unique")
    for row in iso2:
        if row["iso3"] in names:
            index.add(row["iso2"], Resolved(row["iso3"], names[row["iso3"]]), "keep")
    for row in aliases:
        if row["iso3"] in names:
            index.add(row["name"], Resolved(row["iso3"], names[row["iso3"]], row.get("note", "")))
    return index


@functools.cache
def _synonyms() -> tuple[dict[str, str], ...]:
    return tuple(_read("commodity_synonyms.csv"))


@functools.cache
def reference_commodities() -> NameIndex:
    """The commodity index of the bundled catalog (``commodities.csv``)."""
    return commodity_index(_read("commodities.csv"), _synonyms())


def _is_code(name: str) -> bool:
    """Legacy codes of the alias table (ZAR, ROM, NA): they are read as codes by the importers only."""
    return name.isupper() and len(name) <= 3


@functools.cache
def countries() -> NameIndex:
    """The country index of the bundled ``places.csv`` and its name tables."""
    aliases = [row for row in _read("country_aliases.csv") if not _is_code(row["name"])]
    return country_index(_read("places.csv"), _read("country_iso2.csv"), aliases + _read("country_names.csv"))


def commodities_of(catalog: Iterable[Mapping[str, str]]) -> NameIndex:
    """The commodity index of a store's own catalog (with the bundled synonyms)."""
    return commodity_index(catalog, _synonyms())


def commodity(name: str) -> str:
    """The catalog id of a commodity name, by the bundled catalog (``"graphite"`` -> ``graphite_natural``)."""
    return reference_commodities().resolve(name).id


def country(name: str) -> str:
    """The ISO3 (or bloc) code of a country name or code (``"in"``, ``"India"`` -> ``IND``)."""
    return countries().resolve(name).id
