"""Event extraction from news and briefings (issue 7 point 4): the seed MEA briefing, sentences of our
own, relative dates, offline pipeline and bad input."""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from critmin.events.extract import ProposedEvent, analyse, extract
from critmin.events.gazetteer import CRITICAL_MINERALS

HALT = "China suspended rare earth exports to Japan on 21 September 2010, traders said."


@pytest.fixture(scope="module")
def briefing(raw_data: Path) -> dict[str, ProposedEvent]:
    """Events of the MEA briefing of 2026-01-17 (../shared/data/seed), keyed by type."""
    text = (raw_data / "seed" / "mea_briefing_2026-01-17.txt").read_text(encoding="utf-8")
    events = extract(text, published=date(2026, 1, 17), source="MEA briefing via Biznama News")
    by_type = {e.type: e for e in events}
    assert len(by_type) == len(events), [e.type for e in events]
    return by_type


def test_briefing_proposes_exactly_four_events(briefing: dict[str, ProposedEvent]) -> None:
    assert set(briefing) == {"working_group", "sanction_waiver", "travel_advisory", "election"}


def test_briefing_india_japan_working_group(briefing: dict[str, ProposedEvent]) -> None:
    e = briefing["working_group"]
    assert (e.actor, e.targets) == ("IND", ("JPN",))
    assert set(e.commodities) == {"rare_earths", CRITICAL_MINERALS}
    assert e.valid_from == date(2026, 1, 1) and e.valid_to is None
    assert "early 2026" in e.notes
    assert "Joint Working Group on Critical Minerals in early 2026" in e.evidence
    assert e.to_row()["commodities"] == "rare_earths"  # the marker is not a catalog id


def test_briefing_chabahar_sanctions_waiver(briefing: dict[str, ProposedEvent]) -> None:
    e = briefing["sanction_waiver"]
    assert e.actor == "USA"
    assert set(e.targets) == {"IRN", "IND"}
    assert e.commodities == ()
    assert e.valid_from == date(2025, 10, 28)  # "on 28 October last year"
    assert e.valid_to == date(2026, 4, 26)  # "valid till 26th April this year"
    assert e.status == "in_force"
    assert "conditional sanctions waiver" in e.evidence


def test_briefing_iran_travel_advisory(briefing: dict[str, ProposedEvent]) -> None:
    e = briefing["travel_advisory"]
    assert (e.actor, e.targets, e.commodities) == ("IND", ("IRN",), ())
    assert (e.valid_from, e.valid_to) == (None, None)
    assert "avoid visiting Iran" in e.evidence


def test_briefing_myanmar_elections(briefing: dict[str, ProposedEvent]) -> None:
    e = briefing["election"]
    assert (e.actor, e.targets, e.commodities) == ("MMR", (), ())
    assert "Myanmar polls" in e.evidence
    assert e.published == date(2026, 1, 17)
    assert e.source == "MEA briefing via Biznama News"


def test_a_halt_to_one_country_is_a_targeted_ban() -> None:
    (e,) = extract(HALT, published=date(2010, 9, 24), source="test")
    assert (e.type, e.actor, e.targets, e.commodities) == ("export_ban", "CHN", ("JPN",), ("rare_earths",))
    assert e.valid_from == date(2010, 9, 21)


@pytest.mark.parametrize(
    ("sentence", "published", "field", "expected"),
    [
        (
            "The US sanctions waiver is valid till 26th April this year.",
            date(2026, 1, 17),
            "valid_to",
            date(2026, 4, 26),
        ),
        (
            "The US sanctions waiver issued on 28 October last year expires on 5 May.",
            date(2026, 1, 17),
            "valid_from",
            date(2025, 10, 28),
        ),
        (
            "The US sanctions waiver issued on 28 October last year expires on 5 May.",
            date(2026, 1, 17),
            "valid_to",
            date(2026, 5, 5),
        ),
        (
            "China will require export permits for graphite from Dec. 1.",
            date(2023, 10, 20),
            "valid_from",
            date(2023, 12, 1),
        ),
        (
            "China will require export permits for graphite from Jan. 15.",
            date(2023, 12, 20),
            "valid_from",
            date(2024, 1, 15),
        ),
        ("China halted exports of gallium on Tuesday.", date(2010, 9, 24), "valid_from", date(2010, 9, 21)),
        (
            "China imposed export controls on gallium starting early 2026.",
            date(2025, 11, 1),
            "valid_from",
            date(2026, 1, 1),
        ),
        ("China imposed export controls on gallium from mid-2024.", None, "valid_from", date(2024, 7, 1)),
    ],
)
def test_relative_dates(sentence: str, published: date | None, field: str, expected: date) -> None:
    (e,) = extract(sentence, published=published)
    assert getattr(e, field) == expected


