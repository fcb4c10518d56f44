"""Cross-validation of the trained extractor on the tuning split (critmin.events.crossval)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from critmin.cli.events import app
from critmin.events import crossval, model
from critmin.events.corpus import Article, Paragraph, load_texts, write_manifest

TEXTS = {
    "a": "Chile will hold presidential elections on 16 November 2025. Mining investors are watching.",
    "b": "The US Treasury imposed sanctions on Russia's metals sector on 12 April 2024.",
    "c": "Peru's election on 6 June 2021 unsettled copper miners.",
    "d": "The US imposed new sanctions on Iran's mining sector on 3 March 2025, the Treasury said.",
    "e": "Bolivia votes in a general election on 17 August 2025, and lithium is at stake.",
    "f": "The EU imposed sanctions on Belarus's potash exports on 24 June 2021.",
}
LABELS = {
    "a": {"type": "election", "actor": "CHL", "valid_from": "2025-11-16"},
    "b": {"type": "sanction", "actor": "USA", "targets": ["RUS"], "valid_from": "2024-04-12"},
    "c": {"type": "election", "actor": "PER", "valid_from": "2021-06-06"},
    "d": {"type": "sanction", "actor": "USA", "targets": ["IRN"], "valid_from": "2025-03-03"},
    "e": {"type": "election", "actor": "BOL", "valid_from": "2025-08-17"},
    "f": {"type": "sanction", "actor": "EUU", "targets": ["BLR"], "valid_from": "2021-06-24"},
}


def _article(key: str, heldout: bool = False) -> Article:
    label = {"targets": [], "commodities": [], "valid_to": None, **LABELS[key]}
    return Article(
        id=key,
        url="https://example.org/" + key,
        publisher="test",
        published=date(2025, 12, 1),
        title=key,
        terms="test",
        heldout=heldout,
        events=(label,),
        paragraphs=(Paragraph.of(TEXTS[key]),),
    )


def _corpus(folder: Path, held_out: str = "f") -> list[Article]:
    folder.mkdir(parents=True, exist_ok=True)
    for key, text in TEXTS.items():
        (folder / f"{key}.txt").write_text(text, encoding="utf-8")
    return [_article(k, heldout=k == held_out) for k in sorted(TEXTS)]


def test_held_out_articles_are_dropped_before_any_text_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = _corpus(tmp_path / "texts")
    asked: list[str] = []

    def spy(wanted: Iterable[Article], folder: Path) -> dict[str, str]:
        wanted = list(wanted)
        asked.extend(a.id for a in wanted)
        return load_texts(wanted, folder)

    monkeypatch.setattr(crossval, "load_texts", spy)
    examples = crossval.read_tuning(articles, tmp_path / "texts")
    assert asked == ["a", "b", "c", "d", "e"]
    assert [ex.article.id for ex in examples] == ["a", "b", "c", "d", "e"]


def test_folds_are_deterministic_grouped_and_share_out_each_type() -> None:
    articles = [replace(_article(k), id=f"{k}{n}") for k in sorted(TEXTS) for n in range(4)]
    folds = crossval.assign_folds(articles, 4, seed=7)
    assert folds == crossval.assign_folds(list(reversed(articles)), 4, seed=7)
    assert set(folds) == {a.id for a in articles}
    per_fold = Counter((folds[a.id], a.events[0]["type"]) for a in articles)
    assert set(per_fold.values()) == {3}  # 12 articles of each type, 3 in each of 4 folds
    with pytest.raises(ValueError, match="2 folds"):
        crossval.assign_folds(articles, 1, seed=0)


def test_each_article_is_extracted_by_models_that_never_saw_it(monkeypatch: pytest.MonkeyPatch) -> None:
    examples = [model.Example(_article(k), model.read(TEXTS[k], date(2025, 12, 1))) for k in sorted(TEXTS)]
    trained_on: list[set[str]] = []
    train = crossval.train

    def spy(given: Sequence[model.Example], params: dict[str, float] | None = None) -> dict[str, Any]:
        trained_on.append({ex.article.id for ex in given})
        return train(given, params)

    monkeypatch.setattr(crossval, "train", spy)
    results = crossval.cross_validate(examples, folds=3, seed=0)
    assert [r.article.id for r in results] == sorted(TEXTS)
    folds = crossval.assign_folds([ex.article for ex in examples], 3, seed=0)
    assert len(trained_on) == 3
    for k, seen in enumerate(trained_on):
        assert seen == {i for i, f in folds.items() if f != k}
    report = crossval.pooled(results)
    assert report.counts["actor"].labelled == len(TEXTS)
    assert 0.0 <= report.f1("actor") <= 1.0
    assert crossval.summary(report)["actor"][2] == round(report.f1("actor"), 3)


def test_cross_validation_refuses_a_held_out_article() -> None:
    examples = [model.Example(_article(k, heldout=k == "a"), model.read(TEXTS[k], None)) for k in "abcd"]
    with pytest.raises(ValueError, match="held-out"):
        crossval.cross_validate(examples, folds=2)


def test_cli_cross_validates_the_tuning_split(tmp_path: Path) -> None:
    articles = _corpus(tmp_path / "texts")
    write_manifest(articles, tmp_path / "manifest.json", "test")
    args = ["corpus", "cv", "--texts", str(tmp_path / "texts"), "--manifest", str(tmp_path / "manifest.json")]
    result = CliRunner().invoke(app, [*args, "--folds", "2", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "field,precision,recall" in result.output
    assert "type,labelled,actor_p" in result.output
    too_many = CliRunner().invoke(app, [*args, "--folds", "6"])
    assert too_many.exit_code != 0
    assert "fewer than 6 folds" in too_many.output
