"""Dates the models read beyond the rules: months named alone, weekdays of future clauses."""

from __future__ import annotations

from datetime import date, timedelta

from critmin.events import model
from critmin.events.datecues import months_alone, weekday_ahead
from critmin.events.extract import analyse

PUB = date(2025, 5, 14)  # a Wednesday


def test_a_month_named_alone_is_the_latest_one_on_or_before_the_page() -> None:
    got = months_alone("In February, the country imposed a four-month ban on cobalt exports.", PUB)
    assert [m.value for m in got] == [date(2025, 2, 1)]
    assert [m.value for m in months_alone("when rebels seized it in October, they", PUB)] == [
        date(2024, 10, 1)
    ]


def test_a_month_ending_a_measure_or_in_a_future_clause_is_the_coming_one() -> None:
    (until,) = months_alone("The waiver runs until March.", PUB)
    assert until.value == date(2026, 3, 1) and until.end
    (will,) = months_alone("The ban will take effect in March.", PUB)
    assert will.value == date(2026, 3, 1) and not will.end


def test_months_with_a_day_or_year_and_pages_without_a_date_are_left_to_the_rules() -> None:
    assert months_alone("It was signed in May 2020 and again on March 12.", PUB) == []
    assert months_alone("In February, the country imposed a ban.", None) == []
    assert months_alone("Prices may fall.", PUB) == []


def test_a_weekday_is_ahead_only_in_a_future_clause() -> None:
    assert weekday_ahead("A new round of sanctions is due to take effect ")
    assert weekday_ahead("The reserves body is set to hold the tender ")
    assert not weekday_ahead("He said he will go; the ban was imposed ")
    assert not weekday_ahead("The ministry approved the rules ")


def test_future_and_past_weekdays_resolve_to_either_side_of_the_published_date() -> None:
    text = "The sanctions are due to take effect on Monday. The ministry approved the rules on Monday."
    a = analyse(text, PUB)
    ahead = [x.value for x in a.date_readings[0] if x.kind == "weekday"]
    back = [x.value for x in a.date_readings[1] if x.kind == "weekday"]
    assert ahead == [date(2025, 5, 19)] and ahead[0].weekday() == 0
    assert back == [date(2025, 5, 12)] and back[0].weekday() == 0


def test_next_weekday_said_on_that_weekday_is_a_week_on() -> None:
    a = analyse("Ministers meet again next Wednesday.", PUB)
    assert [x.value for x in a.date_readings[0]] == [PUB + timedelta(days=7)]


def test_a_month_alone_is_a_date_candidate_of_the_models() -> None:
    r = model.read("In February, the country imposed a ban on cobalt exports.", PUB)
    assert date(2025, 2, 1) in model.date_candidates(r)
    (m,) = [x for x in r.dates if x.value == date(2025, 2, 1)]
    assert m.kind == "month_alone" and m.role == "month_alone"


def test_published_plans_are_dated_when_published() -> None:
    assert not weekday_ahead("Britain published plans to ban imports of Russian copper ")
    assert weekday_ahead("EU ministers meet at a regular meeting next ")


def test_start_features_tell_an_inaugural_meeting_from_a_second_one() -> None:
    text = (
        "The inaugural meeting of the Working Group was held on October 3, 2019.\n"
        "Officials attended the second Working Group meeting on June 17."
    )
    r = model.read(text, date(2020, 6, 20))
    first = model.date_features(r, date(2019, 10, 3), "working_group", "valid_from")
    second = model.date_features(r, date(2020, 6, 17), "working_group", "valid_from")
    assert "valid_from|sent_starting" in first and "valid_from|sent_again" not in first
    assert "valid_from|sent_again" in second and "valid_from|sent_starting" not in second
    assert not any("before=" in f for f in first)  # the end-date model's context features only
    assert any("before=" in f for f in model.date_features(r, date(2019, 10, 3), "working_group", "valid_to"))


def test_the_start_date_model_has_its_own_regularisation() -> None:
    from test_events_model import _examples

    loose = model.train(_examples(), {"l2_valid_from": 0.01})
    tight = model.train(_examples(), {"l2_valid_from": 100.0})

    def size(models: dict[str, dict[str, float]]) -> float:
        return sum(abs(w) for f, w in models["valid_from"].items() if f != "bias")

    assert size(tight) < size(loose)
    assert loose["actor"] == tight["actor"] and loose["valid_to"] == tight["valid_to"]
