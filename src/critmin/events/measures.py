"""A second measure of one type by one actor, when an article clearly states two (issue 16).

The corpus labels each measure as an event: "Section 301 tariffs on chromium, cobalt ... will go
into effect on 27 September 2024 ... tariffs on natural graphite and permanent magnets will take
effect in 2026" are two import restrictions by the United States, "export controls on antimony
starting Sept. 15 ... after China in 2023 placed export controls on gallium and germanium" two
export controls by China. The models propose one event per type and actor; this module finds a
second one only where the text sets two cue sentences of the type apart on both counts that tell
measures apart: they name different commodities (none in common, each among those the commodity
model kept for the type) and different dates. The second event takes the later sentence's
commodities, its date as start and the sentence as evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from critmin.events.model import Reading

#: Date roles that say when something was said or filed, not when a measure applies.
_NOT_VALIDITY = frozenset({"reported", "dateline"})


@dataclass(frozen=True)
class Measure:
    """A second measure: its evidence sentence, commodities and start date."""

    sent: int
    commodities: tuple[str, ...]
    valid_from: date | None


def _sentence_dates(r: Reading, sent: int) -> list[date]:
    return [x.value for x in r.dates if x.sent == sent and x.role not in _NOT_VALIDITY]


def further_measures(r: Reading, cue_sents: list[int], kept: list[str]) -> list[Measure]:
    """Measures after the first among a type's cue sentences; empty when the text states one.

    ``cue_sents`` are the sentences cueing the type, ``kept`` the commodities the commodity model
    kept for it. The first cue sentence naming a kept commodity states the first measure; each
    later one naming only kept commodities no earlier cue sentence named, with a date no earlier
    measure has, states another.
    """
    by_sent: dict[int, set[str]] = {}
    for m in r.commodities:
        if m.code in kept and m.sent in cue_sents:
            by_sent.setdefault(m.sent, set()).add(m.code)
    ordered = sorted(by_sent)
    if len(ordered) < 2:
        return []
    seen = set(by_sent[ordered[0]])
    used = set(_sentence_dates(r, ordered[0]))
    out: list[Measure] = []
    for s in ordered[1:]:
        dates = [d for d in _sentence_dates(r, s) if d not in used]
        if dates and not by_sent[s] & seen:
            out.append(Measure(s, tuple(c for c in kept if c in by_sent[s]), dates[0]))
            used.add(dates[0])
        seen |= by_sent[s]
    return out
