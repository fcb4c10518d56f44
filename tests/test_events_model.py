"""The trained models of event extraction (issue 16): the shipped file, its provenance and training."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from critmin.events import model
from critmin.events.corpus import Article, Paragraph, load_manifest
from critmin.events.extract import extract

TEXTS = {
    "a": "Chile will hold presidential elections on 16 November 2025. Mining investors are watching.",
    "b": "The US Treasury imposed sanctions on Russia's metals sector on 12 April 2024.",
    "c": "Peru's election on 6 June 2021 unsettled copper miners.",
    "d": "The US imposed new sanctions on Iran's mining sector on 3 March 2025, the Treasury said.",
}
LABELS = {
    "a": {"type": "election", "actor": "CHL", "valid_from": "2025-11-16"},
    "b": {"type": "sanction", "actor": "USA", "targets": ["RUS"], "valid_from": "2024-04-12"},
    "c": {"type": "election", "actor": "PER", "valid_from": "2021-06-06"},
    "d": {"type": "sanction", "actor": "USA", "targets": ["IRN"], "valid_from": "2025-03-03"},
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


def _examples() -> list[model.Example]:
    return [model.Example(_article(k), model.read(TEXTS[k], date(2025, 12, 1))) for k in sorted(TEXTS)]


def test_the_shipped_models_load_and_name_their_training_command() -> None:
    shipped = model.shipped_manifest()
    assert shipped["command"] == model.TRAIN_COMMAND == "critmin events corpus train"
    models = model.load_models()
    assert {"type", "actor", "target", "commodity", "valid_from", "valid_to", "params"} <= set(models)
    assert all(f"{t}|bias" in models["type"] for t in models["types"])


def test_the_shipped_models_were_trained_on_the_tuning_split_only() -> None:
    shipped = model.shipped_manifest()
    articles = {a.id: a for a in load_manifest()}
    trained = {f["id"]: f for f in shipped["trained_on"]}
    assert trained, "no training fingerprints recorded"
    assert not [i for i in trained if articles[i].heldout]
    for ident, prints in trained.items():
        assert prints == model.fingerprint(articles[ident]), f"{ident}: corpus changed since training"
    tuning = {a.id for a in model.training_articles(articles.values())}
    assert set(trained) | set(shipped["tuning_without_text"]) == tuning
    assert not set(trained) & set(shipped["tuning_without_text"])


def test_training_refuses_a_held_out_article() -> None:
    ex = _examples()
    ex[0] = model.Example(_article(ex[0].article.id, heldout=True), ex[0].reading)
    with pytest.raises(ValueError, match="held-out"):
        model.train(ex)
    assert [a.id for a in model.training_articles([_article("a", True), _article("b")])] == ["b"]


def test_training_is_deterministic(tmp_path: Path) -> None:
    first, second = model.train(_examples()), model.train(_examples())
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    model.save(first, _examples(), [], tmp_path / "m.json")
    saved = json.loads((tmp_path / "m.json").read_text())
    assert saved["models"] == json.loads(json.dumps(first))
    assert [f["id"] for f in saved["trained_on"]] == ["a", "b", "c", "d"]


def test_trained_models_learn_the_small_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "MIN_DF", 1)  # two articles of each type
    models = model.train(_examples(), {"type_threshold": 0.5, "rules_below_sentences": 0})
    assert models["type"]["election|p:elect"] > 0 > models["type"].get("sanction|p:elect", 0.0)
    events = model.predict(models, model.read(TEXTS["c"], date(2025, 12, 1)))
    assert [(e.type, e.actor) for e in events] == [("election", "PER")]


def test_logistic_regression_separates_a_feature() -> None:
    weights = model.fit_logistic([["bias", "x"], ["bias", "x"], ["bias"], ["bias", "y"]], [1, 1, 0, 0], 0.1)
    assert weights["x"] > 0 and model.probability(weights, ["bias", "x"]) > 0.8
    assert model.probability(weights, ["bias", "y"]) < 0.2


LONE = "China suspended rare earth exports to Japan on 21 September 2010."


def test_a_lone_sentence_falls_back_to_the_rules_and_says_so() -> None:
    events = extract(LONE, published=date(2010, 9, 22))
    assert [(e.type, e.actor, e.targets) for e in events] == [("export_ban", "CHN", ("JPN",))]
    assert "rules alone" in events[0].notes


def test_when_the_models_propose_nothing_the_rules_do_and_say_so() -> None:
    models = model.load_models()
    never = {"type_threshold": 1.01, "rule_type_threshold": 1.01, "rules_below_sentences": 0}
    strict = {**models, "params": {**models["params"], **never}}
    events = model.predict(strict, model.read(LONE, date(2010, 9, 22)))
    assert [(e.type, e.actor, e.targets) for e in events] == [("export_ban", "CHN", ("JPN",))]
    assert "rules alone" in events[0].notes


TWO_ISSUERS = (
    "Burkina Faso: new travel advice issued by the Foreign Office.\n"
    "The Foreign Office advises British nationals to avoid travel in the eastern regions.\n"
    "The French government also advises against travel along the border with Niger."
)


def test_a_second_issuer_the_rules_drafted_gets_its_own_event() -> None:
    models = model.load_models()

    def advisory_actors(threshold: float) -> list[str]:
        loose = {"second_actor_threshold": threshold, "type_threshold": 0.0, "rules_below_sentences": 0}
        params = {**models["params"], **loose}
        events = model.predict({**models, "params": params}, model.read(TWO_ISSUERS, None))
        return [e.actor for e in events if e.type == "travel_advisory"]

    both, one = advisory_actors(0.0), advisory_actors(1.01)
    assert sorted(both) == ["FRA", "GBR"]
    assert len(one) == 1 and one[0] in both


def test_date_features_say_a_date_line_and_the_first_cue_sentence() -> None:
    text = "March 28, 2023\nThe United States and Japan signed a critical minerals agreement today.\nMore."
    r = model.read(text, date(2023, 3, 28))
    assert [x.role for x in r.dates] == ["other", "other"]
    f = model.date_features(r, date(2023, 3, 28), "agreement", "valid_from")
    assert "valid_from|short_line" in f and "valid_from|in_first_cue_sent" in f
    sentence = "The United States and Japan signed a critical minerals agreement on 28 March 2023."
    lone = model.read(sentence, None)
    g = model.date_features(lone, date(2023, 3, 28), "agreement", "valid_from")
    assert "valid_from|in_first_cue_sent" in g and "valid_from|short_line" not in g


def test_target_features_say_how_a_country_stands_to_the_actor() -> None:
    text = (
        "Japan and India held talks on trade.\n"
        "Japan said its exports grew.\n"
        "The US Treasury issued a sanctions waiver for India's work at Chabahar port."
    )
    r = model.read(text, date(2025, 10, 28))
    india = model.target_features(r, "IND", "sanction_waiver", "USA")
    japan = model.target_features(r, "JPN", "sanction_waiver", "USA")
    assert "sanction_waiver|with_actor_cue_sent" in india and "sanction_waiver|with_actor_sent" in india
    assert not any("with_actor" in f for f in japan)
    assert model.country_features(r, "JPN", "sanction_waiver") == japan


def test_valid_to_features_read_the_date_phrase_and_leave_valid_from_alone() -> None:
    text = (
        "The US Treasury extended the general licence for Rusal.\n"
        "The deadline for wind-down transactions was extended to February 13, 2024.\n"
        "Officials met on January 29, 2024."
    )
    r = model.read(text, date(2024, 2, 1))
    end = model.date_features(r, date(2024, 2, 13), "sanction_waiver", "valid_to")
    met = model.date_features(r, date(2024, 1, 29), "sanction_waiver", "valid_to")
    assert {"valid_to|before=to", "valid_to|kind=day"} <= set(end)
    assert "valid_to|before=to" not in met and "valid_to|before=on" in met
    start = model.date_features(r, date(2024, 2, 13), "sanction_waiver", "valid_from")
    assert not any("before=" in f or "kind=" in f for f in start)


def test_valid_to_has_its_own_threshold() -> None:
    models = model.load_models()
    r = model.read(MEA_LIKE, date(2026, 1, 17))
    for threshold, expected in ((1.01, None), (0.0, True)):
        params = {**models["params"], "valid_to_threshold": threshold, "type_threshold": 0.0}
        got = [e.valid_to for e in model.predict({**models, "params": params}, r)]
        assert all(v is None for v in got) if expected is None else any(v is not None for v in got)


MEA_LIKE = (
    "The US Department of the Treasury issued a conditional sanctions waiver for the Chabahar port.\n"
    "The waiver is valid till 26th April this year, the spokesperson said.\n"
    "India welcomed the waiver for its work at the port.\n"
    "Officials of both countries met on Monday."
)


def test_commodity_features_count_mentions_in_the_types_cue_sentences() -> None:
    text = (
        "China imposed export controls on gallium.\n"
        "Exporters of gallium will need export licences from August.\n"
        "Last year China bought copper and gallium abroad.\n"
        "Copper prices rose."
    )
    r = model.read(text, date(2023, 7, 4))
    gallium = model.commodity_features(r, "gallium", "export_control")
    copper = model.commodity_features(r, "copper", "export_control")
    assert "export_control|cue_mentions=2" in gallium and "export_control|cue_share=2" in gallium
    assert "export_control|cue_mentions=0" in copper and "export_control|cue_share=0" in copper