def test_yearless_date_without_publication_date_is_left_open_and_noted() -> None:
    (e,) = extract("China will require export permits for graphite from Dec. 1.")
    assert e.valid_from is None
    assert "no publication date" in e.notes


def test_reported_date_is_not_a_validity_date() -> None:
    (e,) = extract(
        "Zimbabwe banned exports of lithium ore, the mines ministry said on Tuesday.",
        published=date(2022, 12, 20),
    )
    assert (e.type, e.actor, e.valid_from) == ("export_ban", "ZWE", None)


def test_datetime_published_is_accepted_as_its_date() -> None:
    (e,) = extract("China halted exports of gallium on Tuesday.", published=datetime(2010, 9, 24, 8))
    assert e.published == date(2010, 9, 24) and e.valid_from == date(2010, 9, 21)


def test_blank_pipeline_reads_no_model_files(monkeypatch: pytest.MonkeyPatch) -> None:
    import spacy

    from critmin.events import extract as mod

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("spacy.load called: a model would be read")

    monkeypatch.setattr(spacy, "load", refuse)
    mod._pipeline.cache_clear()
    nlp, _, _ = mod._pipeline()
    assert nlp.meta["name"] == "pipeline" and nlp.pipe_names == [
        "sentencizer",
        "critmin_line_breaks",
        "entity_ruler",
    ]
    assert not any(n.startswith("en_core") for n in sys.modules)
    assert extract("Indonesia banned nickel ore exports.")[0].actor == "IDN"


def test_empty_text_gives_no_events() -> None:
    assert extract("   ", published=date(2026, 1, 1)) == []
    assert extract("Nothing about minerals happened today.") == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": b"bytes"}, "text"),
        ({"text": None}, "text"),
        ({"text": "x", "published": "2026-01-17"}, "published"),
        ({"text": "x", "published": 20260117}, "published"),
        ({"text": "x", "source": 3}, "source"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, object], field: str) -> None:
    text = kwargs.pop("text")
    with pytest.raises(TypeError, match=rf"^{field} must be"):
        extract(text, **kwargs)  # type: ignore[arg-type]


def test_to_row_follows_the_event_contract() -> None:
    (e,) = extract(HALT, published=date(2010, 9, 24), source="test desk")
    row = e.to_row()
    assert list(row) == [
        "event_id", "type", "actor", "targets", "commodities", "hs_codes", "valid_from",
        "valid_to", "status", "fraction", "title", "evidence", "publisher", "url", "published",
        "notes",
    ]  # fmt: skip
    assert row["event_id"] == "chn-rare-earths-2010"
    assert (row["targets"], row["commodities"], row["publisher"]) == ("JPN", "rare_earths", "test desk")
    assert 0 < e.confidence <= 1


def test_actor_is_never_its_own_target() -> None:
    text = (
        "China restricted exports of graphite from China to Japan and the United States from 1 December 2023."
    )
    for e in extract(text, published=date(2023, 10, 20)):
        assert e.actor not in e.targets, e


def _one(text: str, published: date) -> ProposedEvent:
    (e,) = extract(text, published=published, source="test")
    return e


def test_a_ban_with_immediate_effect_starts_on_the_publication_date() -> None:
    e = _one(
        "Chile will ban exports of copper to the United States with immediate effect, "
        "its trade ministry said on Tuesday, a day after Washington's new measures.",
        date(2024, 12, 3),
    )
    assert (e.type, e.actor, e.targets, e.commodities) == ("export_ban", "CHL", ("USA",), ("copper",))
    assert e.valid_from == date(2024, 12, 3)
    assert "publication date" in e.notes


