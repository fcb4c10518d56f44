"""Precision and recall of event extraction, per field, against labelled articles.

Extracted events are matched one-to-one to labelled ones of the same type: by actor, or for
cooperative events (agreement, working group, investment) by an overlapping set of parties.
Per field:

- ``type`` and ``actor``: an extracted event is correct when it is matched;
- ``targets`` and ``commodities``: sets, counted per element over matched events (elements of
  unmatched extracted events count against precision, of unmatched labels against recall); for
  cooperative events the targets are compared as the set of all parties; the "critical minerals"
  marker is not a catalog commodity and is not scored;
- ``valid_from`` and ``valid_to``: a non-null extracted date is a prediction, correct when it
  equals the label of the matched event; a non-null label is a target.

``overall`` sums the counts of all fields (micro average).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from critmin.events.corpus import LABEL_FIELDS, Article
from critmin.events.extract import COOPERATIVE, ProposedEvent, extract
from critmin.events.gazetteer import CRITICAL_MINERALS

Label = dict[str, Any]


def as_label(event: ProposedEvent) -> Label:
    """An extracted event in the label format of the corpus."""
    return {
        "type": event.type,
        "actor": event.actor,
        "targets": list(event.targets),
        "commodities": [c for c in event.commodities if c != CRITICAL_MINERALS],
        "valid_from": event.valid_from.isoformat() if event.valid_from else None,
        "valid_to": event.valid_to.isoformat() if event.valid_to else None,
    }


def _parties(label: Label) -> set[str]:
    return {str(label["actor"]), *map(str, label["targets"])}


def _elements(label: Label, name: str) -> set[str]:
    if name == "targets" and label["type"] in COOPERATIVE:
        return _parties(label)
    return set(map(str, label[name]))


def match(got: Sequence[Label], want: Sequence[Label]) -> list[tuple[int, int]]:
    """Pairs (extracted index, labelled index), each label used at most once, in reading order."""
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for gi, g in enumerate(got):
        for wi, w in enumerate(want):
            if wi in used or g["type"] != w["type"]:
                continue
            same = bool(_parties(g) & _parties(w)) if g["type"] in COOPERATIVE else g["actor"] == w["actor"]
            if same:
                pairs.append((gi, wi))
                used.add(wi)
                break
    return pairs


@dataclass
class Counts:
    """True positives, predictions and labels of one field."""

    correct: int = 0
    predicted: int = 0
    labelled: int = 0

    def add(self, other: Counts) -> None:
        """Add another field's counts to these."""
        self.correct += other.correct
        self.predicted += other.predicted
        self.labelled += other.labelled

    @property
    def precision(self) -> float | None:
        """Correct among predicted; ``None`` when nothing was predicted."""
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        """Correct among labelled; ``None`` when nothing was labelled."""
        return self.correct / self.labelled if self.labelled else None


def score(pairs: Iterable[tuple[Sequence[Label], Sequence[Label]]]) -> dict[str, Counts]:
    """Counts per field over (extracted, labelled) event lists, one pair per article."""
    counts = {name: Counts() for name in LABEL_FIELDS}
    for got, want in pairs:
        matched = dict(match(got, want))
        for name in ("type", "actor"):
            counts[name].add(Counts(len(matched), len(got), len(want)))
        for name in ("targets", "commodities"):
            for gi, g in enumerate(got):
                mine = _elements(g, name)
                hits = len(mine & _elements(want[matched[gi]], name)) if gi in matched else 0
                counts[name].add(Counts(hits, len(mine), 0))
            counts[name].labelled += sum(len(_elements(w, name)) for w in want)
        for name in ("valid_from", "valid_to"):
            for gi, g in enumerate(got):
                if g[name] is not None:
                    right = gi in matched and want[matched[gi]][name] == g[name]
                    counts[name].add(Counts(int(right), 1, 0))
            counts[name].labelled += sum(w[name] is not None for w in want)
    return counts


def table(counts: dict[str, Counts]) -> pd.DataFrame:
    """Counts as a table: one row per field and an ``overall`` row."""
    total = Counts()
    rows = []
    for name, c in counts.items():
        total.add(c)
        rows.append((name, c))
    rows.append(("overall", total))
    return pd.DataFrame(
        [
            {
                "field": name,
                "precision": c.precision,
                "recall": c.recall,
                "correct": c.correct,
                "predicted": c.predicted,
                "labelled": c.labelled,
            }
            for name, c in rows
        ]
    ).astype({"precision": float, "recall": float})


@dataclass
class ArticleResult:
    """Extracted and labelled events of one article."""

    article: Article
    got: list[Label]
    want: list[Label]
    events: list[ProposedEvent] = field(default_factory=list)


def run(articles: Iterable[Article], texts: dict[str, str]) -> list[ArticleResult]:
    """Extract events from each article whose text is at hand, with its publication date."""
    results = []
    for article in articles:
        text = texts.get(article.id)
        if text is None:
            continue
        events = extract(text, published=article.published, source=article.publisher)
        results.append(ArticleResult(article, [as_label(e) for e in events], list(article.events), events))
    return results


def groups(results: Sequence[ArticleResult]) -> dict[str, list[ArticleResult]]:
    """All articles, those the rules were tuned on, and the held-out ones."""
    return {
        "all": list(results),
        "tuned": [r for r in results if not r.article.heldout],
        "heldout": [r for r in results if r.article.heldout],
    }


def report(results: Sequence[ArticleResult]) -> dict[str, pd.DataFrame]:
    """A table per group of :func:`groups`."""
    return {name: table(score((r.got, r.want) for r in group)) for name, group in groups(results).items()}


def by_type(results: Sequence[ArticleResult]) -> pd.DataFrame:
    """Precision and recall per event type: (type, actor), targets, commodities and dates.

    Each type is scored on the extracted and labelled events of that type only (so an event
    proposed with the wrong type counts against the precision of one and the recall of the other).
    """
    kinds = sorted({e["type"] for r in results for e in [*r.got, *r.want]})
    rows = []
    for kind in kinds:
        counts = score(
            ([g for g in r.got if g["type"] == kind], [w for w in r.want if w["type"] == kind])
            for r in results
        )
        row: dict[str, Any] = {"type": kind, "labelled": counts["actor"].labelled}
        for name, key in (("actor", "actor"), ("targets", "targets"), ("commodities", "commodities")):
            row[f"{name}_p"] = counts[key].precision
            row[f"{name}_r"] = counts[key].recall
        dates = Counts()
        dates.add(counts["valid_from"])
        dates.add(counts["valid_to"])
        row["dates_p"], row["dates_r"] = dates.precision, dates.recall
        rows.append(row)
    return pd.DataFrame(rows)
