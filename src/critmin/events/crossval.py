"""Cross-validation of the trained extractor on the tuning split (issue 16).

The held-out articles of the corpus measure the shipped models once; choosing features and
hyper-parameters by them would spend that measurement. Choices are made instead by k-fold
cross-validation on the tuning split: held-out articles are dropped (by
:func:`critmin.events.model.training_articles`) before any text is read, each tuning article is
read once, the models of :mod:`critmin.events.model` are trained on k-1 folds and the left-out
fold is extracted and scored as :mod:`critmin.events.evaluate` scores the corpus. The scores of
all folds are pooled (counts summed, then precision and recall).

Folds are grouped by article (an article's events never straddle folds) and deterministic for a
seed: articles are ordered by their first labelled type, ties broken by a seeded shuffle, and dealt
round-robin, so every fold holds a share of each type (rare types are not all left out together).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.events.corpus import Article, load_texts
from critmin.events.evaluate import ArticleResult, Counts, as_label, by_type, score, table
from critmin.events.model import Example, predict, read, train, training_articles


def assign_folds(articles: Sequence[Article], folds: int, seed: int) -> dict[str, int]:
    """Fold index of each article id: stratified by first labelled type, seeded, deterministic."""
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {folds}")
    ids = sorted(a.id for a in articles)
    shuffled = {i: r for r, i in enumerate(np.random.default_rng(seed).permutation(len(ids)))}
    first = {a.id: (a.events[0]["type"] if a.events else "") for a in articles}
    order = sorted(range(len(ids)), key=lambda k: (first[ids[k]], shuffled[k]))
    return {ids[k]: n % folds for n, k in enumerate(order)}


def read_tuning(articles: Iterable[Article], folder: Path) -> list[Example]:
    """The tuning articles whose restored texts are in ``folder``, read once.

    Held-out articles are dropped before ``folder`` is looked at, so their texts are never read.
    """
    tuning = training_articles(articles)
    texts = load_texts(tuning, folder)
    return [Example(a, read(texts[a.id], a.published)) for a in tuning if a.id in texts]


def cross_validate(
    examples: Sequence[Example], folds: int = 5, seed: int = 0, params: dict[str, float] | None = None
) -> list[ArticleResult]:
    """Each example extracted by models trained on the other folds, in id order."""
    if any(ex.article.heldout for ex in examples):
        raise ValueError("a held-out article was given for cross-validation")
    fold_of = assign_folds([ex.article for ex in examples], folds, seed)
    results: dict[str, ArticleResult] = {}
    for k in range(folds):
        left_out = [ex for ex in examples if fold_of[ex.article.id] == k]
        if not left_out:
            continue
        models = train([ex for ex in examples if fold_of[ex.article.id] != k], params)
        for ex in left_out:
            events = predict(models, ex.reading, ex.article.publisher)
            results[ex.article.id] = ArticleResult(
                ex.article, [as_label(e) for e in events], list(ex.article.events), events
            )
    return [results[i] for i in sorted(results)]


@dataclass
class Report:
    """Pooled cross-validation scores: counts and table per field, table per type."""

    counts: dict[str, Counts]
    fields: pd.DataFrame
    types: pd.DataFrame

    def f1(self, name: str = "actor") -> float:
        """F1 of one field (``actor`` is the (type, actor) pair); 0 when nothing is correct."""
        c = self.counts[name]
        return 2 * c.correct / (c.predicted + c.labelled) if c.correct else 0.0


def pooled(results: Sequence[ArticleResult]) -> Report:
    """Scores of all folds' articles pooled: counts summed, then precision and recall."""
    counts = score((r.got, r.want) for r in results)
    return Report(counts, table(counts), by_type(results))


def summary(report: Report) -> dict[str, tuple[float, float, float]]:
    """Precision, recall and F1 per field (0 where undefined), rounded, for logs and docs."""
    return {
        name: (round(c.precision or 0.0, 3), round(c.recall or 0.0, 3), round(report.f1(name), 3))
        for name, c in report.counts.items()
    }