def test_lifting_a_ban_for_quotas_ends_the_ban_and_starts_a_control() -> None:
    events = extract(
        "Zambia said it will lift its cobalt export ban on October 16, replacing it with annual quotas.",
        published=date(2025, 9, 22),
    )
    by_type = {e.type: e for e in events}
    assert set(by_type) == {"export_ban", "export_control"}
    ban, quota = by_type["export_ban"], by_type["export_control"]
    assert (ban.valid_from, ban.valid_to, ban.status) == (None, date(2025, 10, 16), "in_force")
    assert (quota.actor, quota.commodities, quota.valid_from) == ("ZMB", ("cobalt",), date(2025, 10, 16))


def test_an_import_measure_targets_the_origin() -> None:
    e = _one(
        "The United States banned imports of aluminium and nickel of Russian origin.",
        date(2024, 4, 13),
    )
    assert (e.type, e.actor, e.targets) == ("import_restriction", "USA", ("RUS",))
    tariff = _one(
        "The United States raised Section 301 tariff rates on tungsten products from China.",
        date(2024, 12, 16),
    )
    assert (tariff.type, tariff.actor, tariff.targets) == ("import_restriction", "USA", ("CHN",))


def test_a_dotted_country_pair_names_both_parties() -> None:
    e = _one(
        "Officials met at the second U.S.-Canada Critical Minerals Working Group on June 17.",
        date(2020, 6, 20),
    )
    assert e.type == "working_group" and {e.actor, *e.targets} == {"USA", "CAN"}
    assert "U.S.-Canada" in e.evidence


def test_launching_an_initiative_is_an_agreement() -> None:
    e = _one(
        "The foreign ministers of India, the US, Japan and Australia launched the Quad Critical Minerals "
        "Initiative on July 1, 2025.",
        date(2025, 7, 2),
    )
    assert e.type == "agreement" and {e.actor, *e.targets} == {"IND", "USA", "JPN", "AUS"}
    assert e.valid_from == date(2025, 7, 1)


def test_disruption_and_restriction_cues_need_a_named_commodity() -> None:
    assert (
        extract("Dependence on one nation could lead to supply disruptions.", published=date(2025, 7, 2))
        == []
    )
    assert (
        extract("China tightened its limits on exports of critical minerals.", published=date(2025, 7, 2))
        == []
    )
    e = _one("Rebels in Myanmar disrupt the trade in heavy rare earths.", date(2025, 3, 28))
    assert (e.type, e.actor) == ("supply_disruption", "MMR")
    assert "rare_earths_heavy" in e.commodities


def test_a_treasury_designation_is_a_sanction_on_the_country_named() -> None:
    events = extract(
        "Treasury Sanctions Key Gems Enterprise in Burma\n"
        "Today, the U.S. Department of the Treasury's Office of Foreign Assets Control (OFAC) designated "
        "Myanma Gems Enterprise, a Burmese state-owned entity.",
        published=date(2021, 4, 8),
    )
    (e,) = events
    assert (e.type, e.actor, e.targets, e.valid_from) == ("sanction", "USA", ("MMR",), date(2021, 4, 8))


def test_an_exemption_from_sanctions_is_a_waiver_and_the_sanction_stays_apart() -> None:
    events = extract(
        "The United States has exempted India from certain sanctions for the development of Chabahar "
        "port in Iran.\nThe US on Monday imposed the toughest-ever sanctions on Iran.",
        published=date(2018, 11, 7),
    )
    by_type = {e.type: e for e in events}
    assert set(by_type) == {"sanction_waiver", "sanction"}
    assert by_type["sanction_waiver"].actor == "USA"
    assert {"IND", "IRN"} <= set(by_type["sanction_waiver"].targets)
    assert (by_type["sanction"].targets, by_type["sanction"].valid_from) == (("IRN",), date(2018, 11, 5))


