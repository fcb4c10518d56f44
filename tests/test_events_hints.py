"""Soft cues (hints), mention context and further measures of the trained extractor (issue 16)."""

from __future__ import annotations

from datetime import date

from critmin.events import model
from critmin.events.corpus import Article, Paragraph
from critmin.events.extract import extract_rules
from critmin.events.hints import read_hints
from critmin.events.measures import further_measures

ROYALTY = (
    "Zimbabwe will double the royalty rate on platinum from January.\n"
    "The finance minister presented the budget in parliament on Thursday."
)


def test_hints_are_read_per_sentence() -> None:
    r = model.read(ROYALTY, date(2022, 7, 29))
    assert r.hints == read_hints(r.analysis.doc, r.analysis.sents)
    assert "other" in r.hints[0] and r.hints[1] == []
    text = "The Pentagon will buy 7,500 tonnes of cobalt for its stockpile. A federal loan of $1.25bn."
    hinted = model.read(text, None).hints
    assert "stockpile" in hinted[0] and "investment" in hinted[1]


def test_hints_leave_the_rules_as_they_were() -> None:
    assert extract_rules(ROYALTY, published=date(2022, 7, 29)) == []
    r = model.read(ROYALTY, date(2022, 7, 29))
    assert "other|hint_sents=1" in model.type_features(r, "other")
    assert "election|hint_sents=0" in model.type_features(r, "election")
    assert "in_hint_sent" in model.country_features(r, "ZWE", "other")


def _article(key: str, text: str, label: dict[str, object]) -> Article:
    event = {"targets": [], "commodities": [], "valid_from": None, "valid_to": None, **label}
    return Article(
        id=key,
        url="https://example.org/" + key,
        publisher="test",
        published=date(2023, 1, 1),
        title=key,
        terms="test",
        heldout=False,
        events=(event,),
        paragraphs=(Paragraph.of(text),),
    )


SMALL = {
    "r1": ("Zambia raised the royalty on copper. Miners protested.", {"type": "other", "actor": "ZMB"}),
    "r2": ("Mexico will nationalise lithium mining. Investors worry.", {"type": "other", "actor": "MEX"}),
    "r3": (
        "Chile will nationalize its lithium industry. The plan is new.",
        {"type": "other", "actor": "CHL"},
    ),
    "e1": ("Peru held presidential elections on Sunday. Markets fell.", {"type": "election", "actor": "PER"}),
    "e2": ("Chile will hold elections in November. Voters are split.", {"type": "election", "actor": "CHL"}),
}


def test_other_can_be_learnt_and_proposed() -> None:
    examples = [
        model.Example(_article(k, text, label), model.read(text, date(2023, 1, 1)))
        for k, (text, label) in sorted(SMALL.items())
    ]
    trained = model.train(examples, {"rules_below_sentences": 0})
    text = "Bolivia will nationalise its lithium mines. The decree was signed."
    events = model.predict(trained, model.read(text, date(2023, 1, 1)))
    assert [(e.type, e.actor) for e in events] == [("other", "BOL")]


def test_mention_context_tells_names_and_goods_from_parties() -> None:
    text = "Full production at Anglo American Platinum resumed. The UK banned Russian aluminium."
    r = model.read(text, None)
    ctx = {(m.code, m.label): m.context for m in r.countries}
    assert "name" in ctx[("USA", "NORP")]
    assert "of_goods" in ctx[("RUS", "NORP")]
    assert not ctx[("GBR", "GPE")] & {"name", "of_goods"}
    assert "ctx_all=name" in model.country_features(r, "USA", "supply_disruption")


TWO_MEASURES = (
    "China's Commerce Ministry said that starting Sept. 15 it will impose export controls on antimony.\n"
    "Exporters will need a licence.\n"
    "This comes after China in 2023 placed export controls on gallium and germanium."
)


def test_a_further_measure_needs_other_commodities_and_another_date() -> None:
    r = model.read(TWO_MEASURES, date(2024, 8, 15))
    cues = [i for i, c in enumerate(r.analysis.cues) if "export_control" in c]
    [measure] = further_measures(r, cues, ["antimony", "gallium", "germanium"])
    assert "in 2023" in r.analysis.sents[measure.sent].text
    assert measure.commodities == ("gallium", "germanium")
    assert measure.valid_from == date(2023, 1, 1)
    assert further_measures(r, cues, ["antimony"]) == []  # gallium not kept: one measure
    same = TWO_MEASURES.replace("in 2023 ", "").replace("gallium and germanium", "antimony ore")
    r2 = model.read(same, date(2024, 8, 15))
    cues2 = [i for i, c in enumerate(r2.analysis.cues) if "export_control" in c]
    assert further_measures(r2, cues2, ["antimony"]) == []


def test_the_further_measure_is_proposed_as_an_event_of_its_own() -> None:
    models = model.load_models()
    r = model.read(TWO_MEASURES, date(2024, 8, 15))
    loose = {"type_threshold": 1.01, "rule_type_threshold": 0.0, "rules_below_sentences": 0}
    for n, expected in ((0, 1), (1, 2)):
        params = {**models["params"], **loose, "second_measure": n, "commodity_threshold": 0.0}
        events = [e for e in model.predict({**models, "params": params}, r) if e.type == "export_control"]
        assert len(events) == expected and {e.actor for e in events} == {"CHN"}
    assert events[1].commodities == ("gallium", "germanium") and events[1].valid_from == date(2023, 1, 1)


def test_hint_patterns_read_gaps_and_optional_hyphens() -> None:
    text = (
        "The ministry revoked two large mining licences.\n"
        "Officials revoked, they said, the licence.\n"
        "Dual-use items need approval."
    )
    r = model.read(text, None)
    hints = {s.text.strip(): h for s, h in zip(r.analysis.sents, r.hints, strict=True)}
    assert "other" in hints["The ministry revoked two large mining licences."]  # a gap of four words
    assert "other" not in hints["Officials revoked, they said, the licence."]  # not across punctuation
    assert "export_control" in hints["Dual-use items need approval."]  # "dual - use"