def test_do_not_travel_advice_takes_its_issuer_from_the_heading() -> None:
    e = _one(
        "Official advice for New Zealanders living and travelling overseas\n"
        "Do not travel to Niger due to the threat of terrorism and kidnapping.",
        date(2023, 7, 27),
    )
    assert (e.type, e.actor, e.targets) == ("travel_advisory", "NZL", ("NER",))


def test_plans_to_stockpile_and_stake_acquisitions() -> None:
    e = _one(
        "The European Union is pushing ahead with plans to stockpile critical materials.", date(2026, 2, 4)
    )
    assert (e.type, e.actor) == ("stockpile", "EUU")
    e = _one(
        "The Saudi Arabian company completed the acquisition of a 10% stake in Brazil's Vale Base Metals, "
        "a producer of copper and nickel.",
        date(2024, 5, 1),
    )
    assert e.type == "investment" and {e.actor, *e.targets} == {"SAU", "BRA"}
    assert set(e.commodities) == {"copper", "nickel"}


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("The US imposed 50% tariffs on copper imports from Chile.", "import_restriction"),
        ("Biden signed a ban on Russian enriched uranium.", "import_restriction"),
        (
            "OFAC issued a general license authorising transactions with Syria's central bank.",
            "sanction_waiver",
        ),
        ("Washington eased sanctions on Venezuela's oil sector.", "sanction_waiver"),
        ("OFAC lifted sanctions on Rusal and delisted En+.", "sanction"),
        ("The C5+1 Critical Minerals Dialogue met in Washington.", "working_group"),
        ("The Australia-US Taskforce on Critical Minerals met in Canberra.", "working_group"),
        ("India will set up a National Critical Mineral Stockpile.", "stockpile"),
        ("The FCO advise against all travel to Mali.", "travel_advisory"),
    ],
)
def test_cues_of_tariffs_licences_relief_dialogues_stockpiles_and_advice(sentence: str, kind: str) -> None:
    from critmin.events.extract import analyse

    assert kind in analyse(sentence, date(2025, 1, 1)).cues[0]


def test_relief_from_sanctions_leaves_a_sanction_in_the_same_sentence() -> None:
    from critmin.events.extract import analyse

    cues = analyse(
        "The US granted exemptions to eight countries as Washington reimposed sanctions on Iran.",
        date(2018, 11, 5),
    ).cues[0]
    assert {"sanction_waiver", "sanction"} <= set(cues)


def test_dates_said_or_filed_on_are_read_for_the_models_but_not_used_by_the_rules() -> None:
    text = "HARARE, Dec. 19 (Xinhua) Zimbabwe banned exports of lithium ore, the ministry said on Tuesday."
    a = analyse(text, date(2022, 12, 20))
    readings = [x for xs in a.date_readings for x in xs]
    assert {(x.role, x.value, x.kind) for x in readings} == {
        ("dateline", date(2022, 12, 19), "day"),
        ("reported", date(2022, 12, 20), "weekday"),
    }
    assert [x for xs in a.dates for x in xs] == []
    assert all(d.dates == {} for d in a.drafts)


def test_a_weekday_ending_a_measure_is_the_coming_one() -> None:
    a = analyse("Operations at the copper mine will be suspended until Thursday.", date(2016, 4, 18))
    assert [(x.role, x.value) for xs in a.date_readings for x in xs] == [("valid_to", date(2016, 4, 21))]


@pytest.mark.parametrize(
    ("phrase", "code"),
    [
        ("rare earth magnets", "permanent_magnets"),
        ("NdFeB magnets", "permanent_magnets"),
        ("graphite electrodes", "graphite_synthetic"),
        ("hydrogen fluoride", "fluorine"),
        ("chrome", "chromium"),
        ("pig iron", "iron_steel"),
    ],
)
def test_news_phrasings_of_commodities_read_as_the_catalog_codes(phrase: str, code: str) -> None:
    from critmin.events.model import read

    r = read(f"Japan restricted exports of {phrase} to Korea.", None)
    assert [m.code for m in r.commodities] == [code]
